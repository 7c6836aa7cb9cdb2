/* ops.c - volmgr's changes: partitions, filesystems, mounts, subvolumes,
 * snapshots and quotas, and the long ones that run as jobs (scrub,
 * balance, defrag, mkfs, resize). Every one validates names and paths,
 * asks the claim check before writing to a device, and answers a dry
 * run with exactly what it would do. btrfs only through core's ioctls.
 */
#include "blkdev.h"
#include "btrfs.h"
#include "claim.h"
#include "exec.h"
#include "gpt.h"
#include "io.h"
#include "mkfs.h"
#include "mkswap.h"
#include "mount.h"
#include "num.h"
#include "storage.h"
#include "sysfs.h"
#include "uuid.h"
#include "vfat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/sysmacros.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

/* ---- names and paths ------------------------------------------------------ */

/* A param that must be an absolute path; c's error names it. */
static int param_path(struct vm_call *c, const char *param, const char **out)
{
	const char *p = vm_str(c, param);
	struct bb_error e = { 0 };
	if (!p || vmo_check_abs_path(param, p, &e)) {
		vm_fail(c, VM_E_VALIDATION, NULL, "%s", p ? e.msg : "missing");
		snprintf(c->param, sizeof(c->param), "%s", param);
		return -1;
	}
	*out = p;
	return 0;
}

static int param_subvol(struct vm_call *c, const char *param, const char **out)
{
	const char *p = vm_str(c, param);
	struct bb_error e = { 0 };
	if (!p || vmo_check_subvol_name(p, &e)) {
		vm_fail_errno(c, VM_E_VALIDATION, e.code, NULL, "%s: %s", param, p ? e.msg : "missing");
		snprintf(c->param, sizeof(c->param), "%s", param);
		return -1;
	}
	*out = p;
	return 0;
}

void vmo_fsid_str(const uint8_t f[16], char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", f[0], f[1],
		 f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13], f[14],
		 f[15]);
}

/* ---- the filesystem a method works on ------------------------------------------- */

int vmo_mounts(struct mount_table *t, struct bb_error *e)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/self/mountinfo", vm_cfg.root->proc);
	return mount_table_read(path, t, e);
}

int vmo_btrfs_open(struct vm_call *c, const char *mount_point)
{
	struct bb_error e = { 0 };
	int fd = btrfs_open(mount_point, &e);
	if (fd < 0) {
		if (e.code == ENOTTY)
			e.code = EINVAL; /* a refusal: not a btrfs */
		vm_fail_bb(c, &e, NULL);
	}
	return fd;
}

static int fs_label(const char *mount_point, char *label, size_t len, char fsid[37])
{
	int fd = btrfs_open(mount_point, NULL);
	if (fd < 0)
		return -1;
	struct btrfs_fs_info fi;
	int rc = btrfs_fs_info(fd, &fi, NULL);
	close(fd);
	if (rc)
		return -1;
	vmo_fsid_str(fi.fsid, fsid);
	char path[256];
	snprintf(path, sizeof(path), "%s/fs/btrfs/%s/label", vm_cfg.root->sys, fsid);
	return read_line(path, label, len);
}

int vmo_data_root(struct vm_call *c, char *buf, size_t len)
{
	const char *mp = vm_str(c, "mount_point");
	if (mp) {
		snprintf(buf, len, "%s", mp);
		return 0;
	}
	struct mount_table t;
	struct bb_error e = { 0 };
	if (vmo_mounts(&t, &e))
		return vm_fail_bb(c, &e, NULL);
	const struct mount_entry *top = NULL, *any = NULL;
	for (size_t i = 0; i < t.n; i++) {
		const struct mount_entry *m = &t.m[i];
		char label[256], fsid[37];
		if (strcmp(m->fstype, "btrfs") ||
		    fs_label(m->target, label, sizeof(label), fsid) || strcmp(label, VMO_DATA_LABEL))
			continue;
		if (!strcmp(m->root, "/"))
			top = m;
		else if (!any)
			any = m;
	}
	int rc = 0;
	if (top) {
		snprintf(buf, len, "%s", top->target);
	} else if (any) {
		/* only subvolumes are mounted: the top level, privately */
		snprintf(buf, len, "%s/mosdata", vm_cfg.run_dir);
		if (!mount_table_find(&t, buf) &&
		    mount_fs(NULL, any->source, buf, "btrfs", "subvolid=5", &e))
			rc = vm_fail_bb(c, &e, any->source);
	} else {
		rc = vm_fail(c, VM_E_NODEV, NULL,
			     "no btrfs labelled " VMO_DATA_LABEL " is mounted; name one with "
			     "\"mount_point\"");
	}
	mount_table_free(&t);
	return rc;
}

/* The mount entry of a mount point (exactly), copied out. */
struct mnt {
	char source[512], fstype[32], root[512];
};

static int find_mount(struct vm_call *c, const char *target, struct mnt *out)
{
	struct mount_table t;
	struct bb_error e = { 0 };
	if (vmo_mounts(&t, &e))
		return vm_fail_bb(c, &e, NULL);
	const struct mount_entry *m = mount_table_find(&t, target);
	if (m) {
		snprintf(out->source, sizeof(out->source), "%s", m->source);
		snprintf(out->fstype, sizeof(out->fstype), "%s", m->fstype);
		snprintf(out->root, sizeof(out->root), "%s", m->root);
	}
	mount_table_free(&t);
	if (!m)
		return vm_fail(c, VM_E_NODEV, target, "%s is not a mount point", target);
	return 0;
}

/* The resource key of the btrfs mounted at mount_point: "fs:FSID". */
static int fs_resource(struct vm_call *c, int fd, char *res, size_t len)
{
	struct btrfs_fs_info fi;
	struct bb_error e = { 0 };
	if (btrfs_fs_info(fd, &fi, &e))
		return vm_fail_bb(c, &e, NULL);
	char id[37];
	vmo_fsid_str(fi.fsid, id);
	snprintf(res, len, "fs:%s", id);
	return 0;
}

/* The whole disk a device is on: "dev:vdb" for /dev/vdb2. */
static void dev_resource(const struct blkdev *b, char *res, size_t len)
{
	snprintf(res, len, "dev:%s", b->parent[0] ? b->parent : b->name);
}

static int refuse_if_job(struct vm_call *c, const char *res, const char *what)
{
	long id;
	if (!vmj_resource_busy(res, &id))
		return 0;
	return vm_fail_errno(c, VM_E_VALIDATION, EBUSY, what, "%s: job %ld is working on it", what,
			     id);
}

/* ---- storage.create_partition ----------------------------------------------------- */

/* The device path names, from the daemon's view (valid until the
 * handler returns). */
static int disk_lookup(struct vm_call *c, const char *path, const struct blkdev **out)
{
	const struct blkdev_list *l = vm_view(c);
	if (!l)
		return -1;
	*out = blkdev_find(l, path);
	if (!*out) {
		return vm_fail_errno(c, VM_E_NODEV, ENODEV, path, "%s: no such block device", path);
	}
	return 0;
}

/* A device used directly (not through one of its partitions): never
 * written to, whatever "force" says. */
static bool used_itself(const struct blkdev *b, char *why, size_t len)
{
	if (b->mountpoint[0])
		snprintf(why, len, "%s is mounted on %s", b->name, b->mountpoint);
	else if (b->swap)
		snprintf(why, len, "%s is active swap", b->name);
	else if (b->nholders)
		snprintf(why, len, "%s is held by %s", b->name, b->holders[0]);
	else
		return false;
	return true;
}

/* The partition's device name: vdb1, nvme0n1p1. */
static void part_name(const char *disk, int n, char *out, size_t len)
{
	size_t k = strlen(disk);
	bool digit = k && disk[k - 1] >= '0' && disk[k - 1] <= '9';
	snprintf(out, len, "%s%s%d", disk, digit ? "p" : "", n);
}

