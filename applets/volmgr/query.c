/* query.c - volmgr's queries: partitions, filesystems, mounts, subvolumes,
 * free space, the whole inventory, md arrays, and which topology
 * templates fit the disks present. All answer at once (sysfs, mountinfo,
 * libblkid, ioctls); none waits for a job. */
#include "blkdev.h"
#include "btrfs.h"
#include "claim.h"
#include "config.h"
#include "exec.h"
#include "gpt.h"
#include "md.h"
#include "mount.h"
#include "size.h"
#include "storage.h"
#include "sysfs.h"
#include "tags.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- partitions and filesystems -------------------------------------------- */

/* What libblkid finds on a device; values "" when nothing. */
struct fsinfo {
	char type[32], label[256], uuid[64], partlabel[128], partuuid[64];
};

static void probe_fs(const char *path, struct fsinfo *fi)
{
	memset(fi, 0, sizeof(*fi));
	struct tags t;
	struct tags_req rq = { .view = TAGS_DEFAULT };
	if (tags_probe(path, &rq, &t, NULL) != TAGS_FOUND)
		return;
	const char *v;
	if ((v = tags_get(&t, "TYPE")))
		snprintf(fi->type, sizeof(fi->type), "%s", v);
	if ((v = tags_get(&t, "LABEL")))
		snprintf(fi->label, sizeof(fi->label), "%s", v);
	if ((v = tags_get(&t, "UUID")))
		snprintf(fi->uuid, sizeof(fi->uuid), "%s", v);
	if ((v = tags_get(&t, "PARTLABEL")))
		snprintf(fi->partlabel, sizeof(fi->partlabel), "%s", v);
	if ((v = tags_get(&t, "PARTUUID")))
		snprintf(fi->partuuid, sizeof(fi->partuuid), "%s", v);
	tags_free(&t);
}

static void kstr_or_null(struct jw *w, const char *k, const char *v)
{
	jw_kstr(w, k, v && *v ? v : NULL);
}

