/* gf.c - GF(2^8) arithmetic, coefficient plans and the portable kernel.
 *
 * The field is the one klauspost/reedsolomon, ISA-L and SeaweedFS use:
 * polynomial x^8+x^4+x^3+x^2+1 (0x11D), generator 2. Multiplication is
 * done bit by bit here; it is only used to build tables and matrices, so
 * no global log/exp tables are needed.
 */
#include "gf.h"
#include "mem.h"
#include "cpu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint8_t ec_gf_mul(uint8_t a, uint8_t b)
{
	unsigned x = a, r = 0;
	while (b) {
		if (b & 1)
			r ^= x;
		b >>= 1;
		x <<= 1;
		if (x & 0x100)
			x ^= 0x11d;
	}
	return (uint8_t)r;
}

uint8_t ec_gf_pow(uint8_t a, unsigned n)
{
	uint8_t r = 1;
	while (n) {
		if (n & 1)
			r = ec_gf_mul(r, a);
		a = ec_gf_mul(a, a);
		n >>= 1;
	}
	return r;
}

/* The multiplicative group has order 255, so a^254 = a^-1. */
uint8_t ec_gf_inv(uint8_t a) { return ec_gf_pow(a, 254); }

uint64_t ec_gf_affine_matrix(uint8_t c)
{
	/* Row i (for result bit i) sits in byte 7-i and says which input bits
	 * feed that bit: bit j is set when c*2^j has bit i set. */
	uint64_t m = 0;
	for (int i = 0; i < 8; i++) {
		uint8_t row = 0;
		for (int j = 0; j < 8; j++)
			row |= (uint8_t)(((ec_gf_mul(c, (uint8_t)(1u << j)) >> i) & 1) << j);
		m |= (uint64_t)row << (8 * (7 - i));
	}
	return m;
}

/* ---- kernel choice ------------------------------------------------------- */

static const char *const kernel_names[GF_KERNELS] = {
	[GF_SCALAR] = "scalar",
	[GF_SSSE3] = "ssse3",
	[GF_AVX2] = "avx2",
	[GF_AVX512] = "avx512",
	[GF_GFNI_AVX2] = "gfni-avx2",
	[GF_GFNI_AVX512] = "gfni-avx512",
};

const char *ec_gf_kernel_name(enum ec_gf_kernel k)
{
	return k < GF_KERNELS ? kernel_names[k] : "auto";
}

bool ec_gf_kernel_usable(enum ec_gf_kernel k)
{
#if defined(__x86_64__)
	switch (k) {
	case GF_SCALAR:
		return true;
	case GF_SSSE3:
		return cpu_has(CPU_SSSE3);
	case GF_AVX2:
		return cpu_has(CPU_AVX2);
	case GF_AVX512:
		return cpu_has(CPU_AVX512BW);
	case GF_GFNI_AVX2:
		return cpu_has(CPU_GFNI | CPU_AVX2);
	case GF_GFNI_AVX512:
		return cpu_has(CPU_GFNI | CPU_AVX512BW);
	default:
		return false;
	}
#else
	return k == GF_SCALAR;
#endif
}

enum ec_gf_kernel ec_gf_kernel_best(void)
{
	/* Measured in `make bench`: GFNI does one instruction per coefficient
	 * where the nibble method needs five, and wider is better on memory
	 * bound loops only while the loads keep up. */
	static const enum ec_gf_kernel order[] = { GF_GFNI_AVX512, GF_GFNI_AVX2, GF_AVX512,
						GF_AVX2, GF_SSSE3 };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (ec_gf_kernel_usable(order[i]))
			return order[i];
	return GF_SCALAR;
}

/* ---- plans ------------------------------------------------------------------ */

/* Bytes of table per coefficient, per kernel. */
static size_t table_stride(enum ec_gf_kernel k)
{
	switch (k) {
	case GF_SCALAR:
		return 256; /* the whole product row */
	case GF_GFNI_AVX2:
	case GF_GFNI_AVX512:
		return 8; /* one affine matrix */
	default:
		return 32; /* products of the low nibble, then of the high nibble */
	}
}

static void fill_table(enum ec_gf_kernel k, uint8_t c, uint8_t *t)
{
	switch (k) {
	case GF_SCALAR:
		for (unsigned x = 0; x < 256; x++)
			t[x] = ec_gf_mul(c, (uint8_t)x);
		break;
	case GF_GFNI_AVX2:
	case GF_GFNI_AVX512: {
		uint64_t m = ec_gf_affine_matrix(c);
		memcpy(t, &m, 8); /* the instruction reads it in host order */
		break;
	}
	default:
		for (unsigned x = 0; x < 16; x++) {
			t[x] = ec_gf_mul(c, (uint8_t)x);
			t[16 + x] = ec_gf_mul(c, (uint8_t)(x << 4));
		}
		break;
	}
}