static int write_table(struct vm_call *c, struct gpt *g, struct disk *d, const char *path)
{
	struct bb_error e = { 0 };
	if (gpt_write(g, d->fd))
		return vm_fail_bb(c, &g->err, path);
	if (d->is_blockdev && gpt_sync_kernel(g, d->fd, d->rdev, &e))
		return vm_fail_bb(c, &e, path);
	return 0;
}

static int create_partition(struct vm_call *c)
{
	const char *path, *name = vm_str(c, "name"), *type = vm_str(c, "part_type");
	if (param_path(c, "disk", &path))
		return -1;
	bool force = vm_bool(c, "force", false);
	struct gpt_new n = { .name = name, .size = vm_u64(c, "size_bytes", 0) };
	if (gpt_type_parse(type ? type : "linux", &n.type))
		return vm_fail(c, VM_E_VALIDATION, NULL,
			       "part_type '%s': expected linux, esp, swap or bios_boot", type);
	const struct blkdev *b;
	if (disk_lookup(c, path, &b))
		return -1;
	char why[400], res[64];
	struct claim cl;
	int rc = -1;
	dev_resource(b, res, sizeof(res));
	if (b->partno)
		vm_fail(c, VM_E_VALIDATION, path, "%s is a partition, not a disk", path);
	else if (used_itself(b, why, sizeof(why)))
		vm_fail_errno(c, VM_E_VALIDATION, EBUSY, path, "%s; refusing to partition it", why);
	/* busy without partitions is busy itself (a btrfs or md member):
	 * never; busy through its partitions may be forced, since adding
	 * one in free space leaves them alone */
	else if (claim_check(vm_cfg.root, path, 0, &cl) != CLAIM_FREE && (!force || !b->nparts))
		vm_fail_errno(c, VM_E_VALIDATION, EBUSY, path,
			      "%s: %s; refusing to change its partition table%s", path, cl.why,
			      b->nparts ? " (\"force\": true adds to it anyway)" : "");
	else if (!refuse_if_job(c, res, path))
		rc = 0;
	char disk[BLKDEV_NAME];
	snprintf(disk, sizeof(disk), "%s", b->name);
	if (rc)
		return -1;

	struct disk d;
	struct bb_error e = { 0 };
	unsigned flags = (c->dry_run ? 0 : DISK_WRITE) | (force ? 0 : DISK_EXCL);
	if (disk_open(&d, path, flags, 0, &e))
		return vm_fail_bb(c, &e, path);
	struct gpt g;
	bool new_table = false;
	rc = gpt_read(&g, d.fd, d.size, d.lsec);
	if (rc == GPT_NOTFOUND) {
		/* a blank disk gets a table; one holding anything else does not */
		gpt_free(&g);
		if (claim_content(path, &cl) != CLAIM_FREE) {
			disk_close(&d);
			return vm_fail(c, VM_E_VALIDATION, path, "%s has no GPT and %s", path, cl.why);
		}
		rc = gpt_init(&g, d.size, d.lsec, 128);
		new_table = true;
	}
	if (!rc && gpt_writable(&g))
		rc = -1;
	int num = rc ? -1 : gpt_add(&g, &n);
	if (num < 0) {
		vm_fail_bb(c, &g.err, path);
		goto out;
	}
	rc = c->dry_run ? 0 : write_table(c, &g, &d, path);
	if (rc)
		goto out;
	vm_blkdevs_changed(); /* the kept view has no new partition yet */
	const struct gpt_part *p = &g.part[num - 1];
	char dev[BLKDEV_NAME + 8];
	part_name(disk, num, dev, sizeof(dev));
	struct jw *w = c->out;
	jw_obj(w);
	jw_kbool(w, "dry_run", c->dry_run);
	jw_kstr(w, "disk", path);
	jw_ku64(w, "number", (uint64_t)num);
	char devpath[BLKDEV_NAME + 16];
	snprintf(devpath, sizeof(devpath), "%s/%s", vm_cfg.root->dev, dev);
	jw_kstr(w, "device", devpath);
	jw_kstr(w, "name", name ? name : "");
	jw_kstr(w, "part_type", gpt_type_name(&p->type));
	jw_ku64(w, "start_bytes", p->first_lba * g.sector);
	jw_ku64(w, "size_bytes", (p->last_lba - p->first_lba + 1) * g.sector);
	jw_kbool(w, "created_table", new_table);
	jw_obj_end(w);
out:
	gpt_free(&g);
	disk_close(&d);
	return rc ? -1 : 0;
}

/* ---- storage.create_filesystem (a job) --------------------------------------------- */

struct mkfs_job {
	char device[256], fstype[16], label[64];
	bool force;
};

static const struct {
	const char *fstype;
	const char *argv[8]; /* LABEL and DEVICE filled in */
} mkfs_tools[] = {
	/* our claim check has decided: the tools' own prompts are forced */
	{ "ext4", { "mkfs.ext4", "-F", "-q", "-L", "LABEL", "DEVICE", NULL } },
	{ "btrfs", { "mkfs.btrfs", "-f", "-q", "-L", "LABEL", "DEVICE", NULL } },
	{ "xfs", { "mkfs.xfs", "-f", "-q", "-L", "LABEL", "DEVICE", NULL } },
	{ "bcachefs", { "bcachefs", "format", "-f", "-L", "LABEL", "DEVICE", NULL } },
};

static int mkfs_tool(const char *fstype)
{
	for (size_t i = 0; i < sizeof(mkfs_tools) / sizeof(mkfs_tools[0]); i++)
		if (!strcmp(fstype, mkfs_tools[i].fstype))
			return (int)i;
	return -1;
}

/* The argv of an external mkfs; no label: the two words left out. */
static void mkfs_argv(int t, const struct mkfs_job *j, const char *argv[8])
{
	int k = 0;
	for (int i = 0; mkfs_tools[t].argv[i]; i++) {
		const char *a = mkfs_tools[t].argv[i];
		if (!strcmp(a, "-L") && !j->label[0]) {
			i++;
			continue;
		}
		argv[k++] = !strcmp(a, "LABEL") ? j->label : !strcmp(a, "DEVICE") ? j->device : a;
	}
	argv[k] = NULL;
}

static int mkfs_own(struct mkfs_job *j, struct bb_error *e)
{
	struct mkfs_target t;
	if (mkfs_target_open(&t, j->device, 0, 0, j->force, e))
		return -1;
	int rc = -1;
	if (t.found[0] && mkfs_wipe(t.d.fd, t.off, t.size, t.sector, e))
		goto out;
	if (!strcmp(j->fstype, "swap")) {
		struct mkswap_params p = { .size = t.size, .label = j->label };
		struct mkswap_plan pl;
		if (uuid_random(&p.uuid, e) || mkswap_plan(&p, &pl, e))
			goto out;
		rc = mkswap_apply(&pl, t.d.fd, t.off, e);
		mkswap_plan_free(&pl);
	} else {
		struct vfat_params p = { .size = t.size, .sector = t.sector };
		struct vfat_plan pl;
		char line[32], path[128];
		uint64_t start;
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/start", major(t.d.rdev),
			 minor(t.d.rdev));
		if (t.d.is_blockdev && !read_line(path, line, sizeof(line)) &&
		    !num_dec_u64(line, 0, UINT32_MAX, &start, NULL))
			p.hidden = (uint32_t)(start * 512 / t.sector);
		bool lower;
		vfat_dos_time(time(NULL), &p.dos_date, &p.dos_time);
		if (uuid_random_bytes(&p.volid, sizeof(p.volid), e) ||
		    vfat_label(j->label, p.label, &lower, e) ||
		    vfat_plan(&p, &pl, e))
			goto out;
		rc = vfat_apply(&pl, t.d.fd, t.off, e);
		vfat_plan_free(&pl);
	}
out:
	mkfs_target_close(&t);
	return rc;
}

