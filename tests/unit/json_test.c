/* The strict parser: RFC 8259 and nothing else; the writer: always valid. */
#include "json.h"
#include "test.h"

#include <unistd.h>

static struct json *parse(const char *s, char *err, size_t errlen)
{
	return json_parse(s, strlen(s), JSON_DEFAULT_DEPTH, err, errlen);
}

static void reject(const char *s, const char *why_contains, int line)
{
	char err[256];
	struct json *j = parse(s, err, sizeof(err));
	if (j) {
		json_free(j);
		test_fail(__FILE__, line, "accepted invalid JSON: %s", s);
	}
	if (why_contains && !strstr(err, why_contains))
		test_fail(__FILE__, line, "error for %s was \"%s\", wanted \"%s\"", s, err,
			  why_contains);
}
#define REJECT(s, why) reject(s, why, __LINE__)

TEST(json_parses_values)
{
	char err[256];
	struct json *j = parse(" {\"a\": [1, -2, 3.5e2, true, false, null, \"x\\n\\u00e9\\ud83d\\ude00\"],"
			       " \"b\": {\"c\": \"\"}} ",
			       err, sizeof(err));
	CHECK(j);
	const struct json *a = json_get(j, "a");
	CHECK(a && a->type == JSON_ARRAY && a->arr.n == 7);
	uint64_t u;
	int64_t i;
	CHECK(json_u64(&a->arr.v[0], &u) && u == 1);
	CHECK(json_i64(&a->arr.v[1], &i) && i == -2);
	CHECK(!json_u64(&a->arr.v[1], &u));
	CHECK(a->arr.v[2].type == JSON_NUMBER && a->arr.v[2].num.d == 350.0 &&
	      !a->arr.v[2].num.exact);
	bool b;
	CHECK(json_bool(&a->arr.v[3], &b) && b);
	CHECK(a->arr.v[5].type == JSON_NULL);
	CHECK_STR(json_string(&a->arr.v[6]), "x\n\xc3\xa9\xf0\x9f\x98\x80");
	CHECK_STR(json_string(json_get(json_get(j, "b"), "c")), "");
	CHECK(json_get(j, "missing") == NULL);
	json_free(j);
}

TEST(json_64bit_integers_exact)
{
	char err[256];
	struct json *j = parse("[18446744073709551615, -9223372036854775808, 9223372036854775807,"
			       " 18446744073709551616, -9223372036854775809, -0]",
			       err, sizeof(err));
	CHECK(j);
	uint64_t u;
	int64_t i;
	CHECK(json_u64(&j->arr.v[0], &u) && u == UINT64_MAX);
	CHECK(!json_i64(&j->arr.v[0], &i));
	CHECK(json_i64(&j->arr.v[1], &i) && i == INT64_MIN);
	CHECK(json_i64(&j->arr.v[2], &i) && i == INT64_MAX);
	CHECK(json_u64(&j->arr.v[2], &u) && u == INT64_MAX);
	CHECK(!json_u64(&j->arr.v[3], &u) && !json_i64(&j->arr.v[3], &i));
	CHECK(!json_i64(&j->arr.v[4], &i));
	CHECK(json_u64(&j->arr.v[5], &u) && u == 0);
	json_free(j);
}

TEST(json_string_with_nul)
{
	char err[256];
	struct json *j = parse("\"a\\u0000b\"", err, sizeof(err));
	CHECK(j && j->type == JSON_STRING && j->str.len == 3 && !memcmp(j->str.s, "a\0b", 3));
	json_free(j);
}

TEST(json_rejects)
{
	REJECT("", "end of input");
	REJECT("[1,]", NULL);
	REJECT("{\"a\":1,}", "key");
	REJECT("[01]", "leading zero");
	REJECT("[1.]", "fraction");
	REJECT("[1e]", "exponent");
	REJECT("[.5]", NULL);
	REJECT("[+1]", NULL);
	REJECT("{a:1}", "key");
	REJECT("{\"a\" 1}", "':'");
	REJECT("{\"a\":1,\"a\":2}", "duplicate");
	REJECT("[1] x", "trailing");
	REJECT("[\"tab\there\"]", "control");
	REJECT("\"\\x\"", "escape");
	REJECT("\"\\ud800\"", "surrogate");
	REJECT("\"\\udc00\"", "surrogate");
	REJECT("\"\\ud800\\u0041\"", "surrogate");
	REJECT("\"\xc0\xaf\"", "UTF-8");      /* overlong '/' */
	REJECT("\"\xed\xa0\x80\"", "UTF-8");  /* encoded surrogate */
	REJECT("\"\xf4\x90\x80\x80\"", "UTF-8"); /* past U+10FFFF */
	REJECT("\"\xe2\x82\"", "UTF-8");      /* truncated */
	REJECT("tru", "literal");
	REJECT("NaN", NULL);
	REJECT("\"unterminated", "unterminated");
	REJECT("[1, 2", "unterminated");
}

