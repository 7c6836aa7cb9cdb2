/* btrfs.h - a mounted btrfs through its ioctls, without btrfs-progs.
 *
 * One thin wrapper per ioctl (linux/btrfs.h). Most take `fd`, an open
 * directory of the mounted filesystem (btrfs_open); which directory only
 * matters where the call says so. Nothing is printed: failures fill e
 * with "what failed: why" and return -1. Callers put the mount point in
 * front (bb_error_prefix).
 *
 * BLOCKING: btrfs_scrub_start and btrfs_balance_start return only when
 * the scrub (of that one device) or the balance has ended, which can
 * take hours: run them off the main thread (one thread per device for a
 * whole-filesystem scrub) and use the *_progress / *_cancel / *_pause
 * calls from another. btrfs_defrag_range blocks for the range given.
 * Everything else returns at once (a deleted subvolume is cleaned up by
 * the kernel in the background; enabling quotas starts a background
 * rescan).
 */
#ifndef BB_BTRFS_H
#define BB_BTRFS_H

#include "error.h"
#include "sysfs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BTRFS_TOP_ID 5         /* the top-level subvolume (FS_TREE) */
#define BTRFS_NAME_LEN 255     /* longest subvolume or snapshot name */
#define BTRFS_NO_LIMIT UINT64_MAX

/* Open PATH (a directory of a mounted btrfs) for the calls below; refuses
 * what is not on a btrfs (ENOTTY). Returns the fd or -1. */
int btrfs_open(const char *path, struct bb_error *e);

/* A name for a new subvolume or snapshot: not empty, not "." or "..",
 * no '/', at most BTRFS_NAME_LEN bytes. 0 or -1 (EINVAL/ENAMETOOLONG). */
int btrfs_name_check(const char *name, struct bb_error *e);

/* ---- subvolumes (SUBVOL_CREATE_V2, SNAP_CREATE_V2, SNAP_DESTROY_V2) ---- */

/* Create subvolume NAME in directory dirfd. */
int btrfs_subvol_create(int dirfd, const char *name, struct bb_error *e);
/* Snapshot the subvolume open as srcfd into directory dirfd as NAME. */
int btrfs_snapshot(int srcfd, int dirfd, const char *name, bool readonly, struct bb_error *e);
/* Delete subvolume NAME of directory dirfd (it must be a subvolume). */
int btrfs_subvol_delete(int dirfd, const char *name, struct bb_error *e);
/* Delete subvolume ID of the filesystem fd is on (kernel 5.7+); fd must
 * not be inside that subvolume. */
int btrfs_subvol_delete_id(int fd, uint64_t id, struct bb_error *e);

struct btrfs_subvol {
	uint64_t id;
	uint64_t parent_id;  /* the subvolume holding it (BTRFS_TOP_ID at the top) */
	uint64_t generation; /* transaction of its last change */
	bool readonly;
	char name[BTRFS_NAME_LEN + 1]; /* its own name */
	char *path;          /* from the top level: "data/snap1" (malloc'd) */
};

/* Every subvolume and snapshot (TREE_SEARCH of the root tree, INO_LOOKUP
 * for the directories between), sorted by id. Deleted ones still being
 * cleaned are left out. Needs CAP_SYS_ADMIN. */
int btrfs_subvol_list(int fd, struct btrfs_subvol **out, size_t *n, struct bb_error *e);
void btrfs_subvol_list_free(struct btrfs_subvol *l, size_t n);

/* ---- quotas (QUOTA_CTL, QGROUP_LIMIT) ---------------------------------- */

int btrfs_quota_enable(int fd, struct bb_error *e);
/* Limit what qgroup 0/ID (the subvolume ID) refers to, in bytes;
 * BTRFS_NO_LIMIT lifts the limit. Quotas must be enabled first. */
int btrfs_qgroup_limit(int fd, uint64_t id, uint64_t max_referenced, struct bb_error *e);

/* ---- scrub (SCRUB, SCRUB_PROGRESS, SCRUB_CANCEL) ------------------------ */

struct btrfs_scrub_stats {
	uint64_t data_extents, tree_extents;
	uint64_t data_bytes, tree_bytes; /* scrubbed so far */
	uint64_t read_errors, csum_errors, verify_errors, super_errors;
	uint64_t uncorrectable_errors, corrected_errors, unverified_errors;
	uint64_t malloc_errors, no_csum, csum_discards;
	uint64_t last_physical;
};

