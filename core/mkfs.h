/* mkfs.h - the target of a format (mkfs.vfat, mkswap): a block device or
 * an image file, or an area inside one that starts at a byte offset.
 *
 * mkfs_target_open() asks core/claim whether it may write there (in use:
 * mounted, swap, held by RAID/LVM/dm, backing a loop device, a member of
 * a mounted btrfs; never overridden), opens it for writing, exclusively
 * when it is a block device, and looks for what it holds: claim's strict
 * answer for a whole target (a filesystem, a RAID/LVM/crypto member, a
 * partition table, an MBR), libblkid's signatures in the area when it
 * starts at an offset.
 * One found is refused unless forced; a forced format erases them all
 * with mkfs_wipe() before it writes, so that nothing old is left for
 * blkid to find beside the new one.
 */
#ifndef BB_MKFS_H
#define BB_MKFS_H

#include "blkdev.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bb_error;

struct mkfs_target {
	struct disk d;
	unsigned sector;  /* logical sector size of the filesystem */
	uint64_t off;     /* bytes before the area */
	uint64_t size;    /* bytes of the area: from off to the end */
	char found[400];  /* what a forced open found there, in words ("" when blank) */
};

/* sector: the filesystem's sector size, 0 for the device's (512 for
 * files); a block device refuses one smaller than its own. The area
 * starts off_sectors sectors in. 0, or -1 with e filled: EBUSY in use,
 * EEXIST a signature found and not force (the message says which),
 * EINVAL a sector size, ENOSPC an offset past the end. */
int mkfs_target_open(struct mkfs_target *t, const char *path, unsigned sector,
		     uint64_t off_sectors, bool force, struct bb_error *e);
void mkfs_target_close(struct mkfs_target *t);

/* The signatures in [off, off + size) of fd, in words ("ext4 filesystem,
 * gpt partition table"), "" when none. sector: logical sector size for
 * partition tables. 0, or -1 with e filled. */
int mkfs_signatures(int fd, uint64_t off, uint64_t size, unsigned sector, char *what, size_t len,
		    struct bb_error *e);

/* Zero the magic bytes of every signature found there, then fsync.
 * 0, or -1 with e filled. */
int mkfs_wipe(int fd, uint64_t off, uint64_t size, unsigned sector, struct bb_error *e);

#endif
