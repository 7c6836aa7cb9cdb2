/* plan.c - the steps of a run: added in order, then carried out in order
 * (or, --dry-run, only marked), each timed. The plan printed is the list
 * executed: nothing writes to a disk or mounts outside a step. */
#include "sysvol.h"

#include "blkdev.h"
#include "btrfs.h"
#include "clock.h"
#include "exec.h"
#include "gpt.h"
#include "io.h"
#include "mem.h"
#include "mkfs.h"
#include "mkswap.h"
#include "mount.h"
#include "vfat.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/swap.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SV_TOOL_TIMEOUT_MS (20 * 60 * 1000) /* mkfs of a large disk under TCG */

struct sv_step *sv_step_add(struct sv_ctx *c, enum sv_step_kind kind, int part,
			    struct bb_error *e, const char *fmt, ...)
{
	if (c->nsteps == SV_MAX_STEPS) {
		bb_error_set(e, E2BIG, "more than %d steps: the layout is too large", SV_MAX_STEPS);
		return NULL;
	}
	struct sv_step *s = &c->step[c->nsteps++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->part = part;
	s->disk = -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->what, sizeof(s->what), fmt, ap);
	va_end(ap);
	return s;
}

int sv_step_argv(struct sv_step *s, const char *const *argv, struct bb_error *e)
{
	size_t n = 0;
	for (; argv[n]; n++) {
		if (n == SV_ARGV_MAX)
			return bb_error_set(e, E2BIG, "%s: more than %d arguments", argv[0], SV_ARGV_MAX);
		if (!(s->argv[n] = strdup(argv[n])))
			return bb_error_errno(e, "memory");
	}
	s->argv[n] = NULL;
	return 0;
}

void sv_steps_free(struct sv_ctx *c)
{
	for (size_t i = 0; i < c->nsteps; i++) {
		struct sv_step *s = &c->step[i];
		for (char **a = s->argv; *a; a++)
			free(*a);
		if (s->gpt) {
			gpt_free(s->gpt);
			free(s->gpt);
		}
	}
	c->nsteps = c->nrun = 0;
}

/* The kernel makes the partition nodes (devtmpfs) a moment after it
 * learns of them: wait for them, up to 10 s. */
static int wait_nodes(const struct sv_ctx *c, const struct sv_disk *d, struct bb_error *e)
{
	for (int tries = 0;; tries++) {
		size_t missing = 0;
		const char *one = NULL;
		for (size_t i = 0; i < c->layout.nparts; i++) {
			char p[SV_DEV];
			sv_part_dev(d, (unsigned)i + 1, p, sizeof(p));
			if (access(p, F_OK)) {
				missing++;
				one = d->path;
			}
		}
		if (!missing)
			return 0;
		if (tries == 200)
			return bb_error_set(e, ENOENT, "%s: %zu partition device nodes did not appear "
					    "within 10 s", one, missing);
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

static int do_gpt(struct sv_ctx *c, struct sv_step *s, struct bb_error *e)
{
	struct disk d;
	if (disk_open(&d, s->target, DISK_WRITE | DISK_EXCL, 0, e))
		return -1;
	int r = gpt_write(s->gpt, d.fd);
	if (r)
		bb_error_set(e, s->gpt->err.code, "%s: write the partition table: %s", s->target,
			     s->gpt->err.msg);
	else if (d.is_blockdev && gpt_sync_kernel(s->gpt, d.fd, d.rdev, e))
		r = bb_error_prefix(e, "%s", s->target);
	disk_close(&d);
	if (!r && d.is_blockdev && s->disk >= 0)
		r = wait_nodes(c, &c->disk[s->disk], e);
	return r;
}

/* FAT32 or swap on a target the claim check finds free and blank: a
 * target that holds anything is refused, never overwritten. */
static int do_format(struct sv_step *s, struct bb_error *e)
{
	struct mkfs_target t;
	if (mkfs_target_open(&t, s->target, 0, 0, false, e))
		return -1;
	int r;
	if (s->kind == SV_STEP_VFAT) {
		struct vfat_params p = { .size = t.size, .sector = t.sector, .fat_bits = 32 };
		p.volid = (uint32_t)s->uuid.b[0] << 24 | (uint32_t)s->uuid.b[1] << 16 |
			  (uint32_t)s->uuid.b[2] << 8 | s->uuid.b[3];
		struct vfat_plan pl;
		bool lower;
		r = vfat_label(s->label, p.label, &lower, e);
		if (!r)
			r = vfat_plan(&p, &pl, e);
		if (!r) {
			r = vfat_apply(&pl, t.d.fd, t.off, e);
			vfat_plan_free(&pl);
		}
	} else {
		struct mkswap_params p = { .size = t.size, .label = s->label, .uuid = s->uuid };
		struct mkswap_plan pl;
		r = mkswap_plan(&p, &pl, e);
		if (!r) {
			r = mkswap_apply(&pl, t.d.fd, t.off, e);
			mkswap_plan_free(&pl);
		}
	}
	mkfs_target_close(&t);
	return r ? bb_error_prefix(e, "%s", s->target) : 0;
}

/* ---- --cut-after-bytes: a power cut in the middle of a step -------------------
 * The step's writer (the tool, or a child of ours doing a FAT or swap
 * area) is watched every millisecond and killed (SIGKILL: it gets no
 * chance to finish anything) once the kernel has counted that many bytes
 * of its write calls (/proc/PID/io wchar). What it wrote is in the page
 * cache; the test syncs and cuts the power, so the disk holds exactly a
 * half-made filesystem. */

static uint64_t written(pid_t pid)
{
	char path[48], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	uint64_t n = 0;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "wchar: %" SCNu64, &n) == 1)
			break;
	fclose(f);
	return n;
}

