/* Write-aside replacement and the small-file helpers. */
#include "io.h"
#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

/* A named output: a regular file is replaced by rename, a device node or
 * FIFO is written in place and stays what it was, and an input is never
 * an output. The node is made here (never the system's /dev/null). */
TEST(output_writes_nodes_in_place)
{
	char path[4096], node[4096], fifo[4096], link_[4096];
	struct stat st;
	struct output o;
	snprintf(path, sizeof(path), "%s/f", test_tmpdir());
	snprintf(node, sizeof(node), "%s/null", test_tmpdir());
	snprintf(fifo, sizeof(fifo), "%s/p", test_tmpdir());
	snprintf(link_, sizeof(link_), "%s/l", test_tmpdir());
	put(path, "old");
	CHECK_EQ(output_open(&o, path, 0644, NULL, 0), 0);
	CHECK(!o.in_place && write_full(o.fd, "new", 3) == 0 && output_commit(&o) == 0);
	char *txt = read_file(path, 100, NULL);
	CHECK_STR(txt, "new");
	free(txt);
	int in = open(path, O_RDONLY);
	CHECK(symlink(path, link_) == 0);
	CHECK(output_open(&o, path, 0644, &in, 1) == -1 && errno == EEXIST);
	CHECK(output_open(&o, link_, 0644, &in, 1) == -1 && errno == EEXIST);
	close(in);
	if (mknod(node, S_IFCHR | 0666, makedev(1, 3)))
		test_skip("mknod needs CAP_MKNOD");
	CHECK_EQ(output_open(&o, node, 0644, NULL, 0), 0);
	CHECK(o.in_place && write_full(o.fd, "x", 1) == 0 && output_commit(&o) == 0);
	CHECK(lstat(node, &st) == 0 && S_ISCHR(st.st_mode));
	/* two nodes of one device are one output */
	in = open("/dev/null", O_RDONLY);
	CHECK(output_open(&o, node, 0644, &in, 1) == -1 && errno == EEXIST);
	close(in);
	CHECK(mkfifo(fifo, 0600) == 0);
	int rd = open(fifo, O_RDONLY | O_NONBLOCK);
	CHECK_EQ(output_open(&o, fifo, 0644, NULL, 0), 0);
	CHECK(o.in_place && write_full(o.fd, "abc", 3) == 0 && output_commit(&o) == 0);
	char buf[4] = "";
	CHECK(read(rd, buf, 3) == 3 && !memcmp(buf, "abc", 3));
	close(rd);
	CHECK(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
	CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
}
