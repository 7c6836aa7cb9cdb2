/* gf_x86.c - the SIMD kernels, chosen at run time (ec_gf_kernel_usable).
 *
 * Nibble kernels (SSSE3, AVX2, AVX-512BW): a product c*x is
 * T_lo[x & 15] ^ T_hi[x >> 4], two 16-entry tables per coefficient looked
 * up with PSHUFB. GFNI kernels: "multiply by c" is linear over GF(2), an
 * 8x8 bit matrix that GF2P8AFFINEQB applies to every byte at once.
 * The bodies are one template, gf_kernel.h.
 */
#include "gf.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

static inline uint64_t load_u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* ---- SSSE3 -------------------------------------------------------------- */
#pragma GCC push_options
#pragma GCC target("ssse3")
struct nib128 {
	__m128i lo, hi;
};
#define KFN(x) ec_gf_ssse3_##x
#define VEC __m128i
#define WIDTH 16
#define GMAX 4
#define STRIDE 32
#define XIN struct nib128
#define PREP(x, p)                                                                  \
	do {                                                                        \
		__m128i v_ = _mm_loadu_si128((const __m128i *)(p));                 \
		(x).lo = _mm_and_si128(v_, _mm_set1_epi8(0x0f));                    \
		(x).hi = _mm_and_si128(_mm_srli_epi64(v_, 4), _mm_set1_epi8(0x0f)); \
	} while (0)
#define V_ZERO() _mm_setzero_si128()
#define V_STORE(p, v) _mm_storeu_si128((__m128i *)(p), v)
#define V_STREAM(p, v) _mm_stream_si128((__m128i *)(p), v)
#define MULADD(acc, x, t)                                                                \
	(acc) = _mm_xor_si128(                                                           \
		(acc), _mm_xor_si128(_mm_shuffle_epi8(_mm_load_si128((const __m128i *)(t)), \
						      (x).lo),                           \
				     _mm_shuffle_epi8(                                   \
					     _mm_load_si128((const __m128i *)((t) + 16)), (x).hi)))
#include "gf_kernel.h"
size_t ec_gf_run_ssse3(const struct ec_gf_plan *p, const uint8_t *const *in, uint8_t *const *out,
		    size_t len)
{
	return ec_gf_ssse3_run(p, in, out, len);
}
#pragma GCC pop_options

/* ---- AVX2 --------------------------------------------------------------- */
#pragma GCC push_options
#pragma GCC target("avx2")
struct nib256 {
	__m256i lo, hi;
};
static inline __m256i bcast128(const uint8_t *t)
{
	return _mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)t));
}
#define KFN(x) ec_gf_avx2_##x
#define VEC __m256i
#define WIDTH 32
#define GMAX 4
#define STRIDE 32
#define XIN struct nib256
#define PREP(x, p)                                                                        \
	do {                                                                              \
		__m256i v_ = _mm256_loadu_si256((const __m256i *)(p));                    \
		(x).lo = _mm256_and_si256(v_, _mm256_set1_epi8(0x0f));                    \
		(x).hi = _mm256_and_si256(_mm256_srli_epi64(v_, 4), _mm256_set1_epi8(0x0f)); \
	} while (0)
#define V_ZERO() _mm256_setzero_si256()
#define V_STORE(p, v) _mm256_storeu_si256((__m256i *)(p), v)
#define V_STREAM(p, v) _mm256_stream_si256((__m256i *)(p), v)
#define MULADD(acc, x, t)                                                            \
	(acc) = _mm256_xor_si256((acc),                                              \
				 _mm256_xor_si256(_mm256_shuffle_epi8(bcast128(t), (x).lo), \
						  _mm256_shuffle_epi8(bcast128((t) + 16), (x).hi)))
#include "gf_kernel.h"
size_t ec_gf_run_avx2(const struct ec_gf_plan *p, const uint8_t *const *in, uint8_t *const *out,
		   size_t len)
{
	return ec_gf_avx2_run(p, in, out, len);
}
#pragma GCC pop_options

/* ---- AVX-512BW ---------------------------------------------------------- */
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw")
struct nib512 {
	__m512i lo, hi;
};
static inline __m512i bcast128x4(const uint8_t *t)
{
	return _mm512_broadcast_i32x4(_mm_load_si128((const __m128i *)t));
}
#define KFN(x) ec_gf_avx512_##x
#define VEC __m512i
#define WIDTH 64
#define GMAX 8
#define STRIDE 32
#define XIN struct nib512
#define PREP(x, p)                                                                        \
	do {                                                                              \
		__m512i v_ = _mm512_loadu_si512((const void *)(p));                       \
		(x).lo = _mm512_and_si512(v_, _mm512_set1_epi8(0x0f));                    \
		(x).hi = _mm512_and_si512(_mm512_srli_epi64(v_, 4), _mm512_set1_epi8(0x0f)); \
	} while (0)
