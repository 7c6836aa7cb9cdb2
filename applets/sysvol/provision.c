/* provision.c - from partitions to mounted storage: the partition tables
 * of blank disks, then whatever is missing of the arrays, filesystems and
 * subvolumes (all of it on blank disks; the rest of a layout a power cut
 * interrupted), then the mounts. Every identifier is derived from the
 * node's disks (sv_derive), so a rerun after a power cut makes the same
 * ones. Nothing is written over anything found: a volume that holds
 * something other than what sysvol makes there is refused with what it
 * holds. */
#include "exec.h"
#include "sysvol.h"

#include "blkdev.h"
#include "btrfs.h"
#include "endian.h"
#include "gpt.h"
#include "io.h"
#include "mount.h"
#include "probe.h"
#include "size.h"
#include "vfat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MD_090_RESERVE (64u << 10) /* 0.90 superblock: last 64 KiB-aligned 64 KiB */

static bool md_mirrored(const struct sv_ctx *c, const struct sv_part *p)
{
	return c->nnode == SV_MIRROR && (p->mirror == SV_MIRROR_MD090 || p->mirror == SV_MIRROR_MD12);
}

/* Each disk's own copy (swap, or anything the layout does not mirror). */
static bool per_disk(const struct sv_ctx *c, const struct sv_part *p)
{
	return c->nnode == SV_MIRROR && p->mirror == SV_MIRROR_NONE;
}

void sv_vols_members(struct sv_ctx *c)
{
	for (size_t i = 0; i < c->layout.nparts; i++) {
		const struct sv_part *p = &c->layout.part[i];
		struct sv_vol *v = &c->vol[i];
		char what[64];
		memset(v, 0, sizeof(*v));
		for (unsigned k = 0; k < c->nnode; k++) {
			const struct sv_disk *d = &c->disk[c->node[k]];
			if (d->kind == SV_DISK_OURS && d->partno[i])
				memcpy(v->member[k], d->part_path[i], SV_DEV);
			else if (d->kind == SV_DISK_BLANK)
				sv_part_dev(d, (unsigned)i + 1, v->member[k], SV_DEV);
			if (v->member[k][0])
				v->nmembers++;
		}
		snprintf(what, sizeof(what), "fs:%s", p->name);
		sv_derive(c, what, &v->fs_uuid);
		snprintf(what, sizeof(what), "md:%s", p->name);
		sv_derive(c, what, &v->md_uuid);
		if (!md_mirrored(c, p) && v->member[0][0]) {
			snprintf(v->dev, sizeof(v->dev), "%s", v->member[0]);
			v->state = SV_VOL_READY;
		}
	}
}

/* ---- partition tables ---------------------------------------------------------- */

static void guid_of(const struct uuid *u, struct gpt_guid *g)
{
	char s[UUID_STR];
	gpt_guid_parse(uuid_fmt_upper(u, s), g);
}

static int new_table(struct sv_ctx *c, int di, struct bb_error *e)
{
	struct sv_disk *d = &c->disk[di];
	struct gpt *g = calloc(1, sizeof(*g));
	if (!g)
		return bb_error_errno(e, "memory");
	if (gpt_init(g, d->size, d->lsec, GPT_DEFAULT_ENTRIES)) {
		bb_error_set(e, g->err.code, "%s: %s", d->path, g->err.msg);
		goto fail;
	}
	struct uuid u;
	char what[96];
	snprintf(what, sizeof(what), "disk:%s", d->id);
	sv_derive(c, what, &u);
	guid_of(&u, &g->disk_guid);
	for (size_t i = 0; i < c->layout.nparts; i++) {
		const struct sv_part *p = &c->layout.part[i];
		struct gpt_new n = { .number = (unsigned)i + 1, .size = sv_part_size(p, d->lsec),
				     .name = p->name };
		gpt_type_parse(p->type, &n.type);
		snprintf(what, sizeof(what), "part:%s:%s", d->id, p->name);
		sv_derive(c, what, &u);
		guid_of(&u, &n.guid);
		if (gpt_add(g, &n) < 0) {
			bb_error_set(e, g->err.code, "%s: partition %s: %s", d->path, p->name, g->err.msg);
			goto fail;
		}
	}
	char sz[16];
	struct sv_step *s = sv_step_add(c, SV_STEP_GPT, -1, e, "partition %s (%s): %zu partitions, "
					"%s", d->name, fmt_size(d->size, sz, sizeof(sz)),
					c->layout.nparts, c->layout.from);
	if (!s)
		goto fail;
	snprintf(s->target, sizeof(s->target), "%s", d->path);
	s->disk = di;
	s->gpt = g;
	return 0;
fail:
	gpt_free(g);
	free(g);
	return -1;
}

