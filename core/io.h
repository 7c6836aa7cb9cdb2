/* io.h - whole reads and writes, small files, and crash-safe replacement. */
#ifndef BB_IO_H
#define BB_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Loop over short transfers and EINTR. read/pread return the bytes read,
 * fewer than n only at end of file, or -1. The writes return 0 or -1. */
ssize_t read_full(int fd, void *buf, size_t n);
ssize_t pread_full(int fd, void *buf, size_t n, uint64_t off);
int write_full(int fd, const void *buf, size_t n);
int pwrite_full(int fd, const void *buf, size_t n, uint64_t off);

/* open() a file that must be a regular one (flags O_RDONLY or O_RDWR) and
 * fstat it into st. A FIFO in its place would block the open, so it is
 * made with O_NONBLOCK (cleared again after); a device or directory is
 * refused. -1 with *why (errno kept from open, EINVAL when not regular). */
int open_regular(const char *path, int flags, struct stat *st, const char **why);

/* Read a whole (small) regular file, /proc and sysfs ones included, into a
 * NUL-terminated malloc'd buffer; fails with EFBIG past max bytes and
 * EINVAL for what is not a regular file (a FIFO would block). */
char *read_file(const char *path, size_t max, size_t *len);

/* First line of a small file (sysfs attribute, /proc entry), trailing
 * whitespace removed. Returns 0, or -1 when unreadable (buf = ""). */
int read_line(const char *path, char *buf, size_t len);

/* Copy len bytes of from at off to the current position of to. 0, or -1
 * with errno (EIO when from ends early). */
int copy_fd_range(int from, uint64_t off, uint64_t len, int to);

/* fsync the directory holding path, so a rename in it is durable. */
int fsync_parent(const char *path);

/* Write-aside replacement: data goes to a temporary name next to the final
 * one; commit fsyncs it, renames it into place and fsyncs the directory.
 * A crash at any point leaves either the old file or the new one. */
struct aside {
	int fd;
	char tmp[4096];
	char final[4096];
};
int aside_open(struct aside *a, const char *path, unsigned mode);
/* Replace whatever is at the final name. */
int aside_commit(struct aside *a);
/* Never replace: fails with EEXIST (and removes the temporary) if the final
 * name exists by then. */
int aside_commit_new(struct aside *a);
void aside_abort(struct aside *a);

/* One call for a buffer: aside_open + write + aside_commit. */
int write_file_atomic(const char *path, const void *buf, size_t len, unsigned mode);

bool path_exists(const char *path);

/* A named output the user chose (-o FILE). A regular file, or a name not
 * there yet, is written aside and renamed into place on commit, so a
 * failure leaves what was there. Anything else (a device node, FIFO,
 * socket, terminal) is written in place: renaming over it would replace
 * the node with a regular file (as root, -o /dev/null would replace the
 * system's /dev/null). output_open refuses (EEXIST) an output that is
 * the same file or device as one of the n open inputs in in_fds: written
 * aside and renamed, it would replace the input with its own excerpt. */
struct output {
	struct aside a;
	bool in_place;
	int fd; /* write here */
};
int output_open(struct output *o, const char *path, unsigned mode, const int *in_fds, int n);
/* Rename into place (regular), or just close (in place). 0 or -1. */
int output_commit(struct output *o);
/* Forget it: the temporary goes; in place, what was written stays. */
void output_abort(struct output *o);

#endif
