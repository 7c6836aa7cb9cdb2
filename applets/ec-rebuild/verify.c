/* verify.c - recompute every stripe's redundancy and find the bytes that
 * disagree.
 *
 * k healthy shards (the basis) determine all others, so each further
 * healthy shard is one check. Where checks fail, the syndrome (computed
 * XOR stored, one byte per check) is a multiple of one column of the
 * parity-check matrix H = [R | I] when one shard is wrong at that byte:
 * a basis shard's column of R, or a check shard's unit column. With c
 * checks the code has distance c+1, so one wrong shard is located
 * uniquely when c >= 2, and two when c >= 4. Knowing the shard and the
 * error value, the stored byte XOR the error is the original.
 *
 * Locating is not confirming: with c checks, t wrong shards can always
 * be made to look like c - t others. A correction is written only where
 * the checks left over could also have caught a wrong one: 2t + 1 <= c
 * (so never with two checks, the case where two errors at one offset
 * look like one in a third, healthy shard). It is never written into a
 * shard the .ecsum vouches for, and never in place: the shard is copied
 * aside, corrected there, and the old one kept as SHARD.damaged.
 */
#include "bb.h"
#include "crc.h"
#include "ec.h"
#include "io.h"
#include "matrix.h"
#include "mem.h"
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bytes that agree between two bad ones of the same shard still belong
 * to one damaged range (random damage leaves 1 in 256 bytes right). */
enum { RANGE_GAP = 64 };

struct verifier {
	const struct ec_vol *v;
	int k, nc, n;                      /* basis, checks, all read */
	int shard[GF_MAX_SHARDS];          /* read position -> shard number */
	int fds[GF_MAX_SHARDS];
	uint8_t h[GF_MAX_SHARDS * GF_MAX_SHARDS]; /* nc x n parity-check matrix */
	bool repair;
	bool vouched;                      /* the .ecsum vouches for every shard read */
	struct aside copy[GF_MAX_SHARDS];  /* repaired shards, by read position */
	bool copied[GF_MAX_SHARDS];
	pthread_mutex_t lock;
	struct ec_range *ranges;
	size_t nranges, cap;
	uint64_t bad_bytes;
	bool write_failed;
	/* the sidecar checked in this pass, by read position; a read error
	 * then only says to start over */
	bool in_pass;
	atomic_bool read_failed, rotten;
	struct ec_sum_acc acc;
	const struct ec_gf_plan *plan; /* the checks from the basis, run by the drain */
};

static int verify_fill(void *ctx, int i, uint8_t *buf, uint64_t off, size_t len)
{
	struct verifier *w = ctx;
	if (!w->in_pass) /* said there, a read error or a shard cut short */
		return ec_vol_read(w->v, w->shard[i], w->fds[i], buf, len, off) ? -1 : 0;
	if (pread_full(w->fds[i], buf, len, off) == (ssize_t)len)
		return 0;
	w->read_failed = true; /* the screen then says which, and what */
	return -1;
}

/* Which one or two read positions explain syndrome s, with error values. */
static int locate(const struct verifier *w, const uint8_t *s, int hint, int *pos, uint8_t *e)
{
	if (w->nc >= 2 && hint >= 0 && !ec_gf_fit_errors(w->h, w->nc, w->n, &hint, 1, s, e)) {
		pos[0] = hint;
		return 1;
	}
	int found = 0;
	if (w->nc >= 2)
		for (int j = 0; j < w->n; j++)
			if (!ec_gf_fit_errors(w->h, w->nc, w->n, &j, 1, s, e)) {
				pos[0] = j;
				found++;
			}
	if (found == 1)
		return ec_gf_fit_errors(w->h, w->nc, w->n, pos, 1, s, e) ? 0 : 1;
	if (found || w->nc < 4)
		return 0;
	for (int a = 0; a < w->n; a++)
		for (int b = a + 1; b < w->n; b++) {
			int cols[2] = { a, b };
			if (!ec_gf_fit_errors(w->h, w->nc, w->n, cols, 2, s, e)) {
				pos[0] = a;
				pos[1] = b;
				return 2;
			}
		}
	return 0;
}

