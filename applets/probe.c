/* probe - what is on each device: filesystem, RAID or LVM signature,
 * label, UUID, partition table. Also answers as blkid and findfs, in the
 * forms initramfs scripts use (same output, same exit codes), so that
 * one binary is enough at an emergency shell. */
#include "bb.h"
#include "error.h"
#include "json.h"
#include "size.h"
#include "sysfs.h"
#include "tags.h"
#include "utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int probe_main(int argc, char **argv);

enum {
	O_JSON, O_OUTPUT, O_TAG, O_TOKEN, O_LABEL, O_UUID, O_LIST_ONE, O_LOW, O_OFFSET,
	O_SIZE, O_NO_PART, O_RAW, O_CACHE, O_GC, O_WRITE, O_KNOWN,
};
static const struct bb_opt probe_opts[] = {
	[O_JSON] = { "json", 0, NULL, "print a JSON array instead of a table" },
	[O_OUTPUT] = { "output", 'o', "FORMAT", "blkid output: full, value, device or export" },
	[O_TAG] = { "match-tag", 's', "TAG", "show only TAG (UUID, TYPE, PARTUUID, ...)",
		    BB_OPT_MULTI },
	[O_TOKEN] = { "match-token", 't', "NAME=VALUE", "only devices with that tag" },
	[O_LABEL] = { "label", 'L', "LABEL", "print the device with that label" },
	[O_UUID] = { "uuid", 'U', "UUID", "print the device with that UUID" },
	[O_LIST_ONE] = { "list-one", 'l', NULL, "with -t: only the best match" },
	[O_LOW] = { "probe", 'p', NULL, "every value libblkid finds (USAGE, VERSION, PART_ENTRY_*)" },
	[O_OFFSET] = { "offset", 'O', "BYTES", "with -p: probe at that offset (a partition of an image)" },
	[O_SIZE] = { "size", 'S', "BYTES", "with -p: probe that many bytes" },
	[O_NO_PART] = { "no-part-details", 'D', NULL, "with -p: leave out PART_ENTRY_*" },
	[O_RAW] = { "no-encoding", 'd', NULL, "print values as they are" },
	[O_CACHE] = { "cache-file", 'c', "FILE", "accepted and ignored: nothing is cached" },
	[O_GC] = { "garbage-collect", 'g', NULL, "accepted; there is no cache to collect" },
	[O_WRITE] = { "write-cache", 'w', "FILE", "accepted and ignored" },
	[O_KNOWN] = { "list-filesystems", 'k', NULL, "list the known filesystems and RAIDs" },
	{ 0 },
};

static const char *const probe_aliases[] = { "blkid", "findfs", NULL };

const struct applet applet_probe = {
	.name = "probe",
	.aliases = probe_aliases,
	.summary = "show filesystem/RAID/LVM signatures, labels, UUIDs; also blkid and findfs",
	.usage = "probe [--json] [DEVICE_OR_IMAGE...]\n"
		 "       probe|blkid [-p] [-o value|export|device|full] [-s TAG]... [-t NAME=VALUE]\n"
		 "                   [DEVICE...]\n"
		 "       probe|blkid -L LABEL | -U UUID [DEVICE...]\n"
		 "       findfs LABEL=...|UUID=...|PARTUUID=...|PARTLABEL=...\n\n"
		 "Without blkid's options, probe each DEVICE_OR_IMAGE (every block device\n"
		 "when none is given) and print TYPE, LABEL, UUID and PTTYPE (--json: also\n"
		 "USAGE, VERSION, PARTUUID, PARTLABEL); exit 1 when any probe failed.\n\n"
		 "With them, or called as blkid, it prints what util-linux's blkid prints,\n"
		 "from the devices themselves (there is no cache): without DEVICEs, every\n"
		 "partition and unpartitioned device. -L and -U search the DEVICEs named,\n"
		 "or all. Exit 0, 2 when nothing matched or was recognised, 8 when two\n"
		 "signatures contradict each other (-p), 4 on a usage error as blkid (2 as\n"
		 "probe). Called as findfs: print the device with that tag, exit 1 when\n"
		 "none has it, 2 on a usage error.",
	.opts = probe_opts,
	.main = probe_main,
};

/* ---- the probe table and JSON ---------------------------------------- */

struct found {
	const char *path;
	struct tags t;
};

static const char *tag_or(const struct tags *t, const char *name, const char *def)
{
	const char *v = tags_get(t, name);
	return v ? v : def;
}

