/* ec-rebuild engine: field, matrices, kernels, layout, and every loss
 * pattern of up to four shards against klauspost/reedsolomon's shards. */
#include "test.h"

#include "../../applets/ec-rebuild/ec.h"
#include "../../applets/ec-rebuild/gf.h"
#include "../../applets/ec-rebuild/matrix.h"
#include "../../applets/ec-rebuild/stripe.h"
#include "crc.h"
#include "endian.h"
#include "exec.h"
#include "io.h"
#include "ec_util.h"
#include "swfs_gen.h"

#include <fcntl.h>
#include <unistd.h>

static uint8_t rnd8(void)
{
	return (uint8_t)ec_test_rnd(256);
}

TEST(ec_gf_field)
{
	/* 0x80 * 2 overflows and reduces by 0x11D: 0x100 ^ 0x11D = 0x1D */
	CHECK_EQ(ec_gf_mul(0x80, 2), 0x1d);
	CHECK_EQ(ec_gf_mul(0, 0x53), 0);
	/* 2 generates the multiplicative group: 2^255 = 1, nothing sooner */
	for (unsigned n = 1; n < 255; n++)
		CHECK(ec_gf_pow(2, n) != 1);
	CHECK_EQ(ec_gf_pow(2, 255), 1);
	for (unsigned a = 1; a < 256; a++)
		CHECK_EQ(ec_gf_mul((uint8_t)a, ec_gf_inv((uint8_t)a)), 1);
}

TEST(ec_matrix_10_4_rows)
{
	/* The parity rows published in the spec (taken from klauspost by
	 * encoding unit vectors). */
	static const uint8_t want[4][10] = {
		{ 0x81, 0x96, 0xaf, 0xb8, 0xd2, 0xc4, 0xfe, 0xe8, 0x03, 0x02 },
		{ 0x96, 0x81, 0xb8, 0xaf, 0xc4, 0xd2, 0xe8, 0xfe, 0x02, 0x03 },
		{ 0xbf, 0xd6, 0x62, 0x0a, 0x06, 0x6f, 0xdf, 0xb7, 0x05, 0x04 },
		{ 0xd6, 0xbf, 0x0a, 0x62, 0x6f, 0x06, 0xb7, 0xdf, 0x04, 0x05 },
	};
	uint8_t enc[14 * 10];
	CHECK(ec_rs_matrix(10, 4, enc) == 0);
	for (int r = 0; r < 10; r++)
		for (int c = 0; c < 10; c++)
			CHECK_EQ(enc[r * 10 + c], r == c);
	CHECK(memcmp(enc + 100, want, sizeof(want)) == 0);
}

TEST(ec_matrix_invert)
{
	uint8_t a[16 * 16], b[16 * 16];
	for (int trial = 0; trial < 50; trial++) {
		int n = 1 + trial % 16;
		for (int i = 0; i < n * n; i++)
			a[i] = rnd8();
		memcpy(b, a, sizeof(a));
		if (ec_gf_invert(b, n))
			continue; /* singular: fine */
		for (int r = 0; r < n; r++)
			for (int c = 0; c < n; c++) {
				uint8_t acc = 0;
				for (int x = 0; x < n; x++)
					acc ^= ec_gf_mul(a[r * n + x], b[x * n + c]);
				CHECK_EQ(acc, r == c);
			}
	}
	uint8_t sing[4] = { 1, 2, 1, 2 };
	CHECK(ec_gf_invert(sing, 2) == -1);
}

/* Every kernel this CPU runs gives the scalar kernel's bytes, for odd
 * lengths and misaligned buffers too. */
TEST(ec_kernels_match_scalar)
{
	enum { MAXLEN = 3000 };
	static const size_t lens[] = { 0, 1, 15, 16, 31, 33, 63, 64, 65, 127, 200, 1000, 2999 };
	uint8_t *mem = malloc(40 * (MAXLEN + 64));
	uint8_t coef[GF_MAX_SHARDS * GF_MAX_SHARDS];
	CHECK(mem);
	for (size_t i = 0; i < 40 * (MAXLEN + 64); i++)
		mem[i] = rnd8();
	int tested = 0;
	for (int kern = GF_SSSE3; kern < GF_KERNELS; kern++) {
		if (!ec_gf_kernel_usable((enum ec_gf_kernel)kern))
			continue;
		tested++;
		for (int trial = 0; trial < 40; trial++) {
			int nin = 1 + trial % 17, nout = 1 + (trial * 7) % 12;
			size_t len = lens[trial % (sizeof(lens) / sizeof(lens[0]))];
			const uint8_t *in[GF_MAX_SHARDS];
			uint8_t *out[GF_MAX_SHARDS], *ref[GF_MAX_SHARDS];
			for (int j = 0; j < nin; j++)
				in[j] = mem + (size_t)j * (MAXLEN + 64) + (size_t)(trial % 5);
			for (int r = 0; r < nout; r++) {
				out[r] = mem + (size_t)(18 + r) * (MAXLEN + 64) + 3;
				ref[r] = malloc(MAXLEN + 1);
			}
			for (int i = 0; i < nin * nout; i++)
				coef[i] = trial % 3 ? rnd8() : (uint8_t)(i % 4); /* 0 and 1 too */
			struct ec_gf_plan ps, pk;
			CHECK(ec_gf_plan_init(&ps, coef, nout, nin, GF_SCALAR) == 0);
			CHECK(ec_gf_plan_init(&pk, coef, nout, nin, (enum ec_gf_kernel)kern) == 0);
			ec_gf_plan_run(&ps, in, ref, len);
			ec_gf_plan_run(&pk, in, out, len);
			for (int r = 0; r < nout; r++) {
				if (memcmp(out[r], ref[r], len))
					test_fail(__FILE__, __LINE__, "%s differs from scalar: %dx%d len %zu",
						  ec_gf_kernel_name((enum ec_gf_kernel)kern), nout, nin, len);
				free(ref[r]);
			}
			ec_gf_plan_free(&ps);
			ec_gf_plan_free(&pk);
		}
	}
	free(mem);
	if (!tested)
		test_skip("no SIMD kernel on this CPU");
}

