/* sysvol - bring the node's storage up at every boot: find sysvol's disks
 * and mount them, or partition, format and mount blank ones first.
 * Re-implements mos_sysvol (seed 000, "Boot Flow", "Partition Layout").
 * The order of a run is in sysvol.h; this file has the options, the
 * kernel command line, the flow and the report (text, JSON, state file). */
#include "sysvol.h"

#include "clock.h"
#include "io.h"
#include "json.h"
#include "kmod.h"
#include "mount.h"
#include "num.h"
#include "size.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int sysvol_main(int argc, char **argv);

enum { O_DRY, O_JSON, O_LAYOUT, O_DISKS, O_WAIT, O_ROOT, O_STATE, O_CMDLINE, O_STOP, O_CUT,
       O_PRINT_LAYOUT, O_VERBOSE, O_SYSROOT };
static const struct bb_opt sysvol_opts[] = {
	[O_DRY] = { "dry-run", 'n', NULL, "print the plan (disks chosen and why, partitions, each "
					  "command or write in order) and change nothing" },
	[O_JSON] = { "json", 0, NULL, "report what was found and done as JSON" },
	[O_LAYOUT] = { "layout", 0, "FILE", "the partition layout to use instead of the built-in "
					    "one (also sysvol.layout=FILE)" },
	[O_DISKS] = { "disks", 0, "SERIAL,...", "only these disks, by serial or WWN (also "
						"sysvol.disks=)" },
	[O_WAIT] = { "wait", 0, "SECONDS", "how long to wait for missing mirror members (also "
					  "sysvol.wait=, default 10)" },
	[O_ROOT] = { "root", 0, "DIR", "mount below DIR instead of / (a target system)" },
	[O_STATE] = { "state", 0, "FILE", "where to record the outcome (default "
					  SV_STATE_FILE ")" },
	[O_CMDLINE] = { "cmdline", 0, "FILE", "read the kernel command line from FILE instead "
					      "of /proc/cmdline" },
	[O_STOP] = { "stop-after", 0, "N", "carry out only the first N steps of the plan, then "
					   "stop (to test power cuts)" },
	[O_CUT] = { "cut-after-bytes", 0, "BYTES", "with --stop-after N: start step N+1 too and "
						   "kill it once it has written BYTES (a power cut "
						   "inside mkfs, for tests)" },
	[O_PRINT_LAYOUT] = { "print-layout", 0, NULL, "print the layout as it would be used "
						      "(sizes after mossize=/mosswap=) and exit" },
	[O_VERBOSE] = { "verbose", 'v', NULL, "say each step as it starts" },
	[O_SYSROOT] = { "sysroot", 0, "DIR", "--dry-run only: read DIR/sys, DIR/proc and DIR/dev "
					     "instead of the system's (tests)" },
	{ 0 },
};

const struct applet applet_sysvol = {
	.name = "sysvol",
	.summary = "find, or partition, format and mount, the node's persistent storage",
	.usage =
		"sysvol [--dry-run] [--json] [--layout FILE] [--disks SERIAL,...]\n\n"
		"Run at every boot (blockbox.run=sysvol). On a node whose disks carry\n"
		"sysvol's partitions (GPT names mosbios, mosefi, mosboot, mosswap, mosdata)\n"
		"it assembles the md mirrors as /dev/md/NAME, registers the btrfs members,\n"
		"waits a bounded time for missing ones (starting degraded after that) and\n"
		"mounts: /boot, /boot/efi, the swap, and each btrfs subvolume at its mount\n"
		"point. It then writes nothing. On a node with blank disks only, it first\n"
		"partitions and formats them: one disk gets the single layout; two or more,\n"
		"a mirror of two of the same tier (non-rotational first, equal sizes\n"
		"preferred): md RAID1 for the ESP (metadata 0.90) and boot (1.2), btrfs\n"
		"raid1 for the data. A disk is blank when nothing is on it and nothing uses\n"
		"it; removable, read-only, loop, ram, zram, md and dm devices and disks too\n"
		"small for the layout are skipped, each with its reason. A disk holding\n"
		"anything else is never written. A layout left half-made by a power cut is\n"
		"completed, with the same identifiers (derived from the disks' serials).\n"
		"No suitable disk: it says so and runs diskless (exit 0).\n\n"
		"Kernel command line:\n"
		"  mossize=N        GiB of the data partition (default 4)\n"
		"  mosswap=N        GiB of the swap partition (default 2)\n"
		"  sysvol.disks=A,B only the disks with these serials or WWNs\n"
		"  sysvol.layout=F  the layout file (as --layout)\n"
		"  sysvol.wait=S    seconds to wait for missing mirror members (default 10)\n"
		"  sysvol.replace=auto  a blank disk of the same tier beside a degraded\n"
		"                   mirror replaces the missing member\n\n"
		"The outcome is recorded in " SV_STATE_FILE " (JSON, with a schema\n"
		"version). Exit 0: storage up, or diskless; 1: failure; 2: usage.",
	.opts = sysvol_opts,
	.main = sysvol_main,
};

