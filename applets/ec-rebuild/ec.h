/* ec.h - what the parts of ec-rebuild share: options, one EC volume as
 * found on disk, and the commands. */
#ifndef EC_EC_H
#define EC_EC_H

#include "ecsum.h"
#include "gf.h"
#include "stripe.h"
#include "swfs.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#define EC_DEFAULT_DATA 10
#define EC_DEFAULT_PARITY 4

struct ec_opts {
	int k, m;               /* from --data-shards/--parity-shards, 0 when not given */
	uint64_t large, small;  /* block sizes */
	unsigned threads;
	uint64_t memory;        /* buffer budget */
	bool repair, force;
	bool sha256;             /* info: hash every shard present */
	bool ignore_ecsum;      /* neither trust nor write a .ecsum */
	bool trust_parity;      /* verify --repair: vouch for unverified rebuilt bytes */
	/* check every shard against the sidecar before the pass, instead of
	 * in it (no option sets it: tests compare the two ways) */
	bool screen_first;
	enum ec_gf_kernel kernel;
};

enum shard_state { SHARD_MISSING, SHARD_OK, SHARD_DAMAGED };

struct ec_shard {
	enum shard_state state;
	uint64_t size;
	char path[PATH_MAX];
};

struct ec_vol {
	char base[PATH_MAX];
	int k, m;
	const char *ratio_from;  /* "options", ".vif" or "default" */
	bool has_vif;
	struct swfs_vif vif;
	/* the .ecsum sidecar: none, a good one (sum, whose CRCs point into
	 * sum_file), or one that cannot be trusted (sum_why says why) */
	enum { ECSUM_NONE, ECSUM_ON, ECSUM_INVALID } sum_state;
	const char *sum_why;
	struct ecsum sum;
	uint8_t *sum_file;
	uint64_t shard_size;     /* what a healthy shard measures */
	const char *size_from;   /* how shard_size was decided */
	struct ec_shard sh[GF_MAX_SHARDS];
	int n_ok;
	int sum_failed;          /* shards the sidecar has failed so far */
	/* healthy shards (bits by number) the screen left to be checked
	 * against the sidecar as a rebuild reads them as its sources */
	uint32_t unscreened;
	bool unverified;         /* rebuilt now from exactly k, nothing to check them */
	uint8_t enc[GF_MAX_SHARDS * GF_MAX_SHARDS]; /* (k+m) x k */
};

/* ---- results ------------------------------------------------------------
 * The work fills a struct ec_result for each volume with what it found and
 * did; render.c alone turns it into the table or the JSON object (errors
 * still go to stderr as they happen, through bb_err). */

enum ec_cmd { EC_CMD_REBUILD, EC_CMD_VERIFY, EC_CMD_INFO, EC_CMD_ENCODE, EC_CMD_DECODE };
enum ec_plan { EC_REFUSED = -1, EC_COMPLETE, EC_REBUILDABLE };

struct ec_leftover {
	char path[PATH_MAX];
	long pid;
};

/* A shard failing its .ecsum CRCs: bad blocks, the first bad byte. */
struct ec_rotten {
	int shard;
	long bad;
	uint64_t from;
};

/* A shard put in place: regenerated (was: damaged or missing) or
 * corrected by verify --repair; copy is where the old bytes went ("" when
 * there were none). */
struct ec_replaced {
	int shard;
	bool was_damaged;
	char copy[PATH_MAX + 16];
};

/* Shard bytes [start, end) that parity says are wrong. */
struct ec_range {
	uint64_t start, end;
	int shard;            /* -1: parity disagrees but cannot say where */
	bool confirmed;       /* enough checks left to confirm the shard */
	bool repaired;
};

/* How verify leaves the sidecar. */
enum ec_sidecar_note { EC_SIDE_QUIET, EC_SIDE_WRITTEN, EC_SIDE_MATCHES, EC_SIDE_ABSENT };