static void print_json(const struct found *f, size_t n)
{
	static const char *const keys[][2] = {
		{ "type", "TYPE" }, { "usage", "USAGE" }, { "label", "LABEL" },
		{ "uuid", "UUID" }, { "uuid_sub", "UUID_SUB" }, { "version", "VERSION" },
		{ "pttype", "PTTYPE" }, { "ptuuid", "PTUUID" },
		{ "partuuid", "PART_ENTRY_UUID" }, { "partlabel", "PART_ENTRY_NAME" },
	};
	struct jw w;
	jw_init(&w, stdout, true);
	jw_arr(&w);
	for (size_t i = 0; i < n; i++) {
		jw_obj(&w);
		jw_kstr(&w, "device", f[i].path);
		for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
			jw_kstr(&w, keys[k][0], tags_get(&f[i].t, keys[k][1]));
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_end(&w);
}

static void print_table(const struct found *f, size_t n)
{
	printf("%-20s %-18s %-16s %-38s %s\n", "DEVICE", "TYPE", "LABEL", "UUID", "PTTYPE");
	for (size_t i = 0; i < n; i++) {
		const struct tags *t = &f[i].t;
		/* a label is whatever bytes the filesystem holds */
		const char *l = tag_or(t, "LABEL", "-"), *u = tag_or(t, "UUID", "-");
		char label[4 * 256], uuid[4 * 64];
		utf8_printable(l, strlen(l), label, sizeof(label));
		utf8_printable(u, strlen(u), uuid, sizeof(uuid));
		printf("%-20s %-18s %-16s %-38s %s\n", f[i].path, tag_or(t, "TYPE", "-"), label,
		       uuid, tag_or(t, "PTTYPE", "-"));
	}
}

static int probe_table(const struct bb_args *a, const char **paths, size_t n)
{
	struct found *f = calloc(n + 1, sizeof(*f));
	if (!f) {
		bb_err("out of memory");
		return 1;
	}
	const struct tags_req rq = { .view = TAGS_LOW };
	size_t nf = 0;
	int status = 0;
	for (size_t i = 0; i < n; i++) {
		struct bb_error e = { 0 };
		f[nf].path = paths[i];
		int rc = tags_probe(paths[i], &rq, &f[nf].t, &e);
		if (rc < 0) {
			bb_report(&e);
			status = 1;
		} else {
			nf++;
		}
	}
	if (opt_on(a, O_JSON))
		print_json(f, nf);
	else
		print_table(f, nf);
	for (size_t i = 0; i < nf; i++)
		tags_free(&f[i].t);
	free(f);
	return status;
}

/* ---- the devices blkid looks at when none is named -------------------- */

struct cand {
	char path[BLKDEV_NAME + 16];
	int pri; /* which of several devices with one label wins, as libblkid */
};

/* As libblkid: partitions, and whole devices that have none; no empty
 * devices, no extended-partition stubs (1 KiB); dm devices by their
 * /dev/mapper name, preferred to what they are built on (a leaf most),
 * then md arrays, to their members. */
static bool blkid_candidate(const struct blkdev *d, struct cand *c)
{
	if (!d->size || (!d->partno && d->nparts) || (d->partno && d->size / 1024 == 1))
		return false;
	snprintf(c->path, sizeof(c->path), "%s", d->path);
	c->pri = 0;
	if (!strcmp(d->transport, "dm")) {
		char mapper[sizeof(c->path)];
		snprintf(mapper, sizeof(mapper), "/dev/mapper/%s", d->dm_name);
		if (d->dm_name[0] && !access(mapper, F_OK))
			memcpy(c->path, mapper, sizeof(c->path));
		c->pri = d->nholders ? 40 : 45;
	} else if (!strcmp(d->transport, "md")) {
		c->pri = 10;
	}
	return true;
}

static int scan(struct blkdev_list *l)
{
	struct bb_error e = { 0 };
	if (!blkdev_scan(&sysroot_default, l, &e))
		return 0;
	bb_report(&e);
	return -1;
}

/* Every candidate, in the kernel's name order; NULL (reported) on error. */
static struct cand *all_devices(size_t *n)
{
	struct blkdev_list l;
	if (scan(&l))
		return NULL;
	struct cand *c = calloc(l.n + 1, sizeof(*c));
	*n = 0;
	for (size_t i = 0; c && i < l.n; i++)
		if (blkid_candidate(&l.dev[i], &c[*n]))
			++*n;
	if (!c)
		bb_err("out of memory");
	blkdev_list_free(&l);
	return c;
}

/* ---- blkid's output ---------------------------------------------------- */

enum out { OUT_FULL, OUT_VALUE, OUT_DEVICE, OUT_EXPORT };

struct ctl {
	enum out out;
	bool raw;          /* -d */
	bool low;          /* -p */
	struct tags_req rq;
	const struct bb_args *a;
	char sname[64], svalue[1024]; /* -t, -L, -U */
	bool search;
	bool first;        /* no device printed yet (blank lines between them) */
	int usage_rc;      /* 4 as blkid, 2 as probe */
	int other_rc;      /* 4 as blkid, 1 as probe */
};

/* Shown as blkid shows it: bytes >= 128 as M-, control characters as ^X,
 * the characters in esc after a backslash; -d prints them as they are. */
static void put_escaped(const struct ctl *c, const char *s, const char *esc)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (!c->raw) {
			if (ch >= 128) {
				fputs("M-", stdout);
				ch -= 128;
			}
			if (ch < 32 || ch == 0x7f) {
				putchar('^');
				ch ^= 0x40;
			} else if (strchr(esc, ch)) {
				putchar('\\');
			}
		}
		putchar(ch);
	}
}

