/* io.c - I/O loops and the write-aside/fsync/rename dance. */
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1 /* linux/fs.h; musl before 1.2.4 lacks it */
#endif

ssize_t read_full(int fd, void *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = read(fd, (char *)buf + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (!r)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

ssize_t pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	size_t done = 0;
	if (off > (uint64_t)INT64_MAX - n) {
		errno = EOVERFLOW;
		return -1;
	}
	while (done < n) {
		ssize_t r = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (!r)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

int write_full(int fd, const void *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = write(fd, (const char *)buf + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)
				errno = EIO;
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

int pwrite_full(int fd, const void *buf, size_t n, uint64_t off)
{
	size_t done = 0;
	if (off > (uint64_t)INT64_MAX - n) {
		errno = EOVERFLOW;
		return -1;
	}
	while (done < n) {
		ssize_t r = pwrite(fd, (const char *)buf + done, n - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)
				errno = ENOSPC;
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

int open_regular(const char *path, int flags, struct stat *st, const char **why)
{
	int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, st)) {
		int e = errno;
		*why = strerror(e);
		if (fd >= 0)
			close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		*why = "not a regular file";
		close(fd);
		errno = EINVAL;
		return -1;
	}
	/* regular files ignore O_NONBLOCK; clear it all the same */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* Has fd anything left to read? */
static int at_eof(int fd)
{
	char c;
	ssize_t r;
	while ((r = read(fd, &c, 1)) < 0 && errno == EINTR)
		;
	return r == 0 ? 1 : r < 0 ? -1 : 0;
}

char *read_file(const char *path, size_t max, size_t *len)
{
	struct stat st;
	const char *why;
	int fd = open_regular(path, O_RDONLY, &st, &why);
	if (fd < 0)
		return NULL;
	size_t cap = max < 4096 ? max : 4096, n = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		if (n == cap) {
			if (cap >= max) { /* full: fine only if nothing is left */
				int eof = at_eof(fd);
				if (eof == 1)
					goto done;
				if (eof == 0)
					errno = EFBIG;
				break;
			}
			cap = cap > max / 2 ? max : cap * 2;
			char *b = realloc(buf, cap + 1);
			if (!b)
				break;
			buf = b;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if (!r)
			goto done;
		n += (size_t)r;
	}
	int e = errno;
	free(buf);
	close(fd);
	errno = e;
	return NULL;
done:
	close(fd);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

int read_line(const char *path, char *buf, size_t len)
{
	buf[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read_full(fd, buf, len - 1);
	close(fd);
	if (n < 0) {
		buf[0] = 0;
		return -1;
	}
	buf[n] = 0;
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	size_t l = strlen(buf);
	while (l && (buf[l - 1] == ' ' || buf[l - 1] == '\t' || buf[l - 1] == '\r'))
		buf[--l] = 0;
	return 0;
}

int copy_fd_range(int from, uint64_t off, uint64_t len, int to)
{
	size_t cap = 1 << 20;
	uint8_t *buf = malloc(cap);
	if (!buf)
		return -1;
	int rc = 0;
	for (uint64_t done = 0; !rc && done < len;) {
		size_t n = len - done < cap ? (size_t)(len - done) : cap;
		ssize_t r = pread_full(from, buf, n, off + done);
		if (r >= 0 && (size_t)r < n)
			errno = EIO;
		if (r != (ssize_t)n || write_full(to, buf, n))
			rc = -1;
		done += n;
	}
	int e = errno;
	free(buf);
	errno = e;
	return rc;
}

int fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

int aside_open(struct aside *a, const char *path, unsigned mode)
{
	a->fd = -1;
	if (snprintf(a->final, sizeof(a->final), "%s", path) >= (int)sizeof(a->final)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* The pid keeps two concurrent runs from sharing a temporary. */
	for (int attempt = 0; attempt < 100; attempt++) {
		snprintf(a->tmp, sizeof(a->tmp), "%s.tmp-%d-%d", path, (int)getpid(), attempt);
		a->fd = open(a->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		if (a->fd >= 0 || errno != EEXIST)
			break;
	}
	return a->fd < 0 ? -1 : 0;
}

static int flush_and_close(struct aside *a)
{
	/* close() exactly once, whatever fails: the number may be reused */
	int rc = fsync(a->fd);
	int e = errno;
	if (close(a->fd) && !rc) {
		rc = -1;
		e = errno;
	}
	a->fd = -1;
	if (rc) {
		unlink(a->tmp);
		errno = e;
	}
	return rc;
}

int aside_commit(struct aside *a)
{
	if (flush_and_close(a))
		return -1;
	if (rename(a->tmp, a->final)) {
		int e = errno;
		unlink(a->tmp);
		errno = e;
		return -1;
	}
	return fsync_parent(a->final);
}

int aside_commit_new(struct aside *a)
{
	if (flush_and_close(a))
		return -1;
	/* link() refuses an existing name atomically; rename() would not.
	 * Filesystems without hard links (vfat, exfat) refuse link() itself;
	 * renameat2's RENAME_NOREPLACE gives them the same guarantee. */
	if (!link(a->tmp, a->final)) {
		unlink(a->tmp);
		return fsync_parent(a->final);
	}
	if ((errno == EPERM || errno == EOPNOTSUPP) &&
	    !syscall(SYS_renameat2, AT_FDCWD, a->tmp, AT_FDCWD, a->final, RENAME_NOREPLACE))
		return fsync_parent(a->final);
	int e = errno;
	unlink(a->tmp);
	errno = e;
	return -1;
}

void aside_abort(struct aside *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	unlink(a->tmp);
}

int write_file_atomic(const char *path, const void *buf, size_t len, unsigned mode)
{
	struct aside a;
	if (aside_open(&a, path, mode))
		return -1;
	if (write_full(a.fd, buf, len)) {
		int e = errno;
		aside_abort(&a);
		errno = e;
		return -1;
	}
	return aside_commit(&a);
}

bool path_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* Same file: one inode, or for device nodes one device (two nodes of one
 * disk are still one disk). */
static bool same_file(const struct stat *a, const struct stat *b)
{
	if ((S_ISBLK(a->st_mode) && S_ISBLK(b->st_mode)) ||
	    (S_ISCHR(a->st_mode) && S_ISCHR(b->st_mode)))
		return a->st_rdev == b->st_rdev;
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

int output_open(struct output *o, const char *path, unsigned mode, const int *in_fds, int n)
{
	struct stat st, in;
	o->in_place = false;
	o->fd = -1;
	o->a.fd = -1;
	if (stat(path, &st) == 0) {
		for (int i = 0; i < n; i++)
			if (!fstat(in_fds[i], &in) && same_file(&st, &in)) {
				errno = EEXIST;
				return -1;
			}
		o->in_place = !S_ISREG(st.st_mode);
	}
	if (o->in_place) {
		/* O_NOCTTY: a terminal named here must not become ours */
		o->fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		return o->fd < 0 ? -1 : 0;
	}
	if (aside_open(&o->a, path, mode))
		return -1;
	o->fd = o->a.fd;
	return 0;
}

int output_commit(struct output *o)
{
	if (!o->in_place)
		return aside_commit(&o->a);
	/* a FIFO or terminal cannot be synced; a device can and must be */
	int rc = fsync(o->fd);
	if (rc && (errno == EINVAL || errno == EROFS || errno == ENOTSUP))
		rc = 0;
	int e = errno;
	if (close(o->fd) && !rc) {
		rc = -1;
		e = errno;
	}
	o->fd = -1;
	errno = e;
	return rc;
}

void output_abort(struct output *o)
{
	if (!o->in_place) {
		aside_abort(&o->a);
	} else if (o->fd >= 0) {
		close(o->fd);
		o->fd = -1;
	}
}
