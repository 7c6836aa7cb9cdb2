/* swfs_gen.c - test volumes for needle-fsck; see swfs_gen.h. */
#include "swfs_gen.h"
#include "endian.h"
#include "io.h"
#include "swfs.h"
#include "test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BIG_RECORD (300u << 10) /* more than needle-fsck's small-record window */

static bool big_records = true;

void gen_big_records(bool on) { big_records = on; }

static uint32_t rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static void must(int ok, const char *what)
{
	if (!ok)
		test_fail(__FILE__, __LINE__, "generator: %s", what);
}

static void append(int fd, const void *b, size_t n, uint64_t *at)
{
	must(pwrite_full(fd, b, n, *at) == 0, "write");
	*at += n;
}

static void put_row(int fd, int width, uint64_t id, uint64_t off, int32_t size)
{
	uint8_t b[17];
	struct swfs_idx_entry e = { id, off, size };
	swfs_idx_encode(&e, width, b);
	must(write_full(fd, b, swfs_idx_width(width)) == 0, "write .idx");
}

static struct gen_needle *needle_of(struct gen_vol *g, uint64_t id)
{
	for (size_t i = 0; i < g->nneedle; i++)
		if (g->needle[i].id == id)
			return &g->needle[i];
	return NULL;
}

const struct gen_needle *gen_find(const struct gen_vol *g, uint64_t id)
{
	return needle_of((struct gen_vol *)g, id);
}

long gen_last_rec(const struct gen_vol *g, uint64_t id)
{
	for (size_t i = g->nrec; i-- > 0;)
		if (g->rec[i].id == id)
			return (long)i;
	return -1;
}

/* One record: data (len bytes, or a deletion when data is NULL). */
static void write_record(struct gen_vol *g, int fd, uint64_t *at, uint64_t id, uint8_t *data,
			 uint32_t len, bool tomb, unsigned *seed, uint64_t ts)
{
	static const uint8_t name[] = "photo.jpg", mime[] = "image/jpeg", pairs[] = "{\"a\":\"b\"}";
	struct swfs_needle n;
	memset(&n, 0, sizeof(n));
	n.cookie = rnd(seed);
	n.id = id;
	n.data = data;
	n.data_size = len;
	n.append_at_ns = ts;
	n.checksum = tomb ? rnd(seed) : 0; /* a deletion keeps whatever it was sent */
	if (g->version > 1 && len) {
		n.flags = (uint8_t)(rnd(seed) & (SWFS_FLAG_NAME | SWFS_FLAG_MIME |
						 SWFS_FLAG_LAST_MODIFIED | SWFS_FLAG_TTL |
						 SWFS_FLAG_PAIRS));
		n.name = name, n.name_size = sizeof(name) - 1;
		n.mime = mime, n.mime_size = sizeof(mime) - 1;
		n.pairs = pairs, n.pairs_size = sizeof(pairs) - 1;
		n.last_modified = 1700000000 + rnd(seed) % 1000;
		n.ttl_count = 3, n.ttl_unit = 3;
	}
	size_t cap = len + 1024;
	uint8_t *buf = malloc(cap);
	must(buf != NULL, "malloc");
	size_t total = swfs_needle_encode(&n, g->version, g->legacy_crc, buf, cap);
	must(total > 0, "encode");
	g->rec = realloc(g->rec, (g->nrec + 1) * sizeof(*g->rec));
	must(g->rec != NULL, "realloc");
	g->rec[g->nrec++] = (struct gen_rec){ id, *at, total, n.size, tomb, data, len };
	append(fd, buf, total, at);
	free(buf);
}

static uint8_t *random_data(unsigned *seed, uint32_t len)
{
	uint8_t *d = malloc(len ? len : 1);
	must(d != NULL, "malloc");
	for (uint32_t i = 0; i < len; i++)
		d[i] = (uint8_t)rnd(seed);
	return d;
}

static size_t pick_live(struct gen_vol *g, unsigned *seed, bool with_data)
{
	for (int tries = 0; tries < 100; tries++) {
		size_t i = rnd(seed) % g->nneedle;
		if (g->needle[i].fate == G_LIVE &&
		    (!with_data || g->rec[g->needle[i].rec].data_len))
			return i;
	}
	return SIZE_MAX;
}

