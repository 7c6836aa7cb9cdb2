/* report.c - LVM's state from one `lvm fullreport` call.
 *
 * Separate pvs/vgs/lvs calls can disagree with each other; fullreport is
 * one consistent view. LVM 2.03.16 (Debian bookworm) knows the "json"
 * format only, where every value is a string; "json_std" (2.03.17 on)
 * writes numbers as numbers. Both are read. With log/report_command_log
 * the command's messages go into the report's "log" array instead of
 * onto stdout among the JSON.
 */
#include "lvq.h"

#include "error.h"
#include "exec.h"
#include "json.h"
#include "num.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns lvq reads, asked for by name so that a changed default
 * column set cannot drop one. */
const char *const lvq_fullreport_argv[] = {
	"lvm", "fullreport", "--reportformat", "json", "--units", "b", "--nosuffix",
	"--config", "log/report_command_log=1",
	"--configreport", "pv", "-o",
	"pv_name,pv_uuid,vg_name,dev_size,pv_size,pe_start,pv_pe_count,pv_pe_alloc_count",
	"--configreport", "vg", "-o",
	"vg_name,vg_uuid,vg_extent_size,vg_extent_count,vg_free_count,vg_size,vg_free,pv_count,lv_count",
	"--configreport", "lv", "-o", "vg_name,lv_name,lv_uuid,lv_path,lv_size,seg_count",
	"--configreport", "seg", "-o", "lv_name,seg_start_pe,seg_size_pe,devices",
	"--configreport", "pvseg", "-o", "pv_name,pvseg_start,pvseg_size",
	NULL,
};

static int get_u64(const struct json *o, const char *key, uint64_t *v, struct bb_error *e)
{
	const struct json *j = json_get(o, key);
	const char *s = json_string(j);
	*v = 0;
	if (!j)
		return 0; /* a column this LVM does not have */
	if (s && !*s)
		return 0; /* "" : not applicable */
	if (s ? num_dec_u64(s, 0, UINT64_MAX, v, NULL) : !json_u64(j, v))
		return bb_error_set(e, EINVAL, "fullreport: %s is not a number", key);
	return 0;
}

static int get_str(const struct json *o, const char *key, char *buf, size_t len,
		   struct bb_error *e)
{
	const struct json *j = json_get(o, key);
	buf[0] = 0;
	if (!j)
		return 0;
	if (j->type != JSON_STRING)
		return bb_error_set(e, EINVAL, "fullreport: %s is not a string", key);
	if (j->str.len >= len || memchr(j->str.s, 0, j->str.len))
		return bb_error_set(e, EINVAL, "fullreport: %s is too long", key);
	memcpy(buf, j->str.s, j->str.len + 1);
	return 0;
}

/* Grow an array by one zeroed element. */
static void *push(void *arr, size_t *n, size_t size, struct bb_error *e)
{
	char *p = realloc(arr, (*n + 1) * size);
	if (!p) {
		bb_error_set(e, ENOMEM, "fullreport: out of memory");
		return NULL;
	}
	memset(p + *n * size, 0, size);
	(*n)++;
	return p;
}

static const struct json *array(const struct json *o, const char *key)
{
	const struct json *a = json_get(o, key);
	return a && a->type == JSON_ARRAY ? a : NULL;
}

static int read_pv(const struct json *o, struct lvq_state *s, struct bb_error *e)
{
	const char *name = json_string(json_get(o, "pv_name"));
	/* an orphan PV is listed in its own element and again with no VG
	 * elsewhere in some versions: keep one entry per device */
	if (name && lvq_state_pv(s, name))
		return 0;
	struct lvq_pv *p = push(s->pv, &s->npv, sizeof(*p), e);
	if (!p)
		return -1;
	s->pv = p;
	p = &s->pv[s->npv - 1];
	if (get_str(o, "pv_name", p->name, sizeof(p->name), e) ||
	    get_str(o, "vg_name", p->vg, sizeof(p->vg), e) ||
	    get_str(o, "pv_uuid", p->uuid, sizeof(p->uuid), e) ||
	    get_u64(o, "pv_size", &p->size, e) || get_u64(o, "pe_start", &p->pe_start, e) ||
	    get_u64(o, "pv_pe_count", &p->pe_count, e) ||
	    get_u64(o, "pv_pe_alloc_count", &p->pe_alloc, e))
		return -1;
	if (!p->name[0])
		return bb_error_set(e, EINVAL, "fullreport: a PV without a name");
	return 0;
}

