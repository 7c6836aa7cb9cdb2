/* formats.c - the pure parts of volmgr's storage modules, apart from the
 * handlers so that unit tests and a fuzz target take them alone: names
 * and paths, the topology templates and their feasibility, scrub
 * records, and health findings from md arrays and sysvol's record. No
 * system calls; text in, structs out.
 */
#include "btrfs.h"
#include "exec.h"
#include "ini.h"
#include "json.h"
#include "md.h"
#include "size.h"
#include "storage.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names and paths --------------------------------------------------------- */

static const char *const core_subvols[] = { "system", "etc", "modules", "vm-meta", "mos-bin" };

bool vmo_core_subvolume(const char *name)
{
	for (size_t i = 0; i < sizeof(core_subvols) / sizeof(core_subvols[0]); i++)
		if (!strcmp(name, core_subvols[i]))
			return true;
	return false;
}

int vmo_check_subvol_name(const char *name, struct bb_error *e)
{
	if (btrfs_name_check(name, e))
		return -1;
	if (name[0] == '.')
		return bb_error_set(e, EINVAL, "'%s': a name may not start with '.'", name);
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return bb_error_set(e, EINVAL, "a name may not hold control characters");
	return 0;
}

int vmo_check_abs_path(const char *what, const char *path, struct bb_error *e)
{
	if (path[0] != '/')
		return bb_error_set(e, EINVAL, "%s '%s' is not an absolute path", what, path);
	if (strlen(path) >= PATH_MAX)
		return bb_error_set(e, ENAMETOOLONG, "%s is too long", what);
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return bb_error_set(e, EINVAL, "%s '%s' holds a '%.*s' component", what, path,
					    (int)n, p);
		p += n;
	}
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p < 0x20)
			return bb_error_set(e, EINVAL, "%s holds control characters", what);
	return 0;
}

/* ---- topology templates ----------------------------------------------------- */

static int parse_tier(const char *s, enum vmo_tier *t)
{
	if (!strcmp(s, "any"))
		*t = VMO_TIER_ANY;
	else if (!strcmp(s, "ssd"))
		*t = VMO_TIER_SSD;
	else if (!strcmp(s, "hdd"))
		*t = VMO_TIER_HDD;
	else
		return -1;
	return 0;
}

const char *vmo_tier_name(enum vmo_tier t)
{
	return t == VMO_TIER_SSD ? "ssd" : t == VMO_TIER_HDD ? "hdd" : "any";
}

/* "COUNT TIER SIZE ROLE" */
static int parse_need(const char *v, struct vmo_topo_rule *r, const char **why)
{
	char count[16], tier[16], size[24], role[24], extra[2];
	if (sscanf(v, "%15s %15s %23s %23s %1s", count, tier, size, role, extra) != 4) {
		*why = "need takes COUNT TIER MIN-SIZE ROLE";
		return -1;
	}
	char *end;
	unsigned long n = strtoul(count, &end, 10);
	if (*end || !isdigit((unsigned char)count[0]) || n == 0 || n > 4) {
		*why = "COUNT must be 1 to 4";
		return -1;
	}
	if (parse_tier(tier, &r->tier)) {
		*why = "TIER must be ssd, hdd or any";
		return -1;
	}
	if (parse_size(size, 0, &r->min_size, why))
		return -1;
	r->count = (unsigned)n;
	snprintf(r->role, sizeof(r->role), "%s", role);
	return 0;
}

static int topo_key(struct vmo_topology *t, const char *k, const char *v, const char **why)
{
	struct {
		const char *key;
		char *dst;
		size_t len;
	} strs[] = {
		{ "name", t->name, sizeof(t->name) },
		{ "description", t->description, sizeof(t->description) },
		{ "fstype", t->fstype, sizeof(t->fstype) },
		{ "tool", t->tool, sizeof(t->tool) },
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if (strcmp(k, strs[i].key))
			continue;
		if (strlen(v) >= strs[i].len) {
			*why = "value too long";
			return -1;
		}
		snprintf(strs[i].dst, strs[i].len, "%s", v);
		return 0;
	}
	if (strcmp(k, "need")) {
		*why = "unknown key";
		return -1;
	}
	if (t->nrules == VMO_TOPO_MAX_RULES) {
		*why = "too many need lines";
		return -1;
	}
	return parse_need(v, &t->rule[t->nrules++], why);
}