static int mkfs_run(struct vmj *job, struct jw *w, struct bb_error *e)
{
	struct mkfs_job *j = vmj_arg(job);
	int t = mkfs_tool(j->fstype);
	int rc;
	if (t < 0) {
		rc = mkfs_own(j, e);
	} else {
		const char *argv[8];
		mkfs_argv(t, j, argv);
		struct run_opts o = RUN_OPTS_INIT;
		o.flags = RUN_ERR | RUN_QUIET;
		o.tail = 2048;
		struct run_result r;
		rc = run_process(argv, &o, &r, e);
		if (!rc)
			rc = run_success(argv, &r, e);
		run_free(&r);
	}
	if (rc)
		return bb_error_prefix(e, "%s", j->device);
	jw_obj(w);
	jw_kstr(w, "device", j->device);
	jw_kstr(w, "fstype", j->fstype);
	jw_kstr(w, "label", j->label);
	jw_obj_end(w);
	return 0;
}

static const struct vmj_kind mkfs_kind = { "storage.create_filesystem", mkfs_run, NULL, NULL,
					   NULL, false };

static int create_filesystem(struct vm_call *c)
{
	const char *dev, *fstype = vm_str(c, "fstype"), *label = vm_str(c, "label");
	if (param_path(c, "device", &dev))
		return -1;
	int t = mkfs_tool(fstype);
	if (t < 0 && strcmp(fstype, "vfat") && strcmp(fstype, "swap"))
		return vm_fail(c, VM_E_VALIDATION, NULL,
			       "fstype '%s': expected vfat, swap, ext4, btrfs, xfs or bcachefs", fstype);
	struct bb_error e = { 0 };
	char fat[VFAT_LABEL_LEN];
	bool lower;
	if (label && strlen(label) > 32)
		return vm_fail(c, VM_E_VALIDATION, NULL, "label: at most 32 bytes");
	if (label && !strcmp(fstype, "vfat") && vfat_label(label, fat, &lower, &e))
		return vm_fail_bb(c, &e, NULL);
	bool force = vm_bool(c, "force", false);
	const struct blkdev *b;
	if (disk_lookup(c, dev, &b))
		return -1;
	char res[64];
	dev_resource(b, res, sizeof(res));
	struct claim cl;
	enum claim_state st = claim_check(vm_cfg.root, dev, CLAIM_STRICT, &cl);
	if (st == CLAIM_BUSY)
		return vm_fail_errno(c, VM_E_VALIDATION, EBUSY, dev, "%s: %s; refusing to format it",
				     dev, cl.why);
	if (st == CLAIM_CONTENT && !force)
		return vm_fail_errno(c, VM_E_VALIDATION, EEXIST, dev,
				     "%s: %s; refusing to format it (\"force\": true overrides)", dev,
				     cl.why);
	if (refuse_if_job(c, res, dev))
		return -1;
	char tool[256];
	if (t >= 0 && !which(mkfs_tools[t].argv[0], tool, sizeof(tool))) {
		const char *pkg = tool_package(mkfs_tools[t].argv[0]);
		return vm_fail_errno(c, VM_E_STORAGE, ENOENT, dev,
				     "%s is not installed (Debian package %s provides it)",
				     mkfs_tools[t].argv[0], pkg ? pkg : "unknown");
	}
	struct mkfs_job *j = calloc(1, sizeof(*j));
	if (!j)
		return vm_fail(c, VM_E_INTERNAL, NULL, "out of memory");
	snprintf(j->device, sizeof(j->device), "%s", dev);
	snprintf(j->fstype, sizeof(j->fstype), "%s", fstype);
	snprintf(j->label, sizeof(j->label), "%s", label ? label : "");
	j->force = force;
	if (c->dry_run) {
		struct jw *w = c->out;
		jw_obj(w);
		jw_kbool(w, "dry_run", true);
		jw_kstr(w, "device", dev);
		jw_kstr(w, "fstype", fstype);
		jw_kstr(w, "label", j->label);
		jw_kstr(w, "found", st == CLAIM_CONTENT ? cl.why : NULL);
		jw_key(w, "would_run");
		jw_arr(w);
		if (t >= 0) {
			const char *argv[8];
			mkfs_argv(t, j, argv);
			for (int i = 0; argv[i]; i++)
				jw_str(w, argv[i]);
		} else {
			jw_str(w, strcmp(fstype, "swap") ? "blockbox mkfs.vfat" : "blockbox mkswap");
		}
		jw_arr_end(w);
		jw_obj_end(w);
		free(j);
		return 0;
	}
	long id = vmj_start(&mkfs_kind, res, j, &e);
	if (id < 0)
		return vm_fail_bb(c, &e, dev);
	vmj_answer(c, id);
	return 0;
}

/* ---- storage.mount, storage.unmount ---------------------------------------------------- */

static int do_mount(struct vm_call *c)
{
	const char *src, *target, *fstype = vm_str(c, "fstype"), *opts = vm_str(c, "options");
	if (param_path(c, "source", &src) || param_path(c, "target", &target))
		return -1;
	struct mount_opts mo;
	struct bb_error e = { 0 };
	if (opts && mount_opts_parse(opts, &mo, &e))
		return vm_fail_bb(c, &e, NULL);
	const struct blkdev *b;
	if (disk_lookup(c, src, &b))
		return -1;
	char res[64];
	dev_resource(b, res, sizeof(res));
	if (refuse_if_job(c, res, src))
		return -1;
	if (!c->dry_run && mount_fs(NULL, src, target, fstype, opts, &e))
		return vm_fail_bb(c, &e, src);
	vm_blkdevs_changed();
	jw_obj(c->out);
	jw_kbool(c->out, "dry_run", c->dry_run);
	jw_kstr(c->out, "source", src);
	jw_kstr(c->out, "target", target);
	jw_kstr(c->out, "fstype", fstype);
	jw_kstr(c->out, "options", opts);
	jw_obj_end(c->out);
	return 0;
}

static int do_unmount(struct vm_call *c)
{
	const char *path;
	if (param_path(c, "path", &path))
		return -1;
	struct mnt m;
	if (find_mount(c, path, &m))
		return -1;
	if (!strcmp(m.fstype, "btrfs")) {
		int fd = vmo_btrfs_open(c, path);
		char res[64];
		if (fd < 0)
			return -1;
		int rc = fs_resource(c, fd, res, sizeof(res));
		close(fd);
		if (rc || refuse_if_job(c, res, path))
			return -1;
	}
	struct bb_error e = { 0 };
	if (!c->dry_run && mount_umount(path, 0, &e))
		return vm_fail_bb(c, &e, m.source);
	vm_blkdevs_changed();
	jw_obj(c->out);
	jw_kbool(c->out, "dry_run", c->dry_run);
	jw_kstr(c->out, "path", path);
	jw_kstr(c->out, "source", m.source);
	jw_kstr(c->out, "fstype", m.fstype);
	jw_obj_end(c->out);
	return 0;
}

/* ---- subvolumes, snapshots, quotas ------------------------------------------------------ */

/* The data root opened, its path in root. -1 with c's error. */
static int open_root(struct vm_call *c, char *root, size_t len)
{
	if (vmo_data_root(c, root, len))
		return -1;
	return vmo_btrfs_open(c, root);
}

static void subvol_answer(struct vm_call *c, const char *root, const char *name, const char *what)
{
	jw_obj(c->out);
	jw_kbool(c->out, "dry_run", c->dry_run);
	jw_kstr(c->out, "name", name);
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", root, name);
	jw_kstr(c->out, "path", p);
	jw_kstr(c->out, "action", what);
	jw_obj_end(c->out);
}

static int create_subvolume(struct vm_call *c)
{
	const char *name;
	char root[512];
	if (param_subvol(c, "name", &name))
		return -1;
	int fd = open_root(c, root, sizeof(root));
	if (fd < 0)
		return -1;
	struct bb_error e = { 0 };
	int rc = 0;
	if (!c->dry_run && btrfs_subvol_create(fd, name, &e))
		rc = vm_fail_bb(c, &e, NULL);
	close(fd);
	if (!rc)
		subvol_answer(c, root, name, "created");
	return rc;
}

