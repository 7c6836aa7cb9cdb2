/* plan.c - the plan: numbered steps, each with the exact argv it runs,
 * built from the request and the state, hashed, and written and read
 * back as data (--json, plan --out, the journal).
 */
#include "lvq.h"

#include "error.h"
#include "checked.h"
#include "clock.h"
#include "hash.h"
#include "json.h"
#include "size.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

static const char *const kind_names[LVQ_KIND_COUNT] = {
	[LVQ_PVCREATE] = "pvcreate", [LVQ_VGCREATE] = "vgcreate", [LVQ_LVCREATE] = "lvcreate",
	[LVQ_MKFS] = "mkfs", [LVQ_MKDIR] = "mkdir", [LVQ_MOUNT] = "mount",
	[LVQ_FSTAB_ADD] = "fstab_add", [LVQ_SWAPON] = "swapon", [LVQ_RELOAD] = "daemon_reload",
	[LVQ_SWAPOFF] = "swapoff", [LVQ_UMOUNT] = "umount", [LVQ_FSTAB_REMOVE] = "fstab_remove",
	[LVQ_RMDIR] = "rmdir", [LVQ_LVREMOVE] = "lvremove", [LVQ_VGREMOVE] = "vgremove",
	[LVQ_PVREMOVE] = "pvremove", [LVQ_ACTIVATE] = "activate",
	[LVQ_VGCFGBACKUP] = "vgcfgbackup", [LVQ_PVRESTORE] = "pvrestore",
	[LVQ_VGCFGRESTORE] = "vgcfgrestore",
};

const char *lvq_kind_name(enum lvq_kind k)
{
	return (unsigned)k < LVQ_KIND_COUNT ? kind_names[k] : "?";
}

bool lvq_kind_internal(enum lvq_kind k)
{
	switch (k) {
	case LVQ_MKDIR: case LVQ_MOUNT: case LVQ_FSTAB_ADD: case LVQ_SWAPON: case LVQ_SWAPOFF:
	case LVQ_UMOUNT: case LVQ_FSTAB_REMOVE: case LVQ_RMDIR:
		return true;
	default:
		return false;
	}
}

/* ---- argv ------------------------------------------------------------------ */

struct args {
	struct lvq_step *s;
	bool overflow;
};

static void arg(struct args *a, const char *v)
{
	size_t l = strlen(v) + 1;
	if (a->overflow || a->s->args_len + l > sizeof(a->s->args) || a->s->argc >= LVQ_ARGV_MAX) {
		a->overflow = true;
		return;
	}
	memcpy(a->s->args + a->s->args_len, v, l);
	a->s->args_len += l;
	a->s->argc++;
}

static void argu(struct args *a, const char *fmt, unsigned long long v)
{
	char b[32];
	snprintf(b, sizeof(b), fmt, v);
	arg(a, b);
}

/* The mkfs argv of each filesystem. The LV is the plan's own (just made,
 * and lvcreate wiped any old signature), so forcing is safe, and it lets
 * `continue` redo a mkfs that was cut short. vfat and swap use blockbox's
 * own. */
static const struct {
	const char *fs;
	const char *argv[4];
} mkfs_table[] = {
	{ "xfs", { "mkfs.xfs", "-f", "-q" } },
	{ "ext4", { "mkfs.ext4", "-F", "-q" } },
	{ "btrfs", { "mkfs.btrfs", "-f", "-q" } },
	{ "vfat", { "blockbox", "mkfs.vfat", "--force" } },
	{ "swap", { "blockbox", "mkswap", "--force" } },
	{ "f2fs", { "mkfs.f2fs", "-f", "-q" } },
	{ "exfat", { "mkfs.exfat" } },
	{ "ntfs", { "mkfs.ntfs", "-F", "-Q" } },
};

const char *lvq_mkfs_tool(const char *fs)
{
	for (size_t i = 0; i < sizeof(mkfs_table) / sizeof(mkfs_table[0]); i++)
		if (!strcmp(mkfs_table[i].fs, fs))
			return mkfs_table[i].argv[0];
	return NULL;
}

static void mkfs_args(struct args *a, const char *fs, const char *dev)
{
	for (size_t i = 0; i < sizeof(mkfs_table) / sizeof(mkfs_table[0]); i++)
		if (!strcmp(mkfs_table[i].fs, fs)) {
			for (size_t k = 0; k < 4 && mkfs_table[i].argv[k]; k++)
				arg(a, mkfs_table[i].argv[k]);
			arg(a, dev);
			return;
		}
	a->overflow = true;
}

/* Each blank-separated word of s as an argument. */
static void words(struct args *a, const char *s)
{
	while (*s) {
		char b[LVQ_PATH];
		s += strspn(s, " ");
		size_t l = strcspn(s, " ");
		if (!l)
			break;
		snprintf(b, sizeof(b), "%.*s", (int)l, s);
		arg(a, b);
		s += l;
	}
}

/* path under root, as lvq mounts it */
static void arg_rooted(struct args *a, const char *root, const char *path)
{
	char b[2 * LVQ_PATH + 2];
	snprintf(b, sizeof(b), "%s%s", root && *root ? root : "", path);
	arg(a, b);
}

