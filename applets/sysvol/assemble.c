/* assemble.c - bring up a node whose disks already carry sysvol's layout.
 *
 * Read every mirrored partition's member superblock first (nothing is
 * assembled yet), wait a bounded time (sysvol.wait=) for the members the
 * superblocks say exist, decide for the node (rejoin.c), then assemble:
 * md arrays from the very members found, under the layout's names
 * (/dev/md/mosefi, /dev/md/mosboot: never a scan, which in an initramfs
 * whose host name differs names them md127), each array with a member
 * missing started on its own with `--run`; btrfs mounted `degraded` when
 * a member is missing (sv_mount_layout registers the members vol->member[]
 * names, one by one). Every action is a step (sysvol.h), so --dry-run
 * prints them.
 */
#include "boot.h"
#include "blkdev.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct svb_state svb;

static void read_member(const struct sv_part *p, const char *dev, struct svb_member *m,
			unsigned *expected)
{
	snprintf(m->dev, sizeof(m->dev), "%s", dev);
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	uint64_t size;
	if (fd < 0)
		return;
	if (!blk_size_bytes(fd, &size)) {
		if (p->mirror == SV_MIRROR_BTRFS) {
			m->btrfs = btrfs_super_read(fd, &m->bt, NULL) == 0;
			if (m->btrfs && m->bt.num_devices > *expected)
				*expected = (unsigned)m->bt.num_devices;
		} else if (p->mirror != SV_MIRROR_NONE) {
			m->md = md_sb_read(fd, size, &m->sb, NULL) == 0 && m->sb.level == 1;
			if (m->md && m->sb.raid_disks > *expected)
				*expected = m->sb.raid_disks;
		}
	}
	close(fd);
}

/* Members of every layout partition at each present place; returns how
 * many places the superblocks say the mirror has (at most SV_MIRROR). */
static unsigned read_members(const struct sv_ctx *c, struct svb_member (*m)[SV_MIRROR])
{
	unsigned expected = c->nnode;
	memset(m, 0, sizeof(*m) * SV_MAX_PARTS);
	for (size_t v = 0; v < c->layout.nparts; v++)
		for (unsigned k = 0; k < c->nnode; k++) {
			const struct sv_disk *d = &c->disk[c->node[k]];
			m[v][k].there = true;
			if (d->partno[v])
				read_member(&c->layout.part[v], d->part_path[v], &m[v][k], &expected);
		}
	return expected < SV_MIRROR ? expected : SV_MIRROR;
}

/* The bounded wait: the disks come and go with the inventory. */
static int wait_members(struct sv_ctx *c, struct svb_member (*m)[SV_MIRROR], unsigned *expected,
			struct bb_error *e)
{
	uint64_t deadline = clock_ms() + (uint64_t)c->wait_s * 1000;
	for (;;) {
		*expected = read_members(c, m);
		if (c->nnode >= *expected || clock_ms() >= deadline)
			return 0;
		sv_charge(c, c->phase_now);
		usleep(200 * 1000);
		sv_charge(c, "wait for members");
		if (sv_inventory(c, e))
			return -1;
		sv_vols_members(c);
	}
}

static int exec_step(struct sv_ctx *c, int v, const char *const *argv, struct bb_error *e,
		     const char *what)
{
	struct sv_step *s = sv_step_add(c, SV_STEP_EXEC, v, e, "%s", what);
	if (!s || sv_step_argv(s, argv, e))
		return -1;
	return sv_run_steps(c, e);
}

/* /dev/md/NAME: 0 absent, 1 assembled but not started, 2 running (sysvol
 * run a second time, or an earlier assembly that could not start it). */
static int md_state(const struct sv_ctx *c, const char *path)
{
	char real[PATH_MAX];
	if (!realpath(path, real))
		return 0;
	struct md_array a;
	const char *base = strrchr(real, '/');
	if (md_read(c->sys, base ? base + 1 : real, &a, NULL))
		return 0;
	int st = a.level[0] && strcmp(a.array_state, "inactive") ? 2 : 1;
	md_array_free(&a);
	return st;
}

