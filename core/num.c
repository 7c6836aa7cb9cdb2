/* num.c - strict unsigned number parsing (see num.h). */
#include "num.h"
#include "error.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>

static int digit(int c, unsigned base)
{
	int v = c >= '0' && c <= '9' ? c - '0'
		: c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10
				       : 99;
	return v < (int)base ? v : -1;
}

enum base { DEC, DEC_OR_0X, HEX };

/* 0, -1 for no number at all, -2 for one past 2^64-1. */
static int scan(const char *s, enum base how, uint64_t *out)
{
	unsigned base = how == HEX ? 16 : 10;
	if (how != DEC && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -1;
	uint64_t v = 0;
	bool overflow = false;
	for (; *s; s++) {
		int d = digit((unsigned char)*s, base);
		if (d < 0)
			return -1;
		/* keep scanning after an overflow: "99999999999999999999x" is junk */
		if (v > (UINT64_MAX - (unsigned)d) / base)
			overflow = true;
		v = v * base + (unsigned)d;
	}
	*out = v;
	return overflow ? -2 : 0;
}

static int parse(const char *s, enum base how, uint64_t min, uint64_t max, uint64_t *out,
		 struct bb_error *e)
{
	uint64_t v = 0;
	int rc = s ? scan(s, how, &v) : -1;
	if (rc == -1)
		return bb_error_set(e, EINVAL, "'%s' is not a number", s ? s : "");
	if (rc == -2 || v < min || v > max)
		return bb_error_set(e, ERANGE, "'%s' is out of range (%llu..%llu)", s,
				    (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int num_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, struct bb_error *e)
{
	return parse(s, DEC_OR_0X, min, max, out, e);
}

int num_dec_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, struct bb_error *e)
{
	return parse(s, DEC, min, max, out, e);
}

int num_hex_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, struct bb_error *e)
{
	return parse(s, HEX, min, max, out, e);
}

int num_uint(const char *s, unsigned min, unsigned max, unsigned *out, struct bb_error *e)
{
	uint64_t v;
	if (parse(s, DEC_OR_0X, min, max, &v, e))
		return -1;
	*out = (unsigned)v;
	return 0;
}
