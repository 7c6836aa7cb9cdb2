/* parse.c - lvq's command line values: sizes, --pv, --vg, --lv, names.
 *
 * Everything here is refused before any planning: a value that a shell
 * would read differently, a name LVM would refuse, a mount point that is
 * not absolute, a swap volume with a mount point.
 */
#include "lvq.h"

#include "checked.h"
#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef unsigned __int128 u128;

/* ---- sizes ---------------------------------------------------------------- */

/* log2 of a unit's multiplier; -1 when s is no unit. "" is no unit either:
 * the caller decides what a bare number means. */
static int unit_shift(const char *s)
{
	static const char units[] = "KMGTPE";
	if (!strcasecmp(s, "B"))
		return 0;
	if (!strcasecmp(s, "S"))
		return 9;
	if (!*s)
		return -1;
	const char *u = strchr(units, toupper((unsigned char)s[0]));
	if (!u)
		return -1;
	if (s[1] && strcasecmp(s + 1, "B") && strcasecmp(s + 1, "iB"))
		return -1;
	return 10 * (int)(u - units + 1);
}

static int pct_parse(const char *s, const char *p, struct lvq_size *sz, const char **why)
{
	uint64_t n = 0;
	for (const char *q = s; q < p; q++) {
		n = n * 10 + (uint64_t)(*q - '0');
		if (n > 100)
			break;
	}
	if (p == s || p - s > 4 || n < 1 || n > 100) {
		*why = "a percentage must be a whole number from 1 to 100";
		return -1;
	}
	p++;
	if (!strcasecmp(p, "FREE"))
		sz->kind = LVQ_SZ_PCT_FREE;
	else if (!strcasecmp(p, "VG"))
		sz->kind = LVQ_SZ_PCT_VG;
	else if (!strcasecmp(p, "PVS"))
		sz->kind = LVQ_SZ_PCT_PVS;
	else {
		*why = "a percentage is of FREE, VG or PVS";
		return -1;
	}
	sz->v = n;
	return 0;
}

int lvq_size_parse(const char *s, struct lvq_size *sz, const char **why)
{
	const char *p = s;
	u128 whole = 0, frac = 0, div = 1;
	*why = "not a size";
	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (unsigned)(*p - '0');
		if (whole > UINT64_MAX) {
			*why = "too large";
			return -1;
		}
	}
	if (*p == '%')
		return pct_parse(s, p, sz, why);
	bool dot = *p == '.';
	if (dot) {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++) {
			if (div >= (u128)1000000000000000000ull) {
				*why = "more than 18 decimals";
				return -1;
			}
			frac = frac * 10 + (unsigned)(*p - '0');
			div *= 10;
		}
	}
	if (!*p) {
		if (dot) {
			*why = "a number without a unit counts extents, which are whole";
			return -1;
		}
		if (!whole) {
			*why = "zero extents";
			return -1;
		}
		sz->kind = LVQ_SZ_EXTENTS;
		sz->v = (uint64_t)whole;
		return 0;
	}
	int shift = unit_shift(p);
	if (shift < 0) {
		*why = "unknown unit (B, S, K, M, G, T, P, E)";
		return -1;
	}
	/* whole < 2^64, mult <= 2^60, frac < div <= 10^18: no 128-bit overflow */
	u128 mult = (u128)1 << shift;
	u128 v = whole * mult + (frac * mult + div - 1) / div;
	if (v > UINT64_MAX) {
		*why = "too large";
		return -1;
	}
	if (!v) {
		*why = "zero bytes";
		return -1;
	}
	sz->kind = LVQ_SZ_BYTES;
	sz->v = (uint64_t)v;
	return 0;
}

