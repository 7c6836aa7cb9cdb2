/* md.h - Linux software RAID (md) arrays and their members, as sysfs
 * shows them: /sys/block/mdX/md/ and its dev-NAME/ directories.
 *
 * Read only: creating, assembling and failing members stays with mdadm
 * (run through core/exec). Every attribute is read through the sysroot
 * seam so tests use a fake tree, and every value is checked: a missing
 * or malformed attribute leaves its field "unknown" (MD_UNKNOWN, "",
 * false), never a guess, and never a failure of the whole read.
 */
#ifndef BB_MD_H
#define BB_MD_H

#include "error.h"
#include "sysfs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MD_UNKNOWN UINT64_MAX /* a numeric attribute that was absent or junk */
#define MD_WORD 24            /* level, array_state, sync_action, metadata_version */
#define MD_MAX_MEMBERS 1024   /* more dev-* entries than this are not read */

/* dev-NAME/state words (the kernel joins them with ','). */
enum {
	MD_FAULTY = 1 << 0,
	MD_IN_SYNC = 1 << 1,
	MD_SPARE = 1 << 2,
	MD_WRITE_MOSTLY = 1 << 3,
	MD_BLOCKED = 1 << 4,
	MD_WRITE_ERROR = 1 << 5,
	MD_WANT_REPLACEMENT = 1 << 6,
	MD_REPLACEMENT = 1 << 7,
	MD_JOURNAL = 1 << 8,
	MD_FAILFAST = 1 << 9,
	MD_EXTERNAL_BBL = 1 << 10,
	MD_OTHER = 1 << 15, /* a word this reader does not know */
};

struct md_member {
	char dev[BLKDEV_NAME]; /* the member's block device: "vdb", "nvme0n1p2" */
	unsigned state;        /* MD_FAULTY | ...; 0 when unreadable */
	uint64_t slot;         /* role in the array; MD_UNKNOWN for "none" (spare, faulty) */
	uint64_t errors;       /* read errors corrected on it */
};

struct md_array {
	char name[BLKDEV_NAME];     /* kernel name: "md0", "md127" */
	char level[MD_WORD];        /* "raid1", "raid5"; "" while inactive */
	char array_state[MD_WORD];  /* clean, active, inactive, readonly, read-auto, ... */
	char sync_action[MD_WORD];  /* idle, resync, recover, check, repair, reshape, frozen */
	char metadata[MD_WORD];     /* metadata_version: "1.2", "0.90", "external:imsm" */
	uint64_t raid_disks;        /* slots the array has */
	uint64_t degraded;          /* slots without a working member */
	uint64_t mismatch_cnt;      /* sectors found different by the last check */
	uint64_t sync_done;         /* sync_completed "DONE / TOTAL" in 512-byte sectors, */
	uint64_t sync_total;        /* both MD_UNKNOWN when no sync is running ("none") */
	uint64_t sync_speed;        /* KiB/s of the running sync, MD_UNKNOWN when none */
	uint64_t size;              /* bytes of the array device (0 while inactive) */
	struct md_member *members;  /* sorted by slot, then by device name */
	size_t nmembers;
};

/* One array by kernel name ("md0" or "/dev/md0"). -1 with e set when it
 * is not an md array (no md/ directory) or memory ran out. */
int md_read(const struct sysroot *root, const char *name, struct md_array *a, struct bb_error *e);
void md_array_free(struct md_array *a);

/* Every md array under /sys/block, sorted by name. No md module loaded
 * (none at all) is an empty list, not an error. */
int md_list(const struct sysroot *root, struct md_array **out, size_t *n, struct bb_error *e);
void md_list_free(struct md_array *a, size_t n);

/* Parsers of single attribute values, public for tests and fuzzing
 * (numbers go through core/num's num_dec_u64). Each returns 0, or -1 for
 * a value it does not accept. */
int md_parse_sync_completed(const char *s, uint64_t *done, uint64_t *total);
unsigned md_parse_member_state(const char *s);             /* never fails */
int md_parse_word(const char *s, char *out, size_t len);   /* [a-z0-9_.:-]+ */

/* Helpers for callers: progress of the running sync in per mille (0..1000,
 * -1 when none runs); the member words as text ("faulty,in_sync"). */
int md_sync_permille(const struct md_array *a);
void md_member_state_str(unsigned state, char *buf, size_t len);

#endif
