/* Write-aside replacement and the small-file helpers. */
#include "io.h"
#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static int entries(const char *dir)
{
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

TEST(aside_replaces_atomically)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/f", test_tmpdir());
	put(path, "old");
	struct aside a;
	CHECK_EQ(aside_open(&a, path, 0644), 0);
	CHECK_EQ(write_full(a.fd, "new!", 4), 0);
	/* until the commit the old content is what a reader sees */
	char *txt = read_file(path, 100, NULL);
	CHECK_STR(txt, "old");
	free(txt);
	CHECK_EQ(aside_commit(&a), 0);
	txt = read_file(path, 100, NULL);
	CHECK_STR(txt, "new!");
	free(txt);
	CHECK_EQ(entries(test_tmpdir()), 1);
}

TEST(aside_abort_leaves_old)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/f", test_tmpdir());
	put(path, "old");
	struct aside a;
	CHECK_EQ(aside_open(&a, path, 0644), 0);
	write_full(a.fd, "partial", 7);
	aside_abort(&a);
	char *txt = read_file(path, 100, NULL);
	CHECK_STR(txt, "old");
	free(txt);
	CHECK_EQ(entries(test_tmpdir()), 1);
}

TEST(aside_commit_new_never_replaces)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/shard", test_tmpdir());
	struct aside a;
	CHECK_EQ(aside_open(&a, path, 0644), 0);
	write_full(a.fd, "first", 5);
	CHECK_EQ(aside_commit_new(&a), 0);
	CHECK_EQ(aside_open(&a, path, 0644), 0);
	write_full(a.fd, "second", 6);
	CHECK_EQ(aside_commit_new(&a), -1);
	CHECK_EQ(errno, EEXIST);
	char *txt = read_file(path, 100, NULL);
	CHECK_STR(txt, "first");
	free(txt);
	CHECK_EQ(entries(test_tmpdir()), 1);
}

TEST(read_line_and_limits)
{
	char path[4096], buf[64];
	snprintf(path, sizeof(path), "%s/attr", test_tmpdir());
	put(path, "  Samsung SSD  \t\nsecond line\n");
	CHECK_EQ(read_line(path, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "  Samsung SSD");
	CHECK_EQ(read_line("/nonexistent", buf, sizeof(buf)), -1);
	CHECK_STR(buf, "");
	size_t len;
	char *txt = read_file(path, 8, &len);
	CHECK(txt == NULL && errno == EFBIG);
	CHECK(path_exists(path) && !path_exists("/nonexistent"));
}

TEST(pread_pwrite_full)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/img", test_tmpdir());
	int fd = open(path, O_RDWR | O_CREAT, 0644);
	char buf[100] = "hello";
	CHECK_EQ(pwrite_full(fd, buf, 5, 1 << 20), 0);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(pread_full(fd, buf, sizeof(buf), 1 << 20), 5);
	CHECK_STR(buf, "hello");
	CHECK_EQ(pread_full(fd, buf, 10, UINT64_MAX - 3), -1);
	close(fd);
}

TEST(open_regular_refuses_fifo_and_dirs)
{
	char path[4096];
	const char *why;
	struct stat st;
	snprintf(path, sizeof(path), "%s/f", test_tmpdir());
	CHECK(open_regular(path, O_RDONLY, &st, &why) == -1 && errno == ENOENT);
	CHECK(mkfifo(path, 0600) == 0); /* a plain open would wait for a writer */
	CHECK(open_regular(path, O_RDONLY, &st, &why) == -1 && errno == EINVAL);
	CHECK_STR(why, "not a regular file");
	CHECK(open_regular(test_tmpdir(), O_RDONLY, &st, &why) == -1 && errno == EINVAL);
	CHECK(unlink(path) == 0 && write_file_atomic(path, "abc", 3, 0644) == 0);
	int fd = open_regular(path, O_RDWR, &st, &why);
	CHECK(fd >= 0 && st.st_size == 3 && !(fcntl(fd, F_GETFL) & O_NONBLOCK));
	close(fd);
	/* read_file goes through it: a FIFO does not hang it */
	CHECK(unlink(path) == 0 && mkfifo(path, 0600) == 0);
	CHECK(read_file(path, 100, NULL) == NULL && errno == EINVAL);
	size_t len;
	char *txt = read_file("/proc/self/stat", 4096, &len); /* st_size 0, yet whole */
	CHECK(txt && len > 0);
	free(txt);
}
