/* Member superblock fuzz target: any bytes as an md 1.x, an md 0.90 and
 * a btrfs superblock. What parses must keep its fields in range (roles
 * inside nroles, the name terminated), and two parses of halves of the
 * input must compare without reading past them. */
#include "btrfs.h"
#include "md.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct md_sb a, b;
	const char *why;
	int ra = md_sb_parse1(data, size, &a, &why);
	if (!ra && (a.nroles > MD_SB_ROLES || strlen(a.name) > 32))
		abort();
	if (!md_sb_parse090(data, size, &b, &why) && b.nroles > MD_SB_ROLES)
		abort();
	if (!ra) {
		/* a second member from the second half, if it parses */
		size_t h = size / 2;
		struct md_sb c;
		if (!md_sb_parse1(data + h, size - h, &c, &why) &&
		    (unsigned)md_sb_compare(&a, &c) > MD_FOREIGN)
			abort();
		md_sb_sees_active(&a, a.dev_number);
		char u[36];
		md_sb_uuid_str(&a, u);
	}
	struct btrfs_super s;
	if (!btrfs_super_parse(data, size, &s, &why) && strlen(s.label) > 255)
		abort();
	return 0;
}
