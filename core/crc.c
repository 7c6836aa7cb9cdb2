/* crc.c - CRC-32 and CRC-32C: slice-by-8 tables and carry-less folding.
 *
 * Both CRCs are reflected 32-bit CRCs and differ only in the polynomial, so
 * one folding routine serves both with constants derived from the
 * polynomial at start-up (no magic numbers to mistype).
 *
 * Folding keeps the invariant that the 128-bit lanes, read as the head of
 * the message, have the same CRC as the bytes they replaced. After the
 * last fold the remaining 16 bytes go through the crc32 instruction or the
 * tables, so no Barrett reduction is needed. The wide paths fold 2, 4 or
 * 8 lanes per instruction, then narrow down to one 128-bit lane and finish
 * on the VEX-encoded 128-bit code. With AVX-512, CRC-32C of 4 KiB and
 * more also runs three crc32-instruction chains beside the folding, and
 * CRC-32 (which has no such instruction) folds a fifth register with GFNI
 * affine transforms beside the multiplies.
 */
#include "crc.h"
#include "cpu.h"

#include <string.h>

#define POLY_IEEE 0xEDB88320u /* 0x04C11DB7 reflected */
#define POLY_CASTAGNOLI 0x82F63B78u /* 0x1EDC6F41 reflected */

static uint32_t tab_ieee[8][256], tab_c[8][256];

static void make_tables(uint32_t t[8][256], uint32_t poly)
{
	for (unsigned i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ poly : c >> 1;
		t[0][i] = c;
	}
	for (unsigned i = 0; i < 256; i++)
		for (int s = 1; s < 8; s++)
			t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
}

/* The register update without the initial and final inversion. */
static uint32_t raw_sw(uint32_t c, const uint8_t *p, size_t len, uint32_t t[8][256])
{
	while (len && ((uintptr_t)p & 7)) {
		c = (c >> 8) ^ t[0][(c ^ *p++) & 0xff];
		len--;
	}
	for (; len >= 8; len -= 8, p += 8) {
		uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				   (uint32_t)p[3] << 24);
		c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^
		    t[4][lo >> 24] ^ t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
	}
	while (len--)
		c = (c >> 8) ^ t[0][(c ^ *p++) & 0xff];
	return c;
}

uint32_t crc32_ieee_sw(uint32_t crc, const void *buf, size_t len)
{
	return ~raw_sw(~crc, buf, len, tab_ieee);
}

uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	return ~raw_sw(~crc, buf, len, tab_c);
}

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

#if defined(__x86_64__)
#include <immintrin.h>

/* Multipliers {low qword, high qword} for folding a 128-bit lane forward
 * across D bits: x^(D+32) and x^(D-32) mod P. zlast folds the four lanes
 * of a zmm register (across 384, 256, 128 and 0 bits) onto the last. */
struct fold_k {
	uint64_t k2048[2], k1024[2], k512[2], k256[2], k128[2];
	uint64_t zlast[8];
	uint64_t kg[2];	  /* across G_STEP bytes: the GFNI path's step */
	uint64_t gmat[5]; /* byte t of a byte times kg[0], as GF2P8AFFINEQB matrices */
};
static struct fold_k k_ieee, k_c;

/* Byte shuffles for the last partial lane: at +n, shift a lane up by
 * 16 - n bytes (zeros below); at +16 + n, down by n bytes. */
static const uint8_t fold_shuf[48] = {
	0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
	0x80, 0x80, 0x80, 0x80, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
	0x80, 0x80, 0x80, 0x80,
};

/* The GFNI path's step: 256 bytes folded by VPCLMULQDQ, 60 by GFNI.
 * Below G_MIN the plain 512-bit folding is as fast. */
enum { G_DATA = 60, G_STEP = 256 + G_DATA, G_MIN = 1024 };

/* Byte t (0..4) of the carry-less product of a byte b and kg[0] (33
 * bits, so 5 bytes) is a fixed linear map of b. GF2P8AFFINEQB's matrix
 * holds the map's row for result bit r in its byte 7 - r: bit i of that
 * byte says whether b's bit i, times kg[0]'s bit 8t + r - i, reaches it. */
