/* json.c - writer and strict recursive-descent parser. */
#include "json.h"
#include "utf8.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	return utf8_decode(s, n, &cp);
}

/* ---- writer ----------------------------------------------------------- */

static bool stdout_used; /* a document was begun on stdout */

bool jw_stdout_used(void) { return stdout_used; }

void jw_init(struct jw *w, FILE *f, bool pretty)
{
	stdout_used |= f == stdout;
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->pretty = pretty;
}

static void indent(struct jw *w)
{
	if (!w->pretty)
		return;
	fputc('\n', w->f);
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->f);
}

/* Separator before a value: comma and indentation, unless after a key. */
static void pre_value(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->want_comma[w->depth])
		fputc(',', w->f);
	if (w->depth)
		indent(w);
	w->want_comma[w->depth] = true;
}

static void open_(struct jw *w, char c)
{
	pre_value(w);
	fputc(c, w->f);
	if (w->depth < JW_MAX_DEPTH)
		w->depth++;
	w->want_comma[w->depth] = false;
}

static void close_(struct jw *w, char c)
{
	bool had = w->want_comma[w->depth];
	if (w->depth)
		w->depth--;
	if (had)
		indent(w);
	fputc(c, w->f);
}

void jw_obj(struct jw *w) { open_(w, '{'); }
void jw_obj_end(struct jw *w) { close_(w, '}'); }
void jw_arr(struct jw *w) { open_(w, '['); }
void jw_arr_end(struct jw *w) { close_(w, ']'); }

/* Bytes that go out as they are: printable ASCII but the two escaped. */
static bool plain(unsigned c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void put_string(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	fputc('"', f);
	for (size_t i = 0; i < n;) {
		/* a run of plain bytes in one write: stdio locks once per call */
		size_t run = i;
		while (run < n && plain(p[run]))
			run++;
		if (run > i) {
			fwrite(p + i, 1, run - i, f);
			i = run;
			continue;
		}
		unsigned c = p[i];
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc((int)c, f);
			i++;
		} else if (c == '\n') {
			fputs("\\n", f), i++;
		} else if (c == '\t') {
			fputs("\\t", f), i++;
		} else if (c == '\r') {
			fputs("\\r", f), i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c), i++;
		} else {
			size_t l = utf8_len(p + i, n - i);
			if (!l) {
				fputs("\\ufffd", f), i++;
			} else {
				fwrite(p + i, 1, l, f);
				i += l;
			}
		}
	}
	fputc('"', f);
}

void jw_keyn(struct jw *w, const char *key, size_t n)
{
	pre_value(w);
	put_string(w->f, key, n);
	fputs(w->pretty ? ": " : ":", w->f);
	w->after_key = true;
}

void jw_key(struct jw *w, const char *key) { jw_keyn(w, key, strlen(key)); }

void jw_strn(struct jw *w, const char *s, size_t n)
{
	pre_value(w);
	put_string(w->f, s, n);
}

void jw_str(struct jw *w, const char *s) { jw_strn(w, s, strlen(s)); }

void jw_u64(struct jw *w, uint64_t v)
{
	pre_value(w);
	fprintf(w->f, "%" PRIu64, v);
}

void jw_i64(struct jw *w, int64_t v)
{
	pre_value(w);
	fprintf(w->f, "%" PRId64, v);
}

void jw_double(struct jw *w, double v)
{
	pre_value(w);
	if (isfinite(v))
		fprintf(w->f, "%.17g", v);
	else
		fputs("null", w->f); /* JSON has no NaN or infinity */
}

void jw_bool(struct jw *w, bool v)
{
	pre_value(w);
	fputs(v ? "true" : "false", w->f);
}

void jw_raw(struct jw *w, const char *json, size_t n)
{
	pre_value(w);
	fwrite(json, 1, n, w->f);
}

void jw_null(struct jw *w)
{
	pre_value(w);
	fputs("null", w->f);
}

void jw_end(struct jw *w) { fputc('\n', w->f); }

