/* decode.c - shards back into a .dat (spec §7.4), the needles in it
 * checked against their CRCs, and a lost .ecx found again by walking
 * those needles (what `weed fix -ecx` does). */
#include "bb.h"
#include "ec.h"
#include "endian.h"
#include "io.h"
#include "matrix.h"
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- de-striping -------------------------------------------------------- */

struct destripe {
	const struct ec_vol *v;
	const struct ec_layout *l;
	int basis[GF_MAX_SHARDS];
	int fds[GF_MAX_SHARDS];
	int src[GF_MAX_SHARDS]; /* data shard d: in[src] when >= 0, else out[-src-1] */
	uint64_t len;
	int out_fd;
	/* the basis shards the screen left (v->unscreened) are checked
	 * against the sidecar as they pass, by basis position; a read error
	 * then only says to screen them */
	bool in_pass;
	atomic_bool read_failed;
	struct ec_sum_acc acc;
};

static int destripe_fill(void *ctx, int i, uint8_t *buf, uint64_t off, size_t len)
{
	struct destripe *d = ctx;
	if (!d->in_pass)
		return ec_vol_read(d->v, d->basis[i], d->fds[i], buf, len, off) ? -1 : 0;
	if (pread_full(d->fds[i], buf, len, off) == (ssize_t)len)
		return 0;
	d->read_failed = true;
	return -1;
}

static int destripe_drain(void *ctx, uint8_t *const *in, uint8_t *const *out, uint64_t off,
			  size_t len)
{
	struct destripe *d = ctx;
	for (int i = 0; d->in_pass && i < d->l->k; i++)
		ec_sum_acc_feed(&d->acc, i, in[i], off, len);
	for (int s = 0; s < d->l->k; s++) {
		const uint8_t *buf = d->src[s] >= 0 ? in[d->src[s]] : out[-d->src[s] - 1];
		for (size_t done = 0; done < len;) {
			uint64_t run, x = ec_layout_dat_offset(d->l, s, off + done, &run);
			size_t n = run < len - done ? (size_t)run : len - done;
			if (x < d->len) {
				size_t w = d->len - x < n ? (size_t)(d->len - x) : n;
				if (pwrite_full(d->out_fd, buf + done, w, x)) {
					bb_perr("%s.dat: write", d->v->base);
					return -1;
				}
			}
			done += n;
		}
	}
	return 0;
}

/* The basis shards' bytes past what the .dat needed, into their CRCs
 * (the sidecar covers whole shards). 0, or -1 (read_failed). */
static int destripe_tail(struct destripe *d, uint64_t from)
{
	enum { TAIL = 256 << 10 };
	uint8_t *buf = from < d->v->shard_size ? malloc(TAIL) : NULL;
	if (from < d->v->shard_size && !buf) {
		bb_err("%s: out of memory", d->v->base);
		return -1;
	}
	int rc = 0;
	for (uint64_t off = from; off < d->v->shard_size && !rc; off += TAIL) {
		size_t n = d->v->shard_size - off < TAIL ? (size_t)(d->v->shard_size - off) : TAIL;
		for (int i = 0; i < d->l->k && !rc; i++)
			if (!(rc = destripe_fill(d, i, buf, off, n)))
				ec_sum_acc_feed(&d->acc, i, buf, off, n);
	}
	free(buf);
	return rc;
}

/* Where each data shard's bytes come from: position i of the basis (the
 * first k healthy shards, into basis), or row r of a decoder from the
 * basis (src = -r-1) when the shard is not healthy. The decoder is set up
 * in plan when one is needed. How many rows it has, or -1 (reported). */
static int data_sources(const struct ec_vol *v, const struct ec_opts *o, int *basis, int *src,
			struct ec_gf_plan *plan)
{
	int want[GF_MAX_SHARDS], nwant = 0;
	uint8_t rows[GF_MAX_SHARDS * GF_MAX_SHARDS];
	ec_vol_basis(v, basis);
	for (int s = 0; s < v->k; s++) {
		src[s] = -1;
		for (int i = 0; i < v->k; i++)
			if (basis[i] == s)
				src[s] = i;
		if (src[s] < 0) {
			src[s] = -nwant - 1;
			want[nwant++] = s;
		}
	}
	if (nwant && (ec_rs_solve_rows(v->enc, v->k, basis, want, nwant, rows) ||
		      ec_gf_plan_init(plan, rows, nwant, v->k, o->kernel))) {
		bb_perr("%s: cannot set up the decoder", v->base);
		return -1;
	}
	return nwant;
}

/* Why a destripe failed with basis shards left to screen: one could not
 * be read, or some fail their sidecar CRCs (bad, first: by shard). */
struct destripe_fail {
	bool read_failed, rotten;
	long bad[GF_MAX_SHARDS];
	uint64_t first[GF_MAX_SHARDS];
};