/* A subvolume mounted somewhere (subvol=/NAME) is in use. */
static bool subvol_mounted(const char *name, char *where, size_t len)
{
	struct mount_table t;
	if (vmo_mounts(&t, NULL))
		return false;
	bool found = false;
	for (size_t i = 0; i < t.n && !found; i++)
		if (!strcmp(t.m[i].fstype, "btrfs") && t.m[i].root[0] == '/' &&
		    !strcmp(t.m[i].root + 1, name)) {
			snprintf(where, len, "%s", t.m[i].target);
			found = true;
		}
	mount_table_free(&t);
	return found;
}

static int delete_subvolume(struct vm_call *c)
{
	const char *name;
	char root[512], where[512];
	if (param_subvol(c, "name", &name))
		return -1;
	if (vmo_core_subvolume(name))
		return vm_fail_errno(c, VM_E_VALIDATION, EPERM, NULL,
				     "'%s' is a core subvolume (system, etc, modules, vm-meta, "
				     "mos-bin); refusing to delete it",
				     name);
	if (subvol_mounted(name, where, sizeof(where)))
		return vm_fail_errno(c, VM_E_VALIDATION, EBUSY, NULL,
				     "subvolume '%s' is mounted on %s; unmount it first", name, where);
	int fd = open_root(c, root, sizeof(root));
	if (fd < 0)
		return -1;
	struct stat st;
	int rc = 0;
	struct bb_error e = { 0 };
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode) || st.st_ino != 256)
		rc = vm_fail_errno(c, VM_E_NODEV, ENOENT, NULL, "%s/%s: no such subvolume", root, name);
	else if (!c->dry_run && btrfs_subvol_delete(fd, name, &e))
		rc = vm_fail_bb(c, &e, NULL);
	close(fd);
	if (!rc)
		subvol_answer(c, root, name, "deleted");
	return rc;
}

