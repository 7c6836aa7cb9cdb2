/* vfat.c - FAT12/16/32 geometry, boot sector, FSInfo, FATs and root
 * directory of a new filesystem, as byte offsets (Microsoft's FAT
 * specification, fatgen103) and the choices dosfstools 4.2 makes.
 *
 * The cluster search follows mkfs.fat's: start at 4 sectors per cluster
 * (FAT32: by size, as Windows' format), estimate the clusters that fit
 * beside their FATs, round each FAT up to whole clusters, count again,
 * and double the cluster size until the FAT type has a legal count.
 * Cluster counts 4085 and 4086 are avoided: Linux calls them FAT16,
 * Windows FAT12.
 */
#include "vfat.h"
#include "endian.h"
#include "error.h"
#include "io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NFATS 2
#define MAX_SECTORS UINT32_MAX
static const char no_name[VFAT_LABEL_LEN + 1] = "NO NAME    ";

/* ---- geometry ---------------------------------------------------------- */

struct shape {             /* what the size alone decides */
	uint64_t sectors;      /* after rounding to whole tracks */
	unsigned cluster0;     /* first cluster size tried */
	unsigned root_entries;
	uint8_t media;
	uint16_t secs_track, heads;
	bool align;            /* FATs and root directory on cluster boundaries */
};

struct floppy {
	unsigned kib, secs_track, cluster, root_entries;
	uint8_t media;
};
static const struct floppy floppies[] = {
	{ 360, 9, 2, 112, 0xfd },   { 720, 9, 2, 112, 0xf9 },   { 1200, 15, 1, 224, 0xf9 },
	{ 1440, 18, 1, 224, 0xf0 }, { 2880, 36, 2, 224, 0xf0 },
};

/* Heads and sectors per track nobody reads any more, but DOS and mtools
 * want the sector count a multiple of a track: the SD card association's
 * numbers below 256 MiB, LBA-assist translation above. */
static void chs(uint64_t total, uint16_t *heads, uint16_t *spt)
{
	if (total <= 524288) {
		*heads = total <= 32768 ? 2 : total <= 65536 ? 4 : total <= 262144 ? 8 : 16;
		*spt = total <= 4096 ? 16 : 32;
	} else {
		*heads = total <= 16 * 63 * 1024 ? 16 : total <= 32 * 63 * 1024 ? 32 :
			 total <= 64 * 63 * 1024 ? 64 : total <= 128 * 63 * 1024 ? 128 : 255;
		*spt = 63;
	}
}

/* FAT32 cluster size by the count of sectors (whatever their size), as
 * mkfs.fat reads Microsoft's table: 260 MiB, 8, 16, 32 GiB of 512 bytes. */
static unsigned fat32_cluster(uint64_t sectors)
{
	return sectors > 32ull * 1024 * 1024 * 2 ? 64 : sectors > 16ull * 1024 * 1024 * 2 ? 32 :
	       sectors > 8ull * 1024 * 1024 * 2 ? 16 : sectors > 260ull * 1024 * 2 ? 8 : 1;
}

static void shape_of(const struct vfat_params *p, unsigned bits, struct shape *s)
{
	uint64_t total = p->size / p->sector;
	memset(s, 0, sizeof(*s));
	s->cluster0 = 4;
	s->root_entries = 512;
	s->media = 0xf8;
	chs(total, &s->heads, &s->secs_track);
	for (size_t i = 0; p->floppy && i < sizeof(floppies) / sizeof(floppies[0]); i++) {
		const struct floppy *f = &floppies[i];
		if (p->size / 1024 != f->kib)
			continue;
		s->secs_track = (uint16_t)f->secs_track;
		s->heads = 2;
		s->cluster0 = f->cluster;
		s->root_entries = f->root_entries;
		s->media = f->media;
	}
	if (bits == 32)
		s->cluster0 = fat32_cluster(total);
	if (p->cluster)
		s->cluster0 = p->cluster;
	if (total > MAX_SECTORS)
		total = MAX_SECTORS; /* the rest of a larger area stays unused */
	s->sectors = total / s->secs_track * s->secs_track;
	/* floppy-sized filesystems keep every sector */
	s->align = s->sectors > 8192;
}