static void make_gmat(struct fold_k *k)
{
	for (int t = 0; t < 5; t++) {
		uint64_t m = 0;
		for (int r = 0; r < 8; r++)
			for (int i = 0; i < 8; i++) {
				int e = 8 * t + r - i;
				if (e >= 0 && (k->kg[0] >> e) & 1)
					m |= 1ull << (8 * (7 - r) + i);
			}
		k->gmat[t] = m;
	}
}

/* x^n mod P for the n wanted, in one pass: bit-reversed into the
 * reflected domain and moved up one place, as PCLMULQDQ wants it. */
static void make_fold(struct fold_k *k, uint32_t poly_normal)
{
	static const unsigned dist[] = { 2048, 1024, 512, 384, 256, 128, 8 * G_STEP };
	uint64_t *slot[7] = { k->k2048, k->k1024, k->k512, k->zlast, k->zlast + 2, k->zlast + 4, k->kg };
	uint32_t r = 1;
	memset(k, 0, sizeof(*k));
	for (unsigned n = 0; n <= 8 * G_STEP + 32; n++) {
		uint32_t rev = 0;
		for (int b = 0; b < 32; b++)
			rev |= ((r >> b) & 1u) << (31 - b);
		for (int i = 0; i < 7; i++) {
			if (n == dist[i] + 32)
				slot[i][0] = (uint64_t)rev << 1;
			if (n == dist[i] - 32)
				slot[i][1] = (uint64_t)rev << 1;
		}
		r = r & 0x80000000u ? (r << 1) ^ poly_normal : r << 1;
	}
	memcpy(k->k256, k->zlast + 2, sizeof(k->k256));
	memcpy(k->k128, k->zlast + 4, sizeof(k->k128));
	make_gmat(k);
}

#define T __attribute__((target("sse4.2,pclmul")))
#define F(name) sse_##name
#include "crc_fold128.inc"
#undef F
#undef T

#define T __attribute__((target("avx,sse4.2,pclmul")))
#define F(name) avx_##name
#include "crc_fold128.inc"
#undef F
#undef T

/* ---- 256-bit VPCLMULQDQ: four ymm registers, 128 bytes a round ---- */

#define TARGET_Y __attribute__((target("avx2,sse4.2,pclmul,vpclmulqdq")))

TARGET_Y static inline __m256i y_fold(__m256i x, __m256i k)
{
	return _mm256_xor_si256(_mm256_clmulepi64_epi128(x, k, 0x00),
				_mm256_clmulepi64_epi128(x, k, 0x11));
}

/* len >= 128: folds all but the last len % 32 bytes into one lane. */
TARGET_Y static __m128i y_fold_all(uint32_t c, const uint8_t **pp, size_t *plen,
				   const struct fold_k *k)
{
	const uint8_t *p = *pp;
	size_t len = *plen;
	const __m256i k8 = _mm256_broadcastsi128_si256(avx_kload(k->k1024));
	const __m256i k2 = _mm256_broadcastsi128_si256(avx_kload(k->k256));
	__m256i x0 = _mm256_loadu_si256((const __m256i *)p);
	__m256i x1 = _mm256_loadu_si256((const __m256i *)(p + 32));
	__m256i x2 = _mm256_loadu_si256((const __m256i *)(p + 64));
	__m256i x3 = _mm256_loadu_si256((const __m256i *)(p + 96));
	x0 = _mm256_xor_si256(x0, _mm256_set_epi64x(0, 0, 0, c));
	for (p += 128, len -= 128; len >= 128; len -= 128, p += 128) {
		x0 = _mm256_xor_si256(y_fold(x0, k8), _mm256_loadu_si256((const __m256i *)p));
		x1 = _mm256_xor_si256(y_fold(x1, k8), _mm256_loadu_si256((const __m256i *)(p + 32)));
		x2 = _mm256_xor_si256(y_fold(x2, k8), _mm256_loadu_si256((const __m256i *)(p + 64)));
		x3 = _mm256_xor_si256(y_fold(x3, k8), _mm256_loadu_si256((const __m256i *)(p + 96)));
	}
	__m256i x = _mm256_xor_si256(y_fold(x0, k2), x1);
	x = _mm256_xor_si256(y_fold(x, k2), x2);
	x = _mm256_xor_si256(y_fold(x, k2), x3);
	for (; len >= 32; len -= 32, p += 32)
		x = _mm256_xor_si256(y_fold(x, k2), _mm256_loadu_si256((const __m256i *)p));
	*pp = p;
	*plen = len;
	return _mm_xor_si128(avx_fold1(_mm256_castsi256_si128(x), avx_kload(k->k128)),
			     _mm256_extracti128_si256(x, 1));
}

