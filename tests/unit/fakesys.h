/* fakesys.h - build a fake sysfs/proc tree for struct sysroot tests. */
#ifndef BB_TEST_FAKESYS_H
#define BB_TEST_FAKESYS_H

extern char fakesys_root[4096];

/* Point fakesys_root at the test's temporary directory. */
void fakesys_init(void);
void fakesys_mkdirs(const char *path); /* absolute path, like mkdir -p */
/* A file or symlink at root/rel, parent directories made. */
void fakesys_file(const char *rel, const char *text);
void fakesys_link(const char *target, const char *rel);
/* A disk at sys/devices/DEVPATH/NAME registered in sys/class/block, with
 * dev (major:minor), size (512-byte sectors) and an empty holders/. */
void fakesys_disk(const char *devpath, const char *name, const char *devt, const char *sectors);
/* Partition no of disk_name (2048 sectors). */
void fakesys_part(const char *devpath, const char *disk_name, const char *name, int no,
		  const char *devt);

#endif
