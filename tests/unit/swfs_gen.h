/* swfs_gen.h - test volumes: SeaweedFS .dat/.idx written as upstream's
 * writer does (core swfs_needle_encode), with the generator's own record
 * of every needle, and damage injected on purpose with a record of what
 * it broke. The expected results of a check come from that record. */
#ifndef SWFS_GEN_H
#define SWFS_GEN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gen_rec {
	uint64_t id, off, len;
	int32_t size;
	bool tomb;            /* a deletion record */
	uint8_t *data;        /* the needle's bytes (NULL for a deletion) */
	uint32_t data_len;
};

/* What each needle should be after a repair. */
enum gen_fate { G_LIVE, G_DELETED, G_LOST };

struct gen_needle {
	uint64_t id;
	enum gen_fate fate;
	size_t rec;           /* for G_LIVE: index of its newest record */
};

struct gen_vol {
	char base[PATH_MAX], dat[PATH_MAX], idx[PATH_MAX];
	int version, width;
	bool legacy_crc, empty_files;
	struct gen_rec *rec;
	size_t nrec;
	struct gen_needle *needle;
	size_t nneedle;
	uint64_t dat_size;    /* before any damage */
	uint64_t last_ts;     /* AppendAtNs of the newest record */
	size_t idx_rows;
};

/* Write base.dat and base.idx: n operations (new needles, updates,
 * deletions, empty files when asked), one record and one index row each,
 * a few records larger than the reader's small-record window. */
void gen_volume(struct gen_vol *g, const char *base, int version, int width, bool legacy,
		bool empty_files, unsigned seed, int n);
void gen_free(struct gen_vol *g);
/* Whether gen_volume writes one record larger than the reader's window
 * (on by default; off keeps volumes small for many cases). */
void gen_big_records(bool on);
/* Append a record of id (a deletion when data is NULL) at the end of
 * .dat, with an index row when indexed; returns its index in g->rec. */
size_t gen_append(struct gen_vol *g, uint64_t id, const uint8_t *data, uint32_t len, bool indexed,
		  uint64_t ts, unsigned seed);
/* The bytes of such a record, written as g's version does, into out. */
size_t gen_record_bytes(struct gen_vol *g, uint64_t id, const uint8_t *data, uint32_t len,
			uint64_t ts, unsigned seed, uint8_t *out, size_t cap);
/* Raw bytes appended to .dat (no record, no row). */
void gen_append_raw(struct gen_vol *g, const uint8_t *b, size_t n);

/* Damage, each noting what it breaks in g. */
void gen_corrupt_size(struct gen_vol *g, size_t rec);    /* garbage in the Size field */
void gen_flip_data(struct gen_vol *g, size_t rec);       /* one bit of its data */
void gen_torn_tail(struct gen_vol *g, uint32_t bytes);   /* a partial record appended */
void gen_drop_idx(struct gen_vol *g);                    /* no .idx at all */
void gen_unflushed(struct gen_vol *g, size_t rows);      /* the last rows never written */
void gen_sort_idx(struct gen_vol *g);                    /* .idx sorted by id */
void gen_head_run(struct gen_vol *g, size_t rows);       /* deletes written over the head */
void gen_partial_row(struct gen_vol *g, size_t bytes);   /* a torn last row */
void gen_wrong_width(struct gen_vol *g);                 /* .idx in the other width than .vif */

/* The records that should be the newest live ones, by what g noted. */
const struct gen_needle *gen_find(const struct gen_vol *g, uint64_t id);
/* Newest record index of id in the .dat order (deleted or not), or -1. */
long gen_last_rec(const struct gen_vol *g, uint64_t id);

/* Read every needle through the index on disk (core's replay) and compare
 * with what g says: returns NULL, or what differs. */
const char *gen_verify(const struct gen_vol *g, int width);

#endif