/* Duplicate keys anywhere in an object, and objects too large for a
 * quadratic check to finish: 200000 keys must parse in well under the
 * alarm (the old pairwise check took minutes). */
TEST(json_duplicate_keys_in_large_objects)
{
	REJECT("{\"a\":1,\"b\":2,\"c\":3,\"b\":4}", "duplicate key \"b\"");
	char err[256];
	struct json *j = parse("{\"a\":1,\"a\\u0000\":2,\"b\":3,\"ab\":4}", err, sizeof(err));
	CHECK(j && j->obj.n == 4);
	json_free(j);
	enum { N = 200000 };
	char *s = malloc((size_t)N * 20 + 64);
	size_t o = 0;
	s[o++] = '{';
	for (int i = 0; i < N; i++)
		o += (size_t)sprintf(s + o, "%s\"k%d\":%d", i ? "," : "", i, i);
	s[o++] = '}';
	alarm(10);
	j = json_parse(s, o, JSON_DEFAULT_DEPTH, err, sizeof(err));
	CHECK(j && j->obj.n == N);
	uint64_t u;
	CHECK(json_u64(json_get(j, "k199999"), &u) && u == 199999);
	json_free(j);
	memcpy(s + o - 1, ",\"k7\":0}", 8); /* the same again at the very end */
	j = json_parse(s, o + 7, JSON_DEFAULT_DEPTH, err, sizeof(err));
	CHECK(!j && strstr(err, "duplicate key \"k7\""));
	alarm(0);
	free(s);
}

TEST(json_depth_limit)
{
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	char err[256];
	struct json *j = json_parse(deep, 200, 100, err, sizeof(err));
	CHECK(j);
	json_free(j);
	j = json_parse(deep, 200, 99, err, sizeof(err));
	CHECK(!j && strstr(err, "nesting"));
}

TEST(json_writer_round_trip)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jw w;
	jw_init(&w, f, true);
	jw_obj(&w);
	jw_kstr(&w, "label", "bad\xff utf8 \"quoted\" \\ \n\x01");
	jw_ku64(&w, "big", UINT64_MAX);
	jw_ki64(&w, "neg", INT64_MIN);
	jw_kbool(&w, "yes", true);
	jw_key(&w, "list");
	jw_arr(&w);
	jw_arr_end(&w);
	jw_key(&w, "nested");
	jw_arr(&w);
	jw_obj(&w);
	jw_kstr(&w, "k", NULL);
	jw_obj_end(&w);
	jw_double(&w, 0.5);
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_end(&w);
	fclose(f);
	char err[256];
	struct json *j = json_parse(buf, len, JSON_DEFAULT_DEPTH, err, sizeof(err));
	if (!j)
		test_fail(__FILE__, __LINE__, "writer output does not parse: %s\n%s", err, buf);
	CHECK_STR(json_string(json_get(j, "label")),
		  "bad\xef\xbf\xbd utf8 \"quoted\" \\ \n\x01");
	uint64_t u;
	int64_t i;
	CHECK(json_u64(json_get(j, "big"), &u) && u == UINT64_MAX);
	CHECK(json_i64(json_get(j, "neg"), &i) && i == INT64_MIN);
	CHECK(json_get(j, "list")->arr.n == 0);
	CHECK(json_get(j, "nested")->arr.v[0].obj.m[0].val.type == JSON_NULL);
	json_free(j);
	free(buf);
}

/* jw_json writes a parsed value back byte for byte (compact input): keys
 * holding NUL stay apart from their prefix, integers stay exact. */
TEST(json_value_written_back)
{
	static const char in[] = "{\"a\\u0000b\":1,\"a\":[18446744073709551615,-9223372036854775808,"
				 "0.5,true,null,\"x\\u0000y\"],\"o\":{}}";
	char err[256];
	struct json *j = json_parse(in, strlen(in), JSON_DEFAULT_DEPTH, err, sizeof(err));
	CHECK(j);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jw w;
	jw_init(&w, f, false);
	jw_json(&w, j);
	fclose(f);
	CHECK_STR(buf, in);
	json_free(j);
	free(buf);
}
