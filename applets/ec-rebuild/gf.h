/* gf.h - GF(2^8) with polynomial 0x11D, and the multiply-accumulate
 * engine that every Reed-Solomon operation of ec-rebuild reduces to:
 *
 *   out[r][x] = XOR over j of coef[r][j] * in[j][x]
 *
 * A plan holds one coefficient matrix expanded into the tables of one
 * kernel (scalar, SSSE3, AVX2, AVX-512BW nibble tables, or GFNI affine
 * matrices). Every kernel gives the same bytes as the scalar one.
 */
#ifndef EC_GF_H
#define EC_GF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GF_MAX_SHARDS 32

uint8_t ec_gf_mul(uint8_t a, uint8_t b);
uint8_t ec_gf_inv(uint8_t a); /* a != 0 */
uint8_t ec_gf_pow(uint8_t a, unsigned n); /* a^n, with 0^0 = 1 */

enum ec_gf_kernel {
	GF_SCALAR,
	GF_SSSE3,
	GF_AVX2,
	GF_AVX512,   /* AVX-512BW nibble tables */
	GF_GFNI_AVX2,
	GF_GFNI_AVX512,
	GF_KERNELS,
	GF_AUTO = GF_KERNELS,
};

const char *ec_gf_kernel_name(enum ec_gf_kernel k);
bool ec_gf_kernel_usable(enum ec_gf_kernel k);
/* The fastest usable kernel (BLOCKBOX_CPU_MASK can hide features). */
enum ec_gf_kernel ec_gf_kernel_best(void);

struct ec_gf_plan {
	int nin, nout;
	enum ec_gf_kernel kernel;
	uint8_t coef[GF_MAX_SHARDS * GF_MAX_SHARDS]; /* nout x nin, row major */
	uint8_t *tables; /* kernel-specific, 64-byte aligned */
};

/* coef is nout x nin. Returns 0, or -1 (errno) out of memory. */
int ec_gf_plan_init(struct ec_gf_plan *p, const uint8_t *coef, int nout, int nin, enum ec_gf_kernel k);
void ec_gf_plan_free(struct ec_gf_plan *p);
/* Any pointers and any len; out buffers must not overlap the inputs. */
void ec_gf_plan_run(const struct ec_gf_plan *p, const uint8_t *const *in, uint8_t *const *out,
		 size_t len);

/* Does the plan's output equal want[0..nout), len bytes each? out (nout
 * buffers of len) may be used as scratch and is left undefined: a kernel
 * that can compares in registers and stores nothing (GFNI AVX-512, 10
 * inputs: verify's 10+4), the others compute into out and compare. */
bool ec_gf_plan_check(const struct ec_gf_plan *p, const uint8_t *const *in,
		      const uint8_t *const *want, uint8_t *const *out, size_t len);

/* Output runs at least this long bypass the caches (when aligned): they
 * could not stay cached anyway, and skipping the read-for-ownership of
 * every output line saves memory bandwidth. */
#define GF_STREAM_MIN (8u << 20)

/* ---- kernels (gf_x86.c); each handles len rounded down to its width and
 * returns how many bytes it did, the caller finishing the tail. ---- */
size_t ec_gf_run_ssse3(const struct ec_gf_plan *p, const uint8_t *const *in, uint8_t *const *out,
		    size_t len);
size_t ec_gf_run_avx2(const struct ec_gf_plan *p, const uint8_t *const *in, uint8_t *const *out,
		   size_t len);
size_t ec_gf_run_avx512(const struct ec_gf_plan *p, const uint8_t *const *in, uint8_t *const *out,
		     size_t len);
size_t ec_gf_run_gfni_avx2(const struct ec_gf_plan *p, const uint8_t *const *in, uint8_t *const *out,
			size_t len);
size_t ec_gf_run_gfni_avx512(const struct ec_gf_plan *p, const uint8_t *const *in,
			  uint8_t *const *out, size_t len);

/* ec_gf_plan_check's: 1 when the first *done bytes agree, 0 when not,
 * -1 when it has no kernel for the plan's shape. */
int ec_gf_check_gfni_avx512(const struct ec_gf_plan *p, const uint8_t *const *in,
			    const uint8_t *const *want, size_t len, size_t *done);

/* The 8x8 bit matrix of "multiply by c" in GF2P8AFFINEQB's layout. */
uint64_t ec_gf_affine_matrix(uint8_t c);

#endif