/* Assemble md volume v from the places chosen; re-add the stale one. */
static int bring_md(struct sv_ctx *c, size_t v, const struct svb_member *m, struct bb_error *e)
{
	const struct sv_part *p = &c->layout.part[v];
	struct sv_vol *vol = &c->vol[v];
	const struct svb_node *n = &svb.node;
	snprintf(vol->dev, sizeof(vol->dev), "/dev/md/%s", p->name);
	const char *dev[SV_MIRROR];
	size_t nd = 0;
	for (int pl = 0; pl < SV_MIRROR; pl++)
		if (m[pl].md && (n->use < 0 || n->use == pl))
			dev[nd++] = m[pl].dev;
	if (!nd) {
		vol->state = SV_VOL_ABSENT; /* no member carries it yet */
		return 0;
	}
	/* a member short: --run starts it with what it has, array by array
	 * (--assemble --scan --run is known to leave such arrays inactive) */
	bool short_one = n->action != SVB_BOTH || nd < SV_MIRROR;
	const char *argv[8] = { "mdadm", "--assemble", vol->dev };
	size_t k = 3;
	if (short_one)
		argv[k++] = "--run";
	for (size_t i = 0; i < nd; i++)
		argv[k++] = dev[i];
	char what[160];
	int st = md_state(c, vol->dev);
	if (st == 0) {
		snprintf(what, sizeof(what), "md RAID1 %s from %s%s%s%s", vol->dev, dev[0],
			 nd > 1 ? " and " : "", nd > 1 ? dev[1] : "", short_one ? ", started degraded" : "");
		if (exec_step(c, (int)v, argv, e, what))
			return -1;
	} else if (st == 1) {
		const char *run[] = { "mdadm", "--run", vol->dev, NULL };
		snprintf(what, sizeof(what), "start %s with what it has", vol->dev);
		if (exec_step(c, (int)v, run, e, what))
			return -1;
	}
	vol->state = n->action == SVB_BOTH || n->action == SVB_REJOIN ? SV_VOL_READY : SV_VOL_DEGRADED;
	if (n->action == SVB_REJOIN && n->md_stale && m[n->stale].md) {
		const char *stale = m[n->stale].dev;
		/* without a bitmap mdadm refuses --add of a former member
		 * (it would turn it into a spare): clear the stale one's
		 * superblock first; it is rebuilt from the newer half */
		if (!(m[n->use].sb.features & 1)) {
			const char *zero[] = { "mdadm", "--zero-superblock", stale, NULL };
			snprintf(what, sizeof(what), "forget the stale md member %s", stale);
			if (exec_step(c, (int)v, zero, e, what))
				return -1;
		}
		const char *add[] = { "mdadm", vol->dev, (m[n->use].sb.features & 1) ? "--re-add" : "--add",
				      stale, NULL };
		snprintf(what, sizeof(what), "re-add %s to %s (rebuilt from the newer half)", stale, vol->dev);
		if (exec_step(c, (int)v, add, e, what))
			return -1;
	}
	return 0;
}

/* The data btrfs: which member it is mounted from, and whether degraded.
 * sv_mount_layout registers each vol->member[] with the kernel before it
 * mounts (a split's other half is no longer among them). */
static void bring_btrfs(struct sv_ctx *c, size_t v, const struct svb_member *m)
{
	struct sv_vol *vol = &c->vol[v];
	const struct svb_node *n = &svb.node;
	int use = n->use >= 0 ? n->use : m[0].btrfs ? 0 : 1;
	if (!m[use].btrfs) {
		vol->state = SV_VOL_ABSENT;
		return;
	}
	snprintf(vol->dev, sizeof(vol->dev), "%s", m[use].dev);
	vol->state = SV_VOL_READY;
	if (n->action == SVB_ALONE || n->action == SVB_SPLIT) {
		vol->state = SV_VOL_DEGRADED;
		c->btrfs_degraded = true;
		const struct btrfs_super *b = &m[use].bt;
		if (b->num_devices == 2)
			svb.missing_devid = b->devid == 1 ? 2 : 1;
	}
}

/* Say what was decided; from here on the node is the disks it runs on:
 * a split's other half is left out of everything that follows (mounts,
 * swap, the completion), so nothing touches it. */
