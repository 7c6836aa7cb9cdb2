/* CRC-32 and CRC-32C: published check values, and every implementation
 * path against a bit-at-a-time reference written here from the
 * polynomials alone, over every length that crosses a threshold of the
 * folding code, at many misalignments, and over large random lengths. */
#include "cpu.h"
#include "crc.h"
#include "test.h"

static const char check[] = "123456789";

TEST(crc32_ieee_check_value)
{
	/* The CRC catalogue's check value for CRC-32/ISO-HDLC. */
	CHECK_EQ(crc32_ieee(0, check, 9), 0xCBF43926);
	CHECK_EQ(crc32_ieee_sw(0, check, 9), 0xCBF43926);
	CHECK_EQ(crc32_ieee(0, "", 0), 0);
}

TEST(crc32c_check_value)
{
	/* CRC-32/ISCSI check value, and RFC 3720's 32 zero bytes vector. */
	CHECK_EQ(crc32c(0, check, 9), 0xE3069283);
	CHECK_EQ(crc32c_sw(0, check, 9), 0xE3069283);
	unsigned char zeros[32] = { 0 };
	CHECK_EQ(crc32c(0, zeros, 32), 0x8A9136AA);
	unsigned char ones[32];
	memset(ones, 0xff, sizeof(ones));
	CHECK_EQ(crc32c(0, ones, 32), 0x62A8AB43);
}

TEST(crc_chaining_equals_one_pass)
{
	unsigned char buf[5000];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 131 + 7);
	for (size_t cut = 0; cut <= sizeof(buf); cut += 317) {
		CHECK_EQ(crc32c(crc32c(0, buf, cut), buf + cut, sizeof(buf) - cut),
			 crc32c(0, buf, sizeof(buf)));
		CHECK_EQ(crc32_ieee(crc32_ieee(0, buf, cut), buf + cut, sizeof(buf) - cut),
			 crc32_ieee(0, buf, sizeof(buf)));
	}
}

/* The reflected CRC register, one bit at a time. */
static uint32_t bitwise(uint32_t reg, const unsigned char *p, size_t len, uint32_t poly)
{
	while (len--) {
		reg ^= *p++;
		for (int b = 0; b < 8; b++)
			reg = reg & 1 ? (reg >> 1) ^ poly : reg >> 1;
	}
	return reg;
}

#define POLY_IEEE 0xEDB88320u
#define POLY_C 0x82F63B78u

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t next(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng;
}

static unsigned char *random_buf(size_t n)
{
	unsigned char *b = malloc(n);
	CHECK(b != NULL);
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)next();
	return b;
}

/* Every path on buf[0..len), from init, against the reference register. */
static void check_paths(const unsigned char *buf, size_t len, uint32_t init, uint32_t ref_ieee,
			uint32_t ref_c, size_t off)
{
	for (int p = 0; p < CRC_PATHS; p++) {
		if (!crc_path_usable((enum crc_path)p))
			continue;
		uint32_t a = crc32_ieee_path((enum crc_path)p, init, buf, len);
		uint32_t b = crc32c_path((enum crc_path)p, init, buf, len);
		if (a != ~ref_ieee || b != ~ref_c)
			test_fail(__FILE__, __LINE__, "%s: length %zu at +%zu: crc32 %08x want %08x, "
				  "crc32c %08x want %08x", crc_path_name((enum crc_path)p), len, off,
				  a, ~ref_ieee, b, ~ref_c);
	}
}

TEST(crc_paths_every_length)
{
	enum { MAX = 4096, ALIGN = 64 };
	unsigned char *buf = random_buf(MAX + ALIGN);
	uint32_t init = (uint32_t)next();
	/* misalignments 0..ALIGN-1: the reference grows one byte at a time */
	for (size_t off = 0; off < ALIGN; off++) {
		uint32_t ri = ~init, rc = ~init;
		for (size_t len = 0; len <= MAX; len++) {
			check_paths(buf + off, len, init, ri, rc, off);
			if (len < MAX) {
				ri = bitwise(ri, buf + off + len, 1, POLY_IEEE);
				rc = bitwise(rc, buf + off + len, 1, POLY_C);
			}
		}
	}
	free(buf);
}

TEST(crc_paths_end_of_buffer)
{
	/* Each length ending exactly where the allocation ends, so ASan
	 * catches a read past it; the portable path, checked bitwise above,
	 * is the reference. */
	enum { MAX = 4096 };
	unsigned char *buf = random_buf(MAX);
	for (size_t len = 0; len <= MAX; len++) {
		const unsigned char *p = buf + MAX - len;
		check_paths(p, len, (uint32_t)len, ~crc32_ieee_sw((uint32_t)len, p, len),
			    ~crc32c_sw((uint32_t)len, p, len), MAX - len);
	}
	free(buf);
}

