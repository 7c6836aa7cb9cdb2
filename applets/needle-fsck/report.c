/* report.c - what was found and done, as text for a person at an
 * emergency shell and as JSON for scripts. */
#include "fsck.h"
#include "json.h"
#include "size.h"
#include "utf8.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define NF_KIND_NAME(k, s) [NF_K_##k] = s,
const char *const nf_kind_name[NF_K_COUNT] = { NF_KINDS(NF_KIND_NAME) };
#undef NF_KIND_NAME

static const char *const sev_name[] = { "error", "warning", "note" };

void nf_say(struct nf_report *r, enum nf_sev sev, enum nf_kind kind, bool fixable, const uint64_t *off,
	    const uint64_t *id, const char *fmt, ...)
{
	r->msg_count[kind]++;
	if (sev == NF_ERROR) {
		r->err_count[kind]++;
		r->fixable_count[kind] += fixable;
	}
	if (r->msg_count[kind] > NF_MAX_MSGS)
		return;
	if (r->nmsgs == r->cap_msgs) {
		size_t cap = r->cap_msgs ? r->cap_msgs * 2 : 16;
		struct nf_msg *m = realloc(r->msgs, cap * sizeof(*m));
		if (!m)
			return; /* still counted */
		r->msgs = m;
		r->cap_msgs = cap;
	}
	struct nf_msg *m = &r->msgs[r->nmsgs++];
	memset(m, 0, sizeof(*m));
	m->sev = sev;
	m->kind = kind;
	m->fixable = fixable;
	if (off) {
		m->has_off = true;
		m->off = *off;
	}
	if (id) {
		m->has_id = true;
		m->id = *id;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->text, sizeof(m->text), fmt, ap);
	va_end(ap);
}

void nf_did(struct nf_report *r, const char *fmt, ...)
{
	if (r->nrepairs == (int)(sizeof(r->repairs) / sizeof(r->repairs[0])))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->repairs[r->nrepairs++], sizeof(r->repairs[0]), fmt, ap);
	va_end(ap);
}

int nf_list_add(struct nf_list *l, uint64_t v)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		uint64_t *n = realloc(l->v, cap * sizeof(*n));
		if (!n)
			return -1;
		l->v = n;
		l->cap = cap;
	}
	l->v[l->n++] = v;
	return 0;
}

void nf_report_free(struct nf_report *r)
{
	free(r->msgs);
	free(r->lost.v);
	r->msgs = NULL;
	r->lost.v = NULL;
}

static double ratio(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / (double)whole : 0;
}

/* Bytes after the superblock: what the garbage ratio is a share of. */
static uint64_t content(const struct nf_report *r)
{
	return r->dat_size > r->data_start ? r->dat_size - r->data_start : 0;
}

static void text_summary(FILE *f, const struct nf_report *r)
{
	char sz[16], live[16], base[3 * PATH_MAX];
	fprintf(f, "%s:", utf8_printable(r->base, strlen(r->base), base, sizeof(base)));
	if (r->have_dat && !r->version) {
		fprintf(f, " %s of .dat, no valid superblock", fmt_size(r->dat_size, sz, sizeof(sz)));
	} else if (r->have_dat) {
		fprintf(f, " v%d, replica %s%s%s, %s, %" PRIu64 " records", r->version, r->replica,
			r->ttl[0] ? ", ttl " : "", r->ttl, fmt_size(r->dat_size, sz, sizeof(sz)),
			r->records);
		fprintf(f, ", %" PRIu64 " live (%s), %" PRIu64 " deleted, garbage %.1f%%", r->live,
			fmt_size(r->live_bytes, live, sizeof(live)), r->deleted,
			100 * ratio(r->garbage_bytes, content(r)));
	} else {
		fprintf(f, " no .dat");
		if (r->have_idx)
			fprintf(f, ", %" PRIu64 " live, %" PRIu64 " deleted", r->live, r->deleted);
	}
	if (r->have_idx)
		fprintf(f, "; .idx %" PRIu64 " rows", r->idx_rows);
	fprintf(f, "; %d-byte offsets (%s)\n", r->offset_bytes, r->width_from);
}

/* A line that may hold a path from the command line or a directory:
 * no escape sequence reaches the terminal. */
static void shown(FILE *f, const char *text)
{
	char out[3 * PATH_MAX];
	fprintf(f, "%s\n", utf8_printable(text, strlen(text), out, sizeof(out)));
}

static void text_msg(FILE *f, const struct nf_msg *m)
{
	fprintf(f, "  %s: ", sev_name[m->sev]);
	if (m->has_off)
		fprintf(f, "at %" PRIu64 ": ", m->off);
	if (m->has_id)
		fprintf(f, "needle %" PRIx64 ": ", m->id);
	shown(f, m->text);
}