static bool shown(const struct ctl *c, const char *name)
{
	unsigned n = c->a->v[O_TAG].seen;
	if (!n)
		return true;
	for (unsigned k = 0; k < n; k++)
		if (!strcmp(opt_value(c->a, O_TAG, k), name))
			return true;
	return false;
}

static void put_value(const struct ctl *c, int num, const char *dev, const struct tag *t)
{
	switch (c->out) {
	case OUT_VALUE:
		printf("%s\n", t->value);
		break;
	case OUT_EXPORT:
		if (num == 1)
			printf("DEVNAME=%s\n", dev);
		printf("%s=", t->name);
		put_escaped(c, t->value, " \\\"'$`<>");
		putchar('\n');
		break;
	default:
		if (num == 1)
			printf("%s:", dev);
		printf(" %s=\"", t->name);
		put_escaped(c, t->value, "\"\\");
		putchar('"');
	}
}

/* One device's tags in the chosen format. The default view and -p part
 * ways on a detail: between devices in export format, -p leaves a blank
 * line after any device it found something on, the default view only
 * after one it printed something for. */
static void put_device(struct ctl *c, const char *dev, const struct tags *t)
{
	if (c->out == OUT_DEVICE) {
		if (!c->low || t->n)
			printf("%s\n", dev);
		c->first = false;
		return;
	}
	if (c->low && t->n && !c->first && c->out == OUT_EXPORT)
		putchar('\n');
	int num = 1;
	for (size_t i = 0; i < t->n; i++) {
		if (!shown(c, t->t[i].name))
			continue;
		if (num == 1 && !c->low && !c->first && c->out == OUT_EXPORT)
			putchar('\n');
		put_value(c, num++, dev, &t->t[i]);
	}
	if (c->low ? t->n > 0 : num > 1) {
		if (c->out == OUT_FULL)
			putchar('\n');
		c->first = false;
	}
	if (c->low)
		c->first = false;
}

/* ---- blkid's modes ------------------------------------------------------ */

static bool matches(const struct ctl *c, const struct tags *t)
{
	const char *v = tags_get(t, c->sname);
	return !c->search || (v && !strcmp(v, c->svalue));
}

/* Named devices blkid takes: block devices and regular files; others are
 * passed over without a word, as blkid does. */
static size_t usable(char **argv, int argc)
{
	size_t n = 0;
	for (int i = 0; i < argc; i++) {
		struct stat st;
		if (!stat(argv[i], &st) && (S_ISBLK(st.st_mode) || S_ISREG(st.st_mode)))
			argv[n++] = argv[i];
	}
	return n;
}

/* -p: each named device, stopping at the first that fails, as blkid. */
static int blkid_low(struct ctl *c, char **devs, size_t n)
{
	if (!n) {
		bb_err("-p needs a device");
		return c->usage_rc;
	}
	for (size_t i = 0; i < n; i++) {
		struct tags t;
		struct bb_error e = { 0 };
		int rc = tags_probe(devs[i], &c->rq, &t, &e);
		if (rc == TAGS_AMBIVALENT) {
			bb_report(&e);
			return 8;
		}
		if (rc != TAGS_FOUND) {
			if (rc < 0)
				bb_report(&e);
			return 2;
		}
		put_device(c, devs[i], &t);
		tags_free(&t);
	}
	return 0;
}

/* The default view of each named device (or of every device), those
 * matching -t; exit 2 when none was printed. */
static int blkid_list(struct ctl *c, const char *const *devs, size_t n)
{
	int rc = 2;
	for (size_t i = 0; i < n; i++) {
		struct tags t;
		if (tags_probe(devs[i], &c->rq, &t, NULL) != TAGS_FOUND)
			continue;
		if (matches(c, &t)) {
			put_device(c, devs[i], &t);
			rc = 0;
		}
		tags_free(&t);
	}
	return rc;
}

