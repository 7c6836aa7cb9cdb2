/* exec.c - fork/exec with captured output, a timeout that reaches the
 * whole process group, and the outcome in words. */
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
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

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
	{ "resize2fs", "e2fsprogs" },	{ "xfs_growfs", "xfsprogs" },
	{ "mkfs.f2fs", "f2fs-tools" },	{ "mkfs.exfat", "exfatprogs" },
	{ "mkfs.ntfs", "ntfs-3g" },
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

const char *run_signal_name(int sig, char *buf, size_t len)
{
	static const char *const names[] = {
		[SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",	  [SIGQUIT] = "SIGQUIT",
		[SIGILL] = "SIGILL",   [SIGTRAP] = "SIGTRAP",	  [SIGABRT] = "SIGABRT",
		[SIGBUS] = "SIGBUS",   [SIGFPE] = "SIGFPE",	  [SIGKILL] = "SIGKILL",
		[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV",	  [SIGUSR2] = "SIGUSR2",
		[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM",	  [SIGTERM] = "SIGTERM",
		[SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",	  [SIGSTOP] = "SIGSTOP",
		[SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN",	  [SIGTTOU] = "SIGTTOU",
		[SIGURG] = "SIGURG",   [SIGXCPU] = "SIGXCPU",	  [SIGXFSZ] = "SIGXFSZ",
		[SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF", [SIGWINCH] = "SIGWINCH",
		[SIGIO] = "SIGIO",     [SIGPWR] = "SIGPWR",	  [SIGSYS] = "SIGSYS",
	};
	if (sig > 0 && (size_t)sig < ARRAY_SIZE(names) && names[sig])
		snprintf(buf, len, "%s", names[sig]);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

/* One captured stream: everything, or its last `tail` bytes. */
struct sink {
	int fd;
	bool keep;
	size_t tail, cap;
	char **buf;
	size_t *len, *dropped;
};

static void sink_add(struct sink *s, const char *p, size_t n)
{
	if (s->tail && n >= s->tail) { /* this chunk alone fills the tail */
		*s->dropped += *s->len + n - s->tail;
		p += n - s->tail;
		n = s->tail;
		*s->len = 0;
	} else if (s->tail && *s->len + n > s->tail) {
		size_t drop = *s->len + n - s->tail;
		memmove(*s->buf, *s->buf + drop, *s->len - drop);
		*s->len -= drop;
		*s->dropped += drop;
	}
	if (*s->len + n + 1 > s->cap) {
		size_t cap = s->tail ? s->tail + 1 : (s->cap ? s->cap * 2 : 8192) + n;
		char *b = realloc(*s->buf, cap);
		if (!b) { /* keep draining so the child does not block */
			*s->dropped += n;
			return;
		}
		*s->buf = b;
		s->cap = cap;
	}
	memcpy(*s->buf + *s->len, p, n);
	*s->len += n;
	(*s->buf)[*s->len] = 0;
}

/* Read what is there; closes the pipe at its end. */
static void drain(struct sink *s)
{
	char tmp[16384];
	ssize_t n = read(s->fd, tmp, sizeof(tmp));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(s->fd);
		s->fd = -1;
		return;
	}
	if (s->keep)
		sink_add(s, tmp, (size_t)n);
}

/* After the child is gone: what it wrote is in the pipe already. A
 * grandchild that kept the pipe open is not waited for. */
static void drain_rest(struct sink *s)
{
	if (s->fd < 0)
		return;
	fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
	while (s->fd >= 0) {
		char tmp[16384];
		ssize_t n = read(s->fd, tmp, sizeof(tmp));
		if (n > 0 && s->keep) {
			sink_add(s, tmp, (size_t)n);
		} else if (n <= 0) {
			close(s->fd);
			s->fd = -1;
		}
	}
}

static void __attribute__((noreturn))
child(const char *path, const char *const argv[], const struct run_opts *o, int in, int out,
      int err, int report)
{
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (o->flags & RUN_SESSION) {
		setsid();
		ioctl(0, TIOCSCTTY, 1);
	} else {
		setpgid(0, 0);
	}
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (in >= 0)
		dup2(in, 0);
	else if (!(o->flags & RUN_STDIN))
		dup2(devnull, 0);
	if (out >= 0)
		dup2(out, 1);
	else if (o->flags & RUN_QUIET)
		dup2(devnull, 1);
	if (err >= 0)
		dup2(err, 2);
	else if (o->flags & RUN_QUIET)
		dup2(devnull, 2);
	execve(path, (char *const *)argv, o->envp ? o->envp : environ);
	int why = errno;
	if (write(report, &why, sizeof(why)) < 0) /* the parent reads this as "not started" */
		_exit(127);
	_exit(127);
}

/* The exec's errno, when it failed; 0 once the exec closed the pipe. */
static int exec_failed(int fd)
{
	int why = 0;
	ssize_t n;
	while ((n = read(fd, &why, sizeof(why))) < 0 && errno == EINTR)
		;
	close(fd);
	return n == (ssize_t)sizeof(why) ? why : 0;
}

static long long ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct waiter {
	const struct run_opts *o;
	struct run_result *r;
	struct sink out, err;
	int in_w, pidfd;
	const char *input;
	size_t in_left;
	bool done;
	int phase; /* 0 running, 1 SIGTERM sent, 2 SIGKILL sent */
	long long deadline;
};

static void got_status(struct waiter *w, int st)
{
	struct run_result *r = w->r;
	w->done = true;
	if (WIFEXITED(st)) {
		r->exit_code = WEXITSTATUS(st);
		r->status = r->exit_code;
	} else if (WIFSIGNALED(st)) {
		r->signal = WTERMSIG(st);
		r->core_dumped = WCOREDUMP(st);
		r->status = 128 + r->signal;
	}
	/* Killed for its timeout: what of its group ignored SIGTERM goes too,
	 * though the child itself is gone. */
	if (r->timed_out) {
		r->status = 124;
		kill(-r->pid, SIGKILL);
	}
}

static void reap(struct waiter *w)
{
	int st;
	pid_t p;
	if (w->o->flags & RUN_REAP) {
		while ((p = waitpid(-1, &st, WNOHANG)) > 0)
			if (p == w->r->pid)
				got_status(w, st);
	} else if (!w->done && waitpid(w->r->pid, &st, WNOHANG) == w->r->pid) {
		got_status(w, st);
	}
}

/* The timeout passed: SIGTERM to the group, SIGKILL after the grace
 * period, and "stuck" when even that does not end it. */
static bool escalate(struct waiter *w)
{
	const struct run_opts *o = w->o;
	pid_t pid = w->r->pid;
	w->r->timed_out = true;
	if (w->phase == 0) {
		kill(-pid, SIGTERM);
		w->deadline = ms_now() + (o->grace_ms ? o->grace_ms : 3000);
	} else if (w->phase == 1) {
		kill(-pid, SIGKILL);
		w->deadline = ms_now() + (o->stuck_ms ? o->stuck_ms : 5000);
	} else {
		w->r->stuck = true;
		return false;
	}
	w->phase++;
	return true;
}

static void feed(struct waiter *w)
{
	ssize_t n = write(w->in_w, w->input, w->in_left);
	if (n > 0) {
		w->input += n;
		w->in_left -= (size_t)n;
	}
	if ((n < 0 && errno != EINTR && errno != EAGAIN) || !w->in_left) {
		close(w->in_w);
		w->in_w = -1;
	}
}

/* Until the child is gone (or stuck, or on_wake says stop). Without a
 * pidfd (kernels before 5.3) the child is looked for every 50 ms. */
static void wait_loop(struct waiter *w)
{
	const struct run_opts *o = w->o;
	while (!w->done) {
		struct pollfd p[5] = {
			{ w->out.fd, POLLIN, 0 }, { w->err.fd, POLLIN, 0 }, { w->in_w, POLLOUT, 0 },
			{ w->pidfd, POLLIN, 0 },  { o->wake_fd, POLLIN, 0 },
		};
		int ms = w->pidfd >= 0 ? -1 : 50;
		if (w->deadline) {
			long long left = w->deadline - ms_now();
			left = left < 0 ? 0 : left;
			if (ms < 0 || left < ms)
				ms = (int)(left > 3600000 ? 3600000 : left);
		}
		int n = poll(p, 5, ms);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && p[0].revents)
			drain(&w->out);
		if (n > 0 && p[1].revents)
			drain(&w->err);
		if (n > 0 && p[2].revents)
			feed(w);
		reap(w);
		if (n > 0 && p[4].revents && o->on_wake && o->on_wake(o->arg) && !w->done) {
			w->r->interrupted = true;
			return;
		}
		reap(w);
		if (!w->done && w->deadline && ms_now() >= w->deadline && !escalate(w))
			return;
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Pipes: [0] read end, [1] write end, both close-on-exec (dup2 clears it
 * on the child's copies). */
static int pipes(unsigned flags, const char *input, int po[2], int pe[2], int pi[2], int rep[2])
{
	return ((flags & RUN_OUT) && pipe2(po, O_CLOEXEC)) ||
	       ((flags & RUN_ERR) && pipe2(pe, O_CLOEXEC)) || (input && pipe2(pi, O_CLOEXEC)) ||
	       pipe2(rep, O_CLOEXEC);
}

static int not_found(const char *tool, struct bb_error *e)
{
	const char *pkg = tool_package(tool);
	if (pkg)
		return bb_error_set(e, ENOENT, "%s: not found (Debian package %s provides it)", tool,
				    pkg);
	return bb_error_set(e, ENOENT, "%s: not found in PATH", tool);
}

int run_process(const char *const argv[], const struct run_opts *opts, struct run_result *r,
		struct bb_error *e)
{
	static const struct run_opts none = RUN_OPTS_INIT;
	const struct run_opts *o = opts ? opts : &none;
	const char *file = o->file ? o->file : argv[0];
	char path[4096];
	memset(r, 0, sizeof(*r));
	r->status = r->exit_code = -1;
	r->timeout_ms = o->timeout_ms;
	if (!which(file, path, sizeof(path)))
		return not_found(file, e);
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, pi[2] = { -1, -1 }, rep[2] = { -1, -1 };
	int rc = -1;
	if (pipes(o->flags, o->input, po, pe, pi, rep)) {
		bb_error_errno(e, "%s: pipe", argv[0]);
		goto out;
	}
	fflush(NULL); /* what we printed must not be printed twice */
	r->pid = fork();
	if (r->pid < 0) {
		bb_error_errno(e, "%s: fork", argv[0]);
		goto out;
	}
	if (!r->pid)
		child(path, argv, o, pi[0], po[1], pe[1], rep[1]);
	setpgid(r->pid, r->pid); /* also here: no kill(-pid) before the child did it */
	close_fd(&po[1]), close_fd(&pe[1]), close_fd(&pi[0]), close_fd(&rep[1]);
	int why = exec_failed(rep[0]);
	rep[0] = -1;
	if (why) {
		waitpid(r->pid, NULL, 0);
		errno = why;
		bb_error_errno(e, "%s: cannot run %s", argv[0], path);
		goto out;
	}
	/* A reader that went away must not kill us with SIGPIPE. */
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	struct waiter w = {
		.o = o, .r = r, .in_w = pi[1], .input = o->input,
		.in_left = o->input ? strlen(o->input) : 0,
		.pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0),
		.deadline = o->timeout_ms ? ms_now() + o->timeout_ms : 0,
		.out = { po[0], (o->flags & RUN_OUT) != 0, o->tail, 0, &r->out, &r->out_len, &r->out_dropped },
		.err = { pe[0], (o->flags & RUN_ERR) != 0, o->tail, 0, &r->err, &r->err_len, &r->err_dropped },
	};
	pi[1] = po[0] = pe[0] = -1;
	if (w.in_w >= 0 && !w.in_left)
		close_fd(&w.in_w);
	else if (w.in_w >= 0)
		fcntl(w.in_w, F_SETFL, fcntl(w.in_w, F_GETFL) | O_NONBLOCK);
	wait_loop(&w);
	close_fd(&w.in_w);
	if (w.done) {
		drain_rest(&w.out);
		drain_rest(&w.err);
	}
	close_fd(&w.out.fd), close_fd(&w.err.fd), close_fd(&w.pidfd);
	signal(SIGPIPE, old);
	if (r->timed_out)
		r->status = 124;
	if ((o->flags & RUN_OUT) && !r->out)
		r->out = calloc(1, 1);
	if ((o->flags & RUN_ERR) && !r->err)
		r->err = calloc(1, 1);
	rc = 0;
out:
	for (int i = 0; i < 2; i++)
		close_fd(&po[i]), close_fd(&pe[i]), close_fd(&pi[i]), close_fd(&rep[i]);
	return rc;
}

int run_argv(const char *const argv[], unsigned flags, const char *input, struct run_result *r,
	     struct bb_error *e)
{
	struct run_opts o = RUN_OPTS_INIT;
	o.flags = flags;
	o.input = input;
	return run_process(argv, &o, r, e) ? -1 : r->status;
}

void run_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

static void seconds(unsigned ms, char *buf, size_t len)
{
	if (ms % 1000)
		snprintf(buf, len, "%.1f s", ms / 1000.0);
	else
		snprintf(buf, len, "%u s", ms / 1000);
}

const char *run_words(const struct run_result *r, char *buf, size_t len)
{
	char t[32], sig[32];
	seconds(r->timeout_ms, t, sizeof(t));
	if (r->stuck)
		snprintf(buf, len, "did not finish within %s and cannot be killed (blocked in the "
				   "kernel, e.g. on a hung disk); left behind", t);
	else if (r->timed_out)
		snprintf(buf, len, "did not finish within %s; it was killed", t);
	else if (r->interrupted)
		snprintf(buf, len, "is still running");
	else if (r->signal)
		snprintf(buf, len, "was killed by %s%s", run_signal_name(r->signal, sig, sizeof(sig)),
			 r->core_dumped ? " (core dumped)" : "");
	else if (r->exit_code >= 0)
		snprintf(buf, len, "exited with status %d", r->exit_code);
	else
		snprintf(buf, len, "did not run");
	return buf;
}

int run_success(const char *const argv[], const struct run_result *r, struct bb_error *e)
{
	if (r->exit_code == 0 && !r->timed_out && !r->interrupted)
		return 0;
	char words[200];
	run_words(r, words, sizeof(words));
	/* the last non-empty line of stderr usually says why */
	const char *last = NULL;
	int n = 0;
	for (const char *p = r->err, *end = r->err ? r->err + r->err_len : NULL; p && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (l) {
			last = p;
			n = (int)(l > 300 ? 300 : l);
		}
		p += l + 1;
	}
	if (last)
		return bb_error_set(e, EIO, "%s %s: %.*s", argv[0], words, n, last);
	return bb_error_set(e, EIO, "%s %s", argv[0], words);
}
