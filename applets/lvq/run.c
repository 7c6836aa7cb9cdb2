/* run.c - carrying out a plan: the lock, every step journaled before and
 * after (fsync each time), external tools by argv through core's runner
 * (never a shell), the rest done by lvq itself through core.
 */
#include "lvq.h"

#include "clock.h"
#include "error.h"
#include "exec.h"
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <unistd.h>

int lvq_lock(const char *journal, struct bb_error *e)
{
	char path[LVQ_PATH + 8];
	snprintf(path, sizeof(path), "%s.lock", journal);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return bb_error_errno(e, "lock %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int err = errno;
		close(fd);
		if (err == EWOULDBLOCK)
			return bb_error_set(e, EBUSY, "lock %s: another lvq is running", path);
		errno = err;
		return bb_error_errno(e, "lock %s", path);
	}
	return fd;
}

static void rooted(const struct lvq_plan *p, const char *path, char *out, size_t len)
{
	snprintf(out, len, "%s%s", p->root, path);
}

/* A line a decommission removed, put back as it was; its UUID= spec
 * must still name what is on the device. */
static int fstab_put_back(const struct lvq_plan *p, const struct lvq_step *s,
			  const struct probe_info *pi, struct bb_error *e)
{
	char spec[80], opts[sizeof(s->opts)];
	unsigned freq, passno;
	snprintf(spec, sizeof(spec), "UUID=%s", pi->uuid);
	if (!strncmp(s->spec, "UUID=", 5) && (!pi->uuid[0] || !fstab_spec_eq(s->spec, spec)))
		return bb_error_set(e, ESTALE, "%s: holds %s%s, not %s as the line said", s->dev,
				    pi->uuid[0] ? "UUID=" : "no UUID", pi->uuid, s->spec);
	if (sscanf(s->opts, "%159s %u %u", opts, &freq, &passno) != 3)
		return bb_error_set(e, EINVAL, "fstab line for %s: options '%s' unreadable",
				    s->mount, s->opts);
	struct fstab_entry want = {
		.spec = s->spec, .file = s->mount, .type = s->fs, .opts = opts,
		.freq = freq, .passno = passno,
	};
	return fstab_update(p->root, &want, e) < 0 ? -1 : 0;
}

static int fstab_add(const struct lvq_plan *p, const struct lvq_step *s, char uuid[64],
		     struct bb_error *e)
{
	struct probe_info pi;
	if (probe_path(s->dev, &pi, e))
		return -1;
	if (s->spec[0])
		return fstab_put_back(p, s, &pi, e);
	if (!pi.uuid[0] || strcmp(pi.type, s->fs))
		return bb_error_set(e, ENOENT, "%s: no %s filesystem with a UUID on it", s->dev,
				    s->fs);
	char spec[80];
	bool swap = !strcmp(s->fs, "swap");
	snprintf(spec, sizeof(spec), "UUID=%s", pi.uuid);
	snprintf(uuid, 64, "%s", pi.uuid);
	struct fstab_entry want = {
		.spec = spec, .file = swap ? "none" : s->mount, .type = s->fs,
		.opts = swap ? "sw" : "defaults", .freq = 0, .passno = swap ? 0 : 2,
	};
	return fstab_update(p->root, &want, e) < 0 ? -1 : 0;
}

int lvq_internal(const struct lvq_plan *p, const struct lvq_step *s, char uuid[64],
		 struct bb_error *e)
{
	char path[2 * LVQ_PATH];
	rooted(p, s->mount, path, sizeof(path));
	uuid[0] = 0;
	switch (s->kind) {
	case LVQ_MKDIR:
		return mount_mkdir_p(path, 0755, e);
	case LVQ_RMDIR:
		if (rmdir(path) && errno != ENOENT)
			return bb_error_errno(e, "rmdir %s", path);
		return 0;
	case LVQ_MOUNT:
		return mount_fs(p->root, s->dev, s->mount, s->fs, NULL, e);
	case LVQ_UMOUNT:
		return mount_umount(path, 0, e);
	case LVQ_FSTAB_ADD:
		return fstab_add(p, s, uuid, e);
	case LVQ_FSTAB_REMOVE:
		return fstab_remove_at(p->root, s->spec,
				       strcmp(s->mount, "none") && strcmp(s->mount, "swap") ? s->mount
											 : NULL,
				       e) < 0 ? -1 : 0;
	case LVQ_SWAPON:
		if (swapon(s->dev, 0))
			return bb_error_errno(e, "swapon %s", s->dev);
		return 0;
	case LVQ_SWAPOFF:
		if (swapoff(s->dev))
			return bb_error_errno(e, "swapoff %s", s->dev);
		return 0;
	default:
		return bb_error_set(e, EINVAL, "%s is not lvq's own step", lvq_kind_name(s->kind));
	}
}

