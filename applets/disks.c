/* disks - the block devices the kernel has, from sysfs, and what is on
 * them (libblkid): no udev, no lsblk. What sysvol and volmgr see when
 * they look for disks. */
#include "bb.h"
#include "error.h"
#include "json.h"
#include "size.h"
#include "sysfs.h"
#include "tags.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static int disks_main(int argc, char **argv);

enum { O_JSON, O_ALL, O_NOPARTS, O_ROOT, O_FS, O_NOPROBE };
static const struct bb_opt disks_opts[] = {
	[O_JSON] = { "json", 0, NULL, "print a JSON array" },
	[O_ALL] = { "all", 'a', NULL, "include empty devices (unused loop, stopped md)" },
	[O_NOPARTS] = { "no-partitions", 'd', NULL, "whole devices only" },
	[O_ROOT] = { "root", 0, "DIR", "read DIR/sys, DIR/proc, DIR/dev (tests, chroots)" },
	[O_FS] = { "fs", 'f', NULL, "what is on them: NAME FSTYPE FSVER LABEL UUID USE (lsblk -f)" },
	[O_NOPROBE] = { "no-probe", 'n', NULL,
			"sysfs only: never read the devices (a dying disk can hang a read)" },
	{ 0 },
};

const struct applet applet_disks = {
	.name = "disks",
	.summary = "list block devices: size, bus, model, serial, filesystem, use",
	.usage = "disks [--json] [-f] [-a] [-d] [-n] [DEVICE...]\n\n"
		 "List block devices (all of them, or the DEVICEs named) with size, sector\n"
		 "sizes, transport (virtio, nvme, sata, ...), model, serial, what is on\n"
		 "them (filesystem, RAID or LVM signature; -f: with version, label and\n"
		 "UUID, as lsblk -f) and what uses them: the mount point, [SWAP], or what\n"
		 "holds them (an md array, device-mapper devices by their names). Reads\n"
		 "sysfs and /proc, and the devices' signatures unless -n.",
	.opts = disks_opts,
	.main = disks_main,
};

static const char *dev_type(const struct blkdev *d)
{
	if (d->partno)
		return "part";
	if (!strcmp(d->transport, "md") || !strcmp(d->transport, "dm") ||
	    !strcmp(d->transport, "loop"))
		return d->transport;
	return "disk";
}

/* Mount point, swap, or what holds it (md0; LVs by their dm names, as
 * lsblk names them): the first thing that makes it busy. */
static void dev_use(const struct blkdev_list *l, const struct blkdev *d, char *buf, size_t len)
{
	if (d->nmounts) {
		utf8_printable(d->mountpoint, strlen(d->mountpoint), buf, len);
		return;
	}
	if (d->swap) {
		snprintf(buf, len, "[SWAP]");
		return;
	}
	if (!d->nholders) {
		snprintf(buf, len, "-");
		return;
	}
	size_t at = (size_t)snprintf(buf, len, "held by");
	for (int h = 0; h < d->nholders && at < len; h++) {
		const struct blkdev *hd = blkdev_find(l, d->holders[h]);
		const char *name = hd && hd->dm_name[0] ? hd->dm_name : d->holders[h];
		char shown[4 * sizeof(hd->dm_name)];
		utf8_printable(name, strlen(name), shown, sizeof(shown));
		at += (size_t)snprintf(buf + at, len - at, "%s %s", h ? "," : "", shown);
	}
}

/* A device named on the command line: kernel name, /dev path, or any
 * other node or link of it (/dev/mapper/vg0-data, /dev/md/root). */
static struct blkdev *lookup(const struct blkdev_list *l, const char *arg)
{
	struct blkdev *d = blkdev_find(l, arg);
	struct stat st;
	if (!d && !stat(arg, &st) && S_ISBLK(st.st_mode))
		d = blkdev_find_devt(l, major(st.st_rdev), minor(st.st_rdev));
	return d;
}

static bool wanted(const struct bb_args *a, const struct blkdev_list *l, const struct blkdev *d)
{
	if (opt_on(a, O_NOPARTS) && d->partno)
		return false;
	if (a->argc == 0)
		return d->size > 0 || opt_on(a, O_ALL);
	for (int i = 0; i < a->argc; i++)
		if (lookup(l, a->argv[i]) == d)
			return true;
	return false;
}