/* Runs past GF_STREAM_MIN with aligned outputs take the non-temporal
 * store path; the bytes must not change. */
TEST(ec_kernels_streaming_stores)
{
	enum { NIN = 3, NOUT = 2 };
	size_t len = GF_STREAM_MIN + 64 * 3 + 17;
	uint8_t *in[NIN], *out[NOUT], *ref[NOUT], coef[NIN * NOUT];
	for (int j = 0; j < NIN; j++) {
		in[j] = malloc(len);
		for (size_t i = 0; i < len; i += 4096)
			memset(in[j] + i, rnd8(), len - i < 4096 ? len - i : 4096);
	}
	for (int r = 0; r < NOUT; r++) {
		out[r] = aligned_alloc(64, (len + 63) / 64 * 64);
		ref[r] = malloc(len);
	}
	for (int i = 0; i < NIN * NOUT; i++)
		coef[i] = rnd8() | 1;
	struct ec_gf_plan ps;
	CHECK(ec_gf_plan_init(&ps, coef, NOUT, NIN, GF_SCALAR) == 0);
	ec_gf_plan_run(&ps, (const uint8_t *const *)in, ref, len);
	ec_gf_plan_free(&ps);
	for (int kern = GF_SSSE3; kern < GF_KERNELS; kern++) {
		struct ec_gf_plan pk;
		if (!ec_gf_kernel_usable((enum ec_gf_kernel)kern))
			continue;
		CHECK(ec_gf_plan_init(&pk, coef, NOUT, NIN, (enum ec_gf_kernel)kern) == 0);
		for (int r = 0; r < NOUT; r++)
			memset(out[r], 0xa5, len);
		ec_gf_plan_run(&pk, (const uint8_t *const *)in, out, len);
		for (int r = 0; r < NOUT; r++)
			if (memcmp(out[r], ref[r], len))
				test_fail(__FILE__, __LINE__, "%s streaming differs",
					  ec_gf_kernel_name((enum ec_gf_kernel)kern));
		ec_gf_plan_free(&pk);
	}
	for (int j = 0; j < NIN; j++)
		free(in[j]);
	for (int r = 0; r < NOUT; r++) {
		free(out[r]);
		free(ref[r]);
	}
}

TEST(ec_layout_examples)
{
	/* the worked examples of spec §7.2 */
	struct ec_layout l;
	CHECK(ec_layout_for_dat(&l, 10, 1ull << 30, 1 << 20, 2590912) == 0);
	CHECK_EQ(l.n_large, 0);
	CHECK_EQ(l.n_small, 1);
	CHECK_EQ(l.shard_size, 1048576);
	CHECK(ec_layout_for_dat(&l, 10, 1ull << 30, 1 << 20, 31457280000ull) == 0);
	CHECK_EQ(l.n_large, 2);
	CHECK_EQ(l.n_small, 952);
	CHECK_EQ(l.shard_size, 3145728000ull);
	CHECK(ec_layout_for_dat(&l, 10, 1ull << 30, 1 << 20, 10ull << 30) == 0);
	CHECK_EQ(l.n_large, 1);
	CHECK_EQ(l.n_small, 0);
	/* the fixture with SeaweedFS's test block sizes (README: 25 + 91 rows) */
	CHECK(ec_layout_for_dat(&l, 10, 10000, 100, 2590912) == 0);
	CHECK_EQ(l.n_large, 25);
	CHECK_EQ(l.n_small, 91);
	CHECK_EQ(l.shard_size, 259100);

	const char *why = NULL;
	CHECK(ec_layout_for_shard(&l, 10, 10000, 100, 259100, &why) == 0);
	CHECK_EQ(l.n_large, 25);
	/* exactly one large block: one large row, or 100 small rows */
	CHECK(ec_layout_for_shard(&l, 10, 10000, 100, 10000, &why) == -1);
	CHECK(strstr(why, "two layouts"));
	CHECK(ec_layout_for_shard(&l, 10, 10000, 100, 10050, &why) == -1);
}

TEST(ec_layout_roundtrip)
{
	struct ec_layout l;
	CHECK(ec_layout_for_dat(&l, 7, 1000, 30, 123457) == 0);
	uint64_t area = 7 * l.shard_size;
	for (uint64_t x = 0; x < area; x += 1 + x % 97) {
		int shard;
		uint64_t off, run;
		ec_layout_locate(&l, x, &shard, &off);
		CHECK(off < l.shard_size);
		CHECK_EQ(ec_layout_dat_offset(&l, shard, off, &run), x);
		CHECK(run >= 1 && run <= 1000);
	}
	/* the span covers every byte of the prefix */
	for (uint64_t len = 1; len < area; len += 1237) {
		int shard;
		uint64_t off;
		ec_layout_locate(&l, len - 1, &shard, &off);
		CHECK(off < ec_layout_span(&l, len));
		CHECK(ec_layout_span(&l, len) <= l.shard_size);
	}
}

