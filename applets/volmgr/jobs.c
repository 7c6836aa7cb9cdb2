/* jobs.c - long work off the event loop: each job is a thread, queued
 * behind any other job on the same resource (a disk, a filesystem) and
 * running alongside jobs on other ones. Handlers answer {"job": ID} at
 * once; storage.job_status asks the job's kind for progress from the
 * kernel (scrub and balance counters, files done), storage.job_cancel
 * asks it to stop, and every end is published as a job_end event. An md
 * sync the kernel runs by itself is adopted as a job too (mdsync.c).
 * Finished jobs are kept (the last VMJ_KEEP of them) for their result.
 */
#include "clock.h"
#include "rpc.h"
#include "storage.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VMJ_KEEP 64

enum vmj_state { VMJ_QUEUED, VMJ_RUNNING, VMJ_DONE, VMJ_FAILED, VMJ_CANCELLED };

static const char *const state_names[] = { "queued", "running", "done", "failed", "cancelled" };

struct vmj {
	long id;
	const struct vmj_kind *k;
	void *arg;
	char resource[128];
	enum vmj_state state;
	bool cancel;
	uint64_t start_ns, end_ns;
	double wall_start;   /* seconds since the epoch, for people */
	char *result;        /* the run function's JSON, when done */
	size_t result_len;
	struct bb_error err;
	struct vmj *next;    /* newest first */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct vmj *jobs;
static long next_id = 1;

void *vmj_arg(struct vmj *j) { return j->arg; }
bool vmj_cancel_requested(const struct vmj *j) { return j->cancel; }

double vmj_elapsed(const struct vmj *j)
{
	if (!j->start_ns)
		return 0;
	uint64_t end = j->end_ns ? j->end_ns : clock_ns();
	return (double)(end - j->start_ns) / 1e9;
}

void vmj_progress_set(const struct vmj *j, struct vmj_progress *p, uint64_t done,
		      uint64_t total, const char *unit)
{
	double t = vmj_elapsed(j);
	p->rate_unit = unit;
	if (total)
		p->percent = done >= total ? 100.0 : 100.0 * (double)done / (double)total;
	if (t > 0) {
		p->rate = (double)done / t;
		if (p->rate > 0 && total > done)
			p->eta_seconds = (double)(total - done) / p->rate;
	}
}

static bool active(const struct vmj *j)
{
	return j->state == VMJ_QUEUED || j->state == VMJ_RUNNING;
}

/* An older job still queued or running on the same resource (mu held). */
static bool blocked(const struct vmj *j)
{
	for (const struct vmj *o = jobs; o; o = o->next)
		if (o->id < j->id && active(o) && !strcmp(o->resource, j->resource))
			return true;
	return false;
}

bool vmj_resource_busy(const char *resource, long *id)
{
	bool busy = false;
	pthread_mutex_lock(&mu);
	for (const struct vmj *o = jobs; o && !busy; o = o->next)
		if (active(o) && !strcmp(o->resource, resource)) {
			busy = true;
			*id = o->id;
		}
	pthread_mutex_unlock(&mu);
	return busy;
}

/* The work is over: what its argument holds (an open directory of the
 * filesystem, which keeps it busy so that it cannot be unmounted) goes
 * now, not when the record is pruned; progress and cancel, the other
 * users of the argument, are only called while a job is active. */
static void release_arg(struct vmj *j)
{
	if (!j->arg)
		return;
	if (j->k->free_arg)
		j->k->free_arg(j->arg);
	else
		free(j->arg);
	j->arg = NULL;
}

/* The job_end event's data, written while mu is held: once mu is let
 * go, the event loop may prune the record. */
static void end_data(const struct vmj *j, char *data, size_t len)
{
	snprintf(data, len, "{\"job\":%ld,\"method\":\"%s\",\"state\":\"%s\"}", j->id,
		 j->k->method, state_names[j->state]);
}

static void *job_thread(void *arg)
{
	struct vmj *j = arg;
	pthread_mutex_lock(&mu);
	while (!j->cancel && blocked(j))
		pthread_cond_wait(&cv, &mu);
	if (j->cancel) {
		j->state = VMJ_CANCELLED;
		bb_error_set(&j->err, ECANCELED, "cancelled before it started");
		release_arg(j);
		pthread_cond_broadcast(&cv);
		char data[512];
		end_data(j, data, sizeof(data));
		pthread_mutex_unlock(&mu);
		vm_publish("job_end", data);
		return NULL;
	}
	j->state = VMJ_RUNNING;
	j->start_ns = clock_ns();
	pthread_mutex_unlock(&mu);

	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct bb_error e = { 0 };
	int rc = -1;
	if (!f) {
		bb_error_errno(&e, "job output");
	} else {
		struct jw w;
		jw_init(&w, f, false);
		rc = j->k->run(j, &w, &e);
		fclose(f);
	}
	/* Whatever the work changed (a filesystem made, a partition or a
	 * filesystem grown), a query once the job has ended must see it;
	 * the kernel sends no uevent for most of it. */
	vm_blkdevs_changed();
	pthread_mutex_lock(&mu);
	j->end_ns = clock_ns();
	if (!rc) {
		j->state = VMJ_DONE;
		j->result = text;
		j->result_len = len;
		text = NULL;
	} else {
		j->state = e.code == ECANCELED || j->cancel ? VMJ_CANCELLED : VMJ_FAILED;
		j->err = e;
		if (!e.msg[0])
			bb_error_set(&j->err, EIO, "failed");
	}
	release_arg(j);
	pthread_cond_broadcast(&cv);
	char data[512];
	end_data(j, data, sizeof(data));
	pthread_mutex_unlock(&mu);
	free(text);
	vm_publish("job_end", data);
	return NULL;
}

static void job_free(struct vmj *j)
{
	release_arg(j);
	free(j->result);
	free(j);
}

/* Keep the newest VMJ_KEEP finished jobs (mu held). Only the event loop
 * frees, so a handler never sees a job vanish under it. */
static void prune(void)
{
	int finished = 0;
	for (struct vmj **p = &jobs; *p;) {
		struct vmj *j = *p;
		if (!active(j) && ++finished > VMJ_KEEP) {
			*p = j->next;
			job_free(j);
		} else {
			p = &j->next;
		}
	}
}

long vmj_start(const struct vmj_kind *k, const char *resource, void *arg, struct bb_error *e)
{
	struct vmj *j = calloc(1, sizeof(*j));
	if (!j) {
		if (k->free_arg)
			k->free_arg(arg);
		else
			free(arg);
		return bb_error_set(e, ENOMEM, "out of memory");
	}
	j->k = k;
	j->arg = arg;
	snprintf(j->resource, sizeof(j->resource), "%s", resource);
	j->wall_start = (double)clock_wall_ns() / 1e9;
	pthread_mutex_lock(&mu);
	prune();
	j->id = next_id++;
	j->next = jobs;
	jobs = j;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_t th;
	int rc = pthread_create(&th, &at, job_thread, j);
	pthread_attr_destroy(&at);
	if (rc) {
		jobs = j->next;
		pthread_mutex_unlock(&mu);
		job_free(j);
		errno = rc;
		return bb_error_errno(e, "start a job thread");
	}
	long id = j->id;
	pthread_mutex_unlock(&mu);
	return id;
}

void vmj_answer(struct vm_call *c, long id)
{
	jw_obj(c->out);
	jw_ki64(c->out, "job", id);
	jw_obj_end(c->out);
}

static struct vmj *find(long id)
{
	for (struct vmj *j = jobs; j; j = j->next)
		if (j->id == id)
			return j;
	return NULL;
}

static void num_or_null(struct jw *w, const char *k, double v)
{
	jw_key(w, k);
	if (v < 0)
		jw_null(w);
	else
		jw_double(w, v);
}

/* One job's status (mu held). */
static void status_write(struct jw *w, struct vmj *j)
{
	jw_obj(w);
	jw_ki64(w, "job", j->id);
	jw_kstr(w, "method", j->k->method);
	/* volmgr.h's contract: a job not yet ended is "running"; one waiting
	 * for its resource says so in "queued" */
	jw_kstr(w, "state", state_names[j->state == VMJ_QUEUED ? VMJ_RUNNING : j->state]);
	jw_kbool(w, "queued", j->state == VMJ_QUEUED);
	jw_kstr(w, "resource", j->resource);
	jw_key(w, "started");
	jw_double(w, j->wall_start);
	jw_key(w, "elapsed_seconds");
	jw_double(w, vmj_elapsed(j));
	struct vmj_progress p = { -1, -1, NULL, -1 };
	if (j->state == VMJ_RUNNING && j->k->progress)
		j->k->progress(j, &p, w);
	if (j->state == VMJ_DONE)
		p.percent = 100;
	num_or_null(w, "progress", p.percent);
	num_or_null(w, "rate", p.rate);
	jw_kstr(w, "rate_unit", p.rate_unit);
	num_or_null(w, "eta_seconds", p.eta_seconds);
	jw_kbool(w, "cancellable", j->k->cancel != NULL && active(j));
	if (j->state == VMJ_DONE && j->result) {
		struct json *r = json_parse(j->result, j->result_len, JSON_DEFAULT_DEPTH, NULL, 0);
		jw_key(w, "result");
		if (r)
			jw_json(w, r);
		else
			jw_null(w);
		json_free(r);
	}
	if (j->state == VMJ_FAILED || j->state == VMJ_CANCELLED) {
		jw_key(w, "error");
		jw_obj(w);
		jw_ki64(w, "code", j->state == VMJ_FAILED ? VM_E_STORAGE : VM_E_VALIDATION);
		jw_kstr(w, "message", j->err.msg);
		jw_key(w, "data");
		jw_obj(w);
		jw_ki64(w, "errno", j->err.code);
		jw_obj_end(w);
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

static int job_id(struct vm_call *c, struct vmj **out)
{
	uint64_t id = vm_u64(c, "job", 0);
	*out = find((long)id);
	if (!*out)
		return vm_fail_errno(c, VM_E_NODEV, ENOENT, NULL, "no job %llu", (unsigned long long)id);
	return 0;
}

static int job_status(struct vm_call *c)
{
	struct vmj *j;
	vmo_md_adopt();
	pthread_mutex_lock(&mu);
	int rc = job_id(c, &j);
	if (!rc)
		status_write(c->out, j);
	pthread_mutex_unlock(&mu);
	return rc;
}

static int list_jobs(struct vm_call *c)
{
	vmo_md_adopt();
	pthread_mutex_lock(&mu);
	jw_arr(c->out);
	for (struct vmj *j = jobs; j; j = j->next)
		status_write(c->out, j);
	jw_arr_end(c->out);
	pthread_mutex_unlock(&mu);
	return 0;
}

static int job_cancel(struct vm_call *c)
{
	struct vmj *j;
	struct bb_error e = { 0 };
	pthread_mutex_lock(&mu);
	int rc = job_id(c, &j);
	if (rc) {
		pthread_mutex_unlock(&mu);
		return -1;
	}
	enum vmj_state st = j->state;
	long id = j->id;
	if (!active(j)) {
		rc = vm_fail(c, VM_E_VALIDATION, NULL, "job %ld has ended (%s)", id, state_names[st]);
	} else if (st == VMJ_QUEUED && !j->k->external) {
		j->cancel = true;
		pthread_cond_broadcast(&cv);
	} else if (!j->k->cancel) {
		rc = vm_fail(c, VM_E_VALIDATION, NULL, "job %ld (%s) cannot be stopped midway", id,
			     j->k->method);
	} else if (!c->dry_run) {
		/* the kernel's own work runs whether or not its watcher has
		 * started: it is told to stop either way */
		j->cancel = true;
		pthread_cond_broadcast(&cv);
		/* the kind's cancel is an ioctl or a flag: it returns at once */
		if (j->k->cancel(j, &e) && e.code != ENOTCONN)
			rc = vm_fail_bb(c, &e, NULL);
	}
	pthread_mutex_unlock(&mu);
	if (rc)
		return -1;
	jw_obj(c->out);
	jw_ki64(c->out, "job", id);
	jw_kbool(c->out, "dry_run", c->dry_run);
	jw_kbool(c->out, "cancel_requested", true);
	jw_obj_end(c->out);
	return 0;
}

/* The daemon stops: running work is asked to stop too. */
static void jobs_stop(void)
{
	pthread_mutex_lock(&mu);
	for (struct vmj *j = jobs; j; j = j->next)
		if (active(j)) {
			j->cancel = true;
			if (j->state == VMJ_RUNNING && j->k->cancel && !j->k->external)
				j->k->cancel(j, NULL);
		}
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static const struct vm_param job_params[] = {
	{ "job", VM_T_U64, VM_REQ | VM_POS, "the job id", "JOB" },
	{ 0 },
};

static const struct vm_field job_fields[] = {
	{ "job", VM_T_U64, "id", 0 },
	{ "method", VM_T_STR, "what started it", 0 },
	{ "state", VM_T_STR, "running, done, failed or cancelled", 0 },
	{ "queued", VM_T_BOOL, "running, but waiting for another job on its resource", VM_F_HIDE },
	{ "progress", VM_T_NUM, "percent, from the kernel's counters", VM_F_NULLABLE },
	{ "rate", VM_T_NUM, "units per second (rate_unit)", VM_F_NULLABLE },
	{ "rate_unit", VM_T_STR, "bytes/s, chunks/s, files/s", VM_F_NULLABLE | VM_F_HIDE },
	{ "eta_seconds", VM_T_NUM, "estimated seconds left", VM_F_NULLABLE },
	{ "resource", VM_T_STR, "the disk or filesystem it holds", VM_F_HIDE },
	{ "started", VM_T_NUM, "seconds since the epoch", VM_F_HIDE },
	{ "elapsed_seconds", VM_T_NUM, "running time", 0 },
	{ "cancellable", VM_T_BOOL, "storage.job_cancel can stop it", VM_F_HIDE },
	{ "result", VM_T_OBJ, "the result, when done", VM_F_HIDE | VM_F_NULLABLE },
	{ "error", VM_T_OBJ, "code, message, data: when failed or cancelled",
	  VM_F_HIDE | VM_F_NULLABLE },
	{ 0 },
};

static const struct vm_field cancel_fields[] = {
	{ "job", VM_T_U64, "id", 0 },
	{ "cancel_requested", VM_T_BOOL, "the work was asked to stop", 0 },
	{ 0 },
};

static const struct vm_method job_methods[] = {
	{ .name = "storage.job_status", .cli = "job",
	  .help = "A job's state, progress, rate and estimated end; its result when done",
	  .params = job_params, .result = { VM_R_OBJECT, job_fields }, .fn = job_status },
	{ .name = "storage.list_jobs", .cli = "jobs", .help = "Running and recent jobs",
	  .result = { VM_R_LIST, job_fields }, .fn = list_jobs },
	{ .name = "storage.job_cancel", .cli = "cancel", .help = "Stop a job",
	  .params = job_params, .result = { VM_R_OBJECT, cancel_fields }, .flags = VM_MUTATING,
	  .fn = job_cancel },
	{ 0 },
};

const struct vm_module vm_mod_jobs = { "jobs", job_methods, NULL, jobs_stop };
