/* disks - the block devices the kernel has, from sysfs alone: no udev,
 * no lsblk. What sysvol and volmgr see when they look for disks. */
#include "bb.h"
#include "error.h"
#include "json.h"
#include "size.h"
#include "sysfs.h"
#include "utf8.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static int disks_main(int argc, char **argv);

enum { O_JSON, O_ALL, O_NOPARTS, O_ROOT };
static const struct bb_opt disks_opts[] = {
	[O_JSON] = { "json", 0, NULL, "print a JSON array" },
	[O_ALL] = { "all", 'a', NULL, "include empty devices (unused loop, stopped md)" },
	[O_NOPARTS] = { "no-partitions", 'd', NULL, "whole devices only" },
	[O_ROOT] = { "root", 0, "DIR", "read DIR/sys, DIR/proc, DIR/dev (tests, chroots)" },
	{ 0 },
};

const struct applet applet_disks = {
	.name = "disks",
	.summary = "list block devices from sysfs: size, bus, model, serial, use",
	.usage = "disks [--json] [-a] [-d] [DEVICE...]\n\n"
		 "List block devices (all of them, or the DEVICEs named) with size, sector\n"
		 "sizes, transport (virtio, nvme, sata, ...), model, serial and what uses\n"
		 "them (mount point, swap, md/dm holder). Reads sysfs and /proc only.",
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

/* Mount point, swap, or holder: the first thing that makes it busy. */
static void dev_use(const struct blkdev *d, char *buf, size_t len)
{
	if (d->nmounts)
		utf8_printable(d->mountpoint, strlen(d->mountpoint), buf, len);
	else if (d->swap)
		snprintf(buf, len, "[swap]");
	else if (d->nholders)
		snprintf(buf, len, "held by %s", d->holders[0]);
	else
		snprintf(buf, len, "-");
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

static void print_one_json(struct jw *w, const struct blkdev *d)
{
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
	jw_kstr(w, "mountpoint", d->nmounts ? d->mountpoint : NULL);
	jw_kbool(w, "swap", d->swap);
	jw_key(w, "holders");
	jw_arr(w);
	for (int h = 0; h < d->nholders; h++)
		jw_str(w, d->holders[h]);
	jw_arr_end(w);
	jw_obj_end(w);
}

static void print_json(const struct bb_args *a, const struct blkdev_list *l)
{
	struct jw w;
	jw_init(&w, stdout, true);
	jw_arr(&w);
	for (size_t i = 0; i < l->n; i++)
		if (wanted(a, l, &l->dev[i]))
			print_one_json(&w, &l->dev[i]);
	jw_arr_end(&w);
	jw_end(&w);
}

static const char *or_dash(const char *s) { return s[0] ? s : "-"; }

static void print_table(const struct bb_args *a, const struct blkdev_list *l)
{
	printf("%-12s %9s %-4s %-7s %-2s %-9s %-20s %-20s %s\n", "NAME", "SIZE", "TYPE", "TRAN",
	       "RO", "SECTOR", "MODEL", "SERIAL", "USE");
	for (size_t i = 0; i < l->n; i++) {
		const struct blkdev *d = &l->dev[i];
		if (!wanted(a, l, d))
			continue;
		char size[16], name[BLKDEV_NAME + 4], use[300], sec[24];
		char model[4 * sizeof(d->model)], serial[4 * sizeof(d->serial)];
		fmt_size(d->size, size, sizeof(size));
		snprintf(name, sizeof(name), "%s%s", d->partno ? "`-" : "", d->name);
		snprintf(sec, sizeof(sec), "%u/%u", d->lsec, d->psec);
		dev_use(d, use, sizeof(use));
		printf("%-12s %9s %-4s %-7s %-2s %-9s %-20.20s %-20.20s %s\n", name, size,
		       dev_type(d), d->transport, d->ro ? "ro" : "rw", sec,
		       or_dash(utf8_printable(d->model, strlen(d->model), model, sizeof(model))),
		       or_dash(utf8_printable(d->serial, strlen(d->serial), serial, sizeof(serial))),
		       use);
	}
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
	/* The device list sorts partitions right after their disk by name
	 * (vda, vda1, vdb), which is the order a table wants. */
	if (opt_on(&a, O_JSON))
		print_json(&a, &l);
	else
		print_table(&a, &l);
	blkdev_list_free(&l);
	return rc;
}