static int64_t align_up(const struct shape *s, int64_t v, unsigned cluster)
{
	return s->align ? (v + cluster - 1) / cluster * cluster : v;
}

static int64_t cdiv(int64_t a, int64_t b)
{
	return (a + b - 1) / b;
}

/* One FAT type at one cluster size: how many clusters fit in fatdata
 * sectors beside two FATs, and how long each FAT is. raw is the count
 * before the type's limits, to tell "too small" from "too large". */
struct fit {
	int64_t clusters, raw, fat;
};

static struct fit fit_fat(unsigned bits, const struct shape *s, int64_t fatdata, unsigned ss,
			  unsigned c)
{
	struct fit f = { 0, 0, 0 };
	if (fatdata <= 0)
		return f;
	int64_t est, max;
	/* First estimate: data and FAT entries share the space; 12-bit
	 * entries counted in half bytes so that the division rounds right. */
	if (bits == 12)
		est = 2 * (fatdata * ss + NFATS * 3) / (2 * (int64_t)c * ss + NFATS * 3);
	else
		est = (fatdata * ss + NFATS * bits / 4) / ((int64_t)c * ss + NFATS * bits / 8);
	int64_t bytes = bits == 12 ? ((est + 2) * 3 + 1) / 2 : (est + 2) * (bits / 8);
	f.fat = align_up(s, cdiv(bytes, ss), c);
	/* Count again: the unused tail of the FATs may not hold a cluster. */
	int64_t left = fatdata - NFATS * f.fat;
	f.raw = left > 0 ? left / c : 0;
	max = bits == 12 ? f.fat * 2 * ss / 3 : f.fat * ss / (bits / 8);
	int64_t cap = bits == 12 ? VFAT_MAX_CLUST_12 : bits == 16 ? VFAT_MAX_CLUST_16 : VFAT_MAX_CLUST_32;
	int64_t min = bits == 16 ? VFAT_MIN_CLUST_16 : bits == 32 ? VFAT_MIN_CLUST_32 : 1;
	if (max > cap)
		max = cap;
	f.clusters = f.raw <= max && f.raw >= min ? f.raw : 0;
	if (f.raw > max)
		f.raw = INT64_MAX; /* too many: a larger cluster or type is needed */
	return f;
}

enum { FIT_OK, FIT_SMALL, FIT_LARGE };

/* mkfs.fat's search. Fills l and returns FIT_OK, or says which way the
 * size misses. */
static int search(const struct vfat_params *p, struct vfat_layout *l)
{
	unsigned bits = p->fat_bits;
	if (!bits && p->size >= 512ull << 20)
		bits = 32;
	struct shape s;
	shape_of(p, bits, &s);
	unsigned ss = p->sector;
	int64_t reserved = bits == 32 ? 32 : 1;
	int64_t root_entries = bits == 32 ? 0 : s.root_entries;
	int64_t root_sectors = cdiv(root_entries * 32, ss);
	unsigned c = s.cluster0, cmax = p->cluster ? p->cluster : 128;
	struct fit f12 = { 0 }, f16 = { 0 }, f32 = { 0 };
	for (; c <= cmax; c <<= 1) {
		int64_t fatdata32 = (int64_t)s.sectors - align_up(&s, reserved, c);
		int64_t fatdata1216 = fatdata32 - align_up(&s, root_sectors, c);
		f12 = fit_fat(12, &s, fatdata1216, ss, c);
		f16 = fit_fat(16, &s, fatdata1216, ss, c);
		f32 = fit_fat(32, &s, fatdata32, ss, c);
		if ((f12.clusters && (!bits || bits == 12)) || (f16.clusters && (!bits || bits == 16)) ||
		    (f32.clusters && bits == 32))
			break;
	}
	if (!bits)
		bits = f16.clusters > f12.clusters ? 16 : 12;
	const struct fit *f = bits == 12 ? &f12 : bits == 16 ? &f16 : &f32;
	if (c > cmax || !f->clusters)
		return f->raw == INT64_MAX ? FIT_LARGE : FIT_SMALL;

	memset(l, 0, sizeof(*l));
	l->fat_bits = bits;
	l->sector = ss;
	l->cluster = c;
	l->sectors = (uint32_t)s.sectors;
	l->reserved = (uint32_t)align_up(&s, reserved, c);
	l->fat_sectors = (uint32_t)f->fat;
	if (bits != 32) {
		root_sectors = align_up(&s, root_sectors, c);
		l->root_entries = (uint32_t)(s.align ? root_sectors * (ss / 32) : root_entries);
		l->root_sectors = (uint32_t)cdiv(l->root_entries * 32, ss);
	}
	l->clusters = (uint32_t)f->clusters;
	l->data_start = l->reserved + NFATS * l->fat_sectors + l->root_sectors;
	l->media = s.media;
	l->secs_track = s.secs_track;
	l->heads = s.heads;
	if (bits == 32) {
		l->info_sector = 1;
		l->backup_boot = 6;
	}
	/* mkfs.fat's floor: 32 KiB of data area at least. */
	uint64_t data_kib = (uint64_t)l->data_start * ss / 1024 + ((uint64_t)l->data_start * ss % 1024 != 0);
	if (p->size / 1024 < data_kib + 32)
		return FIT_SMALL;
	return FIT_OK;
}

