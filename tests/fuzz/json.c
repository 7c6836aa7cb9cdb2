/* libFuzzer target: the strict JSON parser must never crash or read out
 * of bounds, and whatever it accepts must survive a write/parse round
 * trip through the writer unchanged: same types, numbers, strings, keys and
 * order, keys holding NUL too (an infinity, which JSON cannot hold, comes
 * back as null). */
#include "json.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* b is what a became through the writer and the parser again. */
static bool same(const struct json *a, const struct json *b)
{
	if (a->type == JSON_NUMBER && !isfinite(a->num.d) && !a->num.exact)
		return b->type == JSON_NULL; /* JSON has no infinity: written as null */
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case JSON_NULL:
		return true;
	case JSON_BOOL:
		return a->b == b->b;
	case JSON_NUMBER:
		if (a->num.exact & JSON_IS_U64)
			return (b->num.exact & JSON_IS_U64) && a->num.u == b->num.u;
		if (a->num.exact & JSON_IS_I64)
			return (b->num.exact & JSON_IS_I64) && a->num.i == b->num.i;
		return a->num.d == b->num.d; /* %.17g round-trips a double */
	case JSON_STRING:
		return a->str.len == b->str.len && !memcmp(a->str.s, b->str.s, a->str.len);
	case JSON_ARRAY:
		if (a->arr.n != b->arr.n)
			return false;
		for (size_t i = 0; i < a->arr.n; i++)
			if (!same(&a->arr.v[i], &b->arr.v[i]))
				return false;
		return true;
	case JSON_OBJECT: {
		if (a->obj.n != b->obj.n)
			return false;
		for (size_t i = 0; i < a->obj.n; i++) {
			const struct json_member *x = &a->obj.m[i], *y = &b->obj.m[i];
			if (x->keylen != y->keylen || memcmp(x->key, y->key, x->keylen) ||
			    !same(&x->val, &y->val))
				return false;
		}
		return true;
	}
	}
	return false;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char err[128];
	struct json *j = json_parse((const char *)data, size, 24, err, sizeof(err));
	if (!j)
		return 0;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	struct jw w;
	jw_init(&w, f, size & 1);
	jw_json(&w, j);
	jw_end(&w);
	fclose(f);
	/* The writer's output must be valid JSON that the parser accepts. */
	struct json *again = json_parse(out, outlen, 24 + 1, err, sizeof(err));
	if (!again || !same(j, again))
		abort();
	json_free(again);
	json_free(j);
	free(out);
	return 0;
}