void gen_volume(struct gen_vol *g, const char *base, int version, int width, bool legacy,
		bool empty_files, unsigned seed, int n)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->base, sizeof(g->base), "%s", base);
	swfs_path(g->dat, sizeof(g->dat), base, ".dat");
	swfs_path(g->idx, sizeof(g->idx), base, ".idx");
	g->version = version, g->width = width, g->legacy_crc = legacy;
	g->empty_files = empty_files;
	g->needle = calloc((size_t)n, sizeof(*g->needle));
	int dat = open(g->dat, O_RDWR | O_CREAT | O_TRUNC, 0644);
	int idx = open(g->idx, O_RDWR | O_CREAT | O_TRUNC, 0644);
	must(dat >= 0 && idx >= 0 && g->needle, "create volume files");
	struct swfs_superblock sb = { (uint8_t)version, 10, 0, 0, 7, 0 };
	uint8_t b[SWFS_SUPERBLOCK_SIZE];
	swfs_sb_encode(&sb, b);
	uint64_t at = 0, ts = 1700000000000000000ull;
	append(dat, b, sizeof(b), &at);
	uint64_t next_id = 1 + rnd(&seed) % 100;
	for (int k = 0; k < n; k++, ts += 1000 + rnd(&seed) % 1000) {
		uint32_t op = rnd(&seed) % 20;
		size_t who = g->nneedle ? pick_live(g, &seed, false) : SIZE_MAX;
		if (op < 3 && who != SIZE_MAX) { /* delete */
			struct gen_needle *nd = &g->needle[who];
			write_record(g, dat, &at, nd->id, NULL, 0, true, &seed, ts);
			put_row(idx, width, nd->id, g->rec[g->nrec - 1].off, SWFS_TOMBSTONE);
			nd->fate = G_DELETED;
			continue;
		}
		struct gen_needle *nd;
		if (op < 6 && who != SIZE_MAX) {
			nd = &g->needle[who]; /* an update */
		} else {
			nd = &g->needle[g->nneedle++];
			nd->id = next_id;
			next_id += 1 + rnd(&seed) % 5;
		}
		uint32_t len = k == n / 3 && big_records ? BIG_RECORD : rnd(&seed) % 12000;
		if (empty_files && op == 19)
			len = 0;
		write_record(g, dat, &at, nd->id, random_data(&seed, len), len, false, &seed, ts);
		put_row(idx, width, nd->id, g->rec[g->nrec - 1].off, g->rec[g->nrec - 1].size);
		nd->fate = G_LIVE;
		nd->rec = g->nrec - 1;
	}
	g->dat_size = at;
	g->idx_rows = g->nrec;
	g->last_ts = ts;
	close(dat);
	close(idx);
}

size_t gen_append(struct gen_vol *g, uint64_t id, const uint8_t *data, uint32_t len, bool indexed,
		  uint64_t ts, unsigned seed)
{
	int dat = open(g->dat, O_RDWR);
	int idx = open(g->idx, O_WRONLY | O_APPEND);
	must(dat >= 0 && (idx >= 0 || !indexed), "open volume files");
	uint8_t *copy = NULL;
	if (data) {
		copy = malloc(len ? len : 1);
		must(copy != NULL, "malloc");
		memcpy(copy, data, len);
	}
	uint64_t at = g->dat_size;
	write_record(g, dat, &at, id, copy, data ? len : 0, !data, &seed, ts);
	g->dat_size = at;
	if (ts > g->last_ts)
		g->last_ts = ts;
	size_t r = g->nrec - 1;
	if (indexed) {
		put_row(idx, g->width, id, g->rec[r].off, data ? g->rec[r].size : SWFS_TOMBSTONE);
		g->idx_rows++;
		struct gen_needle *nd = needle_of(g, id);
		if (!nd) {
			g->needle = realloc(g->needle, (g->nneedle + 1) * sizeof(*g->needle));
			must(g->needle != NULL, "realloc");
			nd = &g->needle[g->nneedle++];
			nd->id = id;
		}
		nd->fate = data ? G_LIVE : G_DELETED;
		nd->rec = r;
	}
	close(dat);
	if (idx >= 0)
		close(idx);
	return r;
}

size_t gen_record_bytes(struct gen_vol *g, uint64_t id, const uint8_t *data, uint32_t len,
			uint64_t ts, unsigned seed, uint8_t *out, size_t cap)
{
	static const uint8_t name[] = "blob";
	struct swfs_needle n;
	memset(&n, 0, sizeof(n));
	n.cookie = rnd(&seed);
	n.id = id;
	n.data = data;
	n.data_size = data ? len : 0;
	n.append_at_ns = ts;
	if (g->version > 1 && n.data_size) {
		n.flags = SWFS_FLAG_NAME;
		n.name = name, n.name_size = sizeof(name) - 1;
	}
	return swfs_needle_encode(&n, g->version, g->legacy_crc, out, cap);
}

