/* probe - what is on each device: filesystem, RAID or LVM signature,
 * label, UUID, partition table. Like blkid, in the rescue binary. */
#include "bb.h"
#include "error.h"
#include "json.h"
#include "probe.h"
#include "sysfs.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int probe_main(int argc, char **argv);

enum { O_JSON };
static const struct bb_opt probe_opts[] = {
	[O_JSON] = { "json", 0, NULL, "print a JSON array instead of a table" },
	{ 0 },
};

const struct applet applet_probe = {
	.name = "probe",
	.summary = "show filesystem/RAID/LVM signatures, labels, UUIDs, partition tables",
	.usage = "probe [--json] [DEVICE_OR_IMAGE...]\n\n"
		 "Probe each DEVICE_OR_IMAGE (every block device when none is given) and\n"
		 "print TYPE, LABEL, UUID and PTTYPE. Exit 0 when every probe succeeded,\n"
		 "1 when any failed.",
	.opts = probe_opts,
	.main = probe_main,
};

struct found {
	const char *path;
	struct probe_info pi;
};

static void print_json(const struct found *f, size_t n)
{
	struct jw w;
	jw_init(&w, stdout, true);
	jw_arr(&w);
	for (size_t i = 0; i < n; i++) {
		const struct probe_info *p = &f[i].pi;
		jw_obj(&w);
		jw_kstr(&w, "device", f[i].path);
		jw_kstr(&w, "type", p->type[0] ? p->type : NULL);
		jw_kstr(&w, "usage", p->usage[0] ? p->usage : NULL);
		jw_kstr(&w, "label", p->label[0] ? p->label : NULL);
		jw_kstr(&w, "uuid", p->uuid[0] ? p->uuid : NULL);
		jw_kstr(&w, "uuid_sub", p->uuid_sub[0] ? p->uuid_sub : NULL);
		jw_kstr(&w, "version", p->version[0] ? p->version : NULL);
		jw_kstr(&w, "pttype", p->pttype[0] ? p->pttype : NULL);
		jw_kstr(&w, "ptuuid", p->ptuuid[0] ? p->ptuuid : NULL);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_end(&w);
}

static const char *or_dash(const char *s) { return s[0] ? s : "-"; }

static void print_table(const struct found *f, size_t n)
{
	printf("%-20s %-18s %-16s %-38s %s\n", "DEVICE", "TYPE", "LABEL", "UUID", "PTTYPE");
	for (size_t i = 0; i < n; i++) {
		const struct probe_info *p = &f[i].pi;
		/* a label is whatever bytes the filesystem holds */
		char label[4 * sizeof(p->label)], uuid[4 * sizeof(p->uuid)];
		utf8_printable(p->label, strlen(p->label), label, sizeof(label));
		utf8_printable(p->uuid, strlen(p->uuid), uuid, sizeof(uuid));
		printf("%-20s %-18s %-16s %-38s %s\n", f[i].path, or_dash(p->type),
		       or_dash(label), or_dash(uuid), or_dash(p->pttype));
	}
}

static int probe_main(int argc, char **argv)
{
	struct bb_args a;
	int rc = bb_getopt(&applet_probe, argc, argv, &a);
	if (rc != BB_CONTINUE)
		return rc;

	struct blkdev_list devs = { 0 };
	const char **paths = (const char **)a.argv;
	size_t n = (size_t)a.argc;
	if (!n) {
		struct bb_error e;
		if (blkdev_scan(&sysroot_default, &devs, &e)) {
			bb_report(&e);
			return 1;
		}
		paths = calloc(devs.n + 1, sizeof(*paths));
		if (!paths) {
			bb_err("out of memory");
			return 1;
		}
		for (size_t i = 0; i < devs.n; i++)
			paths[i] = devs.dev[i].path;
		n = devs.n;
	}
	struct found *f = calloc(n + 1, sizeof(*f));
	size_t nf = 0;
	int status = 0;
	for (size_t i = 0; f && i < n; i++) {
		f[nf].path = paths[i];
		struct bb_error e;
		if (probe_path(paths[i], &f[nf].pi, &e)) {
			bb_report(&e);
			status = 1;
		}
		else
			nf++;
	}
	if (!f) {
		bb_err("out of memory");
		status = 1;
	} else if (opt_on(&a, O_JSON)) {
		print_json(f, nf);
	} else {
		print_table(f, nf);
	}
	free(f);
	if (devs.dev)
		free(paths);
	blkdev_list_free(&devs);
	return status;
}
