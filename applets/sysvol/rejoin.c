/* rejoin.c - what to start when a provisioned node boots: both halves of
 * its mirror, the one that is there, the newer one with the stale one
 * re-added, or, when each half ran without the other (split brain), one
 * chosen half with the other kept as it is for the operator.
 *
 * md says it best: a member that ran alone marks its partner missing in
 * its own superblock, so a half that never ran alone still counts the
 * other as working (md_sb_compare). btrfs superblocks carry only their
 * own generation: the newer half has the higher one, and a btrfs whose
 * newer half is not md's newer half is a history neither explains, so it
 * is treated as split as well. Nothing here touches a device.
 */
#include "boot.h"
#include "blkdev.h"
#include "gpt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *svb_action_name(enum svb_action a)
{
	static const char *const names[] = {
		[SVB_NEW] = "new", [SVB_BOTH] = "both", [SVB_ALONE] = "degraded",
		[SVB_REJOIN] = "rejoin", [SVB_SPLIT] = "split brain",
	};
	return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}

struct votes {
	int newer;      /* place that ran on, -1 none yet */
	bool split, md_stale;
	char why[SV_NOTE];
};

static void vote(struct votes *t, int place, const char *what)
{
	if (t->newer >= 0 && t->newer != place && !t->split) {
		t->split = true;
		snprintf(t->why, sizeof(t->why), "%s is newer on disk %d, another volume on disk %d",
			 what, place + 1, t->newer + 1);
	}
	if (t->newer < 0)
		t->newer = place;
}

static void md_pair(struct votes *t, const struct svb_member *m, size_t v)
{
	char what[32];
	snprintf(what, sizeof(what), "md volume %zu", v + 1);
	switch (md_sb_compare(&m[0].sb, &m[1].sb)) {
	case MD_IN_STEP:
		return;
	case MD_A_NEWER:
		t->md_stale = true;
		return vote(t, 0, what);
	case MD_B_NEWER:
		t->md_stale = true;
		return vote(t, 1, what);
	case MD_SPLIT:
		if (!t->split)
			snprintf(t->why, sizeof(t->why), "%s: each half ran without the other (md events "
				 "%llu and %llu)", what, (unsigned long long)m[0].sb.events,
				 (unsigned long long)m[1].sb.events);
		t->split = true;
		return;
	case MD_FOREIGN:
		if (!t->split)
			snprintf(t->why, sizeof(t->why), "%s: the two disks hold different arrays", what);
		t->split = true;
		return;
	}
}

static void btrfs_pair(struct votes *t, const struct svb_member *m)
{
	if (memcmp(m[0].bt.fsid, m[1].bt.fsid, 16)) {
		if (!t->split)
			snprintf(t->why, sizeof(t->why), "the two disks hold different btrfs filesystems");
		t->split = true;
		return;
	}
	uint64_t g0 = m[0].bt.generation, g1 = m[1].bt.generation;
	if (g0 != g1)
		vote(t, g0 > g1 ? 0 : 1, "btrfs");
}

/* The half to keep running after a split: the one whose md superblocks
 * were updated last (the one the node ran on last), then the larger btrfs
 * generation, then the first disk. */
static int choose(const struct svb_member (*m)[SV_MIRROR], size_t nvol)
{
	uint64_t ut[2] = { 0, 0 }, gen[2] = { 0, 0 };
	for (size_t v = 0; v < nvol; v++)
		for (int p = 0; p < 2; p++) {
			if (m[v][p].md && m[v][p].sb.utime > ut[p])
				ut[p] = m[v][p].sb.utime;
			if (m[v][p].btrfs && m[v][p].bt.generation > gen[p])
				gen[p] = m[v][p].bt.generation;
		}
	if (ut[0] != ut[1])
		return ut[1] > ut[0];
	return gen[1] > gen[0];
}