int lvq_size_extents(const struct lvq_size *sz, uint64_t extent, uint64_t free_ext,
		     uint64_t vg_ext, uint64_t pvs_ext, uint64_t *out, const char **why)
{
	uint64_t base;
	switch (sz->kind) {
	case LVQ_SZ_BYTES:
		if (!extent) {
			*why = "no extent size";
			return -1;
		}
		*out = sz->v / extent + (sz->v % extent != 0);
		return 0;
	case LVQ_SZ_EXTENTS:
		*out = sz->v;
		return 0;
	case LVQ_SZ_PCT_FREE:
		base = free_ext;
		break;
	case LVQ_SZ_PCT_VG:
		base = vg_ext;
		break;
	case LVQ_SZ_PCT_PVS:
		base = pvs_ext;
		break;
	default:
		*why = "unknown size";
		return -1;
	}
	if (sz->v < 1 || sz->v > 100) {
		*why = "a percentage must be from 1 to 100";
		return -1;
	}
	*out = (uint64_t)((u128)base * sz->v / 100);
	if (!*out) {
		*why = "the percentage comes to no extent at all";
		return -1;
	}
	return 0;
}

char *lvq_size_fmt(const struct lvq_size *sz, char *buf, size_t len)
{
	static const char *const pct[] = { [LVQ_SZ_PCT_FREE] = "FREE", [LVQ_SZ_PCT_VG] = "VG",
					   [LVQ_SZ_PCT_PVS] = "PVS" };
	unsigned long long v = (unsigned long long)sz->v;
	if (sz->kind == LVQ_SZ_BYTES)
		snprintf(buf, len, "%lluB", v);
	else if (sz->kind == LVQ_SZ_EXTENTS)
		snprintf(buf, len, "%llu", v);
	else
		snprintf(buf, len, "%llu%%%s", v, pct[sz->kind]);
	return buf;
}

/* ---- names ---------------------------------------------------------------- */

static const char *const fs_names[] = {
	[LVQ_FS_NONE] = "", [LVQ_FS_XFS] = "xfs", [LVQ_FS_EXT4] = "ext4",
	[LVQ_FS_BTRFS] = "btrfs", [LVQ_FS_VFAT] = "vfat", [LVQ_FS_SWAP] = "swap",
	[LVQ_FS_F2FS] = "f2fs", [LVQ_FS_EXFAT] = "exfat", [LVQ_FS_NTFS] = "ntfs",
};

const char *lvq_fs_name(enum lvq_fs fs)
{
	return (unsigned)fs < sizeof(fs_names) / sizeof(fs_names[0]) ? fs_names[fs] : "";
}

int lvq_fs_parse(const char *s, enum lvq_fs *fs)
{
	for (unsigned i = 1; i < sizeof(fs_names) / sizeof(fs_names[0]); i++)
		if (!strcmp(s, fs_names[i])) {
			*fs = (enum lvq_fs)i;
			return 0;
		}
	return -1;
}

bool lvq_shell_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || strchr(" '\"$`\\;&|<>(){}*?[]~#!", *p))
			return false;
	return true;
}

int lvq_name_check(const char *s, bool is_lv, const char **why)
{
	/* lvm(8), VALID NAMES; and LVM keeps these for its hidden sub-LVs */
	static const char *const reserved[] = { "_cdata", "_cmeta", "_corig", "_cpool", "_cvol",
						"_imeta", "_iorig", "_mimage", "_mlog", "_pmspare",
						"_rimage", "_rmeta", "_tdata", "_tmeta", "_vdata",
						"_vorigin", "_wcorig" };
	size_t n = strlen(s);
	*why = NULL;
	if (!n)
		*why = "empty";
	else if (n >= LVQ_NAME - 1)
		*why = "longer than 126 characters";
	else if (s[0] == '-')
		*why = "begins with '-'";
	else if (!strcmp(s, ".") || !strcmp(s, ".."))
		*why = "'.' and '..' are not names";
	else if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+_.-") != n)
		*why = "only letters, digits and + _ . - are allowed";
	else if (is_lv && (!strncmp(s, "snapshot", 8) || !strncmp(s, "pvmove", 6)))
		*why = "LVM keeps names beginning with snapshot or pvmove";
	else if (!is_lv && (!strcmp(s, "snapshot") || !strcmp(s, "pvmove") || !strcmp(s, "mapper")))
		*why = "LVM keeps this name";
	for (size_t i = 0; is_lv && !*why && i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strstr(s, reserved[i]))
			*why = "LVM keeps names holding _cdata, _cmeta, _mimage, _rimage, _tdata, _tmeta ...";
	return *why ? -1 : 0;
}

/* ---- option values ---------------------------------------------------------- */

