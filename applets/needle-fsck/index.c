/* index.c - the .idx: which width it is written in, its rows as entries,
 * and the replay that says, needle by needle, what SeaweedFS serves now
 * and what it would serve from an index rebuilt from .dat. */
#include "fsck.h"
#include "bb.h"
#include "endian.h"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- entries -------------------------------------------------------------- */

int nf_ents_push(struct nf_ents *v, uint64_t id, uint64_t off8, int32_t size)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap + v->cap / 2 : 1024;
		struct nf_ent *e = realloc(v->e, cap * sizeof(*e));
		if (!e)
			return -1;
		v->e = e;
		v->cap = cap;
	}
	struct nf_ent *e = &v->e[v->n++];
	e->id = id;
	e->size = size;
	nf_set_off8(e, off8);
	return 0;
}

static int cmp_time(const void *pa, const void *pb)
{
	const struct nf_ent *a = pa, *b = pb;
	uint64_t ta = nf_time(a), tb = nf_time(b);
	return ta < tb ? -1 : ta > tb;
}

static int cmp_id(const void *pa, const void *pb)
{
	const struct nf_ent *a = pa, *b = pb;
	uint64_t ia = a->id, ib = b->id;
	if (ia != ib)
		return ia < ib ? -1 : 1;
	return cmp_time(pa, pb);
}

static void nf_sort_by_time(struct nf_ents *v)
{
	if (v->n > 1)
		qsort(v->e, v->n, sizeof(*v->e), cmp_time);
}

static void nf_sort_by_id(struct nf_ents *v)
{
	if (v->n > 1)
		qsort(v->e, v->n, sizeof(*v->e), cmp_id);
}

/* ---- loading rows ------------------------------------------------------------ */

struct load {
	uint64_t row;         /* rows read so far */
	uint64_t last_off;    /* offset of the last row with one */
	uint64_t head_run;    /* offset-0 deletes at the head */
	bool past_head;
	uint64_t out_of_order, odd_sizes;
};

static int take_row(struct nf_vol *v, struct load *l, const struct swfs_idx_entry *ie)
{
	uint64_t off8 = ie->offset / 8;
	int32_t size = ie->size;
	if (size < SWFS_TOMBSTONE) { /* any negative size deletes, as upstream reads it */
		l->odd_sizes++;
		size = SWFS_TOMBSTONE;
	}
	if (ie->offset == 0) {
		/* No record: it happened after the rows before it. A run at
		 * the head is the old bug that wrote appended deletes over the
		 * start of the file: those came last. */
		if (!l->past_head)
			l->head_run++;
		off8 = !l->past_head ? NF_TIME_LAST : l->last_off / 8;
		size = NF_DELETE_ONLY;
	} else {
		if (ie->offset <= l->last_off && l->row) {
			if (!l->out_of_order++) {
				uint64_t id = ie->id;
				nf_say(v->r, NF_ERROR, NF_K_IDX_ORDER, true, &ie->offset, &id,
				       "index row %" PRIu64 " is not in append order (sorted by key?)",
				       l->row);
			}
		}
		if (ie->offset > l->last_off)
			l->last_off = ie->offset;
		l->past_head = true;
	}
	l->row++;
	return nf_ents_push(&v->rows, ie->id, off8, size);
}

static int read_rows(struct nf_vol *v, int fd, uint64_t size, struct load *l)
{
	size_t w = swfs_idx_width(v->read_width);
	size_t bufsz = 4096 * w;
	uint8_t *buf = malloc(bufsz);
	uint64_t whole = size / w * w, off = 0;
	if (!buf)
		return -1;
	while (off < whole) {
		size_t want = whole - off < bufsz ? (size_t)(whole - off) : bufsz;
		ssize_t got = pread_full(fd, buf, want, off);
		if (got != (ssize_t)want) {
			if (got >= 0)
				errno = EIO;
			free(buf);
			return -1;
		}
		for (size_t i = 0; i < want; i += w) {
			struct swfs_idx_entry ie;
			swfs_idx_decode(buf + i, v->read_width, &ie);
			if (take_row(v, l, &ie)) {
				free(buf);
				errno = ENOMEM;
				return -1;
			}
		}
		off += want;
	}
	free(buf);
	return 0;
}

static void report_load(struct nf_vol *v, const struct load *l, uint64_t size)
{
	struct nf_report *r = v->r;
	size_t w = swfs_idx_width(v->read_width);
	if (size % w) {
		uint64_t at = size / w * w;
		nf_say(r, NF_ERROR, NF_K_IDX_PARTIAL, true, &at, NULL,
		       "%" PRIu64 " bytes after the last whole %zu-byte row", size % w, w);
	}
	if (l->out_of_order > 1)
		nf_say(r, NF_ERROR, NF_K_IDX_ORDER, true, NULL, NULL,
		       "%" PRIu64 " rows in all are out of append order", l->out_of_order);
	if (l->head_run && l->past_head)
		nf_say(r, NF_ERROR, NF_K_IDX_HEADRUN, true, NULL, NULL,
		       "the index starts with %" PRIu64 " offset-0 deletes written over its first "
		       "rows (an old SeaweedFS bug): those needles are unreachable",
		       l->head_run);
	if (l->odd_sizes)
		nf_say(r, NF_WARN, NF_K_INFO, false, NULL, NULL,
		       "%" PRIu64 " index rows have a negative size other than -1 (read as deletes)",
		       l->odd_sizes);
}