/* Shards made by klauspost (build/ecref), loaded into memory. */
static uint8_t *ref_shards(int k, int m, size_t dat_len, size_t *shard_len, const char **skip)
{
	char dat[512], base[512], path[600];
	const char *ecref = "build/ecref";
	if (access(ecref, X_OK)) {
		*skip = "build/ecref (klauspost reference) not built";
		return NULL;
	}
	snprintf(dat, sizeof(dat), "%s/in.dat", test_tmpdir());
	snprintf(base, sizeof(base), "%s/ref", test_tmpdir());
	uint8_t *data = malloc(dat_len);
	for (size_t i = 0; i < dat_len; i++)
		data[i] = rnd8();
	CHECK(write_file_atomic(dat, data, dat_len, 0644) == 0);
	free(data);
	char ks[8], ms[8];
	snprintf(ks, sizeof(ks), "%d", k);
	snprintf(ms, sizeof(ms), "%d", m);
	/* one small row of 4 KiB blocks is the whole file */
	const char *argv[] = { ecref, "encode", ks, ms, "1073741824", "4096", dat, base, NULL };
	struct run_result r;
	CHECK(run_argv(argv, 0, NULL, &r, NULL) == 0);
	run_free(&r);
	*shard_len = 4096 * ((dat_len + 4096 * (size_t)k - 1) / (4096 * (size_t)k));
	uint8_t *all = malloc((size_t)(k + m) * *shard_len);
	for (int i = 0; i < k + m; i++) {
		size_t len = 0;
		snprintf(path, sizeof(path), "%s.ec%02d", base, i);
		char *b = read_file(path, 1 << 24, &len);
		CHECK(b && len == *shard_len);
		memcpy(all + (size_t)i * *shard_len, b, len);
		free(b);
	}
	return all;
}

/* Lose `lost`, rebuild it from the first k survivors, compare. */
static void check_pattern(const uint8_t *enc, int k, int m, const uint8_t *shards, size_t len,
			  unsigned lost, enum ec_gf_kernel kern)
{
	int basis[GF_MAX_SHARDS], want[GF_MAX_SHARDS], nb = 0, nw = 0;
	uint8_t rows[GF_MAX_SHARDS * GF_MAX_SHARDS];
	const uint8_t *in[GF_MAX_SHARDS];
	uint8_t *out[GF_MAX_SHARDS];
	for (int i = 0; i < k + m; i++) {
		if (lost & (1u << i))
			want[nw++] = i;
		else if (nb < k)
			basis[nb++] = i;
	}
	CHECK(ec_rs_solve_rows(enc, k, basis, want, nw, rows) == 0);
	struct ec_gf_plan p;
	CHECK(ec_gf_plan_init(&p, rows, nw, k, kern) == 0);
	for (int i = 0; i < k; i++)
		in[i] = shards + (size_t)basis[i] * len;
	for (int i = 0; i < nw; i++)
		out[i] = malloc(len);
	ec_gf_plan_run(&p, in, out, len);
	for (int i = 0; i < nw; i++) {
		if (memcmp(out[i], shards + (size_t)want[i] * len, len))
			test_fail(__FILE__, __LINE__, "%d+%d lost mask %x: shard %d differs (%s)", k, m,
				  lost, want[i], ec_gf_kernel_name(kern));
		free(out[i]);
	}
	ec_gf_plan_free(&p);
}

static void all_patterns(int k, int m, size_t dat_len, int max_lost)
{
	const char *skip = NULL;
	size_t len;
	uint8_t enc[GF_MAX_SHARDS * GF_MAX_SHARDS];
	uint8_t *shards = ref_shards(k, m, dat_len, &len, &skip);
	if (!shards)
		test_skip(skip);
	CHECK(ec_rs_matrix(k, m, enc) == 0);
	/* parity from the data shards must be klauspost's parity */
	check_pattern(enc, k, m, shards, len, ((1u << m) - 1) << k, GF_SCALAR);
	int patterns = 0;
	for (unsigned lost = 1; lost < 1u << (k + m); lost++) {
		int n = __builtin_popcount(lost);
		if (n > max_lost)
			continue;
		check_pattern(enc, k, m, shards, len, lost, GF_AUTO);
		if (patterns++ % 50 == 0)
			check_pattern(enc, k, m, shards, len, lost, GF_SCALAR);
	}
	free(shards);
}

/* 14 + 91 + 364 + 1001 = 1470 patterns */
TEST(ec_every_loss_of_4_in_10_4) { all_patterns(10, 4, 10 * 4096 - 333, 4); }
TEST(ec_every_loss_in_6_3) { all_patterns(6, 3, 5 * 4096 + 7, 3); }
TEST(ec_every_loss_in_4_2) { all_patterns(4, 2, 4 * 4096, 2); }
TEST(ec_losses_in_17_3) { all_patterns(17, 3, 17 * 4096 - 1, 3); }

/* ---- encode's input checks (generated volumes) ---------------------------------- */

static const struct ec_opts small_blocks = {
	.large = 10000, .small = 100, .threads = 1, .memory = 1 << 20, .kernel = GF_AUTO,
};