struct cut {
	const pid_t *pid;
	uint64_t bytes, wrote;
	int tfd;
	bool done;
};

static bool cut_check(void *arg)
{
	struct cut *k = arg;
	uint64_t ticks;
	if (read(k->tfd, &ticks, sizeof(ticks)) < 0 || *k->pid <= 0)
		return false;
	k->wrote = written(*k->pid);
	if (k->wrote < k->bytes)
		return false;
	kill(-*k->pid, SIGKILL);
	kill(*k->pid, SIGKILL);
	waitpid(*k->pid, NULL, 0);
	k->done = true;
	return true;
}

static int cut_timer(struct bb_error *e)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct itimerspec it = { { 0, 1000000 }, { 0, 1000000 } };
	if (fd < 0 || timerfd_settime(fd, 0, &it, NULL)) {
		if (fd >= 0)
			close(fd);
		return bb_error_errno(e, "timerfd");
	}
	return fd;
}

static int do_exec(struct sv_step *s, struct cut *k, struct bb_error *e);

static int do_step(struct sv_ctx *c, struct sv_step *s, struct bb_error *e);

/* Run step s and kill it once it has written c->cut_bytes: always -1, e
 * saying where it was cut (or that it ended before, which a test must
 * not take for a cut). */
static int cut_step(struct sv_ctx *c, struct sv_step *s, struct bb_error *e)
{
	int tfd = cut_timer(e);
	if (tfd < 0)
		return -1;
	pid_t pid = 0;
	struct cut k = { &pid, c->cut_bytes, 0, tfd, false };
	int r;
	if (s->kind == SV_STEP_EXEC) {
		s->external = true;
		r = do_exec(s, &k, e);
	} else if ((pid = fork()) < 0) {
		r = bb_error_errno(e, "fork");
	} else if (!pid) {
		_exit(do_step(c, s, NULL) ? 1 : 0);
	} else {
		int st;
		while (!k.done && waitpid(pid, &st, WNOHANG) == 0)
			cut_check(&k);
		r = 0;
	}
	close(tfd);
	if (k.done)
		return bb_error_set(e, EINTR, "cut step %zu (%s) after it had written %" PRIu64
				    " bytes, as --cut-after-bytes asked", c->nrun + 1, s->what, k.wrote);
	return r ? -1 : bb_error_set(e, ERANGE, "step %zu (%s) ended before it had written %" PRIu64
				     " bytes: nothing was cut", c->nrun + 1, s->what, c->cut_bytes);
}

static int do_exec(struct sv_step *s, struct cut *k, struct bb_error *e)
{
	struct run_opts o = RUN_OPTS_INIT;
	struct run_result r = { 0 };
	if (k) {
		o.wake_fd = k->tfd;
		o.on_wake = cut_check;
		o.arg = k;
		k->pid = &r.pid;
	}
	o.flags = RUN_OUT | RUN_ERR;
	o.input = s->input;
	o.timeout_ms = SV_TOOL_TIMEOUT_MS;
	o.tail = 2048;
	const char *const *argv = (const char *const *)s->argv;
	if (run_process(argv, &o, &r, e))
		return -1;
	int rc = run_success(argv, &r, e);
	run_free(&r);
	return rc;
}

/* A raw partition (BIOS boot: the boot loader's core image) copied from
 * the member that survived onto its replacement, made durable, then
 * read back from the disk itself (its page cache dropped) and compared. */
static int copy_verify(struct disk *from, struct disk *to, uint64_t n, bool back,
		       struct bb_error *e)
{
	enum { CHUNK = 1 << 20 };
	uint8_t *a = malloc(CHUNK), *b = malloc(CHUNK);
	int r = a && b ? 0 : bb_error_errno(e, "memory");
	for (uint64_t off = 0; !r && off < n; off += CHUNK) {
		size_t len = n - off < CHUNK ? (size_t)(n - off) : CHUNK;
		if (pread_full(from->fd, a, len, off) != (ssize_t)len)
			r = bb_error_errno(e, "read %s", from->path);
		else if (!back && pwrite_full(to->fd, a, len, off))
			r = bb_error_errno(e, "write %s", to->path);
		else if (back && pread_full(to->fd, b, len, off) != (ssize_t)len)
			r = bb_error_errno(e, "read back %s", to->path);
		else if (back && !mem_equal(a, b, len))
			r = bb_error_set(e, EIO, "%s differs from %s after the copy, near byte %" PRIu64,
					 to->path, from->path, off);
	}
	free(a);
	free(b);
	return r;
}