/* The width the volume should have: --offset-bytes, else .vif. */
static int declared_width(struct nf_vol *v)
{
	struct swfs_vif vif;
	char err[128];
	if (swfs_vif_load(v->vif, &vif, err, sizeof(err)) < 0)
		nf_say(v->r, NF_WARN, NF_K_INFO, false, NULL, NULL, "%s: %s", v->vif, err);
	int from_vif = (int)vif.bytes_offset;
	int opt = v->o->offset_bytes;
	if (opt && from_vif && opt != from_vif) {
		nf_say(v->r, NF_ERROR, NF_K_IDX_WIDTH, false, NULL, NULL,
		       "--offset-bytes %d contradicts bytesOffset %d in %s; not repairing the index",
		       opt, from_vif, v->vif);
		v->width_conflict = true;
	}
	return opt ? opt : from_vif;
}

int nf_load_index(struct nf_vol *v)
{
	struct nf_report *r = v->r;
	int declared = declared_width(v);
	const char *how = "default", *why;
	int fd = open_regular(v->idx, O_RDONLY, &v->idx_st, &why);
	if (fd < 0 && errno != ENOENT) {
		nf_say(r, NF_ERROR, NF_K_IO, false, NULL, NULL, "%s: %s", v->idx, why);
		return -1;
	}
	v->read_width = 4;
	if (fd >= 0) {
		/* ids only: the superblock need not be sound */
		int dat_fd = v->dat_fd;
		uint8_t head[SWFS_GUESS_HEAD];
		ssize_t n = pread_full(fd, head, sizeof(head), 0);
		r->have_idx = true;
		r->idx_size = (uint64_t)v->idx_st.st_size;
		v->read_width = swfs_idx_guess_width(head, n > 0 ? (size_t)n : 0, r->idx_size, dat_fd,
						     r->dat_size, declared, &how);
	} else if (declared) {
		v->read_width = declared;
	}
	/* what the volume uses, and who says so */
	v->want_width = declared ? declared : v->read_width;
	r->width_from = !declared ? how : v->o->offset_bytes ? "option" : ".vif";
	r->offset_bytes = v->want_width;
	if (fd < 0)
		return 0;
	if (v->read_width != v->want_width)
		nf_say(r, NF_ERROR, NF_K_IDX_WIDTH, true, NULL, NULL,
		       "index has %zu-byte rows (%d-byte offsets), the volume uses %d-byte offsets",
		       swfs_idx_width(v->read_width), v->read_width, v->want_width);
	size_t w = swfs_idx_width(v->read_width);
	r->idx_rows = r->idx_size / w;
	v->rows.e = r->idx_rows ? malloc(r->idx_rows * sizeof(*v->rows.e)) : NULL;
	v->rows.cap = r->idx_rows;
	struct load l = { 0 };
	if (r->idx_rows && (!v->rows.e || read_rows(v, fd, r->idx_size, &l))) {
		nf_say(r, NF_ERROR, NF_K_IO, false, NULL, NULL, "reading %s: %s", v->idx,
		       strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	report_load(v, &l, r->idx_size);
	nf_sort_by_time(&v->rows);
	return 0;
}

/* Without .dat, rows can still be checked against each other: two
 * records cannot share bytes (as upstream's scrub checks). */
void nf_check_overlap(struct nf_vol *v)
{
	int version = v->r->version ? v->r->version : 3;
	uint64_t end = 0;
	for (size_t i = 0; i < v->rows.n; i++) {
		const struct nf_ent *e = &v->rows.e[i];
		if (e->size == NF_DELETE_ONLY)
			continue;
		uint64_t off = nf_off8(e) * 8, id = e->id;
		if (off < end)
			nf_say(v->r, NF_ERROR, NF_K_IDX_OVERLAP, false, &off, &id,
			       "index entry overlaps the record before it (ends at %" PRIu64 ")", end);
		uint64_t e_end = off + swfs_record_len(e->size, version);
		if (e_end > end)
			end = e_end;
	}
}

/* ---- replay --------------------------------------------------------------------- */

enum served { S_NONE, S_LIVE, S_BROKEN, S_DELETED };

static enum served served_by(const struct nf_ent *last)
{
	if (last->size == NF_LOST || last->size == NF_BOGUS || last->size == NF_GONE)
		return S_BROKEN;
	if (last->size == NF_DELETE_ONLY || last->size < 0)
		return S_DELETED;
	return S_LIVE;
}

struct state {
	bool live;
	bool indexed; /* a row says so, not only a record found in .dat */
	uint64_t off8;
	int32_t size;
};

/* Replay one needle's rows and unindexed records in time order as a
 * rebuilt index would have them. Deletes (lost records included) are
 * kept only where they delete something, so the new index starts with no
 * delete that could pass for the head-run bug. A lost Put deletes what
 * was served before it: the needle's newest content is gone, and an older
 * one served in its place would be stale data passed off as whole. */
static struct state rebuilt(struct nf_ent *rows, size_t m, const struct nf_ent *recs, size_t q)
{
	struct state s = { 0 };
	size_t a = 0, b = 0;
	while (a < m || b < q) {
		bool row = b == q || (a < m && nf_time(&rows[a]) <= nf_off8(&recs[b]) * 2);
		if (!row) {
			const struct nf_ent *u = &recs[b++];
			s = (struct state){ u->size > 0, false, nf_off8(u), u->size };
			continue;
		}
		struct nf_ent *e = &rows[a++];
		if (e->size >= 0) {
			s = (struct state){ true, true, nf_off8(e), e->size };
		} else if (e->size == SWFS_TOMBSTONE) {
			s.live = false;
		} else if (e->size == NF_DELETE_ONLY || e->size == NF_LOST ||
			   (e->size == NF_GONE && s.indexed)) {
			e->size = s.live ? NF_DELETE_ONLY : NF_BOGUS;
			s.live = false;
		} else if (e->size == NF_GONE) { /* its record is the one serving */
			e->size = NF_BOGUS;
		}
	}
	return s;
}

static void judge(struct nf_vol *v, const struct nf_ent *last, enum served old,
		  const struct state *now)
{
	struct nf_report *r = v->r;
	uint64_t id = last->id, off = now->off8 * 8;
	uint64_t old_off8 = old == S_NONE ? 0 : nf_off8(last);
	if (now->live)
		v->r->new_live++;
	if (old == S_LIVE && now->live && now->off8 == old_off8) {
		r->live++;
		r->live_bytes += swfs_record_len(now->size, v->sb.version);
		return;
	}
	if ((old == S_DELETED || old == S_NONE) && !now->live) {
		r->deleted += old == S_DELETED;
		return;
	}
	v->changed++;
	if (old == S_LIVE) {
		r->live++;
		r->live_bytes += swfs_record_len(last->size, v->sb.version);
		if (now->live)
			nf_say(r, NF_ERROR, NF_K_RESTORED, true, &off, &id,
			       "a newer record of this needle is not in the index");
		else
			nf_say(r, NF_ERROR, NF_K_STALE, true, &off, &id,
			       "a deletion of this needle is not in the index");
	} else if (now->live) {
		r->restored++;
		r->deleted += old == S_DELETED;
		if (r->have_idx) /* else one error says it all */
			nf_say(r, NF_ERROR, NF_K_RESTORED, true, &off, &id,
		       old == S_BROKEN ? "found in .dat where the index does not point"
				       : "record in .dat is not in the index");
	} else { /* S_BROKEN, and nothing else of it is readable */
		uint64_t at = nf_off8(last) * 8;
		if (nf_list_add(&r->lost, id)) {
			nf_say(r, NF_ERROR, NF_K_IO, false, NULL, NULL, "out of memory");
			v->io_failed = true;
		}
		nf_say(r, NF_ERROR, NF_K_LOST, true, &at, &id, "needle data %s",
		       last->size == NF_LOST   ? "is damaged"
		       : last->size == NF_GONE ? "is cut off or in damaged bytes"
					       : "is not where the index says");
	}
}

void nf_replay(struct nf_vol *v)
{
	struct nf_ents *rows = &v->rows, *recs = &v->recs;
	nf_sort_by_id(rows);
	nf_sort_by_id(recs);
	size_t i = 0, j = 0;
	while (i < rows->n || j < recs->n) {
		uint64_t id = j == recs->n || (i < rows->n && rows->e[i].id <= recs->e[j].id)
				      ? rows->e[i].id
				      : recs->e[j].id;
		size_t m = 0, q = 0;
		while (i + m < rows->n && rows->e[i + m].id == id)
			m++;
		while (j + q < recs->n && recs->e[j + q].id == id)
			q++;
		/* what is served now is decided before rebuilt() edits rows */
		struct nf_ent last = m ? rows->e[i + m - 1] : recs->e[j + q - 1];
		enum served old = m ? served_by(&last) : S_NONE;
		struct state now = rebuilt(m ? rows->e + i : NULL, m, q ? recs->e + j : NULL, q);
		judge(v, &last, old, &now);
		i += m;
		j += q;
	}
	nf_sort_by_time(rows);
	nf_sort_by_time(recs);
	if (v->changed)
		v->need_idx = true;
	if (v->unindexed_empty && v->changed)
		nf_say(v->r, NF_NOTE, NF_K_INFO, false, NULL, NULL,
		       "%" PRIu64 " Size 0 records are not in the index: taken as deletions, as .dat "
		       "cannot tell them from empty files",
		       v->unindexed_empty);
}
