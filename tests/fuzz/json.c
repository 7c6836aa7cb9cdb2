/* libFuzzer target: the strict JSON parser must never crash or read out
 * of bounds, and whatever it accepts must survive a write/parse round
 * trip through the writer unchanged: same types, numbers, strings, keys and
 * order (an infinity, which JSON cannot hold, comes back as null). */
#include "json.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Keys holding NUL cannot pass through jw_key's C string; emit skips them. */
static bool nul_key(const struct json_member *m) { return strlen(m->key) != m->keylen; }

static void emit(struct jw *w, const struct json *j)
{
	switch (j->type) {
	case JSON_NULL:
		jw_null(w);
		break;
	case JSON_BOOL:
		jw_bool(w, j->b);
		break;
	case JSON_NUMBER:
		if (j->num.exact & JSON_IS_U64)
			jw_u64(w, j->num.u);
		else if (j->num.exact & JSON_IS_I64)
			jw_i64(w, j->num.i);
		else
			jw_double(w, j->num.d);
		break;
	case JSON_STRING:
		jw_strn(w, j->str.s, j->str.len);
		break;
	case JSON_ARRAY:
		jw_arr(w);
		for (size_t i = 0; i < j->arr.n; i++)
			emit(w, &j->arr.v[i]);
		jw_arr_end(w);
		break;
	case JSON_OBJECT:
		jw_obj(w);
		for (size_t i = 0; i < j->obj.n; i++) {
			if (nul_key(&j->obj.m[i]))
				continue;
			jw_key(w, j->obj.m[i].key);
			emit(w, &j->obj.m[i].val);
		}
		jw_obj_end(w);
		break;
	}
}

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
		size_t k = 0;
		for (size_t i = 0; i < a->obj.n; i++) {
			if (nul_key(&a->obj.m[i]))
				continue;
			if (k >= b->obj.n || strcmp(a->obj.m[i].key, b->obj.m[k].key) ||
			    !same(&a->obj.m[i].val, &b->obj.m[k].val))
				return false;
			k++;
		}
		return k == b->obj.n;
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
	emit(&w, j);
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
