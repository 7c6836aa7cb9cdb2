/* opts.c - one option parser for every applet.
 *
 * The option table sits at the top of each applet's file; this turns argv
 * into "seen/value" slots indexed like that table, and prints --help from
 * the same table so usage text and behaviour cannot drift apart.
 */
#include "bb.h"
#include "error.h"
#include "num.h"
#include "size.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct applet *cur_applet; /* for opt_name() in messages */

#define HELP (-2) /* -h or --help seen: what to print depends on the command */

static int count_opts(const struct bb_opt *o)
{
	int n = 0;
	while (o && o[n].lng)
		n++;
	return n;
}

/* "  left    help", the help wrapped at 79 columns under itself. */
static void print_wrapped(FILE *f, const char *left, const char *help)
{
	enum { COL = 31, WIDTH = 79 };
	if (strlen(left) >= COL - 3)
		fprintf(f, "  %s\n%*s", left, COL, "");
	else
		fprintf(f, "  %-*s", COL - 2, left);
	size_t room = WIDTH - COL;
	while (strlen(help) > room) {
		size_t cut = room;
		while (cut && help[cut] != ' ')
			cut--;
		if (!cut)
			break;
		fprintf(f, "%.*s\n%*s", (int)cut, help, COL, "");
		help += cut + 1;
	}
	fprintf(f, "%s\n", help);
}

static void print_opt(FILE *f, const struct bb_opt *o)
{
	char left[64], help[256];
	int len;
	if (o->shrt)
		len = snprintf(left, sizeof(left), "-%c, --%s", o->shrt, o->lng);
	else
		len = snprintf(left, sizeof(left), "    --%s", o->lng);
	if (o->arg && len < (int)sizeof(left))
		snprintf(left + len, sizeof(left) - len, " %s", o->arg);
	snprintf(help, sizeof(help), "%s%s", o->help, o->flags & BB_OPT_MULTI ? " (repeatable)" : "");
	print_wrapped(f, left, help);
}

static int find_short(const struct bb_opt *o, int n, char c);

/* Options whose bit is in mask (all of them when mask is ~0). */
static void print_opts(FILE *f, const struct bb_opt *opts, uint64_t mask)
{
	fputs("\nOptions:\n", f);
	int n = count_opts(opts);
	for (int i = 0; i < n; i++)
		if (mask & BB_O(i))
			print_opt(f, &opts[i]);
	fputs(find_short(opts, n, 'h') < 0 ? "  -h, --help                   show this help\n"
					     : "      --help                   show this help\n", f);
}

static void print_cmd_line(FILE *f, const struct bb_cmd *c)
{
	char left[80];
	snprintf(left, sizeof(left), "%s%s%s", c->name, c->args ? " " : "", c->args ? c->args : "");
	print_wrapped(f, left, c->help);
}

/* The synopsis (first line of usage), the commands, then the rest of the
 * usage text: what a reader looks for first comes first. */
void bb_usage(const struct applet *ap, void *stream)
{
	FILE *f = stream;
	const char *rest = strchr(ap->usage, '\n');
	if (!ap->cmds || !rest) {
		fprintf(f, "Usage: %s\n", ap->usage);
	} else {
		fprintf(f, "Usage: %.*s\n\nCommands:\n", (int)(rest - ap->usage), ap->usage);
		for (const struct bb_cmd *c = ap->cmds; c->name; c++)
			print_cmd_line(f, c);
		if (ap->default_cmd)
			fprintf(f, "  (no command: %s)\n", ap->default_cmd);
		fprintf(f, "%s\n", rest + 1);
	}
	if (count_opts(ap->opts))
		print_opts(f, ap->opts, ~UINT64_C(0));
}