void gen_append_raw(struct gen_vol *g, const uint8_t *b, size_t n)
{
	int dat = open(g->dat, O_RDWR);
	must(dat >= 0, "open .dat");
	append(dat, b, n, &g->dat_size);
	close(dat);
}

void gen_free(struct gen_vol *g)
{
	for (size_t i = 0; i < g->nrec; i++)
		free(g->rec[i].data);
	free(g->rec);
	free(g->needle);
}

/* ---- damage ------------------------------------------------------------------ */

static void patch(const char *path, uint64_t off, const void *b, size_t n)
{
	int fd = open(path, O_RDWR);
	must(fd >= 0 && pwrite_full(fd, b, n, off) == 0, "patch");
	close(fd);
}

/* A record that no longer reads: its needle is lost if it was the
 * needle's newest. */
static void broke(struct gen_vol *g, size_t rec)
{
	struct gen_needle *nd = needle_of(g, g->rec[rec].id);
	if (nd && nd->fate == G_LIVE && nd->rec == rec)
		nd->fate = G_LOST;
}

void gen_corrupt_size(struct gen_vol *g, size_t rec)
{
	uint8_t b[4];
	put_be32(b, 0x7ffffff0u);
	patch(g->dat, g->rec[rec].off + 12, b, 4);
	broke(g, rec);
}

void gen_flip_data(struct gen_vol *g, size_t rec)
{
	uint64_t at = g->rec[rec].off + SWFS_NEEDLE_HEADER + (g->version > 1 ? 4 : 0) +
		      g->rec[rec].data_len / 2;
	uint8_t b;
	int fd = open(g->dat, O_RDWR);
	must(fd >= 0 && pread_full(fd, &b, 1, at) == 1, "read");
	b ^= 0x10;
	must(pwrite_full(fd, &b, 1, at) == 0, "write");
	close(fd);
	broke(g, rec);
}

void gen_torn_tail(struct gen_vol *g, uint32_t bytes)
{
	uint8_t part[64];
	memset(part, 0x5a, sizeof(part));
	put_be64(part + 4, 999999);
	put_be32(part + 12, 5000);
	patch(g->dat, g->dat_size, part, bytes < sizeof(part) ? bytes : sizeof(part));
}

/* Records [from, to) lose their index rows: an empty file among them
 * can no longer be told from a deletion (spec 2.6), and is not found. */
static void unindexed(struct gen_vol *g, size_t from, size_t to)
{
	for (size_t i = 0; i < g->nneedle; i++) {
		struct gen_needle *nd = &g->needle[i];
		if (nd->fate == G_LIVE && nd->rec >= from && nd->rec < to && !g->rec[nd->rec].data_len)
			nd->fate = G_DELETED;
	}
}

void gen_drop_idx(struct gen_vol *g)
{
	must(unlink(g->idx) == 0, "unlink .idx");
	unindexed(g, 0, g->nrec);
}

void gen_unflushed(struct gen_vol *g, size_t rows)
{
	unindexed(g, g->nrec - rows, g->nrec);
	must(truncate(g->idx, (off_t)((g->idx_rows - rows) * swfs_idx_width(g->width))) == 0,
	     "truncate .idx");
}

static uint8_t *read_idx(const struct gen_vol *g, size_t *len)
{
	uint8_t *b = (uint8_t *)read_file(g->idx, 1 << 28, len);
	must(b != NULL, "read .idx");
	return b;
}

void gen_sort_idx(struct gen_vol *g)
{
	size_t len, w = swfs_idx_width(g->width);
	uint8_t *b = read_idx(g, &len), tmp[17];
	/* insertion sort: stable, as the old weed fix's sort was */
	for (size_t i = 1; i < len / w; i++)
		for (size_t j = i; j > 0 && get_be64(b + (j - 1) * w) > get_be64(b + j * w); j--) {
			memcpy(tmp, b + j * w, w);
			memcpy(b + j * w, b + (j - 1) * w, w);
			memcpy(b + (j - 1) * w, tmp, w);
		}
	must(write_file_atomic(g->idx, b, len, 0644) == 0, "write .idx");
	free(b);
}

