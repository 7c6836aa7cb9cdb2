/* bb.h - what every applet sees: the applet descriptor, options, logging.
 *
 * core/ knows nothing about individual applets. Each applet file starts
 * with its own `const struct applet applet_NAME`, and the build generates
 * the table of the compiled-in ones (see config/applets.mk).
 */
#ifndef BB_H
#define BB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* One option of an applet. Tables end with an entry whose lng is NULL. */
struct bb_opt {
	const char *lng;  /* long name without "--" */
	char shrt;        /* short letter, or 0 */
	const char *arg;  /* metavariable when the option takes a value */
	const char *help; /* one line for --help */
	unsigned flags;   /* BB_OPT_* */
};
/* Keeps every value given (--pv A --pv B), read with opt_value(). Other
 * options keep the last one. */
#define BB_OPT_MULTI 1u

struct bb_args;

/* The options a command takes, as a set of option-table indexes. */
#define BB_O(i) (UINT64_C(1) << (i))
#define BB_MANY 255 /* bb_cmd.max: no upper limit */

/* One command of an applet that has commands ("gpt show", or a group of
 * two words: "spaceblock param set"). The table is the single source of
 * the dispatch, the argument counts, which options apply, --help and the
 * "unknown command" error. Tables end with an entry whose name is NULL. */
struct bb_cmd {
	const char *name;
	const char *args;       /* its arguments for the synopsis: "DISK N NAME" */
	unsigned char min, max; /* how many arguments follow the name */
	uint64_t opts;          /* BB_O() of each option it takes; -h always */
	const char *help;       /* one line */
	int (*run)(void *ctx, const struct bb_args *a); /* ctx: the applet's own */
};

struct applet {
	const char *name;
	const char *const *aliases; /* other names it answers to, NULL-ended */
	const char *summary;        /* one line for --list */
	const char *usage;          /* synopsis and description for --help */
	const struct bb_opt *opts;  /* may be NULL */
	int (*main)(int argc, char **argv);
	const struct bb_cmd *cmds;  /* commands, or NULL */
	const char *default_cmd;    /* taken when the first argument names none */
};

/* The generated table of compiled-in applets, sorted by name. */
extern const struct applet *const bb_applets[];
extern const size_t bb_applet_count;

/* ---- options ------------------------------------------------------- */

#define BB_MAX_OPTS 48
#define BB_CONTINUE (-1)

struct bb_optval {
	unsigned seen;   /* how many times it was given */
	const char *val; /* the last value, for options with an argument */
};

#define BB_MAX_VALUES 256 /* values of BB_OPT_MULTI options, all together */

struct bb_args {
	struct bb_optval v[BB_MAX_OPTS];
	int argc;    /* positional arguments, in order, options removed */
	char **argv; /* points into the caller's argv, NULL-terminated */
	const struct bb_cmd *cmd; /* the command named, for applets with commands;
				   * argc/argv then hold only its arguments */
	const char *multi[BB_MAX_VALUES]; /* values of BB_OPT_MULTI options, in order */
	unsigned char multi_opt[BB_MAX_VALUES]; /* ... and whose each is */
	unsigned nmulti;
};

/* Parse argv (argv[0] is the applet name) against ap->opts. Options may be
 * mixed with positionals; "--" ends them. -h/--help prints the usage (of
 * the command, when one was named before it). For an applet with
 * commands it also finds the command, checks its argument count and that
 * every option given applies to it.
 * Returns BB_CONTINUE to go on, or the exit status to return at once
 * (0 after --help, 2 after a usage error, which it has reported). */
int bb_getopt(const struct applet *ap, int argc, char **argv, struct bb_args *a);
void bb_usage(const struct applet *ap, void *stream);
/* Usage of one command: its synopsis, its line of help, its options. */
void bb_cmd_usage(const struct applet *ap, const struct bb_cmd *c, void *stream);

static inline bool opt_on(const struct bb_args *a, int i) { return a->v[i].seen > 0; }
static inline const char *opt_str(const struct bb_args *a, int i, const char *def)
{
	return a->v[i].seen ? a->v[i].val : def;
}
/* Value k (0-based) of a BB_OPT_MULTI option, in the order given; NULL past
 * the last. How many: a->v[i].seen. */
const char *opt_value(const struct bb_args *a, int i, unsigned k);
/* Number options: def when absent; -1 (reported) on a bad value or range. */
int opt_u64(const struct bb_args *a, int i, uint64_t def, uint64_t min, uint64_t max,
	    uint64_t *out);
/* Size options ("10G", "512M", "100%" of pct_of when non-zero). */
int opt_size(const struct bb_args *a, int i, uint64_t def, uint64_t pct_of, uint64_t *out);
/* An option's value that the applet itself found wrong ("--size: '10X':
 * unknown unit"): reported like bb_err, and a usage error: the applet's
 * failure status 1 becomes 2. opt_u64 and opt_size do the same. */
void opt_bad_value(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool opt_bad_value_seen(void);
/* Was --json given (to the applet's long option named "json")? */
bool opt_json_asked(void);
/* Name of option i as the user wrote it, for messages: "--json". */
const char *opt_name(const struct applet *ap, int i);

/* ---- logging -------------------------------------------------------- */

extern const char *bb_name; /* applet being run, prefix of every message */
extern int bb_verbose;

void bb_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like bb_err, adding ": strerror(errno)". */
void bb_perr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bb_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bb_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bb_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print what a core function put in e, once: "applet: what failed: why".
 * An empty e (a caller bug) still prints something rather than nothing. */
struct bb_error;
void bb_report(const struct bb_error *e);
/* The first error bb_err/bb_perr/bb_report printed, without the applet's
 * name; "" when none. */
const char *bb_first_error(void);

/* Find an applet by name or alias in the compiled-in table. */
const struct applet *bb_find_applet(const char *name);

#endif
