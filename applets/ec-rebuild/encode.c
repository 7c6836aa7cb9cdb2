/* encode.c - .dat + .idx -> shards, .ecx and .vif, laid out as
 * SeaweedFS's encoder does (spec §7.2): .ecx first, then the shards, then
 * the .vif. */
#include "bb.h"
#include "crc.h"
#include "ec.h"
#include "endian.h"
#include "io.h"
#include "matrix.h"
#include "stream.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct encoder {
	const char *base;
	int k, m;
	int dat_fd;
	uint64_t dat_size;
	struct ec_layout layout;
	struct aside shard[GF_MAX_SHARDS];
	struct swfs_vif vif;      /* the volume's own .vif, if any, updated */
	struct swfs_superblock sb;
	struct stat dat_stat;     /* at the start, to notice a writer */
	uint8_t *ecsum;           /* the bitrot sidecar of the new shards, */
	size_t ec_sum_len;         /* once they are written */
	int offset_bytes;
	/* each shard's sidecar CRCs, taken from the chunks as they pass, not
	 * read back (sum: false with --ignore-ecsum) */
	bool sum;
	struct ec_sum_acc acc;
};

/* Data shard i's bytes [off, off+len): pieces of .dat, zeros past its end. */
static int gather(void *ctx, int i, uint8_t *buf, uint64_t off, size_t len)
{
	struct encoder *e = ctx;
	for (size_t done = 0; done < len;) {
		uint64_t run, x = ec_layout_dat_offset(&e->layout, i, off + done, &run);
		size_t n = run < len - done ? (size_t)run : len - done;
		size_t have = x >= e->dat_size ? 0 : e->dat_size - x < n ? (size_t)(e->dat_size - x) : n;
		if (have && pread_full(e->dat_fd, buf + done, have, x) != (ssize_t)have) {
			bb_err("%s.dat: short read at %llu: is the volume being written?", e->base,
			       (unsigned long long)x);
			return -1;
		}
		memset(buf + done + have, 0, n - have);
		done += n;
	}
	return 0;
}

static int put_shards(void *ctx, uint8_t *const *in, uint8_t *const *out, uint64_t off,
		      size_t len)
{
	struct encoder *e = ctx;
	for (int i = 0; i < e->k + e->m; i++) {
		const uint8_t *b = i < e->k ? in[i] : out[i - e->k];
		if (e->sum)
			ec_sum_acc_feed(&e->acc, i, b, off, len);
		if (pwrite_full(e->shard[i].fd, b, len, off)) {
			bb_perr("%s: write", e->shard[i].tmp);
			return -1;
		}
	}
	return 0;
}

/* Encoding never replaces shards or an .ecx: refuse before any work. */
static int check_free(const struct encoder *e)
{
	char path[PATH_MAX], ext[8];
	for (int i = -2; i < GF_MAX_SHARDS; i++) {
		if (i < 0)
			snprintf(ext, sizeof(ext), i == -1 ? ".ecx" : ".ecsum");
		else
			snprintf(ext, sizeof(ext), ".ec%02d", i);
		if (swfs_path(path, sizeof(path), e->base, ext)) {
			bb_err("%s: path too long", e->base);
			return -1;
		}
		if (path_exists(path)) {
			bb_err("%s exists: encode never replaces EC files; move them away first", path);
			return -1;
		}
	}
	return 0;
}

static int open_dat(struct encoder *e)
{
	char path[PATH_MAX];
	uint8_t sb[SWFS_SUPERBLOCK_SIZE];
	const char *why;
	struct stat st;
	swfs_path(path, sizeof(path), e->base, ".dat");
	e->dat_fd = open_regular(path, O_RDONLY, &st, &why);
	if (e->dat_fd < 0) {
		bb_err("%s: %s", path, why);
		return -1;
	}
	e->dat_size = (uint64_t)st.st_size;
	e->dat_stat = st;
	if (pread_full(e->dat_fd, sb, sizeof(sb), 0) != (ssize_t)sizeof(sb)) {
		bb_err("%s: shorter than a superblock: not a volume", path);
		return -1;
	}
	if (swfs_sb_parse(sb, &e->sb, &why)) {
		bb_err("%s: superblock: %s", path, why);
		return -1;
	}
	return 0;
}

static int load_vif(struct encoder *e)
{
	char path[PATH_MAX], err[128];
	swfs_path(path, sizeof(path), e->base, ".vif");
	if (swfs_vif_load(path, &e->vif, err, sizeof(err)) < 0) {
		bb_err("%s: %s", path, err);
		return -1;
	}
	if (e->vif.remote) {
		bb_err("%s: the volume is tiered to remote storage; encode its local copy", path);
		return -1;
	}
	return 0;
}

/* The .idx, whole, in *len bytes, and its offset width: what its rows
 * point at in .dat says it best; its length alone can fit both (32 rows
 * of 17 bytes are 34 of 16). */
