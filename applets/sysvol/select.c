/* select.c - every disk the kernel has, classified (skipped with the
 * reason, blank, carrying sysvol's layout, or foreign), and the choice of
 * the node's disks among the blank ones. */
#include "sysvol.h"

#include "blkdev.h"
#include "claim.h"
#include "gpt.h"
#include "md.h"
#include "probe.h"
#include "size.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sv_part_dev(const struct sv_disk *d, unsigned n, char *out, size_t len)
{
	size_t k = strlen(d->path);
	bool digit = k && isdigit((unsigned char)d->path[k - 1]);
	snprintf(out, len, "%s%s%u", d->path, digit ? "p" : "", n);
}

/* Devices that are never a node's disk, by what sysfs says they are. */
static const char *never(const struct blkdev *b)
{
	static const struct { const char *prefix, *why; } names[] = {
		{ "ram", "a RAM disk" }, { "zram", "a compressed RAM disk (zram)" },
		{ "loop", "a loop device" }, { "md", "an md array" }, { "dm-", "a device-mapper device" },
		{ "sr", "an optical drive" }, { "fd", "a floppy drive" }, { "nbd", "a network block device" },
	};
	if (!strcmp(b->transport, "loop"))
		return "a loop device";
	if (!strcmp(b->transport, "md"))
		return "an md array";
	if (!strcmp(b->transport, "dm"))
		return "a device-mapper device";
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strncmp(b->name, names[i].prefix, strlen(names[i].prefix)))
			return names[i].why;
	if (b->removable)
		return "removable";
	if (b->ro)
		return "read-only";
	if (!b->size)
		return "empty (no medium)";
	return NULL;
}

/* Named in sysvol.disks= (serials or WWNs, comma-separated)? */
static bool named(const struct sv_ctx *c, const struct sv_disk *d)
{
	const char *p = c->disks_only;
	while (*p) {
		size_t n = strcspn(p, ",");
		if (n && ((strlen(d->serial) == n && !strncmp(d->serial, p, n)) ||
			  (strlen(d->wwn) == n && !strncmp(d->wwn, p, n))))
			return true;
		p += n;
		if (*p)
			p++;
	}
	return false;
}

static int layout_index(const struct sv_layout *l, const char *name)
{
	for (size_t i = 0; i < l->nparts; i++)
		if (!strcmp(l->part[i].name, name))
			return (int)i;
	return -1;
}

/* Which layout partition the partition dev is by what it holds: its
 * filesystem's label (MOSBOOT), an md member's array name (1.x: "any:
 * mosboot") or, 0.90 (no name), the FAT at its start; a raw one with
 * nothing on it by its GPT type. -1: none. */
static int by_content(const struct sv_layout *l, const char *dev, const struct gpt_guid *type)
{
	struct probe_info pi;
	if (probe_path(dev, &pi, NULL))
		return -1;
	char name[64] = "";
	if (!strcmp(pi.type, "linux_raid_member")) {
		struct md_sb sb;
		uint64_t size;
		int fd = open(dev, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && !blk_size_bytes(fd, &size) && !md_sb_read(fd, size, &sb, NULL)) {
			const char *colon = strchr(sb.name, ':');
			snprintf(name, sizeof(name), "%s", colon ? colon + 1 : sb.name);
		}
		if (fd >= 0)
			close(fd);
		if (!name[0] && probe_path_as(dev, "vfat", &pi, NULL))
			return -1;
	}
	for (size_t i = 0; i < l->nparts; i++) {
		const struct sv_part *p = &l->part[i];
		struct gpt_guid t;
		if ((name[0] && !strcmp(name, p->name)) ||
		    (!name[0] && p->label[0] && !strcmp(pi.label, p->label)) ||
		    (!pi.type[0] && p->format == SV_FMT_RAW && !gpt_type_parse(p->type, &t) &&
		     !memcmp(&t, type, sizeof(t))))
			return (int)i;
	}
	return -1;
}