static int list_partitions(struct vm_call *c)
{
	const struct blkdev_list *l = vm_view_list(c);
	if (!l)
		return -1;
	struct jw *w = c->out;
	for (size_t i = 0; i < l->n; i++) {
		const struct blkdev *d = &l->dev[i];
		if (!d->partno)
			continue;
		struct fsinfo fi;
		probe_fs(d->path, &fi);
		jw_obj(w);
		jw_kstr(w, "name", d->name);
		jw_kstr(w, "path", d->path);
		jw_kstr(w, "disk", d->parent);
		jw_ku64(w, "number", (uint64_t)d->partno);
		jw_ku64(w, "size_bytes", d->size);
		kstr_or_null(w, "fstype", fi.type);
		kstr_or_null(w, "label", fi.label);
		kstr_or_null(w, "uuid", fi.uuid);
		kstr_or_null(w, "partlabel", fi.partlabel);
		kstr_or_null(w, "partuuid", fi.partuuid);
		kstr_or_null(w, "mountpoint", d->mountpoint);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	return 0;
}

/* MOS filesystems carry labels MOSEFI, MOSBOOT, MOSSWAP, MOSDATA. */
static bool mos_label(const char *label)
{
	return !strncmp(label, "MOS", 3);
}

static int list_filesystems(struct vm_call *c)
{
	bool all = vm_bool(c, "all", false);
	const struct blkdev_list *l = vm_view_list(c);
	if (!l)
		return -1;
	struct jw *w = c->out;
	for (size_t i = 0; i < l->n; i++) {
		const struct blkdev *d = &l->dev[i];
		if (!d->size)
			continue;
		struct fsinfo fi;
		probe_fs(d->path, &fi);
		if (!fi.type[0] || (!all && !mos_label(fi.label)))
			continue;
		jw_obj(w);
		jw_kstr(w, "device", d->path);
		jw_kstr(w, "fstype", fi.type);
		kstr_or_null(w, "label", fi.label);
		kstr_or_null(w, "uuid", fi.uuid);
		jw_ku64(w, "size_bytes", d->size);
		kstr_or_null(w, "mountpoint", d->mountpoint);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	return 0;
}

static int list_mounts(struct vm_call *c)
{
	bool all = vm_bool(c, "all", false);
	struct mount_table t;
	struct bb_error e = { 0 };
	if (vmo_mounts(&t, &e))
		return vm_fail_bb(c, &e, NULL);
	struct jw *w = c->out;
	jw_arr(w);
	for (size_t i = 0; i < t.n; i++) {
		const struct mount_entry *m = &t.m[i];
		/* storage: mounts of block devices, not proc, tmpfs, cgroups */
		if (!all && strncmp(m->source, "/dev/", 5))
			continue;
		jw_obj(w);
		jw_kstr(w, "target", m->target);
		jw_kstr(w, "source", m->source);
		jw_kstr(w, "fstype", m->fstype);
		jw_kstr(w, "options", m->opts);
		jw_kstr(w, "root", m->root);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	mount_table_free(&t);
	return 0;
}

/* ---- subvolumes ---------------------------------------------------------------- */

static int list_subvolumes(struct vm_call *c)
{
	char root[512];
	if (vmo_data_root(c, root, sizeof(root)))
		return -1;
	int fd = vmo_btrfs_open(c, root);
	if (fd < 0)
		return -1;
	struct btrfs_subvol *s;
	size_t n;
	struct bb_error e = { 0 };
	int rc = btrfs_subvol_list(fd, &s, &n, &e);
	close(fd);
	if (rc) {
		bb_error_prefix(&e, "%s", root);
		return vm_fail_bb(c, &e, NULL);
	}
	struct jw *w = c->out;
	jw_arr(w);
	for (size_t i = 0; i < n; i++) {
		jw_obj(w);
		jw_ku64(w, "id", s[i].id);
		jw_kstr(w, "name", s[i].name);
		jw_kstr(w, "path", s[i].path ? s[i].path : s[i].name);
		jw_ku64(w, "parent_id", s[i].parent_id);
		jw_kbool(w, "readonly", s[i].readonly);
		jw_ku64(w, "generation", s[i].generation);
		jw_kbool(w, "core", s[i].parent_id == BTRFS_TOP_ID && vmo_core_subvolume(s[i].name));
		jw_obj_end(w);
	}
	jw_arr_end(w);
	btrfs_subvol_list_free(s, n);
	return 0;
}

/* ---- free space --------------------------------------------------------------------- */

static int list_free_space(struct vm_call *c)
{
	const char *disk = vm_str(c, "disk");
	struct disk d;
	struct bb_error e = { 0 };
	if (disk_open(&d, disk, 0, 0, &e))
		return vm_fail_bb(c, &e, disk);
	struct gpt g;
	int rc = gpt_read(&g, d.fd, d.size, d.lsec);
	struct jw *w = c->out;
	if (rc == GPT_NOTFOUND) {
		/* no table: the whole disk, once one is written at 1 MiB */
		jw_arr(w);
		if (d.size > (2u << 20)) {
			jw_obj(w);
			jw_ku64(w, "start_bytes", 1u << 20);
			jw_ku64(w, "end_bytes", d.size - (1u << 20));
			jw_ku64(w, "size_bytes", d.size - (2u << 20));
			jw_kbool(w, "partition_table", false);
			jw_obj_end(w);
		}
		jw_arr_end(w);
		gpt_free(&g);
		disk_close(&d);
		return 0;
	}
	if (rc) {
		vm_fail_bb(c, &g.err, disk);
		gpt_free(&g);
		disk_close(&d);
		return -1;
	}
	struct gpt_gap gaps[130];
	size_t n = gpt_gaps(&g, gaps, sizeof(gaps) / sizeof(gaps[0]));
	if (n > sizeof(gaps) / sizeof(gaps[0]))
		n = sizeof(gaps) / sizeof(gaps[0]);
	jw_arr(w);
	for (size_t i = 0; i < n; i++) {
		struct gpt_gap a;
		if (!gpt_gap_aligned(&g, &gaps[i], &a))
			continue;
		jw_obj(w);
		jw_ku64(w, "start_bytes", a.first_lba * g.sector);
		jw_ku64(w, "end_bytes", (a.last_lba + 1) * g.sector);
		jw_ku64(w, "size_bytes", (a.last_lba - a.first_lba + 1) * g.sector);
		jw_kbool(w, "partition_table", true);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	gpt_free(&g);
	disk_close(&d);
	return 0;
}

/* ---- md ------------------------------------------------------------------------------ */

static void md_write(struct jw *w, const struct md_array *a, bool members)
{
	jw_obj(w);
	jw_kstr(w, "name", a->name);
	kstr_or_null(w, "level", a->level);
	kstr_or_null(w, "array_state", a->array_state);
	kstr_or_null(w, "metadata", a->metadata);
	jw_ku64(w, "raid_disks", a->raid_disks == MD_UNKNOWN ? 0 : a->raid_disks);
	jw_ku64(w, "degraded", a->degraded == MD_UNKNOWN ? 0 : a->degraded);
	kstr_or_null(w, "sync_action", a->sync_action);
	jw_key(w, "sync_progress");
	int pm = md_sync_permille(a);
	if (pm < 0)
		jw_null(w);
	else
		jw_double(w, pm / 10.0);
	jw_ku64(w, "size_bytes", a->size);
	jw_key(w, "mismatch_cnt");
	if (a->mismatch_cnt == MD_UNKNOWN)
		jw_null(w);
	else
		jw_u64(w, a->mismatch_cnt);
	if (members) {
		jw_key(w, "members");
		jw_arr(w);
		for (size_t i = 0; i < a->nmembers; i++) {
			const struct md_member *m = &a->members[i];
			char st[128];
			md_member_state_str(m->state, st, sizeof(st));
			jw_obj(w);
			jw_kstr(w, "device", m->dev);
			jw_kstr(w, "state", st);
			jw_key(w, "slot");
			if (m->slot == MD_UNKNOWN)
				jw_null(w);
			else
				jw_u64(w, m->slot);
			jw_ku64(w, "errors", m->errors == MD_UNKNOWN ? 0 : m->errors);
			jw_obj_end(w);
		}
		jw_arr_end(w);
	}
	jw_obj_end(w);
}

static int list_md_arrays(struct vm_call *c)
{
	struct md_array *a;
	size_t n;
	struct bb_error e = { 0 };
	if (md_list(vm_cfg.root, &a, &n, &e))
		return vm_fail_bb(c, &e, NULL);
	jw_arr(c->out);
	for (size_t i = 0; i < n; i++)
		md_write(c->out, &a[i], true);
	jw_arr_end(c->out);
	md_list_free(a, n);
	return 0;
}

static int md_detail(struct vm_call *c)
{
	const char *name = vm_str(c, "name");
	struct md_array a;
	struct bb_error e = { 0 };
	if (md_read(vm_cfg.root, name, &a, &e)) {
		if (e.code == EINVAL)
			e.code = ENODEV; /* no such array */
		return vm_fail_bb(c, &e, name);
	}
	md_write(c->out, &a, true);
	md_array_free(&a);
	return 0;
}

/* ---- topologies ------------------------------------------------------------------------ */

const char *vmo_topologies_path; /* NULL: the built-in templates */

/* Whole disks that a new layout could take: writable, fixed, not a
 * virtual device over others, and free by the strict claim check. */
static bool eligible(const struct blkdev *b, char *why, size_t len)
{
	struct claim cl;
	if (b->partno || !b->size)
		snprintf(why, len, "not a whole disk");
	else if (b->ro)
		snprintf(why, len, "read-only");
	else if (b->removable)
		snprintf(why, len, "removable");
	else if (!strcmp(b->transport, "md") || !strcmp(b->transport, "dm") ||
		 !strcmp(b->transport, "loop"))
		snprintf(why, len, "a %s device", b->transport);
	else if (claim_check(vm_cfg.root, b->path, CLAIM_STRICT, &cl) != CLAIM_FREE)
		snprintf(why, len, "%s", cl.why);
	else
		return true;
	return false;
}

static int feasible_topologies(struct vm_call *c)
{
	struct bb_error e = { 0 };
	const char *from;
	char *text = config_load("volmgr-topologies.conf", vmo_topologies_path, 1 << 16, NULL,
				 &from, &e);
	if (!text)
		return vm_fail_bb(c, &e, NULL);
	struct vmo_topology t[VMO_TOPO_MAX];
	size_t nt;
	int rc = vmo_topologies_parse(text, t, VMO_TOPO_MAX, &nt, &e);
	free(text);
	if (rc)
		return vm_fail(c, VM_E_INTERNAL, NULL, "%s: %s", from, e.msg);
	const struct blkdev_list *l = vm_view(c);
	if (!l)
		return -1;
	struct vmo_disk *d = calloc(l->n + 1, sizeof(*d));
	if (!d)
		return vm_fail(c, VM_E_INTERNAL, NULL, "out of memory");
	size_t nd = 0;
	for (size_t i = 0; i < l->n; i++) {
		char why[400];
		if (!eligible(&l->dev[i], why, sizeof(why)))
			continue;
		snprintf(d[nd].name, sizeof(d[nd].name), "%s", l->dev[i].name);
		d[nd].size = l->dev[i].size;
		d[nd].tier = l->dev[i].rotational ? VMO_TIER_HDD : VMO_TIER_SSD;
		nd++;
	}
	struct jw *w = c->out;
	jw_arr(w);
	for (size_t i = 0; i < nt; i++) {
		char buf[512];
		struct vmo_feasible f;
		vmo_topology_check(&t[i], d, nd, !t[i].tool[0] || which(t[i].tool, buf, sizeof(buf)),
				   &f);
		jw_obj(w);
		jw_kstr(w, "name", t[i].name);
		jw_kbool(w, "feasible", f.ok);
		jw_kstr(w, "reason", f.reason);
		jw_kstr(w, "description", t[i].description);
		jw_kstr(w, "fstype", t[i].fstype);
		jw_key(w, "disks");
		jw_arr(w);
		for (unsigned k = 0; k < f.npicked; k++)
			jw_str(w, f.picked[k]);
		jw_arr_end(w);
		jw_key(w, "needs");
		jw_arr(w);
		for (unsigned k = 0; k < t[i].nrules; k++) {
			jw_obj(w);
			jw_ku64(w, "count", t[i].rule[k].count);
			jw_kstr(w, "tier", vmo_tier_name(t[i].rule[k].tier));
			jw_ku64(w, "min_size_bytes", t[i].rule[k].min_size);
			jw_kstr(w, "role", t[i].rule[k].role);
			jw_obj_end(w);
		}
		jw_arr_end(w);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	free(d);
	return 0;
}

/* ---- inventory ------------------------------------------------------------------------ */

static int inventory(struct vm_call *c)
{
	static const struct {
		const char *key, *method;
	} parts[] = {
		{ "disks", "storage.list_disks" },       { "partitions", "storage.list_partitions" },
		{ "filesystems", "storage.list_filesystems" }, { "mounts", "storage.list_mounts" },
		{ "md_arrays", "storage.list_md_arrays" },
	};
	jw_obj(c->out);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		const struct vm_method *m = vm_method_find(parts[i].method);
		if (!m)
			continue;
		jw_key(c->out, parts[i].key);
		if (m->fn(c))
			return -1;
	}
	/* subvolumes only where there is a data filesystem to list */
	jw_key(c->out, "subvolumes");
	if (list_subvolumes(c)) {
		c->code = 0;
		c->msg[0] = 0;
		c->device[0] = 0;
		c->err_errno = 0;
		jw_null(c->out);
	}
	jw_obj_end(c->out);
	return 0;
}

/* ---- the table ------------------------------------------------------------------------- */

static const struct vm_field part_fields[] = {
	{ "name", VM_T_STR, "kernel name: sda1, nvme0n1p2", 0 },
	{ "path", VM_T_PATH, "device node", VM_F_HIDE },
	{ "disk", VM_T_STR, "the disk it is on", 0 },
	{ "number", VM_T_U64, "partition number", 0 },
	{ "size_bytes", VM_T_U64, "size in bytes", VM_F_BYTES },
	{ "fstype", VM_T_STR, "what libblkid finds on it", VM_F_NULLABLE },
	{ "label", VM_T_STR, "filesystem label", VM_F_NULLABLE },
	{ "uuid", VM_T_STR, "filesystem UUID", VM_F_NULLABLE | VM_F_HIDE },
	{ "partlabel", VM_T_STR, "GPT partition name", VM_F_NULLABLE },
	{ "partuuid", VM_T_STR, "GPT partition GUID", VM_F_NULLABLE | VM_F_HIDE },
	{ "mountpoint", VM_T_PATH, "first mount point", VM_F_NULLABLE },
	{ 0 },
};

static const struct vm_field fs_fields[] = {
	{ "device", VM_T_PATH, "block device", 0 },
	{ "fstype", VM_T_STR, "filesystem type", 0 },
	{ "label", VM_T_STR, "label", VM_F_NULLABLE },
	{ "uuid", VM_T_STR, "UUID", VM_F_NULLABLE },
	{ "size_bytes", VM_T_U64, "device size", VM_F_BYTES },
	{ "mountpoint", VM_T_PATH, "first mount point", VM_F_NULLABLE },
	{ 0 },
};

static const struct vm_field mount_fields[] = {
	{ "target", VM_T_PATH, "mount point", 0 },
	{ "source", VM_T_STR, "device", 0 },
	{ "fstype", VM_T_STR, "filesystem type", 0 },
	{ "options", VM_T_STR, "per-mount options", 0 },
	{ "root", VM_T_STR, "directory of the filesystem mounted (btrfs: the subvolume)", 0 },
	{ 0 },
};

static const struct vm_field subvol_fields[] = {
	{ "id", VM_T_U64, "subvolume id", 0 },
	{ "name", VM_T_STR, "its own name", 0 },
	{ "path", VM_T_STR, "path from the top level", 0 },
	{ "parent_id", VM_T_U64, "the subvolume holding it", VM_F_HIDE },
	{ "readonly", VM_T_BOOL, "read-only (a snapshot)", 0 },
	{ "generation", VM_T_U64, "transaction of its last change", VM_F_HIDE },
	{ "core", VM_T_BOOL, "a core subvolume, never deleted", 0 },
	{ 0 },
};

static const struct vm_field gap_fields[] = {
	{ "start_bytes", VM_T_U64, "first byte, on a 1 MiB boundary", 0 },
	{ "end_bytes", VM_T_U64, "byte past the end", 0 },
	{ "size_bytes", VM_T_U64, "bytes", VM_F_BYTES },
	{ "partition_table", VM_T_BOOL, "false: the disk has no GPT yet", 0 },
	{ 0 },
};

static const struct vm_field md_fields[] = {
	{ "name", VM_T_STR, "kernel name: md0, md127", 0 },
	{ "level", VM_T_STR, "raid1, raid5, ...", VM_F_NULLABLE },
	{ "array_state", VM_T_STR, "clean, active, inactive, ...", VM_F_NULLABLE },
	{ "metadata", VM_T_STR, "superblock version", VM_F_NULLABLE | VM_F_HIDE },
	{ "raid_disks", VM_T_U64, "slots", 0 },
	{ "degraded", VM_T_U64, "slots without a working member", 0 },
	{ "sync_action", VM_T_STR, "idle, resync, recover, check, ...", VM_F_NULLABLE },
	{ "sync_progress", VM_T_NUM, "percent of the running sync", VM_F_NULLABLE },
	{ "size_bytes", VM_T_U64, "array size", VM_F_BYTES },
	{ "mismatch_cnt", VM_T_U64, "sectors the last check found different",
	  VM_F_NULLABLE | VM_F_HIDE },
	{ "members", VM_T_ARR, "device, state, slot, errors of each member", VM_F_HIDE },
	{ 0 },
};

static const struct vm_field topo_fields[] = {
	{ "name", VM_T_STR, "template", 0 },
	{ "feasible", VM_T_BOOL, "fits the eligible disks present", 0 },
	{ "reason", VM_T_STR, "the disks it would use, or what is missing", 0 },
	{ "description", VM_T_STR, "what it is", VM_F_HIDE },
	{ "fstype", VM_T_STR, "data filesystem", VM_F_HIDE },
	{ "disks", VM_T_ARR, "disks it would use", VM_F_HIDE },
	{ "needs", VM_T_ARR, "its rules: count, tier, min_size_bytes, role", VM_F_HIDE },
	{ 0 },
};

static const struct vm_field inventory_fields[] = {
	{ "disks", VM_T_ARR, "storage.list_disks", 0 },
	{ "partitions", VM_T_ARR, "storage.list_partitions", 0 },
	{ "filesystems", VM_T_ARR, "storage.list_filesystems", 0 },
	{ "mounts", VM_T_ARR, "storage.list_mounts", 0 },
	{ "md_arrays", VM_T_ARR, "storage.list_md_arrays", 0 },
	{ "subvolumes", VM_T_ARR, "storage.list_subvolumes (null without a data filesystem)",
	  VM_F_NULLABLE },
	{ 0 },
};

static const struct vm_param all_params[] = {
	{ "all", VM_T_BOOL, 0, "every one, not only MOS storage", NULL },
	{ 0 },
};
static const struct vm_param root_params[] = {
	{ "mount_point", VM_T_PATH, 0,
	  "a directory of the btrfs (default: the one labelled MOSDATA)", NULL },
	{ 0 },
};
static const struct vm_param disk_params[] = {
	{ "disk", VM_T_PATH, VM_REQ | VM_POS, "the disk: /dev/sda", "DISK" },
	{ 0 },
};
static const struct vm_param md_params[] = {
	{ "name", VM_T_STR, VM_REQ | VM_POS, "array: md0 or /dev/md0", "ARRAY" },
	{ 0 },
};

static const struct vm_method query_methods[] = {
	{ .name = "storage.list_partitions", .cli = "partitions",
	  .help = "All partitions with label, UUID, fstype",
	  .result = { VM_R_LIST, part_fields }, .fn = list_partitions },
	{ .name = "storage.list_filesystems", .cli = "filesystems",
	  .help = "MOS-labelled filesystems (MOSEFI, MOSDATA, ...); all with \"all\"",
	  .params = all_params, .result = { VM_R_LIST, fs_fields }, .fn = list_filesystems },
	{ .name = "storage.list_mounts", .cli = "mounts",
	  .help = "Mounted block devices; every mount with \"all\"", .params = all_params,
	  .result = { VM_R_LIST, mount_fields }, .fn = list_mounts },
	{ .name = "storage.list_subvolumes", .cli = "subvolumes",
	  .help = "Btrfs subvolumes on MOSDATA", .params = root_params,
	  .result = { VM_R_LIST, subvol_fields }, .fn = list_subvolumes },
	{ .name = "storage.list_free_space", .cli = "free-space",
	  .help = "Unpartitioned gaps on a disk", .params = disk_params,
	  .result = { VM_R_LIST, gap_fields }, .fn = list_free_space },
	{ .name = "storage.inventory", .cli = "status",
	  .help = "Disks, partitions, filesystems, mounts, md arrays and subvolumes in one call",
	  .result = { VM_R_OBJECT, inventory_fields }, .fn = inventory },
	{ .name = "storage.feasible_topologies", .cli = "topologies",
	  .help = "Which topology templates fit the disks present, and why",
	  .result = { VM_R_LIST, topo_fields }, .fn = feasible_topologies },
	{ .name = "storage.list_md_arrays", .cli = "md",
	  .help = "md RAID arrays: level, state, degraded slots, sync progress, members",
	  .result = { VM_R_LIST, md_fields }, .fn = list_md_arrays },
	{ .name = "storage.md_detail", .cli = "md-detail",
	  .help = "One md array with its members", .params = md_params,
	  .result = { VM_R_OBJECT, md_fields }, .fn = md_detail },
	{ 0 },
};

const struct vm_module vm_mod_query = { "query", query_methods, NULL, NULL };