struct ec_result {
	enum ec_cmd cmd;
	const char *base;
	const struct ec_vol *v;   /* NULL: encode, or no volume to describe */
	int rc;                   /* the command's: 0 ok, 1 failed */
	bool busy;                /* another writer holds the volume */
	/* temporaries of killed runs removed (swept: the lock was ours) */
	bool swept;
	struct ec_leftover *leftovers;
	size_t nleftovers;
	/* the .ecsum screen (screened: it ran over the shards) */
	bool screened;
	struct ec_rotten rotten[GF_MAX_SHARDS];
	int nrotten;
	/* shards regenerated (regenerated: the step ran, as verify --repair
	 * lists it only then); unverified_noted: from exactly k, no sidecar */
	bool regenerated;
	struct ec_replaced rebuilt[GF_MAX_SHARDS];
	int nrebuilt;
	bool unverified_noted;
	struct {
		const char *ecsum;        /* the sidecar's state before anything */
		bool all_present;
		bool ecx_rebuilt;         /* a lost .ecx made from the needles */
		size_t ecx_entries;
		char ecx_path[PATH_MAX];
	} rebuild;
	struct {
		bool repair;              /* --repair was asked for */
		int screen_failed;        /* shards the sidecar named */
		char screen_damaged[200];
		bool checked;             /* parity was computed over every stripe */
		int checks, nread;
		uint64_t bad_bytes;
		struct ec_range *ranges;
		size_t nranges;
		bool vouched;             /* the sidecar vouches for every shard read */
		struct ec_replaced repaired[GF_MAX_SHARDS];
		int nrepaired;
		const char *ecsum;        /* JSON "ecsum" at the end; NULL: none */
		enum ec_sidecar_note note;
		bool note_replaced;       /* written in place of an unusable one */
		char sidecar_path[PATH_MAX];
	} verify;
	struct {
		enum ec_plan plan;
		long long sidecar[4];     /* .ecx .ecj .vif .ecsum sizes, -1 absent */
		bool sha256;
		char digest[GF_MAX_SHARDS][65]; /* "" when missing or unreadable */
		bool has_unverified;
		char unverified[200];
	} info;
	struct {
		bool done;
		uint64_t dat_size, shard_size, n_large, n_small;
		int k, m;
		size_t ecx_entries;
	} encode;
	struct {
		bool walked;              /* the decoded bytes were searched for needles */
		bool bodies_vouched;      /* needles found by header, their bytes vouched
					   * for by the .ecsum, not read again */
		size_t records_found, unlisted;
		bool done;
		uint64_t dat_size;
		size_t ecx_entries, ecj_deletions, crc_errors;
	} decode;
};

/* A result for one volume (base is kept, not copied); NULL when out of
 * memory. */
struct ec_result *ec_result_new(enum ec_cmd cmd, const char *base);
void ec_result_free(struct ec_result *r);
/* The one place output is made: r as text on stdout, or, with jw, as one
 * JSON object. */
struct jw;
void ec_render(const struct ec_result *r, struct jw *jw);

/* Find the shards, sidecars and ratio of the volume at base. Prints why
 * and returns -1 when the volume cannot even be described. */
int ec_vol_load(struct ec_vol *v, const char *base, const struct ec_opts *o);
void ec_vol_free(struct ec_vol *v);
/* "none", "ok" or "invalid". */
const char *ec_sum_state_name(const struct ec_vol *v);
/* With a good .ecsum, check every healthy shard against it: a shard
 * whose blocks fail becomes SHARD_DAMAGED (said on stderr, and listed in
 * r). How many failed; -1 on a read error (reported). */
int ec_vol_screen(struct ec_vol *v, const struct ec_opts *o, struct ec_result *r);
/* The same for the healthy shards among which (bits by number), from
 * CRCs already computed over them by a pass that read them anyway: bad
 * blocks and the first bad one, by shard number. They are screened
 * then (no longer in v->unscreened). */
int ec_vol_screened(struct ec_vol *v, struct ec_result *r, uint32_t which, const long *bad,
		    const uint64_t *first);
/* Screen the shards the first screen left (v->unscreened), now. The same
 * result. */
int ec_vol_screen_rest(struct ec_vol *v, const struct ec_opts *o, struct ec_result *r);
/* More shards failing the sidecar than parity shards: a stale sidecar
 * (from another encode), said; -1. Else 0. */
int ec_vol_stale(const struct ec_vol *v);
/* Before any shard is trusted as a source: a sidecar that cannot be
 * read refuses (it was written to protect exactly this), a good one
 * screens the shards (ec_vol_screen), and more failures than parity shards
 * mean a stale sidecar: refused. 0 to go on; -1 reported. */
int ec_vol_trust(struct ec_vol *v, const struct ec_opts *o, struct ec_result *r);
/* Move a damaged file aside to "<path>.damaged" (".damaged.N" when that
 * is taken), never replacing anything; the name into dest. 0 or -1. */
