/* disk_open and probe_path fill a struct bb_error and print nothing. */
#include "blkdev.h"
#include "error.h"
#include "probe.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

TEST(disk_open_errors_in_words)
{
	char fifo[4200], img[4200];
	snprintf(fifo, sizeof(fifo), "%s/fifo", test_tmpdir());
	snprintf(img, sizeof(img), "%s/img", test_tmpdir());
	CHECK_EQ(mkfifo(fifo, 0600), 0);
	struct disk d;
	struct bb_error e;
	bb_error_clear(&e);
	/* a FIFO is neither a disk nor an image, and opening it does not hang */
	CHECK_EQ(disk_open(&d, fifo, 0, 0, &e), -1);
	CHECK_EQ(e.code, ENODEV);
	char want[4400];
	snprintf(want, sizeof(want), "%s: not a block device or a regular file", fifo);
	CHECK_STR(e.msg, want);
	CHECK_EQ(d.fd, -1);
	CHECK_EQ(disk_open(&d, img, 0, 0, &e), -1);
	CHECK_EQ(e.code, ENOENT);
	int fd = open(img, O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0 && !ftruncate(fd, 1 << 20));
	close(fd);
	CHECK_EQ(disk_open(&d, img, 0, 1024, &e), -1);
	CHECK_EQ(e.code, EINVAL);
	bb_error_clear(&e);
	CHECK_EQ(disk_open(&d, img, DISK_WRITE | DISK_EXCL, 4096, &e), 0);
	CHECK(!bb_error_is_set(&e));
	CHECK_EQ(d.size, 1 << 20);
	CHECK_EQ(d.lsec, 4096);
	disk_close(&d);
}

TEST(probe_path_errors_in_words)
{
	char img[4200];
	snprintf(img, sizeof(img), "%s/none", test_tmpdir());
	struct probe_info pi;
	struct bb_error e;
	CHECK_EQ(probe_path(img, &pi, &e), -1);
	CHECK_EQ(e.code, ENOENT);
	CHECK_EQ(probe_path(test_tmpdir(), &pi, &e), -1);
	CHECK_EQ(e.code, ENODEV);
	int fd = open(img, O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0 && !ftruncate(fd, 1 << 20));
	close(fd);
	bb_error_clear(&e);
	CHECK_EQ(probe_path(img, &pi, &e), 0);
	CHECK_STR(pi.type, "");
	CHECK(!bb_error_is_set(&e));
}
