/* assemble.c - bring up a node whose disks carry sysvol's layout.
 *
 * SKELETON ONLY: the sysboot engineer replaces this file with the real
 * assembly (md arrays by UUID, btrfs members, the bounded wait, the
 * degraded start). Until then a provisioned mirror is refused, loudly. */
#include "sysvol.h"

#include <errno.h>

int sv_boot_existing(struct sv_ctx *c, struct bb_error *e)
{
	if (c->nnode < 2)
		return 0; /* one disk: nothing to assemble */
	return bb_error_set(e, ENOSYS, "bringing up an already provisioned node: not yet "
			    "implemented (skeleton)");
}
