/* mdsync.c - an md array's resync, recovery, check, repair or reshape,
 * which the kernel runs by itself, offered as a job like the daemon's own:
 * in storage.list_jobs and storage.job_status with progress, speed and
 * time left from sysfs (sync_completed, sync_speed), and a job_end event
 * when it ends. The daemon adopts a running sync when jobs are listed or
 * asked about, and on every round of the health monitor, so a subscriber
 * hears of the end even when nobody asks.
 */
#include "io.h"
#include "md.h"
#include "storage.h"
#include "sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct mdsync {
	char array[BLKDEV_NAME];
	char action[MD_WORD]; /* what ran when it was adopted */
};

/* The actions that are work in progress; "idle" and "frozen" are not. */
static bool sync_running(const char *action)
{
	static const char *const busy[] = { "resync", "recover", "check", "repair", "reshape" };
	for (size_t i = 0; i < sizeof(busy) / sizeof(busy[0]); i++)
		if (!strcmp(action, busy[i]))
			return true;
	return false;
}

/* check and repair may be stopped midway; a resync, recovery or reshape
 * is the array's redundancy coming back, and the kernel would only start
 * it again. */
static bool stoppable(const char *action)
{
	return !strcmp(action, "check") || !strcmp(action, "repair");
}

static void nap(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int sync_run(struct vmj *j, struct jw *w, struct bb_error *e)
{
	const struct mdsync *s = vmj_arg(j);
	struct md_array a;
	for (;;) {
		if (md_read(vm_cfg.root, s->array, &a, e))
			return bb_error_prefix(e, "%s: ", s->array);
		if (strcmp(a.sync_action, s->action))
			break; /* ended, or another kind of sync took over */
		md_array_free(&a);
		/* a daemon that stops leaves the kernel's work running */
		if (vmj_cancel_requested(j))
			return bb_error_set(e, ECANCELED, "%s: %s no longer watched (it goes on in "
					    "the kernel)", s->array, s->action);
		nap(500);
	}
	if (vmj_cancel_requested(j)) { /* a check or repair told to stop */
		md_array_free(&a);
		return bb_error_set(e, ECANCELED, "%s: %s stopped", s->array, s->action);
	}
	jw_obj(w);
	jw_kstr(w, "array", s->array);
	jw_kstr(w, "action", s->action);
	jw_kstr(w, "sync_action", a.sync_action);
	jw_ku64(w, "degraded", a.degraded == MD_UNKNOWN ? 0 : a.degraded);
	jw_key(w, "mismatch_cnt");
	if (a.mismatch_cnt == MD_UNKNOWN)
		jw_null(w);
	else
		jw_u64(w, a.mismatch_cnt);
	jw_obj_end(w);
	md_array_free(&a);
	return 0;
}

static void sync_progress(struct vmj *j, struct vmj_progress *p, struct jw *w)
{
	const struct mdsync *s = vmj_arg(j);
	struct md_array a;
	if (md_read(vm_cfg.root, s->array, &a, NULL))
		return;
	bool known = a.sync_total != MD_UNKNOWN && a.sync_total && a.sync_done != MD_UNKNOWN;
	uint64_t done = known ? a.sync_done * 512 : 0, total = known ? a.sync_total * 512 : 0;
	p->rate_unit = "bytes/s";
	if (known)
		p->percent = done >= total ? 100.0 : 100.0 * (double)done / (double)total;
	if (a.sync_speed != MD_UNKNOWN) {
		p->rate = (double)a.sync_speed * 1024; /* the kernel's KiB/s of the last seconds */
		if (known && p->rate > 0 && total > done)
			p->eta_seconds = (double)(total - done) / p->rate;
	}
	jw_key(w, "md");
	jw_obj(w);
	jw_kstr(w, "array", s->array);
	jw_kstr(w, "action", s->action);
	if (known) {
		jw_ku64(w, "done_bytes", done);
		jw_ku64(w, "total_bytes", total);
	}
	jw_obj_end(w);
	md_array_free(&a);
}

static int sync_cancel(struct vmj *j, struct bb_error *e)
{
	const struct mdsync *s = vmj_arg(j);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/block/%s/md/sync_action", vm_cfg.root->sys, s->array);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return bb_error_errno(e, "open %s", path);
	int rc = write_full(fd, "idle", 4);
	if (rc)
		bb_error_errno(e, "write %s", path);
	close(fd);
	return rc ? -1 : 0;
}

/* Two kinds, as job_cancel asks the kind whether a job can be stopped. */
static const struct vmj_kind check_kind = { "md.sync", sync_run, sync_progress, sync_cancel,
					    NULL, .external = true };
static const struct vmj_kind rebuild_kind = { "md.sync", sync_run, sync_progress, NULL, NULL,
					      .external = true };

void vmo_md_adopt(void)
{
	/* the event loop and the health monitor both adopt: one at a time,
	 * or both could find no job for a sync and start one each */
	static pthread_mutex_t adopting = PTHREAD_MUTEX_INITIALIZER;
	struct md_array *a;
	size_t n;
	pthread_mutex_lock(&adopting);
	if (md_list(vm_cfg.root, &a, &n, NULL)) {
		pthread_mutex_unlock(&adopting);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char res[64];
		long id;
		snprintf(res, sizeof(res), "md:%s", a[i].name);
		if (!sync_running(a[i].sync_action) || vmj_resource_busy(res, &id))
			continue;
		struct mdsync *s = calloc(1, sizeof(*s));
		if (!s)
			break;
		snprintf(s->array, sizeof(s->array), "%s", a[i].name);
		snprintf(s->action, sizeof(s->action), "%s", a[i].sync_action);
		vmj_start(stoppable(s->action) ? &check_kind : &rebuild_kind, res, s, NULL);
	}
	md_list_free(a, n);
	pthread_mutex_unlock(&adopting);
}
