/* aside_fs DIR: core/io.c's write-aside commits on the filesystem holding
 * DIR (vfat has no hard links, which aside_commit_new relies on first).
 * Built static with musl by tests/vm/16-aside-vfat.sh; prints PASS/FAIL. */
#include "io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failed;

static void check(int ok, const char *what)
{
	printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", what, ok ? "" : ": ", ok ? "" : strerror(errno));
	fflush(stdout);
	failed |= !ok;
}

static int commit_new(const char *path, const char *text)
{
	struct aside a;
	if (aside_open(&a, path, 0644))
		return -1;
	if (write_full(a.fd, text, strlen(text))) {
		aside_abort(&a);
		return -1;
	}
	return aside_commit_new(&a);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	char path[4096], link_probe[4096];
	snprintf(path, sizeof(path), "%s/shard.ec03", argv[1]);
	snprintf(link_probe, sizeof(link_probe), "%s/probe", argv[1]);
	write_file_atomic(link_probe, "x", 1, 0644);
	snprintf(path, sizeof(path), "%s/shard.ec03", argv[1]);
	char other[4200];
	snprintf(other, sizeof(other), "%s.link", link_probe);
	check(link(link_probe, other) == -1, "this filesystem refuses hard links");
	check(commit_new(path, "first") == 0, "aside_commit_new creates the file");
	char *txt = read_file(path, 100, NULL);
	check(txt && !strcmp(txt, "first"), "with its content");
	free(txt);
	check(commit_new(path, "second") == -1 && errno == EEXIST, "and never replaces it");
	txt = read_file(path, 100, NULL);
	check(txt && !strcmp(txt, "first"), "the first content stays");
	free(txt);
	check(write_file_atomic(path, "third", 5, 0644) == 0, "aside_commit replaces on purpose");
	txt = read_file(path, 100, NULL);
	check(txt && !strcmp(txt, "third"), "with the new content");
	free(txt);
	return failed;
}
