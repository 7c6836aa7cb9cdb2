/* journal.c - the JSON-lines journal: one record per line, fsynced after
 * each, written before and after every step; and reading it back for
 * status, continue, rollback and the sizes an earlier run resolved.
 *
 * Records: {"txn", "plan_hash", "event": "begin" (with the whole plan) |
 * "resume" | "step_start" | "step_end" | "step_skip" | "end", "time_ns",
 * ...}. Step 0 is no step of the plan: continue's activation of the VG
 * ("kind": "activate"), journaled the same way. A crash can leave a last line without its newline: it is torn,
 * and ignored. Reading is linear in the file; only the last few
 * transactions keep their plan in memory.
 */
#include "lvq.h"

#include "clock.h"
#include "error.h"
#include "io.h"
#include "json.h"
#include "mount.h"
#include "uuid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEEP_PLANS 4

/* ---- reading -------------------------------------------------------------- */

static void txn_drop_plan(struct lvq_txn *t)
{
	if (t->plan) {
		lvq_plan_free(t->plan);
		free(t->plan);
	}
	free(t->ok);
	free(t->uuid);
	t->plan = NULL;
	t->ok = NULL;
	t->uuid = NULL;
}

void lvq_history_free(struct lvq_history *h)
{
	for (size_t i = 0; i < h->n; i++)
		txn_drop_plan(&h->t[i]);
	free(h->t);
	memset(h, 0, sizeof(*h));
}

static struct lvq_txn *txn_by_id(struct lvq_history *h, const char *id)
{
	for (size_t i = h->n; i-- > 0;)
		if (!strcmp(h->t[i].id, id))
			return &h->t[i];
	return NULL;
}

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static int on_begin(struct lvq_history *h, const struct json *r, const char *id,
		    struct bb_error *e)
{
	struct lvq_plan *p = calloc(1, sizeof(*p));
	if (!p)
		return bb_error_set(e, ENOMEM, "journal: out of memory");
	if (lvq_plan_from_json(json_get(r, "plan"), p, e)) {
		free(p);
		return -1;
	}
	struct lvq_txn *t = realloc(h->t, (h->n + 1) * sizeof(*t));
	if (!t) {
		lvq_plan_free(p);
		free(p);
		return bb_error_set(e, ENOMEM, "journal: out of memory");
	}
	h->t = t;
	t = &h->t[h->n++];
	memset(t, 0, sizeof(*t));
	copy(t->id, sizeof(t->id), id);
	copy(t->command, sizeof(t->command), p->command);
	copy(t->vg, sizeof(t->vg), p->vg);
	copy(t->plan_hash, sizeof(t->plan_hash), p->hash);
	copy(t->request_hash, sizeof(t->request_hash), p->request_hash);
	json_u64(json_get(r, "time_ns"), &t->begin_ns);
	t->nsteps = p->n;
	t->last_started = -1;
	t->plan = p;
	t->ok = calloc(p->n + 1, sizeof(*t->ok));
	t->uuid = calloc(p->n + 1, sizeof(*t->uuid));
	if (!t->ok || !t->uuid)
		return bb_error_set(e, ENOMEM, "journal: out of memory");
	/* only the newest few keep their plans */
	size_t kept = 0;
	for (size_t i = h->n; i-- > 0;)
		if (h->t[i].plan && ++kept > KEEP_PLANS)
			txn_drop_plan(&h->t[i]);
	/* a rollback names the transaction it undoes */
	const char *undoes = json_string(json_get(r, "undoes"));
	struct lvq_txn *u = undoes ? txn_by_id(h, undoes) : NULL;
	if (u && u != t)
		u->rolled_back = true;
	return 0;
}

/* Step 0: continue's activation of the VG. */
static void on_aside(struct lvq_txn *t, const struct json *r, const char *event)
{
	int64_t status = 0;
	const char *kind = json_string(json_get(r, "kind"));
	if (!kind || strcmp(kind, "activate"))
		return;
	if (!strcmp(event, "step_start")) {
		t->activate_open = true;
		return;
	}
	if (strcmp(event, "step_end") || !t->activate_open)
		return;
	json_i64(json_get(r, "exit_status"), &status);
	t->activate_open = false;
	t->activate_status = status < INT32_MIN || status > INT32_MAX ? -1 : (int)status;
	t->activations++;
}

