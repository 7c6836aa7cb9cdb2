/* gather.c - the facts verify.c judges: one lvm fullreport, the devices
 * the plan names (libblkid, the claim check), mounts, swaps and the
 * target's fstab through core.
 */
#include "lvq.h"

#include "blkdev.h"
#include "claim.h"
#include "error.h"
#include "exec.h"
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int add_dev(struct lvq_facts *f, const char *path, bool claim, struct bb_error *e)
{
	struct lvq_dev *d = lvq_facts_dev(f, path);
	if (d)
		return 0;
	d = realloc(f->dev, (f->ndev + 1) * sizeof(*d));
	if (!d)
		return bb_error_set(e, ENOMEM, "out of memory");
	f->dev = d;
	d = &f->dev[f->ndev++];
	memset(d, 0, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "%s", path);
	struct stat st;
	if (stat(path, &st) || !S_ISBLK(st.st_mode))
		return 0;
	d->exists = true;
	d->rdev = st.st_rdev;
	char canon[PATH_MAX], sys[96];
	if (realpath(path, canon))
		snprintf(d->canon, sizeof(d->canon), "%s", canon);
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/partition", major(st.st_rdev),
		 minor(st.st_rdev));
	d->is_partition = access(sys, F_OK) == 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		blk_size_bytes(fd, &d->size);
		close(fd);
	}
	struct probe_info pi;
	if (!probe_path(path, &pi, NULL)) {
		snprintf(d->fstype, sizeof(d->fstype), "%s", pi.type[0] ? pi.type : pi.pttype);
		snprintf(d->uuid, sizeof(d->uuid), "%s", pi.uuid);
	}
	if (claim) {
		struct claim c;
		d->claim = claim_check(&sysroot_default, path, CLAIM_STRICT, &c);
		snprintf(d->claim_why, sizeof(d->claim_why), "%s", c.why);
	}
	return 0;
}

/* Note path in the list (dirs or files) when it exists as that type. */
static int add_existing(char (**list)[LVQ_PATH], size_t *n, const char *path, mode_t type,
			struct bb_error *e)
{
	struct stat st;
	if (stat(path, &st) || (st.st_mode & S_IFMT) != type)
		return 0;
	char (*l)[LVQ_PATH] = realloc(*list, (*n + 1) * sizeof(*l));
	if (!l)
		return bb_error_set(e, ENOMEM, "out of memory");
	*list = l;
	snprintf(l[(*n)++], LVQ_PATH, "%s", path);
	return 0;
}

static int add_dir(struct lvq_facts *f, const char *root, const char *path, struct bb_error *e)
{
	char full[2 * LVQ_PATH];
	snprintf(full, sizeof(full), "%s%s", root ? root : "", path);
	return add_existing(&f->dirs, &f->ndirs, full, S_IFDIR, e);
}

static int add_file(struct lvq_facts *f, const char *path, struct bb_error *e)
{
	return add_existing(&f->files, &f->nfiles, path, S_IFREG, e);
}

/* Is the mkfs of fs installed where lvq runs it (the PATH it gives its
 * tools)? Notes it in f->missing when not. */
static int check_mkfs(struct lvq_facts *f, const char *fs, struct bb_error *e)
{
	static const char *const dirs[] = { "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
	const char *tool = lvq_mkfs_tool(fs);
	char path[64], buf[64];
	if (!tool || !strcmp(tool, "blockbox"))
		return 0;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], tool);
		if (which(path, buf, sizeof(buf)))
			return 0;
	}
	for (size_t i = 0; i < f->nmissing; i++)
		if (!strcmp(f->missing[i], tool))
			return 0;
	char (*n)[32] = realloc(f->missing, (f->nmissing + 1) * sizeof(*n));
	if (!n)
		return bb_error_set(e, ENOMEM, "out of memory");
	f->missing = n;
	snprintf(f->missing[f->nmissing++], sizeof(*n), "%s", tool);
	return 0;
}

static int read_swaps(struct lvq_facts *f, struct bb_error *e)
{
	struct mount_swaps sw;
	if (mount_swaps_read(NULL, &sw, e))
		return -1;
	f->swaps = calloc(sw.n + 1, sizeof(*f->swaps));
	if (!f->swaps) {
		mount_swaps_free(&sw);
		return bb_error_set(e, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < sw.n; i++) {
		struct stat st;
		if (!stat(sw.path[i], &st) && S_ISBLK(st.st_mode))
			f->swaps[f->nswaps++] = st.st_rdev;
	}
	mount_swaps_free(&sw);
	return 0;
}

int lvq_gather(const char *root, const struct lvq_req *r, const struct lvq_plan *p,
	       struct lvq_facts *f, struct bb_error *e)
{
	char fstab[LVQ_PATH + 16];
	memset(f, 0, sizeof(*f));
	if (lvq_state_read(&f->st, e) || mount_table_read(NULL, &f->mounts, e) ||
	    read_swaps(f, e) || fstab_path(root, fstab, sizeof(fstab), e) ||
	    fstab_read(fstab, &f->fstab, e))
		goto fail;
	f->systemd = access("/run/systemd/system", F_OK) == 0;
	for (size_t i = 0; r && i < r->npv; i++)
		if (add_dev(f, r->pv[i], true, e))
			goto fail;
	for (size_t i = 0; r && i < r->nlv; i++) {
		char lv[2 * LVQ_NAME + 8];
		snprintf(lv, sizeof(lv), "/dev/%s/%s", r->vg, r->lv[i].name);
		if (add_dev(f, lv, false, e) || (r->lv[i].mount[0] && add_dir(f, root, r->lv[i].mount, e)) ||
		    check_mkfs(f, lvq_fs_name(r->lv[i].fs), e))
			goto fail;
	}
	for (size_t i = 0; p && i < p->n; i++) {
		const struct lvq_step *s = &p->step[i];
		bool pv = s->kind == LVQ_PVCREATE || s->kind == LVQ_PVREMOVE ||
			  s->kind == LVQ_PVRESTORE;
		bool backup = s->kind == LVQ_VGCFGBACKUP || s->kind == LVQ_VGCFGRESTORE;
		if ((s->dev[0] && add_dev(f, s->dev, pv, e)) ||
		    ((s->kind == LVQ_MKDIR || s->kind == LVQ_RMDIR) && add_dir(f, p->root, s->mount, e)) ||
		    (backup && add_file(f, s->spec, e)) || (s->kind == LVQ_MKFS && check_mkfs(f, s->fs, e)))
			goto fail;
	}
	/* every LV LVM knows, for decommission */
	for (size_t i = 0; i < f->st.nlv; i++) {
		char lv[2 * LVQ_NAME + 8];
		snprintf(lv, sizeof(lv), "/dev/%s/%s", f->st.lv[i].vg, f->st.lv[i].name);
		if (add_dev(f, lv, false, e))
			goto fail;
	}
	return 0;
fail:
	lvq_facts_free(f);
	return -1;
}
