/* dispatch.c - main() of the multicall binary: pick the applet by the name
 * we were called as (a symlink), or by the first argument. */
#include "bb.h"
#include "json.h"
#include "version.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const struct applet *bb_find_applet(const char *name)
{
	for (size_t i = 0; i < bb_applet_count; i++) {
		const struct applet *a = bb_applets[i];
		if (!strcmp(a->name, name))
			return a;
		for (const char *const *al = a->aliases; al && *al; al++)
			if (!strcmp(*al, name))
				return a;
	}
	return NULL;
}

static void each_name(void (*fn)(const char *name, const struct applet *a, void *ctx), void *ctx)
{
	for (size_t i = 0; i < bb_applet_count; i++) {
		const struct applet *a = bb_applets[i];
		fn(a->name, a, ctx);
		for (const char *const *al = a->aliases; al && *al; al++)
			fn(*al, a, ctx);
	}
}

static void print_name(const char *name, const struct applet *a, void *ctx)
{
	(void)a, (void)ctx;
	puts(name);
}

static void help(FILE *f)
{
	fputs("Usage: blockbox APPLET [ARGS...]   or   APPLET [ARGS...] (through a link)\n"
	      "       blockbox --list | --install [-f] [-H] DIR | --version | --help\n"
	      "       APPLET --version\n\n"
	      "A multicall rescue binary for storage bring-up and repair.\n\n"
	      "Applets:\n",
	      f);
	for (size_t i = 0; i < bb_applet_count; i++)
		fprintf(f, "  %-12s %s\n", bb_applets[i]->name, bb_applets[i]->summary);
}

/* blockbox --install: links named after every applet. What is already
 * there and is not us (an init -> systemd link, a real modprobe) is left
 * alone and listed, unless --force: running it on /sbin must not break
 * the next boot. */
enum { I_FORCE, I_HARD, I_SYMBOLIC };
static const struct bb_opt install_opts[] = {
	[I_FORCE] = { "force", 'f', NULL, "replace existing files and links of those names" },
	[I_HARD] = { "hard", 'H', NULL, "make hard links instead of symbolic links" },
	[I_SYMBOLIC] = { "symbolic", 's', NULL, "make symbolic links (the default)" },
	{ 0 },
};

static const struct applet install_applet = {
	.name = "blockbox --install",
	.usage = "blockbox --install [-f] [-H] DIR\n\n"
		 "Make a link named after each applet in DIR (which must exist). Names\n"
		 "already taken by other files or links are left alone and listed;\n"
		 "exit 1 when any was. --force replaces them.",
	.opts = install_opts,
};

struct install_ctx {
	const char *dir, *self;
	struct stat self_st;
	bool force, hard;
	int kept, made, failed;
};

/* Make the link beside its final name, then rename it into place, so a
 * --force replacement never leaves the name missing. */