/* A table of ours that a power cut left with one copy written: repair it
 * from the valid one (what gpt repair does). */
static int check_table(struct sv_ctx *c, int di, struct bb_error *e)
{
	struct sv_disk *d = &c->disk[di];
	for (size_t i = 0; i < c->layout.nparts; i++)
		if (!d->partno[i])
			return bb_error_set(e, EEXIST, "%s carries sysvol's partitions but not %s (another "
					    "layout?): left alone", d->path, c->layout.part[i].name);
	struct disk k;
	if (disk_open(&k, d->path, 0, 0, e))
		return -1;
	struct gpt *g = calloc(1, sizeof(*g));
	int r = g ? gpt_read(g, k.fd, k.size, k.lsec) : -1;
	disk_close(&k);
	if (!g)
		return bb_error_errno(e, "memory");
	int fixes = r ? -1 : gpt_fix(g, false);
	if (r || fixes < 0) {
		bb_error_set(e, EIO, "%s: partition table: %s", d->path, g->err.msg);
	} else if (fixes > 0) {
		struct sv_step *s = sv_step_add(c, SV_STEP_GPT, -1, e, "repair the partition table of "
						"%s (%d problems, as a power cut leaves it)", d->name, fixes);
		if (s) {
			snprintf(s->target, sizeof(s->target), "%s", d->path);
			s->disk = di;
			s->gpt = g;
			return 0;
		}
	} else {
		gpt_free(g);
		free(g);
		return 0;
	}
	gpt_free(g);
	free(g);
	return -1;
}

int sv_plan_tables(struct sv_ctx *c, struct bb_error *e)
{
	for (unsigned k = 0; k < c->nnode; k++) {
		int di = c->node[k];
		if (c->disk[di].by_label)
			continue; /* never written: not even a repair */
		if ((c->disk[di].kind == SV_DISK_BLANK ? new_table(c, di, e) : check_table(c, di, e)))
			return -1;
	}
	return 0;
}

/* ---- arrays and filesystems ---------------------------------------------------- */

static const char *const probe_type[] = {
	[SV_FMT_RAW] = "", [SV_FMT_VFAT] = "vfat", [SV_FMT_EXT4] = "ext4",
	[SV_FMT_SWAP] = "swap", [SV_FMT_BTRFS] = "btrfs",
};

/* What a target holds, as sysvol sees it. A filesystem made by another
 * program (ext4, btrfs) gets its label as the last step, after the tool
 * succeeded and its checker passed, so the label is the mark of a whole
 * one. The type without the label, with the UUID sysvol derives for it
 * (which nobody else makes), is sysvol's own: when its checker passes it
 * was cut off before the label (or someone removed the label: it may
 * hold data) and only gets the label; when the checker fails on one that
 * was never mounted it was cut off while it was made, and is made again
 * (one that was mounted is refused). FAT and swap areas
 * (blockbox's own) are whole once there at all: their signature is
 * written last, after a sync. */
enum { HOLDS_NOTHING, HOLDS_DONE, HOLDS_HALF, HOLDS_UNLABELLED };

static bool label_last(const struct sv_part *p)
{
	return p->format == SV_FMT_EXT4 || p->format == SV_FMT_BTRFS;
}

/* The checker of an ext4 or btrfs, read only: does it pass? */
static bool checks_whole(const struct sv_part *p, const char *target)
{
	const char *e2[] = { "e2fsck", "-f", "-n", target, NULL };
	const char *bt[] = { "btrfs", "check", "--readonly", target, NULL };
	struct run_result r;
	struct bb_error e;
	int st = run_argv(p->format == SV_FMT_EXT4 ? e2 : bt, RUN_QUIET, NULL, &r, &e);
	if (st >= 0)
		run_free(&r);
	return st == 0;
}

/* Has the filesystem on target ever been mounted? mkfs cut off leaves
 * one that never was; one that was may hold data, whatever its checker
 * says now. ext4 counts mounts and keeps the last mount's time (e2fsck
 * resets the count, never the time); btrfs gets its UUID tree at the
 * first read-write mount, and the superblock records that tree's
 * generation. 1 yes, 0 no, -1 (e) when it cannot tell. */
