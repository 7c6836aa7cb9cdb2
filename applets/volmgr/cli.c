/* cli.c - `volmgr COMMAND`: the command's params from its arguments and
 * options, one call to the daemon, the result as a table or as JSON, and
 * for a job, waiting with a progress bar. */
#include "cli.h"
#include "client.h"
#include "clock.h"
#include "progress.h"
#include "size.h"
#include "utf8.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int vm_cli_dropped;

/* ---- tables from the method table ------------------------------------ */

static struct bb_opt *g_opts;
static int g_first, g_nopts;

/* The CLI option name of a param: p->opt, or the name with '-' for '_'. */
static void opt_name_of(const struct vm_param *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s", p->opt ? p->opt : p->name);
	for (char *s = buf; *s; s++)
		if (*s == '_')
			*s = '-';
}

/* Names are kept in a pool that lives as long as the program. */
static char *keep(const char *s)
{
	static char pool[8192];
	static size_t used;
	size_t n = strlen(s) + 1;
	if (used + n > sizeof(pool))
		return NULL;
	char *p = memcpy(pool + used, s, n);
	used += n;
	return p;
}

static int find_opt(const char *name)
{
	for (int i = 0; i < g_nopts; i++)
		if (!strcmp(g_opts[i].lng, name))
			return i;
	return -1;
}

/* Index of the option for p, added when new; -1 when the table is full. */
static int opt_for(const char *name, int type, const char *help, int max)
{
	int i = find_opt(name);
	if (i >= 0)
		return i;
	char *n = keep(name);
	if (g_nopts >= max || !n)
		return -1;
	g_opts[g_nopts] = (struct bb_opt){ n, 0, type == VM_T_BOOL ? NULL
					   : type == VM_T_U64 ? "N" : "VALUE", help, 0 };
	return g_nopts++;
}

static void upper(char *s)
{
	for (; *s; s++)
		*s = *s == '_' ? '-' : (char)toupper((unsigned char)*s);
}

static int cli_run(void *ctx, const struct bb_args *a);

static bool build_cmd(const struct vm_method *m, struct bb_cmd *c, uint64_t client_opts, int max)
{
	char args[160] = "", name[64];
	uint64_t mask = client_opts;
	unsigned char npos = 0, nreq = 0;
	for (const struct vm_param *p = m->params; p && p->name; p++) {
		if (p->flags & VM_POS) {
			snprintf(name, sizeof(name), "%s", p->opt ? p->opt : p->name);
			upper(name);
			size_t l = strlen(args);
			snprintf(args + l, sizeof(args) - l, "%s%s%s%s", l ? " " : "",
				 p->flags & VM_REQ ? "" : "[", name, p->flags & VM_REQ ? "" : "]");
			npos++;
			nreq += (p->flags & VM_REQ) != 0;
			continue;
		}
		if (p->type == VM_T_OBJ)
			continue; /* not settable from a command line */
		opt_name_of(p, name, sizeof(name));
		int i = opt_for(name, (int)p->type, p->help, max);
		if (i < 0)
			return false;
		mask |= BB_O(i);
	}
	if (m->flags & VM_MUTATING) {
		int i = opt_for("dry-run", VM_T_BOOL, "say what would be done, do nothing", max);
		if (i < 0)
			return false;
		mask |= BB_O(i);
	}
	if (m->flags & VM_JOB)
		mask |= BB_O(VM_O_NOWAIT);
	*c = (struct bb_cmd){ m->cli, args[0] ? keep(args) : NULL, nreq, npos, mask, m->help,
			      cli_run };
	return true;
}

struct build_ctx {
	struct bb_cmd *cmds;
	int n, max, maxopts;
	uint64_t client_opts;
};

static void add_method(const struct vm_method *m, void *vctx)
{
	struct build_ctx *b = vctx;
	if (!m->cli || (m->flags & VM_NO_CLI))
		return;
	if (b->n >= b->max || !build_cmd(m, &b->cmds[b->n], b->client_opts, b->maxopts)) {
		vm_cli_dropped++;
		return;
	}
	b->n++;
}

void vm_cli_build(struct bb_opt *opts, int first, int max, struct bb_cmd *cmds, int ncmds,
		  uint64_t client_opts)
{
	g_opts = opts;
	g_first = first;
	g_nopts = first;
	struct build_ctx b = { cmds, 0, ncmds, max, client_opts };
	vm_each_method(add_method, &b);
	cmds[b.n] = (struct bb_cmd){ 0 };
	opts[g_nopts] = (struct bb_opt){ 0 };
}

