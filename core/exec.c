/* exec.c - fork/exec with captured output. */
#include "exec.h"
#include "bb.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Tools blockbox may call and where Debian keeps them. */
static const struct {
	const char *tool, *pkg;
} tool_pkgs[] = {
	{ "mkfs.ext4", "e2fsprogs" },	{ "mke2fs", "e2fsprogs" },
	{ "e2fsck", "e2fsprogs" },	{ "mkfs.btrfs", "btrfs-progs" },
	{ "btrfs", "btrfs-progs" },	{ "mkfs.xfs", "xfsprogs" },
	{ "mkfs.vfat", "dosfstools" },	{ "bcachefs", "bcachefs-tools" },
	{ "mdadm", "mdadm" },		{ "lvm", "lvm2" },
	{ "dmsetup", "dmsetup" },	{ "sgdisk", "gdisk" },
	{ "sfdisk", "fdisk" },		{ "qemu-system-x86_64", "qemu-system-x86" },
};

const char *tool_package(const char *tool)
{
	const char *base = strrchr(tool, '/');
	base = base ? base + 1 : tool;
	for (size_t i = 0; i < ARRAY_SIZE(tool_pkgs); i++)
		if (!strcmp(tool_pkgs[i].tool, base))
			return tool_pkgs[i].pkg;
	return NULL;
}

const char *which(const char *tool, char *buf, size_t len)
{
	if (strchr(tool, '/')) {
		if (access(tool, X_OK))
			return NULL;
		snprintf(buf, len, "%s", tool);
		return buf;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t n = colon ? (size_t)(colon - path) : strlen(path);
		int w = snprintf(buf, len, "%.*s/%s", (int)n, path, tool);
		struct stat st;
		if (n && w > 0 && (size_t)w < len && !stat(buf, &st) && S_ISREG(st.st_mode) &&
		    !access(buf, X_OK))
			return buf;
		path += n + (colon ? 1 : 0);
	}
	return NULL;
}

struct sink {
	int fd;
	char **buf;
	size_t *len, cap;
};

static int drain(struct sink *s)
{
	char tmp[4096];
	ssize_t n = read(s->fd, tmp, sizeof(tmp));
	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return 1;
		close(s->fd);
		s->fd = -1;
		return 0;
	}
	if (!s->buf)
		return 1;
	if (*s->len + (size_t)n + 1 > s->cap) {
		size_t cap = (s->cap ? s->cap * 2 : 8192) + (size_t)n;
		char *b = realloc(*s->buf, cap);
		if (!b)
			return 1; /* keep draining so the child does not block */
		*s->buf = b;
		s->cap = cap;
	}
	memcpy(*s->buf + *s->len, tmp, (size_t)n);
	*s->len += (size_t)n;
	(*s->buf)[*s->len] = 0;
	return 1;
}

static void child(const char *path, const char *const argv[], int in, int out, int err,
		  unsigned flags)
{
	int devnull = open("/dev/null", O_RDWR);
	dup2(in >= 0 ? in : devnull, 0);
	if (out >= 0)
		dup2(out, 1);
	else if (flags & RUN_QUIET)
		dup2(devnull, 1);
	if (err >= 0)
		dup2(err, 2);
	else if (flags & RUN_QUIET)
		dup2(devnull, 2);
	execv(path, (char *const *)argv);
	_exit(127);
}

/* Feeds input and collects outputs until both pipes close. */
static void pump(int in_w, const char *input, struct sink *o, struct sink *e)
{
	size_t in_left = input ? strlen(input) : 0;
	if (in_w >= 0 && !in_left) {
		close(in_w);
		in_w = -1;
	}
	while (o->fd >= 0 || e->fd >= 0 || in_w >= 0) {
		struct pollfd p[3] = { { o->fd, POLLIN, 0 }, { e->fd, POLLIN, 0 },
				       { in_w, POLLOUT, 0 } };
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			drain(o);
		if (p[1].revents)
			drain(e);
		if (p[2].revents) {
			ssize_t n = write(in_w, input, in_left);
			if (n > 0) {
				input += n;
				in_left -= (size_t)n;
			}
			if (n < 0 || !in_left) {
				close(in_w);
				in_w = -1;
			}
		}
	}
	if (in_w >= 0)
		close(in_w);
}

int run_argv(const char *const argv[], unsigned flags, const char *input, struct run_result *r,
	     struct bb_error *e)
{
	char path[4096];
	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (!which(argv[0], path, sizeof(path))) {
		const char *pkg = tool_package(argv[0]);
		if (pkg)
			return bb_error_set(e, ENOENT, "%s: not found (Debian package %s provides it)",
					    argv[0], pkg);
		return bb_error_set(e, ENOENT, "%s: not found in PATH", argv[0]);
	}
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, pi[2] = { -1, -1 };
	if (((flags & RUN_OUT) && pipe2(po, O_CLOEXEC)) || ((flags & RUN_ERR) && pipe2(pe, O_CLOEXEC)) ||
	    (input && pipe2(pi, O_CLOEXEC))) {
		bb_error_errno(e, "%s: pipe", argv[0]);
		goto fail;
	}
	pid_t pid = fork();
	if (pid < 0) {
		bb_error_errno(e, "%s: fork", argv[0]);
		goto fail;
	}
	if (!pid)
		child(path, argv, pi[0], po[1], pe[1], flags);
	close(po[1]), close(pe[1]), close(pi[0]);
	/* A reader that went away must not kill us with SIGPIPE. */
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	struct sink o = { po[0], flags & RUN_OUT ? &r->out : NULL, &r->out_len, 0 };
	struct sink se = { pe[0], flags & RUN_ERR ? &r->err : NULL, &r->err_len, 0 };
	pump(pi[1], input, &o, &se);
	signal(SIGPIPE, old);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (!r->out && (flags & RUN_OUT))
		r->out = calloc(1, 1);
	if (!r->err && (flags & RUN_ERR))
		r->err = calloc(1, 1);
	return r->status;
fail:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
		if (pi[i] >= 0)
			close(pi[i]);
	}
	return -1;
}

void run_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}