static void on_step(struct lvq_txn *t, const struct json *r, const char *event)
{
	uint64_t step;
	int64_t status = 0;
	if (json_u64(json_get(r, "step"), &step) && step == 0) {
		on_aside(t, r, event);
		return;
	}
	if (!json_u64(json_get(r, "step"), &step) || step < 1 || step > t->nsteps)
		return;
	size_t i = (size_t)step - 1;
	if (!strcmp(event, "step_start")) {
		t->last_started = (long)i;
		t->last_open = true;
		return;
	}
	if ((long)i == t->last_started)
		t->last_open = false;
	bool skip = !strcmp(event, "step_skip");
	json_i64(json_get(r, "exit_status"), &status);
	t->last_status = (int)status;
	bool was = t->ok && t->ok[i];
	bool ok = skip || status == 0;
	if (t->ok) {
		t->ok[i] = ok ? (skip ? 2 : 1) : 0;
		const char *u = json_string(json_get(r, "uuid"));
		if (u && t->uuid)
			copy(t->uuid[i], sizeof(t->uuid[i]), u);
	}
	t->nok = t->nok + (ok && !was) - (!ok && was);
}

static int record(struct lvq_history *h, const char *line, size_t len, struct bb_error *e)
{
	char err[96];
	struct json *r = json_parse(line, len, JSON_DEFAULT_DEPTH, err, sizeof(err));
	if (!r) {
		h->bad_lines++;
		return 0;
	}
	const char *id = json_string(json_get(r, "txn"));
	const char *ev = json_string(json_get(r, "event"));
	int rc = 0;
	struct lvq_txn *t;
	if (!id || !ev || strlen(id) >= sizeof(t->id))
		h->bad_lines++;
	else if (!strcmp(ev, "begin")) {
		if (txn_by_id(h, id))
			h->bad_lines++;
		else if ((rc = on_begin(h, r, id, e)) && e && e->code != ENOMEM) {
			h->bad_lines++; /* a plan that does not check out */
			rc = 0;
		}
	} else if (!(t = txn_by_id(h, id)))
		h->bad_lines++;
	else if (!strcmp(ev, "end")) {
		copy(t->outcome, sizeof(t->outcome), json_string(json_get(r, "outcome")));
		json_u64(json_get(r, "time_ns"), &t->end_ns);
	} else if (!strcmp(ev, "resume"))
		t->outcome[0] = 0;
	else if (!strncmp(ev, "step_", 5))
		on_step(t, r, ev);
	json_free(r);
	return rc;
}

int lvq_journal_parse(const char *text, size_t len, struct lvq_history *h, struct bb_error *e)
{
	memset(h, 0, sizeof(*h));
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(text + off, '\n', len - off);
		if (!nl)
			break; /* torn by a crash mid-write */
		size_t l = (size_t)(nl - (text + off));
		if (l && record(h, text + off, l, e)) {
			lvq_history_free(h);
			return -1;
		}
		off += l + 1;
	}
	bb_error_clear(e);
	return 0;
}

int lvq_journal_read(const char *path, struct lvq_history *h, struct bb_error *e)
{
	size_t len;
	char *text = read_file(path, (size_t)1 << 30, &len);
	if (!text) {
		memset(h, 0, sizeof(*h));
		if (errno == ENOENT)
			return 0;
		return bb_error_errno(e, "journal %s", path);
	}
	int rc = lvq_journal_parse(text, len, h, e);
	free(text);
	return rc;
}

const struct lvq_txn *lvq_history_find(const struct lvq_history *h, const char *request_hash,
				       const char *plan_hash)
{
	for (size_t i = h->n; i-- > 0;) {
		const struct lvq_txn *t = &h->t[i];
		if ((!request_hash || !strcmp(t->request_hash, request_hash)) &&
		    (!plan_hash || !strcmp(t->plan_hash, plan_hash)))
			return t;
	}
	return NULL;
}

void lvq_history_resolved(const struct lvq_history *h, const char *request_hash,
			  struct lvq_resolved *res)
{
	memset(res, 0, sizeof(*res));
	for (size_t i = h->n; i-- > 0;) {
		const struct lvq_txn *t = &h->t[i];
		if (strcmp(t->command, "provision") || strcmp(t->request_hash, request_hash) ||
		    !t->plan || t->rolled_back)
			continue;
		for (size_t k = 0; k < t->plan->n && res->n < LVQ_MAX_LV; k++) {
			const struct lvq_step *s = &t->plan->step[k];
			if (s->kind != LVQ_LVCREATE || !s->pct)
				continue;
			copy(res->lv[res->n], sizeof(res->lv[0]), s->lv);
			res->extents[res->n++] = s->extents;
		}
		return;
	}
}

/* ---- writing -------------------------------------------------------------- */

int lvq_journal_open(const char *path, struct lvq_journal *j, struct bb_error *e)
{
	char dir[LVQ_PATH];
	memset(j, 0, sizeof(*j));
	j->fd = -1;
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mount_mkdir_p(dir, 0700, e))
			return bb_error_prefix(e, "journal");
	}
	bool fresh = !path_exists(path);
	j->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (j->fd < 0)
		return bb_error_errno(e, "journal %s", path);
	if (fresh)
		fsync_parent(path);
	return 0;
}