/* What the table and JSON show: the devices, and for each (same index)
 * what libblkid found on it. */
struct view {
	const struct bb_args *a;
	const struct blkdev_list *l;
	struct tags *fs;
};

static const char *fs_tag(const struct view *v, size_t i, const char *name)
{
	return tags_get(&v->fs[i], name);
}

static void print_one_json(struct jw *w, const struct view *v, size_t i)
{
	static const char *const keys[][2] = {
		{ "fstype", "TYPE" }, { "fsver", "VERSION" }, { "label", "LABEL" },
		{ "uuid", "UUID" }, { "pttype", "PTTYPE" }, { "partuuid", "PART_ENTRY_UUID" },
		{ "partlabel", "PART_ENTRY_NAME" },
	};
	const struct blkdev *d = &v->l->dev[i];
	jw_obj(w);
	jw_kstr(w, "name", d->name);
	jw_kstr(w, "path", d->path);
	jw_kstr(w, "type", dev_type(d));
	jw_kstr(w, "parent", d->parent[0] ? d->parent : NULL);
	jw_key(w, "devno");
	char devno[24];
	snprintf(devno, sizeof(devno), "%u:%u", d->major, d->minor);
	jw_str(w, devno);
	jw_ku64(w, "size", d->size);
	jw_ku64(w, "logical_sector", d->lsec);
	jw_ku64(w, "physical_sector", d->psec);
	jw_kstr(w, "transport", d->transport);
	jw_kstr(w, "model", d->model[0] ? d->model : NULL);
	jw_kstr(w, "serial", d->serial[0] ? d->serial : NULL);
	jw_kstr(w, "wwn", d->wwn[0] ? d->wwn : NULL);
	jw_kstr(w, "dm_name", d->dm_name[0] ? d->dm_name : NULL);
	jw_kbool(w, "rotational", d->rotational);
	jw_kbool(w, "removable", d->removable);
	jw_kbool(w, "ro", d->ro);
	jw_ku64(w, "partitions", (uint64_t)d->nparts);
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
		jw_kstr(w, keys[k][0], fs_tag(v, i, keys[k][1]));
	jw_kstr(w, "mountpoint", d->nmounts ? d->mountpoint : NULL);
	jw_kbool(w, "swap", d->swap);
	jw_key(w, "holders");
	jw_arr(w);
	for (int h = 0; h < d->nholders; h++)
		jw_str(w, d->holders[h]);
	jw_arr_end(w);
	jw_obj_end(w);
}

static void print_json(const struct view *v)
{
	struct jw w;
	jw_init(&w, stdout, true);
	jw_arr(&w);
	for (size_t i = 0; i < v->l->n; i++)
		if (wanted(v->a, v->l, &v->l->dev[i]))
			print_one_json(&w, v, i);
	jw_arr_end(&w);
	jw_end(&w);
}

static const char *or_dash(const char *s) { return s && s[0] ? s : "-"; }

/* A value read from a disk, fit for a terminal. */
static const char *shown(const char *s, char *buf, size_t len)
{
	return or_dash(s ? utf8_printable(s, strlen(s), buf, len) : NULL);
}

static void print_table(const struct view *v)
{
	printf("%-12s %9s %-4s %-7s %-2s %-9s %-20s %-20s %-11s %s\n", "NAME", "SIZE", "TYPE",
	       "TRAN", "RO", "SECTOR", "MODEL", "SERIAL", "FSTYPE", "USE");
	for (size_t i = 0; i < v->l->n; i++) {
		const struct blkdev *d = &v->l->dev[i];
		if (!wanted(v->a, v->l, d))
			continue;
		char size[16], name[BLKDEV_NAME + 4], use[300], sec[24];
		char model[4 * sizeof(d->model)], serial[4 * sizeof(d->serial)], fstype[128];
		fmt_size(d->size, size, sizeof(size));
		snprintf(name, sizeof(name), "%s%s", d->partno ? "`-" : "", d->name);
		snprintf(sec, sizeof(sec), "%u/%u", d->lsec, d->psec);
		dev_use(v->l, d, use, sizeof(use));
		printf("%-12s %9s %-4s %-7s %-2s %-9s %-20.20s %-20.20s %-11s %s\n", name, size,
		       dev_type(d), d->transport, d->ro ? "ro" : "rw", sec,
		       shown(d->model, model, sizeof(model)),
		       shown(d->serial, serial, sizeof(serial)),
		       shown(fs_tag(v, i, "TYPE"), fstype, sizeof(fstype)), use);
	}
}

