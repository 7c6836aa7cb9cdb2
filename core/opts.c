/* opts.c - one option parser for every applet.
 *
 * The option table sits at the top of each applet's file; this turns argv
 * into "seen/value" slots indexed like that table, and prints --help from
 * the same table so usage text and behaviour cannot drift apart.
 */
#include "bb.h"
#include "size.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct applet *cur_applet; /* for opt_name() in messages */

static int count_opts(const struct bb_opt *o)
{
	int n = 0;
	while (o && o[n].lng)
		n++;
	return n;
}

void bb_usage(const struct applet *ap, void *stream)
{
	FILE *f = stream;
	fprintf(f, "Usage: %s\n", ap->usage);
	int n = count_opts(ap->opts);
	if (!n)
		return;
	fputs("\nOptions:\n", f);
	for (int i = 0; i < n; i++) {
		const struct bb_opt *o = &ap->opts[i];
		char left[64];
		int len = 0;
		if (o->shrt)
			len = snprintf(left, sizeof(left), "-%c, --%s", o->shrt, o->lng);
		else
			len = snprintf(left, sizeof(left), "    --%s", o->lng);
		if (o->arg && len < (int)sizeof(left))
			snprintf(left + len, sizeof(left) - len, " %s", o->arg);
		fprintf(f, "  %-28s %s\n", left, o->help);
	}
	fputs("  -h, --help                   show this help\n", f);
}

static int usage_error(const struct applet *ap, const char *what, const char *opt)
{
	bb_err("%s: %s", what, opt);
	fprintf(stderr, "Try '%s --help'.\n", ap->name);
	return 2;
}

static int find_long(const struct bb_opt *o, int n, const char *name, size_t len)
{
	for (int i = 0; i < n; i++)
		if (strlen(o[i].lng) == len && !memcmp(o[i].lng, name, len))
			return i;
	return -1;
}

static int find_short(const struct bb_opt *o, int n, char c)
{
	for (int i = 0; i < n; i++)
		if (o[i].shrt == c)
			return i;
	return -1;
}

/* --name, --name=value, --name value */
static int take_long(const struct applet *ap, int n, struct bb_args *a, int argc, char **argv,
		     int *i)
{
	const char *body = argv[*i] + 2;
	const char *eq = strchr(body, '=');
	size_t len = eq ? (size_t)(eq - body) : strlen(body);
	if (len == 4 && !memcmp(body, "help", 4)) {
		bb_usage(ap, stdout);
		return 0;
	}
	int k = find_long(ap->opts, n, body, len);
	if (k < 0)
		return usage_error(ap, "unknown option", argv[*i]);
	a->v[k].seen++;
	if (!ap->opts[k].arg) {
		if (eq)
			return usage_error(ap, "option takes no value", argv[*i]);
		return BB_CONTINUE;
	}
	if (eq) {
		a->v[k].val = eq + 1;
	} else {
		if (*i + 1 >= argc)
			return usage_error(ap, "option needs a value", argv[*i]);
		a->v[k].val = argv[++*i];
	}
	return BB_CONTINUE;
}

/* -x, -xyz (flags), -oVALUE, -o VALUE */
static int take_short(const struct applet *ap, int n, struct bb_args *a, int argc, char **argv,
		      int *i)
{
	const char *p = argv[*i] + 1;
	for (; *p; p++) {
		if (*p == 'h') {
			bb_usage(ap, stdout);
			return 0;
		}
		int k = find_short(ap->opts, n, *p);
		if (k < 0) {
			char opt[3] = { '-', *p, 0 };
			return usage_error(ap, "unknown option", opt);
		}
		a->v[k].seen++;
		if (!ap->opts[k].arg)
			continue;
		if (p[1]) {
			a->v[k].val = p + 1;
		} else {
			if (*i + 1 >= argc)
				return usage_error(ap, "option needs a value", argv[*i]);
			a->v[k].val = argv[++*i];
		}
		break;
	}
	return BB_CONTINUE;
}

int bb_getopt(const struct applet *ap, int argc, char **argv, struct bb_args *a)
{
	int n = count_opts(ap->opts);
	memset(a, 0, sizeof(*a));
	cur_applet = ap;
	if (n > BB_MAX_OPTS) {
		bb_err("internal: too many options");
		return 2;
	}
	/* Positionals are compacted to the front of argv+1 in order; argv
	 * itself is ours to permute, as with GNU getopt. */
	char **pos = argv + 1;
	int npos = 0;
	bool only_pos = false;
	for (int i = 1; i < argc; i++) {
		char *s = argv[i];
		int rc = BB_CONTINUE;
		if (only_pos || s[0] != '-' || !s[1]) {
			pos[npos++] = s;
			continue;
		}
		if (!strcmp(s, "--"))
			only_pos = true;
		else if (s[1] == '-')
			rc = take_long(ap, n, a, argc, argv, &i);
		else
			rc = take_short(ap, n, a, argc, argv, &i);
		if (rc != BB_CONTINUE)
			return rc;
	}
	pos[npos] = NULL;
	a->argc = npos;
	a->argv = pos;
	return BB_CONTINUE;
}

const char *opt_name(const struct applet *ap, int i)
{
	static char buf[64];
	if (!ap)
		ap = cur_applet;
	snprintf(buf, sizeof(buf), "--%s", ap->opts[i].lng);
	return buf;
}

int opt_u64(const struct bb_args *a, int i, uint64_t def, uint64_t min, uint64_t max,
	    uint64_t *out)
{
	if (!a->v[i].seen) {
		*out = def;
		return 0;
	}
	/* Decimal, or hex with 0x: not strtoull's base 0, which reads "010"
	 * as 8, and not its leading blanks or signs ("-1" would wrap). */
	const char *s = a->v[i].val;
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *digits = hex ? s + 2 : s;
	int first = (unsigned char)digits[0];
	char *end;
	errno = 0;
	unsigned long long v = strtoull(digits, &end, hex ? 16 : 10);
	if (errno || !(hex ? isxdigit(first) : isdigit(first)) || *end) {
		bb_err("%s: '%s' is not a number", opt_name(NULL, i), s);
		return -1;
	}
	if (v < min || v > max) {
		bb_err("%s: %llu is out of range (%llu..%llu)", opt_name(NULL, i), v,
		       (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

int opt_size(const struct bb_args *a, int i, uint64_t def, uint64_t pct_of, uint64_t *out)
{
	if (!a->v[i].seen) {
		*out = def;
		return 0;
	}
	const char *why = NULL;
	if (parse_size(a->v[i].val, pct_of, out, &why)) {
		bb_err("%s: '%s': %s", opt_name(NULL, i), a->v[i].val, why);
		return -1;
	}
	return 0;
}
