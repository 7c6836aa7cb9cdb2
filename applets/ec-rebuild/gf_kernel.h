/* gf_kernel.h - the body of one SIMD multiply-accumulate kernel.
 *
 * gf_x86.c includes this once per instruction set, inside a
 * "#pragma GCC target" region, after defining:
 *   KFN(x)      name of this kernel's functions
 *   VEC, WIDTH  vector type and its bytes
 *   GMAX        output rows kept in registers at once (4 or 8)
 *   STRIDE      table bytes per coefficient (32 nibble tables, 8 affine)
 *   XIN, PREP(x, p)           an input vector as the kernel wants it
 *   V_ZERO(), V_STORE(p, v), V_STREAM(p, v), MULADD(acc, x, t)
 *
 * Each input vector is loaded once and multiplied into up to GMAX output
 * accumulators; G is a constant at each call so the accumulators live in
 * registers. Column blocks keep the inputs in L2 when more than GMAX rows
 * need a second pass. Long runs whose outputs will not stay in cache
 * anyway are stored non-temporally: no read-for-ownership of the output
 * lines, a third less memory traffic for 10+4.
 */

static inline __attribute__((always_inline)) void
KFN(group)(const uint8_t *tab, size_t rowstride, int nin, const uint8_t *const *in,
	   uint8_t *const *out, size_t off, size_t n, const int G, const bool nt)
{
	for (size_t i = off; i < off + n; i += WIDTH) {
		VEC acc[GMAX];
#pragma GCC unroll 8
		for (int g = 0; g < G; g++)
			acc[g] = V_ZERO();
		for (int j = 0; j < nin; j++) {
			XIN x;
			PREP(x, in[j] + i);
			const uint8_t *t = tab + (size_t)j * STRIDE;
#pragma GCC unroll 8
			for (int g = 0; g < G; g++)
				MULADD(acc[g], x, t + (size_t)g * rowstride);
		}
#pragma GCC unroll 8
		for (int g = 0; g < G; g++) {
			if (nt)
				V_STREAM(out[g] + i, acc[g]);
			else
				V_STORE(out[g] + i, acc[g]);
		}
	}
}

size_t KFN(run)(const struct ec_gf_plan *p, const uint8_t *const *in, uint8_t *const *out,
		size_t len)
{
	enum { BLOCK = 16384 };
	size_t n = len / WIDTH * WIDTH;
	size_t rowstride = (size_t)p->nin * STRIDE;
	bool nt = n >= GF_STREAM_MIN;
	for (int r = 0; r < p->nout; r++)
		nt &= (uintptr_t)out[r] % WIDTH == 0;
	for (size_t b = 0; b < n; b += BLOCK) {
		size_t bn = n - b < BLOCK ? n - b : BLOCK;
		for (int r = 0; r < p->nout; r += GMAX) {
			int g = p->nout - r < GMAX ? p->nout - r : GMAX;
			const uint8_t *tab = p->tables + (size_t)r * rowstride;
#define GROUP(c)                                                                   \
	case c:                                                                    \
		if (nt)                                                            \
			KFN(group)(tab, rowstride, p->nin, in, out + r, b, bn, c, true);  \
		else                                                               \
			KFN(group)(tab, rowstride, p->nin, in, out + r, b, bn, c, false); \
		break;
			switch (g) {
				GROUP(1)
				GROUP(2)
				GROUP(3)
				GROUP(4)
#if GMAX > 4
				GROUP(5)
				GROUP(6)
				GROUP(7)
				GROUP(8)
#endif
			}
#undef GROUP
		}
	}
	if (nt)
		_mm_sfence(); /* the streamed lines are visible before we return */
	return n;
}

#undef KFN
#undef VEC
#undef WIDTH
#undef GMAX
#undef STRIDE
#undef XIN
#undef PREP
#undef V_ZERO
#undef V_STORE
#undef V_STREAM
#undef MULADD