static int add_range(struct verifier *w, const struct ec_range *r)
{
	pthread_mutex_lock(&w->lock);
	if (w->nranges == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct ec_range *b = realloc(w->ranges, cap * sizeof(*b));
		if (!b) {
			pthread_mutex_unlock(&w->lock);
			bb_err("out of memory");
			return -1;
		}
		w->ranges = b;
		w->cap = cap;
	}
	w->ranges[w->nranges++] = *r;
	pthread_mutex_unlock(&w->lock);
	return 0;
}

struct dirty {
	size_t lo, hi; /* chunk offsets of corrected bytes, per read position */
};

/* The first correction for read position p: the shard is copied aside
 * whole, and corrections go to the copy (called with the lock held). */
static int start_copy(struct verifier *w, int p)
{
	const char *path = w->v->sh[w->shard[p]].path;
	if (w->copied[p])
		return 0;
	if (aside_open(&w->copy[p], path, 0644) ||
	    copy_fd_range(w->fds[p], 0, w->v->shard_size, w->copy[p].fd)) {
		bb_perr("%s: copying it to repair", path);
		if (w->copy[p].fd >= 0)
			aside_abort(&w->copy[p]);
		return -1;
	}
	w->copied[p] = true;
	return 0;
}

/* Put the corrected bytes of this chunk into the copies of their shards. */
static int write_back(struct verifier *w, uint8_t *const *in, const struct dirty *d,
		      uint64_t off)
{
	for (int p = 0; p < w->n; p++) {
		if (d[p].hi <= d[p].lo)
			continue;
		pthread_mutex_lock(&w->lock);
		int rc = start_copy(w, p);
		pthread_mutex_unlock(&w->lock);
		if (rc)
			return -1;
		if (pwrite_full(w->copy[p].fd, in[p] + d[p].lo, d[p].hi - d[p].lo, off + d[p].lo)) {
			bb_perr("%s: repair write", w->copy[p].tmp);
			return -1;
		}
	}
	return 0;
}

static void mark_dirty(struct dirty *d, size_t x)
{
	if (d->hi <= d->lo) {
		d->lo = x;
		d->hi = x + 1;
	} else {
		if (x < d->lo)
			d->lo = x;
		if (x + 1 > d->hi)
			d->hi = x + 1;
	}
}

/* One byte where the checks disagree, and what explains it. */
struct bad_byte {
	uint32_t x;    /* offset in the chunk */
	int8_t t;      /* shards found: 0 (unexplained), 1 or 2 */
	uint8_t pos[2];
	uint8_t e[2];
};

/* The syndrome of byte x: computed XOR stored, one byte per check. */
static bool syndrome(const struct verifier *w, uint8_t *const *in, uint8_t *const *out, size_t x,
		     uint8_t *s)
{
	bool any = false;
	for (int c = 0; c < w->nc; c++)
		any |= (s[c] = out[c][x] ^ in[w->k + c][x]) != 0;
	return any;
}

static size_t count_bad(const struct verifier *w, uint8_t *const *in, uint8_t *const *out,
			size_t len)
{
	uint8_t s[GF_MAX_SHARDS];
	size_t n = 0;
	for (size_t x = 0; x < len; x++)
		n += syndrome(w, in, out, x, s);
	return n;
}

static void find_bad(const struct verifier *w, uint8_t *const *in, uint8_t *const *out,
		     size_t len, struct bad_byte *b)
{
	size_t n = 0;
	int hint = -1;
	for (size_t x = 0; x < len; x++) {
		uint8_t s[GF_MAX_SHARDS];
		if (!syndrome(w, in, out, x, s))
			continue;
		int pos[2] = { 0, 0 };
		b[n].x = (uint32_t)x;
		b[n].t = (int8_t)locate(w, s, hint, pos, b[n].e);
		b[n].pos[0] = (uint8_t)pos[0];
		b[n].pos[1] = (uint8_t)pos[1];
		hint = b[n].t == 1 ? pos[0] : -1;
		n++;
	}
}

