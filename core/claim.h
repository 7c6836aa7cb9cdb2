/* claim.h - "may I write to this device?", answered with the reason.
 *
 * One check for every applet that writes to a disk, a partition or an
 * image file (gpt, mkfs.vfat, mkswap, sysvol, volmgr, lvq). A device is
 * busy when it, or for a whole disk any of its partitions, or for a
 * partition its disk:
 *   - is mounted, or is active swap;
 *   - is held by md, device-mapper (LVM, dm-crypt) or anything else
 *     listed in its sysfs holders/;
 *   - backs a loop device (sysfs loop/backing_file), image files too;
 *   - is a member of a mounted btrfs (/sys/fs/btrfs/FSID/devices/): a
 *     btrfs RAID1 shows in mountinfo under one member only;
 *   - is opened exclusively (an O_EXCL open answers EBUSY).
 * CLAIM_STRICT also refuses what holds data: any libblkid signature
 * (filesystem, RAID, LVM, crypto, swap), a partition table, or an MBR. A
 * protective MBR left alone, with no GPT behind it, is not data.
 *
 * It never answers "free" for what it could not inspect: an unreadable
 * sysfs or mountinfo, a device missing from sysfs, an open or probe that
 * fails for another reason than "busy" all answer CLAIM_BUSY with
 * CLAIM_UNKNOWN and what went wrong.
 *
 * The answer holds for the moment of the check: a writer then opens the
 * device with DISK_EXCL (core/blkdev.h) so nothing can claim it after.
 * Nothing is printed; paths below root (struct sysroot) let tests use a
 * fake /sys, /proc and /dev.
 */
#ifndef BB_CLAIM_H
#define BB_CLAIM_H

#include "sysfs.h"

enum claim_state {
	CLAIM_FREE = 0, /* nothing uses it (and, strict, nothing is on it) */
	CLAIM_BUSY,     /* in use, or not inspectable: never write; --force
			 * must not override this */
	CLAIM_CONTENT,  /* strict only: it holds data; --force may override */
};

enum claim_reason {
	CLAIM_NONE = 0,
	CLAIM_MOUNTED,   /* mounted (mountinfo) */
	CLAIM_SWAP,      /* active swap (/proc/swaps) */
	CLAIM_HELD,      /* sysfs holders: md, dm (LVM, crypt), ... */
	CLAIM_LOOP,      /* backs a loop device */
	CLAIM_BTRFS,     /* member of a mounted (multi-device) btrfs */
	CLAIM_EXCLUSIVE, /* O_EXCL open answered EBUSY */
	CLAIM_UNKNOWN,   /* could not be inspected: busy, to be safe */
	CLAIM_SIGNATURE, /* strict: filesystem, RAID, LVM, crypto, swap... */
	CLAIM_PARTTABLE, /* strict: a partition table */
	CLAIM_MBR,       /* strict: an MBR (boot signature) */
};

enum {
	CLAIM_STRICT = 1 << 0, /* also refuse any signature */
};

struct claim {
	enum claim_state state;
	enum claim_reason reason;
	/* "vdc is a member of the btrfs mounted on /mnt (with vdb)",
	 * "vda2 is mounted on /boot", "it holds a ext4 signature"; "" when free */
	char why[400];
	/* What the path is: a block device (kernel name, partition number,
	 * 0 for a whole disk) or an image file (is_blockdev false). */
	bool is_blockdev;
	char name[BLKDEV_NAME];
	int partno;
};

/* The check. Returns c->state. */
enum claim_state claim_check(const struct sysroot *root, const char *path, unsigned flags,
			     struct claim *c);

/* The strict half alone: what the device or image holds. For a caller
 * that already holds the device open exclusively (claim_check's O_EXCL
 * test would find its own open). Returns CLAIM_FREE, CLAIM_CONTENT, or
 * CLAIM_BUSY/CLAIM_UNKNOWN when it cannot be read. */
enum claim_state claim_content(const char *path, struct claim *c);

/* snake_case name of a reason for JSON: "mounted", "swap", "held",
 * "loop", "btrfs_member", "exclusive", "unknown", "signature",
 * "partition_table", "mbr"; "" for CLAIM_NONE. */
const char *claim_reason_name(enum claim_reason r);

/* A partition in use on a disk that is busy only through its partitions:
 * a table edit that keeps it where the kernel has it (same number, same
 * start, not smaller) leaves its user undisturbed. */
#define CLAIM_MAX_PARTS 128
struct claim_part {
	int partno;
	uint64_t start, size; /* bytes, as the kernel has them */
	char why[200];        /* "vda2 is mounted on /boot" */
};
struct claim_parts {
	struct claim_part part[CLAIM_MAX_PARTS];
	size_t n;
};

/* For a whole disk: which of its partitions are in use. 0 with out filled
 * (n may be 0: nothing is busy); -1 when the disk itself is busy, is a
 * partition, or cannot be inspected, c saying why. */
int claim_busy_parts(const struct sysroot *root, const char *path, struct claim_parts *out,
		     struct claim *c);

struct bb_error;
/* claim_check for applets: 0 when free, else -1 with e set to
 * "PATH: WHY", code EBUSY (busy or not inspectable) or EEXIST (content).
 * The caller adds its own "(--force overrides)" for EEXIST only. */
int claim_require(const struct sysroot *root, const char *path, unsigned flags,
		  struct bb_error *e);

#endif
