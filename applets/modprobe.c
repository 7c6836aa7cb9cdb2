/* modprobe - load kernel modules with their dependencies; also insmod,
 * rmmod and lsmod. The dependency order comes from each module's own
 * .modinfo, so it works on a bare kernel package without modules.dep. */
#include "bb.h"
#include "error.h"
#include "io.h"
#include "json.h"
#include "kmod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int modprobe_main(int argc, char **argv);

enum { O_QUIET, O_VERBOSE, O_DRY, O_SHOW, O_REMOVE, O_ALL, O_ROOT, O_RELEASE, O_JSON };
static const struct bb_opt modprobe_opts[] = {
	[O_QUIET] = { "quiet", 'q', NULL, "say nothing when a module does not exist" },
	[O_VERBOSE] = { "verbose", 'v', NULL, "print each module as it is loaded" },
	[O_DRY] = { "dry-run", 'n', NULL, "resolve and print, load nothing" },
	[O_SHOW] = { "show-depends", 0, NULL, "print the load order (insmod PATH [PARAMS] / builtin NAME)" },
	[O_REMOVE] = { "remove", 'r', NULL, "unload the modules, then their unused dependencies" },
	[O_ALL] = { "all", 'a', NULL, "every argument is a module name (no parameters)" },
	[O_ROOT] = { "dirname", 'd', "DIR", "modules under DIR/lib/modules (default /)" },
	[O_RELEASE] = { "set-version", 'S', "VERSION", "kernel release (default: running)" },
	[O_JSON] = { "json", 0, NULL, "lsmod: print a JSON array" },
	{ 0 },
};

static const char *const modprobe_aliases[] = { "insmod", "rmmod", "lsmod", NULL };

const struct applet applet_modprobe = {
	.name = "modprobe",
	.aliases = modprobe_aliases,
	.summary = "load kernel modules with their dependencies (also insmod, rmmod, lsmod)",
	.usage = "modprobe [-qvn] [-d DIR] [-S VERSION] MODULE [PARAM=VALUE...]\n"
		 "       modprobe -a [-qvn] MODULE...     modprobe -r MODULE...\n"
		 "       modprobe --show-depends MODULE\n"
		 "       insmod FILE [PARAM=VALUE...]      rmmod MODULE...      lsmod [--json]\n\n"
		 "MODULE is a module name ('-' and '_' alike), a built-in module, or an\n"
		 "alias such as fs-btrfs or crypto-crc32c. Dependencies come from each\n"
		 "module's .modinfo (depends=, softdep=): no modules.dep is needed.\n"
		 "modules.builtin is honoured. Loading what is already loaded succeeds.\n"
		 "Parameters NAME.PARAM=VALUE on the kernel command line are applied.\n"
		 "A module with unknown symbols is reported with the symbols' names.",
	.opts = modprobe_opts,
	.main = modprobe_main,
};

/* "a=1 b=\"x y\"" from the words after the module name: the kernel splits
 * parameters on blanks outside double quotes. */
static char *join_params(int argc, char **argv)
{
	size_t len = 1;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 3;
	char *s = calloc(1, len), *o = s;
	for (int i = 0; s && i < argc; i++) {
		const char *v = strchr(argv[i], '=');
		if (v && strpbrk(v, " \t") && !strchr(v, '"'))
			o += sprintf(o, "%s%.*s\"%s\"", i ? " " : "", (int)(v + 1 - argv[i]), argv[i], v + 1);
		else
			o += sprintf(o, "%s%s", i ? " " : "", argv[i]);
	}
	return s;
}

static int show_plan(struct kmod *k, char **names, int n, const char *params, bool quiet)
{
	struct kmod_plan plan = { 0 };
	struct bb_error e;
	int rc = 0;
	for (int i = 0; i < n && !rc; i++) {
		rc = kmod_plan_add(k, &plan, names[i], &e);
		if (rc > 0 && !quiet)
			bb_err("%s: module not found in %s", names[i], k->dir);
		else if (rc < 0)
			bb_report(&e);
	}
	for (size_t i = 0; !rc && i < plan.n; i++) {
		const struct kmod_step *s = &plan.step[i];
		bool p = s->target && params && *params;
		if (s->file)
			printf("insmod %s%s%s%s\n", s->file->path, p ? " " : "", p ? params : "",
			       s->optional ? "   # soft dependency" : "");
		else
			printf("builtin %s\n", s->name);
	}
	kmod_plan_free(&plan);
	return rc ? 1 : 0;
}

/* modprobe -v: each step as it happens. */
static void say_step(void *ctx, enum kmod_event ev, const struct kmod_step *s, const char *why)
{
	(void)ctx;
	if (ev == KMOD_PRESENT)
		printf("%s %s\n", s->file ? "loaded" : "builtin", s->name);
	else if (ev == KMOD_INSERTING)
		printf("insmod %s\n", s->file->path);
	else
		bb_warn("%s (optional): %s", s->name, why);
}

static int load_one(struct kmod *k, const char *name, const char *params, bool quiet,
		    bool verbose)
{
	struct kmod_notes notes = { say_step, NULL };
	struct bb_error e;
	int rc = kmod_load(k, name, params, verbose ? &notes : NULL, &e);
	if (rc < 0 || (rc > 0 && !quiet))
		bb_report(&e);
	return rc ? 1 : 0;
}