/* ---- 512-bit VPCLMULQDQ: four zmm registers, 256 bytes a round ---- */

#define TARGET_Z __attribute__((target("avx512f,avx2,sse4.2,pclmul,vpclmulqdq")))

/* (x folded by k) ^ d, the three-way XOR in one instruction */
TARGET_Z static inline __m512i z_fold(__m512i x, __m512i k, __m512i d)
{
	return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00),
					 _mm512_clmulepi64_epi128(x, k, 0x11), d, 0x96);
}

TARGET_Z static inline __m512i z_load(const uint8_t *p)
{
	return _mm512_loadu_si512((const void *)p);
}

/* From DRAM the hardware prefetcher alone leaves a quarter of the
 * bandwidth unused (64 MiB buffers, make bench): the loops fetch the
 * 256 bytes they will fold this far ahead, about a DRAM latency's worth
 * at that rate. 4 KiB gave medians of 1.03-1.10x ISA-L at 64 MiB where
 * 3 KiB gave 0.95-1.07x (six interleaved runs, both CRCs, load 1.4).
 * Fetching past the end is harmless: never a fault. */
enum { PF_AHEAD = 4096 };

TARGET_Z static inline void z_prefetch(const uint8_t *p)
{
	for (int i = 0; i < 256; i += 64)
		_mm_prefetch((const char *)p + i, _MM_HINT_T0);
}

/* The four lanes of x as one: lanes 0..2 fold onto lane 3 in one
 * multiply (its multiplier is 0). */
TARGET_Z static inline __m128i z_lane(__m512i x, const struct fold_k *k)
{
	__m512i t = z_fold(x, _mm512_loadu_si512((const void *)k->zlast), _mm512_setzero_si512());
	__m128i y = _mm_xor_si128(_mm512_castsi512_si128(t), _mm512_extracti32x4_epi32(t, 1));
	y = _mm_xor_si128(y, _mm512_extracti32x4_epi32(t, 2));
	return _mm_xor_si128(y, _mm512_extracti32x4_epi32(x, 3));
}

/* len >= 256: folds all but the last len % 64 bytes into one lane. */
TARGET_Z static __m128i z_fold_all(uint32_t c, const uint8_t **pp, size_t *plen,
				   const struct fold_k *k)
{
	const uint8_t *p = *pp;
	size_t len = *plen;
	const __m512i k16 = _mm512_broadcast_i32x4(avx_kload(k->k2048));
	const __m512i k4 = _mm512_broadcast_i32x4(avx_kload(k->k512));
	__m512i x0 = z_load(p), x1 = z_load(p + 64), x2 = z_load(p + 128), x3 = z_load(p + 192);
	x0 = _mm512_xor_si512(x0, _mm512_set_epi64(0, 0, 0, 0, 0, 0, 0, c));
	for (p += 256, len -= 256; len >= 256; len -= 256, p += 256) {
		z_prefetch(p + PF_AHEAD);
		x0 = z_fold(x0, k16, z_load(p));
		x1 = z_fold(x1, k16, z_load(p + 64));
		x2 = z_fold(x2, k16, z_load(p + 128));
		x3 = z_fold(x3, k16, z_load(p + 192));
	}
	__m512i x = z_fold(z_fold(z_fold(x0, k4, x1), k4, x2), k4, x3);
	for (; len >= 64; len -= 64, p += 64)
		x = z_fold(x, k4, z_load(p));
	*pp = p;
	*plen = len;
	return z_lane(x, k);
}

/* ---- CRC-32C: folding beside three crc32-instruction chains ----
 *
 * The folding keeps the vector units busy (two multiplies a 64-byte
 * step, whatever the number of registers) while the integer units, which
 * run the crc32 instruction, idle. One crc32 chain does 8 bytes every 3
 * cycles, one instruction a cycle can start: three chains fill that unit
 * and add about half again to the folding's rate. So the message is cut
 * into A || B || C || D: A is folded, 256 bytes a step, while each step
 * also feeds HY_CHAIN bytes of B, C and D to its own chain. The four
 * registers, B, C and D started from zero, are then joined by moving
 * each past the bytes after it: n bytes of zeros multiply a register by
 * x^8n. */