static int snapshot_subvolume(struct vm_call *c)
{
	const char *src, *snap;
	char root[512];
	if (param_subvol(c, "source", &src) || param_subvol(c, "snapshot", &snap))
		return -1;
	bool ro = vm_bool(c, "readonly", true);
	int fd = open_root(c, root, sizeof(root));
	if (fd < 0)
		return -1;
	int sfd = openat(fd, src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;
	struct bb_error e = { 0 };
	if (sfd < 0)
		rc = vm_fail_errno(c, VM_E_NODEV, errno, NULL, "%s/%s: %s", root, src, strerror(errno));
	else if (!c->dry_run && btrfs_snapshot(sfd, fd, snap, ro, &e))
		rc = vm_fail_bb(c, &e, NULL);
	if (sfd >= 0)
		close(sfd);
	close(fd);
	if (rc)
		return -1;
	jw_obj(c->out);
	jw_kbool(c->out, "dry_run", c->dry_run);
	jw_kstr(c->out, "source", src);
	jw_kstr(c->out, "snapshot", snap);
	jw_kbool(c->out, "readonly", ro);
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", root, snap);
	jw_kstr(c->out, "path", p);
	jw_obj_end(c->out);
	return 0;
}

static bool quotas_on(int fd)
{
	struct btrfs_fs_info fi;
	if (btrfs_fs_info(fd, &fi, NULL))
		return false;
	char id[37], path[256];
	vmo_fsid_str(fi.fsid, id);
	snprintf(path, sizeof(path), "%s/fs/btrfs/%s/qgroups", vm_cfg.root->sys, id);
	return path_exists(path);
}

static int set_quota(struct vm_call *c)
{
	const char *name;
	char root[512];
	if (param_subvol(c, "name", &name))
		return -1;
	uint64_t max = vm_u64(c, "max_bytes", 0);
	int fd = open_root(c, root, sizeof(root));
	if (fd < 0)
		return -1;
	struct btrfs_subvol *s;
	size_t n;
	struct bb_error e = { 0 };
	uint64_t id = 0;
	int rc = btrfs_subvol_list(fd, &s, &n, &e);
	if (rc)
		rc = vm_fail_bb(c, &e, NULL);
	else {
		for (size_t i = 0; i < n; i++)
			if (s[i].parent_id == BTRFS_TOP_ID && !strcmp(s[i].name, name))
				id = s[i].id;
		btrfs_subvol_list_free(s, n);
		if (!id)
			rc = vm_fail_errno(c, VM_E_NODEV, ENOENT, NULL, "%s/%s: no such subvolume",
					   root, name);
	}
	bool was_on = !rc && quotas_on(fd);
	if (!rc && !c->dry_run && !was_on && btrfs_quota_enable(fd, &e))
		rc = vm_fail_bb(c, &e, NULL);
	if (!rc && !c->dry_run && btrfs_qgroup_limit(fd, id, max ? max : BTRFS_NO_LIMIT, &e))
		rc = vm_fail_bb(c, &e, NULL);
	close(fd);
	if (rc)
		return -1;
	jw_obj(c->out);
	jw_kbool(c->out, "dry_run", c->dry_run);
	jw_kstr(c->out, "name", name);
	jw_ku64(c->out, "subvolume_id", id);
	jw_key(c->out, "max_bytes");
	if (max)
		jw_u64(c->out, max);
	else
		jw_null(c->out);
	jw_kbool(c->out, "quotas_enabled", !was_on);
	if (!was_on)
		jw_kstr(c->out, "note", c->dry_run ? "quotas are off and would be enabled first"
						   : "quotas were off and have been enabled");
	jw_obj_end(c->out);
	return 0;
}

/* ---- storage.scrub_start (a job) ------------------------------------------------------- */

struct scrub_job {
	int fd; /* first: fd_job_free */
	char mp[512], fsid[37];
	size_t ndev;
	uint64_t devid[64];
	struct btrfs_scrub_stats st[64];
	struct bb_error err[64];
	uint64_t total;  /* physical bytes in use: what the scrub will read */
	uint64_t started;
};

struct scrub_dev {
	struct scrub_job *j;
	size_t i;
};

static void *scrub_one(void *arg)
{
	struct scrub_dev *d = arg;
	btrfs_scrub_start(d->j->fd, d->j->devid[d->i], false, &d->j->st[d->i], &d->j->err[d->i]);
	return NULL;
}

static int scrub_run(struct vmj *job, struct jw *w, struct bb_error *e)
{
	struct scrub_job *j = vmj_arg(job);
	pthread_t th[64];
	struct scrub_dev d[64];
	bool started[64] = { false };
	for (size_t i = 0; i < j->ndev; i++) {
		d[i] = (struct scrub_dev){ j, i };
		started[i] = !pthread_create(&th[i], NULL, scrub_one, &d[i]);
		if (!started[i])
			bb_error_set(&j->err[i], EAGAIN, "cannot start a thread");
	}
	for (size_t i = 0; i < j->ndev; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	struct vmo_scrub_record r = { 0 };
	snprintf(r.fsid, sizeof(r.fsid), "%s", j->fsid);
	snprintf(r.mount_point, sizeof(r.mount_point), "%s", j->mp);
	r.started = j->started;
	r.ended = (uint64_t)time(NULL);
	vmo_scrub_sum(j->st, j->ndev, &r);
	snprintf(r.state, sizeof(r.state), "done");
	for (size_t i = 0; i < j->ndev; i++)
		if (bb_error_is_set(&j->err[i])) {
			bool cancelled = j->err[i].code == ECANCELED;
			snprintf(r.state, sizeof(r.state), cancelled ? "cancelled" : "failed");
			snprintf(r.error, sizeof(r.error), "devid %llu: %s",
				 (unsigned long long)j->devid[i], j->err[i].msg);
			*e = j->err[i];
			if (!cancelled)
				break;
		}
	struct bb_error se = { 0 };
	if (vmo_scrub_record_save(&r, &se) && !bb_error_is_set(e))
		*e = se;
	if (bb_error_is_set(e))
		return -1;
	vmo_scrub_record_write(w, &r);
	return 0;
}

static void scrub_progress(struct vmj *job, struct vmj_progress *p, struct jw *w)
{
	struct scrub_job *j = vmj_arg(job);
	struct btrfs_scrub_stats st[64];
	memset(st, 0, sizeof(st));
	for (size_t i = 0; i < j->ndev; i++)
		btrfs_scrub_progress(j->fd, j->devid[i], &st[i], NULL);
	struct vmo_scrub_record r = { 0 };
	vmo_scrub_sum(st, j->ndev, &r);
	uint64_t done = r.data_bytes + r.tree_bytes;
	vmj_progress_set(job, p, done, j->total, "bytes/s");
	jw_key(w, "scrub");
	jw_obj(w);
	jw_ku64(w, "bytes_scrubbed", done);
	jw_ku64(w, "bytes_total", j->total);
	jw_ku64(w, "csum_errors", r.csum_errors);
	jw_ku64(w, "read_errors", r.read_errors);
	jw_ku64(w, "corrected_errors", r.corrected_errors);
	jw_ku64(w, "uncorrectable_errors", r.uncorrectable_errors);
	jw_obj_end(w);
}

static int scrub_cancel(struct vmj *job, struct bb_error *e)
{
	struct scrub_job *j = vmj_arg(job);
	return btrfs_scrub_cancel(j->fd, e);
}

/* The argument of a job whose struct starts with the fd it works on. */
static void fd_job_free(void *arg)
{
	int *fd = arg;
	if (*fd >= 0)
		close(*fd);
	free(arg);
}

static const struct vmj_kind scrub_kind = { "storage.scrub_start", scrub_run, scrub_progress,
					    scrub_cancel, fd_job_free, false };

/* Bytes a scrub reads: what is in use, times the copies kept. */
static uint64_t used_physical(int fd)
{
	struct btrfs_space *sp;
	size_t n;
	uint64_t total = 0;
	if (btrfs_space_info(fd, &sp, &n, NULL))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(sp[i].type, "GlobalReserve"))
			total += sp[i].used * vmo_profile_copies(sp[i].profile);
	free(sp);
	return total;
}

/* Open mount_point's btrfs for a job: the fd and its resource key. */
static int job_fs(struct vm_call *c, const char *mp, char *res, size_t len)
{
	int fd = vmo_btrfs_open(c, mp);
	if (fd >= 0 && fs_resource(c, fd, res, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int start_job(struct vm_call *c, const struct vmj_kind *k, const char *res, void *arg)
{
	struct bb_error e = { 0 };
	long id = vmj_start(k, res, arg, &e);
	if (id < 0)
		return vm_fail_bb(c, &e, NULL);
	vmj_answer(c, id);
	return 0;
}

static int scrub_start(struct vm_call *c)
{
	const char *mp;
	char res[64];
	if (param_path(c, "mount_point", &mp))
		return -1;
	int fd = job_fs(c, mp, res, sizeof(res));
	if (fd < 0)
		return -1;
	struct scrub_job *j = calloc(1, sizeof(*j));
	struct btrfs_dev_info *dv = NULL;
	size_t n = 0;
	struct bb_error e = { 0 };
	if (!j || btrfs_devices(fd, &dv, &n, &e)) {
		free(j);
		close(fd);
		return j ? vm_fail_bb(c, &e, NULL) : vm_fail(c, VM_E_INTERNAL, NULL, "out of memory");
	}
	j->fd = fd;
	snprintf(j->mp, sizeof(j->mp), "%s", mp);
	snprintf(j->fsid, sizeof(j->fsid), "%s", res + 3);
	for (size_t i = 0; i < n && j->ndev < 64; i++)
		if (dv[i].path[0]) /* a missing device cannot be scrubbed */
			j->devid[j->ndev++] = dv[i].devid;
	free(dv);
	j->total = used_physical(fd);
	j->started = (uint64_t)time(NULL);
	if (c->dry_run) {
		jw_obj(c->out);
		jw_kbool(c->out, "dry_run", true);
		jw_kstr(c->out, "mount_point", mp);
		jw_ku64(c->out, "devices", j->ndev);
		jw_ku64(c->out, "bytes_to_read", j->total);
		jw_obj_end(c->out);
		fd_job_free(j);
		return 0;
	}
	return start_job(c, &scrub_kind, res, j);
}

/* ---- storage.balance_start (a job) -------------------------------------------------------- */

struct balance_job {
	int fd; /* first: fd_job_free */
	char mp[512];
	struct btrfs_balance_filter f;
};

static int balance_run(struct vmj *job, struct jw *w, struct bb_error *e)
{
	struct balance_job *j = vmj_arg(job);
	struct btrfs_balance_status st = { 0 };
	if (btrfs_balance_start(j->fd, &j->f, &st, e))
		return -1;
	jw_obj(w);
	jw_kstr(w, "mount_point", j->mp);
	jw_ku64(w, "chunks_considered", st.considered);
	jw_ku64(w, "chunks_relocated", st.completed);
	jw_obj_end(w);
	return 0;
}

static void balance_progress(struct vmj *job, struct vmj_progress *p, struct jw *w)
{
	struct balance_job *j = vmj_arg(job);
	struct btrfs_balance_status st;
	if (btrfs_balance_progress(j->fd, &st, NULL))
		return;
	vmj_progress_set(job, p, st.completed, st.expected, "chunks/s");
	jw_key(w, "balance");
	jw_obj(w);
	jw_ku64(w, "expected", st.expected);
	jw_ku64(w, "considered", st.considered);
	jw_ku64(w, "completed", st.completed);
	jw_obj_end(w);
}

static int balance_cancel(struct vmj *job, struct bb_error *e)
{
	struct balance_job *j = vmj_arg(job);
	return btrfs_balance_cancel(j->fd, e);
}


static const struct vmj_kind balance_kind = { "storage.balance_start", balance_run,
					      balance_progress, balance_cancel, fd_job_free, false };

static int balance_start(struct vm_call *c)
{
	const char *mp;
	char res[64];
	if (param_path(c, "mount_point", &mp))
		return -1;
	bool full = vm_bool(c, "full", false);
	uint64_t usage = vm_u64(c, "usage", 50);
	if (usage > 100)
		return vm_fail(c, VM_E_VALIDATION, NULL, "usage: a percentage, 0 to 100");
	int fd = job_fs(c, mp, res, sizeof(res));
	if (fd < 0)
		return -1;
	struct balance_job *j = calloc(1, sizeof(*j));
	if (!j) {
		close(fd);
		return vm_fail(c, VM_E_INTERNAL, NULL, "out of memory");
	}
	j->fd = fd;
	snprintf(j->mp, sizeof(j->mp), "%s", mp);
	/* a full balance rewrites every chunk; by default only the chunks at
	 * most `usage` % full, which is what frees space */
	j->f.usage = full ? -1 : (int)usage;
	j->f.types = BTRFS_BAL_DATA | BTRFS_BAL_METADATA;
	if (c->dry_run) {
		jw_obj(c->out);
		jw_kbool(c->out, "dry_run", true);
		jw_kstr(c->out, "mount_point", mp);
		jw_kbool(c->out, "full", full);
		jw_key(c->out, "usage_filter");
		if (full)
			jw_null(c->out);
		else
			jw_u64(c->out, usage);
		jw_obj_end(c->out);
		fd_job_free(j);
		return 0;
	}
	return start_job(c, &balance_kind, res, j);
}

static int balance_status(struct vm_call *c)
{
	const char *mp;
	if (param_path(c, "mount_point", &mp))
		return -1;
	int fd = vmo_btrfs_open(c, mp);
	if (fd < 0)
		return -1;
	struct btrfs_balance_status st;
	struct bb_error e = { 0 };
	int rc = btrfs_balance_progress(fd, &st, &e);
	close(fd);
	if (rc && e.code != ENOTCONN)
		return vm_fail_bb(c, &e, NULL);
	jw_obj(c->out);
	jw_kstr(c->out, "mount_point", mp);
	jw_kstr(c->out, "state", rc ? "idle" : st.running ? "running" : "paused");
	if (!rc) {
		jw_ku64(c->out, "expected", st.expected);
		jw_ku64(c->out, "considered", st.considered);
		jw_ku64(c->out, "completed", st.completed);
		jw_kbool(c->out, "cancel_requested", st.cancel_requested);
		jw_kbool(c->out, "pause_requested", st.pause_requested);
	}
	jw_obj_end(c->out);
	return 0;
}

/* ---- storage.defrag (a job) ------------------------------------------------------------------ */

#define BTRFS_MAGIC 0x9123683eu

struct defrag_job {
	char path[PATH_MAX];
	bool recursive;
	volatile bool stop;
	volatile uint64_t done, total, failed;
};

/* Call fn on every regular file under the directory open as dfd, not
 * leaving btrfs (a subvolume below is the same filesystem; another
 * filesystem mounted below is not). Depth-first, fds closed as it goes. */
static void walk(struct defrag_job *j, int dfd, int depth,
		 void (*fn)(struct defrag_job *j, int dfd, const char *name))
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	struct dirent *de;
	while (!j->stop && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISREG(st.st_mode)) {
			fn(j, dirfd(d), de->d_name);
		} else if (S_ISDIR(st.st_mode) && j->recursive && depth < 256) {
			int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
								  O_CLOEXEC);
			struct statfs sf;
			if (sub >= 0 && !fstatfs(sub, &sf) && (unsigned long)sf.f_type == BTRFS_MAGIC)
				walk(j, sub, depth + 1, fn);
			else if (sub >= 0)
				close(sub);
		}
	}
	closedir(d);
}

static void count_one(struct defrag_job *j, int dfd, const char *name)
{
	(void)dfd, (void)name;
	j->total++;
}

static void defrag_one(struct defrag_job *j, int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || btrfs_defrag_range(fd, 0, BTRFS_NO_LIMIT, false, NULL))
		j->failed++;
	if (fd >= 0)
		close(fd);
	j->done++;
}

