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

/* Rows that differ from what the encoder would write from .idx, not
 * counting entries deleted in place (size -1) since the encode. */
static uint64_t differences(const struct nf_vol *v, const uint8_t *ecx, size_t rows, int width,
			    uint64_t *deleted_in_place)
{
	size_t len = 0, n = 0;
	struct swfs_idx_entry *live = NULL;
	const char *why;
	uint8_t *idx = swfs_read_all(v->idx, EC_MAX_FILE, &len, &why);
	if (!idx || swfs_index_live(idx, len, v->read_width, &live, &n)) {
		free(idx);
		return 0;
	}
	free(idx);
	size_t w = swfs_idx_width(width);
	uint64_t diff = rows > n ? rows - n : n - rows;
	for (size_t i = 0; i < rows && i < n; i++) {
		struct swfs_idx_entry e;
		swfs_idx_decode(ecx + i * w, width, &e);
		if (e.id != live[i].id || e.offset != live[i].offset)
			diff++;
		else if (e.size < 0)
			(*deleted_in_place)++;
		else if (e.size != live[i].size)
			diff++;
	}
	free(live);
	return diff;
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