/* ---- the report -------------------------------------------------------------- */

static const char *const outcome_names[] = {
	[SV_OUT_NONE] = "none",           [SV_OUT_PROVISIONED] = "provisioned",
	[SV_OUT_COMPLETED] = "completed", [SV_OUT_MOUNTED] = "mounted",
	[SV_OUT_DEGRADED] = "degraded",   [SV_OUT_DISKLESS] = "diskless",
	[SV_OUT_PLANNED] = "planned",     [SV_OUT_FAILED] = "failed",
};
static const char *const kind_names[] = {
	[SV_DISK_SKIPPED] = "skipped", [SV_DISK_BLANK] = "blank",
	[SV_DISK_OURS] = "sysvol", [SV_DISK_FOREIGN] = "foreign",
};
static const char *const vol_names[] = {
	[SV_VOL_ABSENT] = "absent", [SV_VOL_READY] = "ready",
	[SV_VOL_DEGRADED] = "degraded", [SV_VOL_FAILED] = "failed",
};
static const char *const step_names[] = {
	[SV_STEP_GPT] = "gpt",     [SV_STEP_VFAT] = "vfat",
	[SV_STEP_MKSWAP] = "mkswap", [SV_STEP_EXEC] = "exec",   [SV_STEP_SCAN] = "btrfs_scan",
	[SV_STEP_MKDIR] = "mkdir",   [SV_STEP_MOUNT] = "mount", [SV_STEP_SUBVOL] = "subvolume",
	[SV_STEP_SWAPON] = "swapon", [SV_STEP_COPY] = "copy",
};

static void json_disk(struct jw *w, const struct sv_disk *d)
{
	jw_obj(w);
	jw_kstr(w, "name", d->name);
	jw_kstr(w, "path", d->path);
	jw_kstr(w, "serial", d->serial);
	jw_kstr(w, "wwn", d->wwn);
	jw_kstr(w, "model", d->model);
	jw_kstr(w, "transport", d->transport);
	jw_ku64(w, "size", d->size);
	jw_ku64(w, "logical_sector_size", d->lsec);
	jw_kbool(w, "rotational", d->rotational);
	jw_kbool(w, "removable", d->removable);
	jw_kbool(w, "read_only", d->ro);
	jw_kstr(w, "kind", kind_names[d->kind]);
	jw_kbool(w, "chosen", d->chosen);
	jw_kstr(w, "why", d->why);
	jw_obj_end(w);
}

static void json_step(struct jw *w, const struct sv_step *s)
{
	jw_obj(w);
	jw_kstr(w, "kind", step_names[s->kind]);
	jw_kstr(w, "what", s->what);
	if (s->kind == SV_STEP_EXEC) {
		jw_key(w, "argv");
		jw_arr(w);
		for (char *const *a = s->argv; *a; a++)
			jw_str(w, *a);
		jw_arr_end(w);
	}
	jw_kbool(w, "done", s->done);
	jw_kbool(w, "external", s->external);
	jw_key(w, "seconds");
	jw_double(w, s->secs);
	jw_obj_end(w);
}

