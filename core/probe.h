/* probe.h - what is on a device or image: filesystem, RAID or LVM
 * signature, label, UUID, partition table type (libblkid underneath). */
#ifndef BB_PROBE_H
#define BB_PROBE_H

#include <stdint.h>

struct probe_info {
	char type[32];    /* ext4, vfat, btrfs, swap, linux_raid_member, LVM2_member, ... */
	char usage[16];   /* filesystem, raid, crypto, other */
	char label[256];
	char uuid[64];
	char uuid_sub[64]; /* btrfs device uuid, md member uuid */
	char pttype[16];  /* gpt, dos, or "" */
	char ptuuid[64];
	char version[32];
};

struct bb_error;

/* Returns 0 (fields "" when nothing was found), or -1 with e filled when
 * the path cannot be read or the signatures contradict each other (code
 * EEXIST: two signatures, wipe one). */
int probe_path(const char *path, struct probe_info *pi, struct bb_error *e);
/* The same, asking libblkid for one filesystem type only ("ext4"): a
 * few reads instead of every prober's (under emulation a full probe of
 * a large device takes a tenth of a second). It cannot see another
 * signature beside that one: for "is what I made still there", not for
 * "is this device blank". */
int probe_path_as(const char *path, const char *type, struct probe_info *pi, struct bb_error *e);

#endif