TEST(crc_paths_hybrid_edges)
{
	/* The AVX-512 CRC-32C cuts buffers of 4 KiB and more into a folded
	 * part and three crc32 chains by 376-byte steps (256 folded, 40 a
	 * chain), with a tail after:
	 * every length over the first steps, then lengths on both sides of
	 * later step counts, at several misalignments, each ending where the
	 * allocation ends; the portable path (checked bitwise above) is the
	 * reference. */
	enum { MAX = 1 << 20, STEP = 376 };
	unsigned char *buf = random_buf(MAX + 64);
	static const size_t offs[] = { 0, 1, 8, 33 };
	for (size_t o = 0; o < sizeof(offs) / sizeof(offs[0]); o++) {
		for (size_t len = 4096 - 64; len <= 4096 + 4 * STEP + 64; len++) {
			const unsigned char *p = buf + MAX + 64 - offs[o] - len;
			check_paths(p, len, (uint32_t)len, ~crc32_ieee_sw((uint32_t)len, p, len),
				    ~crc32c_sw((uint32_t)len, p, len), offs[o]);
		}
		for (size_t n = 16; n * STEP + STEP < MAX; n = n * 5 / 4)
			for (size_t len = n * STEP - 9; len < n * STEP + 300; len += 17) {
				const unsigned char *p = buf + offs[o];
				check_paths(p, len, ~(uint32_t)n, ~crc32_ieee_sw(~(uint32_t)n, p, len),
					    ~crc32c_sw(~(uint32_t)n, p, len), offs[o]);
			}
	}
	free(buf);
	/* From 8 MiB on, only the folding runs: lengths on both sides. */
	enum { BIG = (8 << 20) + 2 * 376 * 7 + 64, DRAM_STEP = 376 };
	buf = random_buf(BIG);
	static const size_t big[] = { (8 << 20) - 1, 8 << 20, (8 << 20) + 1, (8 << 20) + 327,
				      (8 << 20) / DRAM_STEP * DRAM_STEP + 2 * DRAM_STEP,
				      (8 << 20) / DRAM_STEP * DRAM_STEP + 2 * DRAM_STEP - 1, BIG - 33 };
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		const unsigned char *p = buf + BIG - big[i] - (i & 1);
		check_paths(p, big[i], (uint32_t)i, ~crc32_ieee_sw((uint32_t)i, p, big[i]),
			    ~crc32c_sw((uint32_t)i, p, big[i]), i & 1);
	}
	free(buf);
}

TEST(crc_paths_gfni_steps)
{
	/* The GFNI path's CRC-32 runs from 1 KiB to 8 MiB by 316-byte
	 * steps (256 bytes multiplied, 60 through GFNI whose last 4 bytes
	 * spill onto the next 64), then 64-byte folds and a tail: lengths
	 * across the 1 KiB threshold, then on both sides of many step
	 * counts (each spill, fold and tail length), at misalignments
	 * around the 4-byte spill, from non-zero start values, ending where
	 * the allocation ends; the portable path is the reference. (Every
	 * length to 4 KiB is in crc_paths_every_length, the 8 MiB edge in
	 * crc_paths_hybrid_edges.) */
	enum { MAX = 256 << 10, STEP = 316 };
	unsigned char *buf = random_buf(MAX + 64);
	static const size_t offs[] = { 0, 3, 4, 60 };
	for (size_t o = 0; o < sizeof(offs) / sizeof(offs[0]); o++) {
		for (size_t len = 1024 - 8; len <= 1024 + 8; len++) {
			const unsigned char *p = buf + MAX + 64 - offs[o] - len;
			check_paths(p, len, ~(uint32_t)len, ~crc32_ieee_sw(~(uint32_t)len, p, len),
				    ~crc32c_sw(~(uint32_t)len, p, len), offs[o]);
		}
		for (size_t n = 4; n * STEP + STEP < MAX; n = n * 5 / 4 + 1)
			for (size_t len = n * STEP - 5; len < n * STEP + STEP; len += 13) {
				const unsigned char *p = buf + MAX + 64 - offs[o] - len;
				check_paths(p, len, (uint32_t)(n * len), ~crc32_ieee_sw((uint32_t)(n * len), p, len),
					    ~crc32c_sw((uint32_t)(n * len), p, len), offs[o]);
			}
	}
	free(buf);
}

TEST(crc_paths_large_random)
{
	enum { MAX = 3 << 20 };
	unsigned char *buf = random_buf(MAX);
	for (int i = 0; i < 12; i++) {
		size_t off = next() % 4096, len = next() % (MAX - 4096);
		if (i == 0)
			off = 0, len = MAX; /* the whole buffer once */
		uint32_t init = (uint32_t)next();
		check_paths(buf + off, len, init, bitwise(~init, buf + off, len, POLY_IEEE),
			    bitwise(~init, buf + off, len, POLY_C), off);
	}
	free(buf);
}

TEST(crc_default_is_the_fastest_usable)
{
	/* the GFNI path may be usable but not chosen, off AMD Zen 4 and 5 */
	enum crc_path d = crc_path_default();
	CHECK(crc_path_usable(d));
	for (int p = d + 1; p < CRC_PATHS; p++)
		CHECK(!crc_path_usable((enum crc_path)p) ||
		      (p == CRC_PATH_GFNI && d == CRC_PATH_VPCLMUL512 && !cpu_has(CPU_AMD_ZEN)));
	CHECK_STR(crc_path_name(CRC_PATH_SW), "slice-by-8");
}