void lvq_journal_close(struct lvq_journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
}

/* Write one record (the text of a JSON object) and its newline, then fsync. */
static int put(struct lvq_journal *j, char *buf, size_t len, struct bb_error *e)
{
	while (len && (buf[len - 1] == '\n'))
		len--;
	buf[len++] = '\n';
	if (write_full(j->fd, buf, len) || fsync(j->fd))
		return bb_error_errno(e, "journal: write");
	return 0;
}

#define RECORD_BEGIN(w, f, buf, len)                                                \
	FILE *f = open_memstream(&buf, &len);                                       \
	if (!f)                                                                     \
		return bb_error_errno(e, "journal: record");                        \
	jw_init(&w, f, false);                                                      \
	jw_obj(&w);                                                                 \
	jw_kstr(&w, "txn", j->txn);                                                 \
	jw_kstr(&w, "plan_hash", j->plan_hash)

static int record_end(struct lvq_journal *j, struct jw *w, FILE *f, char **buf, size_t *len,
		      struct bb_error *e)
{
	jw_obj_end(w);
	fputc('\n', f);
	fputc('\n', f); /* room for put() to place the newline */
	int rc = fclose(f) ? bb_error_errno(e, "journal: record") : put(j, *buf, *len - 1, e);
	free(*buf);
	return rc;
}

int lvq_journal_begin(struct lvq_journal *j, const struct lvq_plan *p, const char *event,
		      struct bb_error *e)
{
	struct jw w;
	char *buf = NULL;
	size_t len = 0;
	if (!strcmp(event, "begin")) {
		struct uuid u;
		if (uuid_random(&u, e))
			return -1;
		uuid_fmt(&u, j->txn);
	}
	copy(j->plan_hash, sizeof(j->plan_hash), p->hash);
	RECORD_BEGIN(w, f, buf, len);
	jw_kstr(&w, "event", event);
	jw_ku64(&w, "time_ns", clock_wall_ns());
	if (!strcmp(event, "begin")) {
		if (!strcmp(p->command, "rollback")) {
			jw_kstr(&w, "undoes", p->request_hash);
		}
		jw_key(&w, "plan");
		lvq_plan_json(p, &w);
	}
	return record_end(j, &w, f, &buf, &len, e);
}

int lvq_journal_stepn(struct lvq_journal *j, const struct lvq_step *s, size_t number,
		      const char *event, uint64_t start_ns, uint64_t end_ns, int status,
		      const char *tail, const char *uuid, struct bb_error *e)
{
	struct jw w;
	char *buf = NULL;
	size_t len = 0;
	const char *argv[LVQ_ARGV_MAX + 1];
	unsigned n = lvq_step_argv(s, argv);
	RECORD_BEGIN(w, f, buf, len);
	jw_kstr(&w, "event", event);
	jw_ku64(&w, "step", number);
	jw_kstr(&w, "kind", lvq_kind_name(s->kind));
	jw_key(&w, "argv");
	jw_arr(&w);
	for (unsigned k = 0; k < n; k++)
		jw_str(&w, argv[k]);
	jw_arr_end(&w);
	jw_ku64(&w, "start_ns", start_ns);
	if (strcmp(event, "step_start")) {
		jw_ku64(&w, "end_ns", end_ns);
		jw_ki64(&w, "exit_status", status);
		jw_kstr(&w, "output_tail", tail ? tail : "");
	}
	if (s->kind == LVQ_LVCREATE) {
		jw_ku64(&w, "extents", s->extents);
		jw_kbool(&w, "resolved_from_percent", s->pct);
	}
	if (uuid && *uuid)
		jw_kstr(&w, "uuid", uuid);
	return record_end(j, &w, f, &buf, &len, e);
}

int lvq_journal_step(struct lvq_journal *j, const struct lvq_plan *p, size_t i,
		     const char *event, uint64_t start_ns, uint64_t end_ns, int status,
		     const char *tail, const char *uuid, struct bb_error *e)
{
	return lvq_journal_stepn(j, &p->step[i], i + 1, event, start_ns, end_ns, status, tail, uuid,
				 e);
}

int lvq_journal_end(struct lvq_journal *j, const char *outcome, struct bb_error *e)
{
	struct jw w;
	char *buf = NULL;
	size_t len = 0;
	RECORD_BEGIN(w, f, buf, len);
	jw_kstr(&w, "event", "end");
	jw_kstr(&w, "outcome", outcome);
	jw_ku64(&w, "time_ns", clock_wall_ns());
	return record_end(j, &w, f, &buf, &len, e);
}