void nf_print_text(FILE *f, const struct nf_report *r)
{
	text_summary(f, r);
	for (size_t i = 0; i < r->nmsgs; i++)
		text_msg(f, &r->msgs[i]);
	for (int k = 0; k < NF_K_COUNT; k++)
		if (r->msg_count[k] > NF_MAX_MSGS)
			fprintf(f, "  ... and %" PRIu64 " more %s\n", r->msg_count[k] - NF_MAX_MSGS,
				nf_kind_name[k]);
	if (r->lost.n) {
		fprintf(f, "  lost needles (%zu):", r->lost.n);
		for (size_t i = 0; i < r->lost.n; i++)
			fprintf(f, "%s%" PRIx64, i % 8 ? " " : "\n    ", r->lost.v[i]);
		fputc('\n', f);
	}
	for (int i = 0; i < r->nrepairs; i++) {
		fputs("  repaired: ", f);
		shown(f, r->repairs[i]);
	}
	if (r->errors && r->lost.n)
		fprintf(f, "  %" PRIu64 " errors, %" PRIu64 " corrected, %zu needles lost\n",
			r->errors, r->fixed, r->lost.n);
	else if (r->errors)
		fprintf(f, "  %" PRIu64 " errors, %" PRIu64 " corrected\n", r->errors, r->fixed);
	else
		fprintf(f, "  clean\n");
}

static void json_msg(struct jw *w, const struct nf_msg *m)
{
	jw_obj(w);
	jw_kstr(w, "severity", sev_name[m->sev]);
	jw_kstr(w, "kind", nf_kind_name[m->kind]);
	if (m->has_off)
		jw_ku64(w, "offset", m->off);
	if (m->has_id)
		jw_ku64(w, "id", m->id);
	jw_kbool(w, "fixable", m->fixable);
	jw_kstr(w, "message", m->text);
	jw_obj_end(w);
}

static void json_counts(struct jw *w, const struct nf_report *r)
{
	jw_key(w, "counts");
	jw_obj(w);
	for (int k = 0; k < NF_K_COUNT; k++)
		if (r->msg_count[k])
			jw_ku64(w, nf_kind_name[k], r->msg_count[k]);
	jw_obj_end(w);
}

void nf_print_json(struct jw *w, const struct nf_report *r)
{
	jw_obj(w);
	jw_kstr(w, "volume", r->base);
	jw_ku64(w, "status", (uint64_t)r->status);
	jw_kbool(w, "dat", r->have_dat);
	jw_kbool(w, "idx", r->have_idx);
	if (r->have_dat) {
		jw_ku64(w, "version", (uint64_t)r->version);
		jw_kstr(w, "replica", r->replica);
		jw_kstr(w, "ttl", r->ttl);
		jw_ku64(w, "compaction_revision", r->compaction_rev);
		jw_ku64(w, "extra_size", r->extra_size);
		jw_ku64(w, "dat_size", r->dat_size);
		jw_ku64(w, "records", r->records);
		jw_ku64(w, "record_bytes", r->record_bytes);
		jw_ku64(w, "tombstone_records", r->tombstones);
		jw_ku64(w, "legacy_crc_records", r->legacy_crc);
		jw_ku64(w, "append_time_backwards", r->ts_backwards);
		jw_ku64(w, "damaged_ranges", r->damaged_ranges);
		jw_ku64(w, "damaged_bytes", r->damaged_bytes);
		jw_ku64(w, "tail_bytes", r->tail_bytes);
		jw_ku64(w, "garbage_bytes", r->garbage_bytes);
		jw_key(w, "garbage_ratio");
		jw_double(w, ratio(r->garbage_bytes, content(r)));
	}
	jw_ku64(w, "offset_bytes", (uint64_t)r->offset_bytes);
	jw_kstr(w, "offset_bytes_from", r->width_from);
	jw_ku64(w, "idx_size", r->idx_size);
	jw_ku64(w, "idx_rows", r->idx_rows);
	jw_ku64(w, "live", r->live);
	jw_ku64(w, "live_bytes", r->live_bytes);
	jw_ku64(w, "deleted", r->deleted);
	jw_ku64(w, "restored", r->restored);
	jw_ku64(w, "unconfirmed", r->unconfirmed);
	jw_ku64(w, "errors", r->errors);
	jw_ku64(w, "corrected", r->fixed);
	json_counts(w, r);
	jw_key(w, "lost_ids");
	jw_arr(w);
	for (size_t i = 0; i < r->lost.n; i++)
		jw_u64(w, r->lost.v[i]);
	jw_arr_end(w);
	jw_key(w, "messages");
	jw_arr(w);
	for (size_t i = 0; i < r->nmsgs; i++)
		json_msg(w, &r->msgs[i]);
	jw_arr_end(w);
	jw_key(w, "repairs");
	jw_arr(w);
	for (int i = 0; i < r->nrepairs; i++)
		jw_str(w, r->repairs[i]);
	jw_arr_end(w);
	jw_obj_end(w);
}
