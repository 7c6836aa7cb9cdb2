/* fsck.h - needle-fsck's parts: the .dat reader, the record scan, the index
 * model, the repair and the report. Internal to the applet (and its tests).
 *
 * The model. A volume's truth is its .dat: records in append order. The
 * .idx is derived data, trusted only for what .dat cannot say: deletes
 * with no tombstone record (offset 0 rows), and whether a Size 0 record
 * is an empty file or a deletion. Every index row and every record no row
 * points at becomes one 17-byte entry; sorting those by offset matches
 * them against the scan, and sorting by id replays them.
 */
#ifndef NF_FSCK_H
#define NF_FSCK_H

#include "swfs.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

/* ---- reading .dat ------------------------------------------------------ */

/* A window over a file, refilled forward with the unread part carried
 * over, so a record up to NF_SMALL bytes is always contiguous. With a
 * thread, the other buffers of a ring of NF_RING are filled ahead while
 * the window's is checked. */
/* 2 MiB: smaller chunks spend the gain of reading ahead on thread
 * hand-offs (1 MiB: 0.79 of `cat`; 2 MiB: 0.95), larger ones fall out of
 * the caches. */
#define NF_CHUNK (2u << 20)
#define NF_SMALL (256u << 10)
#define NF_RING 3

struct nf_ahead;

struct nf_src {
	int fd;
	uint64_t size;      /* file size */
	uint8_t *buf[NF_RING]; /* each NF_SMALL of room for the carry + chunk */
	size_t buf_len;     /* each buffer's mapping (mem_big_alloc) */
	int nbuf;           /* NF_RING with a thread, else 2 */
	size_t chunk;       /* bytes read per refill (NF_CHUNK; tests use less) */
	int cur;            /* which buffer the window is in */
	const uint8_t *win; /* window: file bytes [base, base + len) */
	uint64_t base;
	size_t len;
	struct nf_ahead *ahead; /* NULL: read in the caller's thread */
	uint64_t bytes_read;
	uint64_t crc_bytes;     /* bytes checksummed: with bytes_read, the work done */
};

int nf_src_open(struct nf_src *s, int fd, uint64_t size, size_t chunk, bool thread);
void nf_src_close(struct nf_src *s);
/* n <= NF_SMALL contiguous bytes at off, or NULL (errno: EIO, or ENODATA
 * past the end of the file). */
const uint8_t *nf_src_get(struct nf_src *s, uint64_t off, size_t n);
/* CRC-32C of file bytes [off, off + n), without copying them. */
int nf_src_crc(struct nf_src *s, uint64_t off, uint64_t n, uint32_t *crc);

/* ---- records ----------------------------------------------------------- */

struct nf_rec {
	uint64_t off, len;  /* where the record starts, its whole length */
	uint64_t id;
	uint32_t cookie;
	int32_t size;
	uint64_t ts;        /* AppendAtNs, v3 */
	bool legacy_crc;
};

enum nf_rv { NF_OK, NF_BAD, NF_SHORT, NF_IOERR };

/* Check the record at off. strict: also demand what every writer does
 * but readers forgive (no spare body bytes, non-negative Size); used when
 * searching for the next record after a corrupt one. */
enum nf_rv nf_record(struct nf_src *s, int version, uint64_t off, bool strict, struct nf_rec *r,
		     const char **why);

/* What a record found by searching must also pass, cheapest first: a v3
 * AppendAtNs after min_ts (writers make it rise), and a cost (its body,
 * read and checksummed) within budget, which is then spent. */
struct nf_gate {
	uint64_t min_ts;
	uint64_t budget;
	uint64_t over;      /* candidates turned down for the budget */
};
enum nf_rv nf_record_gated(struct nf_src *s, int version, uint64_t off, bool strict,
			   struct nf_gate *gate, struct nf_rec *r, const char **why);

/* ---- index entries -------------------------------------------------------- */

/* One index row, or one record no row points at. Packed: memory is about
 * 17 bytes per entry. Rows of a kind other than a Put or a delete of a
 * record carry it in size, below any size SeaweedFS writes. */
struct __attribute__((packed)) nf_ent {
	uint64_t id;
	int32_t size;
	uint32_t off_lo; /* offset / 8: low 32 bits ... */
	uint8_t off_hi;  /* ... and bits 32..39 */
};