void jw_json(struct jw *w, const struct json *j)
{
	switch (j->type) {
	case JSON_NULL:
		jw_null(w);
		break;
	case JSON_BOOL:
		jw_bool(w, j->b);
		break;
	case JSON_NUMBER:
		/* exact integers as they came, not through a double */
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
			jw_json(w, &j->arr.v[i]);
		jw_arr_end(w);
		break;
	case JSON_OBJECT:
		jw_obj(w);
		for (size_t i = 0; i < j->obj.n; i++) {
			/* by length: a key may hold "\u0000" */
			jw_keyn(w, j->obj.m[i].key, j->obj.m[i].keylen);
			jw_json(w, &j->obj.m[i].val);
		}
		jw_obj_end(w);
		break;
	}
}

/* ---- parser ----------------------------------------------------------- */

struct parser {
	const char *s;
	size_t len, pos;
	int depth, max_depth;
	char *err;
	size_t errlen;
};

static bool fail(struct parser *p, const char *fmt, ...)
{
	if (p->err && !p->err[0]) {
		int n = snprintf(p->err, p->errlen, "byte %zu: ", p->pos);
		va_list ap;
		va_start(ap, fmt);
		if (n >= 0 && (size_t)n < p->errlen)
			vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return false;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static bool literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);
	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n))
		return fail(p, "invalid literal");
	p->pos += n;
	return true;
}

static int hex4(const char *s)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* \uXXXX, with a following low surrogate when XXXX is a high one. */
static bool unicode_escape(struct parser *p, char *out, size_t *o)
{
	if (p->len - p->pos < 4)
		return fail(p, "short \\u escape");
	int hi = hex4(p->s + p->pos);
	if (hi < 0)
		return fail(p, "bad \\u escape");
	p->pos += 4;
	unsigned cp = (unsigned)hi;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return fail(p, "lone low surrogate");
	if (hi >= 0xd800 && hi <= 0xdbff) {
		if (p->len - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
			return fail(p, "lone high surrogate");
		int lo = hex4(p->s + p->pos + 2);
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail(p, "bad low surrogate");
		p->pos += 6;
		cp = 0x10000 + (((unsigned)hi - 0xd800) << 10) + ((unsigned)lo - 0xdc00);
	}
	*o += utf8_encode(out + *o, cp);
	return true;
}

static bool parse_string(struct parser *p, char **out, size_t *outlen)
{
	p->pos++; /* opening quote */
	/* Decoded text is never longer than its source. */
	size_t start = p->pos, o = 0;
	size_t end = start;
	while (end < p->len && p->s[end] != '"')
		end += p->s[end] == '\\' ? 2 : 1;
	char *buf = malloc(end - start + 1);
	if (!buf)
		return fail(p, "out of memory");
	while (1) {
		if (p->pos >= p->len) {
			free(buf);
			return fail(p, "unterminated string");
		}
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20) {
			free(buf);
			return fail(p, "control character in string");
		}
		if (c == '\\') {
			if (++p->pos >= p->len) {
				free(buf);
				return fail(p, "unterminated escape");
			}
			char e = p->s[p->pos++];
			const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
			const char *hit = e ? strchr(from, e) : NULL;
			if (hit) {
				buf[o++] = to[hit - from];
			} else if (e == 'u') {
				if (!unicode_escape(p, buf, &o)) {
					free(buf);
					return false;
				}
			} else {
				free(buf);
				return fail(p, "bad escape");
			}
			continue;
		}
		size_t l = utf8_len((const unsigned char *)p->s + p->pos, p->len - p->pos);
		if (!l) {
			free(buf);
			return fail(p, "invalid UTF-8");
		}
		memcpy(buf + o, p->s + p->pos, l);
		o += l;
		p->pos += l;
	}
	buf[o] = 0;
	*out = buf;
	*outlen = o;
	return true;
}

static bool digits(struct parser *p)
{
	size_t start = p->pos;
	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++;
	return p->pos > start;
}