static bool fits(const struct vfat_params *p, uint64_t sectors)
{
	struct vfat_params q = *p;
	struct vfat_layout l;
	q.size = sectors * p->sector;
	return search(&q, &l) == FIT_OK;
}

/* The nearest size that works, looking up (too small) or down (too
 * large) from p->size in whole sectors; 0 when none does. A size that
 * works is found by doubling or halving, then the boundary between it
 * and the failing size by bisection (either may be the larger). */
static uint64_t nearest_fit(const struct vfat_params *p, bool up)
{
	uint64_t bad = p->size / p->sector, good = bad;
	do {
		good = up ? (good ? good * 2 : 1) : good / 2;
		if (!good || good > (uint64_t)MAX_SECTORS * 2)
			return 0;
	} while (!fits(p, good));
	while ((good > bad ? good - bad : bad - good) > 1) {
		uint64_t mid = bad / 2 + good / 2 + (bad % 2 + good % 2) / 2;
		if (fits(p, mid))
			good = mid;
		else
			bad = mid;
	}
	return good;
}

/* b in whole MiB (KiB below 10 MiB), rounded up or down: a minimum is
 * never understated, a maximum never overstated. */
static const char *bytes_text(uint64_t b, bool up, char *buf, size_t len)
{
	unsigned shift = b >= 10ull << 20 ? 20 : 10;
	uint64_t unit = 1ull << shift;
	snprintf(buf, len, "%llu %s", (unsigned long long)((b + (up ? unit - 1 : 0)) >> shift),
		 shift == 20 ? "MiB" : "KiB");
	return buf;
}

static int check_params(const struct vfat_params *p, struct bb_error *e)
{
	unsigned s = p->sector;
	if (s != 512 && s != 1024 && s != 2048 && s != 4096)
		return bb_error_set(e, EINVAL, "sector size %u: 512, 1024, 2048 or 4096", s);
	if (p->fat_bits && p->fat_bits != 12 && p->fat_bits != 16 && p->fat_bits != 32)
		return bb_error_set(e, EINVAL, "FAT type %u: 12, 16 or 32", p->fat_bits);
	if (p->cluster && (p->cluster > 128 || (p->cluster & (p->cluster - 1))))
		return bb_error_set(e, EINVAL, "%u sectors per cluster: 1, 2, 4 ... 128", p->cluster);
	return 0;
}