static int topo_done(const struct vmo_topology *t, const char **why)
{
	if (!t->name[0])
		*why = "a [topology] without a name";
	else if (!t->nrules)
		*why = "a [topology] without a need line";
	else
		return 0;
	return -1;
}

struct topo_parse {
	struct vmo_topology *out, *cur;
	size_t max, *n;
};

static int topo_item(void *ctx, const struct ini_item *it, struct bb_error *e)
{
	struct topo_parse *tp = ctx;
	const char *why = NULL;
	if (it->key) {
		if (topo_key(tp->cur, it->key, it->value, &why))
			goto bad; /* parse_size sets its why on success too */
		return 0;
	}
	if (strcmp(it->section, "topology"))
		why = "expected [topology]";
	else if (tp->cur && topo_done(tp->cur, &why))
		;
	else if (*tp->n == tp->max)
		why = "too many topologies";
	if (why)
		goto bad;
	tp->cur = &tp->out[(*tp->n)++];
	memset(tp->cur, 0, sizeof(*tp->cur));
	return 0;
bad:
	return bb_error_set(e, EINVAL, "line %u: %s", it->line, why);
}

int vmo_topologies_parse(const char *text, struct vmo_topology *out, size_t max, size_t *n,
			 struct bb_error *e)
{
	*n = 0;
	struct topo_parse tp = { .out = out, .max = max, .n = n };
	const char *why = NULL;
	if (ini_parse(text, strlen(text), topo_item, &tp, e))
		return bb_error_prefix(e, "topologies");
	if (tp.cur)
		topo_done(tp.cur, &why);
	if (!why && !*n)
		why = "no [topology] at all";
	if (why)
		return bb_error_set(e, EINVAL, "topologies: %s", why);
	return 0;
}

/* Rules served in this order: a specific tier before "any", then the
 * larger minimum first, so that a general rule never takes the one disk
 * a stricter one needs. */
static int rule_order(const struct vmo_topology *t, unsigned idx[])
{
	unsigned n = t->nrules;
	for (unsigned i = 0; i < n; i++)
		idx[i] = i;
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0; j--) {
			const struct vmo_topo_rule *a = &t->rule[idx[j - 1]], *b = &t->rule[idx[j]];
			bool swap = (a->tier == VMO_TIER_ANY && b->tier != VMO_TIER_ANY) ||
				    ((a->tier == VMO_TIER_ANY) == (b->tier == VMO_TIER_ANY) &&
				     a->min_size < b->min_size);
			if (!swap)
				break;
			unsigned x = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = x;
		}
	return (int)n;
}

static bool fits(const struct vmo_topo_rule *r, const struct vmo_disk *d)
{
	return d->size >= r->min_size && (r->tier == VMO_TIER_ANY || r->tier == d->tier);
}

void vmo_topology_check(const struct vmo_topology *t, const struct vmo_disk *d, size_t n,
			bool tool_present, struct vmo_feasible *out)
{
	memset(out, 0, sizeof(*out));
	if (t->tool[0] && !tool_present) {
		const char *pkg = tool_package(t->tool);
		snprintf(out->reason, sizeof(out->reason), "%s is not installed%s%s%s", t->tool,
			 pkg ? " (Debian package " : "", pkg ? pkg : "", pkg ? ")" : "");
		return;
	}
	bool used[64] = { false };
	if (n > 64)
		n = 64;
	unsigned idx[VMO_TOPO_MAX_RULES];
	int nr = rule_order(t, idx);
	char picked[VMO_TOPO_MAX_RULES][4][40];
	unsigned npicked[VMO_TOPO_MAX_RULES] = { 0 };
	for (int k = 0; k < nr; k++) {
		const struct vmo_topo_rule *r = &t->rule[idx[k]];
		for (unsigned got = 0; got < r->count; got++) {
			/* the smallest unused disk that fits */
			size_t best = n;
			for (size_t i = 0; i < n; i++)
				if (!used[i] && fits(r, &d[i]) && (best == n || d[i].size < d[best].size))
					best = i;
			if (best == n) {
				size_t have = 0;
				for (size_t i = 0; i < n; i++)
					have += fits(r, &d[i]);
				char sz[16];
				snprintf(out->reason, sizeof(out->reason),
					 "needs %u %s disk%s (%s) of at least %s; %zu eligible disk%s "
					 "fit%s",
					 r->count, vmo_tier_name(r->tier), r->count == 1 ? "" : "s", r->role,
					 fmt_size(r->min_size, sz, sizeof(sz)), have, have == 1 ? "" : "s",
					 have == 1 ? "s" : "");
				return;
			}
			used[best] = true;
			snprintf(picked[idx[k]][got], 40, "%s", d[best].name);
			npicked[idx[k]]++;
		}
	}
	/* report the disks in the order of the rules as written */
	size_t off = 0;
	off += (size_t)snprintf(out->reason, sizeof(out->reason), "feasible with");
	for (unsigned i = 0; i < t->nrules; i++)
		for (unsigned j = 0; j < npicked[i]; j++) {
			snprintf(out->picked[out->npicked++], 40, "%s", picked[i][j]);
			if (off < sizeof(out->reason))
				off += (size_t)snprintf(out->reason + off, sizeof(out->reason) - off,
							"%s %s (%s)", out->npicked > 1 ? "," : "",
							picked[i][j], t->rule[i].role);
		}
	out->ok = true;
}