static int was_mounted(const struct sv_part *p, const char *target, struct bb_error *e)
{
	int fd = open(target, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bb_error_errno(e, "%s", target);
	int r;
	if (p->format == SV_FMT_BTRFS) {
		struct btrfs_super b;
		r = btrfs_super_read(fd, &b, e);
		if (r == BTRFS_SUPER_NONE)
			r = bb_error_set(e, EINVAL, "%s: its btrfs superblock does not read back", target);
		else if (!r)
			r = b.uuid_tree_generation != 0;
	} else {
		uint8_t sb[1024];
		if (pread_full(fd, sb, sizeof(sb), 1024) != (ssize_t)sizeof(sb))
			r = bb_error_errno(e, "%s: read its ext4 superblock", target);
		else if (get_le16(sb + 0x38) != 0xEF53) /* s_magic */
			r = bb_error_set(e, EINVAL, "%s: its ext4 superblock does not read back", target);
		else /* s_mtime, s_mnt_count */
			r = get_le32(sb + 0x2C) != 0 || get_le16(sb + 0x34) != 0;
	}
	close(fd);
	return r;
}

/* Unlabelled, with sysvol's UUID: HOLDS_UNLABELLED when its checker
 * passes, HOLDS_HALF when it fails on one never mounted (a cut inside
 * mkfs, made again), refused when it fails on one that was (it may hold
 * data: only its owner may decide to lose it). */
static int holds_unlabelled(struct sv_ctx *c, const struct sv_part *p, const char *target,
			    struct bb_error *e)
{
	bool whole = checks_whole(p, target);
	sv_charge(c, "complete:check");
	if (whole)
		return HOLDS_UNLABELLED;
	int used = was_mounted(p, target, e);
	if (!used)
		return HOLDS_HALF;
	if (used > 0)
		bb_error_set(e, EEXIST, "%s (%s) holds the %s sysvol made, without its label %s, and "
			     "its checker fails, but it has been mounted, so it may hold data: left "
			     "alone (repair it, or wipe it to have it made again)", target, p->name,
			     probe_type[p->format], p->label);
	else
		bb_error_prefix(e, "%s (%s) holds the %s sysvol made, unlabelled and failing its "
				"checker, left alone: cannot tell whether it was ever mounted",
				target, p->name, probe_type[p->format]);
	return -1;
}

/* HOLDS_*, or -1 (e) when target holds something else or cannot be
 * read. The common answer (it is there: every boot of a provisioned
 * node) comes from a probe for that one type; only a target without it
 * is probed for everything, to tell blank from foreign. */
static int holds(struct sv_ctx *c, size_t i, const char *target, struct bb_error *e)
{
	const struct sv_part *p = &c->layout.part[i];
	struct probe_info pi;
	char u[UUID_STR];
	if (c->dry_run && access(target, F_OK))
		return HOLDS_NOTHING; /* an array the plan creates */
	sv_charge(c, c->phase_now);
	int pr = probe_path_as(target, probe_type[p->format], &pi, e);
	sv_charge(c, "complete:probe");
	if (!pr && pi.type[0] && !strcmp(pi.label, p->label))
		return HOLDS_DONE;
	if (!pr && pi.type[0] && !pi.label[0] && label_last(p) &&
	    !strcmp(pi.uuid, uuid_fmt(&c->vol[i].fs_uuid, u)))
		return holds_unlabelled(c, p, target, e);
	pr = pr ? pr : probe_path(target, &pi, e);
	sv_charge(c, "complete:probe all");
	if (pr)
		return bb_error_prefix(e, "%s", target);
	if (!pi.type[0])
		return HOLDS_NOTHING;
	return bb_error_set(e, EEXIST, "%s (%s) holds %s%s%s%s%s, not the %s %s sysvol makes: left "
			    "alone", target, p->name, pi.type, pi.label[0] ? " labelled " : "", pi.label,
			    pi.uuid[0] ? " UUID " : "", pi.uuid, probe_type[p->format], p->label);
}

/* The btrfs across both members is one filesystem: whole when the first
 * member says so; made (again) only when neither holds anything else. */
static int holds_members(struct sv_ctx *c, size_t i, const char *target, struct bb_error *e)
{
	const struct sv_vol *v = &c->vol[i];
	int h = holds(c, i, target, e);
	if (h != HOLDS_NOTHING && h != HOLDS_HALF)
		return h;
	for (unsigned k = 0; k < SV_MIRROR; k++) {
		if (!v->member[k][0] || !strcmp(v->member[k], target))
			continue;
		int o = holds(c, i, v->member[k], e);
		if (o < 0)
			return -1;
		if (o == HOLDS_DONE)
			return bb_error_set(e, EEXIST, "%s holds the whole %s but %s does not: left alone",
					    v->member[k], c->layout.part[i].label, target);
		if (o == HOLDS_HALF)
			h = HOLDS_HALF;
	}
	return h;
}

/* A FAT32 ESP must have 65525 clusters: refused before anything is
 * written when the partition (less md 0.90's reserve) cannot hold them. */
static int check_esp(const struct sv_ctx *c, const struct sv_part *p, struct bb_error *e)
{
	unsigned lsec = 512;
	for (unsigned k = 0; k < c->nnode; k++)
		if (c->disk[c->node[k]].lsec > lsec)
			lsec = c->disk[c->node[k]].lsec;
	uint64_t size = sv_part_size(p, lsec);
	if (md_mirrored(c, p) && p->mirror == SV_MIRROR_MD090)
		size = size / MD_090_RESERVE * MD_090_RESERVE - MD_090_RESERVE;
	struct vfat_params vp = { .size = size, .sector = lsec, .fat_bits = 32 };
	struct vfat_layout l;
	if (!vfat_layout(&vp, &l, e))
		return 0;
	return bb_error_prefix(e, "%s on %u-byte sectors%s (FAT32 needs 65525 clusters; set "
			       "min-size-4k in the layout)", p->name, lsec,
			       p->mirror == SV_MIRROR_MD090 && md_mirrored(c, p) ?
			       ", less md 0.90's 64 KiB" : "");
}

static int add_md(struct sv_ctx *c, size_t i, struct bb_error *e)
{
	const struct sv_part *p = &c->layout.part[i];
	struct sv_vol *v = &c->vol[i];
	char dev[SV_DEV], uuid[UUID_STR], name[48];
	snprintf(dev, sizeof(dev), "/dev/md/%s", p->name);
	snprintf(name, sizeof(name), "--name=%s", p->name);
	char uarg[UUID_STR + 8];
	snprintf(uarg, sizeof(uarg), "--uuid=%s", uuid_fmt(&v->md_uuid, uuid));
	const char *argv[] = { "mdadm", "--create", dev, "--run", "--level=1", "--raid-devices=2",
			       p->mirror == SV_MIRROR_MD090 ? "--metadata=0.90" : "--metadata=1.2",
			       uarg, "--homehost=any", name, v->member[0], v->member[1], NULL };
	if (p->mirror == SV_MIRROR_MD090) /* 0.90 has no name */
		memmove(&argv[9], &argv[10], 3 * sizeof(argv[0]));
	struct sv_step *s = sv_step_add(c, SV_STEP_EXEC, (int)i, e, "md RAID1 %s (metadata %s) "
					"from %s and %s", dev, p->mirror == SV_MIRROR_MD090 ? "0.90" :
					"1.2", v->member[0], v->member[1]);
	if (!s || sv_step_argv(s, argv, e))
		return -1;
	s->input = "y\n"; /* mdadm asks when it has doubts; --run answers most */
	snprintf(v->dev, sizeof(v->dev), "%s", dev);
	v->state = SV_VOL_READY;
	return 0;
}

/* The label, the last step of an ext4 or btrfs: the mark of a whole one. */
static int add_label(struct sv_ctx *c, size_t i, const char *target, const char *why,
		     struct bb_error *e)
{
	const struct sv_part *p = &c->layout.part[i];
	const char *e2[] = { "tune2fs", "-L", p->label, target, NULL };
	const char *bt[] = { "btrfs", "filesystem", "label", target, p->label, NULL };
	struct sv_step *s = sv_step_add(c, SV_STEP_EXEC, (int)i, e, "label %s on %s, %s",
					p->label, target, why);
	return s ? sv_step_argv(s, p->format == SV_FMT_EXT4 ? e2 : bt, e) : -1;
}

/* ext4 and btrfs: the tool, its checker, then the label (holds()). A
 * half-made one of sysvol's own is made again over itself (-F, -f). */
static int add_tool_format(struct sv_ctx *c, size_t i, const char *target, bool again,
			   struct bb_error *e)
{
	const struct sv_part *p = &c->layout.part[i];
	struct sv_vol *v = &c->vol[i];
	struct sv_step *s;
	char u[UUID_STR];
	uuid_fmt(&v->fs_uuid, u);
	const char *redo = again ? " again (a power cut left it half-made)" : "";
	if (p->format == SV_FMT_EXT4) {
		const char *argv[] = { "mke2fs", "-q", "-t", "ext4", "-U", u, "-E", "nodiscard",
				       again ? "-F" : target, target, NULL };
		if (!again)
			argv[9] = NULL;
		const char *fsck[] = { "e2fsck", "-f", "-n", target, NULL };
		if (!(s = sv_step_add(c, SV_STEP_EXEC, (int)i, e, "ext4 on %s%s", target, redo)) ||
		    sv_step_argv(s, argv, e) ||
		    !(s = sv_step_add(c, SV_STEP_EXEC, (int)i, e, "check the ext4 on %s", target)) ||
		    sv_step_argv(s, fsck, e))
			return -1;
		return add_label(c, i, target, "the mark of a whole one", e);
	}
	/* btrfs: one filesystem over every member */
	const char *argv[SV_ARGV_MAX] = { "mkfs.btrfs", "-q", "-K", "-U", u };
	size_t n = 5;
	if (again)
		argv[n++] = "-f";
	bool two = c->nnode == SV_MIRROR && p->mirror == SV_MIRROR_BTRFS;
	if (two) {
		static const char *const raid[] = { "-d", "raid1", "-m", "raid1" };
		for (size_t j = 0; j < 4; j++)
			argv[n++] = raid[j];
		for (unsigned m = 0; m < c->nnode; m++)
			argv[n++] = v->member[m];
	} else {
		argv[n++] = target;
	}
	argv[n] = NULL;
	const char *first = two ? v->member[0] : target;
	const char *check[] = { "btrfs", "check", "--readonly", first, NULL };
	if (!(s = sv_step_add(c, SV_STEP_EXEC, (int)i, e, "btrfs%s on %s%s%s%s",
			      two ? " (raid1 data and metadata)" : "", first, two ? " and " : "",
			      two ? v->member[1] : "", redo)) ||
	    sv_step_argv(s, argv, e) ||
	    !(s = sv_step_add(c, SV_STEP_EXEC, (int)i, e, "check the btrfs on %s", first)) ||
	    sv_step_argv(s, check, e))
		return -1;
	return add_label(c, i, first, "the mark of a whole one", e);
}

static int add_format(struct sv_ctx *c, size_t i, const char *target, unsigned k, bool again,
		      struct bb_error *e)
{
	const struct sv_part *p = &c->layout.part[i];
	struct sv_vol *v = &c->vol[i];
	struct sv_step *s;
	if (label_last(p))
		return add_tool_format(c, i, target, again, e);
	s = sv_step_add(c, p->format == SV_FMT_VFAT ? SV_STEP_VFAT : SV_STEP_MKSWAP, (int)i, e,
			"%s %s on %s", p->format == SV_FMT_VFAT ? "FAT32" : "swap", p->label, target);
	if (!s)
		return -1;
	snprintf(s->target, sizeof(s->target), "%s", target);
	snprintf(s->label, sizeof(s->label), "%s", p->label);
	s->uuid = v->fs_uuid;
	if (per_disk(c, p)) { /* two areas: two identities */
		char what[96];
		snprintf(what, sizeof(what), "fs:%s:%s", p->name, c->disk[c->node[k]].id);
		sv_derive(c, what, &s->uuid);
	}
	return 0;
}

/* What to format for volume i: the array or partition, or (per disk)
 * each member. The btrfs raid1 is one filesystem over both members. */
static int complete_one(struct sv_ctx *c, size_t i, bool fresh, struct bb_error *e)
{
	const struct sv_part *p = &c->layout.part[i];
	struct sv_vol *v = &c->vol[i];
	if (p->format == SV_FMT_RAW)
		return 0;
	if (v->state == SV_VOL_FAILED)
		return bb_error_set(e, EIO, "%s: %s", p->name, v->note);
	sv_charge(c, c->phase_now);
	int esp = p->format == SV_FMT_VFAT ? check_esp(c, p, e) : 0;
	sv_charge(c, "complete:esp");
	if (esp)
		return -1;
	if (c->by_label && md_mirrored(c, p) && v->state == SV_VOL_ABSENT)
		return bb_error_set(e, ENOENT, "%s: no md array found on disks recognised by their "
				    "labels only: sysvol completes only disks with its partition names",
				    p->name);
	if (md_mirrored(c, p) && v->state == SV_VOL_ABSENT) {
		if (add_md(c, i, e))
			return -1;
		fresh = true;
	}
	unsigned n = per_disk(c, p) ? c->nnode : 1;
	for (unsigned k = 0; k < n; k++) {
		const char *target = per_disk(c, p) ? v->member[k] : v->dev;
		int h = fresh ? HOLDS_NOTHING : p->format == SV_FMT_BTRFS ? holds_members(c, i, target, e)
								       : holds(c, i, target, e);
		if (h < 0)
			return -1;
		if (h != HOLDS_DONE && c->by_label)
			return bb_error_set(e, ENOENT, "%s: no whole %s %s on disks recognised by their "
					    "labels only: sysvol completes only disks with its partition "
					    "names", target, probe_type[p->format], p->label);
		if (h == HOLDS_UNLABELLED &&
		    add_label(c, i, target, "which its checker found whole: only the label was "
			      "missing", e))
			return -1;
		if (h != HOLDS_DONE && h != HOLDS_UNLABELLED &&
		    add_format(c, i, target, k, h == HOLDS_HALF, e))
			return -1;
		v->made |= h != HOLDS_DONE;
	}
	return 0;
}

int sv_complete(struct sv_ctx *c, struct bb_error *e)
{
	bool fresh = c->disk[c->node[0]].kind == SV_DISK_BLANK;
	for (size_t i = 0; i < c->layout.nparts; i++)
		if (complete_one(c, i, fresh, e))
			return -1;
	return sv_run_steps(c, e);
}

/* ---- mounts ---------------------------------------------------------------------- */

struct mnt {
	const char *target, *source, *fstype;
	char opts[128];
	const char *subvol;
};

static int mnt_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mnt *)a)->target, ((const struct mnt *)b)->target);
}