static void tell(struct sv_ctx *c)
{
	const struct svb_node *n = &svb.node;
	if (n->use >= 0)
		snprintf(svb.used, sizeof(svb.used), "%s", c->disk[c->node[n->use]].id);
	int other = n->action == SVB_SPLIT ? 1 - n->use : n->stale;
	if (other >= 0)
		snprintf(svb.other, sizeof(svb.other), "%s", c->disk[c->node[other]].id);
	const char *use = svb.used;
	switch (n->action) {
	case SVB_ALONE:
		c->rep.degraded = true;
		c->rep.outcome = SV_OUT_DEGRADED;
		sv_warn(c, "DEGRADED: %s; running on %s alone, the mirror is NOT redundant", n->why, use);
		break;
	case SVB_SPLIT:
		c->rep.degraded = true;
		c->rep.outcome = SV_OUT_DEGRADED;
		sv_warn(c, "SPLIT BRAIN: %s; mounted %s, %s kept untouched (not assembled, not "
			"registered)", n->why, use, svb.other);
		break;
	case SVB_REJOIN:
		sv_warn(c, "%s returned: %s; re-added and resynced from %s", svb.other, n->why, use);
		break;
	default:
		break;
	}
}

/* The node is the half that runs: the other is no longer chosen. */
static void shrink_to_used(struct sv_ctx *c)
{
	int use = svb.node.use, keep = c->node[use], drop = c->node[1 - use];
	c->disk[drop].chosen = false;
	snprintf(c->disk[drop].why, sizeof(c->disk[drop].why), "split brain: kept aside, untouched");
	c->node[0] = keep;
	c->node[1] = -1;
	c->nnode = 1;
	svb.node.use = 0;
	for (size_t v = 0; v < c->layout.nparts; v++) {
		struct sv_vol *vol = &c->vol[v];
		if (use)
			memcpy(vol->member[0], vol->member[1], SV_DEV);
		vol->member[1][0] = 0;
		vol->nmembers = vol->member[0][0] ? 1 : 0;
		if (c->layout.part[v].mirror == SV_MIRROR_NONE)
			memcpy(vol->dev, vol->member[0], SV_DEV);
	}
}

int sv_boot_existing(struct sv_ctx *c, struct bb_error *e)
{
	static struct svb_member m[SV_MAX_PARTS][SV_MIRROR];
	enum sv_mirror kinds[SV_MAX_PARTS];
	unsigned expected;
	const char *phase = c->phase_now;
	sv_phase(c, "members");
	if (wait_members(c, m, &expected, e))
		return -1;
	sv_phase(c, phase);
	for (size_t v = 0; v < c->layout.nparts; v++)
		kinds[v] = c->layout.part[v].mirror;
	svb_decide((const struct svb_member(*)[SV_MIRROR])m, kinds, c->layout.nparts, expected, &svb.node);
	svb.missing_devid = 0;
	svb.replace_dev[0] = svb.used[0] = svb.other[0] = 0;
	for (size_t v = 0; v < c->layout.nparts; v++)
		for (unsigned k = 0; k < SV_MIRROR && kinds[v] == SV_MIRROR_BTRFS; k++)
			svb.devid[k] = m[v][k].btrfs ? m[v][k].bt.devid : 0;
	if (c->rep.outcome == SV_OUT_NONE)
		c->rep.outcome = c->dry_run ? SV_OUT_PLANNED : SV_OUT_MOUNTED;
	if (expected > 1)
		snprintf(c->rep.mode, sizeof(c->rep.mode), "mirror");
	tell(c);
	/* volumes that need no assembly are as sv_vols_members left them */
	for (size_t v = 0; v < c->layout.nparts; v++) {
		const struct sv_part *p = &c->layout.part[v];
		int r = 0;
		if ((p->mirror == SV_MIRROR_MD090 || p->mirror == SV_MIRROR_MD12) && expected > 1)
			r = bring_md(c, v, m[v], e);
		else if (p->mirror == SV_MIRROR_BTRFS)
			bring_btrfs(c, v, m[v]);
		if (r)
			return bb_error_prefix(e, "%s", p->name);
	}
	if (svb.node.action == SVB_SPLIT)
		shrink_to_used(c);
	if (svb.node.action == SVB_ALONE && c->replace_auto && !c->by_label)
		return svb_replace(c, e);
	return 0;
}
