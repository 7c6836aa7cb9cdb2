/* blkdev.h - block device ioctls, and one way to open "a disk" that may be
 * a block device or an image file. */
#ifndef BB_BLKDEV_H
#define BB_BLKDEV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

int blk_size_bytes(int fd, uint64_t *bytes); /* BLKGETSIZE64 */
int blk_logical_sector(int fd, unsigned *ssz); /* BLKSSZGET */
int blk_physical_sector(int fd, unsigned *psz); /* BLKPBSZGET */
int blk_reread_table(int fd);                /* BLKRRPART */
/* BLKPG: tell the kernel about one partition without rereading the whole
 * table, which it refuses while any partition of the disk is in use. */
int blk_add_partition(int fd, int partno, uint64_t start_bytes, uint64_t len_bytes);
int blk_del_partition(int fd, int partno);
/* BLKPG: a new length for a partition, its start unchanged; works while
 * it is mounted (online growth). */
int blk_resize_partition(int fd, int partno, uint64_t start_bytes, uint64_t len_bytes);
int blk_flush_buffers(int fd);                            /* BLKFLSBUF */
int blk_discard(int fd, uint64_t off, uint64_t len);      /* BLKDISCARD */
int blk_zeroout(int fd, uint64_t off, uint64_t len);      /* BLKZEROOUT */

/* A disk to work on: a block device, or an image file standing in for one. */
struct disk {
	int fd;
	const char *path;
	bool is_blockdev;
	dev_t rdev;     /* block devices only */
	uint64_t size;  /* bytes */
	unsigned lsec;  /* logical sector size */
	unsigned psec;  /* physical sector size */
};

enum {
	DISK_WRITE = 1 << 0, /* open read-write */
	DISK_EXCL = 1 << 1,  /* block devices: O_EXCL, which the kernel refuses
			      * (EBUSY) while mounted, in md/dm, or swapped on */
};

struct bb_error;

/* Opens and measures. file_sector is the sector size assumed for image
 * files (512 or 4096; 0 means 512). Returns 0, or -1 with e filled
 * (EBUSY: DISK_EXCL found the device in use). */
int disk_open(struct disk *d, const char *path, unsigned flags, unsigned file_sector,
	      struct bb_error *e);
void disk_close(struct disk *d);

#endif
