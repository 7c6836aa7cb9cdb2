/* layout.c - the partition layout sysvol gives its disks, as data.
 *
 * The file is config/data/sysvol-layout.conf (compiled in) or one named
 * at run time; its format is described at its top: [partition] and
 * [subvolume] sections of "key = value" lines. Everything is checked
 * here, before any disk is looked at, so that a bad replacement file is
 * refused with its line number and never half-applied.
 */
#include "sysvol.h"

#include "btrfs.h"
#include "checked.h"
#include "config.h"
#include "gpt.h"
#include "ini.h"
#include "num.h"
#include "size.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define SV_GIB_MAX 65536 /* mossize=/mosswap= at most 64 TiB */

static const char *const format_names[] = {
	[SV_FMT_RAW] = "raw", [SV_FMT_VFAT] = "vfat", [SV_FMT_EXT4] = "ext4",
	[SV_FMT_SWAP] = "swap", [SV_FMT_BTRFS] = "btrfs",
};
static const char *const mirror_names[] = {
	[SV_MIRROR_NONE] = "none", [SV_MIRROR_MD090] = "md-0.90",
	[SV_MIRROR_MD12] = "md-1.2", [SV_MIRROR_BTRFS] = "btrfs-raid1",
};
/* Longest label each format's tools take (vfat: the boot sector field). */
static const size_t label_max[] = {
	[SV_FMT_RAW] = 0, [SV_FMT_VFAT] = 11, [SV_FMT_EXT4] = 16,
	[SV_FMT_SWAP] = 15, [SV_FMT_BTRFS] = 255,
};

const char *sv_format_name(enum sv_format f) { return format_names[f]; }
const char *sv_mirror_name(enum sv_mirror m) { return mirror_names[m]; }

static int word_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	return -1;
}

/* A partition name: what GPT holds and what sysvol recognises disks by,
 * so plain ASCII that every tool prints the same way. */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 36)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

/* Labels go to several tools' command lines and to GPT-less probes:
 * printable ASCII without blanks keeps them unambiguous. */
static bool label_ok(const char *s)
{
	for (; *s; s++)
		if (*s <= ' ' || *s > '~' || *s == '"' || *s == '\\')
			return false;
	return true;
}

/* An absolute path without "." or ".." components, empty ones, or
 * characters a mount table would escape. */
static bool mount_ok(const char *s)
{
	if (s[0] != '/' || strlen(s) >= SV_PATH)
		return false;
	if (!strcmp(s, "/"))
		return true;
	for (const char *c = s; *c; c++)
		if (*c <= ' ' || *c > '~' || *c == '\\')
			return false;
	const char *p = s;
	while (*p) {
		p++; /* past '/' */
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
	}
	return true;
}

struct parse {
	struct sv_layout *l;
	int line;
	enum { SEC_NONE, SEC_PART, SEC_SUB } sec;
	unsigned seen; /* keys given in this section, bit per key */
	struct bb_error *e;
};

static int bad(struct parse *ps, const char *fmt, const char *a, const char *b)
{
	char msg[300];
	snprintf(msg, sizeof(msg), fmt, a, b);
	return bb_error_set(ps->e, EINVAL, "line %d: %s", ps->line, msg);
}

/* "cmdline:KEY:DEFAULT" or a size. */
static int part_size(struct parse *ps, struct sv_part *p, const char *v)
{
	const char *why;
	if (!strncmp(v, "cmdline:", 8)) {
		const char *key = v + 8, *colon = strchr(key, ':');
		size_t klen = colon ? (size_t)(colon - key) : 0;
		if (!colon || !klen || klen >= sizeof(p->size_key))
			return bad(ps, "size: '%s': want cmdline:KEY:DEFAULT_GIB%s", v, "");
		for (size_t i = 0; i < klen; i++)
			if (!isalnum((unsigned char)key[i]) && !strchr("_.-", key[i]))
				return bad(ps, "size: '%s': a command line key is letters, digits, _ . -%s",
					   v, "");
		if (num_dec_u64(colon + 1, 1, SV_GIB_MAX, &p->size_gib, NULL))
			return bad(ps, "size: '%s': the default is a number of GiB from 1 to 65536%s", v,
				   "");
		memcpy(p->size_key, key, klen);
		p->size_key[klen] = 0;
		p->size = p->size_gib * GIB;
		return 0;
	}
	if (parse_size(v, 0, &p->size, &why))
		return bad(ps, "size: '%s': %s", v, why);
	if (p->size < MIB)
		return bad(ps, "size: '%s': at least 1M%s", v, "");
	return 0;
}