/* Bytes a step gives each chain: the rates say a third of the bytes.
 * Below HY_MIN the fixed costs (the multipliers, four registers to join)
 * outweigh the chains. From HY_DRAM on a buffer cannot be all in cache
 * and the bandwidth is the limit: there the four streams reached 0.7x
 * of the folding's single prefetched stream (64 MiB, make bench). */
enum { HY_CHAIN = 40, HY_MIN = 4096 };
#define HY_DRAM ((size_t)8 << 20)

static uint32_t hy_pow[48]; /* hy_pow[j]: the multiplier for 8 << j bytes */

/* a * b * x^33 mod P, in the reflected domain: the carry-less product
 * (63 bits, one short of the instruction's 64) through crc32 (x^32). */
TARGET_Z static inline uint32_t hy_mul(uint32_t a, uint32_t b)
{
	__m128i p = _mm_clmulepi64_si128(_mm_cvtsi32_si128((int)a), _mm_cvtsi32_si128((int)b), 0);
	return (uint32_t)_mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(p));
}

/* The multiplier that moves a register past n bytes (n a multiple of 8,
 * n >= 8) is x^(8n - 33), so that hy_mul(reg, it) = reg * x^8n. Since
 * hy_mul(x^(a-33), x^(b-33)) = x^(a+b-33), the powers for 8 << j bytes
 * combine by the bits of n / 8; 8 bytes is x^31, the register's top bit. */
TARGET_Z static void hy_init(void)
{
	hy_pow[0] = 1;
	for (int j = 1; j < 48; j++)
		hy_pow[j] = hy_mul(hy_pow[j - 1], hy_pow[j - 1]);
}

TARGET_Z static inline uint32_t hy_shift_k(size_t n)
{
	size_t m = n / 8;
	int j = __builtin_ctzll(m);
	uint32_t k = hy_pow[j];
	for (m >>= j + 1, j++; m; m >>= 1, j++)
		if (m & 1)
			k = hy_mul(k, hy_pow[j]);
	return k;
}

TARGET_Z static inline uint64_t hy_load(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* The raw register c over n >= 1 steps at p: n * (256 + 3 * HY_CHAIN) bytes. */
TARGET_Z static uint32_t hy_steps(uint32_t c, const uint8_t *p, size_t n)
{
	const size_t lb = n * HY_CHAIN, pf = PF_AHEAD * HY_CHAIN / 256;
	const uint8_t *b = p + 256 * n, *pc = b + lb, *d = pc + lb;
	/* the multipliers do not wait for the data: computed meanwhile */
	const uint32_t k1 = hy_shift_k(lb), k2 = hy_mul(k1, k1), k3 = hy_mul(k2, k1);
	const __m512i k16 = _mm512_broadcast_i32x4(avx_kload(k_c.k2048));
	const __m512i k4 = _mm512_broadcast_i32x4(avx_kload(k_c.k512));
	__m512i x0 = z_load(p), x1 = z_load(p + 64), x2 = z_load(p + 128), x3 = z_load(p + 192);
	x0 = _mm512_xor_si512(x0, _mm512_set_epi64(0, 0, 0, 0, 0, 0, 0, c));
	uint64_t rb = 0, rc = 0, rd = 0;
	for (size_t i = 1;; i++) {
#pragma GCC unroll 8
		for (size_t j = 0; j < HY_CHAIN; j += 8) {
			rb = _mm_crc32_u64(rb, hy_load(b + j));
			rc = _mm_crc32_u64(rc, hy_load(pc + j));
			rd = _mm_crc32_u64(rd, hy_load(d + j));
		}
		b += HY_CHAIN, pc += HY_CHAIN, d += HY_CHAIN;
		if (i == n)
			break;
		p += 256;
		/* each chain fetched as far ahead as A is in time */
		z_prefetch(p + PF_AHEAD);
		_mm_prefetch((const char *)b + pf, _MM_HINT_T0);
		_mm_prefetch((const char *)pc + pf, _MM_HINT_T0);
		_mm_prefetch((const char *)d + pf, _MM_HINT_T0);
		x0 = z_fold(x0, k16, z_load(p));
		x1 = z_fold(x1, k16, z_load(p + 64));
		x2 = z_fold(x2, k16, z_load(p + 128));
		x3 = z_fold(x3, k16, z_load(p + 192));
	}
	__m512i x = z_fold(z_fold(z_fold(x0, k4, x1), k4, x2), k4, x3);
	uint32_t ra = avx_lane_c(z_lane(x, &k_c));
	return hy_mul(ra, k3) ^ hy_mul((uint32_t)rb, k2) ^ hy_mul((uint32_t)rc, k1) ^ (uint32_t)rd;
}

TARGET_Z static uint32_t z_crc32c_hybrid(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	const size_t step = 256 + 3 * HY_CHAIN, n = len / step, done = n * step;
	return avx_crc32c(~hy_steps(~crc, p, n), p + done, len - done);
}

/* The entry points of a wide path; below min bytes the 128-bit code is
 * as fast. The last bytes and the lane's CRC are the VEX 128-bit code's. */
#define WIDE_PATH(pre, TARGET, min)                                                        \
	TARGET static uint32_t pre##_crc(uint32_t crc, const void *buf, size_t len,        \
					 const struct fold_k *k)                            \
	{                                                                                  \
		const uint8_t *p = buf;                                                    \
		__m128i x = pre##_fold_all(~crc, &p, &len, k);                             \
		x = avx_fold_tail(x, p, len, k);                                           \
		return ~(k == &k_c ? avx_lane_c(x) : avx_lane_ieee(x));                    \
	}                                                                                  \
	TARGET static uint32_t pre##_crc32c(uint32_t crc, const void *buf, size_t len)     \
	{                                                                                  \
		return len < (min) ? avx_crc32c(crc, buf, len) : pre##_crc(crc, buf, len, &k_c); \
	}                                                                                  \
	TARGET static uint32_t pre##_crc32_ieee(uint32_t crc, const void *buf, size_t len) \
	{                                                                                  \
		return len < (min) ? avx_crc32_ieee(crc, buf, len)                         \
				   : pre##_crc(crc, buf, len, &k_ieee);                    \
	}