#define V_ZERO() _mm512_setzero_si512()
#define V_STORE(p, v) _mm512_storeu_si512((void *)(p), v)
#define V_STREAM(p, v) _mm512_stream_si512((void *)(p), v)
/* 0x96 is a three-way XOR in one instruction */
#define MULADD(acc, x, t)                                                                 \
	(acc) = _mm512_ternarylogic_epi64((acc), _mm512_shuffle_epi8(bcast128x4(t), (x).lo), \
					  _mm512_shuffle_epi8(bcast128x4((t) + 16), (x).hi), 0x96)
#include "gf_kernel.h"
size_t ec_gf_run_avx512(const struct ec_gf_plan *p, const uint8_t *const *in, uint8_t *const *out,
		     size_t len)
{
	return ec_gf_avx512_run(p, in, out, len);
}
#pragma GCC pop_options

/* ---- GFNI with AVX2 ------------------------------------------------------ */
#pragma GCC push_options
#pragma GCC target("gfni,avx2")
#define KFN(x) ec_gf_gfni256_##x
#define VEC __m256i
#define WIDTH 32
#define GMAX 8
#define STRIDE 8
#define XIN __m256i
#define PREP(x, p) ((x) = _mm256_loadu_si256((const __m256i *)(p)))
#define V_ZERO() _mm256_setzero_si256()
#define V_STORE(p, v) _mm256_storeu_si256((__m256i *)(p), v)
#define V_STREAM(p, v) _mm256_stream_si256((__m256i *)(p), v)
#define MULADD(acc, x, t)                                                                  \
	(acc) = _mm256_xor_si256((acc), _mm256_gf2p8affine_epi64_epi8(                       \
						(x), _mm256_set1_epi64x((long long)load_u64(t)), 0))
#include "gf_kernel.h"
size_t ec_gf_run_gfni_avx2(const struct ec_gf_plan *p, const uint8_t *const *in, uint8_t *const *out,
			size_t len)
{
	return ec_gf_gfni256_run(p, in, out, len);
}
#pragma GCC pop_options

/* ---- GFNI with AVX-512 ---------------------------------------------------- */
#pragma GCC push_options
#pragma GCC target("gfni,avx512f,avx512bw")
enum { GF_FIXED_NIN = 10 };
#define KFN(x) ec_gf_gfni512_##x
#define VEC __m512i
#define WIDTH 64
#define GMAX 8
#define STRIDE 8
#define XIN __m512i
#define PREP(x, p) ((x) = _mm512_loadu_si512((const void *)(p)))
#define V_ZERO() _mm512_setzero_si512()
#define V_STORE(p, v) _mm512_storeu_si512((void *)(p), v)
#define V_STREAM(p, v) _mm512_stream_si512((void *)(p), v)
#define MULADD(acc, x, t)                                                                \
	(acc) = _mm512_xor_si512((acc), _mm512_gf2p8affine_epi64_epi8(                     \
						(x), _mm512_set1_epi64((long long)load_u64(t)), 0))
#include "gf_kernel.h"

/* G outputs of NIN inputs, fully unrolled: the general kernel reloads
 * and broadcasts a matrix for every coefficient and input vector; here
 * the G * NIN matrices are broadcast once per call and kept in registers
 * (those that do not fit in the 32 come back as memory operands of the
 * multiply, no broadcast), each input vector is read once for all G rows
 * and products are summed two at a time (0x96: a three-way XOR). In
 * cache about 1.6x the general kernel's work a second (make bench). */
static inline __m512i gfni512_mul(__m512i x, __m512i m)
{
	return _mm512_gf2p8affine_epi64_epi8(x, m, 0);
}

/* One kernel for both uses, CHECK a compile-time constant: it stores the
 * G products in out, or (CHECK, verify's check of stored parity) compares
 * them with want in registers, nothing stored, and says whether the first
 * len / 64 * 64 bytes all agree. */
