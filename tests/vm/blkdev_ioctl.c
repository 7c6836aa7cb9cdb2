/* blkdev_ioctl DISK: core/blkdev.c's ioctls on a real (virtio) disk in the
 * guest. Built static with musl on the host by tests/vm/15-blkdev.sh;
 * prints PASS/FAIL lines like tests/lib.sh. The disk must be blank. */
#include "blkdev.h"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failed;

static void check(int ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s ", ok ? "PASS" : "FAIL");
	vprintf(fmt, ap);
	if (!ok)
		printf(" (errno %d: %s)", errno, strerror(errno));
	putchar('\n');
	fflush(stdout);
	va_end(ap);
	failed |= !ok;
}

/* A sysfs attribute of the disk or of one of its partitions, as a number. */
static long long attr(const char *dev, const char *part, const char *name)
{
	char path[256], buf[64];
	snprintf(path, sizeof(path), "/sys/class/block/%s%s/%s", dev, part, name);
	if (read_line(path, buf, sizeof(buf)))
		return -1;
	return atoll(buf);
}

static int all_bytes(const unsigned char *b, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != v)
			return 0;
	return 1;
}

static void sizes(struct disk *d, const char *name)
{
	uint64_t bytes = 0;
	unsigned lsec = 0, psec = 0;
	/* each ioctl before its check: argument evaluation order is unspecified */
	int rc = blk_size_bytes(d->fd, &bytes);
	check(!rc && bytes == (uint64_t)attr(name, "", "size") * 512,
	      "BLKGETSIZE64 = sysfs size (%llu bytes)", (unsigned long long)bytes);
	rc = blk_logical_sector(d->fd, &lsec);
	check(!rc && lsec == (unsigned)attr(name, "", "queue/logical_block_size"),
	      "BLKSSZGET = queue/logical_block_size (%u)", lsec);
	rc = blk_physical_sector(d->fd, &psec);
	check(!rc && psec == (unsigned)attr(name, "", "queue/physical_block_size"),
	      "BLKPBSZGET = queue/physical_block_size (%u)", psec);
	check(d->is_blockdev && d->size == bytes && d->lsec == lsec, "disk_open measures the device");
}

/* BLKZEROOUT clears exactly its range; BLKDISCARD is accepted when the
 * queue advertises discard; BLKFLSBUF drops the page cache of the disk. */
static void zero_discard_flush(struct disk *d)
{
	size_t n = 3 << 20;
	unsigned char *buf = malloc(n);
	memset(buf, 0xa5, n);
	check(!pwrite_full(d->fd, buf, n, 1 << 20) && !fsync(d->fd), "write a pattern");
	check(!blk_zeroout(d->fd, 2 << 20, 1 << 20), "BLKZEROOUT of 1 MiB at 2 MiB");
	check(pread_full(d->fd, buf, n, 1 << 20) == (ssize_t)n, "read it back");
	check(all_bytes(buf, 1 << 20, 0xa5) && all_bytes(buf + (1 << 20), 1 << 20, 0) &&
		      all_bytes(buf + (2 << 20), 1 << 20, 0xa5),
	      "exactly the range is zero, its neighbours kept");
	int rc = blk_discard(d->fd, 1 << 20, 1 << 20);
	if (attr(d->path + 5, "", "queue/discard_max_bytes") > 0)
		check(!rc, "BLKDISCARD on a disk that advertises discard");
	else
		check(rc && errno == EOPNOTSUPP, "BLKDISCARD refused cleanly without discard");
	check(!blk_flush_buffers(d->fd), "BLKFLSBUF");
	check(blk_zeroout(d->fd, 1, 512) && errno == EINVAL, "BLKZEROOUT of a misaligned range fails");
	free(buf);
}

/* BLKPG adds and deletes one partition while another is open, which is
 * exactly when BLKRRPART is refused. */
static void partitions(struct disk *d, const char *name)
{
	unsigned lsec = d->lsec;
	check(!blk_add_partition(d->fd, 1, 1 << 20, 8 << 20), "BLKPG add partition 1 at 1 MiB");
	check(attr(name, "1", "start") == 2048 && attr(name, "1", "size") == 16384,
	      "the kernel has it at sector 2048 (512-byte units), 16384 long");
	char p1[64];
	snprintf(p1, sizeof(p1), "%s1", d->path);
	int held = open(p1, O_RDONLY | O_EXCL);
	check(held >= 0, "partition 1 opened exclusively");
	check(blk_reread_table(d->fd) && errno == EBUSY, "BLKRRPART refused while it is open");
	check(!blk_add_partition(d->fd, 2, 16 << 20, 4 << 20), "BLKPG still adds partition 2");
	check(attr(name, "2", "start") == (16 << 20) / 512, "partition 2 at 16 MiB");
	check(blk_add_partition(d->fd, 3, 2 << 20, 1 << 20) && errno == EBUSY,
	      "BLKPG refuses an overlapping partition");
	check(blk_add_partition(d->fd, 4, (1 << 20) + lsec / 2, 1 << 20) && errno == EINVAL,
	      "BLKPG refuses a start that is not sector-aligned");
	check(blk_del_partition(d->fd, 1) && errno == EBUSY, "BLKPG will not delete an open partition");
	close(held);
	check(!blk_del_partition(d->fd, 1) && attr(name, "1", "start") < 0, "BLKPG deletes partition 1");
	check(!blk_del_partition(d->fd, 2), "BLKPG deletes partition 2");
	check(!blk_reread_table(d->fd), "BLKRRPART once nothing is open");
	check(attr(name, "2", "start") < 0, "no partitions left (the disk has no table)");
}

static void exclusive(const char *path)
{
	struct disk d;
	int hold = open(path, O_RDONLY | O_EXCL);
	check(hold >= 0, "hold the disk exclusively");
	check(disk_open(&d, path, DISK_WRITE | DISK_EXCL, 0, NULL) == -1, "DISK_EXCL refuses a held disk");
	close(hold);
	check(disk_open(&d, path, DISK_WRITE | DISK_EXCL, 0, NULL) == 0, "DISK_EXCL once released");
	disk_close(&d);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: blkdev_ioctl DISK\n");
		return 2;
	}
	const char *name = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
	struct disk d;
	check(!disk_open(&d, argv[1], DISK_WRITE, 0, NULL), "open %s", argv[1]);
	if (failed)
		return 1;
	sizes(&d, name);
	zero_discard_flush(&d);
	partitions(&d, name);
	disk_close(&d);
	exclusive(argv[1]);
	return failed;
}
