/* sysfs.c - block device discovery from /sys/class/block and /proc. */
#include "sysfs.h"
#include "error.h"
#include "io.h"
#include "mount.h"
#include "num.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

const struct sysroot sysroot_default = { "/sys", "/proc", "/dev" };

static uint64_t attr_u64(const char *dir, const char *name, uint64_t def)
{
	char path[PATH_MAX], buf[64];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (read_line(path, buf, sizeof(buf)) || !buf[0])
		return def;
	uint64_t v;
	return num_dec_u64(buf, 0, UINT64_MAX, &v, NULL) ? def : v;
}

static void attr_str(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	read_line(path, buf, len);
	/* sysfs pads SCSI model strings with spaces on both ends */
	size_t skip = strspn(buf, " \t");
	if (skip)
		memmove(buf, buf + skip, strlen(buf + skip) + 1);
}

/* First of several attribute locations that has a value. */
static void attr_first(const char *dir, const char *const names[], char *buf, size_t len)
{
	for (; *names; names++) {
		attr_str(dir, *names, buf, len);
		if (buf[0])
			return;
	}
}

/* The bus, from where the device sits in the /sys/devices tree. */
static void find_transport(const char *devdir, const char *name, char *out, size_t len)
{
	char real[PATH_MAX];
	const char *t = "unknown";
	if (!realpath(devdir, real))
		real[0] = 0;
	if (!strncmp(name, "md", 2) && strstr(real, "/virtual/"))
		t = "md";
	else if (!strncmp(name, "dm-", 3))
		t = "dm";
	else if (!strncmp(name, "loop", 4))
		t = "loop";
	else if (strstr(real, "/usb"))
		t = "usb";
	else if (strstr(real, "/nvme"))
		t = "nvme";
	else if (strstr(real, "/virtio"))
		t = "virtio";
	else if (strstr(real, "/mmc"))
		t = "mmc";
	else if (strstr(real, "/ata"))
		t = "sata";
	else if (strstr(real, "/host") || strstr(real, "/target"))
		t = "scsi";
	snprintf(out, len, "%s", t);
}

static void read_holders(const char *dir, struct blkdev *d)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/holders", dir);
	DIR *h = opendir(path);
	if (!h)
		return;
	struct dirent *e;
	while ((e = readdir(h)) && d->nholders < BLKDEV_MAX_HOLDERS) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(d->holders[d->nholders++], BLKDEV_NAME, "%s", e->d_name);
	}
	closedir(h);
}

/* Fill one device from /sys/class/block/NAME. Returns -1 if not a device. */
static int read_dev(const struct sysroot *root, const char *name, struct blkdev *d)
{
	char dir[PATH_MAX], buf[64], path[PATH_MAX];
	memset(d, 0, sizeof(*d));
	snprintf(dir, sizeof(dir), "%s/class/block/%s", root->sys, name);
	snprintf(path, sizeof(path), "%s/dev", dir);
	if (read_line(path, buf, sizeof(buf)) || sscanf(buf, "%u:%u", &d->major, &d->minor) != 2)
		return -1;
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->path, sizeof(d->path), "%s/%s", root->dev, name);
	d->size = attr_u64(dir, "size", 0) * 512; /* sysfs counts 512-byte units */
	d->ro = attr_u64(dir, "ro", 0);
	d->partno = (int)attr_u64(dir, "partition", 0);
	d->start = attr_u64(dir, "start", 0) * 512;

	/* Queue attributes and identity live on the whole disk. */
	char disk_dir[PATH_MAX];
	if (d->partno) {
		char real[PATH_MAX];
		if (realpath(dir, real)) {
			char *slash = strrchr(real, '/');
			if (slash) {
				*slash = 0;
				const char *parent = strrchr(real, '/');
				snprintf(d->parent, sizeof(d->parent), "%s", parent ? parent + 1 : real);
			}
			snprintf(disk_dir, sizeof(disk_dir), "%s", real);
		} else {
			snprintf(disk_dir, sizeof(disk_dir), "%s", dir);
		}
	} else {
		snprintf(disk_dir, sizeof(disk_dir), "%s", dir);
	}
	d->lsec = (unsigned)attr_u64(disk_dir, "queue/logical_block_size", 512);
	d->psec = (unsigned)attr_u64(disk_dir, "queue/physical_block_size", d->lsec);
	d->rotational = attr_u64(disk_dir, "queue/rotational", 0);
	d->removable = attr_u64(disk_dir, "removable", 0);
	static const char *const model[] = { "device/model", "device/name", NULL };
	static const char *const serial[] = { "device/serial", "serial", "device/vpd_pg80", NULL };
	static const char *const wwn[] = { "wwid", "device/wwid", "device/wwn", NULL };
	attr_first(disk_dir, model, d->model, sizeof(d->model));
	attr_first(disk_dir, serial, d->serial, sizeof(d->serial));
	attr_first(disk_dir, wwn, d->wwn, sizeof(d->wwn));
	attr_str(disk_dir, "dm/name", d->dm_name, sizeof(d->dm_name));
	snprintf(path, sizeof(path), "%s/device", disk_dir);
	find_transport(access(path, F_OK) ? disk_dir : path, d->partno ? d->parent : d->name,
		       d->transport, sizeof(d->transport));
	read_holders(dir, d);
	return 0;
}