static bool mounted(const struct sv_ctx *c, const char *target)
{
	char path[SV_PATH * 2];
	struct mount_table t;
	if (mount_root_path(c->root, target, path, sizeof(path), NULL) ||
	    mount_table_read(NULL, &t, NULL))
		return false;
	bool r = mount_table_find(&t, path) != NULL;
	mount_table_free(&t);
	return r;
}

static int add_mount(struct sv_ctx *c, const struct mnt *m, struct bb_error *e)
{
	if (mounted(c, m->target))
		return 0;
	struct sv_step *s = sv_step_add(c, SV_STEP_MKDIR, -1, e, "mkdir %s", m->target);
	if (!s)
		return -1;
	snprintf(s->target, sizeof(s->target), "%s", m->target);
	s = sv_step_add(c, SV_STEP_MOUNT, -1, e, "mount %s%s%s on %s (%s%s%s)", m->source,
			m->subvol ? " subvolume " : "", m->subvol ? m->subvol : "", m->target,
			m->fstype, m->opts[0] ? ", " : "", m->opts);
	if (!s)
		return -1;
	snprintf(s->target, sizeof(s->target), "%s", m->target);
	snprintf(s->source, sizeof(s->source), "%s", m->source);
	snprintf(s->fstype, sizeof(s->fstype), "%s", m->fstype);
	snprintf(s->opts, sizeof(s->opts), "%s", m->opts);
	return 0;
}

