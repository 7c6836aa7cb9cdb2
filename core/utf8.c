/* utf8.c - see utf8.h. */
#include "utf8.h"

#include <stdbool.h>
#include <string.h>

size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const uint32_t min[] = { 0, 0x80, 0x800, 0x10000 };
	uint32_t c = s[0];
	size_t more;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xE0) == 0xC0)
		more = 1, c &= 0x1F;
	else if ((c & 0xF0) == 0xE0)
		more = 2, c &= 0x0F;
	else if ((c & 0xF8) == 0xF0)
		more = 3, c &= 0x07;
	else
		return 0;
	if (n <= more)
		return 0;
	for (size_t i = 1; i <= more; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3F);
	}
	if (c < min[more] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return more + 1;
}

size_t utf8_encode(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xC0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xE0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3F));
		o[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | c >> 18);
	o[1] = (char)(0x80 | (c >> 12 & 0x3F));
	o[2] = (char)(0x80 | (c >> 6 & 0x3F));
	o[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

static int is_control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == '\\';
}

/* Escape in[0..n) into out, at most limit bytes: false when it had to
 * stop early, *used what was written either way. */
static bool escape(const unsigned char *in, size_t n, char *out, size_t limit, size_t *used)
{
	static const char hexd[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		uint32_t c;
		size_t k = utf8_decode(in + i, n - i, &c);
		bool raw = k && !is_control(c);
		size_t take = k ? k : 1; /* input bytes of this character */
		if (o + (raw ? k : 4 * take) > limit) {
			*used = o;
			return false;
		}
		for (size_t j = 0; j < take; j++) {
			if (raw) {
				out[o++] = (char)in[i + j];
				continue;
			}
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hexd[in[i + j] >> 4];
			out[o++] = hexd[in[i + j] & 15];
		}
		i += take;
	}
	*used = o;
	return true;
}

char *utf8_printable(const void *s, size_t n, char *out, size_t len)
{
	size_t used;
	if (escape(s, n, out, len - 1, &used)) {
		out[used] = 0;
	} else { /* again, leaving room to say it was cut */
		escape(s, n, out, len - 4, &used);
		memcpy(out + used, "...", 4);
	}
	return out;
}