void svb_decide(const struct svb_member (*m)[SV_MIRROR], const enum sv_mirror *kinds, size_t nvol,
		unsigned expected, struct svb_node *out)
{
	memset(out, 0, sizeof(*out));
	out->use = out->stale = -1;
	bool there[2] = { false, false }, any = false;
	for (size_t v = 0; v < nvol; v++)
		for (int p = 0; p < 2; p++) {
			there[p] |= m[v][p].there;
			any |= m[v][p].md || m[v][p].btrfs;
		}
	if (!any) {
		out->action = SVB_NEW;
		return;
	}
	unsigned nthere = (unsigned)there[0] + there[1];
	if (nthere < expected) {
		out->action = SVB_ALONE;
		out->use = there[0] ? 0 : 1;
		snprintf(out->why, sizeof(out->why), "%u of the mirror's %u disks present", nthere, expected);
		return;
	}
	out->action = SVB_BOTH;
	if (nthere < 2)
		return; /* a single-disk node */
	struct votes t = { .newer = -1 };
	for (size_t v = 0; v < nvol; v++) {
		const struct svb_member *pair = m[v];
		if (kinds[v] == SV_MIRROR_BTRFS && pair[0].btrfs && pair[1].btrfs)
			btrfs_pair(&t, pair);
		else if (kinds[v] != SV_MIRROR_NONE && pair[0].md && pair[1].md)
			md_pair(&t, pair, v);
	}
	if (t.split) {
		out->action = SVB_SPLIT;
		out->use = choose(m, nvol);
		snprintf(out->why, sizeof(out->why), "%s", t.why);
	} else if (t.newer >= 0) {
		out->action = SVB_REJOIN;
		out->use = t.newer;
		out->stale = 1 - t.newer;
		out->md_stale = t.md_stale;
		snprintf(out->why, sizeof(out->why), "disk %d ran without disk %d, which stayed as it was",
			 t.newer + 1, 2 - t.newer);
	}
}

/* ---- sysvol.replace=auto --------------------------------------------------------
 * A blank disk of the present disk's tier (rotational or not, the same
 * logical sector size) and large enough, beside a mirror running on one
 * disk, gets the present disk's partition table (same places, types and
 * names; GUIDs derived from the new disk's id, so a rerun converges),
 * its md members added to the arrays (md rebuilds them) and, once
 * mounted, its data partition put in the missing btrfs device's place
 * (DEV_REPLACE, in the background: it copies all the data). Its swap
 * area is made by sv_complete, as on any disk of the node that lacks one. */

static int read_table(const struct sv_disk *d, struct gpt *g, struct bb_error *e)
{
	struct disk dk;
	if (disk_open(&dk, d->path, 0, 0, e))
		return -1;
	int r = gpt_read(g, dk.fd, dk.size, dk.lsec);
	disk_close(&dk);
	if (r)
		return bb_error_set(e, g->err.code ? g->err.code : EIO, "%s: read the partition table: %s",
				    d->path, g->err.msg);
	return 0;
}

/* The first blank disk that can take the table g of disk from. */
static int candidate(const struct sv_ctx *c, const struct sv_disk *from, const struct gpt *g)
{
	uint64_t need = 0;
	for (uint32_t i = 0; i < g->nentries; i++)
		if (gpt_part_used(&g->part[i]) && (g->part[i].last_lba + 1) * g->sector > need)
			need = (g->part[i].last_lba + 1) * g->sector;
	need += 1 << 20; /* the backup table */
	for (size_t i = 0; i < c->ndisks; i++) {
		const struct sv_disk *d = &c->disk[i];
		if (d->kind == SV_DISK_BLANK && d->rotational == from->rotational &&
		    d->lsec == from->lsec && d->size >= need)
			return (int)i;
	}
	return -1;
}

static void derive_guid(const struct sv_disk *d, const char *what, struct gpt_guid *g)
{
	char name[160];
	struct uuid u;
	int n = snprintf(name, sizeof(name), "sysvol-replace:%s:%s", d->id, what);
	uuid_derive(&u, NULL, name, n < 0 ? 0 : (size_t)n);
	memcpy(g->b, u.b, 16);
}