static int cmp_dev(const void *a, const void *b)
{
	return strcmp(((const struct blkdev *)a)->name, ((const struct blkdev *)b)->name);
}

/* The device a mount source names ("/dev/sda1", "/dev/mapper/vg-lv"). */
static struct blkdev *mount_source(const struct blkdev_list *l, const char *src)
{
	struct stat st;
	if (src[0] != '/')
		return NULL;
	struct blkdev *d = blkdev_find(l, src);
	if (!d && !stat(src, &st) && S_ISBLK(st.st_mode))
		d = blkdev_find_devt(l, major(st.st_rdev), minor(st.st_rdev));
	return d;
}

/* mountinfo field 3 is the device number of what is mounted: exact even
 * when the source is shown as a symlink or a UUID path. Not for btrfs
 * (and bcachefs), whose mounts carry an anonymous 0:N number: for those
 * the source after the " - " separator names the device. */
static void read_mounts(const struct sysroot *root, struct blkdev_list *l)
{
	char path[PATH_MAX];
	struct mount_table t;
	snprintf(path, sizeof(path), "%s/self/mountinfo", root->proc);
	if (mount_table_read(path, &t, NULL))
		return;
	for (size_t i = 0; i < t.n; i++) {
		const struct mount_entry *m = &t.m[i];
		struct blkdev *d = blkdev_find_devt(l, m->major, m->minor);
		if (!d)
			d = mount_source(l, m->source);
		if (d && !d->nmounts++)
			snprintf(d->mountpoint, sizeof(d->mountpoint), "%s", m->target);
	}
	mount_table_free(&t);
}

static void read_swaps(const struct sysroot *root, struct blkdev_list *l)
{
	char path[PATH_MAX];
	struct mount_swaps s;
	snprintf(path, sizeof(path), "%s/swaps", root->proc);
	if (mount_swaps_read(path, &s, NULL))
		return;
	for (size_t i = 0; i < s.n; i++) {
		struct blkdev *d = blkdev_find(l, s.path[i]);
		struct stat st;
		if (!d && !stat(s.path[i], &st) && S_ISBLK(st.st_mode))
			d = blkdev_find_devt(l, major(st.st_rdev), minor(st.st_rdev));
		if (d)
			d->swap = true;
	}
	mount_swaps_free(&s);
}

int blkdev_scan(const struct sysroot *root, struct blkdev_list *out, struct bb_error *e)
{
	char path[PATH_MAX];
	out->dev = NULL;
	out->n = 0;
	snprintf(path, sizeof(path), "%s/class/block", root->sys);
	DIR *dir = opendir(path);
	if (!dir)
		return bb_error_errno(e, "%s", path);
	size_t cap = 0;
	struct dirent *ent;
	while ((ent = readdir(dir))) {
		if (ent->d_name[0] == '.' || strlen(ent->d_name) >= BLKDEV_NAME)
			continue;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			struct blkdev *v = realloc(out->dev, cap * sizeof(*v));
			if (!v) {
				closedir(dir);
				blkdev_list_free(out);
				return bb_error_set(e, ENOMEM, "%s: out of memory", path);
			}
			out->dev = v;
		}
		if (!read_dev(root, ent->d_name, &out->dev[out->n]))
			out->n++;
	}
	closedir(dir);
	if (out->n)
		qsort(out->dev, out->n, sizeof(*out->dev), cmp_dev);
	for (size_t i = 0; i < out->n; i++) {
		struct blkdev *p = out->dev[i].partno ? blkdev_find(out, out->dev[i].parent) : NULL;
		if (p)
			p->nparts++;
	}
	read_mounts(root, out);
	read_swaps(root, out);
	return 0;
}

void blkdev_list_free(struct blkdev_list *l)
{
	free(l->dev);
	l->dev = NULL;
	l->n = 0;
}

struct blkdev *blkdev_find(const struct blkdev_list *l, const char *name_or_path)
{
	const char *name = name_or_path;
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->dev[i].path, name_or_path))
			return &l->dev[i];
	if (!strncmp(name, "/dev/", 5))
		name += 5;
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->dev[i].name, name))
			return &l->dev[i];
	return NULL;
}

struct blkdev *blkdev_find_devt(const struct blkdev_list *l, unsigned major, unsigned minor)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->dev[i].major == major && l->dev[i].minor == minor)
			return &l->dev[i];
	return NULL;
}
