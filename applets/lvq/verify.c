/* verify.c - does each step of a plan already hold, and may the rest run?
 *
 * Pure functions of the facts gathered (gather.c), so that the unit tests
 * feed them recorded fullreport outputs, mountinfo and fstab texts.
 */
#include "lvq.h"

#include "exec.h"

#include "claim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

struct lvq_dev *lvq_facts_dev(const struct lvq_facts *f, const char *path)
{
	for (size_t i = 0; i < f->ndev; i++)
		if (!strcmp(f->dev[i].path, path))
			return &f->dev[i];
	return NULL;
}

void lvq_facts_free(struct lvq_facts *f)
{
	lvq_state_free(&f->st);
	mount_table_free(&f->mounts);
	fstab_free(&f->fstab);
	free(f->swaps);
	free(f->dev);
	free(f->dirs);
	free(f->files);
	free(f->missing);
	memset(f, 0, sizeof(*f));
}

/* The PV LVM reports for a device, by the name given or its real path. */
static const struct lvq_pv *pv_of(const struct lvq_facts *f, const char *dev)
{
	const struct lvq_pv *pv = lvq_state_pv(&f->st, dev);
	const struct lvq_dev *d = lvq_facts_dev(f, dev);
	if (!pv && d && d->canon[0])
		pv = lvq_state_pv(&f->st, d->canon);
	return pv;
}

static bool dir_exists(const struct lvq_facts *f, const char *path)
{
	for (size_t i = 0; i < f->ndirs; i++)
		if (!strcmp(f->dirs[i], path))
			return true;
	return false;
}

static bool file_exists(const struct lvq_facts *f, const char *path)
{
	for (size_t i = 0; i < f->nfiles; i++)
		if (!strcmp(f->files[i], path))
			return true;
	return false;
}

/* Does the VG exist with every LV of it active (a device node each)? */
static bool vg_active(const struct lvq_facts *f, const char *vg)
{
	if (!lvq_state_vg(&f->st, vg))
		return false;
	for (size_t i = 0; i < f->st.nlv; i++) {
		char path[2 * LVQ_NAME + 8];
		snprintf(path, sizeof(path), "/dev/%s/%s", f->st.lv[i].vg, f->st.lv[i].name);
		const struct lvq_dev *d = lvq_facts_dev(f, path);
		if (!strcmp(f->st.lv[i].vg, vg) && (!d || !d->exists))
			return false;
	}
	return true;
}

static void rooted(const struct lvq_plan *p, const char *path, char *out, size_t len)
{
	snprintf(out, len, "%s%s", p->root, path);
}

bool lvq_mount_is(const struct mount_entry *m, const char *vg, const char *lv,
		  const struct lvq_dev *d)
{
	char path[2 * LVQ_NAME + 16], mapper[2 * LVQ_NAME + 16];
	snprintf(path, sizeof(path), "/dev/%s/%s", vg, lv);
	snprintf(mapper, sizeof(mapper), "/dev/mapper/%s-%s", vg, lv);
	if (d && d->exists && d->rdev && makedev(m->major, m->minor) == d->rdev)
		return true;
	return !strcmp(m->source, path) || !strcmp(m->source, mapper) ||
	       (d && d->canon[0] && !strcmp(m->source, d->canon));
}

static bool mounts_dev(const struct mount_entry *m, const struct lvq_step *s,
		       const struct lvq_dev *d)
{
	return lvq_mount_is(m, s->vg, s->lv, d);
}

static const struct mount_entry *mounted_at(const struct lvq_facts *f, const char *target)
{
	return mount_table_find(&f->mounts, target);
}

static bool swapped(const struct lvq_facts *f, const struct lvq_dev *d)
{
	for (size_t i = 0; d && d->exists && i < f->nswaps; i++)
		if (f->swaps[i] == d->rdev)
			return true;
	return false;
}

static bool vg_holds(const struct lvq_step *s, const struct lvq_facts *f)
{
	const struct lvq_vg *vg = lvq_state_vg(&f->st, s->vg);
	if (!vg || vg->extent_size != s->pe_size)
		return false;
	unsigned n = 0;
	for (const char *d = s->spec; *d; n++) {
		char dev[LVQ_PATH];
		size_t l = strcspn(d, ":");
		snprintf(dev, sizeof(dev), "%.*s", (int)l, d);
		const struct lvq_pv *pv = pv_of(f, dev);
		if (!pv || strcmp(pv->vg, s->vg))
			return false;
		d += l + (d[l] == ':');
	}
	return vg->pv_count == n;
}

