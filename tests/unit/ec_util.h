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