/* ---- params from the command line ---------------------------------- */

static int param_value(struct jw *w, const struct vm_param *p, const char *v)
{
	uint64_t n;
	const char *why;
	char path[PATH_MAX];
	switch (p->type) {
	case VM_T_U64:
		if (parse_size(v, 0, &n, &why)) {
			opt_bad_value("%s: '%s': %s", p->name, v, why);
			return -1;
		}
		jw_u64(w, n);
		return 0;
	case VM_T_PATH:
		/* The daemon wants absolute paths; a relative one is meant
		 * from here. */
		if (v[0] != '/' && getcwd(path, sizeof(path)) &&
		    strlen(path) + strlen(v) + 2 <= sizeof(path)) {
			strcat(strcat(path, "/"), v);
			v = path;
		}
		jw_str(w, v);
		return 0;
	case VM_T_ARR:
		jw_arr(w);
		for (const char *s = v; *s;) {
			size_t l = strcspn(s, ",");
			jw_strn(w, s, l);
			s += l + (s[l] == ',');
		}
		jw_arr_end(w);
		return 0;
	default:
		jw_str(w, v);
		return 0;
	}
}

/* The params object as JSON text (malloc'd), or NULL after a usage error. */
static char *params_json(const struct vm_method *m, const struct bb_args *a)
{
	char *buf = NULL, name[64];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	struct jw w;
	jw_init(&w, f, false);
	jw_obj(&w);
	int pos = 0, bad = 0;
	for (const struct vm_param *p = m->params; p && p->name && !bad; p++) {
		if (p->flags & VM_POS) {
			if (pos < a->argc) {
				jw_key(&w, p->name);
				bad = param_value(&w, p, a->argv[pos++]);
			}
			continue;
		}
		opt_name_of(p, name, sizeof(name));
		int i = find_opt(name);
		if (i < 0 || !opt_on(a, i) || p->type == VM_T_OBJ)
			continue;
		jw_key(&w, p->name);
		if (p->type == VM_T_BOOL)
			jw_bool(&w, true);
		else
			bad = param_value(&w, p, opt_str(a, i, ""));
	}
	int dry = find_opt("dry-run");
	if ((m->flags & VM_MUTATING) && dry >= 0 && opt_on(a, dry))
		jw_kbool(&w, "dry_run", true);
	jw_obj_end(&w);
	fclose(f);
	if (bad) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- rendering --------------------------------------------------------- */

static bool scalar(const struct json *j)
{
	return j && j->type != JSON_ARRAY && j->type != JSON_OBJECT;
}

/* One value as a cell: sizes in units, strings made safe for a terminal. */
static void cell(const struct json *j, unsigned flags, char *out, size_t len)
{
	uint64_t u;
	if (!j || j->type == JSON_NULL) {
		snprintf(out, len, "-");
	} else if (j->type == JSON_BOOL) {
		snprintf(out, len, "%s", j->b ? "yes" : "no");
	} else if (j->type == JSON_STRING) {
		utf8_printable(j->str.s, j->str.len, out, len);
		if (!out[0])
			snprintf(out, len, "-");
	} else if (j->type == JSON_NUMBER && (flags & VM_F_BYTES) && json_u64(j, &u)) {
		fmt_size(u, out, len);
	} else if (j->type == JSON_NUMBER && (j->num.exact & JSON_IS_I64)) {
		snprintf(out, len, "%lld", (long long)j->num.i);
	} else if (j->type == JSON_NUMBER && (j->num.exact & JSON_IS_U64)) {
		snprintf(out, len, "%llu", (unsigned long long)j->num.u);
	} else if (j->type == JSON_NUMBER) {
		snprintf(out, len, "%.4g", j->num.d);
	} else {
		char *buf = NULL;
		size_t n = 0;
		FILE *f = open_memstream(&buf, &n);
		if (f) {
			struct jw w;
			jw_init(&w, f, false);
			jw_json(&w, j);
			fclose(f);
			utf8_printable(buf, n, out, len);
		}
		free(buf);
	}
}

#define MAX_COLS 24

struct col {
	const char *key;
	unsigned flags;
	char head[40];
	size_t width;
};

/* Columns: the scalar fields of the table (or of the first row). */
static int columns(const struct vm_method *m, const struct json *rows, struct col *cols)
{
	int n = 0;
	const struct vm_field *f = m ? m->result.fields : NULL;
	for (; f && f->name && n < MAX_COLS; f++)
		if (!(f->flags & VM_F_HIDE) && f->type != VM_T_ARR && f->type != VM_T_OBJ)
			cols[n++] = (struct col){ f->name, f->flags, "", 0 };
	if (!f && rows->arr.n && rows->arr.v[0].type == JSON_OBJECT) {
		const struct json *r = &rows->arr.v[0];
		for (size_t i = 0; i < r->obj.n && n < MAX_COLS; i++)
			if (scalar(&r->obj.m[i].val))
				cols[n++] = (struct col){ r->obj.m[i].key, 0, "", 0 };
	}
	for (int i = 0; i < n; i++) {
		snprintf(cols[i].head, sizeof(cols[i].head), "%s", cols[i].key);
		size_t l = strlen(cols[i].head);
		if ((cols[i].flags & VM_F_BYTES) && l > 6 && !strcmp(cols[i].head + l - 6, "_bytes"))
			cols[i].head[l - 6] = 0;
		upper(cols[i].head);
		cols[i].width = strlen(cols[i].head);
	}
	return n;
}

static void show_table(const struct vm_method *m, const struct json *rows, FILE *out)
{
	struct col cols[MAX_COLS];
	int nc = columns(m, rows, cols);
	char buf[256];
	for (size_t r = 0; r < rows->arr.n; r++)
		for (int c = 0; c < nc; c++) {
			cell(json_get(&rows->arr.v[r], cols[c].key), cols[c].flags, buf, sizeof(buf));
			size_t l = strlen(buf);
			if (l > cols[c].width)
				cols[c].width = l;
		}
	for (int c = 0; c < nc; c++)
		fprintf(out, "%-*s%s", c + 1 < nc ? (int)cols[c].width : 0, cols[c].head,
			c + 1 < nc ? "  " : "\n");
	for (size_t r = 0; r < rows->arr.n; r++)
		for (int c = 0; c < nc; c++) {
			cell(json_get(&rows->arr.v[r], cols[c].key), cols[c].flags, buf, sizeof(buf));
			fprintf(out, "%-*s%s", c + 1 < nc ? (int)cols[c].width : 0, buf,
				c + 1 < nc ? "  " : "\n");
		}
}

static unsigned field_flags(const struct vm_method *m, const char *key)
{
	for (const struct vm_field *f = m ? m->result.fields : NULL; f && f->name; f++)
		if (!strcmp(f->name, key))
			return f->flags;
	return 0;
}

static void show_object(const struct vm_method *m, const struct json *o, FILE *out)
{
	char buf[1024];
	size_t w = 0;
	for (size_t i = 0; i < o->obj.n; i++)
		if (strlen(o->obj.m[i].key) > w)
			w = strlen(o->obj.m[i].key);
	for (size_t i = 0; i < o->obj.n; i++) {
		const struct json_member *mb = &o->obj.m[i];
		if (mb->val.type == JSON_ARRAY && mb->val.arr.n && mb->val.arr.v[0].type == JSON_OBJECT) {
			fprintf(out, "%s:\n", mb->key); /* a list inside: as a table */
			show_table(NULL, &mb->val, out);
			continue;
		}
		cell(&mb->val, field_flags(m, mb->key), buf, sizeof(buf));
		fprintf(out, "%-*s  %s\n", (int)w + 1, mb->key, buf);
	}
}

void vm_cli_show(const struct vm_method *m, const struct json *result, FILE *f)
{
	if (m && m->show) {
		m->show(result, f);
	} else if (result->type == JSON_ARRAY && (!m || m->result.kind != VM_R_ANY)) {
		show_table(m, result, f);
	} else if (result->type == JSON_OBJECT && (!m || m->result.kind != VM_R_ANY)) {
		show_object(m, result, f);
	} else {
		struct jw w;
		jw_init(&w, f, true);
		jw_json(&w, result);
		jw_end(&w);
	}
}

/* ---- calling ---------------------------------------------------------- */

static int open_client(struct vm_client *cl, const struct bb_args *a, struct bb_error *e)
{
	const char *hp = opt_str(a, VM_O_CONNECT, NULL);
	if (!hp)
		return vm_client_unix(cl, opt_str(a, VM_O_SOCKET, VM_DEFAULT_SOCKET), e);
	if (!vm_client_tls)
		return bb_error_set(e, ENOTSUP, "--connect: built without TLS");
	return vm_client_tls(cl, hp, opt_str(a, VM_O_CERT, NULL), opt_str(a, VM_O_KEY, NULL),
			     opt_str(a, VM_O_CA, NULL), e);
}

/* A daemon error: "volmgr: METHOD: MESSAGE (code N[, device D][, errno])". */
static int daemon_error(const char *method, const struct json *err)
{
	int64_t code = 0;
	json_i64(json_get(err, "code"), &code);
	const char *msg = json_string(json_get(err, "message"));
	const struct json *data = json_get(err, "data");
	const char *dev = json_string(json_get(data, "device"));
	char safe[600];
	utf8_printable(msg ? msg : "(no message)", strlen(msg ? msg : "(no message)"), safe,
		       sizeof(safe));
	bb_err("%s: %s (code %lld%s%s)", method, safe, (long long)code, dev ? ", device " : "",
	       dev ? dev : "");
	return 1;
}

static void print_json(const struct json *j)
{
	struct jw w;
	jw_init(&w, stdout, true);
	jw_json(&w, j);
	jw_end(&w);
}

/* Wait for a job: storage.job_status until it is no longer running. */
static int wait_job(struct vm_client *cl, const struct vm_method *m, uint64_t id, bool json)
{
	char params[48];
	snprintf(params, sizeof(params), "{\"job\":%llu}", (unsigned long long)id);
	struct progress p;
	progress_start(&p, m->cli, 1000);
	p.no_rate = true; /* per mille of the job; its rate is in its own units */
	for (;;) {
		struct bb_error e = { 0 };
		struct json *r = vm_client_call(cl, "storage.job_status", params, &e);
		if (!r) {
			progress_end(&p);
			bb_report(&e);
			return 1;
		}
		const struct json *res = json_get(r, "result");
		if (!res) {
			progress_end(&p);
			int rc = daemon_error("storage.job_status", json_get(r, "error"));
			json_free(r);
			return rc;
		}
		const char *state = json_string(json_get(res, "state"));
		const struct json *pr = json_get(res, "progress");
		if (pr && pr->type == JSON_NUMBER)
			progress_set(&p, (uint64_t)(pr->num.d * 10));
		if (!state || strcmp(state, "running")) {
			progress_end(&p);
			int rc = 0;
			if (state && !strcmp(state, "done")) {
				const struct json *out = json_get(res, "result");
				if (json)
					print_json(res);
				else if (out)
					vm_cli_show(NULL, out, stdout);
			} else if (state && !strcmp(state, "failed")) {
				if (json)
					print_json(res);
				rc = daemon_error(m->name, json_get(res, "error"));
			} else {
				if (json)
					print_json(res);
				bb_err("%s: job %llu %s", m->name, (unsigned long long)id,
				       state ? state : "vanished");
				rc = 1;
			}
			json_free(r);
			return rc;
		}
		json_free(r);
		struct timespec ts = { 0, 200 * 1000000 };
		nanosleep(&ts, NULL);
	}
}

static int cli_run(void *ctx, const struct bb_args *a)
{
	(void)ctx;
	const struct vm_method *m = vm_method_by_cli(a->cmd->name);
	char *params = m ? params_json(m, a) : NULL;
	if (!params)
		return 2;
	struct vm_client cl;
	struct bb_error e = { 0 };
	if (open_client(&cl, a, &e)) {
		free(params);
		bb_report(&e);
		return 1;
	}
	struct json *r = vm_client_call(&cl, m->name, params, &e);
	free(params);
	int rc = 0;
	bool json = opt_on(a, VM_O_JSON);
	const struct json *res = r ? json_get(r, "result") : NULL;
	uint64_t job;
	if (!r) {
		bb_report(&e);
		rc = 1;
	} else if (!res) {
		rc = daemon_error(m->name, json_get(r, "error"));
	} else if ((m->flags & VM_JOB) && !opt_on(a, VM_O_NOWAIT) &&
		   json_u64(json_get(res, "job"), &job)) {
		rc = wait_job(&cl, m, job, json);
	} else if (json) {
		print_json(res);
	} else {
		vm_cli_show(m, res, stdout);
	}
	json_free(r);
	vm_client_close(&cl);
	return rc;
}