/* A GPT without sysvol's names whose every partition is one of the
 * layout's by what it holds, and holds at least one labelled filesystem:
 * sysvol's storage still (a tool cleared or changed the names). 1 ours,
 * 0 not. */
static int read_by_label(const struct sv_ctx *c, struct sv_disk *d, const struct gpt *g)
{
	unsigned found = 0, labelled = 0;
	for (uint32_t i = 0; i < g->nentries; i++) {
		if (!gpt_part_used(&g->part[i]))
			continue;
		char dev[SV_DEV];
		sv_part_dev(d, i + 1, dev, sizeof(dev));
		int li = by_content(&c->layout, dev, &g->part[i].type);
		if (li < 0 || d->partno[li])
			goto not_ours;
		d->partno[li] = i + 1;
		memcpy(d->part_path[li], dev, SV_DEV);
		found++;
		labelled += c->layout.part[li].format != SV_FMT_RAW;
	}
	if (labelled) {
		d->by_label = true;
		return 1;
	}
not_ours:
	memset(d->partno, 0, sizeof(d->partno));
	return 0;
}

/* A GPT with sysvol's partition names: ours (partno[] filled). One with
 * other partitions too is foreign: sysvol completes only its own. Returns
 * 1 ours, 0 no GPT or none of our names, -1 foreign (why set). */
static int read_ours(const struct sv_ctx *c, struct sv_disk *d)
{
	struct disk k;
	struct bb_error e = { 0 };
	if (disk_open(&k, d->path, 0, 0, &e))
		return 0; /* the claim check says what it is */
	struct gpt g;
	int r = gpt_read(&g, k.fd, k.size, k.lsec), ours = 0;
	disk_close(&k);
	if (r == 0) {
		char foreign[GPT_NAME_UTF8_MAX] = "";
		for (uint32_t i = 0; i < g.nentries; i++) {
			if (!gpt_part_used(&g.part[i]))
				continue;
			char name[GPT_NAME_UTF8_MAX];
			gpt_name_to_utf8(g.part[i].name, name);
			int li = layout_index(&c->layout, name);
			if (li >= 0 && !d->partno[li]) {
				d->partno[li] = i + 1;
				sv_part_dev(d, i + 1, d->part_path[li], SV_DEV);
				ours++;
			} else if (!foreign[0]) {
				snprintf(foreign, sizeof(foreign), "%u '%s'", i + 1, name);
			}
		}
		if (ours && foreign[0]) {
			snprintf(d->why, sizeof(d->why), "sysvol's partitions beside another one "
				 "(partition %s): not sysvol's to complete", foreign);
			ours = -1;
		} else if (!ours && foreign[0]) {
			ours = read_by_label(c, d, &g);
		}
	}
	gpt_free(&g);
	return ours > 0 ? 1 : ours;
}

static void classify(struct sv_ctx *c, const struct blkdev *b, struct sv_disk *d)
{
	const char *why = never(b);
	char need[16], have[16];
	if (why) {
		d->kind = SV_DISK_SKIPPED;
		snprintf(d->why, sizeof(d->why), "%s", why);
		return;
	}
	if (c->disks_only[0] && !named(c, d)) {
		d->kind = SV_DISK_SKIPPED;
		snprintf(d->why, sizeof(d->why), "not named in sysvol.disks=%s", c->disks_only);
		return;
	}
	sv_charge(c, c->phase_now);
	int ours = read_ours(c, d);
	sv_charge(c, "inventory:gpt");
	if (ours) {
		d->kind = ours > 0 ? SV_DISK_OURS : SV_DISK_FOREIGN;
		if (ours > 0)
			snprintf(d->why, sizeof(d->why), "%s", d->by_label ?
				 "carries sysvol's filesystems by their labels, without its partition "
				 "names: assembled and mounted, never written" : "carries sysvol's partitions");
		return;
	}
	struct claim cl;
	enum claim_state st = claim_check(c->sys, d->path, CLAIM_STRICT, &cl);
	sv_charge(c, "inventory:claim");
	if (st != CLAIM_FREE) {
		d->kind = st == CLAIM_BUSY ? SV_DISK_SKIPPED : SV_DISK_FOREIGN;
		snprintf(d->why, sizeof(d->why), "%s%s: left alone", st == CLAIM_BUSY ? "in use: " : "",
			 cl.why);
		return;
	}
	uint64_t n = sv_layout_need(&c->layout, d->lsec);
	if (d->size < n) {
		d->kind = SV_DISK_SKIPPED;
		snprintf(d->why, sizeof(d->why), "blank but too small: the layout needs %s, it has %s",
			 fmt_size(n, need, sizeof(need)), fmt_size(d->size, have, sizeof(have)));
		return;
	}
	d->kind = SV_DISK_BLANK;
}