static bool fstab_holds(const struct lvq_step *s, const struct lvq_facts *f)
{
	const struct lvq_dev *d = lvq_facts_dev(f, s->dev);
	char spec[80];
	if (s->spec[0]) /* a line put back as it was */
		return fstab_find(&f->fstab, s->spec, strcmp(s->fs, "swap") ? s->mount : NULL) >= 0;
	if (!d || !d->uuid[0])
		return false;
	snprintf(spec, sizeof(spec), "UUID=%s", d->uuid);
	return fstab_find(&f->fstab, spec, strcmp(s->fs, "swap") ? s->mount : NULL) >= 0;
}

bool lvq_step_holds(const struct lvq_plan *p, size_t i, const struct lvq_facts *f)
{
	const struct lvq_step *s = &p->step[i];
	const struct lvq_dev *d = lvq_facts_dev(f, s->dev);
	const struct lvq_lv *lv = lvq_state_lv(&f->st, s->vg, s->lv);
	const struct mount_entry *m;
	char path[2 * LVQ_PATH];
	rooted(p, s->mount, path, sizeof(path));
	switch (s->kind) {
	case LVQ_PVCREATE:
		return pv_of(f, s->dev) != NULL;
	case LVQ_VGCREATE:
		return vg_holds(s, f);
	case LVQ_LVCREATE:
		return lv && lv->size / s->pe_size == s->extents && lv->size % s->pe_size == 0;
	case LVQ_MKFS:
		return lv && d && d->exists && !strcmp(d->fstype, s->fs);
	case LVQ_MKDIR:
		return dir_exists(f, path);
	case LVQ_RMDIR:
		return !dir_exists(f, path);
	case LVQ_MOUNT:
		m = mounted_at(f, path);
		return lv && m && mounts_dev(m, s, d);
	case LVQ_UMOUNT:
		m = mounted_at(f, path);
		return !m || !mounts_dev(m, s, d);
	case LVQ_FSTAB_ADD:
		return lv && fstab_holds(s, f);
	case LVQ_FSTAB_REMOVE:
		return fstab_find(&f->fstab, s->spec, strcmp(s->mount, "none") &&
				  strcmp(s->mount, "swap") ? s->mount : NULL) < 0;
	case LVQ_SWAPON:
		return lv && swapped(f, d);
	case LVQ_SWAPOFF:
		return !lv || !swapped(f, d);
	case LVQ_LVREMOVE:
		return !lv;
	case LVQ_VGREMOVE:
		return !lvq_state_vg(&f->st, s->vg);
	case LVQ_PVREMOVE:
		return !pv_of(f, s->dev);
	case LVQ_VGCFGBACKUP:
		return file_exists(f, s->spec);
	case LVQ_PVRESTORE:
		return pv_of(f, s->dev) && !strcmp(pv_of(f, s->dev)->uuid, s->uuid);
	case LVQ_VGCFGRESTORE:
		return lvq_state_vg(&f->st, s->vg) && !strcmp(lvq_state_vg(&f->st, s->vg)->uuid, s->uuid);
	case LVQ_ACTIVATE:
		return vg_active(f, s->vg);
	case LVQ_RELOAD:
		/* leaves no trace: it holds when everything before it does */
		for (size_t k = 0; k < i; k++)
			if (!lvq_step_holds(p, k, f))
				return false;
		return i > 0;
	default:
		return false;
	}
}

enum lvq_verdict lvq_classify(const struct lvq_plan *p, const struct lvq_facts *f, bool *done)
{
	size_t n = 0, telling = 0;
	bool all_before = true, others = false;
	for (size_t i = 0; i < p->n; i++) {
		/* a reload holds when all before it do: computed here in one pass */
		done[i] = p->step[i].kind == LVQ_RELOAD ? all_before && i > 0
							: lvq_step_holds(p, i, f);
		all_before = all_before && done[i];
		n += done[i];
		/* a mount point that exists already (/srv, /var/lib/mysql)
		 * says nothing of whether this plan ran before */
		telling += done[i] && p->step[i].kind != LVQ_MKDIR;
		others |= p->step[i].kind != LVQ_MKDIR;
	}
	if (p->n && n == p->n)
		return LVQ_ALL_DONE;
	return !n || (others && !telling) ? LVQ_CLEAN : LVQ_PARTIAL;
}

/* Does the target's fstab name this device (by path, real path or the
 * UUID of what is on it)? */