/* ---- scrub records -------------------------------------------------------------- */

static const struct {
	const char *key;
	size_t off;
} rec_nums[] = {
#define N(f) { #f, offsetof(struct vmo_scrub_record, f) }
	N(started), N(ended), N(data_bytes), N(tree_bytes), N(read_errors), N(csum_errors),
	N(verify_errors), N(super_errors), N(uncorrectable_errors), N(corrected_errors),
#undef N
};

static const struct {
	const char *key;
	size_t off, len;
} rec_strs[] = {
#define S(f) { #f, offsetof(struct vmo_scrub_record, f), sizeof(((struct vmo_scrub_record *)0)->f) }
	S(fsid), S(mount_point), S(state), S(error),
#undef S
};

void vmo_scrub_record_write(struct jw *w, const struct vmo_scrub_record *r)
{
	jw_obj(w);
	for (size_t i = 0; i < sizeof(rec_strs) / sizeof(rec_strs[0]); i++)
		jw_kstr(w, rec_strs[i].key, (const char *)r + rec_strs[i].off);
	for (size_t i = 0; i < sizeof(rec_nums) / sizeof(rec_nums[0]); i++)
		jw_ku64(w, rec_nums[i].key, *(const uint64_t *)((const char *)r + rec_nums[i].off));
	jw_obj_end(w);
}

int vmo_scrub_record_parse(const char *text, size_t len, struct vmo_scrub_record *r,
			   struct bb_error *e)
{
	memset(r, 0, sizeof(*r));
	char why[128];
	struct json *j = json_parse(text, len, 4, why, sizeof(why));
	if (!j)
		return bb_error_set(e, EINVAL, "scrub record: %s", why);
	int rc = 0;
	if (j->type != JSON_OBJECT)
		rc = bb_error_set(e, EINVAL, "scrub record: not an object");
	for (size_t i = 0; !rc && i < sizeof(rec_strs) / sizeof(rec_strs[0]); i++) {
		const char *s = json_string(json_get(j, rec_strs[i].key));
		if (!s || strlen(s) >= rec_strs[i].len)
			rc = bb_error_set(e, EINVAL, "scrub record: %s missing or too long",
					  rec_strs[i].key);
		else
			memcpy((char *)r + rec_strs[i].off, s, strlen(s) + 1);
	}
	for (size_t i = 0; !rc && i < sizeof(rec_nums) / sizeof(rec_nums[0]); i++)
		if (!json_u64(json_get(j, rec_nums[i].key),
			      (uint64_t *)((char *)r + rec_nums[i].off)))
			rc = bb_error_set(e, EINVAL, "scrub record: %s missing", rec_nums[i].key);
	json_free(j);
	return rc;
}

void vmo_scrub_sum(const struct btrfs_scrub_stats *st, size_t n, struct vmo_scrub_record *r)
{
	for (size_t i = 0; i < n; i++) {
		r->data_bytes += st[i].data_bytes;
		r->tree_bytes += st[i].tree_bytes;
		r->read_errors += st[i].read_errors;
		r->csum_errors += st[i].csum_errors;
		r->verify_errors += st[i].verify_errors;
		r->super_errors += st[i].super_errors;
		r->uncorrectable_errors += st[i].uncorrectable_errors;
		r->corrected_errors += st[i].corrected_errors;
	}
}