static void fill(struct sv_disk *d, const struct blkdev *b)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", b->name);
	snprintf(d->path, sizeof(d->path), "%s", b->path);
	snprintf(d->serial, sizeof(d->serial), "%s", b->serial);
	snprintf(d->wwn, sizeof(d->wwn), "%s", b->wwn);
	snprintf(d->model, sizeof(d->model), "%s", b->model);
	snprintf(d->transport, sizeof(d->transport), "%s", b->transport);
	d->size = b->size;
	d->lsec = b->lsec ? b->lsec : 512;
	d->psec = b->psec;
	d->rotational = b->rotational;
	d->removable = b->removable;
	d->ro = b->ro;
	/* What seeds the node's UUIDs: stable across boots and device names. */
	if (b->serial[0])
		snprintf(d->id, sizeof(d->id), "%s", b->serial);
	else if (b->wwn[0])
		snprintf(d->id, sizeof(d->id), "%s", b->wwn);
	else
		snprintf(d->id, sizeof(d->id), "%s-%llu", b->name, (unsigned long long)b->size);
}

/* node[] in the order of the disks' ids, so that member order and the
 * derived identifiers do not depend on which name the kernel gave. */
static void sort_node(struct sv_ctx *c)
{
	if (c->nnode == 2 && strcmp(c->disk[c->node[0]].id, c->disk[c->node[1]].id) > 0) {
		int t = c->node[0];
		c->node[0] = c->node[1];
		c->node[1] = t;
	}
}

int sv_inventory(struct sv_ctx *c, struct bb_error *e)
{
	struct blkdev_list l;
	sv_charge(c, c->phase_now);
	if (blkdev_scan(c->sys, &l, e))
		return -1;
	sv_charge(c, "inventory:sysfs");
	c->ndisks = 0;
	c->nnode = 0;
	c->by_label = false;
	for (size_t i = 0; i < l.n && c->ndisks < SV_MAX_DISKS; i++) {
		const struct blkdev *b = &l.dev[i];
		if (b->partno)
			continue;
		struct sv_disk *d = &c->disk[c->ndisks++];
		fill(d, b);
		classify(c, b, d);
		if (d->kind != SV_DISK_OURS)
			continue;
		if (c->nnode == SV_MIRROR) {
			d->kind = SV_DISK_FOREIGN;
			snprintf(d->why, sizeof(d->why), "a third disk with sysvol's partitions: left "
				 "alone (a node has at most %d)", SV_MIRROR);
			continue;
		}
		d->chosen = true;
		c->by_label |= d->by_label;
		c->node[c->nnode++] = (int)(c->ndisks - 1);
	}
	blkdev_list_free(&l);
	sort_node(c);
	if (c->nnode)
		snprintf(c->rep.mode, sizeof(c->rep.mode), "%s", c->nnode > 1 ? "mirror" : "single");
	return 0;
}

/* ---- choosing blank disks ----------------------------------------------------- */

