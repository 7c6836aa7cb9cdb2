/* ec.c - the erasure-coding index files next to a volume: .ecx (live
 * entries sorted by id, as the encoder writes them) and .ecj (the deletion
 * journal, 8-byte ids). */
#include "fsck.h"
#include "endian.h"
#include "io.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define EC_MAX_FILE ((size_t)1 << 40)

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static bool has_id(const uint64_t *ids, size_t n, uint64_t id)
{
	return n && bsearch(&id, ids, n, sizeof(*ids), cmp_u64);
}

/* The needles the EC volume deletes: .ecx rows deleted in place (size < 0,
 * as RebuildEcxFile folds .ecj) and every id .ecj journals, sorted. A
 * torn last id of .ecj is left out. */
static int ec_deleted(const struct nf_vol *v, const uint8_t *ecx, size_t rows, int width,
		      uint64_t **out, size_t *n)
{
	size_t len = 0, w = swfs_idx_width(width);
	const char *why;
	uint8_t *ecj = swfs_read_all(v->ecj, EC_MAX_FILE, &len, &why);
	size_t cap = rows + len / 8;
	uint64_t *ids = malloc((cap ? cap : 1) * sizeof(*ids));
	*out = NULL;
	*n = 0;
	if (!ids || (!ecj && errno != ENOENT)) {
		free(ids);
		free(ecj);
		return -1;
	}
	size_t k = 0;
	for (size_t i = 0; i < rows; i++) {
		struct swfs_idx_entry e;
		swfs_idx_decode(ecx + i * w, width, &e);
		if (e.size < 0)
			ids[k++] = e.id;
	}
	for (size_t i = 0; ecj && i + 8 <= len; i += 8)
		ids[k++] = get_be64(ecj + i);
	free(ecj);
	qsort(ids, k, sizeof(*ids), cmp_u64);
	*out = ids;
	*n = k;
	return 0;
}