static bool parse_number(struct parser *p, struct json *j)
{
	size_t start = p->pos;
	bool neg = false, integral = true;
	if (p->s[p->pos] == '-')
		neg = true, p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '0') {
		p->pos++;
		if (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			return fail(p, "leading zero");
	} else if (!digits(p)) {
		return fail(p, "bad number");
	}
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		integral = false;
		if (!digits(p))
			return fail(p, "bad fraction");
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		integral = false;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (!digits(p))
			return fail(p, "bad exponent");
	}
	char tmp[400];
	size_t n = p->pos - start;
	if (n >= sizeof(tmp))
		return fail(p, "number too long");
	memcpy(tmp, p->s + start, n);
	tmp[n] = 0;
	j->type = JSON_NUMBER;
	j->num.d = strtod(tmp, NULL);
	j->num.exact = 0;
	if (!integral)
		return true;
	errno = 0;
	if (neg) {
		long long v = strtoll(tmp, NULL, 10);
		if (!errno) {
			j->num.i = v;
			j->num.exact = JSON_IS_I64;
			if (v == 0) /* "-0" */
				j->num.u = 0, j->num.exact |= JSON_IS_U64;
		}
	} else {
		unsigned long long v = strtoull(tmp, NULL, 10);
		if (!errno) {
			j->num.u = v;
			j->num.exact = JSON_IS_U64;
			if (v <= INT64_MAX)
				j->num.i = (int64_t)v, j->num.exact |= JSON_IS_I64;
		}
	}
	return true;
}

static bool parse_value(struct parser *p, struct json *j);

static bool parse_array(struct parser *p, struct json *j)
{
	size_t cap = 0;
	j->type = JSON_ARRAY;
	j->arr.v = NULL;
	j->arr.n = 0;
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == ']') {
		p->pos++;
		return true;
	}
	while (1) {
		if (j->arr.n == cap) {
			cap = cap ? cap * 2 : 4;
			struct json *v = realloc(j->arr.v, cap * sizeof(*v));
			if (!v)
				return fail(p, "out of memory");
			j->arr.v = v;
		}
		struct json *item = &j->arr.v[j->arr.n];
		item->type = JSON_NULL;
		if (!parse_value(p, item)) {
			j->arr.n++; /* so json_free releases its partial contents */
			return false;
		}
		j->arr.n++;
		skip_ws(p);
		if (p->pos >= p->len)
			return fail(p, "unterminated array");
		char c = p->s[p->pos++];
		if (c == ']')
			return true;
		if (c != ',')
			return fail(p, "expected ',' or ']'");
	}
}

static int cmp_key(const void *a, const void *b)
{
	const struct json_member *x = *(const struct json_member *const *)a;
	const struct json_member *y = *(const struct json_member *const *)b;
	if (x->keylen != y->keylen)
		return x->keylen < y->keylen ? -1 : 1;
	return memcmp(x->key, y->key, x->keylen);
}

/* Duplicate keys, found by sorting once the object is complete: comparing
 * each key with all before it made a 1.5 MB object take 17 s. */
static bool unique_keys(struct parser *p, const struct json *j)
{
	if (j->obj.n < 2)
		return true;
	const struct json_member **v = malloc(j->obj.n * sizeof(*v));
	if (!v)
		return fail(p, "out of memory");
	for (size_t i = 0; i < j->obj.n; i++)
		v[i] = &j->obj.m[i];
	qsort(v, j->obj.n, sizeof(*v), cmp_key);
	const char *dup = NULL;
	for (size_t i = 1; i < j->obj.n && !dup; i++)
		if (!cmp_key(&v[i - 1], &v[i]))
			dup = v[i]->key;
	free(v);
	return dup ? fail(p, "duplicate key \"%s\"", dup) : true;
}

