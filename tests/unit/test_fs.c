/* test_fs.c - fake trees for tests: see test_fs.h. */
#include "test_fs.h"
#include "test.h"

#include <errno.h>
#include <libgen.h>
#include <sys/stat.h>

void test_mkdirs(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(tmp, 0755);
			*p = '/';
		}
	mkdir(tmp, 0755);
}

void test_write_file(const char *path, const char *text)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	test_mkdirs(dirname(dir));
	FILE *f = fopen(path, "w");
	if (!f)
		test_fail(__FILE__, __LINE__, "fopen %s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}
