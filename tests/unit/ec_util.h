/* ec_util.h - ec-rebuild's commands as the applet runs them: each with a
 * result, rendered as JSON (so the renderer runs under the sanitizers
 * too) and read back by core's strict parser, which refuses what a
 * consumer would choke on (a key given twice, say), then dropped. */
#ifndef TEST_EC_UTIL_H
#define TEST_EC_UTIL_H

#include "../../applets/ec-rebuild/ec.h"
#include "json.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

/* The seeded generator (xorshift) every ec test draws from; a test
 * seeds ec_test_rng (never 0) per case to replay it. */
static uint64_t ec_test_rng __attribute__((unused)) = 0x9e3779b97f4a7c15ull;
static inline uint32_t ec_test_rnd(uint32_t n)
{
	ec_test_rng ^= ec_test_rng << 13;
	ec_test_rng ^= ec_test_rng >> 7;
	ec_test_rng ^= ec_test_rng << 17;
	return (uint32_t)((ec_test_rng >> 16) % n);
}

/* Small blocks, so that a few MiB of .dat make rows of both kinds. */
static const struct ec_opts ec_test_tiny __attribute__((unused)) = {
	.large = 4096, .small = 512, .threads = 1, .memory = 1 << 20, .kernel = GF_AUTO,
};

typedef int (*ec_test_cmd)(struct ec_vol *, const struct ec_opts *, struct ec_result *);

static inline void ec_test_render(const struct ec_result *r)
{
	char *text = NULL, why[160];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct jw w;
	if (!f)
		return;
	jw_init(&w, f, false);
	ec_render(r, &w);
	fclose(f);
	struct json *j = json_parse(text, len, 64, why, sizeof(why));
	if (!j)
		test_fail(__FILE__, __LINE__, "ec-rebuild --json: %s", why);
	json_free(j);
	free(text);
}

static inline int ec_test_encode(const char *base, const struct ec_opts *o)
{
	struct ec_result *r = ec_result_new(EC_CMD_ENCODE, base);
	int rc = r ? ec_encode(base, o, r) : -1;
	if (r)
		r->rc = rc;
	if (r)
		ec_test_render(r);
	ec_result_free(r);
	return rc;
}

/* cmd on the loaded volume v. */
static inline int ec_test_cmd_on(ec_test_cmd cmd, enum ec_cmd which, struct ec_vol *v,
				 const struct ec_opts *o)
{
	struct ec_result *r = ec_result_new(which, v->base);
	if (!r)
		return -1;
	r->v = v;
	r->rc = cmd(v, o, r);
	ec_test_render(r);
	int rc = r->rc;
	ec_result_free(r);
	return rc;
}

#endif