/* What SeaweedFS's encoder makes of an index: its live rows by id. */
static void check_ecx(const char *idx_path, const char *ecx_path, int width)
{
	size_t idx_len, ecx_len, n;
	uint8_t *idx = (uint8_t *)read_file(idx_path, 1 << 24, &idx_len);
	uint8_t *ecx = (uint8_t *)read_file(ecx_path, 1 << 24, &ecx_len);
	struct swfs_idx_entry *live;
	CHECK(idx && ecx);
	CHECK_EQ(swfs_index_live(idx, idx_len, width, &live, &n), 0);
	CHECK(n > 0);
	CHECK_EQ(ecx_len, n * swfs_idx_width(width));
	for (size_t i = 0; i < n; i++) {
		struct swfs_idx_entry e;
		swfs_idx_decode(ecx + i * swfs_idx_width(width), width, &e);
		CHECK(e.id == live[i].id && e.offset == live[i].offset && e.size == live[i].size);
	}
	free(live);
	free(idx);
	free(ecx);
}

/* 32 rows of 17 bytes are also 34 rows of 16: the records tell which. */
TEST(ec_encode_five_byte_index_of_ambiguous_size)
{
	char base[PATH_MAX], ecx[PATH_MAX + 8];
	struct gen_vol g;
	snprintf(base, sizeof(base), "%s/w5_7", test_tmpdir());
	gen_volume(&g, base, 3, 5, false, false, 23, 32);
	CHECK_EQ(g.idx_rows * 17 % 16, 0);
	CHECK_EQ(ec_test_encode(base, &small_blocks), 0);
	snprintf(ecx, sizeof(ecx), "%s.ecx", base);
	check_ecx(g.idx, ecx, 5);
	gen_free(&g);
}

/* An index that points past the end of .dat is not what the encoder
 * expects (a wrong width, a damaged index): refused, nothing written. */
TEST(ec_encode_refuses_rows_past_the_dat)
{
	char base[PATH_MAX], path[PATH_MAX + 8];
	struct gen_vol g;
	snprintf(base, sizeof(base), "%s/past_7", test_tmpdir());
	gen_volume(&g, base, 3, 4, false, false, 29, 20);
	/* the last row is a put: move it a few bytes past the end */
	size_t len;
	uint8_t *idx = (uint8_t *)read_file(g.idx, 1 << 20, &len);
	struct swfs_idx_entry e;
	CHECK(idx);
	for (size_t at = len - 16;; at -= 16) {
		swfs_idx_decode(idx + at, 4, &e);
		if (!swfs_idx_is_delete(&e)) {
			e.offset = g.dat_size - 8;
			swfs_idx_encode(&e, 4, idx + at);
			break;
		}
		CHECK(at > 0);
	}
	CHECK(write_file_atomic(g.idx, idx, len, 0644) == 0);
	free(idx);
	CHECK_EQ(ec_test_encode(base, &small_blocks), 1);
	snprintf(path, sizeof(path), "%s.ecx", base);
	CHECK(!path_exists(path));
	snprintf(path, sizeof(path), "%s.ec00", base);
	CHECK(!path_exists(path));
	gen_free(&g);
}

/* A 5-byte volume whose .ecx length both widths divide: decode reads it
 * in the width its ids ascend in, and gives the volume back. */
TEST(ec_decode_five_byte_ecx_of_ambiguous_size)
{
	char base[PATH_MAX], path[PATH_MAX + 8], moved[PATH_MAX + 16];
	struct gen_vol g;
	size_t live = 0;
	snprintf(base, sizeof(base), "%s/d5_7", test_tmpdir());
	for (unsigned seed = 1;; seed++) { /* one with a multiple of 16 live needles */
		CHECK(seed < 500);
		gen_volume(&g, base, 3, 5, false, false, seed, 24);
		size_t len;
		uint8_t *idx = (uint8_t *)read_file(g.idx, 1 << 20, &len);
		free(swfs_ecx_from_idx(idx, len, 5, &live));
		free(idx);
		if (live && live % 16 == 0)
			break;
		gen_free(&g);
	}
	CHECK_EQ(ec_test_encode(base, &small_blocks), 0);
	for (int i = 0; i < 2; i++) { /* the volume moves away; decode brings it back */
		snprintf(path, sizeof(path), "%s%s", base, i ? ".idx" : ".dat");
		snprintf(moved, sizeof(moved), "%s.orig", path);
		CHECK(rename(path, moved) == 0);
	}
	struct ec_vol *v = malloc(sizeof(*v));
	CHECK(v && ec_vol_load(v, base, &small_blocks) == 0);
	CHECK_EQ(ec_test_cmd_on(ec_decode, EC_CMD_DECODE, v, &small_blocks), 0);
	ec_vol_free(v);
	snprintf(path, sizeof(path), "%s.idx", base);
	snprintf(moved, sizeof(moved), "%s.ecx", base);
	size_t a, b;
	char *idx = read_file(path, 1 << 20, &a), *ecx = read_file(moved, 1 << 20, &b);
	CHECK(idx && ecx && a == live * 17 && a == b && !memcmp(idx, ecx, a));
	free(idx);
	free(ecx);
	snprintf(path, sizeof(path), "%s.dat", base);
	snprintf(moved, sizeof(moved), "%s.dat.orig", base);
	char *dat = read_file(path, 1 << 24, &a), *orig = read_file(moved, 1 << 24, &b);
	CHECK(dat && orig && a <= b && !memcmp(dat, orig, a));
	free(dat);
	free(orig);
	gen_free(&g);
}

