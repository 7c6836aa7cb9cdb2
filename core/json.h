/* json.h - a streaming JSON writer and a strict parser.
 *
 * The writer produces valid JSON whatever bytes it is given (invalid UTF-8
 * in a label becomes U+FFFD). The parser accepts exactly RFC 8259: UTF-8
 * only, no trailing commas or junk, no duplicate keys, a nesting limit, and
 * integers up to 64 bits kept exact.
 */
#ifndef BB_JSON_H
#define BB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 32

struct jw {
	FILE *f;
	int depth;
	bool pretty;
	bool want_comma[JW_MAX_DEPTH + 1];
	bool after_key;
};

void jw_init(struct jw *w, FILE *f, bool pretty);
/* Has any document been begun on stdout (so that nothing else may be)? */
bool jw_stdout_used(void);
void jw_obj(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_keyn(struct jw *w, const char *key, size_t n);
void jw_str(struct jw *w, const char *s);
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_u64(struct jw *w, uint64_t v);
void jw_i64(struct jw *w, int64_t v);
void jw_double(struct jw *w, double v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* One value that is already JSON text (a document built once and served
 * many times); the caller vouches for it. */
void jw_raw(struct jw *w, const char *json, size_t n);
/* Finish the document with a newline. */
void jw_end(struct jw *w);

/* key + value in one call */
static inline void jw_kstr(struct jw *w, const char *k, const char *v)
{
	jw_key(w, k);
	if (v)
		jw_str(w, v);
	else
		jw_null(w);
}
static inline void jw_ku64(struct jw *w, const char *k, uint64_t v)
{
	jw_key(w, k);
	jw_u64(w, v);
}
static inline void jw_ki64(struct jw *w, const char *k, int64_t v)
{
	jw_key(w, k);
	jw_i64(w, v);
}
static inline void jw_kbool(struct jw *w, const char *k, bool v)
{
	jw_key(w, k);
	jw_bool(w, v);
}

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

/* Which exact integer forms a number has (both when 0 <= v <= INT64_MAX). */
enum { JSON_IS_U64 = 1, JSON_IS_I64 = 2 };

struct json_member;

struct json {
	enum json_type type;
	union {
		bool b;
		struct {
			double d;
			uint64_t u;
			int64_t i;
			unsigned exact; /* JSON_IS_U64 | JSON_IS_I64 */
		} num;
		struct {
			char *s; /* NUL-terminated; may hold "\u0000", so use len */
			size_t len;
		} str;
		struct {
			struct json *v;
			size_t n;
		} arr;
		struct {
			struct json_member *m;
			size_t n;
		} obj;
	};
};

struct json_member {
	char *key;
	size_t keylen;
	struct json val;
};

#define JSON_DEFAULT_DEPTH 64

/* Write a parsed value back (integers exact, keys and strings by length,
 * so NUL bytes survive as \u0000). */
void jw_json(struct jw *w, const struct json *j);

/* Parse text[0..len). Returns a tree to json_free(), or NULL with a message
 * ("byte 17: expected ':'") in err. */
struct json *json_parse(const char *text, size_t len, int max_depth, char *err, size_t errlen);
void json_free(struct json *j);

/* Lookups that tolerate NULL and wrong types, returning NULL / false. */
const struct json *json_get(const struct json *obj, const char *key);
const char *json_string(const struct json *j); /* NULL unless a string */
bool json_u64(const struct json *j, uint64_t *out);
bool json_i64(const struct json *j, int64_t *out);
bool json_bool(const struct json *j, bool *out);

#endif