/* The better pair of one tier: equal sizes first, then the larger. */
static bool pair_better(const struct sv_disk *a, const struct sv_disk *b, const struct sv_disk *x,
			const struct sv_disk *y)
{
	uint64_t dab = a->size > b->size ? a->size - b->size : b->size - a->size;
	uint64_t dxy = x->size > y->size ? x->size - y->size : y->size - x->size;
	if (dab != dxy)
		return dab < dxy;
	uint64_t mab = a->size < b->size ? a->size : b->size;
	uint64_t mxy = x->size < y->size ? x->size : y->size;
	return mab > mxy;
}

/* Best pair of blank disks with rotational == rot: -1 when fewer than two. */
static int best_pair(struct sv_ctx *c, bool rot, int *x, int *y)
{
	*x = *y = -1;
	for (size_t i = 0; i < c->ndisks; i++)
		for (size_t j = i + 1; j < c->ndisks; j++) {
			struct sv_disk *a = &c->disk[i], *b = &c->disk[j];
			if (a->kind != SV_DISK_BLANK || b->kind != SV_DISK_BLANK ||
			    a->rotational != rot || b->rotational != rot)
				continue;
			if (*x < 0 || pair_better(a, b, &c->disk[*x], &c->disk[*y])) {
				*x = (int)i;
				*y = (int)j;
			}
		}
	return *x < 0 ? -1 : 0;
}

int sv_choose(struct sv_ctx *c, struct bb_error *e)
{
	(void)e;
	int x, y, one = -1;
	size_t nblank = 0;
	for (size_t i = 0; i < c->ndisks; i++) {
		struct sv_disk *d = &c->disk[i];
		if (d->kind != SV_DISK_BLANK)
			continue;
		nblank++;
		/* a single disk: non-rotational first, then the largest */
		if (one < 0 || (c->disk[one].rotational && !d->rotational) ||
		    (c->disk[one].rotational == d->rotational && d->size > c->disk[one].size))
			one = (int)i;
	}
	c->nnode = 0;
	if (!best_pair(c, false, &x, &y) || !best_pair(c, true, &x, &y)) {
		c->node[0] = x;
		c->node[1] = y;
		c->nnode = 2;
	} else if (one >= 0) {
		c->node[0] = one;
		c->nnode = 1;
	}
	for (unsigned k = 0; k < c->nnode; k++) {
		struct sv_disk *d = &c->disk[c->node[k]];
		d->chosen = true;
		snprintf(d->why, sizeof(d->why), "%s", c->nnode == 1 ?
			 (nblank > 1 ? "the single layout: no other blank disk of the same tier" :
				       "the single layout: the only blank disk") :
			 "one half of the mirror");
	}
	for (size_t i = 0; i < c->ndisks; i++) {
		struct sv_disk *d = &c->disk[i];
		if (d->kind == SV_DISK_BLANK && !d->chosen)
			snprintf(d->why, sizeof(d->why), "blank, not used: %s",
				 c->nnode == 2 ? "a mirror takes two disks of one tier, equal sizes "
						 "and non-rotational first" : "not of the chosen disk's tier");
	}
	sort_node(c);
	if (c->nnode)
		snprintf(c->rep.mode, sizeof(c->rep.mode), "%s", c->nnode > 1 ? "mirror" : "single");
	return 0;
}

void sv_derive(const struct sv_ctx *c, const char *what, struct uuid *u)
{
	char name[512];
	int n = snprintf(name, sizeof(name), "sysvol");
	for (unsigned k = 0; k < c->nnode; k++)
		n += snprintf(name + n, sizeof(name) - (size_t)n, "%s%s", k ? "," : ":",
			      c->disk[c->node[k]].id);
	n += snprintf(name + n, sizeof(name) - (size_t)n, ":%s", what);
	if (n >= (int)sizeof(name))
		n = (int)sizeof(name) - 1;
	uuid_derive(u, NULL, name, (size_t)n);
}