enum { K_NAME, K_TYPE, K_SIZE, K_SIZE4K, K_FORMAT, K_LABEL, K_MIRROR, K_MOUNT };
static const char *const part_keys[] = { "name", "type", "size", "min-size-4k",
					 "format", "label", "mirror", "mount" };

static int part_key(struct parse *ps, const char *k, const char *v)
{
	struct sv_part *p = &ps->l->part[ps->l->nparts - 1];
	int i = word_index(part_keys, ARRAY_SIZE(part_keys), k);
	if (i < 0)
		return bad(ps, "'%s': not a [partition] key (name, type, size, min-size-4k, format, "
			   "label, mirror, mount)%s", k, "");
	if (ps->seen & (1u << i))
		return bad(ps, "%s: given twice in one section%s", k, "");
	ps->seen |= 1u << i;
	struct gpt_guid g;
	const char *why;
	switch (i) {
	case K_NAME:
		if (!name_ok(v))
			return bad(ps, "name: '%s': 1 to 36 letters, digits, _ . -%s", v, "");
		snprintf(p->name, sizeof(p->name), "%s", v);
		return 0;
	case K_TYPE:
		if (strlen(v) >= sizeof(p->type) || gpt_type_parse(v, &g))
			return bad(ps, "type: '%s': not a partition type (bios_boot, esp, linux, swap, ...)%s",
				   v, "");
		snprintf(p->type, sizeof(p->type), "%s", v);
		return 0;
	case K_SIZE:
		return part_size(ps, p, v);
	case K_SIZE4K:
		if (parse_size(v, 0, &p->size_4k, &why))
			return bad(ps, "min-size-4k: '%s': %s", v, why);
		return 0;
	case K_FORMAT:
		if ((i = word_index(format_names, ARRAY_SIZE(format_names), v)) < 0)
			return bad(ps, "format: '%s': raw, vfat, ext4, swap or btrfs%s", v, "");
		p->format = (enum sv_format)i;
		return 0;
	case K_LABEL:
		if (strlen(v) >= sizeof(p->label) || !label_ok(v))
			return bad(ps, "label: '%s': printable ASCII without blanks or quotes%s", v, "");
		snprintf(p->label, sizeof(p->label), "%s", v);
		return 0;
	case K_MIRROR:
		if ((i = word_index(mirror_names, ARRAY_SIZE(mirror_names), v)) < 0)
			return bad(ps, "mirror: '%s': none, md-0.90, md-1.2 or btrfs-raid1%s", v, "");
		p->mirror = (enum sv_mirror)i;
		return 0;
	default:
		if (!mount_ok(v))
			return bad(ps, "mount: '%s': an absolute path without . or .. components%s", v,
				   "");
		snprintf(p->mount, sizeof(p->mount), "%s", v);
		return 0;
	}
}

static int sub_key(struct parse *ps, const char *k, const char *v)
{
	struct sv_subvol *s = &ps->l->sub[ps->l->nsubs - 1];
	unsigned bit;
	if (!strcmp(k, "name")) {
		struct bb_error e2 = { 0 };
		if (btrfs_name_check(v, &e2))
			return bad(ps, "name: '%s': %s", v, e2.msg);
		snprintf(s->name, sizeof(s->name), "%s", v);
		bit = 1;
	} else if (!strcmp(k, "mount")) {
		if (!mount_ok(v))
			return bad(ps, "mount: '%s': an absolute path without . or .. components%s", v,
				   "");
		snprintf(s->mount, sizeof(s->mount), "%s", v);
		bit = 2;
	} else {
		return bad(ps, "'%s': not a [subvolume] key (name, mount)%s", k, "");
	}
	if (ps->seen & bit)
		return bad(ps, "%s: given twice in one section%s", k, "");
	ps->seen |= bit;
	return 0;
}