WIDE_PATH(y, TARGET_Y, 128)
WIDE_PATH(z, TARGET_Z, 256)

/* ---- A fifth register folded on the GFNI and shuffle units ----
 *
 * VPCLMULQDQ issues once every two cycles here (a 2 vCPU Zen 5 EPYC,
 * family 1Ah), whatever the width, so four zmm registers already keep
 * it busy (about 16 bytes a cycle, ISA-L's rate too) while the other
 * vector pipes idle.
 * A carry-less product by a constant is linear byte by byte: byte t of
 * b * kg[0] is a fixed 8x8 bit matrix applied to b, which GF2P8AFFINEQB
 * applies to all 64 bytes at once. So a register g times kg[0] is the
 * XOR over t = 0..4 of those results moved up t bytes (VPERMB): the
 * product PCLMULQDQ would give each quadword, left in place, which is
 * the fold across G_STEP bytes. It is 4 bytes longer than g: g keeps
 * its dword 0 zero and holds 60 bytes of the message in dwords 1..15,
 * the rotation brings the 4 bytes past the end round into dword 0, and
 * from there they go into the first dword of x0, which follows g in
 * the message. Each step folds 256 bytes by multiply and 60 by GFNI,
 * about 1.2x the multiplies alone (64 KiB to 1 MiB, make bench). */
#define TARGET_G __attribute__((target("avx512f,avx512bw,avx512vbmi,gfni,avx2,sse4.2,pclmul,vpclmulqdq")))

static uint8_t g_rot[4][64]; /* VPERMB indices: byte j from j - t, for t = 1..4 */

static void make_rot(void)
{
	for (int t = 1; t <= 4; t++)
		for (int j = 0; j < 64; j++)
			g_rot[t - 1][j] = (uint8_t)((j - t) & 63);
}

TARGET_G static inline void g_prefetch(const uint8_t *p)
{
	for (int i = 0; i < G_STEP; i += 64)
		_mm_prefetch((const char *)p + i, _MM_HINT_T0);
}