static int defrag_run(struct vmj *job, struct jw *w, struct bb_error *e)
{
	struct defrag_job *j = vmj_arg(job);
	struct stat st;
	int fd = open(j->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return bb_error_errno(e, "%s", j->path);
	}
	if (S_ISREG(st.st_mode)) {
		j->total = 1;
		close(fd);
		defrag_one(j, AT_FDCWD, j->path);
	} else {
		walk(j, fd, 0, count_one);
		/* a fresh open: a dup would share the offset the count left at the end */
		int again = open(j->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (again < 0)
			return bb_error_errno(e, "%s", j->path);
		walk(j, again, 0, defrag_one);
	}
	if (j->stop)
		return bb_error_set(e, ECANCELED, "%s: cancelled after %llu of %llu files", j->path,
				    (unsigned long long)j->done, (unsigned long long)j->total);
	jw_obj(w);
	jw_kstr(w, "path", j->path);
	jw_ku64(w, "files", j->done);
	jw_ku64(w, "failed", j->failed);
	jw_obj_end(w);
	return 0;
}

static void defrag_progress(struct vmj *job, struct vmj_progress *p, struct jw *w)
{
	struct defrag_job *j = vmj_arg(job);
	uint64_t done = j->done, total = j->total;
	vmj_progress_set(job, p, done, total, "files/s");
	jw_key(w, "defrag");
	jw_obj(w);
	jw_ku64(w, "files_done", done);
	jw_ku64(w, "files_total", total);
	jw_obj_end(w);
}

static int defrag_cancel(struct vmj *job, struct bb_error *e)
{
	(void)e;
	struct defrag_job *j = vmj_arg(job);
	j->stop = true;
	return 0;
}

static const struct vmj_kind defrag_kind = { "storage.defrag", defrag_run, defrag_progress,
					     defrag_cancel, NULL, false };

static int defrag(struct vm_call *c)
{
	const char *path;
	char res[64];
	if (param_path(c, "path", &path))
		return -1;
	int fd = job_fs(c, path, res, sizeof(res));
	if (fd < 0)
		return -1;
	close(fd);
	struct defrag_job *j = calloc(1, sizeof(*j));
	if (!j)
		return vm_fail(c, VM_E_INTERNAL, NULL, "out of memory");
	snprintf(j->path, sizeof(j->path), "%s", path);
	j->recursive = vm_bool(c, "recursive", true);
	if (c->dry_run) {
		int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0)
			walk(j, dfd, 0, count_one);
		jw_obj(c->out);
		jw_kbool(c->out, "dry_run", true);
		jw_kstr(c->out, "path", path);
		jw_kbool(c->out, "recursive", j->recursive);
		jw_ku64(c->out, "files", dfd >= 0 ? j->total : 1);
		jw_obj_end(c->out);
		free(j);
		return 0;
	}
	return start_job(c, &defrag_kind, res, j);
}

/* ---- storage.resize_max (a job) -------------------------------------------------------------- */

struct resize_dev {
	uint64_t devid;             /* btrfs; 0 otherwise */
	char path[256];             /* the device */
	uint64_t before, after;     /* bytes the filesystem uses of it */
	uint64_t part_before, part_after; /* the partition, when grown */
	char note[200];
};

struct resize_job {
	int fd;                     /* btrfs; first: fd_job_free */
	char mp[512], fstype[16], source[512];
	bool grow_part, dry;
	size_t ndev;
	struct resize_dev dev[64];
};

/* Grow partition `path` into the free space right behind it, to the
 * last 1 MiB boundary before the next partition or the table's end.
 * Sizes before and after into d; 0 with nothing to do, -1 with e. */
static int grow_partition(const char *path, bool dry, struct resize_dev *d, struct bb_error *e)
{
	struct blkdev_list l;
	if (blkdev_scan(vm_cfg.root, &l, e))
		return -1;
	const struct blkdev *b = blkdev_find(&l, path);
	int partno = b ? b->partno : 0;
	char disk[BLKDEV_NAME + 16];
	if (b && partno)
		snprintf(disk, sizeof(disk), "%s/%s", vm_cfg.root->dev, b->parent);
	blkdev_list_free(&l);
	if (!partno) {
		snprintf(d->note, sizeof(d->note), "not a partition: nothing to grow");
		return 0;
	}
	struct disk dk;
	/* its partitions are in use: no exclusive open, BLKPG resizes in place */
	if (disk_open(&dk, disk, dry ? 0 : DISK_WRITE, 0, e))
		return -1;
	struct gpt g;
	int rc = gpt_read(&g, dk.fd, dk.size, dk.lsec);
	if (rc || gpt_writable(&g)) {
		bb_error_set(e, EINVAL, "%s: %s", disk, rc == GPT_NOTFOUND ? "no GPT" : g.err.msg);
		rc = -1;
		goto out;
	}
	struct gpt_part *p = &g.part[partno - 1];
	uint64_t limit = g.last_usable;
	for (uint32_t i = 0; i < g.nused; i++)
		if (g.order[i].first_lba > p->last_lba && g.order[i].first_lba - 1 < limit)
			limit = g.order[i].first_lba - 1;
	uint64_t align = gpt_align_lbas(&g);
	uint64_t end = (limit + 1) / align * align - 1;
	d->part_before = (p->last_lba - p->first_lba + 1) * g.sector;
	d->part_after = d->part_before;
	if (end <= p->last_lba) {
		snprintf(d->note, sizeof(d->note), "no free space behind the partition");
		rc = 0;
		goto out;
	}
	d->part_after = (end - p->first_lba + 1) * g.sector;
	if (dry) {
		rc = 0;
		goto out;
	}
	p->last_lba = end;
	for (uint32_t i = 0; i < g.nused; i++)
		if (g.order[i].slot == (uint32_t)(partno - 1))
			g.order[i].last_lba = end;
	if (gpt_write(&g, dk.fd)) {
		rc = bb_error_set(e, g.err.code, "%s: %s", disk, g.err.msg);
		goto out;
	}
	if (blk_resize_partition(dk.fd, partno, p->first_lba * g.sector, d->part_after)) {
		rc = bb_error_errno(e, "%s: tell the kernel partition %d grew", disk, partno);
		goto out;
	}
	rc = 0;
out:
	gpt_free(&g);
	disk_close(&dk);
	return rc;
}

