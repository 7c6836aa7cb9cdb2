/* dispatch.c - main() of the multicall binary: pick the applet by the name
 * we were called as (a symlink), or by the first argument. */
#include "bb.h"

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
	      "       blockbox --list | --install DIR | --help\n\n"
	      "A multicall rescue binary for storage bring-up and repair.\n\n"
	      "Applets:\n",
	      f);
	for (size_t i = 0; i < bb_applet_count; i++)
		fprintf(f, "  %-12s %s\n", bb_applets[i]->name, bb_applets[i]->summary);
}

struct install_ctx {
	const char *dir, *self;
	int failed;
};

static void link_one(const char *name, const struct applet *a, void *vctx)
{
	struct install_ctx *c = vctx;
	char path[PATH_MAX];
	struct stat st;
	(void)a;
	snprintf(path, sizeof(path), "%s/%s", c->dir, name);
	if (!lstat(path, &st)) {
		if (!S_ISLNK(st.st_mode)) {
			bb_err("--install: %s exists and is not a link; left alone", path);
			c->failed = 1;
			return;
		}
		unlink(path);
	}
	if (symlink(c->self, path)) {
		bb_perr("--install: %s", path);
		c->failed = 1;
	}
}

static int install(const char *dir)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		bb_perr("--install: cannot find my own path (/proc mounted?)");
		return 1;
	}
	self[n] = 0;
	struct stat st;
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		bb_err("--install: %s: not a directory", dir);
		return 1;
	}
	struct install_ctx c = { dir, self, 0 };
	each_name(link_one, &c);
	return c.failed;
}

static int run(const struct applet *a, int argc, char **argv)
{
	bb_name = a->name;
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		bb_usage(a, stdout);
		return 0;
	}
	int rc = a->main(argc, argv);
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
	if (!strcmp(cmd, "--install")) {
		if (argc != 3) {
			bb_err("--install needs one directory");
			return 2;
		}
		return install(argv[2]);
	}
	a = bb_find_applet(cmd);
	if (!a) {
		bb_err("applet not found: %s (try 'blockbox --list')", cmd);
		return 127;
	}
	return run(a, argc - 1, argv + 1);
}
