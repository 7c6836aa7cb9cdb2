/* uuid.c - UUID text, randomness and versions (see uuid.h). */
#include "uuid.h"
#include "error.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

/* 7b1e0f5c-3a9d-4e21-9c5b-bd8f4a62c0e3, a random v4 chosen once */
const struct uuid uuid_ns_blockbox = { { 0x7b, 0x1e, 0x0f, 0x5c, 0x3a, 0x9d, 0x4e, 0x21, 0x9c,
					 0x5b, 0xbd, 0x8f, 0x4a, 0x62, 0xc0, 0xe3 } };

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* Exactly 8-4-4-4-12 at t, which is len bytes long. */
static int parse_plain(const char *t, size_t len, struct uuid *u)
{
	if (len != 36)
		return -1;
	unsigned n = 0;
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash) {
			if (t[i] != '-')
				return -1;
			continue;
		}
		int v = hexval((unsigned char)t[i]);
		if (v < 0)
			return -1;
		u->b[n / 2] = (uint8_t)(n % 2 ? u->b[n / 2] | v : v << 4);
		n++;
	}
	return 0;
}

int uuid_parse(const char *s, struct uuid *u, struct bb_error *e)
{
	size_t len = strlen(s);
	struct uuid v;
	int rc = s[0] == '{' ? (len == 38 && s[37] == '}' ? parse_plain(s + 1, 36, &v) : -1)
			     : parse_plain(s, len, &v);
	if (rc)
		return bb_error_set(e, EINVAL, "'%s' is not a UUID (8-4-4-4-12 hex digits)", s);
	*u = v;
	return 0;
}

static char *fmt(const struct uuid *u, char *buf, const char *digits)
{
	char *o = buf;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = digits[u->b[i] >> 4];
		*o++ = digits[u->b[i] & 15];
	}
	*o = 0;
	return buf;
}

char *uuid_fmt(const struct uuid *u, char buf[UUID_STR])
{
	return fmt(u, buf, "0123456789abcdef");
}

char *uuid_fmt_upper(const struct uuid *u, char buf[UUID_STR])
{
	return fmt(u, buf, "0123456789ABCDEF");
}

bool uuid_is_zero(const struct uuid *u)
{
	static const struct uuid zero;
	return !memcmp(u, &zero, sizeof(zero));
}

bool uuid_eq(const struct uuid *a, const struct uuid *b)
{
	return !memcmp(a, b, sizeof(*a));
}

int uuid_random_bytes(void *buf, size_t n, struct bb_error *e)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = getrandom((uint8_t *)buf + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return bb_error_errno(e, "getrandom");
		got += (size_t)r;
	}
	return 0;
}

void uuid_set_version(struct uuid *u, unsigned version)
{
	u->b[6] = (uint8_t)((u->b[6] & 0x0F) | (version & 15) << 4);
	u->b[8] = (uint8_t)((u->b[8] & 0x3F) | 0x80); /* variant 10x: RFC 4122 */
}

int uuid_random(struct uuid *u, struct bb_error *e)
{
	if (uuid_random_bytes(u->b, sizeof(u->b), e))
		return -1;
	uuid_set_version(u, 4);
	return 0;
}