/* .dat bytes [0, len) of the volume into out_fd, rebuilding missing data
 * shards from parity on the way; basis shards left unscreened are checked
 * against the sidecar as they are read (-1 with *why). */
static int ec_destripe(struct ec_vol *v, const struct ec_opts *o, const struct ec_layout *l,
		       uint64_t len, int out_fd, struct destripe_fail *why)
{
	struct destripe d = { .v = v, .l = l, .len = len, .out_fd = out_fd };
	struct ec_gf_plan plan;
	int nwant = data_sources(v, o, d.basis, d.src, &plan);
	if (nwant < 0)
		return -1;
	d.in_pass = v->unscreened != 0;
	int rc = d.in_pass ? ec_sum_acc_init(&d.acc, v->shard_size, v->sum.block_size, v->k,
					     d.basis, &v->sum) : 0;
	if (rc)
		bb_err("%s: out of memory", v->base);
	else
		rc = ec_vol_open_shards(v, d.basis, v->k, d.fds);
	if (!rc) {
		uint64_t span = ec_layout_span(l, len);
		struct ec_stream s = {
			.nread = v->k, .plan = nwant ? &plan : NULL, .length = span,
			.threads = o->threads, .memory = o->memory,
			.what = "decoding", .fill = destripe_fill, .drain = destripe_drain, .ctx = &d,
		};
		rc = ec_stream_run(&s);
		if (!rc && d.in_pass)
			rc = destripe_tail(&d, span);
		ec_close_all(d.fds, v->k);
	}
	if (nwant)
		ec_gf_plan_free(&plan);
	memset(why, 0, sizeof(*why));
	why->read_failed = d.read_failed;
	for (int i = 0; d.in_pass && i < v->k; i++) {
		why->bad[d.basis[i]] = atomic_load(&d.acc.bad[i]);
		why->first[d.basis[i]] = atomic_load(&d.acc.first_bad[i]);
		why->rotten |= why->bad[d.basis[i]] != 0;
	}
	ec_sum_acc_free(&d.acc);
	return rc || why->rotten ? -1 : 0;
}

/* Enough healthy shards to decode? Said when not. */
static int decodable(const struct ec_vol *v)
{
	char missing[200];
	if (v->n_ok >= v->k)
		return 0;
	bb_err("%s: cannot decode: %d healthy shards, need %d (not healthy: %s)", v->base,
	       v->n_ok, v->k, ec_vol_list(v, ST_UNHEALTHY, missing, sizeof(missing)));
	return -1;
}

static int by_shard(const void *a, const void *b)
{
	const struct ec_rotten *x = a, *y = b;
	return (x->shard > y->shard) - (x->shard < y->shard);
}

/* The .dat bytes in out_fd. A basis shard that fails the sidecar as it
 * passes is what the screen would have found: applied as such, and the
 * decode starts over from another basis; one that cannot be read has the
 * screen look at them all, which says what it is. 0; -1 when the
 * destripe failed (errno), -2 refused (reported). */
static int destripe_checked(struct ec_vol *v, const struct ec_opts *o, const struct ec_layout *l,
			    uint64_t len, int out_fd, struct ec_result *r)
{
	struct destripe_fail why;
	while (ec_destripe(v, o, l, len, out_fd, &why)) {
		if (!v->unscreened || (!why.read_failed && !why.rotten))
			return -1;
		if (why.read_failed ? ec_vol_screen_rest(v, o, r) < 0
				    : ec_vol_screened(v, r, v->unscreened, why.bad, why.first) < 0)
			return -2;
		v->unscreened = 0;
		/* listed by shard, as one screen of them all lists them */
		qsort(r->rotten, (size_t)r->nrotten, sizeof(*r->rotten), by_shard);
		if (ec_vol_stale(v)) {
			bb_err("%s: not decoded", v->base);
			return -2;
		}
		if (decodable(v))
			return -2;
	}
	v->unscreened = 0; /* every shard read was checked as it passed */
	return 0;
}

/* ---- reading .dat bytes --------------------------------------------------- */

/* Either a plain .dat file (fd) or the data shards through the layout.
 * A data shard that is not healthy is computed from the k shards of the
 * basis as its bytes are read, DAT_PIECE at a time: so a lost .ecx is
 * judged before the shard is regenerated exactly as it is after (info
 * and rebuild decide alike), in memory bounded whatever the needles. */
enum { DAT_PIECE = 64 << 10 };
struct dat_src {
	int fd;
	const struct ec_layout *l;
	const int *basis_fds;           /* the k shards of the basis, in its order */
	int src[GF_MAX_SHARDS];         /* as data_sources() gives */
	const struct ec_gf_plan *plan;  /* NULL: every data shard is in the basis */
	uint8_t *scratch;               /* (k + plan rows) x DAT_PIECE */
};