int lvq_step_build(const char *root, struct lvq_step *s, struct bb_error *e)
{
	struct args a = { s, false };
	char fstab[LVQ_PATH + 16];
	snprintf(fstab, sizeof(fstab), "%s/etc/fstab", root && *root ? root : "");
	s->args_len = 0;
	s->argc = 0;
	switch (s->kind) {
	case LVQ_PVCREATE:
		arg(&a, "lvm"), arg(&a, "pvcreate");
		if (s->force)
			arg(&a, "--yes");
		arg(&a, s->dev);
		break;
	case LVQ_VGCREATE:
		arg(&a, "lvm"), arg(&a, "vgcreate"), arg(&a, "-s");
		argu(&a, "%lluk", (unsigned long long)(s->pe_size >> 10));
		arg(&a, s->vg);
		/* the devices, colon-separated in spec (--pv never lets a
		 * colon into a device path) */
		for (const char *d = s->spec; *d;) {
			char b[LVQ_PATH];
			size_t l = strcspn(d, ":");
			snprintf(b, sizeof(b), "%.*s", (int)l, d);
			arg(&a, b);
			d += l + (d[l] == ':');
		}
		break;
	case LVQ_LVCREATE:
		arg(&a, "lvm"), arg(&a, "lvcreate"), arg(&a, "--yes"), arg(&a, "-n"), arg(&a, s->lv);
		arg(&a, "-l");
		argu(&a, "%llu", (unsigned long long)s->extents);
		arg(&a, s->vg);
		break;
	case LVQ_MKFS:
		mkfs_args(&a, s->fs, s->dev);
		break;
	case LVQ_MKDIR:
		arg(&a, "mkdir"), arg(&a, "-p"), arg_rooted(&a, root, s->mount);
		break;
	case LVQ_RMDIR:
		arg(&a, "rmdir"), arg_rooted(&a, root, s->mount);
		break;
	case LVQ_MOUNT:
		arg(&a, "mount"), arg(&a, "-t"), arg(&a, s->fs), arg(&a, s->dev);
		arg_rooted(&a, root, s->mount);
		break;
	case LVQ_UMOUNT:
		arg(&a, "umount"), arg_rooted(&a, root, s->mount);
		break;
	case LVQ_FSTAB_ADD:
		arg(&a, "fstab-add"), arg(&a, fstab);
		if (s->spec[0]) {
			/* a line put back as it was (rollback of a decommission):
			 * the spec must name what is on the device */
			arg(&a, s->spec), arg(&a, "on"), arg(&a, s->dev), arg(&a, s->mount);
			arg(&a, s->fs);
			words(&a, s->opts);
			break;
		}
		arg(&a, "UUID-of"), arg(&a, s->dev);
		arg(&a, s->mount), arg(&a, s->fs);
		if (!strcmp(s->fs, "swap"))
			arg(&a, "sw"), arg(&a, "0"), arg(&a, "0");
		else
			arg(&a, "defaults"), arg(&a, "0"), arg(&a, "2");
		break;
	case LVQ_FSTAB_REMOVE:
		arg(&a, "fstab-remove"), arg(&a, fstab), arg(&a, s->spec), arg(&a, s->mount);
		break;
	case LVQ_SWAPON:
		arg(&a, "swapon"), arg(&a, s->dev);
		break;
	case LVQ_SWAPOFF:
		arg(&a, "swapoff"), arg(&a, s->dev);
		break;
	case LVQ_RELOAD:
		arg(&a, "systemctl"), arg(&a, "daemon-reload");
		break;
	case LVQ_LVREMOVE:
		arg(&a, "lvm"), arg(&a, "lvremove"), arg(&a, "--yes");
		{
			char b[2 * LVQ_NAME + 2];
			snprintf(b, sizeof(b), "%s/%s", s->vg, s->lv);
			arg(&a, b);
		}
		break;
	case LVQ_VGREMOVE:
		arg(&a, "lvm"), arg(&a, "vgremove"), arg(&a, "--yes"), arg(&a, s->vg);
		break;
	case LVQ_PVREMOVE:
		arg(&a, "lvm"), arg(&a, "pvremove"), arg(&a, "--yes"), arg(&a, s->dev);
		break;
	case LVQ_ACTIVATE:
		arg(&a, "lvm"), arg(&a, "vgchange"), arg(&a, "-ay"), arg(&a, s->vg);
		break;
	case LVQ_VGCFGBACKUP:
		arg(&a, "lvm"), arg(&a, "vgcfgbackup"), arg(&a, "-f"), arg(&a, s->spec);
		arg(&a, s->vg);
		break;
	case LVQ_PVRESTORE:
		/* the label as it was: the same UUID, the data area where the
		 * backup's metadata puts it */
		arg(&a, "lvm"), arg(&a, "pvcreate"), arg(&a, "--uuid"), arg(&a, s->uuid);
		arg(&a, "--restorefile"), arg(&a, s->spec), arg(&a, s->dev);
		break;
	case LVQ_VGCFGRESTORE:
		arg(&a, "lvm"), arg(&a, "vgcfgrestore"), arg(&a, "-f"), arg(&a, s->spec);
		arg(&a, s->vg);
		break;
	default:
		return bb_error_set(e, EINVAL, "step of unknown kind %d", (int)s->kind);
	}
	if (a.overflow)
		return bb_error_set(e, E2BIG, "%s: the command line is too long or its filesystem "
				    "unknown", lvq_kind_name(s->kind));
	return 0;
}

unsigned lvq_step_argv(const struct lvq_step *s, const char *out[LVQ_ARGV_MAX + 1])
{
	unsigned n = 0;
	for (size_t off = 0; off < s->args_len && n < LVQ_ARGV_MAX; n++) {
		out[n] = s->args + off;
		off += strlen(s->args + off) + 1;
	}
	out[n] = NULL;
	return n;
}

