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

/* ---- member superblocks, read from the device itself -----------------
 * What a member says about its array, readable before anything is
 * assembled: which array (uuid), how far its history goes (events), and
 * which slots it believes are held by working members. Metadata 0.90
 * (64 KiB before the end, rounded down to 64 KiB; little-endian on the
 * x86 machines this targets), 1.0 (8 KiB before the end, 4 KiB aligned),
 * 1.1 (at 0) and 1.2 (at 4 KiB). Byte offsets from linux/raid/md_p.h. */
#define MD_SB_ROLES 384      /* 1.x dev_roles[] read at most (a 1 KiB superblock) */
#define MD_ROLE_SPARE 0xffff
#define MD_ROLE_FAULTY 0xfffe
#define MD_ROLE_JOURNAL 0xfffd

struct md_sb {
	unsigned version;      /* 90, 100, 101 or 102 for 0.90, 1.0, 1.1, 1.2 */
	uint8_t uuid[16];      /* the array's uuid: 1.x set_uuid; 0.90 set_uuid0..3 as stored */
	char name[33];         /* 1.x set_name ("host:name"); "" for 0.90 */
	int32_t level;         /* 1 for raid1 */
	uint32_t raid_disks;
	uint32_t features;     /* 1.x feature_map; bit 0 (a write-intent bitmap) also for 0.90 */
	uint64_t events;       /* superblock updates: the newer half has more */
	uint64_t utime;        /* seconds of the last update */
	uint64_t ctime;        /* seconds of creation */
	uint32_t dev_number;   /* this member's index into roles[] */
	uint8_t dev_uuid[16];  /* 1.x device uuid; zero for 0.90 */
	uint64_t sb_offset;    /* byte offset of the superblock on the member */
	uint32_t nroles;       /* entries of roles[] */
	/* role of each device number as this superblock sees it: a slot
	 * (< raid_disks) while it is a working member, else MD_ROLE_* */
	uint16_t roles[MD_SB_ROLES];
};

enum { MD_SB_NONE = 1 };

/* The superblock of a member open as fd, size bytes long. 0 found,
 * MD_SB_NONE when no valid one is in any of the four places, -1 with e
 * on a read error. A superblock with a bad checksum counts as none. */
int md_sb_read(int fd, uint64_t size, struct md_sb *sb, struct bb_error *e);
/* The parsers underneath, for tests and fuzzing: 0, or -1 with *why.
 * md_sb_parse1 takes the bytes from the superblock's start on (at least
 * 256, the roles as far as len allows); md_sb_parse090 exactly 4096. */
int md_sb_parse1(const uint8_t *buf, size_t len, struct md_sb *sb, const char **why);
int md_sb_parse090(const uint8_t *buf, size_t len, struct md_sb *sb, const char **why);
/* The array uuid as mdadm --examine prints it (xxxxxxxx:xxxxxxxx:xxxxxxxx:xxxxxxxx). */
char *md_sb_uuid_str(const struct md_sb *sb, char buf[36]);
/* Whether sb counts device number dev as a working member. */
bool md_sb_sees_active(const struct md_sb *sb, uint32_t dev);

/* Two members of one mirror compared, as sysvol and volmgr decide what to
 * do with a member that comes back. */
enum md_verdict {
	MD_IN_STEP,    /* each counts the other as working: the same history */
	MD_A_NEWER,    /* b is stale: a ran without b, b never ran without a */
	MD_B_NEWER,    /* the reverse */
	MD_SPLIT,      /* each ran without the other (split brain): never merge */
	MD_FOREIGN,    /* not members of the same array */
};
enum md_verdict md_sb_compare(const struct md_sb *a, const struct md_sb *b);
const char *md_verdict_name(enum md_verdict v); /* "in step", "split brain", ... */

#endif