static bool swapping(const char *dev)
{
	struct mount_swaps sw;
	char real[SV_PATH];
	if (mount_swaps_read(NULL, &sw, NULL))
		return false;
	bool r = false;
	const char *want = realpath(dev, real) ? real : dev;
	for (size_t i = 0; i < sw.n && !r; i++)
		r = !strcmp(sw.path[i], want) || !strcmp(sw.path[i], dev);
	mount_swaps_free(&sw);
	return r;
}

/* Where the data btrfs's top level is mounted: "top" beside the state
 * file (/run/sysvol/top), so that two runs with their own --state and
 * --root do not meet. */
static void top_dir(const struct sv_ctx *c, char *out, size_t len)
{
	const char *slash = strrchr(c->state_path, '/');
	int n = slash ? (int)(slash - c->state_path) : 1;
	snprintf(out, len, "%.*s/top", n, slash ? c->state_path : ".");
}

/* The data btrfs: every member registered, the top level mounted where
 * sysvol can see which subvolumes exist, the missing ones created. */
static int subvolumes(struct sv_ctx *c, struct bb_error *e)
{
	const struct sv_layout *l = &c->layout;
	if (l->data < 0 || !l->nsubs)
		return 0;
	char topdir[SV_PATH];
	top_dir(c, topdir, sizeof(topdir));
	struct sv_vol *v = &c->vol[l->data];
	struct sv_step *s;
	for (unsigned k = 0; k < SV_MIRROR; k++) {
		if (!v->member[k][0])
			continue;
		if (!(s = sv_step_add(c, SV_STEP_SCAN, l->data, e, "register btrfs member %s",
				      v->member[k])))
			return -1;
		snprintf(s->target, sizeof(s->target), "%s", v->member[k]);
	}
	struct mnt top = { topdir, v->dev, "btrfs", "", NULL };
	snprintf(top.opts, sizeof(top.opts), "subvolid=%d%s", BTRFS_TOP_ID,
		 c->btrfs_degraded ? ",degraded" : "");
	const char *root = c->root;
	c->root = ""; /* the top level is sysvol's own, under /run */
	int r = add_mount(c, &top, e);
	if (!r)
		r = sv_run_steps(c, e);
	c->root = root;
	if (r)
		return -1;
	for (size_t i = 0; i < l->nsubs; i++) {
		char path[SV_PATH * 2];
		snprintf(path, sizeof(path), "%s/%s", topdir, l->sub[i].name);
		if (!c->dry_run && !access(path, F_OK))
			continue;
		if (c->by_label)
			return bb_error_set(e, ENOENT, "subvolume %s is missing on disks recognised by "
					    "their labels only: not created", l->sub[i].name);
		if (!(s = sv_step_add(c, SV_STEP_SUBVOL, l->data, e, "subvolume %s%s", l->sub[i].name,
				      c->dry_run && !v->made ? " (when missing)" : "")))
			return -1;
		snprintf(s->target, sizeof(s->target), "%s", topdir);
		snprintf(s->source, sizeof(s->source), "%s", l->sub[i].name);
	}
	c->root = "";
	r = sv_run_steps(c, e);
	c->root = root;
	return r;
}