/* How many shards explain a region (bad bytes no further than RANGE_GAP
 * apart), or -1 when some byte is unexplained. Located only when at most
 * c/2: damage in more shards than that can look like damage in others. */
static int region_shards(const struct bad_byte *b, size_t n)
{
	bool used[GF_MAX_SHARDS] = { false };
	int shards = 0;
	for (size_t i = 0; i < n; i++) {
		if (!b[i].t)
			return -1;
		for (int j = 0; j < b[i].t; j++)
			if (!used[b[i].pos[j]]) {
				used[b[i].pos[j]] = true;
				shards++;
			}
	}
	return shards;
}

/* Report (and, where confirmed, correct in the buffers) one region. */
static int settle(struct verifier *w, uint8_t *const *in, uint64_t off, const struct bad_byte *b,
		  size_t n, struct dirty *d)
{
	int t = region_shards(b, n);
	if (t < 0 || 2 * t > w->nc) {
		struct ec_range r = { off + b[0].x, off + b[n - 1].x + 1, -1, false, false };
		return add_range(w, &r);
	}
	bool confirmed = 2 * t + 1 <= w->nc, fix = confirmed && w->repair && !w->vouched;
	for (int p = 0; p < w->n; p++) {
		struct ec_range r = { 0, 0, w->shard[p], confirmed, fix };
		for (size_t i = 0; i < n; i++)
			for (int j = 0; j < b[i].t; j++) {
				if (b[i].pos[j] != p)
					continue;
				if (!r.end)
					r.start = off + b[i].x;
				r.end = off + b[i].x + 1;
				if (fix) {
					in[p][b[i].x] ^= b[i].e[j];
					mark_dirty(&d[p], b[i].x);
				}
			}
		if (r.end && add_range(w, &r))
			return -1;
	}
	return 0;
}

/* Walk the bytes of one chunk where checks disagree. */
static int examine(struct verifier *w, uint8_t *const *in, uint8_t *const *out, uint64_t off,
		   size_t len)
{
	struct dirty d[GF_MAX_SHARDS];
	size_t n = count_bad(w, in, out, len), start = 0;
	struct bad_byte *b = malloc(n * sizeof(*b));
	if (!b) {
		bb_err("out of memory");
		return -1;
	}
	memset(d, 0, sizeof(d));
	find_bad(w, in, out, len, b);
	int rc = 0;
	for (size_t i = 1; i <= n && !rc; i++)
		if (i == n || b[i].x > b[i - 1].x + RANGE_GAP) {
			rc = settle(w, in, off, b + start, i - start, d);
			start = i;
		}
	free(b);
	pthread_mutex_lock(&w->lock);
	w->bad_bytes += n;
	pthread_mutex_unlock(&w->lock);
	if (rc)
		return -1;
	return w->repair ? write_back(w, in, d, off) : 0;
}

/* Bytes per shard taken through the parity check and the CRCs together:
 * the pieces of all the shards stay in the core's L2 from the first step
 * to the last, instead of each step going over the whole chunk from L3
 * or memory again. The check computes the parity and compares it in
 * registers (ec_gf_plan_check), so nothing is stored but where it
 * differs. */
enum { PIECE = 16 * 1024 };

/* Chunk bytes [at, end), within one sidecar block when the CRCs are
 * taken: the parity computed and compared with the stored (until a
 * difference is found: *differ; the caller then computes all of it into
 * out), and each shard's CRC chained in crc[]. */
static void code_pieces(struct verifier *w, uint8_t *const *in, uint8_t *const *out, size_t at,
			size_t end, bool *differ, uint32_t *crc)
{
	const uint8_t *pin[GF_MAX_SHARDS], *want[GF_MAX_SHARDS];
	uint8_t *pout[GF_MAX_SHARDS];
	for (size_t x = at; x < end; x += PIECE) {
		size_t n = end - x < PIECE ? end - x : PIECE;
		for (int i = 0; i < w->k; i++)
			pin[i] = in[i] + x;
		for (int c = 0; c < w->nc; c++) {
			pout[c] = out[c] + x;
			want[c] = in[w->k + c] + x;
		}
		if (!*differ)
			*differ = !ec_gf_plan_check(w->plan, pin, want, pout, n);
		for (int p = 0; crc && p < w->n; p++)
			crc[p] = crc32c(crc[p], in[p] + x, n);
	}
}

