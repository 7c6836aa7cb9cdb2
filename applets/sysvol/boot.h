/* boot.h - what assemble.c, degraded.c and rejoin.c share: bringing up a
 * node whose disks already carry sysvol's layout.
 *
 * The node has two places (c->node[0], c->node[1] once both disks are
 * there). Before anything is assembled, each mirrored partition's member
 * superblock is read from both places; rejoin.c decides from them, for
 * the whole node at once, what to start: both halves, the one that is
 * there, the newer one with the stale one re-added, or (split brain) one
 * chosen half with the other kept untouched. Deciding for the node and
 * not per volume keeps /boot, the ESP and the data on the same side.
 */
#ifndef SV_BOOT_H
#define SV_BOOT_H

#include "btrfs.h"
#include "md.h"
#include "sysvol.h"

#define SV_BOOT_DIR "sysvol"            /* under /boot: the records that outlive a boot */
#define SV_DEGRADED_FILE "degraded"     /* in SV_STATE_DIR and SV_BOOT_DIR */
#define SV_MEMBERS_FILE "members"       /* in SV_BOOT_DIR: serial -> btrfs devid */
#define SV_SCRUB_FILE "scrub"           /* in SV_STATE_DIR: the background scrub's outcome */
#define SV_REPLACE_FILE "replace"       /* in SV_STATE_DIR: the background device replace's */

/* What one place's partition of a mirrored volume carries. */
struct svb_member {
	bool there;          /* the disk is present */
	bool md, btrfs;      /* a valid superblock of that kind was read */
	struct md_sb sb;
	struct btrfs_super bt;
	char dev[SV_DEV];
};

enum svb_action {
	SVB_NEW,    /* nothing carries this volume yet: sv_complete creates it */
	SVB_BOTH,   /* both halves in step */
	SVB_ALONE,  /* one half there, the other missing: started degraded */
	SVB_REJOIN, /* both there, one stale: start the newer, then re-add the stale */
	SVB_SPLIT,  /* each half ran alone: start the chosen one, keep the other */
};

struct svb_node {
	enum svb_action action;
	int use;      /* the place started alone (ALONE, REJOIN, SPLIT); -1 both */
	int stale;    /* REJOIN: the place re-added and scrubbed; -1 */
	bool md_stale; /* REJOIN: its md halves are stale too (else only btrfs lags) */
	char why[SV_NOTE];
};

/* The node's verdict from the members of each mirrored volume (m[v][place],
 * kinds[v] the volume's mirror kind, nvol volumes), with `expected` the
 * number of places the superblocks say the mirror has. Pure. */
void svb_decide(const struct svb_member (*m)[SV_MIRROR], const enum sv_mirror *kinds, size_t nvol,
	       unsigned expected, struct svb_node *out);
const char *svb_action_name(enum svb_action a);

/* sysvol.replace=auto on a node running on one disk: a blank disk of its
 * tier gets the layout and the missing member's place (rejoin.c). 0 also
 * when there is no such disk (said in a warning); -1 with e. */
int svb_replace(struct sv_ctx *c, struct bb_error *e);

/* What assemble.c decided and found, kept for after the mounts. */
struct svb_state {
	struct svb_node node;
	uint64_t missing_devid;    /* btrfs devid of the member missing, 0 none */
	char replace_dev[SV_DEV];  /* replace: the new disk's btrfs partition */
	char used[80];             /* id of the disk run on (alone, split, the newer) */
	char other[80];            /* split: kept aside; rejoin: the stale; replace: the new */
	uint64_t devid[SV_MIRROR]; /* btrfs devid of each place's member as read before the
				    * assembly, 0 unknown (the members file needs no second read) */
};
extern struct svb_state svb;

/* ---- the records (degraded.c) ------------------------------------------------ */

struct svb_record {
	char since[32];           /* ISO 8601 UTC */
	char missing[80];         /* serial of the member that was missing */
	char present[80];         /* serial of the one that ran */
};

/* "key=value" lines; unknown keys and comments are skipped. 0, or -1 with
 * *why when a known key is malformed or since/missing are absent. */
int svb_record_parse(const char *text, struct svb_record *r, const char **why);
/* The text of r with state= ("degraded" or "split"), at most len bytes
 * with the NUL: 0, or -1 when it does not fit. */
int svb_record_format(const struct svb_record *r, const char *state, char *buf, size_t len);

/* Serial of the member with btrfs devid `devid` in the members file text
 * ("SERIAL btrfs_devid=N" lines), into out; -1 when not listed. */
int svb_members_serial(const char *text, uint64_t devid, char *out, size_t len);

#endif