int ec_vol_keep_damaged(const char *path, char *dest, size_t len);
/* "ec00 ec03": the shards in any of the states (ST() bits), into buf. */
char *ec_vol_list(const struct ec_vol *v, unsigned states, char *buf, size_t len);
#define ST(s) (1u << (s))
#define ST_UNHEALTHY (ST(SHARD_MISSING) | ST(SHARD_DAMAGED))
/* The first k healthy shards (data shards first, as the decoder prefers). */
void ec_vol_basis(const struct ec_vol *v, int *basis);
/* Read len bytes of shard s (open as fd) at off. 0; -1 after a read
 * error, -2 when the shard ends early (it was measured: someone is
 * changing it). Both are reported. */
int ec_vol_read(const struct ec_vol *v, int s, int fd, uint8_t *buf, size_t len, uint64_t off);
/* Shard s, healthy and of the right length when the volume was loaded,
 * ends at byte ends now: said, the same way whichever pass found it. A
 * shard short from the start is damaged and regenerated; one cut short
 * while a run reads it says that something else is changing the volume,
 * whose other shards may then be changing too, so every command stops
 * there and writes nothing (run again once nothing else works on it). */
void ec_vol_say_cut(const struct ec_vol *v, int s, uint64_t ends);
/* A sidecar path: base + ext. Prints and returns -1 when too long. */
int ec_vol_path(const struct ec_vol *v, const char *ext, char *buf, size_t len);
/* Open every shard of basis[0..n) for reading: fds[i]. -1 (reported). */
int ec_vol_open_shards(const struct ec_vol *v, const int *idx, int n, int *fds);
void ec_close_all(int *fds, int n);
/* A new file with these bytes, written aside and never replacing one.
 * -1 (reported). */
int ec_write_new(const char *path, const void *buf, size_t len);

/* One writer per volume: flock on BASE.lock (created once, never
 * removed: removing a lock file races with the next locker). Exclusive
 * and refused (reported) when held, for a writer; a reader takes it
 * exclusive when free (then *excl: it may remove leftovers), else goes on
 * unlocked (said). The fd to close, -1 (reported) when a writer cannot
 * have it, -2 for a reader without it. */
int ec_vol_lock(const char *base, bool write, bool *excl);
/* With the lock held: remove the temporaries of base that a killed run
 * left (".ec03.tmp-PID-N" and the like, PID gone), each listed in r. How
 * many. */
int ec_vol_leftovers(const char *base, struct ec_result *r);

/* The layout for decoding: from .vif datFileSize, else from the shard
 * size. -1 (reported) when neither settles it. */
int ec_vol_layout(const struct ec_vol *v, const struct ec_opts *o, struct ec_layout *l);

/* Commands: what they find and do goes into r; 0 success, 1 failure
 * (errors reported on stderr). */
int ec_info(struct ec_vol *v, const struct ec_opts *o, struct ec_result *r);
int ec_rebuild(struct ec_vol *v, const struct ec_opts *o, struct ec_result *r);
int ec_verify(struct ec_vol *v, const struct ec_opts *o, struct ec_result *r);
int ec_encode(const char *base, const struct ec_opts *o, struct ec_result *r);
int ec_decode(struct ec_vol *v, const struct ec_opts *o, struct ec_result *r);

/* Regenerate every shard that is not healthy from k healthy ones,
 * keeping damaged ones as .damaged; what was put in place goes into r.
 * dry: all the checks, nothing written (what info does). 0, or -1
 * (reported). */
int ec_regenerate(struct ec_vol *v, const struct ec_opts *o, bool dry, struct ec_result *r);

/* .ecx from the needles found in the data shards (weed fix -ecx); dry:
 * only whether it would be written. */
int ec_rebuild_ecx(struct ec_vol *v, const struct ec_opts *o, bool dry, struct ec_result *r);

/* What rebuild would do, decided once for rebuild and info: screen with
 * the sidecar (ec_vol_trust), check the names to write, count the healthy
 * shards, and try a lost .ecx. Refusals are reported. */
enum ec_plan ec_plan(struct ec_vol *v, const struct ec_opts *o, struct ec_result *r);
/* Shards rebuilt from exactly k with no sidecar to check them, as noted
 * in BASE.unverified ("ec01 ec12"), into buf; false when none. */
bool ec_unverified(const struct ec_vol *v, char *buf, size_t len);

#endif