static bool parse_object(struct parser *p, struct json *j)
{
	size_t cap = 0;
	j->type = JSON_OBJECT;
	j->obj.m = NULL;
	j->obj.n = 0;
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == '}') {
		p->pos++;
		return true;
	}
	while (1) {
		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != '"')
			return fail(p, "expected a key string");
		if (j->obj.n == cap) {
			cap = cap ? cap * 2 : 4;
			struct json_member *m = realloc(j->obj.m, cap * sizeof(*m));
			if (!m)
				return fail(p, "out of memory");
			j->obj.m = m;
		}
		struct json_member *m = &j->obj.m[j->obj.n];
		m->val.type = JSON_NULL;
		if (!parse_string(p, &m->key, &m->keylen))
			return false;
		j->obj.n++;
		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != ':')
			return fail(p, "expected ':'");
		p->pos++;
		if (!parse_value(p, &m->val))
			return false;
		skip_ws(p);
		if (p->pos >= p->len)
			return fail(p, "unterminated object");
		char c = p->s[p->pos++];
		if (c == '}')
			return unique_keys(p, j);
		if (c != ',')
			return fail(p, "expected ',' or '}'");
	}
}

static bool parse_value(struct parser *p, struct json *j)
{
	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, "unexpected end of input");
	char c = p->s[p->pos];
	bool ok;
	switch (c) {
	case '{':
	case '[':
		if (++p->depth > p->max_depth)
			return fail(p, "nesting deeper than %d", p->max_depth);
		ok = c == '{' ? parse_object(p, j) : parse_array(p, j);
		p->depth--;
		return ok;
	case '"':
		j->type = JSON_STRING;
		j->str.s = NULL;
		if (!parse_string(p, &j->str.s, &j->str.len)) {
			j->type = JSON_NULL;
			return false;
		}
		return true;
	case 't':
		j->type = JSON_BOOL, j->b = true;
		return literal(p, "true");
	case 'f':
		j->type = JSON_BOOL, j->b = false;
		return literal(p, "false");
	case 'n':
		j->type = JSON_NULL;
		return literal(p, "null");
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return parse_number(p, j);
		return fail(p, "unexpected character '%c'", c >= 0x20 && c < 0x7f ? c : '?');
	}
}

static void free_contents(struct json *j)
{
	switch (j->type) {
	case JSON_STRING:
		free(j->str.s);
		break;
	case JSON_ARRAY:
		for (size_t i = 0; i < j->arr.n; i++)
			free_contents(&j->arr.v[i]);
		free(j->arr.v);
		break;
	case JSON_OBJECT:
		for (size_t i = 0; i < j->obj.n; i++) {
			free(j->obj.m[i].key);
			free_contents(&j->obj.m[i].val);
		}
		free(j->obj.m);
		break;
	default:
		break;
	}
	j->type = JSON_NULL;
}

void json_free(struct json *j)
{
	if (!j)
		return;
	free_contents(j);
	free(j);
}

struct json *json_parse(const char *text, size_t len, int max_depth, char *err, size_t errlen)
{
	struct parser p = { .s = text, .len = len, .max_depth = max_depth, .err = err,
			    .errlen = errlen };
	if (err && errlen)
		err[0] = 0;
	struct json *j = calloc(1, sizeof(*j));
	if (!j) {
		fail(&p, "out of memory");
		return NULL;
	}
	bool ok = parse_value(&p, j);
	if (ok) {
		skip_ws(&p);
		if (p.pos != p.len)
			ok = fail(&p, "trailing characters after the value");
	}
	if (!ok) {
		json_free(j);
		return NULL;
	}
	return j;
}

const struct json *json_get(const struct json *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	size_t kl = strlen(key);
	for (size_t i = 0; i < obj->obj.n; i++)
		if (obj->obj.m[i].keylen == kl && !memcmp(obj->obj.m[i].key, key, kl))
			return &obj->obj.m[i].val;
	return NULL;
}

const char *json_string(const struct json *j)
{
	return j && j->type == JSON_STRING ? j->str.s : NULL;
}

bool json_u64(const struct json *j, uint64_t *out)
{
	if (!j || j->type != JSON_NUMBER || !(j->num.exact & JSON_IS_U64))
		return false;
	*out = j->num.u;
	return true;
}

bool json_i64(const struct json *j, int64_t *out)
{
	if (!j || j->type != JSON_NUMBER || !(j->num.exact & JSON_IS_I64))
		return false;
	*out = j->num.i;
	return true;
}

bool json_bool(const struct json *j, bool *out)
{
	if (!j || j->type != JSON_BOOL)
		return false;
	*out = j->b;
	return true;
}