static int cmp_entry_id(const void *a, const void *b)
{
	const struct swfs_idx_entry *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The live entries of .idx, sorted by id. */
static int idx_live(const struct nf_vol *v, int width, struct swfs_idx_entry **live, size_t *n)
{
	size_t len = 0;
	const char *why;
	uint8_t *idx = swfs_read_all(v->idx, EC_MAX_FILE, &len, &why);
	int rc = idx ? swfs_index_live(idx, len, width, live, n) : -1;
	free(idx);
	return rc;
}

/* Needles whose .ecx state differs from the .idx's: a row the index does
 * not have live, a live needle with no row, or another place. A needle
 * the EC volume deleted since the encode (in place or in .ecj) is no
 * difference: the .idx was not told. */
static uint64_t differences(const struct nf_vol *v, const uint8_t *ecx, size_t rows, int width,
			    uint64_t *deleted_in_place)
{
	struct swfs_idx_entry *live = NULL, *have = malloc((rows ? rows : 1) * sizeof(*have));
	uint64_t *gone = NULL, diff = 0;
	size_t n = 0, ngone = 0, w = swfs_idx_width(width);
	if (!have || idx_live(v, v->read_width, &live, &n) ||
	    ec_deleted(v, ecx, rows, width, &gone, &ngone)) {
		free(have);
		free(live);
		return 0;
	}
	for (size_t i = 0; i < rows; i++)
		swfs_idx_decode(ecx + i * w, width, &have[i]);
	qsort(have, rows, sizeof(*have), cmp_entry_id);
	size_t i = 0, j = 0;
	while (i < rows || j < n) {
		uint64_t id = j == n || (i < rows && have[i].id <= live[j].id) ? have[i].id : live[j].id;
		const struct swfs_idx_entry *e = i < rows && have[i].id == id ? &have[i] : NULL;
		const struct swfs_idx_entry *l = j < n && live[j].id == id ? &live[j] : NULL;
		while (i < rows && have[i].id == id)
			i++;
		j += l != NULL;
		bool deleted = (e && e->size < 0) || has_id(gone, ngone, id);
		if (!l)
			diff += e && !deleted;
		else if (!e)
			diff++;
		else if (e->offset != l->offset || (!deleted && e->size != l->size))
			diff++;
		else
			*deleted_in_place += deleted;
	}
	free(have);
	free(live);
	free(gone);
	return diff;
}

uint8_t *nf_ecx_rebuild(const struct nf_vol *v, int idx_width, size_t *n)
{
	struct swfs_idx_entry *live = NULL;
	uint64_t *gone = NULL;
	size_t ngone = 0, len = 0;
	const char *why;
	*n = 0;
	if (idx_live(v, idx_width, &live, n))
		return NULL;
	/* the deletions of the old .ecx, read in the width it was checked in */
	uint8_t *old = swfs_read_all(v->ecx, EC_MAX_FILE, &len, &why);
	int width = v->r->have_idx ? v->want_width : swfs_ecx_width(old, len, v->want_width);
	size_t rows = old ? len / swfs_idx_width(width) : 0;
	int rc = ec_deleted(v, old, rows, width, &gone, &ngone);
	free(old);
	uint8_t *out = NULL;
	if (!rc) {
		for (size_t i = 0; i < *n; i++)
			if (has_id(gone, ngone, live[i].id))
				live[i].size = SWFS_TOMBSTONE;
		out = swfs_idx_encode_all(live, *n, v->want_width);
	}
	free(live);
	free(gone);
	return out;
}

static void check_ecx(struct nf_vol *v)
{
	struct nf_report *r = v->r;
	bool fixable = v->o->ecx && r->have_idx;
	size_t len = 0;
	const char *why;
	uint8_t *ecx = swfs_read_all(v->ecx, EC_MAX_FILE, &len, &why);
	if (!ecx) {
		if (errno != ENOENT)
			nf_say(r, NF_ERROR, NF_K_IO, false, NULL, NULL, "%s: %s", v->ecx, why);
		else if (v->o->ecx)
			nf_say(r, NF_ERROR, NF_K_ECX, fixable, NULL, NULL, "no .ecx");
		return;
	}
	r->have_ecx = true;
	int width = r->have_idx ? v->want_width
				: swfs_ecx_width(ecx, len, v->want_width);
	size_t w = swfs_idx_width(width), rows = len / w;
	if (len % w)
		nf_say(r, NF_ERROR, NF_K_ECX, fixable, NULL, NULL,
		       ".ecx is %zu bytes, not a whole number of %zu-byte rows", len, w);
	uint64_t prev = 0, bad_order = 0, deleted = 0;
	for (size_t i = 0; i < rows; i++) {
		struct swfs_idx_entry e;
		swfs_idx_decode(ecx + i * w, width, &e);
		if (i && e.id <= prev && !bad_order++) {
			uint64_t at = i * w, id = e.id;
			nf_say(r, NF_ERROR, NF_K_ECX, fixable, &at, &id,
			       ".ecx row %zu is %s", i, e.id == prev ? "a duplicate" : "out of id order");
		}
		deleted += e.size < 0;
		prev = e.id;
	}
	if (bad_order > 1)
		nf_say(r, NF_ERROR, NF_K_ECX, fixable, NULL, NULL,
		       "%" PRIu64 " .ecx rows in all are out of id order", bad_order);
	if (v->o->ecx && r->have_idx && !(len % w)) {
		uint64_t in_place = 0;
		uint64_t diff = differences(v, ecx, rows, width, &in_place);
		if (diff)
			nf_say(r, NF_ERROR, NF_K_ECX, fixable, NULL, NULL,
			       "%" PRIu64 " .ecx rows differ from the live entries of .idx", diff);
		deleted = in_place;
	}
	if (deleted)
		nf_say(r, NF_NOTE, NF_K_INFO, false, NULL, NULL,
		       "%" PRIu64 " .ecx rows are deleted in place", deleted);
	free(ecx);
}

static void check_ecj(struct nf_vol *v)
{
	struct nf_report *r = v->r;
	size_t len = 0;
	const char *why;
	uint8_t *ecj = swfs_read_all(v->ecj, EC_MAX_FILE, &len, &why);
	if (!ecj) {
		if (errno != ENOENT)
			nf_say(r, NF_ERROR, NF_K_IO, false, NULL, NULL, "%s: %s", v->ecj, why);
		return;
	}
	r->have_ecj = true;
	if (len % 8)
		nf_say(r, NF_ERROR, NF_K_ECJ, false, NULL, NULL,
		       ".ecj is %zu bytes: its last deletion is torn (%zu bytes)", len, len % 8);
	else if (len)
		nf_say(r, NF_NOTE, NF_K_INFO, false, NULL, NULL, ".ecj journals %zu deletions",
		       len / 8);
	free(ecj);
}

void nf_check_ec(struct nf_vol *v)
{
	check_ecx(v);
	check_ecj(v);
}