static int load(struct kmod *k, const struct bb_args *a)
{
	bool all = opt_on(a, O_ALL), quiet = opt_on(a, O_QUIET);
	int nmods = all ? a->argc : 1;
	char *params = all ? NULL : join_params(a->argc - 1, a->argv + 1);
	int rc = 0;
	if (opt_on(a, O_SHOW) || opt_on(a, O_DRY))
		rc = show_plan(k, a->argv, nmods, params, quiet);
	else
		for (int i = 0; i < nmods; i++)
			rc |= load_one(k, a->argv[i], params, quiet, opt_on(a, O_VERBOSE));
	free(params);
	return rc;
}

static bool unused(const char *name)
{
	char path[256], buf[32];
	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	return !read_line(path, buf, sizeof(buf)) && !strcmp(buf, "0");
}

/* The module first, then what it pulled in, newest first, while unused. */
static int remove_one(struct kmod *k, const char *name, bool verbose)
{
	struct kmod_plan plan = { 0 };
	struct bb_error e;
	int rc = kmod_plan_add(k, &plan, name, &e);
	if (rc) {
		kmod_plan_free(&plan);
		if (rc > 0)
			bb_err("%s: module not found in %s", name, k->dir);
		else
			bb_report(&e);
		return 1;
	}
	for (size_t i = plan.n; i-- > 0 && !rc;) {
		const struct kmod_step *s = &plan.step[i];
		enum kmod_state st = s->file ? kmod_state(s->name) : KMOD_BUILTIN;
		if (st == KMOD_ABSENT && s->target) { /* as kmod: nothing to remove is a failure */
			bb_err("%s: not loaded", s->name);
			rc = 1;
			continue;
		}
		if (st == KMOD_ABSENT || (!s->target && (st == KMOD_BUILTIN || !unused(s->name))))
			continue;
		if (st == KMOD_BUILTIN) {
			bb_err("%s: built into the kernel, cannot be removed", s->name);
			rc = 1;
			continue;
		}
		if (verbose)
			printf("rmmod %s\n", s->name);
		char why[256];
		if (kmod_remove(s->name, why, sizeof(why)) && s->target) {
			bb_err("%s: %s", s->name, why);
			rc = 1;
		}
	}
	kmod_plan_free(&plan);
	return rc;
}

static int do_rmmod(int argc, char **argv)
{
	int rc = 0;
	for (int i = 0; i < argc; i++) {
		char why[256];
		if (kmod_remove(argv[i], why, sizeof(why))) {
			bb_err("%s: %s", argv[i], why);
			rc = 1;
		}
	}
	return rc;
}

static int do_insmod(int argc, char **argv)
{
	char *params = join_params(argc - 1, argv + 1), why[768];
	int rc = kmod_insert(argv[0], params, why, sizeof(why));
	if (rc)
		bb_err("%s: %s", argv[0], why);
	free(params);
	return rc ? 1 : 0;
}

/* /proc/modules: "name size refcount dep1,dep2, state address". */
static int do_lsmod(bool json)
{
	char *text = read_file("/proc/modules", 1 << 22, NULL);
	if (!text) {
		bb_perr("/proc/modules");
		return 1;
	}
	struct jw w;
	if (json) {
		jw_init(&w, stdout, true);
		jw_arr(&w);
	} else {
		printf("%-24s %10s  %s\n", "Module", "Size", "Used by");
	}
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64], users[1024], state[16];
		unsigned long long size;
		int refs;
		if (sscanf(line, "%63s %llu %d %1023s %15s", name, &size, &refs, users, state) != 5)
			continue;
		if (!strcmp(users, "-"))
			users[0] = 0;
		size_t ul = strlen(users);
		if (ul && users[ul - 1] == ',')
			users[ul - 1] = 0;
		if (!json) {
			printf("%-24s %10llu  %d %s\n", name, size, refs, users);
			continue;
		}
		jw_obj(&w);
		jw_kstr(&w, "name", name);
		jw_ku64(&w, "size", size);
		jw_ki64(&w, "refcount", refs);
		jw_key(&w, "used_by");
		jw_arr(&w);
		char *s2 = NULL;
		for (char *u = strtok_r(users, ",", &s2); u; u = strtok_r(NULL, ",", &s2))
			jw_str(&w, u);
		jw_arr_end(&w);
		jw_kstr(&w, "state", state);
		jw_obj_end(&w);
	}
	if (json) {
		jw_arr_end(&w);
		jw_end(&w);
	}
	free(text);
	return 0;
}

static int modprobe_main(int argc, char **argv)
{
	const char *me = strrchr(argv[0], '/');
	me = me ? me + 1 : argv[0];
	struct bb_args a;
	int rc = bb_getopt(&applet_modprobe, argc, argv, &a);
	if (rc != BB_CONTINUE)
		return rc;
	if (!strcmp(me, "lsmod") || !strcmp(me, "insmod") || !strcmp(me, "rmmod"))
		bb_name = me;
	if (!strcmp(me, "lsmod"))
		return do_lsmod(opt_on(&a, O_JSON));
	if (a.argc < 1) {
		bb_err("no module given (try '%s --help')", me);
		return 2;
	}
	if (!strcmp(me, "insmod"))
		return do_insmod(a.argc, a.argv);
	if (!strcmp(me, "rmmod"))
		return do_rmmod(a.argc, a.argv);

	struct kmod k;
	struct bb_error e;
	if (kmod_open(&k, opt_str(&a, O_ROOT, NULL), opt_str(&a, O_RELEASE, NULL), &e)) {
		bb_report(&e);
		return 1;
	}
	if (opt_on(&a, O_REMOVE)) {
		rc = 0;
		for (int i = 0; i < a.argc; i++)
			rc |= remove_one(&k, a.argv[i], opt_on(&a, O_VERBOSE));
	} else {
		rc = load(&k, &a);
	}
	kmod_close(&k);
	return rc;
}