enum {
	/* A delete with no record (offset 0 on disk). Its offset field holds
	 * when it happened: after the record at that offset. */
	NF_DELETE_ONLY = INT32_MIN,
	/* Points at no record of its needle: dropped from a rebuilt index. */
	NF_BOGUS = INT32_MIN + 1,
	/* Its needle's record is there but corrupt or torn. */
	NF_LOST = INT32_MIN + 2,
	/* A Put whose record is cut off by the end of .dat or lies in damaged
	 * bytes: lost too, unless a record no row points at is what this row
	 * once pointed at (its offset garbled) and now serves the needle. */
	NF_GONE = INT32_MIN + 3,
};
#define NF_TIME_LAST (((uint64_t)1 << 40) - 1) /* offset / 8 of "after everything" */

static inline uint64_t nf_off8(const struct nf_ent *e)
{
	return (uint64_t)e->off_hi << 32 | e->off_lo;
}
static inline void nf_set_off8(struct nf_ent *e, uint64_t off8)
{
	e->off_lo = (uint32_t)off8;
	e->off_hi = (uint8_t)(off8 >> 32);
}
static inline bool nf_is_kind(int32_t size) { return size <= NF_GONE; }

struct nf_ents {
	struct nf_ent *e;
	size_t n, cap;
};
int nf_ents_push(struct nf_ents *v, uint64_t id, uint64_t off8, int32_t size);
/* Sort key by time: a Put or a delete at offset o happened at 2*o/8; a
 * delete with no record just after the record it follows. */
static inline uint64_t nf_time(const struct nf_ent *e)
{
	return nf_off8(e) * 2 + (e->size == NF_DELETE_ONLY);
}

/* ---- the report -------------------------------------------------------------- */

enum nf_sev { NF_ERROR, NF_WARN, NF_NOTE };

/* What was found: the kind names are the JSON "kind" strings. */
#define NF_KINDS(X)                                                     \
	X(IO, "io")                           /* could not read or write */  \
	X(SUPERBLOCK, "superblock")                                          \
	X(DAMAGED, "damaged-bytes")           /* no valid record there */    \
	X(TAIL, "torn-tail")                                                 \
	X(LOST, "lost-needle")                                               \
	X(RESTORED, "unindexed-needle")       /* .dat has what .idx lacks */ \
	X(STALE, "stale-entry")               /* .idx says what .dat does not */ \
	X(IDX_MISSING, "index-missing")                                      \
	X(IDX_PARTIAL, "index-partial-row")                                  \
	X(IDX_WIDTH, "index-width")                                          \
	X(IDX_ORDER, "index-order")                                          \
	X(IDX_HEADRUN, "index-head-tombstones")                              \
	X(IDX_DUP, "index-duplicate")                                        \
	X(IDX_OVERLAP, "index-overlap")                                      \
	X(DELETE_AT_DATA, "delete-of-data-record") /* a delete row at a Put */ \
	X(UNCONFIRMED, "unconfirmed-record")  /* found after damage only */ \
	X(ECX, "ecx")                                                        \
	X(ECJ, "ecj")                                                        \
	X(INFO, "info")

#define NF_KIND_ENUM(k, s) NF_K_##k,
enum nf_kind { NF_KINDS(NF_KIND_ENUM) NF_K_COUNT };
#undef NF_KIND_ENUM
extern const char *const nf_kind_name[NF_K_COUNT];

struct nf_msg {
	enum nf_sev sev;
	enum nf_kind kind;
	bool fixable;
	bool has_off, has_id;
	uint64_t off, id;
	char text[200];
};

#define NF_MAX_MSGS 64 /* kept per kind; the rest are counted */

struct nf_list {
	uint64_t *v;
	size_t n, cap;
};

struct nf_report {
	char base[PATH_MAX];
	int status;                 /* fsck exit bits for this volume */
	bool have_dat, have_idx, have_ecx, have_ecj;
	int version, offset_bytes;
	const char *width_from;     /* "option", ".vif", or swfs_idx_guess_width's how */
	char replica[4], ttl[8];
	unsigned compaction_rev, extra_size;
	uint64_t dat_size, data_start, idx_size, idx_rows;
	uint64_t records, record_bytes, tombstones, legacy_crc, ts_backwards;
	uint64_t damaged_bytes, damaged_ranges, tail_bytes;
	uint64_t live, live_bytes, deleted;
	uint64_t garbage_bytes;
	uint64_t work;              /* bytes read and checksummed: linear in .dat */
	uint64_t errors, fixed;     /* counts of errors found, and corrected */
	uint64_t msg_count[NF_K_COUNT];
	uint64_t err_count[NF_K_COUNT], fixable_count[NF_K_COUNT];
	bool repaired[NF_K_COUNT];  /* a repair step dealt with this kind */
	struct nf_msg *msgs;
	size_t nmsgs, cap_msgs;
	struct nf_list lost;        /* every needle whose data is gone */
	uint64_t restored;          /* needles .dat has and .idx does not say */
	uint64_t unconfirmed;       /* records found after damage that no row confirms */
	char repairs[8][300];       /* what -y did, in order */
	int nrepairs;
	/* after a repair */
	bool rebuilt;
	uint64_t new_rows, new_live;
};