/* The one device with the tag searched for: of several, the one with the
 * highest priority, then the first. -1 when none has it. */
static int best_match(struct ctl *c, const struct cand *cands, size_t n, struct tags *best)
{
	int at = -1;
	memset(best, 0, sizeof(*best));
	for (size_t i = 0; i < n; i++) {
		struct tags t;
		if (tags_probe(cands[i].path, &c->rq, &t, NULL) != TAGS_FOUND)
			continue;
		if (matches(c, &t) && (at < 0 || cands[i].pri > cands[at].pri)) {
			tags_free(best);
			*best = t;
			at = (int)i;
		} else {
			tags_free(&t);
		}
	}
	return at;
}

/* The devices to search: those named, else every one. */
static struct cand *search_set(char **devs, size_t ndevs, size_t *n)
{
	if (!ndevs)
		return all_devices(n);
	struct cand *c = calloc(ndevs, sizeof(*c));
	if (!c) {
		bb_err("out of memory");
		return NULL;
	}
	for (size_t i = 0; i < ndevs; i++)
		snprintf(c[i].path, sizeof(c[i].path), "%s", devs[i]);
	*n = ndevs;
	return c;
}

/* -L, -U, -l -t, findfs: print the best device (its name, or its tags in
 * the chosen format for -l). Returns 0, or 1 when nothing has the tag. */
static int find_one(struct ctl *c, char **devs, size_t ndevs, bool name_only)
{
	size_t n = 0;
	struct cand *cands = search_set(devs, ndevs, &n);
	if (!cands)
		return -1;
	struct tags t;
	int at = best_match(c, cands, n, &t);
	if (at >= 0 && name_only)
		printf("%s\n", cands[at].path);
	else if (at >= 0)
		put_device(c, cands[at].path, &t);
	tags_free(&t);
	free(cands);
	return at < 0;
}

/* ---- options ------------------------------------------------------------ */

static int set_search(struct ctl *c, const char *name, const char *value)
{
	if (c->search) {
		bb_err("only one NAME=value can be searched for");
		return -1;
	}
	if (snprintf(c->sname, sizeof(c->sname), "%s", name) >= (int)sizeof(c->sname) ||
	    snprintf(c->svalue, sizeof(c->svalue), "%s", value) >= (int)sizeof(c->svalue)) {
		bb_err("%s=%.40s...: too long", name, value);
		return -1;
	}
	c->search = true;
	return 0;
}

static int parse_output(struct ctl *c, const char *f)
{
	static const char *const names[] = {
		[OUT_FULL] = "full", [OUT_VALUE] = "value", [OUT_DEVICE] = "device",
		[OUT_EXPORT] = "export",
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(f, names[i])) {
			c->out = (enum out)i;
			return 0;
		}
	bb_err("-o: unsupported output format '%s' (full, value, device, export)", f);
	return -1;
}

static int parse_ctl(struct ctl *c, const struct bb_args *a)
{
	c->a = a;
	c->first = true;
	c->low = opt_on(a, O_LOW);
	c->raw = opt_on(a, O_RAW);
	c->rq.view = c->low ? TAGS_LOW : TAGS_DEFAULT;
	c->rq.no_part_details = opt_on(a, O_NO_PART);
	if (opt_on(a, O_OUTPUT) && parse_output(c, opt_str(a, O_OUTPUT, "")))
		return -1;
	if (c->low && (opt_size(a, O_OFFSET, 0, 0, &c->rq.offset) ||
		       opt_size(a, O_SIZE, 0, 0, &c->rq.size)))
		return -1;
	if (a->v[O_TOKEN].seen > 1) {
		bb_err("-t: only one NAME=value can be searched for");
		return -1;
	}
	if (opt_on(a, O_TOKEN)) {
		char name[64], value[1024];
		struct bb_error e = { 0 };
		if (tags_parse_token(opt_str(a, O_TOKEN, ""), name, sizeof(name), value,
				     sizeof(value), &e)) {
			bb_error_prefix(&e, "-t needs NAME=value");
			bb_report(&e);
			return -1;
		}
		if (set_search(c, name, value))
			return -1;
	}
	if (opt_on(a, O_LABEL) && set_search(c, "LABEL", opt_str(a, O_LABEL, "")))
		return -1;
	if (opt_on(a, O_UUID) && set_search(c, "UUID", opt_str(a, O_UUID, "")))
		return -1;
	return 0;
}