static int read_vg(const struct json *o, struct lvq_state *s, struct bb_error *e)
{
	struct lvq_vg *v = push(s->vg, &s->nvg, sizeof(*v), e);
	uint64_t pvc, lvc;
	if (!v)
		return -1;
	s->vg = v;
	v = &s->vg[s->nvg - 1];
	if (get_str(o, "vg_name", v->name, sizeof(v->name), e) ||
	    get_str(o, "vg_uuid", v->uuid, sizeof(v->uuid), e) ||
	    get_u64(o, "vg_extent_size", &v->extent_size, e) ||
	    get_u64(o, "vg_extent_count", &v->extent_count, e) ||
	    get_u64(o, "vg_free_count", &v->free_count, e) || get_u64(o, "vg_size", &v->size, e) ||
	    get_u64(o, "vg_free", &v->free, e) || get_u64(o, "pv_count", &pvc, e) ||
	    get_u64(o, "lv_count", &lvc, e))
		return -1;
	if (!v->name[0])
		return bb_error_set(e, EINVAL, "fullreport: a VG without a name");
	if (v->free_count > v->extent_count)
		return bb_error_set(e, EINVAL, "fullreport: VG %s has more free extents than extents",
				    v->name);
	v->pv_count = pvc > 65535 ? 65535 : (unsigned)pvc;
	v->lv_count = lvc > 65535 ? 65535 : (unsigned)lvc;
	return 0;
}

static int read_lv(const struct json *o, struct lvq_state *s, struct bb_error *e)
{
	struct lvq_lv *l = push(s->lv, &s->nlv, sizeof(*l), e);
	uint64_t segs;
	if (!l)
		return -1;
	s->lv = l;
	l = &s->lv[s->nlv - 1];
	if (get_str(o, "vg_name", l->vg, sizeof(l->vg), e) ||
	    get_str(o, "lv_name", l->name, sizeof(l->name), e) ||
	    get_str(o, "lv_uuid", l->uuid, sizeof(l->uuid), e) ||
	    get_str(o, "lv_path", l->path, sizeof(l->path), e) ||
	    get_u64(o, "lv_size", &l->size, e) || get_u64(o, "seg_count", &segs, e))
		return -1;
	if (!l->name[0])
		return bb_error_set(e, EINVAL, "fullreport: an LV without a name");
	l->segs = segs > 65535 ? 65535 : (unsigned)segs;
	return 0;
}

/* One element of "report": the vg, pv, lv, pvseg and seg lists of a VG
 * (or of the orphan PVs). */
static int read_element(const struct json *el, struct lvq_state *s, struct bb_error *e)
{
	static const struct {
		const char *key;
		int (*fn)(const struct json *, struct lvq_state *, struct bb_error *);
	} lists[] = { { "vg", read_vg }, { "pv", read_pv }, { "lv", read_lv } };
	if (el->type != JSON_OBJECT)
		return bb_error_set(e, EINVAL, "fullreport: a report element is not an object");
	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		const struct json *a = array(el, lists[k].key);
		for (size_t i = 0; a && i < a->arr.n; i++)
			if (a->arr.v[i].type != JSON_OBJECT || lists[k].fn(&a->arr.v[i], s, e))
				return bb_error_is_set(e) ? -1 : bb_error_set(e, EINVAL,
						"fullreport: a %s row is not an object", lists[k].key);
	}
	const struct json *seg = array(el, "seg");
	if (seg)
		s->nseg += seg->arr.n;
	return 0;
}

/* LVM 2.03.16's report writer puts the row separator after the last row
 * it shows even when a later row is filtered out (lvm2 issue 130). The
 * command log's default selection hides its final "success" row, so a
 * non-empty log can end "...},\n ]\n }": one comma too many, which
 * no JSON parser accepts. Only that defect is mended: the text must end
 * with a row's '}', the comma, the log's ']' and the document's '}'
 * (blanks between), the comma must be the only thing wrong (the text
 * without it parses strictly), and the array it closes must be the
 * document's last member, "log", made of objects. The parsed tree, or
 * NULL with err from the strict parse of the text as it came. */