void nf_say(struct nf_report *r, enum nf_sev sev, enum nf_kind kind, bool fixable, const uint64_t *off,
	    const uint64_t *id, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
void nf_did(struct nf_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int nf_list_add(struct nf_list *l, uint64_t v);
void nf_report_free(struct nf_report *r);
void nf_print_text(FILE *f, const struct nf_report *r);
struct jw;
void nf_print_json(struct jw *w, const struct nf_report *r);

/* ---- a volume ------------------------------------------------------------------ */

struct nf_opts {
	bool repair;           /* -y */
	bool ecx;              /* --ecx: rebuild .ecx from .idx */
	int offset_bytes;      /* --offset-bytes, 0 = detect */
	const char *index_dir; /* --index-dir */
	size_t chunk;          /* read size; 0 = NF_CHUNK */
	bool read_ahead;       /* a second thread reads .dat ahead (--read-ahead) */
	bool progress;
	/* tests: stop a repair after this many steps (0 = run all) */
	int stop_after;
};

struct nf_vol {
	const struct nf_opts *o;
	struct nf_report *r;
	char dat[PATH_MAX], idx[PATH_MAX], ecx[PATH_MAX], ecj[PATH_MAX], vif[PATH_MAX];
	int dat_fd;
	struct stat dat_st, idx_st;
	struct swfs_superblock sb;
	bool sb_ok;
	uint8_t sb_raw[SWFS_SUPERBLOCK_SIZE]; /* as read */
	const char *sb_why;    /* why the superblock cannot be, or NULL */
	bool sb_fix;           /* the records say it is damaged: write sb_fixed */
	uint8_t sb_fixed[SWFS_SUPERBLOCK_SIZE];
	uint64_t data_start;
	int read_width;        /* offset bytes the .idx is written with */
	int want_width;        /* offset bytes the volume should use */
	bool width_conflict;   /* --offset-bytes and .vif disagree */
	struct nf_ents rows;   /* .idx rows, then sorted */
	struct nf_ents recs;   /* records no row points at */
	uint64_t tail_off;     /* where the damaged tail starts (dat size: none) */
	uint64_t last_ts;
	uint64_t unindexed_empty; /* Size 0 records no row points at */
	uint64_t rows_in_tail;    /* rows pointing into the damaged tail */
	uint64_t rows_lost;       /* rows at damaged records of their needle */
	bool tail_kept;           /* the damaged end is too much to cut */
	bool need_idx;         /* the index must be rebuilt */
	uint64_t changed;      /* needles whose state a rebuild changes */
	bool io_failed;
};

/* Check one volume (base path without extension) and, with o->repair,
 * repair it. Fills r; returns r->status. */
int nf_check_volume(const struct nf_opts *o, const char *base, struct nf_report *r);

/* The steps inside nf_check_volume, for the tests. */
int nf_load_index(struct nf_vol *v);
int nf_scan(struct nf_vol *v);
void nf_replay(struct nf_vol *v);
int nf_repair(struct nf_vol *v);
void nf_check_ec(struct nf_vol *v);
/* The .ecx rebuilt from the .idx (rows in idx_width), keeping the EC
 * volume's deletions; *n rows in the volume's width, malloc'd. */
uint8_t *nf_ecx_rebuild(const struct nf_vol *v, int idx_width, size_t *n);
void nf_check_overlap(struct nf_vol *v);
/* Weigh the superblock's version and ExtraSize (raw, as read; why: what
 * is impossible in it, or NULL) against the records and the index; when
 * they agree on another reading, say the superblock is likely damaged
 * and scan that way (v->sb_fix). */
void nf_weigh_superblock(struct nf_vol *v, const uint8_t raw[SWFS_SUPERBLOCK_SIZE], const char *why);

#endif