/* len >= G_STEP: folds all but the last len % 64 bytes into one lane. */
TARGET_G static __m128i g_fold_all(uint32_t c, const uint8_t **pp, size_t *plen,
				   const struct fold_k *k)
{
	const uint8_t *p = *pp;
	size_t len = *plen;
	const __m512i ks = _mm512_broadcast_i32x4(avx_kload(k->kg));
	const __m512i k4 = _mm512_broadcast_i32x4(avx_kload(k->k512));
	__m512i m[5], r[4];
	for (int t = 0; t < 5; t++)
		m[t] = _mm512_set1_epi64((long long)k->gmat[t]);
	for (int t = 0; t < 4; t++)
		r[t] = _mm512_loadu_si512((const void *)g_rot[t]);
	/* the first 60 bytes into dwords 1..15, the CRC so far on dword 1 */
	__m512i g = _mm512_alignr_epi32(z_load(p), _mm512_setzero_si512(), 15);
	g = _mm512_xor_si512(g, _mm512_maskz_set1_epi32(2, (int)c));
	__m512i x0 = z_load(p + 60), x1 = z_load(p + 124), x2 = z_load(p + 188);
	__m512i x3 = z_load(p + 252);
	for (p += G_STEP, len -= G_STEP; len >= G_STEP; len -= G_STEP, p += G_STEP) {
		g_prefetch(p + PF_AHEAD);
		__m512i a0 = _mm512_gf2p8affine_epi64_epi8(g, m[0], 0);
		__m512i a1 = _mm512_gf2p8affine_epi64_epi8(g, m[1], 0);
		__m512i a2 = _mm512_gf2p8affine_epi64_epi8(g, m[2], 0);
		__m512i a3 = _mm512_gf2p8affine_epi64_epi8(g, m[3], 0);
		__m512i a4 = _mm512_gf2p8affine_epi64_epi8(g, m[4], 0);
		__m512i s = _mm512_ternarylogic_epi64(a0, _mm512_permutexvar_epi8(r[0], a1),
						      _mm512_permutexvar_epi8(r[1], a2), 0x96);
		/* the new bytes, dword 0 (bytes of x3 before) left out */
		__m512i d = _mm512_maskz_loadu_epi32(0xfffe, p - 4);
		__m512i u = _mm512_ternarylogic_epi64(_mm512_permutexvar_epi8(r[2], a3),
						      _mm512_permutexvar_epi8(r[3], a4), d, 0x96);
		g = _mm512_maskz_xor_epi32(0xfffe, s, u);
		/* dword 0 of s ^ u: what g spilled onto x0's first bytes */
		__m512i d0 = _mm512_mask_ternarylogic_epi32(z_load(p + 60), 1, s, u, 0x96);
		x0 = z_fold(x0, ks, d0);
		x1 = z_fold(x1, ks, z_load(p + 124));
		x2 = z_fold(x2, ks, z_load(p + 188));
		x3 = z_fold(x3, ks, z_load(p + 252));
	}
	/* g with its zero dword is the 64 bytes before x0 */
	__m512i x = z_fold(z_fold(z_fold(z_fold(g, k4, x0), k4, x1), k4, x2), k4, x3);
	for (; len >= 64; len -= 64, p += 64)
		x = z_fold(x, k4, z_load(p));
	*pp = p;
	*plen = len;
	return z_lane(x, k);
}

/* From G_DRAM on a buffer cannot be all in cache, the bandwidth is the
 * limit, and the plain folding was 5% faster (64 MiB, make bench). */
#define G_DRAM ((size_t)8 << 20)

TARGET_G static uint32_t g_crc32_ieee(uint32_t crc, const void *buf, size_t len)
{
	if (len < G_MIN || len >= G_DRAM)
		return z_crc32_ieee(crc, buf, len);
	const uint8_t *p = buf;
	__m128i x = g_fold_all(~crc, &p, &len, &k_ieee);
	return ~avx_lane_ieee(avx_fold_tail(x, p, len, &k_ieee));
}

TARGET_Z static uint32_t z_crc32c_3way(uint32_t crc, const void *buf, size_t len)
{
	return len < HY_MIN || len >= HY_DRAM ? z_crc32c(crc, buf, len)
					     : z_crc32c_hybrid(crc, buf, len);
}