unsigned vmo_profile_copies(const char *profile)
{
	if (!strcmp(profile, "RAID1") || !strcmp(profile, "DUP") || !strcmp(profile, "RAID10"))
		return 2;
	return !strcmp(profile, "RAID1C3") ? 3 : !strcmp(profile, "RAID1C4") ? 4 : 1;
}

/* ---- health findings ------------------------------------------------------------- */

const char *const vmo_level_names[] = { "ok", "degraded", "failing" };

void vmo_health_add(struct vmo_health *h, enum vmo_level lv, const char *source,
		    const char *action, const char *fmt, ...)
{
	if (h->n == VMO_MAX_FINDINGS)
		return;
	struct vmo_finding *f = &h->f[h->n++];
	f->level = lv;
	snprintf(f->source, sizeof(f->source), "%s", source);
	snprintf(f->action, sizeof(f->action), "%s", action);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
}

void vmo_health_subject(struct vmo_health *h, const char *fmt, ...)
{
	if (!h->n)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h->f[h->n - 1].subject, sizeof(h->f[0].subject), fmt, ap);
	va_end(ap);
}

enum vmo_level vmo_health_verdict(const struct vmo_health *h)
{
	enum vmo_level v = VMO_OK;
	for (size_t i = 0; i < h->n; i++)
		if (h->f[i].level > v)
			v = h->f[i].level;
	return v;
}

/* ---- md ------------------------------------------------------------------------- */

void vmo_health_md(const struct md_array *a, struct vmo_health *h)
{
	char act[256];
	size_t before = h->n;
	if (!strcmp(a->array_state, "inactive")) {
		snprintf(act, sizeof(act), "start it with its members: mdadm --run /dev/%s", a->name);
		vmo_health_add(h, VMO_FAILING, "md", act, "array %s is inactive", a->name);
	} else if (a->degraded != MD_UNKNOWN && a->degraded) {
		bool none = a->raid_disks != MD_UNKNOWN && a->degraded >= a->raid_disks;
		snprintf(act, sizeof(act),
			 "add a replacement disk: mdadm --manage /dev/%s --add /dev/NEW", a->name);
		vmo_health_add(h, none ? VMO_FAILING : VMO_DEGRADED, "md", act,
		    "array %s (%s) is degraded: %llu of %llu slots without a working member", a->name,
		    a->level, (unsigned long long)a->degraded, (unsigned long long)a->raid_disks);
	}
	for (size_t i = 0; i < a->nmembers; i++)
		if (a->members[i].state & MD_FAULTY) {
			snprintf(act, sizeof(act),
				 "remove and replace it: mdadm --manage /dev/%s --remove /dev/%s",
				 a->name, a->members[i].dev);
			vmo_health_add(h, VMO_DEGRADED, "md", act, "member %s of %s is faulty", a->members[i].dev,
			    a->name);
		}
	for (size_t i = before; i < h->n; i++)
		snprintf(h->f[i].subject, sizeof(h->f[i].subject), "%s", a->name);
}

/* ---- sysvol's record -------------------------------------------------------------- */

static void record_value(const char *text, const char *key, char *out, size_t len)
{
	out[0] = 0;
	size_t k = strlen(key);
	for (const char *l = text; *l;) {
		size_t n = strcspn(l, "\n");
		if (n > k && !strncmp(l, key, k) && l[k] == '=') {
			size_t v = n - k - 1;
			if (v >= len)
				v = len - 1;
			memcpy(out, l + k + 1, v);
			out[v] = 0;
			for (char *p = out; *p; p++)
				if ((unsigned char)*p < 0x20)
					*p = '?';
			return;
		}
		l += n + (l[n] == '\n');
	}
}

void vmo_health_sysvol(const char *text, struct vmo_health *h)
{
	char state[32], since[40], missing[80];
	record_value(text, "state", state, sizeof(state));
	record_value(text, "since", since, sizeof(since));
	record_value(text, "missing", missing, sizeof(missing));
	vmo_health_add(h, VMO_DEGRADED, "sysvol",
	    "replace the missing disk, then let sysvol rejoin it to the mirror at the next boot",
	    "this boot came up %s%s%s%s%s", state[0] ? state : "degraded",
	    since[0] ? " (since " : "", since, since[0] ? ")" : "",
	    missing[0] ? ", a mirror disk is missing" : "");
	vmo_health_subject(h, "%s", missing[0] ? missing : "boot");
}