static uint8_t *read_idx(struct encoder *e, const char *path, size_t *len)
{
	const char *why;
	uint8_t *idx = swfs_read_all(path, SIZE_MAX / 2, len, &why);
	if (!idx) {
		bb_err("%s: %s", path, why);
		return NULL;
	}
	e->offset_bytes = swfs_idx_guess_width(idx, *len, *len, e->dat_fd, e->dat_size,
					       (int)e->vif.bytes_offset, &why);
	return idx;
}

/* Every live row must describe a record inside .dat: the .ecx is how
 * SeaweedFS finds needles in the shards, and a row pointing elsewhere
 * means a damaged index, or one of another width. */
static bool rows_fit(const struct encoder *e, const char *idx_path, const uint8_t *ecx,
		     size_t n)
{
	uint64_t start = swfs_sb_data_start(&e->sb);
	for (size_t i = 0; i < n; i++) {
		struct swfs_idx_entry r;
		swfs_idx_decode(ecx + i * swfs_idx_width(e->offset_bytes), e->offset_bytes, &r);
		uint64_t end = r.offset + swfs_record_len(r.size, e->sb.version);
		if (r.offset >= start && end <= e->dat_size)
			continue;
		bb_err("%s: needle %llx at %llu..%llu lies outside .dat's records (%llu..%llu): "
		       "not encoding; `needle-fsck` checks the index",
		       idx_path, (unsigned long long)r.id, (unsigned long long)r.offset,
		       (unsigned long long)end, (unsigned long long)start,
		       (unsigned long long)e->dat_size);
		return false;
	}
	return true;
}

/* .ecx: the .idx replayed to its live entries, sorted by id. */
static int write_ecx(struct encoder *e, size_t *entries)
{
	char path[PATH_MAX];
	size_t len, n = 0;
	swfs_path(path, sizeof(path), e->base, ".idx");
	uint8_t *idx = read_idx(e, path, &len);
	if (!idx)
		return -1;
	size_t w = swfs_idx_width(e->offset_bytes);
	if (len % w)
		bb_warn("%s: %zu bytes is not whole %zu-byte entries; the torn tail is ignored", path,
			len, w);
	uint8_t *ecx = swfs_ecx_from_idx(idx, len, e->offset_bytes, &n);
	free(idx);
	int rc = -1;
	if (!ecx)
		bb_err("%s: out of memory", path);
	else if (rows_fit(e, path, ecx, n)) {
		swfs_path(path, sizeof(path), e->base, ".ecx");
		rc = ec_write_new(path, ecx, n * w);
	}
	free(ecx);
	*entries = n;
	return rc;
}

static int write_vif(struct encoder *e)
{
	char path[PATH_MAX];
	struct aside a;
	static const uint64_t unit_secs[] = { 0, 60, 3600, 86400, 7 * 86400, 30 * 86400,
					      365 * 86400 };
	struct swfs_vif *v = &e->vif;
	v->version = e->sb.version;
	v->dat_file_size = e->dat_size;
	v->has_dat_file_size = true;
	v->has_ec_config = true;
	v->data_shards = (uint32_t)e->k;
	v->parity_shards = (uint32_t)e->m;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	v->encode_ts_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	if (e->sb.ttl_count && e->sb.ttl_unit && e->sb.ttl_unit < 7)
		v->expire_at_sec = (uint64_t)now.tv_sec + e->sb.ttl_count * unit_secs[e->sb.ttl_unit];
	swfs_path(path, sizeof(path), e->base, ".vif");
	if (aside_open(&a, path, 0644)) {
		bb_perr("%s", path);
		return -1;
	}
	FILE *f = fdopen(dup(a.fd), "w");
	if (f)
		swfs_vif_write(f, v);
	if (!f || fclose(f)) {
		bb_perr("%s", path);
		aside_abort(&a);
		return -1;
	}
	/* the volume's own .vif, if any, is replaced by this superset of it */
	if (aside_commit(&a)) {
		bb_perr("%s", path);
		return -1;
	}
	return 0;
}

/* --data-shards/--parity-shards, else .vif ecShardConfig (a volume
 * encoded before and decoded), else 10+4. */
static int pick_ratio(struct encoder *e, const struct ec_opts *o)
{
	bool vif = e->vif.has_ec_config;
	e->k = o->k ? o->k : vif ? (int)e->vif.data_shards : EC_DEFAULT_DATA;
	e->m = o->m ? o->m : vif ? (int)e->vif.parity_shards : EC_DEFAULT_PARITY;
	if (e->k < 1 || e->m < 1 || e->k + e->m > GF_MAX_SHARDS) {
		bb_err("%s: ratio %d+%d: need at least 1+1 and at most %d shards", e->base, e->k,
		       e->m, GF_MAX_SHARDS);
		return -1;
	}
	return 0;
}

/* The sidecar SeaweedFS writes with its shards: each new shard's block
 * CRCs, computed as they were written. */