/* The section that just ended is complete and consistent in itself
 * (problems are reported at the section's first line). */
static int check_section(struct parse *ps)
{
	struct sv_layout *l = ps->l;
	if (ps->sec == SEC_SUB) {
		struct sv_subvol *s = &l->sub[l->nsubs - 1];
		ps->line = s->line;
		if (!s->name[0] || !s->mount[0])
			return bad(ps, "[subvolume] needs name and mount%s%s", "", "");
		return 0;
	}
	if (ps->sec != SEC_PART)
		return 0;
	struct sv_part *p = &l->part[l->nparts - 1];
	ps->line = p->line;
	if (!p->name[0] || !p->type[0] || !p->size)
		return bad(ps, "[partition] needs name, type and size%s%s", "", "");
	if (strlen(p->label) > label_max[p->format])
		return bad(ps, "label '%s' is too long for %s", p->label, format_names[p->format]);
	if (p->format == SV_FMT_RAW && p->mirror != SV_MIRROR_NONE)
		return bad(ps, "%s: a raw partition has nothing to mirror%s", p->name, "");
	if ((p->mirror == SV_MIRROR_BTRFS) != (p->format == SV_FMT_BTRFS && p->mirror != SV_MIRROR_NONE))
		return bad(ps, "%s: mirror btrfs-raid1 goes with format btrfs, md-* with the others",
			   p->name, "");
	if (p->mount[0] && (p->format == SV_FMT_RAW || p->format == SV_FMT_SWAP))
		return bad(ps, "%s: a %s partition is not mounted", p->name, format_names[p->format]);
	return 0;
}

static int close_section(struct parse *ps)
{
	int line = ps->line, r = check_section(ps);
	if (!r)
		ps->line = line;
	return r;
}

/* One header or pair, from core/ini. */
static int layout_item(void *ctx, const struct ini_item *it, struct bb_error *e)
{
	struct parse *ps = ctx;
	struct sv_layout *l = ps->l;
	(void)e; /* ps->e is the same */
	ps->line = (int)it->line;
	if (it->key) {
		if (ps->sec == SEC_NONE)
			return bad(ps, "%s: a key before the first [partition] or [subvolume]%s",
				   it->key, "");
		if (!*it->value)
			return bad(ps, "%s: an empty value%s", it->key, "");
		return ps->sec == SEC_PART ? part_key(ps, it->key, it->value)
					   : sub_key(ps, it->key, it->value);
	}
	if (close_section(ps))
		return -1;
	ps->seen = 0;
	if (!strcmp(it->section, "partition")) {
		if (l->nparts == SV_MAX_PARTS)
			return bad(ps, "more than 16 partitions%s%s", "", "");
		ps->sec = SEC_PART;
		l->part[l->nparts++] = (struct sv_part){ .line = ps->line };
	} else if (!strcmp(it->section, "subvolume")) {
		if (l->nsubs == SV_MAX_SUBVOLS)
			return bad(ps, "more than 32 subvolumes%s%s", "", "");
		ps->sec = SEC_SUB;
		l->sub[l->nsubs++] = (struct sv_subvol){ .line = ps->line };
	} else {
		return bad(ps, "'[%s]': the sections are [partition] and [subvolume]", it->section,
			   "");
	}
	return 0;
}

/* What holds across sections: unique names, labels and mount points, one
 * btrfs for the subvolumes. */