int sv_mount_layout(struct sv_ctx *c, struct bb_error *e)
{
	const struct sv_layout *l = &c->layout;
	if (subvolumes(c, e))
		return -1;
	struct mnt m[SV_MAX_PARTS + SV_MAX_SUBVOLS];
	size_t n = 0;
	for (size_t i = 0; i < l->nparts; i++) {
		const struct sv_part *p = &l->part[i];
		if (p->mount[0] && c->vol[i].dev[0])
			m[n++] = (struct mnt){ p->mount, c->vol[i].dev, probe_type[p->format], "", NULL };
	}
	for (size_t i = 0; i < l->nsubs; i++) {
		struct mnt *x = &m[n++];
		*x = (struct mnt){ l->sub[i].mount, c->vol[l->data].dev, "btrfs", "", l->sub[i].name };
		snprintf(x->opts, sizeof(x->opts), "subvol=%s%s", l->sub[i].name,
			 c->btrfs_degraded ? ",degraded" : "");
	}
	qsort(m, n, sizeof(m[0]), mnt_cmp); /* a parent before what is mounted inside it */
	for (size_t i = 0; i < n; i++)
		if (add_mount(c, &m[i], e))
			return -1;
	for (size_t i = 0; i < l->nparts; i++) {
		const struct sv_part *p = &l->part[i];
		unsigned k_max = per_disk(c, p) ? c->nnode : 1;
		for (unsigned k = 0; p->format == SV_FMT_SWAP && k < k_max; k++) {
			const char *dev = per_disk(c, p) ? c->vol[i].member[k] : c->vol[i].dev;
			if (!dev[0] || swapping(dev))
				continue;
			struct sv_step *s = sv_step_add(c, SV_STEP_SWAPON, (int)i, e, "swap on %s", dev);
			if (!s)
				return -1;
			snprintf(s->target, sizeof(s->target), "%s", dev);
		}
	}
	return sv_run_steps(c, e);
}