static bool in_fstab(const struct lvq_facts *f, const struct lvq_dev *d)
{
	char uuid[80];
	snprintf(uuid, sizeof(uuid), "UUID=%s", d->uuid);
	for (size_t i = 0; i < f->fstab.n; i++) {
		const struct fstab_line *l = &f->fstab.line[i];
		if (l->is_entry && (fstab_spec_eq(l->e.spec, d->path) ||
				    (d->canon[0] && fstab_spec_eq(l->e.spec, d->canon)) ||
				    (d->uuid[0] && fstab_spec_eq(l->e.spec, uuid))))
			return true;
	}
	return false;
}

#define PROB(...)                                                                  \
	do {                                                                       \
		if (n < max)                                                       \
			snprintf(probs[n], sizeof(probs[0]), __VA_ARGS__);        \
		n++;                                                               \
	} while (0)

static size_t pv_feasible(const struct lvq_step *s, bool force, const struct lvq_facts *f,
			  char probs[][256], size_t max)
{
	size_t n = 0;
	const struct lvq_dev *d = lvq_facts_dev(f, s->dev);
	if (!d || !d->exists) {
		PROB("%s: no such device", s->dev);
		return n;
	}
	const struct lvq_pv *pv = pv_of(f, s->dev);
	if (pv && pv->vg[0])
		PROB("%s: already a PV of VG %s", s->dev, pv->vg);
	if (d->claim == CLAIM_BUSY)
		PROB("%s: in use: %s", s->dev, d->claim_why);
	else if (d->fstype[0] && in_fstab(f, d))
		PROB("%s: holds a %s signature named in the target's fstab (never overwritten)",
		     s->dev, d->fstype);
	else if ((d->fstype[0] || d->claim == CLAIM_CONTENT) && !force)
		PROB("%s: %s (--force erases it)", s->dev,
		     d->claim_why[0] ? d->claim_why : "it holds a signature");
	return n;
}

/* A PV label put back where a decommission removed it: only on the
 * same device, unused, and blank, as pvremove left it. A signature
 * there means it was written to since: the VG's data is not what the
 * backup describes any more. */
static size_t restore_feasible(const struct lvq_step *s, const struct lvq_facts *f,
			       char probs[][256], size_t max)
{
	size_t n = 0;
	const struct lvq_dev *d = lvq_facts_dev(f, s->dev);
	if (!d || !d->exists)
		PROB("%s: no such device", s->dev);
	else if (d->claim == CLAIM_BUSY)
		PROB("%s: in use: %s", s->dev, d->claim_why);
	else if (d->fstype[0] || pv_of(f, s->dev))
		PROB("%s: written since the decommission (it holds %s): its PV is not put back",
		     s->dev, d->fstype[0] ? d->fstype : "a PV label");
	return n;
}

size_t lvq_feasible(const struct lvq_plan *p, bool force, const struct lvq_facts *f,
		    char probs[][256], size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct lvq_step *s = &p->step[i];
		char path[2 * LVQ_PATH];
		rooted(p, s->mount, path, sizeof(path));
		switch (s->kind) {
		case LVQ_PVCREATE:
			n += pv_feasible(s, force, f, n < max ? probs + n : probs, n < max ? max - n : 0);
			break;
		case LVQ_VGCREATE:
			if (lvq_state_vg(&f->st, s->vg))
				PROB("VG %s: the name is taken", s->vg);
			break;
		case LVQ_MKFS:
			for (size_t k = 0; k < f->nmissing; k++) {
				const char *tool = lvq_mkfs_tool(s->fs), *pkg;
				if (!tool || strcmp(tool, f->missing[k]))
					continue;
				pkg = tool_package(tool);
				PROB("%s: no %s can be made here: %s is not installed%s%s%s", s->dev,
				     s->fs, tool, pkg ? " (Debian package " : "", pkg ? pkg : "",
				     pkg ? ")" : "");
				break;
			}
			break;
		case LVQ_PVRESTORE:
			n += restore_feasible(s, f, n < max ? probs + n : probs, n < max ? max - n : 0);
			break;
		case LVQ_VGCFGRESTORE:
			if (!file_exists(f, s->spec))
				PROB("%s: the metadata backup is gone", s->spec);
			if (lvq_state_vg(&f->st, s->vg))
				PROB("VG %s: the name is taken again", s->vg);
			break;
		case LVQ_MOUNT:
			if (fstab_find_file(&f->fstab, s->mount) >= 0)
				PROB("%s: the target's fstab already mounts something there", s->mount);
			if (mounted_at(f, path))
				PROB("%s: something is mounted there", path);
			break;
		default:
			break;
		}
	}
	return n;
}