static int resize_btrfs(struct resize_job *j, struct bb_error *e)
{
	struct btrfs_dev_info *dv;
	size_t n;
	if (btrfs_devices(j->fd, &dv, &n, e))
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && j->ndev < 64 && !rc; i++) {
		struct resize_dev *d = &j->dev[j->ndev++];
		d->devid = dv[i].devid;
		snprintf(d->path, sizeof(d->path), "%s", dv[i].path);
		d->before = d->after = dv[i].total_bytes;
		if (!dv[i].path[0]) {
			snprintf(d->note, sizeof(d->note), "device missing: not resized");
			continue;
		}
		if (j->grow_part && grow_partition(d->path, j->dry, d, e))
			rc = -1;
		/* every device by its own devid: RESIZE without one only grows devid 1 */
		char spec[8] = "max";
		if (!rc && !j->dry && btrfs_resize(j->fd, d->devid, spec, e))
			rc = -1;
		struct btrfs_dev_info now;
		if (!rc && !j->dry && !btrfs_dev_info(j->fd, d->devid, &now, NULL))
			d->after = now.total_bytes;
	}
	free(dv);
	return rc;
}

/* ext4 grows online through resize2fs, xfs through xfs_growfs. */
static int resize_tool(struct resize_job *j, struct bb_error *e)
{
	struct resize_dev *d = &j->dev[j->ndev++];
	snprintf(d->path, sizeof(d->path), "%s", j->source);
	if (j->grow_part && grow_partition(d->path, j->dry, d, e))
		return -1;
	bool ext4 = !strcmp(j->fstype, "ext4");
	const char *argv[] = { ext4 ? "resize2fs" : "xfs_growfs", ext4 ? j->source : j->mp, NULL };
	if (j->dry) {
		char buf[256];
		if (!which(argv[0], buf, sizeof(buf)))
			return bb_error_set(e, ENOENT, "%s is not installed (Debian package %s provides it)",
					    argv[0], tool_package(argv[0]));
		return 0;
	}
	struct run_opts o = RUN_OPTS_INIT;
	o.flags = RUN_ERR | RUN_QUIET;
	o.tail = 2048;
	struct run_result r;
	int rc = run_process(argv, &o, &r, e);
	if (!rc)
		rc = run_success(argv, &r, e);
	run_free(&r);
	return rc;
}