/* Patch .dat bytes [x, x+n) where the data shards hold them. */
static void patch_shards(const char *base, const struct ec_layout *l, uint64_t x,
			 const void *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX + 8];
		int shard;
		uint64_t off;
		ec_layout_locate(l, x + i, &shard, &off);
		snprintf(path, sizeof(path), "%s.ec%02d", base, shard);
		int fd = open(path, O_RDWR);
		CHECK(fd >= 0 && pwrite_full(fd, (const uint8_t *)b + i, 1, off) == 0);
		close(fd);
	}
}

static int rebuild_volume(const char *base, const struct ec_opts *o)
{
	struct ec_vol *v = malloc(sizeof(*v));
	CHECK(v && ec_vol_load(v, base, o) == 0);
	int rc = ec_test_cmd_on(ec_rebuild, EC_CMD_REBUILD, v, o);
	ec_vol_free(v);
	return rc;
}

/* A lost .ecx is not rebuilt from records that stop making sense part
 * way (it would hide every needle after them): refused, unless --force. */
TEST(ec_rebuild_ecx_refuses_damaged_records)
{
	static const uint8_t garbage[4] = { 0x7f, 0xff, 0xff, 0xf0 }, zeros[16] = { 0 };
	for (int kind = 0; kind < 2; kind++) {
		char base[PATH_MAX], ecx[PATH_MAX + 8];
		struct gen_vol g;
		struct ec_layout l;
		snprintf(base, sizeof(base), "%s/x%d_7", test_tmpdir(), kind);
		gen_volume(&g, base, 3, 4, false, false, 31, 30);
		CHECK_EQ(ec_test_encode(base, &small_blocks), 0);
		CHECK(ec_layout_for_dat(&l, 10, small_blocks.large, small_blocks.small, g.dat_size) == 0);
		const struct gen_rec *r = &g.rec[g.nrec / 2];
		if (kind == 0) /* a Size field of garbage */
			patch_shards(base, &l, r->off + 12, garbage, sizeof(garbage));
		else /* a zeroed header, like the padding after the last record */
			patch_shards(base, &l, r->off, zeros, sizeof(zeros));
		snprintf(ecx, sizeof(ecx), "%s.ecx", base);
		CHECK(unlink(ecx) == 0);
		/* records bad since before the encode: the sidecar (which would
		 * find these bytes changed since) cannot know */
		struct ec_opts opts = small_blocks;
		opts.ignore_ecsum = true;
		CHECK_EQ(rebuild_volume(base, &opts), 1);
		CHECK(!path_exists(ecx));
		struct ec_opts force = opts;
		force.force = true;
		CHECK_EQ(rebuild_volume(base, &force), 0);
		CHECK(path_exists(ecx));
		gen_free(&g);
	}
}

/* ---- the .ecsum sidecar ------------------------------------------------- */

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	for (; h[0] && h[1]; h += 2)
		sscanf(h, "%2hhx", &out[n++]);
	return n;
}

/* The bytes SeaweedFS's own test pins for its sidecar format: algorithm
 * CRC-32C, 16 MiB blocks, a 10+4 config, two 1 MiB shards of one CRC
 * each (0x01020304, 0x05060708), encode UUID 00..0f. */
static const char seaweed_sidecar[] =
	"45435355000100000039cc1b826a080110808080082204080a10042a0a108080401a04040302012a"
	"0c0801108080401a04080706053210000102030405060708090a0b0c0d0e0f";

TEST(ec_ecsum_same_bytes_as_seaweedfs)
{
	uint8_t want[128], c0[4], c1[4];
	size_t wlen = unhex(seaweed_sidecar, want), len;
	put_le32(c0, 0x01020304);
	put_le32(c1, 0x05060708);
	struct ecsum s = { .algorithm = ECSUM_CRC32C, .block_size = 16u << 20, .has_config = true,
			   .data_shards = 10, .parity_shards = 4, .uuid_len = 16 };
	for (int i = 0; i < 16; i++)
		s.uuid[i] = (uint8_t)i;
	s.sh[0] = (struct ec_sum_shard){ true, 1 << 20, c0, 1 };
	s.sh[1] = (struct ec_sum_shard){ true, 1 << 20, c1, 1 };
	uint8_t *got = ec_sum_serialize(&s, &len);
	CHECK(got && len == wlen && !memcmp(got, want, len));
	free(got);

	struct ecsum r;
	const char *why = "";
	uint64_t size;
	CHECK_EQ(ec_sum_parse(want, wlen, &r, &why), 0);
	CHECK(r.algorithm == ECSUM_CRC32C && r.block_size == 16u << 20 && r.generation == 0);
	CHECK(r.has_config && r.data_shards == 10 && r.parity_shards == 4);
	CHECK(r.sh[0].present && r.sh[0].covered == 1 << 20 && r.sh[0].ncrc == 1);
	CHECK_EQ(get_le32(r.sh[1].crc_le), 0x05060708);
	CHECK(!r.sh[2].present && r.uuid_len == 16 && r.uuid[15] == 15);
	/* two entries are no complete 10+4 manifest */
	CHECK_EQ(ec_sum_check(&r, 10, 4, &size, &why), -1);
	CHECK_STR(why, "a shard has no entry");
	/* any bit flipped or any byte missing: refused, never misread */
	for (size_t bit = 0; bit < wlen * 8; bit++) {
		want[bit / 8] ^= (uint8_t)(1 << bit % 8);
		CHECK_EQ(ec_sum_parse(want, wlen, &r, &why), -1);
		want[bit / 8] ^= (uint8_t)(1 << bit % 8);
	}
	for (size_t n = 0; n < wlen; n++)
		CHECK_EQ(ec_sum_parse(want, n, &r, &why), -1);
}