/* BLOCKS until device devid is scrubbed. readonly: report, repair
 * nothing. The counts are filled when it ends, cancelled too (then -1
 * with ECANCELED). A scrub already running on the device: EINPROGRESS. */
int btrfs_scrub_start(int fd, uint64_t devid, bool readonly, struct btrfs_scrub_stats *st,
		      struct bb_error *e);
/* Counts of the scrub running on devid; -1 with ENOTCONN when none runs
 * (the kernel keeps no history of finished ones). */
int btrfs_scrub_progress(int fd, uint64_t devid, struct btrfs_scrub_stats *st, struct bb_error *e);
/* Cancel every running scrub of the filesystem; ENOTCONN when none runs. */
int btrfs_scrub_cancel(int fd, struct bb_error *e);

/* ---- balance (BALANCE_V2, BALANCE_PROGRESS, BALANCE_CTL) ---------------- */

enum { BTRFS_BAL_DATA = 1, BTRFS_BAL_METADATA = 2, BTRFS_BAL_SYSTEM = 4 };

struct btrfs_balance_filter {
	unsigned types;    /* BTRFS_BAL_*; 0 means all three */
	int usage;         /* only chunks at most this % full; -1: any */
	uint64_t limit;    /* at most this many chunks per type; 0: no limit */
	uint64_t convert;  /* to this profile (BTRFS_BLOCK_GROUP_RAID1, ...), only the
			    * chunks not in it yet ("soft"); 0: no conversion */
};

struct btrfs_balance_status {
	bool running, pause_requested, cancel_requested;
	uint64_t expected;   /* chunks it expects to relocate */
	uint64_t considered; /* chunks looked at so far */
	uint64_t completed;  /* chunks relocated so far */
};

/* BLOCKS until the balance ends. Paused or cancelled: -1 with ECANCELED
 * and the message says which; another balance running: EINPROGRESS.
 * st (may be NULL) gets the final counts. */
int btrfs_balance_start(int fd, const struct btrfs_balance_filter *f,
			struct btrfs_balance_status *st, struct bb_error *e);
/* Running or paused balance; -1 with ENOTCONN when there is none. */
int btrfs_balance_progress(int fd, struct btrfs_balance_status *st, struct bb_error *e);
int btrfs_balance_pause(int fd, struct bb_error *e);
int btrfs_balance_cancel(int fd, struct bb_error *e); /* a paused one too */

/* ---- devices and space (GET_DEV_STATS, SPACE_INFO, FS_INFO, DEV_INFO) --- */

struct btrfs_dev_stats {
	uint64_t write_errs, read_errs, flush_errs, corruption_errs, generation_errs;
};
/* The error counters of devid; reset sets them to 0 after reading. */
int btrfs_dev_stats(int fd, uint64_t devid, bool reset, struct btrfs_dev_stats *st,
		    struct bb_error *e);

struct btrfs_space {
	uint64_t flags; /* BTRFS_BLOCK_GROUP_* type and profile bits */
	uint64_t total; /* bytes allocated to chunks of this kind */
	uint64_t used;  /* bytes used in them */
	char type[16];    /* "Data", "Metadata", "System", "GlobalReserve", "Data+Metadata" */
	char profile[16]; /* "single", "DUP", "RAID1", "RAID1C3", "RAID10", ... */
};
/* The allocation by kind, as `btrfs filesystem df` shows it. */
int btrfs_space_info(int fd, struct btrfs_space **out, size_t *n, struct bb_error *e);

struct btrfs_fs_info {
	uint64_t max_id;      /* highest devid in use (ids can have gaps) */
	uint64_t num_devices;
	uint8_t fsid[16];
	uint32_t nodesize, sectorsize;
	uint64_t generation;  /* 0 on kernels before 5.11 */
};
int btrfs_fs_info(int fd, struct btrfs_fs_info *fi, struct bb_error *e);