void bb_cmd_usage(const struct applet *ap, const struct bb_cmd *c, void *stream)
{
	FILE *f = stream;
	fprintf(f, "Usage: %s %s%s%s%s\n\n%s\n", ap->name, c->name, c->args ? " " : "",
		c->args ? c->args : "", c->opts ? " [OPTIONS]" : "", c->help);
	if (c->opts)
		print_opts(f, ap->opts, c->opts);
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

/* --json was given: a failure then answers with a JSON error object. */
static bool json_asked;

bool opt_json_asked(void) { return json_asked; }

static int take_value(const struct applet *ap, struct bb_args *a, int k, const char *val)
{
	a->v[k].val = val;
	if (!(ap->opts[k].flags & BB_OPT_MULTI))
		return BB_CONTINUE;
	if (a->nmulti == BB_MAX_VALUES)
		return usage_error(ap, "too many values for repeatable options", opt_name(ap, k));
	a->multi[a->nmulti] = val;
	a->multi_opt[a->nmulti++] = (unsigned char)k;
	return BB_CONTINUE;
}

const char *opt_value(const struct bb_args *a, int i, unsigned k)
{
	for (unsigned j = 0; j < a->nmulti; j++)
		if (a->multi_opt[j] == i && !k--)
			return a->multi[j];
	return NULL;
}

/* --name, --name=value, --name value */
static int take_long(const struct applet *ap, int n, struct bb_args *a, int argc, char **argv,
		     int *i)
{
	const char *body = argv[*i] + 2;
	const char *eq = strchr(body, '=');
	size_t len = eq ? (size_t)(eq - body) : strlen(body);
	if (len == 4 && !memcmp(body, "help", 4))
		return HELP;
	int k = find_long(ap->opts, n, body, len);
	if (k < 0)
		return usage_error(ap, "unknown option", argv[*i]);
	a->v[k].seen++;
	json_asked |= !strcmp(ap->opts[k].lng, "json");
	if (!ap->opts[k].arg) {
		if (eq)
			return usage_error(ap, "option takes no value", argv[*i]);
		return BB_CONTINUE;
	}
	if (!eq && *i + 1 >= argc)
		return usage_error(ap, "option needs a value", argv[*i]);
	return take_value(ap, a, k, eq ? eq + 1 : argv[++*i]);
}

/* -x, -xyz (flags), -oVALUE, -o VALUE */
static int take_short(const struct applet *ap, int n, struct bb_args *a, int argc, char **argv,
		      int *i)
{
	const char *p = argv[*i] + 1;
	for (; *p; p++) {
		int k = find_short(ap->opts, n, *p);
		/* -h is help unless the applet's table takes the letter
		 * (mkfs.vfat -h: hidden sectors, as mkfs.fat) */
		if (*p == 'h' && k < 0)
			return HELP;
		if (k < 0) {
			char opt[3] = { '-', *p, 0 };
			return usage_error(ap, "unknown option", opt);
		}
		a->v[k].seen++;
		if (!ap->opts[k].arg)
			continue;
		if (!p[1] && *i + 1 >= argc)
			return usage_error(ap, "option needs a value", argv[*i]);
		return take_value(ap, a, k, p[1] ? p + 1 : argv[++*i]);
	}
	return BB_CONTINUE;
}

/* ---- commands ---------------------------------------------------------- */

static size_t word_len(const char *name)
{
	const char *sp = strchr(name, ' ');
	return sp ? (size_t)(sp - name) : strlen(name);
}

/* Is word the (first) word of the command name? */
static bool group_is(const char *name, const char *word)
{
	size_t len = word_len(name);
	return strlen(word) == len && !memcmp(name, word, len);
}

/* The command the first one or two positionals name; *words: how many. */
static const struct bb_cmd *find_cmd(const struct applet *ap, char **pos, int npos, int *words)
{
	for (const struct bb_cmd *c = ap->cmds; npos && c->name; c++) {
		const char *sp = strchr(c->name, ' ');
		if (!group_is(c->name, pos[0]))
			continue;
		if (!sp) {
			*words = 1;
			return c;
		}
		if (npos >= 2 && !strcmp(pos[1], sp + 1)) {
			*words = 2;
			return c;
		}
	}
	return NULL;
}

/* "show, verify, create, param" (first words, once each), or with a group
 * its second words: "set, get, list". */
static void cmd_list(const struct applet *ap, const char *group, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = 0;
	for (const struct bb_cmd *c = ap->cmds; c->name && o < len; c++) {
		const char *sp = strchr(c->name, ' ');
		const char *word = c->name;
		size_t wlen = word_len(c->name);
		if (group) {
			if (!sp || !group_is(c->name, group))
				continue;
			word = sp + 1;
			wlen = strlen(word);
		} else {
			bool seen = false;
			for (const struct bb_cmd *d = ap->cmds; d < c; d++)
				seen |= word_len(d->name) == wlen && !memcmp(d->name, word, wlen);
			if (seen)
				continue;
		}
		o += (size_t)snprintf(buf + o, len - o, "%s%.*s", o ? ", " : "", (int)wlen, word);
	}
}

static int cmd_error(const struct applet *ap, char **pos, int npos)
{
	char list[512];
	if (!npos) {
		cmd_list(ap, NULL, list, sizeof(list));
		bb_err("no command given (%s)", list);
	} else if (cmd_list(ap, pos[0], list, sizeof(list)), list[0]) {
		if (npos > 1)
			bb_err("unknown command '%s %s' (%s: %s)", pos[0], pos[1], pos[0], list);
		else
			bb_err("'%s' needs one of: %s", pos[0], list);
	} else {
		cmd_list(ap, NULL, list, sizeof(list));
		bb_err("unknown command '%s' (%s)", pos[0], list);
	}
	fprintf(stderr, "Try '%s --help'.\n", ap->name);
	return 2;
}

/* The command, its argument count and the options given: all from the
 * table, so no applet checks them by hand. */
static int take_cmd(const struct applet *ap, struct bb_args *a)
{
	int words = 0;
	const struct bb_cmd *c = find_cmd(ap, a->argv, a->argc, &words);
	if (!c && ap->default_cmd)
		for (c = ap->cmds; c->name && strcmp(c->name, ap->default_cmd); c++)
			;
	if (!c || !c->name)
		return cmd_error(ap, a->argv, a->argc);
	a->cmd = c;
	a->argv += words;
	a->argc -= words;
	if (a->argc < c->min || (c->max != BB_MANY && a->argc > c->max)) {
		const char *what = c->min == c->max ? "takes" : a->argc < c->min ? "needs" : "takes";
		unsigned n = a->argc < c->min ? c->min : c->max;
		bb_err("'%s' %s %s%u argument%s%s%s", c->name, what,
		       c->min == c->max ? "" : a->argc < c->min ? "at least " : "at most ", n,
		       n == 1 ? "" : "s", c->args ? ": " : "", c->args ? c->args : "");
		fprintf(stderr, "Try '%s %s --help'.\n", ap->name, c->name);
		return 2;
	}
	for (int i = 0; i < count_opts(ap->opts); i++)
		if (a->v[i].seen && !(c->opts & BB_O(i))) {
			bb_err("%s does not apply to '%s'", opt_name(ap, i), c->name);
			fprintf(stderr, "Try '%s %s --help'.\n", ap->name, c->name);
			return 2;
		}
	return BB_CONTINUE;
}

static int help(const struct applet *ap, char **pos, int npos)
{
	int words;
	const struct bb_cmd *c = ap->cmds ? find_cmd(ap, pos, npos, &words) : NULL;
	if (c)
		bb_cmd_usage(ap, c, stdout);
	else
		bb_usage(ap, stdout);
	return 0;
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
		if (rc == HELP)
			return help(ap, pos, npos);
		if (rc != BB_CONTINUE)
			return rc;
	}
	pos[npos] = NULL;
	a->argc = npos;
	a->argv = pos;
	return ap->cmds ? take_cmd(ap, a) : BB_CONTINUE;
}

const char *opt_name(const struct applet *ap, int i)
{
	static char buf[64];
	if (!ap)
		ap = cur_applet;
	snprintf(buf, sizeof(buf), "--%s", ap->opts[i].lng);
	return buf;
}

/* A bad option value is a usage error wherever it is found: set here,
 * it turns the applet's failure status 1 into 2 (core/dispatch.c). */
static bool bad_value;

bool opt_bad_value_seen(void) { return bad_value; }

void opt_bad_value(const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bb_err("%s", msg);
	bad_value = true;
}

int opt_u64(const struct bb_args *a, int i, uint64_t def, uint64_t min, uint64_t max,
	    uint64_t *out)
{
	if (!a->v[i].seen) {
		*out = def;
		return 0;
	}
	struct bb_error e;
	if (num_u64(a->v[i].val, min, max, out, &e)) {
		bb_error_prefix(&e, "%s", opt_name(NULL, i));
		bb_report(&e);
		bad_value = true;
		return -1;
	}
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
		opt_bad_value("%s: '%s': %s", opt_name(NULL, i), a->v[i].val, why);
		return -1;
	}
	return 0;
}