void gen_head_run(struct gen_vol *g, size_t rows)
{
	unsigned seed = 7;
	size_t w = swfs_idx_width(g->width);
	unindexed(g, 0, rows);
	for (size_t r = 0; r < rows; r++) {
		size_t who = pick_live(g, &seed, true);
		must(who != SIZE_MAX, "a live needle to delete");
		uint8_t b[17];
		struct swfs_idx_entry e = { g->needle[who].id, 0, SWFS_TOMBSTONE };
		swfs_idx_encode(&e, g->width, b);
		patch(g->idx, r * w, b, w);
		g->needle[who].fate = G_DELETED;
	}
}

void gen_partial_row(struct gen_vol *g, size_t bytes)
{
	uint8_t junk[17] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	patch(g->idx, g->idx_rows * swfs_idx_width(g->width), junk, bytes);
}

void gen_wrong_width(struct gen_vol *g)
{
	int other = g->width == 4 ? 5 : 4;
	size_t len, w = swfs_idx_width(g->width), ow = swfs_idx_width(other);
	uint8_t *b = read_idx(g, &len);
	uint8_t *out = malloc(len / w * ow + 1);
	must(out != NULL, "malloc");
	for (size_t i = 0; i < len / w; i++) {
		struct swfs_idx_entry e;
		swfs_idx_decode(b + i * w, g->width, &e);
		swfs_idx_encode(&e, other, out + i * ow);
	}
	must(write_file_atomic(g->idx, out, len / w * ow, 0644) == 0, "write .idx");
	char vif[PATH_MAX];
	swfs_path(vif, sizeof(vif), g->base, ".vif");
	FILE *f = fopen(vif, "w");
	must(f != NULL, "create .vif");
	struct swfs_vif v = { .version = (uint32_t)g->version, .bytes_offset = (uint32_t)g->width };
	swfs_vif_write(f, &v);
	fclose(f);
	free(b);
	free(out);
}

/* ---- reading back ----------------------------------------------------------------- */

static const struct swfs_idx_entry *lookup(const struct swfs_idx_entry *live, size_t n, uint64_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (live[mid].id == id)
			return &live[mid];
		if (live[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const char *read_needle(const struct gen_vol *g, int fd, const struct swfs_idx_entry *e,
			       const struct gen_rec *want)
{
	uint64_t len = swfs_record_len(e->size, g->version);
	uint8_t *b = malloc(len);
	struct swfs_needle n;
	const char *why = "cannot read its record";
	if (b && pread_full(fd, b, len, e->offset) == (ssize_t)len &&
	    swfs_needle_parse(b, len, g->version, &n, &why) == SWFS_REC_OK) {
		why = NULL;
		if (n.id != want->id || n.data_size != want->data_len ||
		    (want->data_len && memcmp(n.data, want->data, want->data_len)))
			why = "its bytes differ from what was written";
	}
	free(b);
	return why;
}

const char *gen_verify(const struct gen_vol *g, int width)
{
	static char msg[200];
	size_t len = 0, n = 0;
	struct swfs_idx_entry *live = NULL;
	uint8_t *idx = (uint8_t *)read_file(g->idx, 1 << 28, &len);
	int fd = open(g->dat, O_RDONLY);
	if (!idx || fd < 0 || swfs_index_live(idx, len, width, &live, &n)) {
		free(idx);
		return "cannot read the volume";
	}
	const char *bad = NULL;
	for (size_t i = 0; i < g->nneedle && !bad; i++) {
		const struct gen_needle *nd = &g->needle[i];
		const struct swfs_idx_entry *e = lookup(live, n, nd->id);
		if (nd->fate != G_LIVE) {
			if (e) {
				snprintf(msg, sizeof(msg), "needle %llx should be gone, is at %llu",
					 (unsigned long long)nd->id, (unsigned long long)e->offset);
				bad = msg;
			}
			continue;
		}
		const char *why = e ? read_needle(g, fd, e, &g->rec[nd->rec]) : "not in the index";
		if (why) {
			snprintf(msg, sizeof(msg), "needle %llx: %s", (unsigned long long)nd->id, why);
			bad = msg;
		}
	}
	for (size_t i = 0; i < n && !bad; i++)
		if (!gen_find(g, live[i].id))
			bad = "the index has a needle that was never written";
	free(live);
	free(idx);
	close(fd);
	return bad;
}