char *lvq_step_text(const struct lvq_step *s, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = 0;
	for (size_t off = 0; off < s->args_len; off += strlen(s->args + off) + 1) {
		int n = snprintf(buf + o, len - o, "%s%s", o ? " " : "", s->args + off);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
	return buf;
}

struct lvq_step *lvq_plan_add(struct lvq_plan *p, enum lvq_kind k, struct bb_error *e)
{
	if (p->n >= LVQ_MAX_STEPS) {
		bb_error_set(e, E2BIG, "more than %d steps", LVQ_MAX_STEPS);
		return NULL;
	}
	struct lvq_step *n = realloc(p->step, (p->n + 1) * sizeof(*n));
	if (!n) {
		bb_error_set(e, ENOMEM, "plan: out of memory");
		return NULL;
	}
	p->step = n;
	memset(&n[p->n], 0, sizeof(*n));
	n[p->n].kind = k;
	return &n[p->n++];
}

void lvq_plan_warn(struct lvq_plan *p, const char *fmt, ...)
{
	if (p->nwarn >= sizeof(p->warn) / sizeof(p->warn[0]))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->warn[p->nwarn++], sizeof(p->warn[0]), fmt, ap);
	va_end(ap);
}

/* The hash covers what the plan does: its command, root and each step's
 * kind and argv (which the fields make). */
void lvq_plan_hash(struct lvq_plan *p)
{
	struct sha256 h;
	uint8_t d[32];
	sha256_init(&h);
	sha256_update(&h, p->command, strlen(p->command) + 1);
	sha256_update(&h, p->root, strlen(p->root) + 1);
	for (size_t i = 0; i < p->n; i++) {
		const char *k = lvq_kind_name(p->step[i].kind);
		sha256_update(&h, k, strlen(k) + 1);
		sha256_update(&h, p->step[i].args, p->step[i].args_len);
		sha256_update(&h, "\n", 1);
	}
	sha256_final(&h, d);
	hex(d, sizeof(d), p->hash);
}

int lvq_plan_finish(struct lvq_plan *p, bool reload, struct bb_error *e)
{
	/* systemd learns of changed fstab units; a target under --root is
	 * not the running system's business */
	if (reload && !*p->root) {
		struct lvq_step *s = lvq_plan_add(p, LVQ_RELOAD, e);
		if (!s || lvq_step_build(p->root, s, e))
			return -1;
	}
	lvq_plan_hash(p);
	return 0;
}

void lvq_plan_free(struct lvq_plan *p)
{
	free(p->step);
	p->step = NULL;
	p->n = 0;
}

/* ---- as data ----------------------------------------------------------------- */