static int sum_shards(struct encoder *e)
{
	uint8_t *crcs[GF_MAX_SHARDS];
	for (int i = 0; i < e->k + e->m; i++)
		crcs[i] = ec_sum_acc_crcs(&e->acc, i);
	e->ecsum = ec_sum_file_of(e->k, e->m, e->layout.shard_size, crcs, &e->ec_sum_len);
	if (e->ecsum)
		return 0;
	bb_perr("checksum sidecar");
	return -1;
}

/* Written once the shards are in place. Like SeaweedFS, a sidecar that
 * cannot be written only costs the protection: the shards are good. */
static void write_ecsum(struct encoder *e)
{
	char path[PATH_MAX];
	if (!e->ecsum)
		return;
	swfs_path(path, sizeof(path), e->base, ".ecsum");
	if (ec_write_new(path, e->ecsum, e->ec_sum_len))
		bb_warn("%s: not written; the shards have no bitrot sidecar", path);
}

static int encode_shards(struct encoder *e, const struct ec_opts *o)
{
	uint8_t enc[GF_MAX_SHARDS * GF_MAX_SHARDS];
	struct ec_gf_plan plan;
	int n = e->k + e->m, rc = -1, opened = 0;
	if (ec_rs_matrix(e->k, e->m, enc) ||
	    ec_gf_plan_init(&plan, enc + e->k * e->k, e->m, e->k, o->kernel)) {
		bb_perr("%s: cannot set up the encoder", e->base);
		return -1;
	}
	for (; opened < n; opened++) {
		char path[PATH_MAX], ext[8];
		snprintf(ext, sizeof(ext), ".ec%02d", opened);
		swfs_path(path, sizeof(path), e->base, ext);
		if (aside_open(&e->shard[opened], path, 0644)) {
			bb_perr("%s", path);
			break;
		}
	}
	e->sum = !o->ignore_ecsum;
	bool ready = opened == n;
	if (ready && e->sum && ec_sum_acc_init(&e->acc, e->layout.shard_size,
					       ECSUM_DEFAULT_BLOCK, n, NULL, NULL)) {
		bb_err("%s: out of memory", e->base);
		ready = false;
	}
	if (ready) {
		struct ec_stream s = {
			.nread = e->k, .plan = &plan, .length = e->layout.shard_size,
			.threads = o->threads, .memory = o->memory, .what = "encoding",
			.fill = gather, .drain = put_shards, .ctx = e,
		};
		rc = ec_stream_run(&s);
	}
	struct stat now;
	if (!rc && (fstat(e->dat_fd, &now) || now.st_size != e->dat_stat.st_size ||
		    now.st_mtim.tv_sec != e->dat_stat.st_mtim.tv_sec ||
		    now.st_mtim.tv_nsec != e->dat_stat.st_mtim.tv_nsec)) {
		bb_err("%s.dat changed while it was encoded: stop the volume server first", e->base);
		rc = -1;
	}
	if (!rc && !o->ignore_ecsum && e->layout.shard_size)
		rc = sum_shards(e);
	for (int i = 0; i < opened; i++) {
		if (rc) {
			aside_abort(&e->shard[i]);
		} else if (aside_commit_new(&e->shard[i])) {
			bb_perr("%s", e->shard[i].final);
			rc = -1;
		}
	}
	ec_gf_plan_free(&plan);
	ec_sum_acc_free(&e->acc);
	return rc;
}

static void report(const struct encoder *e, size_t entries, struct ec_result *r)
{
	r->encode.done = true;
	r->encode.dat_size = e->dat_size;
	r->encode.k = e->k;
	r->encode.m = e->m;
	r->encode.shard_size = e->layout.shard_size;
	r->encode.n_large = e->layout.n_large;
	r->encode.n_small = e->layout.n_small;
	r->encode.ecx_entries = entries;
}

int ec_encode(const char *base, const struct ec_opts *o, struct ec_result *r)
{
	struct encoder *e = calloc(1, sizeof(*e));
	size_t entries = 0;
	int rc = 1;
	if (!e) {
		bb_err("out of memory");
		goto out;
	}
	e->base = base;
	e->dat_fd = -1;
	if (check_free(e) || open_dat(e) || load_vif(e) || pick_ratio(e, o))
		goto out;
	if (ec_layout_for_dat(&e->layout, e->k, o->large, o->small, e->dat_size)) {
		bb_err("%s: sizes overflow", base);
		goto out;
	}
	if (write_ecx(e, &entries))
		goto out;
	if (encode_shards(e, o)) {
		/* the .ecx is ours from a moment ago and describes nothing now */
		char ecx[PATH_MAX];
		swfs_path(ecx, sizeof(ecx), base, ".ecx");
		unlink(ecx);
		goto out;
	}
	write_ecsum(e);
	if (write_vif(e))
		goto out;
	report(e, entries, r);
	rc = 0;
out:
	if (e && e->dat_fd >= 0)
		close(e->dat_fd);
	if (e)
		free(e->ecsum);
	free(e);
	return rc;
}