static const struct {
	const char *name;
	crc_fn ieee, c;
	unsigned need;
} paths[CRC_PATHS] = {
	[CRC_PATH_SW] = { "slice-by-8", crc32_ieee_sw, crc32c_sw, 0 },
	[CRC_PATH_SSE] = { "sse-pclmul", sse_crc32_ieee, sse_crc32c, CPU_PCLMUL | CPU_SSE42 },
	[CRC_PATH_AVX] = { "avx-pclmul", avx_crc32_ieee, avx_crc32c,
			   CPU_AVX | CPU_PCLMUL | CPU_SSE42 },
	[CRC_PATH_VPCLMUL256] = { "avx2-vpclmul", y_crc32_ieee, y_crc32c,
				  CPU_AVX2 | CPU_VPCLMUL | CPU_PCLMUL | CPU_SSE42 },
	[CRC_PATH_VPCLMUL512] = { "avx512-vpclmul", z_crc32_ieee, z_crc32c_3way,
				  CPU_AVX512BW | CPU_AVX2 | CPU_VPCLMUL | CPU_PCLMUL | CPU_SSE42 },
	[CRC_PATH_GFNI] = { "avx512-vpclmul-gfni", g_crc32_ieee, z_crc32c_3way,
			    CPU_GFNI | CPU_VBMI | CPU_AVX512BW | CPU_AVX2 | CPU_VPCLMUL | CPU_PCLMUL |
				    CPU_SSE42 },
};

static void init_fold(void)
{
	make_fold(&k_ieee, 0x04C11DB7u);
	make_fold(&k_c, 0x1EDC6F41u);
	make_rot();
	if (crc_path_usable(CRC_PATH_VPCLMUL512))
		hy_init();
}
#else
static const struct {
	const char *name;
	crc_fn ieee, c;
	unsigned need;
} paths[CRC_PATHS] = {
	[CRC_PATH_SW] = { "slice-by-8", crc32_ieee_sw, crc32c_sw, 0 },
	[CRC_PATH_SSE] = { "sse-pclmul", NULL, NULL, ~0u },
	[CRC_PATH_AVX] = { "avx-pclmul", NULL, NULL, ~0u },
	[CRC_PATH_VPCLMUL256] = { "avx2-vpclmul", NULL, NULL, ~0u },
	[CRC_PATH_VPCLMUL512] = { "avx512-vpclmul", NULL, NULL, ~0u },
	[CRC_PATH_GFNI] = { "avx512-vpclmul-gfni", NULL, NULL, ~0u },
};
static void init_fold(void) {}
#endif

static enum crc_path best_path;
static crc_fn best_ieee = crc32_ieee_sw, best_c = crc32c_sw;

bool crc_path_usable(enum crc_path path)
{
	return (unsigned)path < CRC_PATHS && paths[path].need != ~0u && cpu_has(paths[path].need);
}

const char *crc_path_name(enum crc_path path)
{
	return (unsigned)path < CRC_PATHS ? paths[path].name : "?";
}

enum crc_path crc_path_default(void) { return best_path; }

uint32_t crc32_ieee_path(enum crc_path path, uint32_t crc, const void *buf, size_t len)
{
	return crc_path_usable(path) ? paths[path].ieee(crc, buf, len) : crc32_ieee_sw(crc, buf, len);
}

uint32_t crc32c_path(enum crc_path path, uint32_t crc, const void *buf, size_t len)
{
	return crc_path_usable(path) ? paths[path].c(crc, buf, len) : crc32c_sw(crc, buf, len);
}

__attribute__((constructor)) static void crc_init(void)
{
	make_tables(tab_ieee, POLY_IEEE);
	make_tables(tab_c, POLY_CASTAGNOLI);
	init_fold();
	/* The GFNI register pays only where the multiplier issues every other
	 * cycle and VPERMB has a pipe of its own (CPU_AMD_ZEN); on Intel's
	 * cores VPERMB shares the multiplier's port, so the path is usable
	 * and tested there but the plain folding is the default. */
	for (int i = 0; i < CRC_PATHS; i++)
		if (crc_path_usable((enum crc_path)i) && (i != CRC_PATH_GFNI || cpu_has(CPU_AMD_ZEN))) {
			best_path = (enum crc_path)i;
			best_ieee = paths[i].ieee;
			best_c = paths[i].c;
		}
}

uint32_t crc32_ieee(uint32_t crc, const void *buf, size_t len)
{
	return best_ieee(crc, buf, len);
}

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	return best_c(crc, buf, len);
}