/* A payload with a good header around it, to reach the protobuf checks. */
static size_t wrap(const char *payload_hex, uint8_t *out)
{
	size_t n = unhex(payload_hex, out + ECSUM_HEADER);
	put_be32(out, ECSUM_MAGIC);
	put_be16(out + 4, ECSUM_VERSION);
	put_be32(out + 6, (uint32_t)n);
	put_be32(out + 10, crc32c(0, out + ECSUM_HEADER, n));
	return ECSUM_HEADER + n;
}

TEST(ec_ecsum_malformed_payloads)
{
	static const struct {
		const char *hex, *why; /* why NULL: parses */
	} cases[] = {
		{ "0801", NULL },
		{ "0801" "4807" "5d01020304" "598877665544332211", NULL }, /* unknown fields skipped */
		{ "2a020801" "2a020801", "a shard listed twice" },
		{ "2a020828", "shard id out of range" },
		{ "2a031a0101", "malformed shard entry" },       /* 1 byte of CRCs */
		{ "08ffffffffffffffffff7f", "malformed payload" }, /* a varint past 64 bits */
		{ "0880808080808080808002", "malformed payload" },
		{ "0880808080", "malformed payload" },            /* ends inside a varint */
		{ "2a05", "malformed payload" },                  /* length past the end */
		{ "0b", "malformed payload" },                    /* a group */
		{ "0a0101", "malformed payload" },                /* algorithm, length-delimited */
		{ "2001", "malformed payload" },                  /* config as a varint */
		{ "08ffffffff1f", "malformed payload" },          /* past 32 bits */
		{ "320f000102030405060708090a0b0c0d0e", "encode_uuid is not 16 bytes" },
		{ "0001", "malformed payload" },                  /* field 0 */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[128];
		struct ecsum s;
		const char *why = NULL;
		size_t n = wrap(cases[i].hex, buf);
		int rc = ec_sum_parse(buf, n, &s, &why);
		if (!cases[i].why) {
			CHECK_EQ(rc, 0);
			continue;
		}
		CHECK_EQ(rc, -1);
		CHECK_STR(why, cases[i].why);
	}
}

/* A complete manifest for k+m shards of size bytes, CRCs from a counter. */
static struct ecsum full_manifest(int k, int m, uint64_t size, uint32_t block, uint8_t *crcs)
{
	struct ecsum s = { .algorithm = ECSUM_CRC32C, .block_size = block, .has_config = true,
			   .data_shards = (uint32_t)k, .parity_shards = (uint32_t)m };
	size_t per = (size_t)ec_sum_blocks(size, block);
	for (int i = 0; i < k + m; i++) {
		for (size_t b = 0; b < per; b++)
			put_le32(crcs + 4 * (per * (size_t)i + b), rnd8() * 0x01010101u + (uint32_t)b);
		s.sh[i] = (struct ec_sum_shard){ true, size, crcs + 4 * per * (size_t)i, per };
	}
	return s;
}

TEST(ec_ecsum_check_and_roundtrip)
{
	static uint8_t crcs[32 * 64 * 4];
	const char *why = "";
	uint64_t size;
	for (int trial = 0; trial < 200; trial++) {
		int k = 1 + rnd8() % 20, m = 1 + rnd8() % (GF_MAX_SHARDS - k > 12 ? 12 : GF_MAX_SHARDS - k);
		uint32_t block = 1u << (20 + rnd8() % 7);
		uint64_t covered = 1 + ((uint64_t)rnd8() << 24 | (uint64_t)rnd8() << 16 | rnd8());
		covered %= (uint64_t)block * 60;
		covered += !covered;
		struct ecsum s = full_manifest(k, m, covered, block, crcs), r;
		s.generation = rnd8() % 3;
		size_t len;
		uint8_t *file = ec_sum_serialize(&s, &len);
		CHECK(file);
		CHECK_EQ(ec_sum_parse(file, len, &r, &why), 0);
		CHECK_EQ(ec_sum_check(&r, k, m, &size, &why), 0);
		CHECK(size == covered && r.block_size == block && r.generation == s.generation);
		for (int i = 0; i < k + m; i++)
			CHECK(r.sh[i].ncrc == s.sh[i].ncrc &&
			      !memcmp(r.sh[i].crc_le, s.sh[i].crc_le, 4 * s.sh[i].ncrc));
		free(file);
	}
	struct ecsum s = full_manifest(10, 4, 5u << 20, 1u << 20, crcs);
	CHECK_EQ(ec_sum_check(&s, 10, 4, &size, &why), 0);
	CHECK_EQ(size, 5u << 20);
	CHECK_EQ(ec_sum_check(&s, 12, 2, &size, &why), -1);
	CHECK_STR(why, "made for another data+parity ratio");
	s.block_size = 3u << 20;
	CHECK_EQ(ec_sum_check(&s, 10, 4, &size, &why), -1);
	s.block_size = 1u << 19;
	CHECK_EQ(ec_sum_check(&s, 10, 4, &size, &why), -1);
	CHECK_STR(why, "block size is not a power of two of at least 1 MiB");
	s.block_size = 1u << 20;
	s.sh[3].ncrc--;
	CHECK_EQ(ec_sum_check(&s, 10, 4, &size, &why), -1);
	CHECK_STR(why, "a shard's CRC count does not fit its covered size");
	s.sh[3].ncrc++;
	s.sh[5].covered = (5u << 20) - 1; /* still 5 blocks, but another length */
	CHECK_EQ(ec_sum_check(&s, 10, 4, &size, &why), -1);
	CHECK_STR(why, "shards of different lengths");
	s.sh[5].covered = 5u << 20;
	s.sh[14] = s.sh[0];
	CHECK_EQ(ec_sum_check(&s, 10, 4, &size, &why), -1);
	CHECK_STR(why, "an entry for a shard past k+m");
	s.sh[14].present = false;
	s.algorithm = 2;
	CHECK_EQ(ec_sum_check(&s, 10, 4, &size, &why), -1);
}