static int unsafe(const char *opt, const char *s, struct bb_error *e)
{
	if (lvq_shell_safe(s))
		return 0;
	/* the value itself is not repeated: it may hold terminal controls */
	return bb_error_set(e, EINVAL, "%s: the value holds a blank, a quote, a control character "
			    "or a shell metacharacter", opt);
}

/* An absolute path without empty, . or .. components. */
static int abs_path(const char *opt, const char *what, const char *s, bool root_ok,
		    struct bb_error *e)
{
	if (s[0] != '/')
		return bb_error_set(e, EINVAL, "%s: %s '%s' is not an absolute path", opt, what, s);
	if (strlen(s) >= LVQ_PATH)
		return bb_error_set(e, EINVAL, "%s: %s is too long", opt, what);
	if (!s[1])
		return root_ok ? 0 : bb_error_set(e, EINVAL, "%s: %s '/' is not allowed", opt, what);
	for (const char *p = s + 1;;) {
		size_t l = strcspn(p, "/");
		if (!l || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return bb_error_set(e, EINVAL, "%s: %s '%s' has an empty, '.' or '..' component",
					    opt, what, s);
		if (!p[l])
			return 0;
		p += l + 1;
	}
}

static int pv_one(const char *p, size_t l, struct lvq_req *r, struct bb_error *e)
{
	char dev[LVQ_PATH];
	if (l >= sizeof(dev))
		return bb_error_set(e, EINVAL, "--pv: a device path is too long");
	memcpy(dev, p, l);
	dev[l] = 0;
	if (abs_path("--pv", "device", dev, false, e))
		return -1;
	if (r->npv >= LVQ_MAX_PV)
		return bb_error_set(e, EINVAL, "--pv: more than %d devices", LVQ_MAX_PV);
	memcpy(r->pv[r->npv++], dev, l + 1);
	return 0;
}

int lvq_parse_pv(const char *s, struct lvq_req *r, struct bb_error *e)
{
	size_t before = r->npv;
	if (unsafe("--pv", s, e))
		return -1;
	for (const char *p = s;;) {
		size_t l = strcspn(p, ":");
		if (pv_one(p, l, r, e)) {
			r->npv = before; /* all of the value or none of it */
			return -1;
		}
		if (!p[l])
			return 0;
		p += l + 1;
	}
}

/* PE_SIZE: a size with a unit, or a bare number of MiB as vgcreate -s
 * takes it; a power of two from 4 KiB (a sector of any disk) to 16 GiB. */
static int pe_parse(const char *s, uint64_t *pe, struct bb_error *e)
{
	struct lvq_size sz;
	const char *why;
	if (lvq_size_parse(s, &sz, &why))
		return bb_error_set(e, EINVAL, "--vg: extent size '%s': %s", s, why);
	if (sz.kind == LVQ_SZ_EXTENTS) {
		if (sz.v > (16ull << 10))
			return bb_error_set(e, EINVAL, "--vg: extent size '%s' MiB: too large", s);
		sz.v <<= 20;
	} else if (sz.kind != LVQ_SZ_BYTES)
		return bb_error_set(e, EINVAL, "--vg: extent size '%s': not a size", s);
	if (sz.v < 4096 || sz.v > (16ull << 30) || (sz.v & (sz.v - 1)))
		return bb_error_set(e, EINVAL,
				    "--vg: extent size '%s': must be a power of two from 4K to 16G", s);
	*pe = sz.v;
	return 0;
}

int lvq_parse_vg(const char *s, struct lvq_req *r, struct bb_error *e)
{
	const char *why;
	if (unsafe("--vg", s, e))
		return -1;
	size_t l = strcspn(s, ":");
	if (l >= LVQ_NAME)
		return bb_error_set(e, EINVAL, "--vg: the name is too long");
	char name[LVQ_NAME];
	memcpy(name, s, l);
	name[l] = 0;
	if (lvq_name_check(name, false, &why))
		return bb_error_set(e, EINVAL, "--vg: VG name '%s': %s", name, why);
	r->pe_size = LVQ_DEFAULT_PE;
	if (s[l] && pe_parse(s + l + 1, &r->pe_size, e))
		return -1;
	memcpy(r->vg, name, l + 1);
	return 0;
}

/* Field i of a colon-separated value into buf; the last field (i == last)
 * takes the rest of the string. Returns the field's length, -1 when too
 * long, -2 when absent. */
static int field(const char *s, unsigned i, unsigned last, char *buf, size_t len)
{
	const char *p = s;
	for (unsigned k = 0; k < i; k++) {
		p = strchr(p, ':');
		if (!p)
			return -2;
		p++;
	}
	size_t l = i == last ? strlen(p) : strcspn(p, ":");
	if (l >= len)
		return -1;
	memcpy(buf, p, l);
	buf[l] = 0;
	return (int)l;
}

int lvq_parse_lv(const char *s, struct lvq_req *r, struct bb_error *e)
{
	struct lvq_lv_req lv;
	char size[64], fs[16];
	const char *why;
	memset(&lv, 0, sizeof(lv));
	if (unsafe("--lv", s, e))
		return -1;
	if (field(s, 0, 3, lv.name, sizeof(lv.name)) < 0)
		return bb_error_set(e, EINVAL, "--lv '%s': the LV name is too long", s);
	if (lvq_name_check(lv.name, true, &why))
		return bb_error_set(e, EINVAL, "--lv '%s': LV name: %s", s, why);
	int n = field(s, 1, 3, size, sizeof(size));
	if (n == -2)
		return bb_error_set(e, EINVAL, "--lv '%s': NAME:SIZE[:FS[:MOUNT]] has no size", s);
	if (n < 0)
		return bb_error_set(e, EINVAL, "--lv '%s': the size is too long", s);
	if (lvq_size_parse(size, &lv.size, &why))
		return bb_error_set(e, EINVAL, "--lv '%s': size '%s': %s", s, size, why);
	n = field(s, 2, 3, fs, sizeof(fs));
	if (n == -1 || (n > 0 && lvq_fs_parse(fs, &lv.fs)))
		return bb_error_set(e, EINVAL, "--lv '%s': filesystem '%s': use xfs, ext4, btrfs, "
				    "vfat, swap, f2fs, exfat or ntfs", s, n < 0 ? "(too long)" : fs);
	n = field(s, 3, 3, lv.mount, sizeof(lv.mount));
	if (n == -1)
		return bb_error_set(e, EINVAL, "--lv '%s': the mount point is too long", s);
	if (n > 0) {
		if (lv.fs == LVQ_FS_SWAP)
			return bb_error_set(e, EINVAL, "--lv '%s': swap is not mounted; leave out "
					    "the mount point", s);
		if (lv.fs == LVQ_FS_NONE)
			return bb_error_set(e, EINVAL, "--lv '%s': a mount point needs a filesystem",
					    s);
		if (abs_path("--lv", "mount point", lv.mount, false, e))
			return -1;
	}
	if (r->nlv >= LVQ_MAX_LV)
		return bb_error_set(e, EINVAL, "--lv: more than %d volumes", LVQ_MAX_LV);
	r->lv[r->nlv++] = lv;
	return 0;
}

static bool same_path(const char *a, const char *b)
{
	return !strcmp(a, b);
}

int lvq_req_check(const struct lvq_req *r, struct bb_error *e)
{
	if (!r->vg[0])
		return bb_error_set(e, EINVAL, "--vg is required");
	if (!r->npv)
		return bb_error_set(e, EINVAL, "--pv is required");
	for (size_t i = 0; i < r->npv; i++)
		for (size_t j = 0; j < i; j++)
			if (same_path(r->pv[i], r->pv[j]))
				return bb_error_set(e, EINVAL, "--pv: %s is given twice", r->pv[i]);
	for (size_t i = 0; i < r->nlv; i++)
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(r->lv[i].name, r->lv[j].name))
				return bb_error_set(e, EINVAL, "--lv: two volumes named %s",
						    r->lv[i].name);
			if (r->lv[i].mount[0] && same_path(r->lv[i].mount, r->lv[j].mount))
				return bb_error_set(e, EINVAL, "--lv: %s and %s both mount on %s",
						    r->lv[j].name, r->lv[i].name, r->lv[i].mount);
		}
	return 0;
}