/* Where a chunk's parity differs: all of it computed, then the bytes
 * that disagree found and explained. */
static int examine_chunk(struct verifier *w, uint8_t *const *in, uint8_t *const *out,
			 uint64_t off, size_t len)
{
	ec_gf_plan_run(w->plan, (const uint8_t *const *)in, out, len);
	return examine(w, in, out, off, len);
}

/* Every shard's bytes into its sidecar CRCs as the parity is checked.
 * Once one fails, this pass is only the screen: parity is checked again
 * without that shard. */
static int verify_drain(void *ctx, uint8_t *const *in, uint8_t *const *out, uint64_t off,
			size_t len)
{
	struct verifier *w = ctx;
	bool differ = false;
	if (!w->in_pass) {
		code_pieces(w, in, out, 0, len, &differ, NULL);
		return differ ? examine_chunk(w, in, out, off, len) : 0;
	}
	long bad = 0;
	for (size_t at = 0, end; at < len; at = end) {
		uint32_t crc[GF_MAX_SHARDS];
		end = (size_t)(ec_sum_acc_block_end(&w->acc, off + at) - off);
		end = end < len ? end : len;
		for (int p = 0; p < w->n; p++)
			crc[p] = ~0u;
		code_pieces(w, in, out, at, end, &differ, crc);
		for (int p = 0; p < w->n; p++)
			bad += ec_sum_acc_add(&w->acc, p, off + at, end - at, ~crc[p]);
	}
	if (bad)
		atomic_store(&w->rotten, true);
	if (atomic_load(&w->rotten))
		return 0;
	return differ ? examine_chunk(w, in, out, off, len) : 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct ec_range *x = a, *y = b;
	if (x->shard != y->shard)
		return x->shard < y->shard ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Chunks finish in any order; sort, and join ranges cut by a chunk edge. */
static void merge_ranges(struct verifier *w)
{
	size_t n = 0;
	if (!w->nranges)
		return;
	qsort(w->ranges, w->nranges, sizeof(*w->ranges), cmp_range);
	for (size_t i = 0; i < w->nranges; i++) {
		struct ec_range *r = &w->ranges[i];
		if (n && w->ranges[n - 1].shard == r->shard &&
		    r->start <= w->ranges[n - 1].end + RANGE_GAP) {
			struct ec_range *q = &w->ranges[n - 1];
			q->end = r->end > q->end ? r->end : q->end;
			q->confirmed &= r->confirmed;
			q->repaired &= r->repaired;
			continue;
		}
		w->ranges[n++] = *r;
	}
	w->nranges = n;
}

/* The ranges go into r (which owns them from here); how many were not
 * repaired. */
static size_t report(struct verifier *w, struct ec_result *r)
{
	size_t unresolved = 0;
	for (size_t i = 0; i < w->nranges; i++)
		unresolved += !w->ranges[i].repaired;
	r->verify.checked = true;
	r->verify.checks = w->nc;
	r->verify.nread = w->n;
	r->verify.bad_bytes = w->bad_bytes;
	r->verify.vouched = w->vouched;
	r->verify.ranges = w->ranges;
	r->verify.nranges = w->nranges;
	w->ranges = NULL;
	w->nranges = 0;
	return unresolved;
}

static int setup(struct verifier *w, const struct ec_vol *v, const struct ec_opts *o,
		 struct ec_gf_plan *plan)
{
	uint8_t rows[GF_MAX_SHARDS * GF_MAX_SHARDS];
	int checks[GF_MAX_SHARDS];
	ec_vol_basis(v, w->shard);
	w->k = v->k;
	for (int i = 0; i < v->k + v->m; i++) {
		bool in_basis = false;
		for (int j = 0; j < v->k; j++)
			in_basis |= w->shard[j] == i;
		if (v->sh[i].state == SHARD_OK && !in_basis)
			checks[w->nc++] = i;
	}
	w->n = w->k + w->nc;
	memcpy(w->shard + w->k, checks, (size_t)w->nc * sizeof(int));
	if (ec_rs_solve_rows(v->enc, v->k, w->shard, checks, w->nc, rows) ||
	    ec_gf_plan_init(plan, rows, w->nc, v->k, o->kernel)) {
		bb_perr("%s: cannot set up the checks", v->base);
		return -1;
	}
	for (int c = 0; c < w->nc; c++) {
		memcpy(w->h + c * w->n, rows + c * w->k, (size_t)w->k);
		for (int j = 0; j < w->nc; j++)
			w->h[c * w->n + w->k + j] = j == c;
	}
	for (int i = 0; i < w->n; i++) {
		w->fds[i] = open(v->sh[w->shard[i]].path, O_RDONLY | O_CLOEXEC);
		if (w->fds[i] < 0) {
			bb_perr("%s", v->sh[w->shard[i]].path);
			ec_close_all(w->fds, i);
			ec_gf_plan_free(plan);
			return -1;
		}
	}
	return 0;
}

/* A repaired shard takes the place of the old one, which is kept as
 * SHARD.damaged. Ranges of a shard whose copy cannot be put in place are
 * not repaired after all. */
static int commit_repairs(struct verifier *w, struct ec_result *r)
{
	int rc = 0;
	for (int p = 0; p < w->n; p++) {
		if (!w->copied[p])
			continue;
		const struct ec_shard *s = &w->v->sh[w->shard[p]];
		char kept[PATH_MAX + 16];
		bool moved = !ec_vol_keep_damaged(s->path, kept, sizeof(kept));
		w->copied[p] = false;
		if (!moved || aside_commit_new(&w->copy[p])) {
			bb_perr("%s: not repaired", s->path);
			if (moved && rename(kept, s->path)) /* the old one back where it was */
				bb_perr("%s: left as %s", s->path, kept);
			if (!moved)
				aside_abort(&w->copy[p]);
			for (size_t i = 0; i < w->nranges; i++)
				if (w->ranges[i].shard == w->shard[p])
					w->ranges[i].repaired = false;
			rc = -1;
			continue;
		}
		struct ec_replaced *done = &r->verify.repaired[r->verify.nrepaired++];
		done->shard = w->shard[p];
		done->was_damaged = true;
		memcpy(done->copy, kept, sizeof(kept));
	}
	return rc;
}

static void abort_repairs(struct verifier *w)
{
	for (int p = 0; p < w->n; p++)
		if (w->copied[p])
			aside_abort(&w->copy[p]);
}

/* The sidecar comes first: the shards it names are no checks (they are
 * reported, and with --repair regenerated as rebuild does, their bytes
 * kept). 0 to go on, with *named those it named and still in place; -1
 * to stop (reported). */
/* What the screen found (failed shards, -1 after a read error) and
 * what follows: with --repair, the shards it named are regenerated. */
static int after_screen(struct ec_vol *v, const struct ec_opts *o, int failed, int *named,
			struct ec_result *r)
{
	*named = 0;
	if (failed <= 0)
		return failed;
	r->verify.screen_failed = failed;
	ec_vol_list(v, ST(SHARD_DAMAGED), r->verify.screen_damaged, sizeof(r->verify.screen_damaged));
	*named = failed;
	if (!o->repair)
		return 0;
	if (failed > v->m) {
		bb_err("%s: %d shards fail the .ecsum, more than %d parity shards could ever "
		       "replace: the sidecar is likely stale; nothing written", v->base, failed, v->m);
		return -1;
	}
	r->regenerated = true;
	int rc = ec_regenerate(v, o, false, r);
	if (!rc)
		*named = 0;
	return rc;
}

/* The sidecar comes first: the shards it names are no checks (they are
 * reported, and with --repair regenerated as rebuild does, their bytes
 * kept). 0 to go on, with *named those it named and still in place; -1
 * to stop (reported). */
static int screen_first(struct ec_vol *v, const struct ec_opts *o, int *named,
			struct ec_result *r)
{
	*named = 0;
	if (v->sum_state == ECSUM_INVALID)
		bb_err("%s.ecsum: %s", v->base, v->sum_why);
	if (v->sum_state != ECSUM_ON)
		return 0;
	return after_screen(v, o, ec_vol_screen(v, o, r), named, r);
}

/* Every shard is here and parity agrees across all of them: the one
 * moment a sidecar can be written for a volume that lacks one (encoded
 * before SeaweedFS had them) or whose sidecar is damaged. */
static int backfill_sidecar(struct ec_vol *v, const struct ec_opts *o, struct ec_result *r)
{
	int all[GF_MAX_SHARDS], fds[GF_MAX_SHARDS], failed = -1, rc = -1;
	char path[PATH_MAX];
	size_t len;
	for (int i = 0; i < v->k + v->m; i++)
		all[i] = i;
	if (ec_vol_path(v, ".ecsum", path, sizeof(path)) ||
	    ec_vol_open_shards(v, all, v->k + v->m, fds))
		return -1;
	uint8_t *file = ec_sum_make_file(v->k, v->m, v->shard_size, fds, o->threads, &len, &failed);
	struct stat st;
	if (!file && failed >= 0 && errno == ENODATA)
		ec_vol_say_cut(v, failed, fstat(fds[failed], &st) ? 0 : (uint64_t)st.st_size);
	else if (!file)
		bb_perr("%s", failed < 0 ? path : v->sh[failed].path);
	else if (write_file_atomic(path, file, len, 0644))
		bb_perr("%s", path);
	else
		rc = 0;
	ec_close_all(fds, v->k + v->m);
	r->verify.ecsum = rc ? "failed" : "written";
	if (!rc) {
		r->verify.note = EC_SIDE_WRITTEN;
		r->verify.note_replaced = v->sum_state == ECSUM_INVALID;
		memcpy(r->verify.sidecar_path, path, sizeof(path));
	}
	free(file);
	return rc;
}

/* What the sidecar says at the end, and a new one when it is time. 0
 * when all is well. */
static int sidecar_end(struct ec_vol *v, const struct ec_opts *o, bool agree, int named,
		       struct ec_result *r)
{
	char list[GF_MAX_SHARDS * 5 + 2], path[PATH_MAX];
	if (agree && o->repair && v->sum_state != ECSUM_ON && !o->ignore_ecsum) {
		if (!ec_unverified(v, list, sizeof(list)))
			return backfill_sidecar(v, o, r);
		if (!o->trust_parity) {
			bb_err("%s: %s were rebuilt from exactly %d shards with nothing to cross-check "
			       "them: parity agreeing says nothing about them, so no .ecsum is written "
			       "to vouch for them (--trust-parity writes it anyway)", v->base, list, v->k);
			r->verify.ecsum = "refused";
			return -1;
		}
		if (backfill_sidecar(v, o, r))
			return -1;
		if (ec_vol_path(v, ".unverified", path, sizeof(path)) == 0)
			unlink(path);
		return 0;
	}
	r->verify.ecsum = ec_sum_state_name(v);
	if (!named && v->sum_state == ECSUM_ON)
		r->verify.note = EC_SIDE_MATCHES;
	else if (v->sum_state == ECSUM_NONE && !o->ignore_ecsum)
		r->verify.note = EC_SIDE_ABSENT;
	return named || v->sum_state == ECSUM_INVALID ? -1 : 0;
}

/* Parity over every healthy shard (with the sidecar checked in the
 * same pass when w->in_pass); what disagrees goes into w. 0 or -1. */
static int parity_pass(struct verifier *w, struct ec_vol *v, const struct ec_opts *o)
{
	struct ec_gf_plan plan;
	if (setup(w, v, o, &plan))
		return -1;
	if (w->in_pass && ec_sum_acc_init(&w->acc, v->shard_size, v->sum.block_size, w->n,
					  w->shard, &v->sum)) {
		bb_err("%s: out of memory", v->base);
		ec_close_all(w->fds, w->n);
		ec_gf_plan_free(&plan);
		return -2;
	}
	atomic_init(&w->rotten, false);
	pthread_mutex_init(&w->lock, NULL);
	struct ec_stream s = {
		.nread = w->n, .plan = &plan, .length = v->shard_size, .threads = o->threads,
		.memory = o->memory, .what = "verifying", .fill = verify_fill,
		.drain = verify_drain, .ctx = w, .drain_codes = true,
		.local = true,
	};
	w->plan = &plan;
	int failed = ec_stream_run(&s);
	ec_close_all(w->fds, w->n);
	ec_gf_plan_free(&plan);
	pthread_mutex_destroy(&w->lock);
	if (failed)
		abort_repairs(w);
	return failed;
}

/* With a good sidecar, its CRCs are computed on the bytes the parity
 * pass reads, instead of a screen reading every shard first.
 * When every shard passes, that pass is the verify (1). When some fail,
 * they are what the screen would have found: applied as such, and the
 * parity pass runs again without them (0). A read error starts over the
 * way without it, which says what it is (-1). */
static int one_pass(struct verifier *w, struct ec_vol *v, const struct ec_opts *o,
		    struct ec_result *r, int *failed)
{
	long bad[GF_MAX_SHARDS] = { 0 };
	uint64_t first[GF_MAX_SHARDS] = { 0 };
	w->in_pass = true;
	w->vouched = true;
	int rc = parity_pass(w, v, o);
	if (rc) {
		ec_sum_acc_free(&w->acc);
		if (rc == -2 || !w->read_failed)
			return -2; /* said */
		free(w->ranges);
		*w = (struct verifier){ .v = v, .repair = o->repair };
		return -1;
	}
	bool rotten = atomic_load(&w->rotten);
	for (int p = 0; rotten && p < w->n; p++) {
		bad[w->shard[p]] = atomic_load(&w->acc.bad[p]);
		first[w->shard[p]] = atomic_load(&w->acc.first_bad[p]);
	}
	ec_sum_acc_free(&w->acc);
	if (!rotten) {
		*failed = ec_vol_screened(v, r, ~0u, bad, first);
		return 1;
	}
	free(w->ranges);
	*w = (struct verifier){ .v = v, .repair = o->repair };
	*failed = ec_vol_screened(v, r, ~0u, bad, first);
	return 0;
}

static int finish(struct verifier *w, struct ec_vol *v, const struct ec_opts *o, int named,
		  struct ec_result *r)
{
	merge_ranges(w);
	int failed = commit_repairs(w, r);
	/* what agrees is checked; a volume short of shards is still not well */
	int rc = report(w, r) || failed || v->n_ok < v->k + v->m ? 1 : 0;
	if (sidecar_end(v, o, !rc, named, r))
		rc = 1;
	return rc;
}

static void say_partial(const struct ec_vol *v)
{
	char list[200];
	if (v->n_ok < v->k + v->m)
		bb_warn("%s: verifying %d of %d shards; not healthy: %s", v->base, v->n_ok,
			v->k + v->m, ec_vol_list(v, ST_UNHEALTHY, list, sizeof(list)));
}

int ec_verify(struct ec_vol *v, const struct ec_opts *o, struct ec_result *r)
{
	struct verifier w = { .v = v, .repair = o->repair };
	char list[200];
	int rc = 1, named, done = -1, failed = 0;
	r->verify.repair = o->repair;
	if (v->sum_state == ECSUM_ON && !o->screen_first && v->n_ok > v->k)
		done = one_pass(&w, v, o, r, &failed);
	if (done == -2)
		goto out;
	if (done == 1) {
		say_partial(v);
		rc = finish(&w, v, o, 0, r);
		goto out;
	}
	if (done == 0 ? after_screen(v, o, failed, &named, r) : screen_first(v, o, &named, r))
		goto out;
	w.vouched = v->sum_state == ECSUM_ON;
	if (v->n_ok < v->k + 1) {
		bb_err("%s: %d healthy shards leave nothing to check against (need %d); "
		       "not healthy: %s",
		       v->base, v->n_ok, v->k + 1, ec_vol_list(v, ST_UNHEALTHY, list, sizeof(list)));
		goto out;
	}
	say_partial(v);
	if (!parity_pass(&w, v, o))
		rc = finish(&w, v, o, named, r);
out:
	free(w.ranges);
	return rc;
}
