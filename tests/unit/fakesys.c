/* fakesys.c - a fake /sys, /proc and /dev tree under the test's temporary
 * directory, for core code that takes a struct sysroot. */
#include "fakesys.h"
#include "test.h"
#include "test_fs.h"

#include <errno.h>
#include <libgen.h>
#include <sys/stat.h>
#include <unistd.h>

char fakesys_root[4096];

void fakesys_init(void) { snprintf(fakesys_root, sizeof(fakesys_root), "%s", test_tmpdir()); }

void fakesys_mkdirs(const char *path) { test_mkdirs(path); }

void fakesys_file(const char *rel, const char *text)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", fakesys_root, rel);
	test_write_file(path, text);
}

void fakesys_link(const char *target, const char *rel)
{
	char path[4096], dir[4096];
	snprintf(path, sizeof(path), "%s/%s", fakesys_root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	fakesys_mkdirs(dirname(dir));
	if (symlink(target, path))
		test_fail(__FILE__, __LINE__, "symlink %s: %s", path, strerror(errno));
}

/* A disk at devices/DEVPATH/block/NAME (or DEVPATH itself for virtual
 * ones), registered in class/block. */
void fakesys_disk(const char *devpath, const char *name, const char *devt, const char *sectors)
{
	char d[4096], rel[4096], tgt[4096];
	snprintf(d, sizeof(d), "sys/devices/%s/%s", devpath, name);
	snprintf(rel, sizeof(rel), "%s/dev", d), fakesys_file(rel, devt);
	snprintf(rel, sizeof(rel), "%s/size", d), fakesys_file(rel, sectors);
	snprintf(rel, sizeof(rel), "%s/ro", d), fakesys_file(rel, "0\n");
	snprintf(rel, sizeof(rel), "%s/removable", d), fakesys_file(rel, "0\n");
	snprintf(rel, sizeof(rel), "%s/queue/logical_block_size", d), fakesys_file(rel, "512\n");
	snprintf(rel, sizeof(rel), "%s/queue/physical_block_size", d), fakesys_file(rel, "4096\n");
	snprintf(rel, sizeof(rel), "%s/queue/rotational", d), fakesys_file(rel, "0\n");
	snprintf(rel, sizeof(rel), "%s/holders", d);
	snprintf(tgt, sizeof(tgt), "%s/%s", fakesys_root, rel), fakesys_mkdirs(tgt);
	snprintf(tgt, sizeof(tgt), "../../devices/%s/%s", devpath, name);
	snprintf(rel, sizeof(rel), "sys/class/block/%s", name), fakesys_link(tgt, rel);
}

void fakesys_part(const char *devpath, const char *disk_name, const char *name, int no,
		 const char *devt)
{
	char d[4096], rel[4096], tgt[4096], num[16];
	snprintf(d, sizeof(d), "sys/devices/%s/%s/%s", devpath, disk_name, name);
	snprintf(rel, sizeof(rel), "%s/dev", d), fakesys_file(rel, devt);
	snprintf(rel, sizeof(rel), "%s/size", d), fakesys_file(rel, "2048\n");
	snprintf(num, sizeof(num), "%d\n", no);
	snprintf(rel, sizeof(rel), "%s/partition", d), fakesys_file(rel, num);
	snprintf(num, sizeof(num), "%d\n", 2048 * no); /* partition N at N MiB */
	snprintf(rel, sizeof(rel), "%s/start", d), fakesys_file(rel, num);
	snprintf(rel, sizeof(rel), "%s/holders", d);
	snprintf(tgt, sizeof(tgt), "%s/%s", fakesys_root, rel), fakesys_mkdirs(tgt);
	snprintf(tgt, sizeof(tgt), "../../devices/%s/%s/%s", devpath, disk_name, name);
	snprintf(rel, sizeof(rel), "sys/class/block/%s", name), fakesys_link(tgt, rel);
}