/* The copied table, planned as a step on disk index to. */
static int plan_copy(struct sv_ctx *c, const struct gpt *from, int to, struct bb_error *e)
{
	const struct sv_disk *d = &c->disk[to];
	struct gpt *g = calloc(1, sizeof(*g));
	if (!g)
		return bb_error_errno(e, "memory");
	int r = gpt_init(g, d->size, d->lsec, from->nentries);
	if (!r)
		derive_guid(d, "disk", &g->disk_guid);
	for (uint32_t i = 0; !r && i < from->nentries; i++) {
		const struct gpt_part *p = &from->part[i];
		if (!gpt_part_used(p))
			continue;
		char name[GPT_NAME_UTF8_MAX];
		gpt_name_to_utf8(p->name, name);
		struct gpt_new n = { .number = i + 1, .type = p->type, .start_lba = p->first_lba,
				     .size = (p->last_lba - p->first_lba + 1) * from->sector,
				     .attrs = p->attrs, .name = name };
		derive_guid(d, name, &n.guid);
		r = gpt_add(g, &n) < 0 ? -1 : 0;
	}
	struct sv_step *s = NULL;
	if (r)
		bb_error_set(e, g->err.code ? g->err.code : EINVAL, "%s: plan the copied table: %s",
			     d->path, g->err.msg);
	else
		s = sv_step_add(c, SV_STEP_GPT, -1, e, "copy the partition table onto %s (%s)", d->path, d->id);
	if (!s) {
		gpt_free(g);
		free(g);
		return -1;
	}
	s->gpt = g;
	s->disk = to;
	snprintf(s->target, sizeof(s->target), "%s", d->path);
	return 0;
}

/* Each volume's member on the new disk: a raw one (BIOS boot) copied
 * from the member that survived, md add, swap, the btrfs target. */
static int join_new(struct sv_ctx *c, const struct sv_disk *from, const struct sv_disk *d,
		    struct bb_error *e)
{
	for (size_t v = 0; v < c->layout.nparts; v++) {
		const struct sv_part *p = &c->layout.part[v];
		char dev[SV_DEV], md[SV_DEV];
		if (!from->partno[v])
			continue;
		sv_part_dev(d, from->partno[v], dev, sizeof(dev));
		struct sv_step *s = NULL;
		if (p->format == SV_FMT_RAW && p->mirror == SV_MIRROR_NONE) {
			s = sv_step_add(c, SV_STEP_COPY, (int)v, e, "copy %s (raw) from %s onto %s, read "
					"back and compared", p->name, from->part_path[v], dev);
			if (!s)
				return -1;
			snprintf(s->source, sizeof(s->source), "%s", from->part_path[v]);
			snprintf(s->target, sizeof(s->target), "%s", dev);
		} else if (p->mirror == SV_MIRROR_MD090 || p->mirror == SV_MIRROR_MD12) {
			snprintf(md, sizeof(md), "/dev/md/%s", p->name);
			const char *argv[] = { "mdadm", md, "--add", dev, NULL };
			s = sv_step_add(c, SV_STEP_EXEC, (int)v, e, "add %s to %s", dev, md);
			if (!s || sv_step_argv(s, argv, e))
				return -1;
		} else if (p->mirror == SV_MIRROR_BTRFS) {
			snprintf(svb.replace_dev, sizeof(svb.replace_dev), "%s", dev);
		}
	}
	return sv_run_steps(c, e);
}

int svb_replace(struct sv_ctx *c, struct bb_error *e)
{
	const struct sv_disk *from = &c->disk[c->node[svb.node.use]];
	struct gpt g;
	svb.replace_dev[0] = 0;
	if (read_table(from, &g, e))
		return -1;
	int to = candidate(c, from, &g);
	if (to < 0) {
		gpt_free(&g);
		sv_warn(c, "sysvol.replace=auto: no blank disk like %s (same tier and sector size, "
			"large enough) to take the missing member's place", from->id);
		return 0;
	}
	int r = plan_copy(c, &g, to, e);
	gpt_free(&g);
	if (r || sv_run_steps(c, e))
		return -1;
	struct sv_disk *d = &c->disk[to];
	d->chosen = true;
	if (join_new(c, from, d, e))
		return -1;
	/* the new disk is the node's second from here on: mounts and swap see it */
	for (size_t v = 0; v < c->layout.nparts; v++)
		if (from->partno[v]) {
			d->partno[v] = from->partno[v];
			sv_part_dev(d, from->partno[v], d->part_path[v], SV_DEV);
		}
	c->node[c->nnode++] = to;
	/* not the btrfs member: it joins by replace, after the mounts */
	for (size_t v = 0; v < c->layout.nparts; v++)
		if (c->layout.part[v].mirror != SV_MIRROR_BTRFS)
			snprintf(c->vol[v].member[c->nnode - 1], SV_DEV, "%s", d->part_path[v]);
	snprintf(svb.other, sizeof(svb.other), "%s", d->id);
	sv_warn(c, "REPLACED: %s (blank) takes the missing member's place: partition table copied, "
		"md arrays rebuilding onto it%s", d->id,
		svb.replace_dev[0] ? ", btrfs device replace starts once mounted" : "");
	return 0;
}