struct btrfs_dev_info {
	uint64_t devid;
	uint8_t uuid[16];
	uint64_t bytes_used;  /* allocated to chunks */
	uint64_t total_bytes; /* the size btrfs uses on it */
	char path[1024];      /* as registered: "/dev/vdb"; "" when missing */
};
/* One device; -1 with ENODEV when no device has that id. */
int btrfs_dev_info(int fd, uint64_t devid, struct btrfs_dev_info *di, struct bb_error *e);
/* Every device: devids 1..max_id, the gaps skipped. */
int btrfs_devices(int fd, struct btrfs_dev_info **out, size_t *n, struct bb_error *e);

/* ---- size and layout (RESIZE, DEFRAG_RANGE) ----------------------------- */

/* Resize what the filesystem uses of device devid. size: "max" (the whole
 * device), "+N" / "-N" (grow / shrink by N), or "N" (exactly), N in bytes
 * with an optional k/m/g/t/p/e suffix (binary units). */
int btrfs_resize(int fd, uint64_t devid, const char *size, struct bb_error *e);
/* Check a size word as btrfs_resize takes it. */
int btrfs_resize_check(const char *size, struct bb_error *e);

/* Defragment bytes [start, start+len) of the regular file open as fd
 * (len BTRFS_NO_LIMIT: to its end); start_io starts writeback at once.
 * Unshares extents with snapshots. Blocks for the range. */
int btrfs_defrag_range(int fd, uint64_t start, uint64_t len, bool start_io, struct bb_error *e);

/* ---- device registration (/dev/btrfs-control: SCAN_DEV, DEVICES_READY) -- */

/* Register device path with the kernel, so that a multi-device btrfs can
 * be mounted without udev. root->dev locates btrfs-control. */
int btrfs_device_scan(const struct sysroot *root, const char *path, struct bb_error *e);
/* Register path and say whether every device of its filesystem is
 * registered: 1 all there, 0 some missing, -1 error. */
int btrfs_devices_ready(const struct sysroot *root, const char *path, struct bb_error *e);

/* ---- replacing a device (DEV_REPLACE) ---------------------------------------
 * BLOCKS until the copy onto the new device is done (run it off the main
 * thread). srcdevid: the device to replace, which may be missing (a
 * mirror mounted degraded); tgt: the new device's path, unused and at
 * least as large. The new device takes srcdevid's id. A replace already
 * running: EINPROGRESS; a scrub running: EBUSY. */
int btrfs_replace_start(int fd, uint64_t srcdevid, const char *tgt, struct bb_error *e);
/* Progress in per mille of the running or last replace, and its state
 * (BTRFS_IOCTL_DEV_REPLACE_STATE_*: 0 never, 1 started, 2 finished,
 * 3 cancelled, 4 suspended). */
int btrfs_replace_status(int fd, unsigned *permille, unsigned *state, struct bb_error *e);

/* ---- a member's superblock, read from the device ---------------------
 * The primary copy at 64 KiB, byte offsets of the on-disk format, the
 * crc32c checked (other checksum types are taken unchecked: csum_checked
 * says so). What a boot needs before anything is mounted: which
 * filesystem, which device of it, and how far its history goes. */
#define BTRFS_SUPER_OFFSET 65536
#define BTRFS_SUPER_SIZE 4096

struct btrfs_super {
	uint8_t fsid[16];
	uint64_t generation;   /* the last transaction committed to this device */
	uint64_t num_devices;
	uint64_t total_bytes, bytes_used;
	uint32_t sectorsize, nodesize;
	uint16_t csum_type;    /* 0 crc32c, 1 xxhash64, 2 sha256, 3 blake2b */
	bool csum_checked;
	uint64_t devid;        /* this device (dev_item) */
	uint8_t dev_uuid[16];
	uint64_t dev_total_bytes;
	char label[256];
	/* 0 until the first read-write mount: the kernel makes the UUID tree
	 * then (mkfs.btrfs does not) and records its generation here */
	uint64_t uuid_tree_generation;
};

enum { BTRFS_SUPER_NONE = 1 };

/* 0, BTRFS_SUPER_NONE when no valid btrfs superblock is there, -1 with e
 * on a read error. */
int btrfs_super_read(int fd, struct btrfs_super *s, struct bb_error *e);
/* The parser underneath (BTRFS_SUPER_SIZE bytes): 0, or -1 with *why. */
int btrfs_super_parse(const uint8_t *buf, size_t len, struct btrfs_super *s, const char **why);

#endif