static inline __attribute__((always_inline)) bool
gfni512_fixed_k(const struct ec_gf_plan *p, const uint8_t *const *in, uint8_t *const *out,
		const uint8_t *const *want, size_t len, const int G, const int NIN,
		const bool CHECK)
{
	size_t n = len / 64 * 64;
	__m512i m[4 * GF_FIXED_NIN], diff = _mm512_setzero_si512();
	const uint8_t *src[GF_FIXED_NIN], *cmp[4];
	uint8_t *dst[4];
#pragma GCC unroll 40
	for (int c = 0; c < G * NIN; c++)
		m[c] = _mm512_set1_epi64((long long)load_u64(p->tables + 8 * c));
#pragma GCC unroll 16
	for (int j = 0; j < NIN; j++)
		src[j] = in[j];
#pragma GCC unroll 4
	for (int g = 0; g < G; g++) {
		if (CHECK)
			cmp[g] = want[g];
		else
			dst[g] = out[g];
	}
	for (size_t i = 0; i < n; i += 64) {
		__m512i r[4];
		__m512i x0 = _mm512_loadu_si512((const void *)(src[0] + i));
#pragma GCC unroll 4
		for (int g = 0; g < G; g++)
			r[g] = CHECK ? _mm512_xor_si512(gfni512_mul(x0, m[NIN * g]),
							_mm512_loadu_si512((const void *)(cmp[g] + i)))
				     : gfni512_mul(x0, m[NIN * g]);
#pragma GCC unroll 16
		for (int j = 1; j + 1 < NIN; j += 2) {
			x0 = _mm512_loadu_si512((const void *)(src[j] + i));
			__m512i x1 = _mm512_loadu_si512((const void *)(src[j + 1] + i));
#pragma GCC unroll 4
			for (int g = 0; g < G; g++)
				r[g] = _mm512_ternarylogic_epi64(r[g], gfni512_mul(x0, m[NIN * g + j]),
								 gfni512_mul(x1, m[NIN * g + j + 1]), 0x96);
		}
		if (NIN % 2 == 0) {
			x0 = _mm512_loadu_si512((const void *)(src[NIN - 1] + i));
#pragma GCC unroll 4
			for (int g = 0; g < G; g++)
				r[g] = _mm512_xor_si512(r[g], gfni512_mul(x0, m[NIN * g + NIN - 1]));
		}
		if (!CHECK) {
#pragma GCC unroll 4
			for (int g = 0; g < G; g++)
				_mm512_storeu_si512((void *)(dst[g] + i), r[g]);
		} else if (G == 1) { /* 0xfe: a | b | c */
			diff = _mm512_or_si512(diff, r[0]);
		} else if (G == 2) {
			diff = _mm512_ternarylogic_epi64(diff, r[0], r[1], 0xfe);
		} else if (G == 3) {
			diff = _mm512_ternarylogic_epi64(diff, r[0], _mm512_or_si512(r[1], r[2]), 0xfe);
		} else {
			diff = _mm512_ternarylogic_epi64(diff, _mm512_or_si512(r[0], r[1]),
							 _mm512_or_si512(r[2], r[3]), 0xfe);
		}
	}
	return !_mm512_test_epi64_mask(diff, diff);
}

static inline __attribute__((always_inline)) size_t
gfni512_fixed(const struct ec_gf_plan *p, const uint8_t *const *in, uint8_t *const *out,
	      size_t len, const int G, const int NIN)
{
	gfni512_fixed_k(p, in, out, NULL, len, G, NIN, false);
	return len / 64 * 64;
}

static inline __attribute__((always_inline)) bool
gfni512_fixed_check(const struct ec_gf_plan *p, const uint8_t *const *in,
		    const uint8_t *const *want, size_t len, const int G, const int NIN)
{
	return gfni512_fixed_k(p, in, NULL, want, len, G, NIN, true);
}

int ec_gf_check_gfni_avx512(const struct ec_gf_plan *p, const uint8_t *const *in,
			    const uint8_t *const *want, size_t len, size_t *done)
{
	*done = len / 64 * 64;
	if (p->nin != GF_FIXED_NIN)
		return -1;
	switch (p->nout) {
	case 1:
		return gfni512_fixed_check(p, in, want, len, 1, GF_FIXED_NIN);
	case 2:
		return gfni512_fixed_check(p, in, want, len, 2, GF_FIXED_NIN);
	case 3:
		return gfni512_fixed_check(p, in, want, len, 3, GF_FIXED_NIN);
	case 4:
		return gfni512_fixed_check(p, in, want, len, 4, GF_FIXED_NIN);
	}
	return -1;
}

size_t ec_gf_run_gfni_avx512(const struct ec_gf_plan *p, const uint8_t *const *in,
			  uint8_t *const *out, size_t len)
{
	/* SeaweedFS's 10 data shards, up to 4 outputs: every operation of
	 * the default 10+4 (encode, verify, rebuild, decode). Runs long enough
	 * to stream stay with the general kernel. */
	if (p->nin == GF_FIXED_NIN && len < GF_STREAM_MIN)
		switch (p->nout) {
		case 1:
			return gfni512_fixed(p, in, out, len, 1, GF_FIXED_NIN);
		case 2:
			return gfni512_fixed(p, in, out, len, 2, GF_FIXED_NIN);
		case 3:
			return gfni512_fixed(p, in, out, len, 3, GF_FIXED_NIN);
		case 4:
			return gfni512_fixed(p, in, out, len, 4, GF_FIXED_NIN);
		}
	return ec_gf_gfni512_run(p, in, out, len);
}
#pragma GCC pop_options

#endif
