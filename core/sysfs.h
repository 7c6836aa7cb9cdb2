/* sysfs.h - block devices as the kernel sees them, without lsblk or udev.
 *
 * Everything comes from sysfs attributes, never from guessing at names:
 * whether "nvme0n1p1" or "md127" is a partition is what its `partition`
 * attribute says. Roots are parameters so tests can build a fake tree.
 */
#ifndef BB_SYSFS_H
#define BB_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sysroot {
	const char *sys;  /* "/sys" */
	const char *proc; /* "/proc" */
	const char *dev;  /* "/dev" */
};
extern const struct sysroot sysroot_default;

#define BLKDEV_NAME 40
#define BLKDEV_MAX_HOLDERS 8

struct blkdev {
	char name[BLKDEV_NAME];   /* kernel name: sda, nvme0n1p1, dm-0 */
	char path[BLKDEV_NAME + 8]; /* dev root + name: /dev/sda */
	char parent[BLKDEV_NAME]; /* the whole disk of a partition, else "" */
	unsigned major, minor;
	int partno;               /* 0 for whole disks */
	uint64_t size;            /* bytes */
	uint64_t start;           /* partitions: first byte on the disk */
	unsigned lsec, psec;      /* logical / physical sector size */
	bool rotational, removable, ro;
	char model[64], serial[64], wwn[80];
	char transport[12];       /* virtio nvme sata scsi usb mmc md dm loop unknown */
	char dm_name[64];         /* device-mapper name of a dm device */
	char holders[BLKDEV_MAX_HOLDERS][BLKDEV_NAME];
	int nholders;
	char mountpoint[256];     /* first mount point, "" when not mounted */
	int nmounts;
	bool swap;                /* active swap device */
	int nparts;               /* partitions of a whole disk */
};

struct blkdev_list {
	struct blkdev *dev;
	size_t n;
};

struct bb_error;

/* All block devices (disks and partitions), sorted by name, with their
 * holders, mounts and swap use filled in. Returns 0, or -1 with e filled
 * when /sys/class/block cannot be read. */
int blkdev_scan(const struct sysroot *root, struct blkdev_list *out, struct bb_error *e);
void blkdev_list_free(struct blkdev_list *l);

/* Find by kernel name ("sda1") or device path ("/dev/sda1"). */
struct blkdev *blkdev_find(const struct blkdev_list *l, const char *name_or_path);
/* Find by device number (major:minor). */
struct blkdev *blkdev_find_devt(const struct blkdev_list *l, unsigned major, unsigned minor);

#endif