static int shard_read(const struct dat_src *s, int shard, uint8_t *buf, size_t n, uint64_t off)
{
	if (s->src[shard] >= 0)
		return pread_full(s->basis_fds[s->src[shard]], buf, n, off) == (ssize_t)n ? 0 : -1;
	const uint8_t *in[GF_MAX_SHARDS];
	uint8_t *out[GF_MAX_SHARDS];
	int k = s->l->k;
	for (int i = 0; i < k; i++)
		in[i] = s->scratch + (size_t)i * DAT_PIECE;
	for (int j = 0; j < s->plan->nout; j++)
		out[j] = s->scratch + (size_t)(k + j) * DAT_PIECE;
	for (size_t done = 0; done < n;) {
		size_t c = n - done < DAT_PIECE ? n - done : DAT_PIECE;
		for (int i = 0; i < k; i++)
			if (pread_full(s->basis_fds[i], (uint8_t *)in[i], c, off + done) != (ssize_t)c)
				return -1;
		ec_gf_plan_run(s->plan, in, out, c);
		memcpy(buf + done, out[-s->src[shard] - 1], c);
		done += c;
	}
	return 0;
}

static int dat_read(const struct dat_src *s, uint8_t *buf, size_t n, uint64_t x)
{
	if (!s->l)
		return pread_full(s->fd, buf, n, x) == (ssize_t)n ? 0 : -1;
	for (size_t done = 0; done < n;) {
		int shard;
		uint64_t off, run;
		ec_layout_locate(s->l, x + done, &shard, &off);
		ec_layout_dat_offset(s->l, shard, off, &run);
		size_t piece = run < n - done ? (size_t)run : n - done;
		if (shard_read(s, shard, buf + done, piece, off))
			return -1;
		done += piece;
	}
	return 0;
}

/* Read and check the record at x; *why when it is not sound. The buffer
 * grows as needed. */
static enum swfs_verdict read_needle(const struct dat_src *s, uint64_t x, uint64_t rec_len,
				     int version, uint8_t **buf, size_t *cap,
				     struct swfs_needle *n, const char **why)
{
	if (rec_len > *cap) {
		uint8_t *b = realloc(*buf, rec_len);
		if (!b) {
			*why = "too large to read";
			return SWFS_REC_SHORT;
		}
		*buf = b;
		*cap = rec_len;
	}
	if (dat_read(s, *buf, rec_len, x)) {
		*why = "cannot be read";
		return SWFS_REC_SHORT;
	}
	return swfs_needle_parse(*buf, rec_len, version, n, why);
}

/* ---- .ecx from the needles ------------------------------------------------ */

struct rows {
	uint8_t *b;
	size_t n, cap;
};

static int add_row(struct rows *r, uint64_t id, uint64_t off, int32_t size)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 1024;
		uint8_t *b = realloc(r->b, cap * 17);
		if (!b)
			return -1;
		r->b = b;
		r->cap = cap;
	}
	struct swfs_idx_entry e = { .id = id, .offset = off, .size = size };
	swfs_idx_encode(&e, 5, r->b + r->n++ * 17);
	return 0;
}

/* A record the walk read whole and found sound (or, walking headers
 * only, found at all). */
struct sound {
	uint64_t off, id;
	int32_t size;
};

/* Headers read through a window of the .dat when they are close
 * together; alone when records are longer than it (a 16-byte read per
 * needle of a megabyte, not the megabyte). */
enum { HDR_WINDOW = 64 << 10 };
struct hdr_window {
	uint8_t *buf;
	uint64_t off;
	size_t len;
	uint64_t last_len; /* the record before: how far apart headers are */
};

/* What a walk over the records found. */
struct walk {
	struct rows rows;
	size_t bad;     /* needles whose body or CRC does not check out */
	uint64_t stop;  /* where the records ended */
	int version;    /* the superblock's */
	/* with keep_sound: the sound records, by offset, so that a check of
	 * what .ecx lists need not read and sum them again */
	bool keep_sound;
	/* the bytes are vouched for already (every shard byte passed its
	 * .ecsum CRC): only the headers are read, every record is kept */
	bool headers_only;
	struct sound *sound;
	size_t nsound, cap;
};

static int add_sound(struct walk *w, uint64_t off, uint64_t id, int32_t size)
{
	if (w->nsound == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 1024;
		struct sound *b = realloc(w->sound, cap * sizeof(*b));
		if (!b)
			return -1;
		w->sound = b;
		w->cap = cap;
	}
	w->sound[w->nsound++] = (struct sound){ off, id, size };
	return 0;
}

