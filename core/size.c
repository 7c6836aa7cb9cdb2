/* size.c - the size parser shared by every applet's options. */
#include "size.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

typedef unsigned __int128 u128;

static int suffix_shift(const char *s, unsigned *shift)
{
	static const char units[] = "KMGTPE";
	if (!*s || !strcmp(s, "B")) {
		*shift = 0;
		return 0;
	}
	const char *u = strchr(units, toupper((unsigned char)*s));
	if (!u)
		return -1;
	*shift = 10 * (unsigned)(u - units + 1);
	s++;
	if (!*s || !strcmp(s, "iB") || !strcmp(s, "B"))
		return 0;
	return -1;
}

int parse_size(const char *s, uint64_t pct_of, uint64_t *out, const char **why)
{
	u128 whole = 0, frac = 0, frac_div = 1;
	const char *p = s;
	*why = "not a size";
	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (unsigned)(*p - '0');
		if (whole > UINT64_MAX) {
			*why = "too large";
			return -1;
		}
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++) {
			if (frac_div > (u128)1e18) /* more digits cannot matter */
				continue;
			frac = frac * 10 + (unsigned)(*p - '0');
			frac_div *= 10;
		}
	}
	u128 v;
	if (*p == '%') {
		if (p[1])
			return -1;
		if (!pct_of) {
			*why = "a percentage is not allowed here";
			return -1;
		}
		if (whole > 100 || (whole == 100 && frac)) {
			*why = "more than 100%";
			return -1;
		}
		v = (whole * pct_of + frac * pct_of / frac_div) / 100;
	} else {
		unsigned shift;
		if (suffix_shift(p, &shift)) {
			*why = "unknown unit (use B, K, M, G, T, P or E)";
			return -1;
		}
		/* whole < 2^64 and mult <= 2^60: the product fits in 128 bits */
		u128 mult = (u128)1 << shift;
		if ((frac * mult) % frac_div) {
			*why = "not a whole number of bytes";
			return -1;
		}
		v = whole * mult + frac * mult / frac_div;
	}
	if (v > UINT64_MAX) {
		*why = "too large";
		return -1;
	}
	*out = (uint64_t)v;
	return 0;
}

char *fmt_size(uint64_t v, char *buf, unsigned long len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;
	double d = (double)v;
	while (d >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)v);
	else if (d < 10)
		snprintf(buf, len, "%.2f %s", d, units[u]);
	else if (d < 100)
		snprintf(buf, len, "%.1f %s", d, units[u]);
	else
		snprintf(buf, len, "%.0f %s", d, units[u]);
	return buf;
}