void lvq_plan_json(const struct lvq_plan *p, struct jw *w)
{
	jw_obj(w);
	jw_kstr(w, "command", p->command);
	jw_kstr(w, "root", p->root);
	jw_kstr(w, "vg", p->vg);
	jw_kstr(w, "request_hash", p->request_hash);
	jw_kstr(w, "plan_hash", p->hash);
	jw_key(w, "warnings");
	jw_arr(w);
	for (size_t i = 0; i < p->nwarn; i++)
		jw_str(w, p->warn[i]);
	jw_arr_end(w);
	jw_key(w, "steps");
	jw_arr(w);
	for (size_t i = 0; i < p->n; i++) {
		const struct lvq_step *s = &p->step[i];
		const char *argv[LVQ_ARGV_MAX + 1];
		unsigned n = lvq_step_argv(s, argv);
		jw_obj(w);
		jw_ku64(w, "n", i + 1);
		jw_kstr(w, "kind", lvq_kind_name(s->kind));
		jw_kbool(w, "internal", lvq_kind_internal(s->kind));
		jw_key(w, "argv");
		jw_arr(w);
		for (unsigned k = 0; k < n; k++)
			jw_str(w, argv[k]);
		jw_arr_end(w);
		jw_kstr(w, "dev", s->dev);
		jw_kstr(w, "vg", s->vg);
		jw_kstr(w, "lv", s->lv);
		jw_kstr(w, "fs", s->fs);
		jw_kstr(w, "mount", s->mount);
		jw_kstr(w, "spec", s->spec);
		/* only where used, so that plans written before they were
		 * read back the same */
		if (s->opts[0])
			jw_kstr(w, "opts", s->opts);
		if (s->uuid[0])
			jw_kstr(w, "uuid", s->uuid);
		jw_ku64(w, "extents", s->extents);
		jw_ku64(w, "pe_size", s->pe_size);
		jw_kbool(w, "force", s->force);
		jw_kbool(w, "pct", s->pct);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static int jstr(const struct json *o, const char *key, char *buf, size_t len, struct bb_error *e)
{
	const struct json *j = json_get(o, key);
	if (!j || j->type != JSON_STRING || j->str.len >= len || memchr(j->str.s, 0, j->str.len))
		return bb_error_set(e, EINVAL, "plan: \"%s\" is missing, not a string or too long",
				    key);
	memcpy(buf, j->str.s, j->str.len + 1);
	return 0;
}

static int jnum(const struct json *o, const char *key, uint64_t *v, struct bb_error *e)
{
	if (!json_u64(json_get(o, key), v))
		return bb_error_set(e, EINVAL, "plan: \"%s\" is missing or not a number", key);
	return 0;
}

static int jflag(const struct json *o, const char *key, bool *v, struct bb_error *e)
{
	if (!json_bool(json_get(o, key), v))
		return bb_error_set(e, EINVAL, "plan: \"%s\" is missing or not true/false", key);
	return 0;
}

static int step_from_json(const struct json *o, const char *root, struct lvq_plan *p,
			  struct bb_error *e)
{
	char kind[32];
	if (jstr(o, "kind", kind, sizeof(kind), e))
		return -1;
	int k = 0;
	while (k < LVQ_KIND_COUNT && strcmp(kind_names[k], kind))
		k++;
	if (k == LVQ_KIND_COUNT)
		return bb_error_set(e, EINVAL, "plan: unknown step kind \"%s\"", kind);
	struct lvq_step *s = lvq_plan_add(p, (enum lvq_kind)k, e);
	if (!s || jstr(o, "dev", s->dev, sizeof(s->dev), e) ||
	    jstr(o, "vg", s->vg, sizeof(s->vg), e) || jstr(o, "lv", s->lv, sizeof(s->lv), e) ||
	    jstr(o, "fs", s->fs, sizeof(s->fs), e) ||
	    jstr(o, "mount", s->mount, sizeof(s->mount), e) ||
	    jstr(o, "spec", s->spec, sizeof(s->spec), e) ||
	    jnum(o, "extents", &s->extents, e) || jnum(o, "pe_size", &s->pe_size, e) ||
	    jflag(o, "force", &s->force, e) || jflag(o, "pct", &s->pct, e) ||
	    (json_get(o, "opts") && jstr(o, "opts", s->opts, sizeof(s->opts), e)) ||
	    (json_get(o, "uuid") && jstr(o, "uuid", s->uuid, sizeof(s->uuid), e)) ||
	    lvq_step_build(root, s, e))
		return -1;
	/* the argv recorded must be the one the fields make */
	const struct json *av = json_get(o, "argv");
	const char *argv[LVQ_ARGV_MAX + 1];
	unsigned n = lvq_step_argv(s, argv);
	if (!av || av->type != JSON_ARRAY || av->arr.n != n)
		return bb_error_set(e, EINVAL, "plan: step %zu: argv differs from its fields", p->n);
	for (unsigned i = 0; i < n; i++) {
		const char *a = json_string(&av->arr.v[i]);
		if (!a || strlen(a) != av->arr.v[i].str.len || strcmp(a, argv[i]))
			return bb_error_set(e, EINVAL, "plan: step %zu: argv differs from its fields",
					    p->n);
	}
	return 0;
}

int lvq_plan_from_json(const struct json *j, struct lvq_plan *p, struct bb_error *e)
{
	char hash[65];
	memset(p, 0, sizeof(*p));
	if (!j || j->type != JSON_OBJECT)
		return bb_error_set(e, EINVAL, "plan: not an object");
	if (jstr(j, "command", p->command, sizeof(p->command), e) ||
	    jstr(j, "root", p->root, sizeof(p->root), e) || jstr(j, "vg", p->vg, sizeof(p->vg), e) ||
	    jstr(j, "request_hash", p->request_hash, sizeof(p->request_hash), e) ||
	    jstr(j, "plan_hash", hash, sizeof(hash), e))
		goto fail;
	if (strcmp(p->command, "provision") && strcmp(p->command, "decommission") &&
	    strcmp(p->command, "rollback")) {
		bb_error_set(e, EINVAL, "plan: unknown command \"%s\"", p->command);
		goto fail;
	}
	const struct json *w = json_get(j, "warnings");
	for (size_t i = 0; w && w->type == JSON_ARRAY && i < w->arr.n; i++) {
		const char *s = json_string(&w->arr.v[i]);
		if (s)
			lvq_plan_warn(p, "%s", s);
	}
	const struct json *st = json_get(j, "steps");
	if (!st || st->type != JSON_ARRAY) {
		bb_error_set(e, EINVAL, "plan: no \"steps\" list");
		goto fail;
	}
	for (size_t i = 0; i < st->arr.n; i++)
		if (step_from_json(&st->arr.v[i], p->root, p, e))
			goto fail;
	lvq_plan_hash(p);
	if (strcmp(hash, p->hash)) {
		bb_error_set(e, EINVAL, "plan: its hash does not match its steps (changed since "
			     "it was written?)");
		goto fail;
	}
	return 0;
fail:
	lvq_plan_free(p);
	return -1;
}

/* ---- provision ---------------------------------------------------------------- */

void lvq_req_hash(const struct lvq_req *r, const char *root, char out[65])
{
	struct sha256 h;
	uint8_t d[32];
	char b[LVQ_PATH + 256];
	sha256_init(&h);
	int n = snprintf(b, sizeof(b), "vg %s %llu\nroot %s\n", r->vg,
			 (unsigned long long)r->pe_size, root ? root : "");
	sha256_update(&h, b, (size_t)n);
	for (size_t i = 0; i < r->npv; i++) {
		n = snprintf(b, sizeof(b), "pv %s\n", r->pv[i]);
		sha256_update(&h, b, (size_t)n);
	}
	for (size_t i = 0; i < r->nlv; i++) {
		char sz[64];
		const struct lvq_lv_req *l = &r->lv[i];
		n = snprintf(b, sizeof(b), "lv %s %s %s %s\n", l->name,
			     lvq_size_fmt(&l->size, sz, sizeof(sz)), lvq_fs_name(l->fs), l->mount);
		sha256_update(&h, b, (size_t)n);
	}
	sha256_final(&h, d);
	hex(d, sizeof(d), out);
}

/* Extents a device gives as a PV of extent size pe: what LVM says when it
 * is one already, else what pvcreate will make of it (the first extent
 * at 1 MiB). */
static uint64_t pv_extents(const struct lvq_facts *f, const char *dev, uint64_t pe)
{
	const struct lvq_dev *d = lvq_facts_dev(f, dev);
	const struct lvq_pv *pv = lvq_state_pv(&f->st, dev);
	if (pv && pv->pe_count)
		return pv->pe_count;
	uint64_t size = pv && pv->size ? pv->size : d ? d->size : 0;
	uint64_t start = pv && pv->pe_start ? pv->pe_start : LVQ_PE_START;
	return size > start ? (size - start) / pe : 0;
}

static const char *lv_path(const char *vg, const char *lv, char *buf, size_t len)
{
	snprintf(buf, len, "/dev/%s/%s", vg, lv);
	return buf;
}

static int lv_steps(const struct lvq_req *r, const struct lvq_lv_req *l, uint64_t ext,
		    bool pct, const char *root, bool swapon, struct lvq_plan *p,
		    struct bb_error *e)
{
	char dev[LVQ_PATH];
	lv_path(r->vg, l->name, dev, sizeof(dev));
	struct lvq_step *s = lvq_plan_add(p, LVQ_LVCREATE, e);
	if (!s)
		return -1;
	snprintf(s->vg, sizeof(s->vg), "%s", r->vg);
	snprintf(s->lv, sizeof(s->lv), "%s", l->name);
	snprintf(s->dev, sizeof(s->dev), "%s", dev);
	s->extents = ext;
	s->pe_size = r->pe_size;
	s->pct = pct;
	if (lvq_step_build(root, s, e))
		return -1;
	if (l->fs == LVQ_FS_NONE)
		return 0;
	static const enum lvq_kind fs_steps[] = { LVQ_MKFS, LVQ_MKDIR, LVQ_MOUNT, LVQ_FSTAB_ADD };
	static const enum lvq_kind swap_steps[] = { LVQ_MKFS, LVQ_SWAPON, LVQ_FSTAB_ADD };
	bool swap = l->fs == LVQ_FS_SWAP;
	size_t n = swap ? 3 : l->mount[0] ? 4 : 1;
	for (size_t i = 0; i < n; i++) {
		enum lvq_kind k = swap ? swap_steps[i] : fs_steps[i];
		if (k == LVQ_SWAPON && !swapon)
			continue;
		s = lvq_plan_add(p, k, e);
		if (!s)
			return -1;
		snprintf(s->vg, sizeof(s->vg), "%s", r->vg);
		snprintf(s->lv, sizeof(s->lv), "%s", l->name);
		snprintf(s->dev, sizeof(s->dev), "%s", dev);
		snprintf(s->fs, sizeof(s->fs), "%s", lvq_fs_name(l->fs));
		snprintf(s->mount, sizeof(s->mount), "%s", swap ? "none" : l->mount);
		if (lvq_step_build(root, s, e))
			return -1;
	}
	return 0;
}

/* The extents of each LV, percentages resolved in order against what is
 * left, or taken from an earlier run of the same request. */
static int resolve(const struct lvq_req *r, const struct lvq_facts *f,
		   const struct lvq_resolved *res, uint64_t *ext, bool *pct, struct bb_error *e)
{
	const struct lvq_vg *vg = lvq_state_vg(&f->st, r->vg);
	uint64_t total = 0, used = 0;
	if (vg && vg->extent_size == r->pe_size)
		total = vg->extent_count;
	else
		for (size_t i = 0; i < r->npv; i++)
			total += pv_extents(f, r->pv[i], r->pe_size);
	for (size_t i = 0; i < r->nlv; i++) {
		const struct lvq_lv_req *l = &r->lv[i];
		const char *why;
		pct[i] = l->size.kind >= LVQ_SZ_PCT_FREE;
		size_t k = 0;
		while (pct[i] && res && k < res->n && strcmp(res->lv[k], l->name))
			k++;
		if (pct[i] && res && k < res->n)
			ext[i] = res->extents[k];
		else if (lvq_size_extents(&l->size, r->pe_size, total > used ? total - used : 0,
					  total, total, &ext[i], &why))
			return bb_error_set(e, ENOSPC, "--lv %s: %s", l->name, why);
		if (add_overflow_u64(used, ext[i], &used))
			return bb_error_set(e, EOVERFLOW, "--lv %s: too large", l->name);
	}
	if (used > total) {
		char a[32], b[32];
		return bb_error_set(e, ENOSPC, "the volumes need %llu extents of %s, the PVs give "
				    "%llu (%s) after LVM's metadata",
				    (unsigned long long)used, fmt_size(r->pe_size, a, sizeof(a)),
				    (unsigned long long)total,
				    fmt_size(total * r->pe_size, b, sizeof(b)));
	}
	return 0;
}

static void plan_init(struct lvq_plan *p, const char *command, const char *root, const char *vg)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->command, sizeof(p->command), "%s", command);
	snprintf(p->root, sizeof(p->root), "%s", root ? root : "");
	snprintf(p->vg, sizeof(p->vg), "%s", vg);
}

