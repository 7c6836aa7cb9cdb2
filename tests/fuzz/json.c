/* libFuzzer target: the strict JSON parser must never crash or read out
 * of bounds, and whatever it accepts must survive a write/parse round
 * trip through the writer unchanged in shape. */
#include "json.h"

#include <stdlib.h>
#include <string.h>

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
			/* keys with NUL cannot pass through jw_key's C string */
			if (strlen(j->obj.m[i].key) != j->obj.m[i].keylen)
				continue;
			jw_key(w, j->obj.m[i].key);
			emit(w, &j->obj.m[i].val);
		}
		jw_obj_end(w);
		break;
	}
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
	if (!again)
		abort();
	json_free(again);
	json_free(j);
	free(out);
	return 0;
}