int vfat_layout(const struct vfat_params *p, struct vfat_layout *l, struct bb_error *e)
{
	if (check_params(p, e))
		return -1;
	int r = search(p, l);
	if (r == FIT_OK)
		return 0;
	char type[16], have[32], need[24];
	if (p->fat_bits)
		snprintf(type, sizeof(type), "FAT%u", p->fat_bits);
	else
		snprintf(type, sizeof(type), "FAT");
	bytes_text(p->size, false, have, sizeof(have));
	uint64_t n = nearest_fit(p, r == FIT_SMALL);
	if (!n)
		return bb_error_set(e, r == FIT_SMALL ? ENOSPC : EFBIG,
				    "%s is too %s for %s with %u-byte sectors%s", have,
				    r == FIT_SMALL ? "small" : "large", type, p->sector,
				    p->cluster ? " and this cluster size" : "");
	bytes_text(n * p->sector, r == FIT_SMALL, need, sizeof(need));
	if (!strcmp(have, need)) /* both round to the same: say it in bytes */
		snprintf(have, sizeof(have), "%llu bytes", (unsigned long long)p->size);
	return bb_error_set(e, r == FIT_SMALL ? ENOSPC : EFBIG,
			    "%s is too %s for %s with %u-byte sectors%s: it needs %s %s "
			    "(%llu bytes)%s",
			    have, r == FIT_SMALL ? "small" : "large", type, p->sector,
			    p->cluster ? " and this cluster size" : "",
			    r == FIT_SMALL ? "at least" : "at most", need,
			    (unsigned long long)(n * p->sector),
			    p->fat_bits == 32 && r == FIT_SMALL ? ", for 65525 clusters" : "");
}

/* ---- text ---------------------------------------------------------------- */

int vfat_label(const char *s, char out[VFAT_LABEL_LEN], bool *lower, struct bb_error *e)
{
	size_t n = strlen(s);
	*lower = false;
	if (n > VFAT_LABEL_LEN)
		return bb_error_set(e, EINVAL, "label '%s' is %zu bytes long; at most %d fit", s, n,
				    VFAT_LABEL_LEN);
	size_t blanks = strspn(s, " ");
	if (blanks == n) {
		memcpy(out, no_name, VFAT_LABEL_LEN);
		return 0;
	}
	if (blanks)
		return bb_error_set(e, EINVAL, "label '%s' starts with a blank", s);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f)
			return bb_error_set(e, EINVAL,
					    "label: byte 0x%02x: only printable ASCII is taken", c);
		if (strchr("*?.,;:/\\|+=<>[]\"", c))
			return bb_error_set(e, EINVAL, "label: '%c' is not allowed in a FAT label", c);
		if (c >= 'a' && c <= 'z')
			*lower = true;
	}
	memset(out, ' ', VFAT_LABEL_LEN);
	memcpy(out, s, n);
	return 0;
}

bool vfat_label_is_none(const char label[VFAT_LABEL_LEN])
{
	return !memcmp(label, no_name, VFAT_LABEL_LEN);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int vfat_volid_parse(const char *s, uint32_t *out, struct bb_error *e)
{
	const char *p = s;
	size_t n = strlen(s);
	bool dashed = n == 9 && s[4] == '-';
	if (!dashed && n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		p += 2;
	uint32_t v = 0;
	unsigned digits = 0;
	for (; *p; p++) {
		if (dashed && p == s + 4)
			continue;
		int d = hexval(*p);
		if (d < 0 || ++digits > 8)
			return bb_error_set(e, EINVAL,
					    "volume id '%s': 1 to 8 hex digits, or XXXX-XXXX", s);
		v = v << 4 | (uint32_t)d;
	}
	if (!digits)
		return bb_error_set(e, EINVAL, "volume id '%s': 1 to 8 hex digits, or XXXX-XXXX", s);
	*out = v;
	return 0;
}

void vfat_dos_time(int64_t t, uint16_t *date, uint16_t *time)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!localtime_r(&tt, &tm) || tm.tm_year < 80 || tm.tm_year > 207) {
		*date = 1 | 1 << 5; /* 1980-01-01 */
		*time = 0;
		return;
	}
	*date = (uint16_t)(tm.tm_mday | (tm.tm_mon + 1) << 5 | (tm.tm_year - 80) << 9);
	*time = (uint16_t)(tm.tm_sec / 2 | tm.tm_min << 5 | tm.tm_hour << 11);
}

/* ---- sectors --------------------------------------------------------------- */

/* A boot program of our own for the BIOS that tries this disk: print a
 * line, wait for a key, ask the BIOS for the next boot device. The
 * message's address is patched in (it depends on where the code sits). */