/* Did the walk find a sound record of id and size at off? */
static bool walked_sound(const struct walk *w, uint64_t off, uint64_t id, int32_t size)
{
	size_t lo = 0, hi = w->nsound;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->sound[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < w->nsound && w->sound[lo].off == off && w->sound[lo].id == id &&
	       w->sound[lo].size == size;
}

/* The header at x, from the window when it is there. 0 or -1. */
static int read_header(const struct dat_src *src, struct hdr_window *hw, uint64_t x,
		       uint64_t end, uint8_t *hdr)
{
	if (!src->l && hw->buf) {
		if (x < hw->off || x + SWFS_NEEDLE_HEADER > hw->off + hw->len) {
			size_t n = hw->last_len > HDR_WINDOW ? SWFS_NEEDLE_HEADER : HDR_WINDOW;
			if (end - x < n)
				n = (size_t)(end - x);
			if (dat_read(src, hw->buf, n, x))
				return -1;
			hw->off = x;
			hw->len = n;
		}
		memcpy(hdr, hw->buf + (x - hw->off), SWFS_NEEDLE_HEADER);
		return 0;
	}
	return dat_read(src, hdr, SWFS_NEEDLE_HEADER, x);
}

/* Walk the records from the superblock on, as an index replay would see
 * them: Size 0 is a deletion. The walk ends at the first header that is
 * all zeros (the padding of the last row) or is no header at all. */
static int walk_needles(const struct dat_src *src, uint64_t end, struct walk *w,
			const char *base)
{
	uint8_t sbb[SWFS_SUPERBLOCK_SIZE], hdr[SWFS_NEEDLE_HEADER], *buf = NULL;
	size_t cap = 0;
	struct hdr_window hw = { .buf = w->headers_only ? malloc(HDR_WINDOW) : NULL };
	if (w->headers_only && !hw.buf) {
		bb_err("%s: out of memory", base);
		return -1;
	}
	struct swfs_superblock sb;
	const char *why;
	if (dat_read(src, sbb, sizeof(sbb), 0) || swfs_sb_parse(sbb, &sb, &why)) {
		bb_err("%s: no valid superblock at the start of the data shards", base);
		return -1;
	}
	uint64_t x = swfs_sb_data_start(&sb);
	int rc = 0;
	w->version = sb.version;
	while (x + SWFS_NEEDLE_HEADER <= end && !rc) {
		uint32_t cookie;
		uint64_t id;
		int32_t size;
		static const uint8_t zero[SWFS_NEEDLE_HEADER];
		if (read_header(src, &hw, x, end, hdr) || !memcmp(hdr, zero, sizeof(hdr)))
			break;
		swfs_header_parse(hdr, &cookie, &id, &size);
		uint64_t len = swfs_record_len(size, sb.version);
		if (size < SWFS_TOMBSTONE || x + len > end)
			break;
		hw.last_len = len;
		struct swfs_needle n = { .id = id, .size = size };
		enum swfs_verdict got = size <= 0 ? SWFS_REC_SHORT
				      : w->headers_only ? SWFS_REC_OK
				      : read_needle(src, x, len, sb.version, &buf, &cap, &n, &why);
		if (size > 0 && got != SWFS_REC_OK && w->bad++ < 10)
			bb_warn("%s: needle %llx at .dat offset %llu: %s", base,
				(unsigned long long)id, (unsigned long long)x, why);
		rc = add_row(&w->rows, id, x, size > 0 ? size : SWFS_TOMBSTONE);
		if (!rc && got == SWFS_REC_OK && w->keep_sound)
			rc = add_sound(w, x, n.id, n.size);
		x += len;
	}
	w->stop = x;
	free(buf);
	free(hw.buf);
	if (rc)
		bb_err("%s: out of memory", base);
	return rc;
}

/* An .ecx of records that stop making sense part way would hide every
 * needle after them, and one of corrupt needles would serve them: both
 * wait for the shards to be mended (verify --repair), or for --force. */
static int walk_sound(const struct ec_vol *v, const struct ec_layout *l, const struct walk *w,
		      uint64_t end, bool force)
{
	/* without .vif's datFileSize the end is the first zero header */
	bool short_walk = v->vif.has_dat_file_size && w->stop < end;
	if (!w->bad && !short_walk)
		return 0;
	if (short_walk) {
		int shard;
		uint64_t soff;
		ec_layout_locate(l, w->stop, &shard, &soff);
		bb_err("%s: the records stop at .dat offset %llu (ec%02d offset %llu), short of "
		       "the %llu bytes .vif gives%s", v->base, (unsigned long long)w->stop, shard,
		       (unsigned long long)soff, (unsigned long long)end,
		       force ? "; .ecx written anyway (--force)" : "");
	}
	if (w->bad)
		bb_err("%s: %zu needles fail their check%s", v->base, w->bad,
		       force ? "; .ecx written anyway (--force)" : "");
	if (force)
		return 0;
	bb_err("%s: .ecx not rebuilt: `ec-rebuild verify --repair` may mend the shards; "
	       "--force writes an .ecx of what was found", v->base);
	return -1;
}

static int write_index(const char *path, const struct swfs_idx_entry *e, size_t n,
		       int offset_bytes)
{
	uint8_t *b = swfs_idx_encode_all(e, n, offset_bytes);
	if (!b) {
		bb_err("%s: out of memory", path);
		return -1;
	}
	int rc = ec_write_new(path, b, n * swfs_idx_width(offset_bytes));
	free(b);
	return rc;
}

int ec_rebuild_ecx(struct ec_vol *v, const struct ec_opts *o, bool dry, struct ec_result *r)
{
	struct ec_layout l;
	int basis[GF_MAX_SHARDS], fds[GF_MAX_SHARDS];
	struct walk w = { 0 };
	struct ec_gf_plan plan;
	struct dat_src src = { .l = &l, .basis_fds = fds, .plan = &plan };
	char path[PATH_MAX];
	if (v->n_ok < v->k) {
		bb_err("%s: .ecx is missing and only %d shards are healthy, %d needed", v->base,
		       v->n_ok, v->k);
		return -1;
	}
	if (ec_vol_path(v, ".ecx", path, sizeof(path)) || ec_vol_layout(v, o, &l))
		return -1;
	int nwant = data_sources(v, o, basis, src.src, &plan);
	if (nwant < 0)
		return -1;
	if (!nwant)
		src.plan = NULL;
	else if (!(src.scratch = malloc((size_t)(v->k + nwant) * DAT_PIECE)))
		bb_err("%s: out of memory", v->base);
	if ((nwant && !src.scratch) || ec_vol_open_shards(v, basis, v->k, fds)) {
		free(src.scratch);
		if (nwant)
			ec_gf_plan_free(&plan);
		return -1;
	}
	uint64_t end = v->has_vif && v->vif.has_dat_file_size ? v->vif.dat_file_size
							       : (uint64_t)v->k * l.shard_size;
	int rc = walk_needles(&src, end, &w, v->base);
	ec_close_all(fds, v->k);
	free(src.scratch);
	if (nwant)
		ec_gf_plan_free(&plan);
	struct swfs_idx_entry *live = NULL;
	size_t n = 0;
	if (!rc)
		rc = walk_sound(v, &l, &w, end, o->force);
	if (!rc && swfs_index_live(w.rows.b, w.rows.n * 17, 5, &live, &n)) {
		bb_err("%s: out of memory", v->base);
		rc = -1;
	}
	free(w.rows.b);
	if (dry) {
		free(live);
		return rc;
	}
	if (!rc) {
		/* as the .vif declares, else 4 unless an offset needs 5 */
		int width = v->vif.bytes_offset == 5 ? 5 : 4;
		for (size_t i = 0; i < n; i++)
			if (live[i].offset > swfs_idx_max_offset(4))
				width = 5;
		rc = write_index(path, live, n, width);
	}
	free(live);
	if (!rc) {
		r->rebuild.ecx_rebuilt = true;
		r->rebuild.ecx_entries = n;
		memcpy(r->rebuild.ecx_path, path, sizeof(path));
	}
	return rc;
}

/* ---- decode --------------------------------------------------------------------- */

struct index_in {
	uint8_t *ecx;
	size_t ecx_len, rows;
	int offset_bytes;
	uint8_t *deleted;  /* per .ecx row: 1 when .ecj deletes its id */
	size_t ndeleted;   /* rows deleted by .ecj */
	uint64_t journal;  /* .ecj entries read */
};

static uint64_t row_id(const struct index_in *ix, size_t r)
{
	return get_be64(ix->ecx + r * swfs_idx_width(ix->offset_bytes));
}

/* The .ecx row of id (rows ascend by id, checked on load), or -1. */
static long find_row(const struct index_in *ix, uint64_t id)
{
	size_t lo = 0, hi = ix->rows;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t x = row_id(ix, mid);
		if (x == id)
			return (long)mid;
		if (x < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static bool is_deleted(const struct index_in *ix, size_t row)
{
	return ix->deleted[row] != 0;
}

/* .ecj read in pieces, never whole (a zero-filled gigabyte of it took
 * 4 GB): each id marks its .ecx row; ids .ecx does not list delete
 * nothing and are dropped. Id 0 is no needle (SeaweedFS's ids start at
 * 1): a journal holding it is damaged. */
static int load_journal(const struct ec_vol *v, struct index_in *ix)
{
	char path[PATH_MAX];
	const char *why;
	struct stat st;
	uint8_t buf[8192];
	if (ec_vol_path(v, ".ecj", path, sizeof(path)))
		return -1;
	int fd = open_regular(path, O_RDONLY, &st, &why);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		bb_err("%s: %s", path, why);
		return -1;
	}
	int rc = 0;
	if (st.st_size % 8) {
		bb_err("%s: %llu bytes ends in a torn entry", path, (unsigned long long)st.st_size);
		rc = -1;
	}
	for (uint64_t off = 0; !rc && off < (uint64_t)st.st_size;) {
		ssize_t n = pread_full(fd, buf, sizeof(buf), off);
		if (n <= 0 || n % 8) {
			bb_perr("%s: read at %llu", path, (unsigned long long)off);
			rc = -1;
			break;
		}
		for (ssize_t i = 0; i < n && !rc; i += 8, ix->journal++) {
			uint64_t id = get_be64(buf + i);
			long row = id ? find_row(ix, id) : -1;
			if (!id) {
				bb_err("%s: entry %llu is needle id 0, which no needle has: the journal "
				       "is damaged; nothing written", path,
				       (unsigned long long)ix->journal);
				rc = -1;
			} else if (row >= 0 && !ix->deleted[row]) {
				ix->deleted[row] = 1;
				ix->ndeleted++;
			}
		}
		off += (uint64_t)n;
	}
	close(fd);
	return rc;
}

/* .ecx whole (what a lookup needs), but never more of it than the
 * shards can hold records for: a row per 24 bytes of .dat at most. */
static int load_indexes(const struct ec_vol *v, struct index_in *ix)
{
	char path[PATH_MAX];
	if (ec_vol_path(v, ".ecx", path, sizeof(path)))
		return -1;
	const char *why;
	uint64_t max = ((uint64_t)v->k * v->shard_size / 24 + 1) * 17;
	if (!(ix->ecx = swfs_read_all(path, max < SIZE_MAX / 2 ? (size_t)max : SIZE_MAX / 2,
				      &ix->ecx_len, &why))) {
		bb_err("%s: %s%s", path, errno == EFBIG ? "more rows than the shards have room "
			       "for records: damaged" : why,
		       errno == ENOENT ? " (`ec-rebuild rebuild` makes it from the shards)" : "");
		return -1;
	}
	ix->offset_bytes = swfs_ecx_width(ix->ecx, ix->ecx_len, (int)v->vif.bytes_offset);
	size_t w = swfs_idx_width(ix->offset_bytes);
	if (ix->ecx_len % w) {
		bb_err("%s: %zu bytes is not whole entries", path, ix->ecx_len);
		return -1;
	}
	ix->rows = ix->ecx_len / w;
	for (size_t r = 1; r < ix->rows; r++)
		if (row_id(ix, r) < row_id(ix, r - 1)) {
			bb_err("%s: row %zu is out of id order: not an .ecx as SeaweedFS writes it "
			       "(damaged?)", path, r);
			return -1;
		}
	if (!(ix->deleted = calloc(ix->rows + 1, 1))) {
		bb_err("%s: out of memory", path);
		return -1;
	}
	return load_journal(v, ix);
}

/* Needle version: .ec00 starts with the superblock. */
static int volume_version(const struct ec_vol *v)
{
	uint8_t b = 0;
	int fd = v->sh[0].state == SHARD_OK ? open(v->sh[0].path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		if (pread_full(fd, &b, 1, 0) != 1)
			b = 0;
		close(fd);
	}
	if (b >= 1 && b <= 3)
		return b;
	return v->vif.version >= 1 && v->vif.version <= 3 ? (int)v->vif.version : 3;
}

/* FindDatFileSize: the end of the last needle .ecx still lists. */
static uint64_t decoded_size(const struct index_in *ix, int version)
{
	size_t w = swfs_idx_width(ix->offset_bytes);
	uint64_t end = SWFS_SUPERBLOCK_SIZE;
	for (size_t i = 0; i + w <= ix->ecx_len; i += w) {
		struct swfs_idx_entry e;
		swfs_idx_decode(ix->ecx + i, ix->offset_bytes, &e);
		if (e.size >= 0 && e.offset + swfs_record_len(e.size, version) > end)
			end = e.offset + swfs_record_len(e.size, version);
	}
	return end;
}

/* Every needle .ecx lists and .ecj does not delete must read back whole
 * with a matching id and CRC (or, with bytes the sidecar vouched for, be
 * a record the walk found with that id and size). Returns how many do
 * not. */
static size_t check_needles(const struct ec_vol *v, const struct index_in *ix,
			    const struct ec_layout *l, int fd, int version, uint64_t len,
			    const struct walk *walked)
{
	bool same_version = walked->version == version;
	struct dat_src src = { .fd = fd };
	size_t w = swfs_idx_width(ix->offset_bytes), bad = 0;
	uint8_t *buf = NULL;
	size_t cap = 0;
	for (size_t i = 0; i + w <= ix->ecx_len; i += w) {
		struct swfs_idx_entry e;
		struct swfs_needle n;
		const char *why = NULL;
		swfs_idx_decode(ix->ecx + i, ix->offset_bytes, &e);
		if (e.size <= 0 || is_deleted(ix, i / w))
			continue;
		uint64_t rl = swfs_record_len(e.size, version);
		if (e.offset + rl > len)
			why = "lies past the end of the volume";
		else if (same_version && walked_sound(walked, e.offset, e.id, e.size))
			continue; /* read and summed by the walk, the same bytes */
		else if (read_needle(&src, e.offset, rl, version, &buf, &cap, &n, &why) == SWFS_REC_OK &&
			 (n.id != e.id || n.size != e.size))
			why = "the record there has another id or size";
		if (!why)
			continue;
		int shard;
		uint64_t soff;
		ec_layout_locate(l, e.offset, &shard, &soff);
		if (bad++ < 20)
			bb_err("%s: needle %llx at .dat offset %llu (ec%02d offset %llu): %s", v->base,
			       (unsigned long long)e.id, (unsigned long long)e.offset, shard,
			       (unsigned long long)soff, why);
	}
	free(buf);
	return bad;
}

/* The new .idx, written aside: .ecx verbatim, then a delete row for
 * every needle .ecj deletes (once each, in id order). */
static int idx_aside(const struct ec_vol *v, const struct index_in *ix, struct aside *a)
{
	char path[PATH_MAX];
	size_t w = swfs_idx_width(ix->offset_bytes), len = ix->ecx_len + ix->ndeleted * w;
	uint8_t *all = malloc(len + 1);
	if (!all) {
		bb_err("%s: out of memory", v->base);
		return -1;
	}
	memcpy(all, ix->ecx, ix->ecx_len);
	for (size_t r = 0, at = ix->ecx_len; r < ix->rows; r++)
		if (ix->deleted[r]) {
			struct swfs_idx_entry t = { row_id(ix, r), 0, SWFS_TOMBSTONE };
			swfs_idx_encode(&t, ix->offset_bytes, all + at);
			at += w;
		}
	int rc = ec_vol_path(v, ".idx", path, sizeof(path));
	if (!rc && aside_open(a, path, 0644)) {
		bb_perr("%s", path);
		rc = -1;
	} else if (!rc && write_full(a->fd, all, len)) {
		bb_perr("%s", a->tmp);
		aside_abort(a);
		rc = -1;
	}
	free(all);
	return rc;
}

/* .idx first: an .idx alone is an unfinished decode to move away, but a
 * .dat without its .idx makes a volume server exit (spec 8.2). */
static int commit_both(struct aside *idx, struct aside *dat)
{
	if (aside_commit_new(idx)) {
		bb_perr("%s", idx->final);
		aside_abort(dat);
		return -1;
	}
	if (aside_commit_new(dat)) {
		bb_perr("%s", dat->final);
		unlink(idx->final);
		fsync_parent(idx->final);
		return -1;
	}
	return 0;
}

static int refuse_existing(const struct ec_vol *v)
{
	char path[PATH_MAX];
	static const char *const outs[] = { ".dat", ".idx" };
	for (int i = 0; i < 2; i++) {
		if (ec_vol_path(v, outs[i], path, sizeof(path)))
			return -1;
		if (path_exists(path)) {
			bb_err("%s exists: decode never replaces a volume; move it away first", path);
			return -1;
		}
	}
	return 0;
}

static void report_decode(struct ec_result *r, uint64_t len, const struct index_in *ix,
			  size_t bad)
{
	r->decode.done = true;
	r->decode.dat_size = len;
	r->decode.ecx_entries = ix->ecx_len / swfs_idx_width(ix->offset_bytes);
	r->decode.ecj_deletions = ix->ndeleted;
	r->decode.crc_errors = bad;
}

/* An .ecx that is empty, zeroed or cut short would decode to a .dat of a
 * few bytes, and SeaweedFS's workflow deletes the shards after a decode.
 * So the records in the decoded bytes are walked: a needle live there
 * that .ecx does not list at all refuses the decode (--force: said
 * loudly, decoded as .ecx lists). 0 to go on. */
static int unlisted_needles(const struct ec_vol *v, const struct ec_opts *o,
			    const struct index_in *ix, int fd, uint64_t span, struct walk *w,
			    struct ec_result *r)
{
	struct dat_src src = { .fd = fd };
	struct swfs_idx_entry *live = NULL;
	size_t nlive = 0, unlisted = 0, first = 0;
	w->keep_sound = true;
	if (walk_needles(&src, span, w, v->base))
		return -1;
	int rc = swfs_index_live(w->rows.b, w->rows.n * 17, 5, &live, &nlive);
	free(w->rows.b);
	w->rows.b = NULL;
	if (rc) {
		bb_err("%s: out of memory", v->base);
		return -1;
	}
	for (size_t i = 0; i < nlive; i++)
		if (find_row(ix, live[i].id) < 0 && !unlisted++)
			first = i;
	r->decode.walked = true;
	r->decode.records_found = nlive;
	r->decode.unlisted = unlisted;
	if (unlisted)
		bb_err("%s: %s%zu of the %zu needles found in the shards are not in .ecx (the "
		       "first: %llx at .dat offset %llu): the .ecx is damaged or cut short%s",
		       v->base, o->force ? "WARNING: " : "", unlisted, nlive,
		       (unsigned long long)live[first].id, (unsigned long long)live[first].offset,
		       o->force ? "; decoded as .ecx lists (--force): those needles are NOT in the "
				  ".dat, keep the shards"
				: "; nothing written. Move the .ecx away and `ec-rebuild rebuild` makes "
				  "one from the shards; --force decodes what .ecx lists");
	free(live);
	return unlisted && !o->force ? -1 : 0;
}

static int decode_into(struct ec_vol *v, const struct ec_opts *o, struct index_in *ix,
		       const struct ec_layout *l, struct ec_result *r)
{
	char path[PATH_MAX];
	struct aside dat;
	int version = volume_version(v);
	uint64_t len = decoded_size(ix, version);
	if (len > (uint64_t)v->k * l->shard_size) {
		bb_err("%s: .ecx lists needles up to %llu, past the %llu bytes the shards hold",
		       v->base, (unsigned long long)len,
		       (unsigned long long)((uint64_t)v->k * l->shard_size));
		return -1;
	}
	if (ec_vol_path(v, ".dat", path, sizeof(path)) || aside_open(&dat, path, 0644)) {
		bb_perr("%s", path);
		return -1;
	}
	/* all the bytes the encode had, to look past what .ecx lists */
	uint64_t span = v->has_vif && v->vif.has_dat_file_size ? v->vif.dat_file_size
							     : (uint64_t)v->k * l->shard_size;
	if (span > (uint64_t)v->k * l->shard_size)
		span = (uint64_t)v->k * l->shard_size;
	if (span < len)
		span = len;
	int got = ftruncate(dat.fd, (off_t)span) ? -1 : destripe_checked(v, o, l, span, dat.fd, r);
	if (got) {
		if (got == -1)
			bb_perr("%s", dat.tmp);
		aside_abort(&dat);
		return -1;
	}
	/* every byte decoded passed the sidecar (screened or checked as it
	 * was read): the needles are the bytes encode read, so their headers
	 * are walked, not their bodies read and summed again */
	struct walk w = { .headers_only = v->sum_state == ECSUM_ON };
	r->decode.bodies_vouched = w.headers_only;
	if (unlisted_needles(v, o, ix, dat.fd, span, &w, r) || ftruncate(dat.fd, (off_t)len)) {
		free(w.rows.b);
		free(w.sound);
		aside_abort(&dat);
		return -1;
	}
	size_t bad = check_needles(v, ix, l, dat.fd, version, len, &w);
	free(w.sound);
	if (bad && !o->force) {
		bb_err("%s: %zu needles fail their check; nothing written. `ec-rebuild verify` "
		       "locates corrupt shards; --force writes the .dat anyway",
		       v->base, bad);
		aside_abort(&dat);
		return -1;
	}
	struct aside idx;
	if (idx_aside(v, ix, &idx)) {
		aside_abort(&dat);
		return -1;
	}
	if (commit_both(&idx, &dat))
		return -1;
	report_decode(r, len, ix, bad);
	return 0;
}

int ec_decode(struct ec_vol *v, const struct ec_opts *o, struct ec_result *r)
{
	struct index_in ix = { 0 };
	struct ec_layout l;
	int rc = 1;
	/* with a sidecar, the shards the decode reads are checked against
	 * it as they are read, not screened first */
	if (v->sum_state == ECSUM_ON && !o->screen_first && v->n_ok >= v->k) {
		int basis[GF_MAX_SHARDS];
		ec_vol_basis(v, basis);
		for (int i = 0; i < v->k; i++)
			v->unscreened |= 1u << basis[i];
	}
	if (ec_vol_trust(v, o, r))
		bb_err("%s: not decoded", v->base);
	else if (!decodable(v) && !refuse_existing(v) && !load_indexes(v, &ix) &&
		 !ec_vol_layout(v, o, &l))
		rc = decode_into(v, o, &ix, &l, r) ? 1 : 0;
	free(ix.ecx);
	free(ix.deleted);
	return rc;
}