int lvq_plan_provision(const struct lvq_req *r, const char *root, bool force,
		       const struct lvq_facts *f, const struct lvq_resolved *res,
		       struct lvq_plan *p, struct bb_error *e)
{
	uint64_t ext[LVQ_MAX_LV];
	bool pct[LVQ_MAX_LV];
	bool rooted = root && *root;
	plan_init(p, "provision", root, r->vg);
	lvq_req_hash(r, root, p->request_hash);
	if (resolve(r, f, res, ext, pct, e))
		return -1;
	struct lvq_step *s;
	for (size_t i = 0; i < r->npv; i++) {
		const struct lvq_dev *d = lvq_facts_dev(f, r->pv[i]);
		if (d && d->exists && !d->is_partition)
			lvq_plan_warn(p, "%s is a whole disk (not a partition)", r->pv[i]);
		if (d && d->fstype[0] && strcmp(d->fstype, "LVM2_member") && force)
			lvq_plan_warn(p, "%s holds a %s signature: pvcreate will erase it (--force)",
				      r->pv[i], d->fstype);
		if (!(s = lvq_plan_add(p, LVQ_PVCREATE, e)))
			goto fail;
		snprintf(s->dev, sizeof(s->dev), "%s", r->pv[i]);
		s->force = force && d && d->fstype[0];
		if (lvq_step_build(root, s, e))
			goto fail;
	}
	if (!(s = lvq_plan_add(p, LVQ_VGCREATE, e)))
		goto fail;
	snprintf(s->vg, sizeof(s->vg), "%s", r->vg);
	s->pe_size = r->pe_size;
	for (size_t i = 0, o = 0; i < r->npv; i++) {
		int n = snprintf(s->spec + o, sizeof(s->spec) - o, "%s%s", i ? ":" : "", r->pv[i]);
		if (n < 0 || (size_t)n >= sizeof(s->spec) - o) {
			bb_error_set(e, E2BIG, "vgcreate: too many devices");
			goto fail;
		}
		o += (size_t)n;
	}
	if (lvq_step_build(root, s, e))
		goto fail;
	/* swap of the target system is the target's to turn on */
	for (size_t i = 0; i < r->nlv; i++)
		if (lv_steps(r, &r->lv[i], ext[i], pct[i], root, !rooted, p, e))
			goto fail;
	if (lvq_plan_finish(p, f->systemd, e))
		goto fail;
	return 0;
fail:
	lvq_plan_free(p);
	return -1;
}