static const uint8_t boot_code[] = {
	0xfa,             /* cli */
	0x31, 0xc0,       /* xor ax, ax */
	0x8e, 0xd8,       /* mov ds, ax */
	0x8e, 0xd0,       /* mov ss, ax */
	0xbc, 0x00, 0x7c, /* mov sp, 0x7c00 */
	0xfb,             /* sti */
	0xbe, 0x00, 0x00, /* mov si, message (patched) */
	0xac,             /* next: lodsb */
	0x84, 0xc0,       /* test al, al */
	0x74, 0x09,       /* jz key */
	0xb4, 0x0e,       /* mov ah, 0x0e */
	0xbb, 0x07, 0x00, /* mov bx, 7 */
	0xcd, 0x10,       /* int 0x10 */
	0xeb, 0xf2,       /* jmp next */
	0x31, 0xc0,       /* key: xor ax, ax */
	0xcd, 0x16,       /* int 0x16 */
	0xcd, 0x19,       /* int 0x19 */
	0xf4,             /* halt: hlt */
	0xeb, 0xfd,       /* jmp halt */
};
#define BOOT_MSG_PATCH 12
static const char boot_msg[] = "This disk is not bootable (FAT made by blockbox).\r\n"
			       "Press a key to try the next boot device.\r\n";

enum { FAT1216_CODE = 62, FAT32_CODE = 90 };

static void put_volume_info(uint8_t *b, const struct vfat_params *p, const struct vfat_layout *l,
			    unsigned at)
{
	b[at] = l->media == 0xf8 ? 0x80 : 0x00; /* BIOS drive number */
	b[at + 2] = 0x29;                       /* extended boot signature */
	put_le32(b + at + 3, p->volid);
	memcpy(b + at + 7, p->label, VFAT_LABEL_LEN);
	memcpy(b + at + 18, l->fat_bits == 12 ? "FAT12   " : l->fat_bits == 16 ? "FAT16   " : "FAT32   ", 8);
}

static void boot_sector(uint8_t *b, const struct vfat_params *p, const struct vfat_layout *l)
{
	unsigned code = l->fat_bits == 32 ? FAT32_CODE : FAT1216_CODE;
	b[0] = 0xeb;
	b[1] = (uint8_t)(code - 2);
	b[2] = 0x90;
	memcpy(b + 3, "blockbox", 8);
	put_le16(b + 11, (uint16_t)l->sector);
	b[13] = (uint8_t)l->cluster;
	put_le16(b + 14, (uint16_t)l->reserved);
	b[16] = NFATS;
	put_le16(b + 17, (uint16_t)l->root_entries);
	put_le16(b + 19, l->sectors < 65536 ? (uint16_t)l->sectors : 0);
	b[21] = l->media;
	put_le16(b + 22, l->fat_bits == 32 ? 0 : (uint16_t)l->fat_sectors);
	put_le16(b + 24, l->secs_track);
	put_le16(b + 26, l->heads);
	put_le32(b + 28, p->hidden);
	put_le32(b + 32, l->sectors < 65536 ? 0 : l->sectors);
	if (l->fat_bits == 32) {
		put_le32(b + 36, l->fat_sectors);
		put_le16(b + 40, 0); /* both FATs mirrored */
		put_le16(b + 42, 0); /* version 0.0 */
		put_le32(b + 44, 2); /* root directory cluster */
		put_le16(b + 48, l->info_sector);
		put_le16(b + 50, l->backup_boot);
		put_volume_info(b, p, l, 64);
	} else {
		put_volume_info(b, p, l, 36);
	}
	memcpy(b + code, boot_code, sizeof(boot_code));
	put_le16(b + code + BOOT_MSG_PATCH, (uint16_t)(0x7c00 + code + sizeof(boot_code)));
	memcpy(b + code + sizeof(boot_code), boot_msg, sizeof(boot_msg));
	b[510] = 0x55;
	b[511] = 0xaa;
}

static void fsinfo_sector(uint8_t *b, const struct vfat_layout *l)
{
	put_le32(b, 0x41615252);       /* "RRaA" */
	put_le32(b + 484, 0x61417272); /* "rrAa" */
	put_le32(b + 488, l->clusters - 1); /* free: all but the root directory's */
	put_le32(b + 492, 2);          /* where to look for a free cluster */
	b[510] = 0x55;
	b[511] = 0xaa;
}

/* The first sector of each FAT: the media byte in entry 0, end-of-chain
 * in entry 1, and on FAT32 the root directory's one cluster. */