static int check_whole(struct parse *ps)
{
	struct sv_layout *l = ps->l;
	ps->line = 0;
	if (!l->nparts)
		return bb_error_set(ps->e, EINVAL, "no [partition] at all");
	const char *mounts[SV_MAX_PARTS + SV_MAX_SUBVOLS];
	size_t nm = 0;
	l->data = -1;
	for (size_t i = 0; i < l->nparts; i++) {
		struct sv_part *p = &l->part[i];
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(p->name, l->part[j].name))
				return bb_error_set(ps->e, EINVAL, "line %d: partition name %s is used twice",
						    p->line, p->name);
			if (p->label[0] && !strcmp(p->label, l->part[j].label))
				return bb_error_set(ps->e, EINVAL, "line %d: label %s is used twice",
						    p->line, p->label);
		}
		if (p->format == SV_FMT_BTRFS) {
			if (l->data >= 0 && l->nsubs)
				return bb_error_set(ps->e, EINVAL, "line %d: subvolumes need exactly one "
						    "btrfs partition, and this is a second", p->line);
			if (l->data < 0)
				l->data = (int)i;
		}
		if (p->mount[0])
			mounts[nm++] = p->mount;
	}
	if (l->nsubs && l->data < 0)
		return bb_error_set(ps->e, EINVAL, "line %d: a subvolume without a btrfs partition",
				    l->sub[0].line);
	for (size_t i = 0; i < l->nsubs; i++) {
		for (size_t j = 0; j < i; j++)
			if (!strcmp(l->sub[i].name, l->sub[j].name))
				return bb_error_set(ps->e, EINVAL, "line %d: subvolume %s is defined twice",
						    l->sub[i].line, l->sub[i].name);
		mounts[nm++] = l->sub[i].mount;
	}
	for (size_t i = 0; i < nm; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(mounts[i], mounts[j]))
				return bb_error_set(ps->e, EINVAL, "mount point %s is used twice",
						    mounts[i]);
	return 0;
}

int sv_layout_parse(struct sv_layout *l, const char *text, size_t len, struct bb_error *e)
{
	*l = (struct sv_layout){ .data = -1 };
	struct parse ps = { .l = l, .e = e };
	if (ini_parse(text, len, layout_item, &ps, e))
		return -1;
	if (close_section(&ps))
		return -1;
	return check_whole(&ps);
}

int sv_layout_load(struct sv_layout *l, const char *path, struct bb_error *e)
{
	size_t len;
	const char *from;
	char *text = config_load(SV_LAYOUT_NAME, path, SV_LAYOUT_MAX, &len, &from, e);
	if (!text)
		return bb_error_prefix(e, "layout");
	int r = sv_layout_parse(l, text, len, e);
	free(text);
	if (r)
		return bb_error_prefix(e, "layout %s", from);
	snprintf(l->from, sizeof(l->from), "%s", from);
	return 0;
}

int sv_layout_resolve(struct sv_layout *l, const struct cmdline *cl, struct bb_error *e)
{
	for (size_t i = 0; i < l->nparts; i++) {
		struct sv_part *p = &l->part[i];
		uint64_t n;
		if (!p->size_key[0])
			continue;
		if (cmdline_u64(cl, p->size_key, p->size_gib, 1, SV_GIB_MAX, &n))
			return bb_error_set(e, EINVAL, "%s=%s: not a number of GiB from 1 to %d",
					    p->size_key, cmdline_get(cl, p->size_key), SV_GIB_MAX);
		p->size = n * GIB;
	}
	return 0;
}

uint64_t sv_part_size(const struct sv_part *p, unsigned lsec)
{
	if (lsec >= 4096 && p->size_4k > p->size)
		return p->size_4k;
	return p->size;
}

static uint64_t align_mib(uint64_t v)
{
	uint64_t r;
	return round_up_u64(v, MIB, &r) ? UINT64_MAX : r;
}

uint64_t sv_layout_need(const struct sv_layout *l, unsigned lsec)
{
	uint64_t need = 2 * MIB; /* primary GPT and alignment; backup GPT */
	for (size_t i = 0; i < l->nparts; i++)
		if (add_overflow_u64(need, align_mib(sv_part_size(&l->part[i], lsec)), &need))
			return UINT64_MAX;
	return need;
}