/* ---- decommission ----------------------------------------------------------- */

static struct lvq_step *lv_step(struct lvq_plan *p, enum lvq_kind k, const struct lvq_lv *lv,
				struct bb_error *e)
{
	struct lvq_step *s = lvq_plan_add(p, k, e);
	if (!s)
		return NULL;
	snprintf(s->vg, sizeof(s->vg), "%s", lv->vg);
	snprintf(s->lv, sizeof(s->lv), "%s", lv->name);
	lv_path(lv->vg, lv->name, s->dev, sizeof(s->dev));
	return s;
}

/* What of the LV is in use: swap, mounts (under the root), fstab lines. */
static int lv_release(const struct lvq_lv *lv, const struct lvq_facts *f, struct lvq_plan *p,
		      struct bb_error *e)
{
	char dev[LVQ_PATH];
	lv_path(lv->vg, lv->name, dev, sizeof(dev));
	const struct lvq_dev *d = lvq_facts_dev(f, dev);
	struct lvq_step *s;
	size_t rl = strlen(p->root);
	for (size_t i = 0; d && d->exists && i < f->nswaps; i++)
		if (f->swaps[i] == d->rdev) {
			if (!(s = lv_step(p, LVQ_SWAPOFF, lv, e)) || lvq_step_build(p->root, s, e))
				return -1;
		}
	for (size_t i = f->mounts.n; i-- > 0;) {
		const struct mount_entry *m = &f->mounts.m[i];
		if (!lvq_mount_is(m, lv->vg, lv->name, d))
			continue;
		if (rl && (strncmp(m->target, p->root, rl) || (m->target[rl] && m->target[rl] != '/')))
			return bb_error_set(e, EBUSY, "%s is mounted on %s, outside %s", dev, m->target,
					    p->root);
		if (!(s = lv_step(p, LVQ_UMOUNT, lv, e)))
			return -1;
		snprintf(s->mount, sizeof(s->mount), "%s", m->target[rl] ? m->target + rl : "/");
		snprintf(s->fs, sizeof(s->fs), "%s", m->fstype); /* for a rollback's mount */
		if (lvq_step_build(p->root, s, e))
			return -1;
	}
	char uuid_spec[80], mapper[2 * LVQ_NAME + 16];
	snprintf(uuid_spec, sizeof(uuid_spec), "UUID=%s", d ? d->uuid : "");
	snprintf(mapper, sizeof(mapper), "/dev/mapper/%s-%s", lv->vg, lv->name);
	for (size_t i = 0; i < f->fstab.n; i++) {
		const struct fstab_line *l = &f->fstab.line[i];
		if (!l->is_entry)
			continue;
		bool mine = fstab_spec_eq(l->e.spec, dev) || fstab_spec_eq(l->e.spec, mapper) ||
			    (d && d->uuid[0] && fstab_spec_eq(l->e.spec, uuid_spec));
		if (!mine)
			continue;
		if (!(s = lv_step(p, LVQ_FSTAB_REMOVE, lv, e)))
			return -1;
		snprintf(s->spec, sizeof(s->spec), "%s", l->e.spec);
		snprintf(s->mount, sizeof(s->mount), "%s", l->e.file);
		/* the rest of the line, so that a rollback writes it back as it was */
		snprintf(s->fs, sizeof(s->fs), "%s", l->e.type);
		snprintf(s->opts, sizeof(s->opts), "%s %u %u", l->e.opts, l->e.freq, l->e.passno);
		if (lvq_step_build(p->root, s, e))
			return -1;
	}
	return 0;
}