int ec_gf_plan_init(struct ec_gf_plan *p, const uint8_t *coef, int nout, int nin, enum ec_gf_kernel k)
{
	memset(p, 0, sizeof(*p));
	if (nin < 1 || nout < 0 || nin > GF_MAX_SHARDS || nout > GF_MAX_SHARDS) {
		errno = EINVAL;
		return -1;
	}
	if (k == GF_AUTO)
		k = ec_gf_kernel_best();
	if (!ec_gf_kernel_usable(k)) {
		errno = ENOTSUP;
		return -1;
	}
	p->nin = nin;
	p->nout = nout;
	p->kernel = k;
	memcpy(p->coef, coef, (size_t)nin * (size_t)nout);
	size_t stride = table_stride(k), n = (size_t)nin * (size_t)nout;
	p->tables = aligned_alloc(64, n ? (n * stride + 63) / 64 * 64 : 64);
	if (!p->tables)
		return -1;
	for (size_t i = 0; i < n; i++)
		fill_table(k, p->coef[i], p->tables + i * stride);
	return 0;
}

void ec_gf_plan_free(struct ec_gf_plan *p)
{
	free(p->tables);
	p->tables = NULL;
}

/* The portable kernel: one table lookup per byte and coefficient. Output
 * rows are done in column blocks so the inputs stay in cache. */
static void run_scalar(const struct ec_gf_plan *p, const uint8_t *const *in, uint8_t *const *out,
		       size_t off, size_t len)
{
	enum { BLOCK = 4096 };
	for (size_t b = off; b < off + len; b += BLOCK) {
		size_t n = off + len - b < BLOCK ? off + len - b : BLOCK;
		for (int r = 0; r < p->nout; r++) {
			uint8_t *o = out[r] + b;
			const uint8_t *t = p->tables + (size_t)r * (size_t)p->nin * 256;
			const uint8_t *x = in[0] + b;
			for (size_t i = 0; i < n; i++)
				o[i] = t[x[i]];
			for (int j = 1; j < p->nin; j++) {
				t += 256;
				x = in[j] + b;
				for (size_t i = 0; i < n; i++)
					o[i] ^= t[x[i]];
			}
		}
	}
}

/* Bytes the SIMD kernels leave over, done with ec_gf_mul on the coefficients. */
static void run_tail(const struct ec_gf_plan *p, const uint8_t *const *in, uint8_t *const *out,
		     size_t off, size_t len)
{
	for (int r = 0; r < p->nout; r++) {
		const uint8_t *c = p->coef + (size_t)r * (size_t)p->nin;
		for (size_t i = off; i < off + len; i++) {
			uint8_t acc = 0;
			for (int j = 0; j < p->nin; j++)
				acc ^= ec_gf_mul(c[j], in[j][i]);
			out[r][i] = acc;
		}
	}
}

void ec_gf_plan_run(const struct ec_gf_plan *p, const uint8_t *const *in, uint8_t *const *out,
		 size_t len)
{
	size_t done = 0;
	if (!p->nout || !len)
		return;
	switch (p->kernel) {
#if defined(__x86_64__)
	case GF_SSSE3:
		done = ec_gf_run_ssse3(p, in, out, len);
		break;
	case GF_AVX2:
		done = ec_gf_run_avx2(p, in, out, len);
		break;
	case GF_AVX512:
		done = ec_gf_run_avx512(p, in, out, len);
		break;
	case GF_GFNI_AVX2:
		done = ec_gf_run_gfni_avx2(p, in, out, len);
		break;
	case GF_GFNI_AVX512:
		done = ec_gf_run_gfni_avx512(p, in, out, len);
		break;
#endif
	default:
		run_scalar(p, in, out, 0, len);
		return;
	}
	if (done < len)
		run_tail(p, in, out, done, len - done);
}

bool ec_gf_plan_check(const struct ec_gf_plan *p, const uint8_t *const *in,
		      const uint8_t *const *want, uint8_t *const *out, size_t len)
{
	const uint8_t *rin[GF_MAX_SHARDS];
	uint8_t *rout[GF_MAX_SHARDS];
	size_t done = 0;
#if defined(__x86_64__)
	if (p->kernel == GF_GFNI_AVX512) {
		int rc = ec_gf_check_gfni_avx512(p, in, want, len, &done);
		if (rc == 0)
			return false;
		if (rc < 0)
			done = 0;
	}
#endif
	if (done == len)
		return true;
	/* the rest (all of it, or a tail under a vector) computed, then compared */
	for (int j = 0; j < p->nin; j++)
		rin[j] = in[j] + done;
	for (int r = 0; r < p->nout; r++)
		rout[r] = out[r] + done;
	ec_gf_plan_run(p, rin, rout, len - done);
	for (int r = 0; r < p->nout; r++)
		if (!mem_equal(rout[r], want[r] + done, len - done))
			return false;
	return true;
}
