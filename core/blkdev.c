/* blkdev.c - thin, checked wrappers over the block layer's ioctls. */
#include "blkdev.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

int blk_size_bytes(int fd, uint64_t *bytes) { return ioctl(fd, BLKGETSIZE64, bytes); }

int blk_logical_sector(int fd, unsigned *ssz)
{
	int v = 0;
	if (ioctl(fd, BLKSSZGET, &v))
		return -1;
	*ssz = (unsigned)v;
	return 0;
}

int blk_physical_sector(int fd, unsigned *psz)
{
	unsigned v = 0;
	if (ioctl(fd, BLKPBSZGET, &v))
		return -1;
	*psz = v;
	return 0;
}

int blk_reread_table(int fd) { return ioctl(fd, BLKRRPART, NULL); }

static int blkpg(int fd, int op, int partno, uint64_t start, uint64_t len)
{
	if (start > INT64_MAX || len > INT64_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	struct blkpg_partition part;
	memset(&part, 0, sizeof(part));
	part.pno = partno;
	part.start = (long long)start;
	part.length = (long long)len;
	struct blkpg_ioctl_arg arg = {
		.op = op,
		.flags = 0,
		.datalen = sizeof(part),
		.data = &part,
	};
	return ioctl(fd, BLKPG, &arg);
}

int blk_add_partition(int fd, int partno, uint64_t start_bytes, uint64_t len_bytes)
{
	return blkpg(fd, BLKPG_ADD_PARTITION, partno, start_bytes, len_bytes);
}

int blk_del_partition(int fd, int partno) { return blkpg(fd, BLKPG_DEL_PARTITION, partno, 0, 0); }

int blk_resize_partition(int fd, int partno, uint64_t start_bytes, uint64_t len_bytes)
{
	return blkpg(fd, BLKPG_RESIZE_PARTITION, partno, start_bytes, len_bytes);
}

int blk_flush_buffers(int fd) { return ioctl(fd, BLKFLSBUF, 0); }

int blk_discard(int fd, uint64_t off, uint64_t len)
{
	uint64_t range[2] = { off, len };
	return ioctl(fd, BLKDISCARD, range);
}

int blk_zeroout(int fd, uint64_t off, uint64_t len)
{
	uint64_t range[2] = { off, len };
	return ioctl(fd, BLKZEROOUT, range);
}

static int measure(struct disk *d, unsigned file_sector, struct bb_error *e)
{
	struct stat st;
	if (fstat(d->fd, &st))
		return bb_error_errno(e, "%s: stat", d->path);
	if (S_ISBLK(st.st_mode)) {
		d->is_blockdev = true;
		d->rdev = st.st_rdev;
		if (blk_size_bytes(d->fd, &d->size) || blk_logical_sector(d->fd, &d->lsec))
			return bb_error_errno(e, "%s: reading the device size", d->path);
		if (blk_physical_sector(d->fd, &d->psec))
			d->psec = d->lsec;
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return bb_error_set(e, ENODEV, "%s: not a block device or a regular file", d->path);
	d->size = (uint64_t)st.st_size;
	d->lsec = d->psec = file_sector ? file_sector : 512;
	return 0;
}

int disk_open(struct disk *d, const char *path, unsigned flags, unsigned file_sector,
	      struct bb_error *e)
{
	memset(d, 0, sizeof(*d));
	d->path = path;
	d->fd = -1;
	if (file_sector && file_sector != 512 && file_sector != 4096)
		return bb_error_set(e, EINVAL, "%s: sector size %u is not 512 or 4096", path,
				    file_sector);
	int oflags = (flags & DISK_WRITE ? O_RDWR : O_RDONLY) | O_CLOEXEC;
	/* O_NONBLOCK until measure() has seen a disk or a file: opening a
	 * FIFO for reading would wait for a writer forever. */
	d->fd = open(path, oflags | O_NONBLOCK);
	if (d->fd < 0)
		return bb_error_errno(e, "%s: open", path);
	if (measure(d, file_sector, e) ||
	    (fcntl(d->fd, F_SETFL, fcntl(d->fd, F_GETFL) & ~O_NONBLOCK) &&
	     bb_error_errno(e, "%s: fcntl", path))) {
		close(d->fd);
		d->fd = -1;
		return -1;
	}
	if (d->is_blockdev && (flags & DISK_EXCL)) {
		/* Reopen exclusively: this is the kernel's own answer to
		 * "is anything using this disk?". */
		int fd = open(path, oflags | O_EXCL);
		if (fd < 0) {
			if (errno == EBUSY)
				bb_error_set(e, EBUSY,
					     "%s: in use (mounted, swap, or part of RAID/LVM/dm)", path);
			else
				bb_error_errno(e, "%s: open exclusively", path);
			close(d->fd);
			d->fd = -1;
			return -1;
		}
		close(d->fd);
		d->fd = fd;
	}
	return 0;
}

void disk_close(struct disk *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}