static void json_vols(struct jw *w, const struct sv_ctx *c)
{
	char u[UUID_STR];
	jw_key(w, "volumes");
	jw_arr(w);
	for (size_t i = 0; i < c->layout.nparts && c->nnode; i++) {
		const struct sv_part *p = &c->layout.part[i];
		const struct sv_vol *v = &c->vol[i];
		jw_obj(w);
		jw_kstr(w, "name", p->name);
		jw_kstr(w, "format", sv_format_name(p->format));
		jw_kstr(w, "label", p->label);
		jw_kstr(w, "mirror", c->nnode > 1 ? sv_mirror_name(p->mirror) : "none");
		jw_kstr(w, "state", vol_names[v->state]);
		jw_kstr(w, "device", v->dev);
		jw_key(w, "members");
		jw_arr(w);
		for (unsigned k = 0; k < SV_MIRROR; k++)
			if (v->member[k][0])
				jw_str(w, v->member[k]);
		jw_arr_end(w);
		jw_kstr(w, "mount", p->mount);
		if (p->format != SV_FMT_RAW)
			jw_kstr(w, "uuid", uuid_fmt(&v->fs_uuid, u));
		jw_kstr(w, "note", v->note);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void json_report(struct jw *w, const struct sv_ctx *c)
{
	const struct sv_report *r = &c->rep;
	jw_obj(w);
	jw_ku64(w, "schema", SV_STATE_SCHEMA);
	jw_kstr(w, "outcome", outcome_names[r->outcome]);
	jw_kstr(w, "mode", r->mode);
	jw_kstr(w, "layout", c->layout.from);
	jw_kbool(w, "dry_run", c->dry_run);
	if (r->outcome == SV_OUT_FAILED)
		jw_kstr(w, "error", r->error);
	jw_key(w, "degraded");
	if (r->degraded) {
		jw_obj(w);
		jw_kstr(w, "since", r->degraded_since);
		jw_key(w, "missing");
		jw_arr(w);
		for (unsigned k = 0; k < SV_MIRROR; k++)
			if (r->missing[k][0])
				jw_str(w, r->missing[k]);
		jw_arr_end(w);
		jw_obj_end(w);
	} else {
		jw_null(w);
	}
	jw_key(w, "warnings");
	jw_arr(w);
	for (unsigned k = 0; k < r->nwarn; k++)
		jw_str(w, r->warn[k]);
	jw_arr_end(w);
	jw_key(w, "disks");
	jw_arr(w);
	for (size_t i = 0; i < c->ndisks; i++)
		json_disk(w, &c->disk[i]);
	jw_arr_end(w);
	json_vols(w, c);
	jw_key(w, "steps");
	jw_arr(w);
	for (size_t i = 0; i < c->nsteps; i++)
		json_step(w, &c->step[i]);
	jw_arr_end(w);
	jw_key(w, "seconds");
	jw_double(w, r->secs_total);
	jw_key(w, "seconds_tools");
	jw_double(w, r->secs_tools);
	jw_key(w, "seconds_modules");
	jw_double(w, r->secs_modules);
	jw_key(w, "timing");
	jw_arr(w);
	for (unsigned i = 0; i < r->nphase; i++) {
		jw_obj(w);
		jw_kstr(w, "phase", r->phase[i].name);
		jw_key(w, "seconds");
		jw_double(w, r->phase[i].secs);
		jw_ku64(w, "count", r->phase[i].count);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
	jw_end(w);
}

static void text_report(const struct sv_ctx *c)
{
	const struct sv_report *r = &c->rep;
	char sz[16];
	printf("layout: %s\n", c->layout.from);
	for (size_t i = 0; i < c->ndisks; i++) {
		const struct sv_disk *d = &c->disk[i];
		printf("disk %s (%s, %s, %s%s): %s%s%s%s\n", d->name, d->id,
		       fmt_size(d->size, sz, sizeof(sz)), d->transport,
		       d->rotational ? ", rotational" : "", d->chosen ? "chosen, " : "",
		       kind_names[d->kind], d->why[0] ? ": " : "", d->why);
	}
	for (size_t i = 0; i < c->nsteps; i++) {
		const struct sv_step *s = &c->step[i];
		printf("%s %2zu. %s", c->dry_run ? "plan" : s->done ? "done" : "todo", i + 1, s->what);
		if (s->kind == SV_STEP_EXEC) {
			fputs(":", stdout);
			for (char *const *a = s->argv; *a; a++)
				printf(" %s", *a);
		}
		putchar('\n');
	}
	for (unsigned k = 0; k < r->nwarn; k++)
		printf("WARNING: %s\n", r->warn[k]);
	printf("outcome: %s%s%s (%.2f s, %.2f s of it in other programs, %.2f s loading modules)\n",
	       outcome_names[r->outcome], r->mode[0] ? ", " : "", r->mode, r->secs_total, r->secs_tools,
	       r->secs_modules);
	if (!c->verbose)
		return;
	fputs("time:", stdout);
	for (unsigned i = 0; i < r->nphase; i++)
		printf("%s %s %.3f", i ? "," : "", r->phase[i].name, r->phase[i].secs);
	putchar('\n');
}

static void write_state(const struct sv_ctx *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return;
	struct jw w;
	jw_init(&w, f, true);
	json_report(&w, c);
	fclose(f);
	struct bb_error e = { 0 };
	char dir[SV_PATH];
	snprintf(dir, sizeof(dir), "%s", c->state_path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		mount_mkdir_p(dir, 0755, &e);
	}
	if (write_file_atomic(c->state_path, buf, len, 0644))
		bb_perr("state file %s", c->state_path);
	free(buf);
}

void sv_charge(struct sv_ctx *c, const char *name)
{
	struct sv_report *r = &c->rep;
	uint64_t now = clock_ns();
	unsigned i = 0;
	if (!name)
		name = "other";
	while (i < r->nphase && strcmp(r->phase[i].name, name))
		i++;
	if (i == r->nphase) {
		if (i == SV_MAX_PHASES)
			i--; /* more names than kept: the last one takes the rest */
		else
			r->phase[r->nphase++] = (struct sv_timing){ name, 0, 0 };
	}
	r->phase[i].secs += (double)(now - c->phase_mark) / 1e9;
	r->phase[i].count++;
	c->phase_mark = now;
}

void sv_phase(struct sv_ctx *c, const char *name)
{
	sv_charge(c, c->phase_now);
	c->phase_now = name;
}

void sv_warn(struct sv_ctx *c, const char *fmt, ...)
{
	struct sv_report *r = &c->rep;
	va_list ap;
	va_start(ap, fmt);
	char msg[SV_NOTE];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!c->json)
		bb_warn("%s", msg);
	if (r->nwarn < ARRAY_SIZE(r->warn))
		snprintf(r->warn[r->nwarn++], SV_NOTE, "%s", msg);
}

/* ---- the run -------------------------------------------------------------------- */

static int read_cmdline(struct sv_ctx *c, const struct bb_args *a, struct bb_error *e)
{
	const char *why;
	const char *path = opt_str(a, O_CMDLINE, "/proc/cmdline");
	if (cmdline_read(&c->cl, path, &why))
		return bb_error_set(e, EINVAL, "%s: %s", path, why);
	uint64_t w;
	if (cmdline_u64(&c->cl, "sysvol.wait", SV_WAIT_DEFAULT, 0, 3600, &w))
		return bb_error_set(e, EINVAL, "sysvol.wait=%s: not a number of seconds (0..3600)",
				    cmdline_get(&c->cl, "sysvol.wait"));
	c->wait_s = (unsigned)w;
	const char *disks = cmdline_get(&c->cl, "sysvol.disks");
	if (disks)
		snprintf(c->disks_only, sizeof(c->disks_only), "%s", disks);
	const char *rep = cmdline_get(&c->cl, "sysvol.replace");
	if (rep && strcmp(rep, "auto") && strcmp(rep, "off"))
		return bb_error_set(e, EINVAL, "sysvol.replace=%s: auto or off", rep);
	c->replace_auto = rep && !strcmp(rep, "auto");
	c->layout_path = cmdline_get(&c->cl, "sysvol.layout");
	return 0;
}

static int parse_opts(struct sv_ctx *c, const struct bb_args *a, struct bb_error *e)
{
	c->dry_run = opt_on(a, O_DRY);
	c->json = opt_on(a, O_JSON);
	c->verbose = opt_on(a, O_VERBOSE);
	c->root = opt_str(a, O_ROOT, "");
	c->state_path = opt_str(a, O_STATE, SV_STATE_FILE);
	if (read_cmdline(c, a, e))
		return -1;
	/* options win over the command line */
	if (opt_on(a, O_LAYOUT))
		c->layout_path = opt_str(a, O_LAYOUT, NULL);
	if (opt_on(a, O_DISKS))
		snprintf(c->disks_only, sizeof(c->disks_only), "%s", opt_str(a, O_DISKS, ""));
	static char sys[SV_PATH], proc[SV_PATH], dev[SV_PATH];
	static struct sysroot fake;
	if (opt_on(a, O_SYSROOT)) {
		/* a fake tree's devices are image files: look, never write */
		if (!c->dry_run)
			return opt_bad_value("--sysroot goes with --dry-run"), -2;
		const char *r = opt_str(a, O_SYSROOT, "");
		snprintf(sys, sizeof(sys), "%s/sys", r);
		snprintf(proc, sizeof(proc), "%s/proc", r);
		snprintf(dev, sizeof(dev), "%s/dev", r);
		fake = (struct sysroot){ sys, proc, dev };
		c->sys = &fake;
	}
	uint64_t v;
	if (opt_u64(a, O_WAIT, c->wait_s, 0, 3600, &v))
		return -2;
	c->wait_s = (unsigned)v;
	if (opt_u64(a, O_STOP, 0, 0, SV_MAX_STEPS, &v))
		return -2;
	c->stop = opt_on(a, O_STOP);
	c->stop_after = (unsigned)v;
	if (opt_u64(a, O_CUT, 0, 1, UINT64_MAX, &c->cut_bytes))
		return -2;
	if (c->cut_bytes && !c->stop)
		return opt_bad_value("--cut-after-bytes goes with --stop-after"), -2;
	return 0;
}

static void print_layout(const struct sv_layout *l)
{
	char sz[16], sz4[16];
	printf("# %s\n", l->from);
	for (size_t i = 0; i < l->nparts; i++) {
		const struct sv_part *p = &l->part[i];
		printf("%zu %s type=%s size=%s", i + 1, p->name, p->type, fmt_size(p->size, sz, sizeof(sz)));
		if (p->size_4k)
			printf(" size-4k=%s", fmt_size(p->size_4k, sz4, sizeof(sz4)));
		printf(" format=%s label=%s mirror=%s mount=%s\n", sv_format_name(p->format),
		       p->label[0] ? p->label : "-", sv_mirror_name(p->mirror),
		       p->mount[0] ? p->mount : "-");
	}
	for (size_t i = 0; i < l->nsubs; i++)
		printf("subvolume %s mount=%s\n", l->sub[i].name, l->sub[i].mount);
}

/* Modules the work needs; one missing is not fatal here (it may be built
 * in, or the step that needs it says what failed). */
static void load_modules(struct sv_ctx *c)
{
	static const char *const mods[] = { "btrfs", "md_mod", "raid1", "vfat", "nls_cp437",
					    "nls_ascii", "ext4" };
	if (c->dry_run)
		return;
	struct kmod k;
	struct bb_error e = { 0 };
	uint64_t t0 = clock_ns();
	if (kmod_open(&k, NULL, NULL, &e))
		return; /* no module tree: everything is built in, or the steps say */
	for (size_t i = 0; i < ARRAY_SIZE(mods); i++)
		if (kmod_load(&k, mods[i], NULL, NULL, &e) < 0)
			sv_warn(c, "module %s: %s", mods[i], e.msg);
	kmod_close(&k);
	c->rep.secs_modules = (double)(clock_ns() - t0) / 1e9;
}

/* Whether the run wrote anything: a table, a filesystem, a subvolume, a
 * copy; assembling md arrays writes nothing of the layout's. */
static bool wrote_layout(const struct sv_ctx *c)
{
	bool wrote = false;
	for (size_t i = 0; i < c->nsteps; i++) {
		enum sv_step_kind k = c->step[i].kind;
		wrote |= k == SV_STEP_GPT || k == SV_STEP_SUBVOL || k == SV_STEP_VFAT ||
			 k == SV_STEP_COPY || k == SV_STEP_MKSWAP ||
			 (k == SV_STEP_EXEC && c->step[i].part >= 0 &&
			  strcmp(c->step[i].argv[0], "mdadm"));
	}
	return wrote;
}

/* The disks chosen: their tables, then (disks that carry sysvol's names)
 * what is there brought up, what a power cut left out completed (on
 * blank disks: everything formatted), the mounts and the records. */
static int bring_up(struct sv_ctx *c, bool existing, struct bb_error *e)
{
	sv_vols_members(c);
	sv_phase(c, "tables");
	if (sv_plan_tables(c, e) || sv_run_steps(c, e))
		return -1;
	if (existing) {
		sv_phase(c, "assemble");
		if (sv_boot_existing(c, e))
			return -1;
	}
	sv_phase(c, "complete");
	if (sv_complete(c, e))
		return -1;
	sv_phase(c, "mount");
	if (sv_mount_layout(c, e))
		return -1;
	sv_phase(c, "records");
	if (sv_boot_after_mount(c, e))
		return -1;
	if (c->dry_run)
		c->rep.outcome = SV_OUT_PLANNED;
	else if (!existing)
		c->rep.outcome = SV_OUT_PROVISIONED;
	else if (c->rep.degraded)
		c->rep.outcome = SV_OUT_DEGRADED;
	else
		c->rep.outcome = wrote_layout(c) ? SV_OUT_COMPLETED : SV_OUT_MOUNTED;
	return 0;
}

static int run(struct sv_ctx *c, struct bb_error *e)
{
	sv_phase(c, "layout");
	if (sv_layout_load(&c->layout, c->layout_path, e) ||
	    sv_layout_resolve(&c->layout, &c->cl, e))
		return -1;
	sv_phase(c, "modules");
	load_modules(c);
	sv_phase(c, "inventory");
	if (sv_inventory(c, e))
		return -1;
	if (c->nnode)
		return bring_up(c, true, e);
	if (sv_choose(c, e))
		return -1;
	if (!c->nnode) {
		c->rep.outcome = SV_OUT_DISKLESS;
		sv_warn(c, "no disk suits the layout: running diskless");
		return 0;
	}
	return bring_up(c, false, e);
}

static int sysvol_main(int argc, char **argv)
{
	struct bb_args a;
	int r = bb_getopt(&applet_sysvol, argc, argv, &a);
	if (r != BB_CONTINUE)
		return r;
	if (a.argc)
		return opt_bad_value("no arguments are taken ('%s')", a.argv[0]), 2;
	static struct sv_ctx c; /* large: not on the stack */
	memset(&c, 0, sizeof(c));
	c.sys = &sysroot_default;
	c.node[0] = c.node[1] = -1;
	struct bb_error e = { 0 };
	int p = parse_opts(&c, &a, &e);
	if (p == -2)
		return 2;
	if (p) {
		bb_report(&e);
		return 2;
	}
	if (opt_on(&a, O_PRINT_LAYOUT)) {
		if (sv_layout_load(&c.layout, c.layout_path, &e) ||
		    sv_layout_resolve(&c.layout, &c.cl, &e)) {
			bb_report(&e);
			return 1;
		}
		print_layout(&c.layout);
		return 0;
	}
	c.phase_mark = clock_ns();
	c.phase_now = "start";
	double t0 = (double)c.phase_mark / 1e9;
	int rc = run(&c, &e);
	sv_charge(&c, c.phase_now);
	if (rc) {
		c.rep.outcome = SV_OUT_FAILED;
		snprintf(c.rep.error, sizeof(c.rep.error), "%s", e.msg);
		bb_report(&e);
	}
	c.rep.secs_total = clock_ns() / 1e9 - t0;
	if (c.json) {
		struct jw w;
		jw_init(&w, stdout, true);
		json_report(&w, &c);
	} else {
		text_report(&c);
	}
	if (!c.dry_run)
		write_state(&c);
	sv_steps_free(&c);
	cmdline_free(&c.cl);
	return rc ? 1 : 0;
}