/* The last bytes of what a tool said, stdout then stderr, for the journal. */
static void tail_of(const struct run_result *r, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = 0;
	const char *parts[] = { r->out, r->err };
	size_t lens[] = { r->out_len, r->err_len };
	for (int k = 0; k < 2; k++) {
		if (!parts[k])
			continue;
		size_t l = lens[k], room = len - 1 - o;
		const char *s = parts[k] + (l > room / 2 ? l - room / 2 : 0);
		l = strlen(s);
		memcpy(buf + o, s, l < room ? l : room);
		o += l < room ? l : room;
		buf[o] = 0;
	}
}

static int external(const struct lvq_step *s, int *status, char *tail, size_t tlen,
		    struct bb_error *e)
{
	static char *const env[] = { "LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	const char *argv[LVQ_ARGV_MAX + 1];
	lvq_step_argv(s, argv);
	struct run_opts o = RUN_OPTS_INIT;
	struct run_result r;
	o.flags = RUN_OUT | RUN_ERR;
	o.envp = env;
	o.tail = 2048;
	o.timeout_ms = 3600 * 1000;
	/* blockbox's own mkfs.vfat and mkswap: this very binary */
	if (!strcmp(argv[0], "blockbox"))
		o.file = "/proc/self/exe";
	if (run_process(argv, &o, &r, e))
		return -1;
	*status = r.status;
	tail_of(&r, tail, tlen);
	int rc = run_success(argv, &r, e);
	run_free(&r);
	return rc;
}

/* Run step s (numbered `number`, 0 outside the plan) between its start
 * and end records: lvq's own steps itself, the rest by argv. */
static int run_step(struct lvq_journal *j, const struct lvq_plan *p, const struct lvq_step *s,
		    size_t number, struct lvq_times *tm, struct bb_error *e)
{
	char tail[1024] = "", uuid[64] = "";
	uint64_t w0 = clock_wall_ns();
	if (lvq_journal_stepn(j, s, number, "step_start", w0, 0, 0, NULL, NULL, e))
		return -1;
	int status = 0, rc;
	uint64_t m0 = clock_ns();
	if (lvq_kind_internal(s->kind)) {
		rc = lvq_internal(p, s, uuid, e);
		status = rc ? (e && e->code ? e->code : 1) : 0;
		if (rc && e)
			snprintf(tail, sizeof(tail), "%s", e->msg);
	} else {
		rc = external(s, &status, tail, sizeof(tail), e);
		if (rc && status == 0)
			status = -1; /* could not be started */
		tm->external_ns += clock_ns() - m0;
	}
	tm->ran++;
	struct bb_error je = { 0 };
	if (lvq_journal_stepn(j, s, number, "step_end", w0, clock_wall_ns(), status, tail, uuid,
			      &je)) {
		if (!rc && e)
			*e = je;
		return -1;
	}
	if (rc)
		return bb_error_prefix(e, "step %zu (%s)", number, lvq_kind_name(s->kind));
	return 0;
}

int lvq_run_aside(struct lvq_journal *j, const struct lvq_step *s, struct lvq_times *tm,
		  struct bb_error *e)
{
	if (lvq_kind_internal(s->kind))
		return bb_error_set(e, EINVAL, "%s: only a tool runs outside the plan",
				    lvq_kind_name(s->kind));
	return run_step(j, NULL, s, 0, tm, e);
}

int lvq_execute(struct lvq_journal *j, const struct lvq_plan *p, const bool *done, size_t from,
		struct lvq_times *tm, void (*note)(size_t i, const char *what, void *arg), void *arg,
		struct bb_error *e)
{
	uint64_t t0 = clock_ns();
	for (size_t i = from; i < p->n; i++) {
		uint64_t w0 = clock_wall_ns();
		if (done && done[i]) {
			tm->skipped++;
			if (note)
				note(i, "holds already", arg);
			if (lvq_journal_step(j, p, i, "step_skip", w0, w0, 0, "", NULL, e))
				return -1;
			continue;
		}
		if (note)
			note(i, NULL, arg);
		if (run_step(j, p, &p->step[i], i + 1, tm, e))
			return -1;
	}
	tm->total_ns += clock_ns() - t0;
	return 0;
}