static int place_link(struct install_ctx *c, const char *path, bool replace)
{
	char tmp[PATH_MAX];
	const char *at = replace ? tmp : path;
	if (replace)
		snprintf(tmp, sizeof(tmp), "%s.bb-install.%d", path, (int)getpid());
	if (c->hard ? link(c->self, at) : symlink(c->self, at))
		return -1;
	if (replace && rename(tmp, path)) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

static void link_one(const char *name, const struct applet *a, void *vctx)
{
	struct install_ctx *c = vctx;
	char path[PATH_MAX];
	struct stat st, tgt;
	(void)a;
	if (snprintf(path, sizeof(path), "%s/%s", c->dir, name) >= (int)sizeof(path)) {
		bb_err("--install: %s/%s: name too long", c->dir, name);
		c->failed = 1;
		return;
	}
	bool exists = !lstat(path, &st);
	if (exists && !stat(path, &tgt) && tgt.st_dev == c->self_st.st_dev &&
	    tgt.st_ino == c->self_st.st_ino)
		return; /* already us, by either kind of link */
	if (exists && (S_ISDIR(st.st_mode) || !c->force)) {
		char was[PATH_MAX] = "";
		ssize_t n = S_ISLNK(st.st_mode) ? readlink(path, was, sizeof(was) - 1) : -1;
		if (n > 0)
			was[n] = 0;
		bb_err("--install: %s: left alone: %s%s", path,
		       S_ISLNK(st.st_mode) ? "a link to " :
		       S_ISDIR(st.st_mode) ? "a directory" : "an existing file",
		       n > 0 ? was : "");
		c->kept++;
		return;
	}
	if (place_link(c, path, exists)) {
		bb_perr("--install: %s", path);
		c->failed = 1;
		return;
	}
	c->made++;
}

static int install(int argc, char **argv)
{
	struct bb_args a;
	int rc = bb_getopt(&install_applet, argc, argv, &a);
	if (rc != BB_CONTINUE)
		return rc;
	if (a.argc != 1) {
		bb_err("--install needs one directory");
		return 2;
	}
	const char *dir = a.argv[0];
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		bb_perr("--install: cannot find my own path (/proc mounted?)");
		return 1;
	}
	self[n] = 0;
	struct install_ctx c = { .dir = dir, .self = self, .force = opt_on(&a, I_FORCE),
				 .hard = opt_on(&a, I_HARD) };
	struct stat st;
	if (stat(dir, &st)) {
		if (errno == ENOENT)
			bb_err("--install: %s: no such directory (it is not created)", dir);
		else
			bb_perr("--install: %s", dir);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		bb_err("--install: %s: not a directory", dir);
		return 1;
	}
	if (stat(self, &c.self_st)) {
		bb_perr("--install: %s", self);
		return 1;
	}
	each_name(link_one, &c);
	if (c.kept)
		bb_err("--install: %d name%s left alone (--force replaces them)", c.kept,
		       c.kept == 1 ? "" : "s");
	return c.failed || c.kept;
}

/* BB_VERSION and BB_BUILD_DATE come from the generated version.h (Makefile). */
static void print_version(const char *name)
{
	if (strcmp(name, "blockbox"))
		printf("%s (blockbox) %s\n", name, BB_VERSION);
	else
		printf("blockbox %s\n", BB_VERSION);
	printf("built %s\napplets:", BB_BUILD_DATE);
	for (size_t i = 0; i < bb_applet_count; i++)
		printf(" %s", bb_applets[i]->name);
	putchar('\n');
}

/* --json and a failure that printed no JSON: a JSON error object on
 * stdout rather than nothing, for the program reading it. */
static void json_error(const char *name, int rc)
{
	struct jw w;
	jw_init(&w, stdout, true);
	jw_obj(&w);
	jw_kstr(&w, "applet", name);
	jw_kstr(&w, "error", bb_first_error()[0] ? bb_first_error() : "failed");
	jw_ki64(&w, "exit_status", rc);
	jw_obj_end(&w);
	jw_end(&w);
}

static int run(const struct applet *a, int argc, char **argv)
{
	bb_name = a->name;
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		bb_usage(a, stdout);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		const char *base = strrchr(argv[0], '/');
		print_version(base ? base + 1 : argv[0]);
		return 0;
	}
	int rc = a->main(argc, argv);
	if (rc == 1 && opt_bad_value_seen())
		rc = 2; /* a bad option value is a usage error, in every applet */
	if (rc && opt_json_asked() && !jw_stdout_used())
		json_error(a->name, rc);
	if (fflush(stdout)) {
		bb_perr("writing output");
		return rc ? rc : 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	const char *base = argc ? strrchr(argv[0], '/') : NULL;
	base = base ? base + 1 : (argc ? argv[0] : "blockbox");
	const struct applet *a = bb_find_applet(base);
	if (a)
		return run(a, argc, argv);
	if (strncmp(base, "blockbox", 8)) {
		bb_err("applet not found: %s", base);
		return 127;
	}
	if (argc < 2) {
		help(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--list")) {
		each_name(print_name, NULL);
		return 0;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		help(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		print_version("blockbox");
		return 0;
	}
	if (!strcmp(cmd, "--install"))
		return install(argc - 1, argv + 1);
	a = bb_find_applet(cmd);
	if (!a) {
		bb_err("applet not found: %s (try 'blockbox --list')", cmd);
		return 127;
	}
	return run(a, argc - 1, argv + 1);
}