static int do_copy(struct sv_step *s, struct bb_error *e)
{
	struct disk from, to;
	if (disk_open(&from, s->source, 0, 0, e))
		return -1;
	if (disk_open(&to, s->target, DISK_WRITE | DISK_EXCL, 0, e)) {
		disk_close(&from);
		return -1;
	}
	int r = 0;
	if (to.size < from.size)
		r = bb_error_set(e, ENOSPC, "%s (%" PRIu64 " bytes) is smaller than %s (%" PRIu64 ")",
				 to.path, to.size, from.path, from.size);
	if (!r)
		r = copy_verify(&from, &to, from.size, false, e);
	if (!r && fsync(to.fd))
		r = bb_error_errno(e, "sync %s", to.path);
	if (!r && to.is_blockdev && blk_flush_buffers(to.fd))
		r = bb_error_errno(e, "drop the cache of %s", to.path);
	if (!r)
		r = copy_verify(&from, &to, from.size, true, e);
	disk_close(&from);
	disk_close(&to);
	return r;
}

static int do_step(struct sv_ctx *c, struct sv_step *s, struct bb_error *e)
{
	int fd, r;
	switch (s->kind) {
	case SV_STEP_GPT:
		return do_gpt(c, s, e);
	case SV_STEP_VFAT:
	case SV_STEP_MKSWAP:
		return do_format(s, e);
	case SV_STEP_EXEC:
		s->external = true;
		return do_exec(s, NULL, e);
	case SV_STEP_SCAN:
		return btrfs_device_scan(c->sys, s->target, e);
	case SV_STEP_MKDIR: {
		char path[SV_PATH * 2];
		if (mount_root_path(c->root, s->target, path, sizeof(path), e))
			return -1;
		return mount_mkdir_p(path, 0755, e);
	}
	case SV_STEP_MOUNT:
		return mount_fs(c->root, s->source, s->target, s->fstype, s->opts[0] ? s->opts : NULL, e);
	case SV_STEP_SUBVOL: {
		char path[SV_PATH * 2];
		if (mount_root_path(c->root, s->target, path, sizeof(path), e) ||
		    (fd = btrfs_open(path, e)) < 0)
			return -1;
		/* committed at once: a power cut must not lose it behind our back */
		r = btrfs_subvol_create(fd, s->source, e);
		if (!r && syncfs(fd))
			r = bb_error_errno(e, "sync");
		close(fd);
		return r ? bb_error_prefix(e, "%s", path) : 0;
	}
	case SV_STEP_SWAPON:
		if (swapon(s->target, 0))
			return bb_error_errno(e, "swapon %s", s->target);
		return 0;
	case SV_STEP_COPY:
		return do_copy(s, e);
	}
	return bb_error_set(e, EINVAL, "step kind %d", (int)s->kind);
}

static const char *const step_phase[] = {
	[SV_STEP_GPT] = "step:gpt",       [SV_STEP_VFAT] = "step:vfat",
	[SV_STEP_MKSWAP] = "step:mkswap", [SV_STEP_EXEC] = "step:exec (tools)",
	[SV_STEP_SCAN] = "step:btrfs_scan", [SV_STEP_MKDIR] = "step:mkdir",
	[SV_STEP_MOUNT] = "step:mount",   [SV_STEP_SUBVOL] = "step:subvolume",
	[SV_STEP_SWAPON] = "step:swapon", [SV_STEP_COPY] = "step:copy",
};

int sv_run_steps(struct sv_ctx *c, struct bb_error *e)
{
	for (; c->nrun < c->nsteps; c->nrun++) {
		struct sv_step *s = &c->step[c->nrun];
		if (c->dry_run) {
			s->done = true;
			continue;
		}
		if (c->stop && c->nrun == c->stop_after && c->cut_bytes)
			return cut_step(c, s, e);
		if (c->stop && c->nrun == c->stop_after)
			return bb_error_set(e, EINTR, "stopped before step %zu (%s), as --stop-after asked",
					    c->nrun + 1, s->what);
		if (c->verbose && !c->json)
			fprintf(stderr, "sysvol: step %zu: %s\n", c->nrun + 1, s->what);
		sv_charge(c, c->phase_now);
		uint64_t t0 = clock_ns();
		int r = do_step(c, s, e);
		s->secs = (double)(clock_ns() - t0) / 1e9;
		sv_charge(c, step_phase[s->kind]);
		if (s->external)
			c->rep.secs_tools += s->secs;
		if (r)
			return bb_error_prefix(e, "step %zu (%s)", c->nrun + 1, s->what);
		s->done = true;
	}
	return 0;
}
