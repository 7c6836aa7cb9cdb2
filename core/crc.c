/* crc.c - CRC-32 and CRC-32C: slice-by-8 tables and PCLMULQDQ folding.
 *
 * Both CRCs are reflected 32-bit CRCs and differ only in the polynomial, so
 * one folding routine serves both with constants derived from the
 * polynomial at start-up (no magic numbers to mistype).
 *
 * Folding keeps the invariant that the 128-bit lanes, read as the head of
 * the message, have the same CRC as the bytes they replaced. After the
 * last fold the remaining 16 bytes plus the tail go through the ordinary
 * byte-wise CRC, so no Barrett reduction is needed.
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

#if defined(__x86_64__)
#include <immintrin.h>

/* Multipliers for folding a 128-bit lane forward by 512 and by 128 bits. */
struct fold_k {
	uint64_t k512_lo, k512_hi, k128_lo, k128_hi;
};
static struct fold_k k_ieee, k_c;

/* x^n mod P in the reflected domain, shifted as PCLMULQDQ wants it:
 * bit-reverse the 32-bit remainder and move it up one place. */
static uint64_t xpow_mod(unsigned n, uint32_t poly_normal)
{
	uint32_t r = 1;
	for (unsigned i = 0; i < n; i++)
		r = r & 0x80000000u ? (r << 1) ^ poly_normal : r << 1;
	uint32_t rev = 0;
	for (int b = 0; b < 32; b++)
		rev |= ((r >> b) & 1u) << (31 - b);
	return (uint64_t)rev << 1;
}

static void make_fold(struct fold_k *k, uint32_t poly_normal)
{
	/* The low qword of a lane is multiplied by x^(D+32), the high one
	 * by x^(D-32), for a fold distance of D bits. */
	k->k512_lo = xpow_mod(512 + 32, poly_normal);
	k->k512_hi = xpow_mod(512 - 32, poly_normal);
	k->k128_lo = xpow_mod(128 + 32, poly_normal);
	k->k128_hi = xpow_mod(128 - 32, poly_normal);
}

__attribute__((target("pclmul,sse2"))) static inline __m128i fold(__m128i x, __m128i k)
{
	return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

/* Folds len >= 64 bytes; returns the 16 residual bytes in out, and how
 * many input bytes (< 16) are left after them. */
__attribute__((target("pclmul,sse2"))) static size_t
fold_all(uint32_t c, const uint8_t *p, size_t len, const struct fold_k *k, uint8_t out[16])
{
	const __m128i k4 = _mm_set_epi64x((long long)k->k512_hi, (long long)k->k512_lo);
	const __m128i k1 = _mm_set_epi64x((long long)k->k128_hi, (long long)k->k128_lo);
	__m128i x0 = _mm_loadu_si128((const __m128i *)p);
	__m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));
	__m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32));
	__m128i x3 = _mm_loadu_si128((const __m128i *)(p + 48));
	x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int)c));
	p += 64;
	len -= 64;
	for (; len >= 64; len -= 64, p += 64) {
		x0 = _mm_xor_si128(fold(x0, k4), _mm_loadu_si128((const __m128i *)p));
		x1 = _mm_xor_si128(fold(x1, k4), _mm_loadu_si128((const __m128i *)(p + 16)));
		x2 = _mm_xor_si128(fold(x2, k4), _mm_loadu_si128((const __m128i *)(p + 32)));
		x3 = _mm_xor_si128(fold(x3, k4), _mm_loadu_si128((const __m128i *)(p + 48)));
	}
	__m128i x = _mm_xor_si128(fold(x0, k1), x1);
	x = _mm_xor_si128(fold(x, k1), x2);
	x = _mm_xor_si128(fold(x, k1), x3);
	for (; len >= 16; len -= 16, p += 16)
		x = _mm_xor_si128(fold(x, k1), _mm_loadu_si128((const __m128i *)p));
	_mm_storeu_si128((__m128i *)out, x);
	return len;
}

__attribute__((target("sse4.2"))) static uint32_t raw_c_insn(uint32_t c, const uint8_t *p,
							      size_t len)
{
	uint64_t c64 = c;
	for (; len >= 8; len -= 8, p += 8) {
		uint64_t v;
		memcpy(&v, p, 8); /* x86 is little-endian, as the CRC wants */
		c64 = _mm_crc32_u64(c64, v);
	}
	c = (uint32_t)c64;
	while (len--)
		c = _mm_crc32_u8(c, *p++);
	return c;
}

uint32_t crc32_ieee_hw(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t c = ~crc;
	if (len >= 64) {
		uint8_t rest[16];
		size_t left = fold_all(c, p, len, &k_ieee, rest);
		c = raw_sw(0, rest, 16, tab_ieee);
		p += len - left;
		len = left;
	}
	return ~raw_sw(c, p, len, tab_ieee);
}

uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t c = ~crc;
	if (len >= 256) { /* below this the crc32 instruction alone is faster */
		uint8_t rest[16];
		size_t left = fold_all(c, p, len, &k_c, rest);
		c = raw_c_insn(0, rest, 16);
		p += len - left;
		len = left;
	}
	return ~raw_c_insn(c, p, len);
}

static bool hw_ok;

bool crc_hw_available(void) { return hw_ok; }

static void init_hw(void)
{
	make_fold(&k_ieee, 0x04C11DB7u);
	make_fold(&k_c, 0x1EDC6F41u);
	hw_ok = cpu_has(CPU_PCLMUL | CPU_SSE42);
}
#else
bool crc_hw_available(void) { return false; }
uint32_t crc32_ieee_hw(uint32_t crc, const void *buf, size_t len)
{
	return crc32_ieee_sw(crc, buf, len);
}
uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	return crc32c_sw(crc, buf, len);
}
static const bool hw_ok = false;
static void init_hw(void) {}
#endif

__attribute__((constructor)) static void crc_init(void)
{
	make_tables(tab_ieee, POLY_IEEE);
	make_tables(tab_c, POLY_CASTAGNOLI);
	init_hw();
}

uint32_t crc32_ieee(uint32_t crc, const void *buf, size_t len)
{
	return hw_ok ? crc32_ieee_hw(crc, buf, len) : crc32_ieee_sw(crc, buf, len);
}

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	return hw_ok ? crc32c_hw(crc, buf, len) : crc32c_sw(crc, buf, len);
}