/* Encode writes a sidecar that describes its shards; a rebuilt shard that
 * does not match its sidecar CRCs is never put in place. */
TEST(ec_ecsum_rebuilt_shard_must_match)
{
	char base[PATH_MAX], path[PATH_MAX + 8];
	struct gen_vol g;
	snprintf(base, sizeof(base), "%s/s_3", test_tmpdir());
	gen_volume(&g, base, 3, 4, false, false, 7, 40);
	CHECK_EQ(ec_test_encode(base, &small_blocks), 0);

	struct ec_vol *v = calloc(1, sizeof(*v));
	CHECK(v && ec_vol_load(v, base, &small_blocks) == 0);
	CHECK_EQ(v->sum_state, ECSUM_ON);
	struct ec_result *screen = ec_result_new(EC_CMD_VERIFY, base);
	CHECK(screen && ec_vol_screen(v, &small_blocks, screen) == 0 && screen->nrotten == 0);
	ec_result_free(screen);
	/* the sidecar now lies about shard 2, which is then lost */
	uint8_t crc2[4];
	memcpy(crc2, v->sum.sh[2].crc_le, 4);
	put_le32(crc2, get_le32(crc2) ^ 1);
	v->sum.sh[2].crc_le = crc2;
	size_t len;
	uint8_t *file = ec_sum_serialize(&v->sum, &len);
	snprintf(path, sizeof(path), "%s.ecsum", base);
	CHECK(file && write_file_atomic(path, file, len, 0644) == 0);
	free(file);
	ec_vol_free(v);
	snprintf(path, sizeof(path), "%s.ec02", base);
	CHECK(unlink(path) == 0);
	CHECK_EQ(rebuild_volume(base, &small_blocks), 1);
	CHECK(!path_exists(path));
	/* with the sidecar set aside, the same rebuild goes through */
	struct ec_opts ignore = small_blocks;
	ignore.ignore_ecsum = true;
	CHECK_EQ(rebuild_volume(base, &ignore), 0);
	CHECK(path_exists(path));
	gen_free(&g);
}

/* Bytes this process has read (rchar: page cache included); UINT64_MAX
 * when the kernel does not say. */
static uint64_t bytes_read(void)
{
	char line[128];
	unsigned long long n = UINT64_MAX;
	FILE *f = fopen("/proc/self/io", "r");
	while (f && fgets(line, sizeof(line), f) && sscanf(line, "rchar: %llu", &n) != 1)
		;
	if (f)
		fclose(f);
	return n;
}

/* Issue 16: with a sidecar, at any thread count, encode reads the .dat
 * once (no read-back for the sidecar), rebuild reads its sources once
 * (no screen first) and verify each shard once. Threads 0 is the pump's
 * fallback (no thread starts): the same shards, byte for byte, and the
 * same block CRCs in the sidecar, whatever the threads. */
static void shards_alike(const char *base, uint8_t *const *first, const size_t *len)
{
	char path[PATH_MAX + 8];
	for (int i = 0; i < 14; i++) {
		size_t n;
		snprintf(path, sizeof(path), "%s.ec%02d", base, i);
		uint8_t *b = (uint8_t *)read_file(path, 1 << 26, &n);
		CHECK(b && n == len[i] && !memcmp(b, first[i], n));
		free(b);
	}
}

static uint8_t *first_shard[15];
static size_t first_len[15];