static bool blkid_options(const struct bb_args *a)
{
	for (int i = O_OUTPUT; i <= O_KNOWN; i++)
		if (opt_on(a, i))
			return true;
	return false;
}

static int list_known(void)
{
	const char *name;
	for (size_t i = 0; !tags_type_name(i, &name); i++)
		printf("%s\n", name);
	return 0;
}

static int blkid_main(struct ctl *c, const struct bb_args *a)
{
	if (opt_on(a, O_KNOWN))
		return list_known();
	if (opt_on(a, O_GC))
		return 0;
	size_t ndevs = usable(a->argv, a->argc);
	if (a->argc && !ndevs)
		return 2; /* only missing or unsupported files named */
	bool eval = opt_on(a, O_LABEL) || opt_on(a, O_UUID);
	bool lookup = opt_on(a, O_LIST_ONE);
	if (lookup && c->out == OUT_DEVICE && c->search &&
	    (!strcmp(c->sname, "LABEL") || !strcmp(c->sname, "UUID")))
		eval = true;
	if (c->low)
		return blkid_low(c, a->argv, ndevs);
	if (eval || lookup) {
		if (!c->search) {
			bb_err("-l needs a tag to look up with -t");
			return c->usage_rc;
		}
		int rc = find_one(c, a->argv, ndevs, eval);
		return rc < 0 ? c->other_rc : rc ? 2 : 0;
	}
	if (ndevs)
		return blkid_list(c, (const char *const *)a->argv, ndevs);
	size_t n = 0;
	struct cand *cands = all_devices(&n);
	if (!cands)
		return c->other_rc;
	const char **paths = calloc(n + 1, sizeof(*paths));
	for (size_t i = 0; paths && i < n; i++)
		paths[i] = cands[i].path;
	int rc = paths ? blkid_list(c, paths, n) : c->other_rc;
	free(paths);
	free(cands);
	return rc;
}

/* findfs NAME=VALUE, or a path, which it names back as findfs does. */
static int findfs_main(int argc, char **argv)
{
	struct ctl c = { .first = true, .rq.view = TAGS_DEFAULT };
	if (argc != 2 || argv[1][0] == '-') {
		bb_err("bad usage: findfs LABEL=...|UUID=...|PARTUUID=...|PARTLABEL=...");
		return 2;
	}
	if (!strchr(argv[1], '=')) {
		printf("%s\n", argv[1]);
		return 0;
	}
	struct bb_error e = { 0 };
	if (tags_parse_token(argv[1], c.sname, sizeof(c.sname), c.svalue, sizeof(c.svalue),
			     &e)) {
		bb_report(&e);
		return 1;
	}
	c.search = true;
	int rc = find_one(&c, NULL, 0, true);
	if (rc > 0)
		bb_err("unable to resolve '%s'", argv[1]);
	return rc ? 1 : 0;
}

static const char *called_as(const char *argv0)
{
	const char *base = strrchr(argv0, '/');
	return base ? base + 1 : argv0;
}

static int probe_main(int argc, char **argv)
{
	const char *as = called_as(argv[0]);
	if (!strcmp(as, "findfs")) {
		bb_name = "findfs";
		if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
			bb_usage(&applet_probe, stdout);
			return 0;
		}
		return findfs_main(argc, argv);
	}
	bool as_blkid = !strcmp(as, "blkid");
	if (as_blkid)
		bb_name = "blkid";
	struct bb_args a;
	int rc = bb_getopt(&applet_probe, argc, argv, &a);
	if (rc != BB_CONTINUE)
		return rc == 2 && as_blkid ? 4 : rc;
	if (as_blkid || blkid_options(&a)) {
		struct ctl c = { .usage_rc = as_blkid ? 4 : 2, .other_rc = as_blkid ? 4 : 1 };
		if (opt_on(&a, O_JSON)) {
			bb_err("--json: not with blkid's options");
			return c.usage_rc;
		}
		if (parse_ctl(&c, &a))
			return c.usage_rc;
		return blkid_main(&c, &a);
	}
	if (a.argc)
		return probe_table(&a, (const char **)a.argv, (size_t)a.argc);
	struct blkdev_list devs;
	if (scan(&devs))
		return 1;
	const char **paths = calloc(devs.n + 1, sizeof(*paths));
	for (size_t i = 0; paths && i < devs.n; i++)
		paths[i] = devs.dev[i].path;
	rc = paths ? probe_table(&a, paths, devs.n) : 1;
	if (!paths)
		bb_err("out of memory");
	free(paths);
	blkdev_list_free(&devs);
	return rc;
}
