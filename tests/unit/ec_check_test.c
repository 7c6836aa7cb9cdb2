/* ec_gf_plan_check, verify's parity check: for every usable kernel and
 * every output count of 10+4 (and a shape no fixed kernel has), the
 * answer ec_gf_plan_run and a byte compare give: equal when want is the
 * plan's output, and not equal with any one byte of any row changed, at
 * the first and last byte, at a vector's edges and in the tail under a
 * vector, at lengths around the vector widths. */
#include "../../applets/ec-rebuild/gf.h"
#include "test.h"
#include "ec_util.h"

#include <stdlib.h>
#include <string.h>

static void check_case(enum ec_gf_kernel k, int nin, int nout, size_t len)
{
	uint8_t coef[GF_MAX_SHARDS * GF_MAX_SHARDS];
	uint8_t *in[GF_MAX_SHARDS], *want[GF_MAX_SHARDS], *scratch[GF_MAX_SHARDS];
	struct ec_gf_plan p;
	for (int i = 0; i < nin * nout; i++)
		coef[i] = (uint8_t)ec_test_rnd(256);
	CHECK_EQ(ec_gf_plan_init(&p, coef, nout, nin, k), 0);
	for (int j = 0; j < nin; j++) {
		in[j] = malloc(len + 1);
		CHECK(in[j]);
		for (size_t i = 0; i < len; i++)
			in[j][i] = (uint8_t)ec_test_rnd(256);
	}
	for (int r = 0; r < nout; r++) {
		want[r] = malloc(len + 1);
		scratch[r] = malloc(len + 1);
		CHECK(want[r] && scratch[r]);
	}
	ec_gf_plan_run(&p, (const uint8_t *const *)in, want, len);
	if (!ec_gf_plan_check(&p, (const uint8_t *const *)in, (const uint8_t *const *)want,
			      scratch, len))
		test_fail(__FILE__, __LINE__, "%s %dx%d, %zu bytes: the plan's own output differs",
			  ec_gf_kernel_name(k), nout, nin, len);
	size_t at[] = { 0, 1, 63, 64, 65, 127, len / 2, len - 65, len - 64, len - 63, len - 2,
			len - 1 };
	for (size_t a = 0; a < sizeof(at) / sizeof(at[0]) && len; a++) {
		if (at[a] >= len)
			continue;
		int r = (int)ec_test_rnd((uint32_t)nout);
		uint8_t flip = (uint8_t)(1 + ec_test_rnd(255));
		want[r][at[a]] ^= flip;
		if (ec_gf_plan_check(&p, (const uint8_t *const *)in, (const uint8_t *const *)want,
				     scratch, len))
			test_fail(__FILE__, __LINE__,
				  "%s %dx%d, %zu bytes: row %d changed at byte %zu not seen",
				  ec_gf_kernel_name(k), nout, nin, len, r, at[a]);
		want[r][at[a]] ^= flip;
	}
	for (int j = 0; j < nin; j++)
		free(in[j]);
	for (int r = 0; r < nout; r++) {
		free(want[r]);
		free(scratch[r]);
	}
	ec_gf_plan_free(&p);
}

TEST(ec_gf_check_finds_every_changed_byte)
{
	static const size_t lens[] = { 0, 1, 63, 64, 65, 200, 4096, 16384, 16384 + 100 };
	int kernels = 0;
	ec_test_rng = 0x853c49e6748fea9bull;
	for (int k = 0; k < GF_KERNELS; k++) {
		if (!ec_gf_kernel_usable((enum ec_gf_kernel)k))
			continue;
		kernels++;
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			for (int nout = 1; nout <= 4; nout++)
				check_case((enum ec_gf_kernel)k, 10, nout, lens[l]);
			check_case((enum ec_gf_kernel)k, 6, 3, lens[l]);  /* no fixed kernel */
			check_case((enum ec_gf_kernel)k, 10, 5, lens[l]); /* nor here */
		}
	}
	fprintf(stderr, "# parity checks against compares: %d kernels\n", kernels);
}