int lvq_plan_decommission(const char *vg, const char *root, const char *backups,
			  const struct lvq_facts *f, struct lvq_plan *p, struct bb_error *e)
{
	plan_init(p, "decommission", root, vg);
	const struct lvq_vg *v = lvq_state_vg(&f->st, vg);
	if (!v)
		return bb_error_set(e, ENOENT, "VG %s: LVM does not know it", vg);
	/* first the metadata as it is, for a rollback: a file of this VG
	 * (by its UUID) and this plan (by the time it was made) */
	struct lvq_step *s = lvq_plan_add(p, LVQ_VGCFGBACKUP, e);
	if (!s)
		goto fail;
	snprintf(s->vg, sizeof(s->vg), "%s", vg);
	snprintf(s->uuid, sizeof(s->uuid), "%s", v->uuid);
	snprintf(s->spec, sizeof(s->spec), "%s/%s-%s-%llu.vg", backups, vg, v->uuid,
		 (unsigned long long)(clock_wall_ns() / 1000000000u));
	if (lvq_step_build(root, s, e))
		goto fail;
	for (size_t i = 0; i < f->st.nlv; i++)
		if (!strcmp(f->st.lv[i].vg, vg) && lv_release(&f->st.lv[i], f, p, e))
			goto fail;
	for (size_t i = 0; i < f->st.nlv; i++)
		if (!strcmp(f->st.lv[i].vg, vg) &&
		    (!(s = lv_step(p, LVQ_LVREMOVE, &f->st.lv[i], e)) || lvq_step_build(root, s, e)))
			goto fail;
	if (!(s = lvq_plan_add(p, LVQ_VGREMOVE, e)))
		goto fail;
	snprintf(s->vg, sizeof(s->vg), "%s", vg);
	if (lvq_step_build(root, s, e))
		goto fail;
	for (size_t i = 0; i < f->st.npv; i++) {
		if (strcmp(f->st.pv[i].vg, vg))
			continue;
		if (!(s = lvq_plan_add(p, LVQ_PVREMOVE, e)))
			goto fail;
		snprintf(s->dev, sizeof(s->dev), "%s", f->st.pv[i].name);
		snprintf(s->uuid, sizeof(s->uuid), "%s", f->st.pv[i].uuid);
		if (lvq_step_build(root, s, e))
			goto fail;
	}
	if (lvq_plan_finish(p, f->systemd, e))
		goto fail;
	return 0;
fail:
	lvq_plan_free(p);
	return -1;
}

/* ---- the way back ------------------------------------------------------------ */

static struct lvq_step *undo(struct lvq_plan *u, enum lvq_kind k, const struct lvq_step *s,
			     struct bb_error *e)
{
	struct lvq_step *n = lvq_plan_add(u, k, e);
	if (!n)
		return NULL;
	snprintf(n->dev, sizeof(n->dev), "%s", s->dev);
	snprintf(n->vg, sizeof(n->vg), "%s", s->vg);
	snprintf(n->lv, sizeof(n->lv), "%s", s->lv);
	snprintf(n->fs, sizeof(n->fs), "%s", s->fs);
	snprintf(n->mount, sizeof(n->mount), "%s", s->mount);
	return n;
}

/* Did step i of t change the system? (Held before it, or never ran: no.) */
static bool ran(const struct lvq_txn *t, size_t i)
{
	return t->ok[i] == 1 || (long)i == t->last_started;
}

static int undo_provision(const struct lvq_txn *t, struct lvq_plan *u, bool *reload,
			  struct bb_error *e)
{
	const struct lvq_plan *p = t->plan;
	bool vg_made = false;
	for (size_t i = p->n; i-- > 0;) {
		const struct lvq_step *s = &p->step[i];
		struct lvq_step *n = NULL;
		if (!ran(t, i))
			continue;
		switch (s->kind) {
		case LVQ_PVCREATE: n = undo(u, LVQ_PVREMOVE, s, e); break;
		case LVQ_VGCREATE: n = undo(u, LVQ_VGREMOVE, s, e); vg_made = true; break;
		case LVQ_LVCREATE: n = undo(u, LVQ_LVREMOVE, s, e); break;
		case LVQ_MKDIR: n = undo(u, LVQ_RMDIR, s, e); break;
		case LVQ_MOUNT: n = undo(u, LVQ_UMOUNT, s, e); break;
		case LVQ_SWAPON: n = undo(u, LVQ_SWAPOFF, s, e); break;
		case LVQ_RELOAD: *reload = true; continue;
		case LVQ_MKFS:
			lvq_plan_warn(u, "cannot be undone: the %s made on %s (the LV was new to "
				      "this transaction, so nothing older on it is lost)", s->fs, s->dev);
			continue;
		case LVQ_FSTAB_ADD:
			if (!t->uuid[i][0]) {
				lvq_plan_warn(u, "step %zu (fstab for %s) recorded no UUID: its line, "
					      "if any, stays", i + 1, s->dev);
				continue;
			}
			n = undo(u, LVQ_FSTAB_REMOVE, s, e);
			if (n)
				snprintf(n->spec, sizeof(n->spec), "UUID=%s", t->uuid[i]);
			break;
		default:
			return bb_error_set(e, EINVAL, "a provision's %s cannot be rolled back",
					    lvq_kind_name(s->kind));
		}
		if (!n || lvq_step_build(u->root, n, e))
			return -1;
	}
	/* provision makes a VG only where none was: no metadata of it
	 * predates the transaction, so there is nothing for vgcfgrestore */
	if (vg_made)
		lvq_plan_warn(u, "VG %s did not exist before transaction %s: it is removed (no "
			      "metadata of it predates the transaction for vgcfgrestore)", p->vg,
			      t->id);
	return 0;
}