/* -f: as lsblk -f, with USE for its mount points. */
static void print_fs(const struct view *v)
{
	printf("%-12s %-11s %-6s %-16s %-36s %s\n", "NAME", "FSTYPE", "FSVER", "LABEL", "UUID",
	       "USE");
	for (size_t i = 0; i < v->l->n; i++) {
		const struct blkdev *d = &v->l->dev[i];
		if (!wanted(v->a, v->l, d))
			continue;
		char name[BLKDEV_NAME + 4], use[300], fstype[128], ver[128], label[1024], uuid[256];
		snprintf(name, sizeof(name), "%s%s", d->partno ? "`-" : "", d->name);
		dev_use(v->l, d, use, sizeof(use));
		printf("%-12s %-11s %-6s %-16s %-36s %s\n", name,
		       shown(fs_tag(v, i, "TYPE"), fstype, sizeof(fstype)),
		       shown(fs_tag(v, i, "VERSION"), ver, sizeof(ver)),
		       shown(fs_tag(v, i, "LABEL"), label, sizeof(label)),
		       shown(fs_tag(v, i, "UUID"), uuid, sizeof(uuid)), use);
	}
}

/* What is on each device shown, as lsblk probes it; nothing for those
 * that cannot be read (not root, no medium), and no device read with -n. */
static struct tags *probe_all(const struct bb_args *a, const struct blkdev_list *l)
{
	struct tags *fs = calloc(l->n + 1, sizeof(*fs));
	if (!fs) {
		bb_err("out of memory");
		return NULL;
	}
	const struct tags_req rq = { .view = TAGS_LOW };
	for (size_t i = 0; !opt_on(a, O_NOPROBE) && i < l->n; i++)
		if (wanted(a, l, &l->dev[i]) && l->dev[i].size)
			tags_probe(l->dev[i].path, &rq, &fs[i], NULL);
	return fs;
}

static int disks_main(int argc, char **argv)
{
	struct bb_args a;
	int rc = bb_getopt(&applet_disks, argc, argv, &a);
	if (rc != BB_CONTINUE)
		return rc;
	struct sysroot root = sysroot_default;
	char sys[4096], proc[4096], dev[4096];
	if (opt_on(&a, O_ROOT)) {
		const char *r = opt_str(&a, O_ROOT, "");
		snprintf(sys, sizeof(sys), "%s/sys", r);
		snprintf(proc, sizeof(proc), "%s/proc", r);
		snprintf(dev, sizeof(dev), "%s/dev", r);
		root = (struct sysroot){ sys, proc, dev };
	}
	struct blkdev_list l;
	struct bb_error e;
	if (blkdev_scan(&root, &l, &e)) {
		bb_report(&e);
		return 1;
	}
	rc = 0;
	for (int i = 0; i < a.argc; i++)
		if (!lookup(&l, a.argv[i])) {
			bb_err("%s: no such block device", a.argv[i]);
			rc = 1;
		}
	struct view v = { &a, &l, probe_all(&a, &l) };
	/* The device list sorts partitions right after their disk by name
	 * (vda, vda1, vdb), which is the order a table wants. */
	if (!v.fs)
		rc = 1;
	else if (opt_on(&a, O_JSON))
		print_json(&v);
	else if (opt_on(&a, O_FS))
		print_fs(&v);
	else
		print_table(&v);
	for (size_t i = 0; v.fs && i < l.n; i++)
		tags_free(&v.fs[i]);
	free(v.fs);
	blkdev_list_free(&l);
	return rc;
}