static void resize_write(struct jw *w, const struct resize_job *j)
{
	jw_obj(w);
	jw_kbool(w, "dry_run", j->dry);
	jw_kstr(w, "mount_point", j->mp);
	jw_kstr(w, "fstype", j->fstype);
	jw_key(w, "devices");
	jw_arr(w);
	for (size_t i = 0; i < j->ndev; i++) {
		const struct resize_dev *d = &j->dev[i];
		jw_obj(w);
		if (d->devid)
			jw_ku64(w, "devid", d->devid);
		jw_kstr(w, "device", d->path);
		if (d->devid) {
			jw_ku64(w, "size_before", d->before);
			jw_ku64(w, "size_after", d->after);
		}
		if (d->part_before) {
			jw_ku64(w, "partition_before", d->part_before);
			jw_ku64(w, "partition_after", d->part_after);
		}
		if (d->note[0])
			jw_kstr(w, "note", d->note);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static int resize_do(struct resize_job *j, struct bb_error *e)
{
	return !strcmp(j->fstype, "btrfs") ? resize_btrfs(j, e) : resize_tool(j, e);
}

static int resize_run(struct vmj *job, struct jw *w, struct bb_error *e)
{
	struct resize_job *j = vmj_arg(job);
	if (resize_do(j, e))
		return -1;
	resize_write(w, j);
	return 0;
}


static const struct vmj_kind resize_kind = { "storage.resize_max", resize_run, NULL, NULL,
					     fd_job_free, false };

static int resize_max(struct vm_call *c)
{
	const char *mp;
	if (param_path(c, "mount_point", &mp))
		return -1;
	struct mnt m;
	if (find_mount(c, mp, &m))
		return -1;
	if (strcmp(m.fstype, "btrfs") && strcmp(m.fstype, "ext4") && strcmp(m.fstype, "xfs"))
		return vm_fail(c, VM_E_VALIDATION, mp, "%s is %s: resize_max grows btrfs, ext4 and xfs",
			       mp, m.fstype);
	struct resize_job *j = calloc(1, sizeof(*j));
	if (!j)
		return vm_fail(c, VM_E_INTERNAL, NULL, "out of memory");
	j->fd = -1;
	snprintf(j->mp, sizeof(j->mp), "%s", mp);
	snprintf(j->fstype, sizeof(j->fstype), "%s", m.fstype);
	snprintf(j->source, sizeof(j->source), "%s", m.source);
	j->grow_part = vm_bool(c, "grow_partition", false);
	j->dry = c->dry_run;
	/* ext4 and xfs hold their whole disk, as every other device job does,
	 * so that a partition job on the same disk waits for them */
	char res[64];
	const struct blkdev *b = NULL;
	if (strcmp(m.fstype, "btrfs")) {
		if (disk_lookup(c, m.source, &b)) {
			free(j);
			return -1;
		}
		dev_resource(b, res, sizeof(res));
	}
	if (!strcmp(m.fstype, "btrfs") && (j->fd = job_fs(c, mp, res, sizeof(res))) < 0) {
		free(j);
		return -1;
	}
	if (!c->dry_run)
		return start_job(c, &resize_kind, res, j);
	struct bb_error e = { 0 };
	int rc = resize_do(j, &e);
	if (rc)
		vm_fail_bb(c, &e, NULL);
	else
		resize_write(c->out, j);
	fd_job_free(j);
	return rc;
}

/* ---- the table ---------------------------------------------------------------------------------- */

static const struct vm_param part_params[] = {
	{ "disk", VM_T_PATH, VM_REQ, "the disk: /dev/sdb", NULL },
	{ "name", VM_T_STR, VM_REQ, "GPT partition name", NULL },
	{ "part_type", VM_T_STR, 0, "linux (default), esp, swap or bios_boot", "type" },
	{ "size_bytes", VM_T_U64, 0, "size (default: the largest free gap, whole)", "size" },
	{ "force", VM_T_BOOL, 0, "add to a disk whose partitions are in use", NULL },
	{ 0 },
};
static const struct vm_param mkfs_params[] = {
	{ "device", VM_T_PATH, VM_REQ, "the partition or disk", NULL },
	{ "fstype", VM_T_STR, VM_REQ, "vfat, swap, ext4, btrfs, xfs or bcachefs", NULL },
	{ "label", VM_T_STR, 0, "filesystem label", NULL },
	{ "force", VM_T_BOOL, 0, "format over an existing signature (never a device in use)", NULL },
	{ 0 },
};
static const struct vm_param mount_params[] = {
	{ "source", VM_T_PATH, VM_REQ, "the device", NULL },
	{ "target", VM_T_PATH, VM_REQ, "mount point (absolute; created when missing)", NULL },
	{ "fstype", VM_T_STR, 0, "filesystem type (default: what is on it)", NULL },
	{ "options", VM_T_STR, 0, "mount options: noatime,compress=zstd", NULL },
	{ 0 },
};
static const struct vm_param umount_params[] = {
	{ "path", VM_T_PATH, VM_REQ | VM_POS, "the mount point", "PATH" },
	{ 0 },
};
static const struct vm_param subvol_params[] = {
	{ "name", VM_T_STR, VM_REQ | VM_POS, "subvolume name (no '/')", "NAME" },
	{ "mount_point", VM_T_PATH, 0, "the btrfs (default: the one labelled MOSDATA)", NULL },
	{ 0 },
};
static const struct vm_param snap_params[] = {
	{ "source", VM_T_STR, VM_REQ | VM_POS, "subvolume to snapshot", "SOURCE" },
	{ "snapshot", VM_T_STR, VM_REQ | VM_POS, "name of the snapshot", "SNAPSHOT" },
	{ "readonly", VM_T_BOOL, 0, "read-only (default true)", NULL },
	{ "mount_point", VM_T_PATH, 0, "the btrfs (default: the one labelled MOSDATA)", NULL },
	{ 0 },
};
static const struct vm_param quota_params[] = {
	{ "name", VM_T_STR, VM_REQ | VM_POS, "subvolume name", "NAME" },
	{ "max_bytes", VM_T_U64, VM_REQ | VM_POS, "limit of what it refers to; 0 lifts it", "BYTES" },
	{ "mount_point", VM_T_PATH, 0, "the btrfs (default: the one labelled MOSDATA)", NULL },
	{ 0 },
};
static const struct vm_param mp_params[] = {
	{ "mount_point", VM_T_PATH, VM_REQ | VM_POS, "a mounted btrfs", "MOUNT_POINT" },
	{ 0 },
};
static const struct vm_param balance_params[] = {
	{ "mount_point", VM_T_PATH, VM_REQ | VM_POS, "a mounted btrfs", "MOUNT_POINT" },
	{ "full", VM_T_BOOL, 0, "rewrite every chunk (default: only the emptier ones)", NULL },
	{ "usage", VM_T_U64, 0, "relocate chunks at most this % full (default 50)", NULL },
	{ 0 },
};
static const struct vm_param defrag_params[] = {
	{ "path", VM_T_PATH, VM_REQ | VM_POS, "a file or directory on btrfs", "PATH" },
	{ "recursive", VM_T_BOOL, 0, "into subdirectories (default true)", NULL },
	{ 0 },
};
static const struct vm_param resize_params[] = {
	{ "mount_point", VM_T_PATH, VM_REQ | VM_POS, "a mounted btrfs, ext4 or xfs", "MOUNT_POINT" },
	{ "grow_partition", VM_T_BOOL, 0, "first grow each partition into free space behind it",
	  NULL },
	{ 0 },
};

static const struct vm_field part_result[] = {
	{ "dry_run", VM_T_BOOL, "nothing was written", VM_F_HIDE },
	{ "device", VM_T_PATH, "the new partition", 0 },
	{ "number", VM_T_U64, "partition number", 0 },
	{ "name", VM_T_STR, "GPT name", 0 },
	{ "part_type", VM_T_STR, "type", 0 },
	{ "start_bytes", VM_T_U64, "first byte", 0 },
	{ "size_bytes", VM_T_U64, "size", VM_F_BYTES },
	{ "disk", VM_T_PATH, "the disk", VM_F_HIDE },
	{ "created_table", VM_T_BOOL, "a GPT was written first (blank disk)", 0 },
	{ 0 },
};
static const struct vm_field change_result[] = {
	{ "dry_run", VM_T_BOOL, "nothing was changed", 0 },
	{ 0 },
};
static const struct vm_field balance_result[] = {
	{ "mount_point", VM_T_PATH, "the filesystem", 0 },
	{ "state", VM_T_STR, "idle, running or paused", 0 },
	{ "expected", VM_T_U64, "chunks to relocate", 0 },
	{ "considered", VM_T_U64, "chunks looked at", 0 },
	{ "completed", VM_T_U64, "chunks relocated", 0 },
	{ 0 },
};

#define MUT VM_MUTATING
#define JOB (VM_MUTATING | VM_JOB)
static const struct vm_method ops_methods[] = {
	{ .name = "storage.create_partition", .cli = "create-partition",
	  .help = "Add a partition in free space (a blank disk gets a GPT first)",
	  .params = part_params, .result = { VM_R_OBJECT, part_result }, .flags = MUT,
	  .fn = create_partition },
	{ .name = "storage.create_filesystem", .cli = "create-filesystem",
	  .help = "Format a partition: vfat and swap by blockbox, ext4/btrfs/xfs/bcachefs by their mkfs",
	  .params = mkfs_params, .result = { VM_R_JOB, NULL }, .flags = JOB,
	  .fn = create_filesystem },
	{ .name = "storage.mount", .cli = "mount", .help = "Mount a filesystem",
	  .params = mount_params, .result = { VM_R_OBJECT, change_result }, .flags = MUT,
	  .fn = do_mount },
	{ .name = "storage.unmount", .cli = "unmount", .help = "Unmount a path",
	  .params = umount_params, .result = { VM_R_OBJECT, change_result }, .flags = MUT,
	  .fn = do_unmount },
	{ .name = "storage.create_subvolume", .cli = "create-subvolume",
	  .help = "Create a btrfs subvolume", .params = subvol_params,
	  .result = { VM_R_OBJECT, change_result }, .flags = MUT, .fn = create_subvolume },
	{ .name = "storage.delete_subvolume", .cli = "delete-subvolume",
	  .help = "Delete a subvolume (never system, etc, modules, vm-meta, mos-bin)",
	  .params = subvol_params, .result = { VM_R_OBJECT, change_result }, .flags = MUT,
	  .fn = delete_subvolume },
	{ .name = "storage.snapshot_subvolume", .cli = "snapshot",
	  .help = "Snapshot a subvolume (read-only by default)", .params = snap_params,
	  .result = { VM_R_OBJECT, change_result }, .flags = MUT, .fn = snapshot_subvolume },
	{ .name = "storage.set_quota", .cli = "set-quota",
	  .help = "Limit a subvolume's qgroup (quotas enabled first when off)",
	  .params = quota_params, .result = { VM_R_OBJECT, change_result }, .flags = MUT,
	  .fn = set_quota },
	{ .name = "storage.scrub_start", .cli = "scrub-start",
	  .help = "Start an integrity scrub of every device (a job)", .params = mp_params,
	  .result = { VM_R_JOB, NULL }, .flags = JOB, .fn = scrub_start },
	{ .name = "storage.balance_start", .cli = "balance-start",
	  .help = "Start a balance, by default of chunks at most 50% full (a job)",
	  .params = balance_params, .result = { VM_R_JOB, NULL }, .flags = JOB,
	  .fn = balance_start },
	{ .name = "storage.balance_status", .cli = "balance-status",
	  .help = "Balance progress from the kernel", .params = mp_params,
	  .result = { VM_R_OBJECT, balance_result }, .fn = balance_status },
	{ .name = "storage.defrag", .cli = "defrag", .help = "Recursive defragmentation (a job)",
	  .params = defrag_params, .result = { VM_R_JOB, NULL }, .flags = JOB, .fn = defrag },
	{ .name = "storage.resize_max", .cli = "resize-max",
	  .help = "Grow a filesystem to its devices' size, every btrfs device (a job)",
	  .params = resize_params, .result = { VM_R_JOB, NULL }, .flags = JOB, .fn = resize_max },
	{ 0 },
};

/* The daemon stops: the top level of the data filesystem it mounted for
 * itself goes too, so that nothing of a stopped daemon stays mounted
 * (lazily: a job still running on it keeps it until it lets go). */
static void ops_stop(void)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/mosdata", vm_cfg.run_dir);
	struct mount_table t;
	if (vmo_mounts(&t, NULL))
		return;
	bool mounted = mount_table_find(&t, path) != NULL;
	mount_table_free(&t);
	if (mounted && !mount_umount(path, MOUNT_UMOUNT_DETACH, NULL))
		rmdir(path);
}

const struct vm_module vm_mod_ops = { "ops", ops_methods, NULL, ops_stop };