/* The VG's metadata backup a decommission took before it changed
 * anything, or NULL with e saying why there is none. */
static const struct lvq_step *backup_of(const struct lvq_txn *t, struct bb_error *e)
{
	const struct lvq_plan *p = t->plan;
	bool removed_lv = false, removed_vg = false;
	const struct lvq_step *b = NULL;
	for (size_t i = 0; i < p->n; i++) {
		if (p->step[i].kind == LVQ_VGCFGBACKUP && t->ok[i] == 1)
			b = &p->step[i];
		removed_lv |= p->step[i].kind == LVQ_LVREMOVE && ran(t, i);
		removed_vg |= p->step[i].kind == LVQ_VGREMOVE && ran(t, i);
	}
	if (!b && (removed_lv || removed_vg)) {
		bb_error_set(e, ENOENT, "transaction %s removed LVs but journaled no metadata "
			     "backup taken before (vgcfgbackup): its VG cannot be restored", t->id);
		return NULL;
	}
	/* vgcfgrestore rewrites the metadata of a VG whose LVs are inactive
	 * or gone; one stopped between its lvremoves has others active */
	if (removed_lv && !removed_vg) {
		bb_error_set(e, EBUSY, "transaction %s stopped between removing LVs and the VG: "
			     "`lvq continue` finishes it, then `lvq rollback` restores the VG", t->id);
		return NULL;
	}
	return b;
}

static int undo_decommission(const struct lvq_txn *t, struct lvq_plan *u, bool *reload,
			     struct bb_error *e)
{
	const struct lvq_plan *p = t->plan;
	const struct lvq_step *b = backup_of(t, e);
	if (!b && bb_error_is_set(e))
		return -1;
	for (size_t i = p->n; i-- > 0;) {
		const struct lvq_step *s = &p->step[i];
		struct lvq_step *n = NULL, *act = NULL;
		if (!ran(t, i))
			continue;
		switch (s->kind) {
		case LVQ_PVREMOVE:
			if ((n = undo(u, LVQ_PVRESTORE, s, e))) {
				snprintf(n->uuid, sizeof(n->uuid), "%s", s->uuid);
				snprintf(n->spec, sizeof(n->spec), "%s", b->spec);
			}
			break;
		case LVQ_VGREMOVE:
			if ((n = undo(u, LVQ_VGCFGRESTORE, s, e))) {
				snprintf(n->uuid, sizeof(n->uuid), "%s", b->uuid);
				snprintf(n->spec, sizeof(n->spec), "%s", b->spec);
			}
			if (n && (lvq_step_build(u->root, n, e) || !(act = undo(u, LVQ_ACTIVATE, s, e))))
				return -1;
			n = act;
			break;
		case LVQ_LVREMOVE:
		case LVQ_VGCFGBACKUP:
			continue; /* the LVs come back with the VG's metadata; the file stays */
		case LVQ_FSTAB_REMOVE:
			if ((n = undo(u, LVQ_FSTAB_ADD, s, e))) {
				snprintf(n->spec, sizeof(n->spec), "%s", s->spec);
				snprintf(n->opts, sizeof(n->opts), "%s", s->opts);
			}
			break;
		case LVQ_UMOUNT: n = undo(u, LVQ_MOUNT, s, e); break;
		case LVQ_SWAPOFF: n = undo(u, LVQ_SWAPON, s, e); break;
		case LVQ_RELOAD: *reload = true; continue;
		default:
			return bb_error_set(e, EINVAL, "a decommission's %s cannot be rolled back",
					    lvq_kind_name(s->kind));
		}
		if (!n || lvq_step_build(u->root, n, e))
			return -1;
	}
	if (b)
		lvq_plan_warn(u, "VG %s comes back from the metadata backup %s, taken before "
			      "transaction %s: the LVs hold what is on the disks now, so anything "
			      "written to them since is what they hold", p->vg, b->spec, t->id);
	return 0;
}

int lvq_plan_rollback(const struct lvq_txn *t, struct lvq_plan *u, struct bb_error *e)
{
	const struct lvq_plan *p = t->plan;
	bool reload = false;
	plan_init(u, "rollback", p->root, p->vg);
	snprintf(u->request_hash, sizeof(u->request_hash), "%s", t->id); /* what it undoes */
	int rc;
	if (!strcmp(p->command, "provision"))
		rc = undo_provision(t, u, &reload, e);
	else if (!strcmp(p->command, "decommission"))
		rc = undo_decommission(t, u, &reload, e);
	else
		rc = bb_error_set(e, EINVAL, "a %s is not rolled back", p->command);
	if (rc || lvq_plan_finish(u, reload, e)) {
		lvq_plan_free(u);
		return -1;
	}
	return 0;
}