static void fat_head(uint8_t *b, const struct vfat_layout *l)
{
	if (l->fat_bits == 12) {
		b[0] = l->media;
		b[1] = b[2] = 0xff;
	} else if (l->fat_bits == 16) {
		put_le16(b, (uint16_t)(0xff00 | l->media));
		put_le16(b + 2, 0xffff);
	} else {
		put_le32(b, 0x0fffff00u | l->media);
		put_le32(b + 4, 0x0fffffff);
		put_le32(b + 8, 0x0ffffff8);
	}
}

/* The label as the root directory's first entry (attribute: volume). */
static void label_entry(uint8_t *d, const struct vfat_params *p)
{
	memcpy(d, p->label, VFAT_LABEL_LEN);
	d[11] = 0x08;
	put_le16(d + 14, p->dos_time);
	put_le16(d + 16, p->dos_date);
	put_le16(d + 18, p->dos_date);
	put_le16(d + 22, p->dos_time);
	put_le16(d + 24, p->dos_date);
}

static void add(struct vfat_plan *pl, const char *what, uint64_t off, uint64_t len,
		const uint8_t *buf, bool sync)
{
	pl->io[pl->n++] = (struct vfat_io){ what, off, len, buf, sync };
}

int vfat_plan(const struct vfat_params *p, struct vfat_plan *pl, struct bb_error *e)
{
	memset(pl, 0, sizeof(*pl));
	if (vfat_layout(p, &pl->l, e))
		return -1;
	const struct vfat_layout *l = &pl->l;
	uint64_t ss = l->sector;
	pl->mem = calloc(4, ss);
	if (!pl->mem)
		return bb_error_errno(e, "FAT plan");
	uint8_t *boot = pl->mem, *info = boot + ss, *fat = info + ss, *root = fat + ss;
	boot_sector(boot, p, l);
	fat_head(fat, l);
	if (!vfat_label_is_none(p->label))
		label_entry(root, p);
	uint64_t root_at = l->fat_bits == 32 ? l->data_start : l->reserved + NFATS * l->fat_sectors;
	uint64_t end = l->fat_bits == 32 ? l->data_start + l->cluster : l->data_start;

	add(pl, "old boot sector", 0, ss, NULL, true);
	add(pl, "reserved sectors, FATs and root directory", ss, (end - 1) * ss, NULL, false);
	add(pl, "first FAT", l->reserved * ss, ss, fat, false);
	add(pl, "second FAT", (l->reserved + l->fat_sectors) * ss, ss, fat, false);
	add(pl, "root directory", root_at * ss, ss, root, l->fat_bits != 32);
	if (l->fat_bits == 32) {
		fsinfo_sector(info, l);
		add(pl, "FSInfo sector", l->info_sector * ss, ss, info, false);
		add(pl, "backup boot sector", l->backup_boot * ss, ss, boot, false);
		add(pl, "backup FSInfo sector", (l->backup_boot + l->info_sector) * ss, ss, info, true);
	}
	add(pl, "boot sector", 0, ss, boot, true);
	return 0;
}

void vfat_plan_free(struct vfat_plan *pl)
{
	free(pl->mem);
	pl->mem = NULL;
	pl->n = 0;
}

#define ZERO_CHUNK (1u << 20)

static int write_zeros(int fd, uint64_t off, uint64_t len, uint8_t **zero)
{
	if (!*zero && !(*zero = calloc(1, ZERO_CHUNK)))
		return -1;
	while (len) {
		size_t n = len < ZERO_CHUNK ? (size_t)len : ZERO_CHUNK;
		if (pwrite_full(fd, *zero, n, off))
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

int vfat_apply(const struct vfat_plan *pl, int fd, uint64_t off, struct bb_error *e)
{
	uint8_t *zero = NULL;
	int rc = 0;
	for (unsigned i = 0; i < pl->n && !rc; i++) {
		const struct vfat_io *io = &pl->io[i];
		int w = io->buf ? pwrite_full(fd, io->buf, io->len, off + io->off)
				: write_zeros(fd, off + io->off, io->len, &zero);
		if (w)
			rc = bb_error_errno(e, "write the %s", io->what);
		else if (io->sync_after && fsync(fd))
			rc = bb_error_errno(e, "flush after the %s", io->what);
	}
	free(zero);
	return rc;
}