static void sidecar_pass_once(unsigned threads)
{
	char base[PATH_MAX], path[PATH_MAX + 8];
	struct gen_vol g;
	struct ec_opts o = small_blocks;
	o.threads = threads;
	snprintf(base, sizeof(base), "%s/p_%u", test_tmpdir(), threads);
	gen_volume(&g, base, 3, 4, false, false, 5, 200);
	uint64_t before = bytes_read();
	CHECK_EQ(ec_test_encode(base, &o), 0);
	uint64_t encode_read = bytes_read() - before;
	CHECK(encode_read <= g.dat_size + g.dat_size / 10 + 65536);
	if (!first_shard[0]) {
		for (int i = 0; i < 14; i++) {
			snprintf(path, sizeof(path), "%s.ec%02d", base, i);
			first_shard[i] = (uint8_t *)read_file(path, 1 << 26, &first_len[i]);
			CHECK(first_shard[i]);
		}
		snprintf(path, sizeof(path), "%s.ecsum", base);
		first_shard[14] = (uint8_t *)read_file(path, 1 << 26, &first_len[14]);
		CHECK(first_shard[14] && first_len[14] > 40);
	} else {
		size_t n;
		shards_alike(base, first_shard, first_len);
		snprintf(path, sizeof(path), "%s.ecsum", base);
		uint8_t *sum = (uint8_t *)read_file(path, 1 << 26, &n);
		/* the same but for the payload's CRC (bytes 10-13) and the
		 * encode's random UUID (the last field, 18 bytes) */
		CHECK(sum && n == first_len[14] && !memcmp(sum, first_shard[14], 10) &&
		      !memcmp(sum + 14, first_shard[14] + 14, n - 14 - 18));
		free(sum);
	}

	struct ec_vol *v = calloc(1, sizeof(*v));
	CHECK(v && ec_vol_load(v, base, &o) == 0);
	uint64_t shard = v->shard_size;
	ec_vol_free(v);
	uint8_t *orig[4];
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s.ec%02d", base, i);
		orig[i] = (uint8_t *)read_file(path, 1 << 26, NULL);
		CHECK(orig[i] && unlink(path) == 0);
	}
	before = bytes_read();
	CHECK_EQ(rebuild_volume(base, &o), 0);
	uint64_t rebuild_read = bytes_read() - before;
	CHECK(rebuild_read <= 10 * shard + shard + 65536);
	for (int i = 0; i < 4; i++) {
		size_t len;
		snprintf(path, sizeof(path), "%s.ec%02d", base, i);
		uint8_t *now = (uint8_t *)read_file(path, 1 << 26, &len);
		CHECK(now && len == shard && !memcmp(now, orig[i], len));
		free(now);
		free(orig[i]);
	}
	v = calloc(1, sizeof(*v));
	CHECK(v && ec_vol_load(v, base, &o) == 0);
	before = bytes_read();
	CHECK_EQ(ec_test_cmd_on(ec_verify, EC_CMD_VERIFY, v, &o), 0);
	CHECK(bytes_read() - before <= 14 * shard + 65536);
	ec_vol_free(v);
	gen_free(&g);
}

TEST(ec_sidecar_costs_no_extra_pass)
{
	if (bytes_read() == UINT64_MAX)
		test_skip("no /proc/self/io");
	sidecar_pass_once(1);
	sidecar_pass_once(3);
	sidecar_pass_once(0);
	for (int i = 0; i < 15; i++)
		free(first_shard[i]);
}

/* Issue 16: decode with a sidecar reads the data shards once and, of the
 * .dat it made, only the needles' headers (the bytes were vouched for as
 * they were read): with needles of 256 KiB, a few KiB more, not the .dat
 * again. Without a sidecar every needle is read back and summed. */
static uint64_t decode_reads(const char *base, const struct ec_opts *o, const uint8_t *dat,
			     size_t dat_len)
{
	char path[PATH_MAX + 8];
	struct ec_vol *v = calloc(1, sizeof(*v));
	CHECK(v && ec_vol_load(v, base, o) == 0);
	uint64_t before = bytes_read();
	CHECK_EQ(ec_test_cmd_on(ec_decode, EC_CMD_DECODE, v, o), 0);
	uint64_t n = bytes_read() - before;
	ec_vol_free(v);
	size_t len;
	snprintf(path, sizeof(path), "%s.dat", base);
	uint8_t *again = (uint8_t *)read_file(path, 1 << 26, &len);
	CHECK(again && len == dat_len && !memcmp(again, dat, len));
	free(again);
	CHECK_EQ(unlink(path), 0);
	snprintf(path, sizeof(path), "%s.idx", base);
	CHECK_EQ(unlink(path), 0);
	return n;
}

TEST(ec_decode_reads_headers_not_needles)
{
	char base[PATH_MAX], path[PATH_MAX + 8];
	struct gen_vol g;
	if (bytes_read() == UINT64_MAX)
		test_skip("no /proc/self/io");
	snprintf(base, sizeof(base), "%s/h", test_tmpdir());
	gen_big_records(false);
	gen_volume(&g, base, 3, 4, false, false, 3, 8);
	uint8_t *data = malloc(256 << 10);
	CHECK(data);
	for (int n = 0; n < 12; n++) {
		for (size_t i = 0; i < 256 << 10; i++)
			data[i] = rnd8();
		gen_append(&g, 1000 + (uint64_t)n, data, (256 << 10) - 100 * (uint32_t)n, true,
			   g.last_ts + 1, (unsigned)n);
	}
	free(data);
	CHECK_EQ(ec_test_encode(base, &small_blocks), 0);
	snprintf(path, sizeof(path), "%s.dat", base);
	size_t dat_len;
	uint8_t *dat = (uint8_t *)read_file(path, 1 << 26, &dat_len);
	CHECK(dat && unlink(path) == 0);
	snprintf(path, sizeof(path), "%s.idx", base);
	CHECK_EQ(unlink(path), 0);
	for (int i = 0; i < 4; i++) { /* lost data shards: decoded on the way */
		snprintf(path, sizeof(path), "%s.ec%02d", base, i);
		CHECK_EQ(unlink(path), 0);
	}
	struct ec_vol *v = calloc(1, sizeof(*v));
	CHECK(v && ec_vol_load(v, base, &small_blocks) == 0);
	uint64_t shard = v->shard_size;
	ec_vol_free(v);
	uint64_t with = decode_reads(base, &small_blocks, dat, dat_len);
	CHECK(with <= 10 * shard + 20 * (64 << 10));
	struct ec_opts o = small_blocks;
	o.ignore_ecsum = true;
	uint64_t without = decode_reads(base, &o, dat, dat_len);
	CHECK(without >= 10 * shard + dat_len * 9 / 10);
	free(dat);
	gen_free(&g);
	gen_big_records(true);
}