static const char *back_over_blanks(const char *t, const char *p)
{
	while (p > t && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\r' || p[-1] == '\n'))
		p--;
	return p;
}

static bool is_command_log(const struct json *root)
{
	if (!root || root->type != JSON_OBJECT || !root->obj.n)
		return false;
	const struct json_member *m = &root->obj.m[root->obj.n - 1];
	if (m->keylen != 3 || strcmp(m->key, "log") || m->val.type != JSON_ARRAY || !m->val.arr.n)
		return false;
	for (size_t i = 0; i < m->val.arr.n; i++)
		if (m->val.arr.v[i].type != JSON_OBJECT)
			return false;
	return true;
}

static struct json *parse_fullreport(const char *text, size_t len, char *err, size_t errlen)
{
	struct json *root = json_parse(text, len, JSON_DEFAULT_DEPTH, err, errlen);
	if (root || !len)
		return root;
	const char *p = back_over_blanks(text, text + len), *comma;
	if (p == text || *--p != '}' || (p = back_over_blanks(text, p)) == text || *--p != ']' ||
	    (p = back_over_blanks(text, p)) == text || *(comma = --p) != ',' ||
	    (p = back_over_blanks(text, p)) == text || p[-1] != '}')
		return NULL;
	char *fixed = malloc(len);
	if (!fixed)
		return NULL;
	memcpy(fixed, text, len);
	fixed[comma - text] = ' ';
	char ignored[8];
	root = json_parse(fixed, len, JSON_DEFAULT_DEPTH, ignored, sizeof(ignored));
	free(fixed);
	if (!is_command_log(root)) {
		json_free(root);
		return NULL;
	}
	return root;
}

int lvq_state_parse(const char *text, size_t len, struct lvq_state *s, struct bb_error *e)
{
	char err[128];
	memset(s, 0, sizeof(*s));
	struct json *root = parse_fullreport(text, len, err, sizeof(err));
	if (!root)
		return bb_error_set(e, EINVAL, "lvm fullreport: not JSON: %s", err);
	const struct json *rep = array(root, "report");
	int rc = 0;
	if (!rep)
		rc = bb_error_set(e, EINVAL, "lvm fullreport: no \"report\" list");
	for (size_t i = 0; !rc && i < rep->arr.n; i++)
		rc = read_element(&rep->arr.v[i], s, e);
	/* the command log is not read for failures: LVM logs "errors" that
	 * do not fail the command (a backup file missing after a reboot);
	 * the exit status says whether it failed */
	json_free(root);
	if (rc)
		lvq_state_free(s);
	return rc;
}

int lvq_state_read(struct lvq_state *s, struct bb_error *e)
{
	static char *const env[] = { "LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	struct run_opts o = RUN_OPTS_INIT;
	struct run_result r;
	o.flags = RUN_OUT | RUN_ERR;
	o.envp = env;
	o.timeout_ms = 120000;
	memset(s, 0, sizeof(*s));
	if (run_process(lvq_fullreport_argv, &o, &r, e))
		return -1;
	int rc = run_success(lvq_fullreport_argv, &r, e);
	if (!rc)
		rc = lvq_state_parse(r.out, r.out_len, s, e);
	run_free(&r);
	return rc;
}

void lvq_state_free(struct lvq_state *s)
{
	free(s->pv);
	free(s->vg);
	free(s->lv);
	memset(s, 0, sizeof(*s));
}

const struct lvq_pv *lvq_state_pv(const struct lvq_state *s, const char *dev)
{
	for (size_t i = 0; i < s->npv; i++)
		if (!strcmp(s->pv[i].name, dev))
			return &s->pv[i];
	return NULL;
}

const struct lvq_vg *lvq_state_vg(const struct lvq_state *s, const char *vg)
{
	for (size_t i = 0; i < s->nvg; i++)
		if (!strcmp(s->vg[i].name, vg))
			return &s->vg[i];
	return NULL;
}

const struct lvq_lv *lvq_state_lv(const struct lvq_state *s, const char *vg, const char *lv)
{
	for (size_t i = 0; i < s->nlv; i++)
		if (!strcmp(s->lv[i].vg, vg) && !strcmp(s->lv[i].name, lv))
			return &s->lv[i];
	return NULL;
}
