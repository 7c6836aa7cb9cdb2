/* gpt.c - GUID partition tables (UEFI 2.x, chapter 5).
 *
 * On disk: LBA 0 a protective MBR; LBA 1 the primary header; the entry
 * array after it (LBA 2 on every tool's tables); the usable area; then the
 * backup entry array and the backup header in the last LBA. Every field
 * is little-endian and goes through endian.h; every offset or count that
 * comes off the disk is range-checked before it is used to read memory or
 * the disk.
 */
#include "gpt.h"
#include "error.h"
#include "bb.h"
#include "blkdev.h"
#include "checked.h"
#include "crc.h"
#include "endian.h"
#include "io.h"
#include "mbr.h"
#include "num.h"
#include "size.h"
#include "utf8.h"
#include "uuid.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Header fields (byte offsets) */
#define H_SIG 0
#define H_REVISION 8
#define H_SIZE 12
#define H_CRC 16
#define H_MY_LBA 24
#define H_ALT_LBA 32
#define H_FIRST 40
#define H_LAST 48
#define H_GUID 56
#define H_ENTRIES_LBA 72
#define H_NENTRIES 80
#define H_ENTRY_SIZE 84
#define H_ENTRIES_CRC 88
#define H_LEN 92 /* what we write; readers accept up to a sector */

/* Entry fields */
#define E_TYPE 0
#define E_GUID 16
#define E_FIRST 32
#define E_LAST 40
#define E_ATTRS 48
#define E_NAME 56

/* MBR */
#define MBR_PARTS 446
#define MBR_SIG 510

static const char gpt_sig[8] = { 'E', 'F', 'I', ' ', 'P', 'A', 'R', 'T' };

/* Most refusals are about what the table or the request says: EINVAL,
 * unless the caller gives the errno of a failed call. */
static void set_err_code(struct gpt *g, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err_code(struct gpt *g, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g->err.msg, sizeof(g->err.msg), fmt, ap);
	va_end(ap);
	g->err.code = code;
}
#define set_err(g, ...) set_err_code(g, EINVAL, __VA_ARGS__)

/* ---- GUIDs ------------------------------------------------------------ */

/* A GUID's text reads the RFC 4122 fields big-endian; GPT stores the first
 * three (4, 2 and 2 bytes) little-endian. Swapping them converts either
 * way (core/uuid does the text). */
static void swap_fields(uint8_t b[16])
{
	static const uint8_t pos[8] = { 3, 2, 1, 0, 5, 4, 7, 6 };
	uint8_t t[8];
	for (int i = 0; i < 8; i++)
		t[i] = b[pos[i]];
	memcpy(b, t, 8);
}

int gpt_guid_parse(const char *s, struct gpt_guid *g)
{
	struct uuid u;
	if (uuid_parse(s, &u, NULL))
		return -1;
	memcpy(g->b, u.b, 16);
	swap_fields(g->b);
	return 0;
}

char *gpt_guid_fmt(const struct gpt_guid *g, char buf[GPT_GUID_STR])
{
	struct uuid u;
	memcpy(u.b, g->b, 16);
	swap_fields(u.b);
	return uuid_fmt_upper(&u, buf);
}

bool gpt_guid_is_zero(const struct gpt_guid *g)
{
	static const struct gpt_guid zero;
	return !memcmp(g, &zero, sizeof(zero));
}

bool gpt_guid_eq(const struct gpt_guid *a, const struct gpt_guid *b)
{
	return !memcmp(a, b, sizeof(*a));
}

int gpt_guid_random(struct gpt_guid *g)
{
	struct uuid u;
	if (uuid_random(&u, NULL))
		return -1;
	memcpy(g->b, u.b, 16);
	swap_fields(g->b); /* the version nibble moves into the little-endian third field */
	return 0;
}

/* ---- partition types ---------------------------------------------------
 * The one table of short names. desc is util-linux's name for the type
 * (gdisk's where util-linux has none), so tests can check the GUIDs
 * against `sfdisk --label gpt -T`. */
const struct gpt_type gpt_types[] = {
	{ "linux", "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "Linux filesystem" },
	{ "esp", "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "EFI System" },
	{ "swap", "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", "Linux swap" },
	{ "bios_boot", "21686148-6449-6E6F-744E-656564454649", "BIOS boot" },
	{ "linux_raid", "A19D880F-05FC-4D3B-A006-743F0F84911E", "Linux RAID" },
	{ "lvm", "E6D6D379-F507-44C2-A23C-238F2A3DF928", "Linux LVM" },
	{ "home", "933AC7E1-2EB4-4F13-B844-0E14E2AEF915", "Linux home" },
	{ "srv", "3B8F8425-20E0-4F3B-907F-1A25A76F98E8", "Linux server data" },
	{ "var", "4D21B016-B534-45C2-A9FB-5C16E091FD2D", "Linux variable data" },
	{ "var_tmp", "7EC6F557-3BC5-4ACA-B293-16EF5DF639D1", "Linux temporary data" },
	{ "xbootldr", "BC13C2FF-59E6-4262-A352-B275FD6F7172", "Linux extended boot" },
	{ "linux_reserved", "8DA63339-0007-60C0-C436-083AC8230908", "Linux reserved" },
	{ "linux_root_x86_64", "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", "Linux root (x86-64)" },
	{ "linux_usr_x86_64", "8484680C-9521-48C6-9C11-B0720656F69E", "Linux /usr (x86-64)" },
	{ "linux_root_x86", "44479540-F297-41B2-9AF7-D131D5F0458A", "Linux root (x86)" },
	{ "linux_usr_x86", "75250D76-8CC6-458E-BD66-BD47CC81A812", "Linux /usr (x86)" },
	{ "linux_root_aarch64", "B921B045-1DF0-41C3-AF44-4C6F280D3FAE", "Linux root (ARM-64)" },
	{ "linux_usr_aarch64", "B0E01050-EE5F-4390-949A-9101B17104E9", "Linux /usr (ARM-64)" },
	{ "linux_luks", "CA7D7CCB-63ED-4C53-861C-1742536059CC", "Linux LUKS" },
	{ "linux_dmcrypt", "7FFEC5C9-2D00-49B7-8941-3EA10A5586B7", "Linux dm-crypt" },
	{ "msft_basic", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "Microsoft basic data" },
	{ "msft_reserved", "E3C9E316-0B5C-4DB8-817D-F92DF00215AE", "Microsoft reserved" },
	{ "msft_recovery", "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC", "Windows recovery environment" },
	{ "zfs", "6A898CC3-1DD2-11B2-99A6-080020736631", "Solaris /usr & Apple ZFS" },
	{ "prep", "9E1A2D38-C612-4316-AA26-8B49521E5A8B", "PowerPC PReP boot" },
};
const size_t gpt_type_count = ARRAY_SIZE(gpt_types);

int gpt_type_parse(const char *s, struct gpt_guid *out)
{
	for (size_t i = 0; i < gpt_type_count; i++)
		if (!strcasecmp(s, gpt_types[i].name))
			return gpt_guid_parse(gpt_types[i].guid, out);
	return gpt_guid_parse(s, out);
}

const char *gpt_type_name(const struct gpt_guid *g)
{
	for (size_t i = 0; i < gpt_type_count; i++) {
		struct gpt_guid t;
		if (!gpt_guid_parse(gpt_types[i].guid, &t) && gpt_guid_eq(&t, g))
			return gpt_types[i].name;
	}
	return NULL;
}

/* ---- attributes ---------------------------------------------------------- */

static const struct {
	unsigned bit;
	const char *name, *alias; /* ours, util-linux's */
} attr_names[] = {
	{ GPT_ATTR_REQUIRED, "required", "RequiredPartition" },
	{ GPT_ATTR_NO_BLOCK_IO, "no_block_io", "NoBlockIOProtocol" },
	{ GPT_ATTR_LEGACY_BOOT, "legacy_boot", "LegacyBIOSBootable" },
	{ GPT_ATTR_GROWFS, "growfs", NULL },
	{ GPT_ATTR_READ_ONLY, "read_only", NULL },
	{ GPT_ATTR_HIDDEN, "hidden", NULL },
	{ GPT_ATTR_NO_AUTOMOUNT, "no_automount", NULL },
};

const char *gpt_attr_name(unsigned bit)
{
	for (size_t i = 0; i < ARRAY_SIZE(attr_names); i++)
		if (attr_names[i].bit == bit)
			return attr_names[i].name;
	return NULL;
}

static int attr_token(const char *t, size_t len, uint64_t *mask)
{
	char tok[32];
	if (!len || len >= sizeof(tok))
		return -1;
	memcpy(tok, t, len);
	tok[len] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(attr_names); i++)
		if (!strcasecmp(tok, attr_names[i].name) ||
		    (attr_names[i].alias && !strcasecmp(tok, attr_names[i].alias))) {
			*mask |= 1ull << attr_names[i].bit;
			return 0;
		}
	const char *num = tok;
	if (!strncasecmp(num, "GUID:", 5))
		num += 5;
	uint64_t v;
	if (!strncasecmp(num, "0x", 2) && num == tok) { /* a whole mask */
		if (num_u64(num, 0, UINT64_MAX, &v, NULL))
			return -1;
		*mask |= v;
		return 0;
	}
	if (num_dec_u64(num, 0, 63, &v, NULL))
		return -1;
	*mask |= 1ull << v;
	return 0;
}

int gpt_attr_parse(const char *s, uint64_t *out, const char **why)
{
	uint64_t mask = 0;
	while (*s) {
		size_t len = strcspn(s, ", ");
		if (len && attr_token(s, len, &mask)) {
			*why = "unknown attribute (use required, no_block_io, legacy_boot, growfs, "
			       "read_only, hidden, no_automount, or a bit number 0-63)";
			return -1;
		}
		s += len;
		s += strspn(s, ", ");
	}
	*out = mask;
	return 0;
}

/* ---- names ----------------------------------------------------------------- */

int gpt_name_from_utf8(const char *s, uint16_t out[GPT_NAME_UNITS], const char **why)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	size_t n = 0;
	memset(out, 0, GPT_NAME_UNITS * sizeof(out[0]));
	while (p < end) {
		uint32_t c;
		size_t used = utf8_decode(p, (size_t)(end - p), &c);
		if (!used) {
			*why = "not valid UTF-8";
			return -1;
		}
		p += used;
		size_t units = c > 0xFFFF ? 2 : 1;
		if (n + units > GPT_NAME_UNITS) {
			*why = "longer than 36 UTF-16 code units";
			return -1;
		}
		if (units == 2) {
			c -= 0x10000;
			out[n++] = (uint16_t)(0xD800 | c >> 10);
			out[n++] = (uint16_t)(0xDC00 | (c & 0x3FF));
		} else {
			out[n++] = (uint16_t)c;
		}
	}
	return 0;
}

/* A pair takes two units and four bytes, a lone unit at most three, so
 * GPT_NAME_UTF8_MAX always suffices. */
size_t gpt_name_to_utf8(const uint16_t in[GPT_NAME_UNITS], char *out)
{
	char *o = out;
	for (size_t i = 0; i < GPT_NAME_UNITS && in[i]; i++) {
		uint32_t c = in[i];
		if (c >= 0xD800 && c <= 0xDBFF && i + 1 < GPT_NAME_UNITS && in[i + 1] >= 0xDC00 &&
		    in[i + 1] <= 0xDFFF)
			c = 0x10000 + ((c - 0xD800) << 10 | (uint32_t)(in[++i] - 0xDC00));
		else if (c >= 0xD800 && c <= 0xDFFF)
			c = 0xFFFD;
		o += utf8_encode(o, c);
	}
	*o = 0;
	return (size_t)(o - out);
}

/* ---- problems ---------------------------------------------------------- */

static void problem(struct gpt *g, enum gpt_problem_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(struct gpt *g, enum gpt_problem_kind kind, const char *fmt, ...)
{
	if (g->nproblems == GPT_MAX_PROBLEMS) {
		g->ndropped++;
		return;
	}
	struct gpt_problem *p = &g->problem[g->nproblems++];
	p->kind = kind;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
}

/* Remove the partition problems (part), or all the others; returns how
 * many went. */
static unsigned drop_problems(struct gpt *g, bool part)
{
	unsigned kept = 0, n = g->nproblems;
	for (unsigned i = 0; i < n; i++)
		if ((g->problem[i].kind == GPT_P_PART) != part)
			g->problem[kept++] = g->problem[i];
	g->nproblems = kept;
	/* Copy and MBR problems come first and are few: only partition
	 * problems ever overflow the list. */
	if (part)
		g->ndropped = 0;
	return n - kept;
}

bool gpt_has_problem(const struct gpt *g, enum gpt_problem_kind kind)
{
	for (unsigned i = 0; i < g->nproblems; i++)
		if (g->problem[i].kind == kind)
			return true;
	return false;
}

const char *gpt_problem_kind_name(enum gpt_problem_kind kind)
{
	static const char *const names[] = {
		[GPT_P_PRIMARY] = "primary",   [GPT_P_BACKUP] = "backup",
		[GPT_P_PLACE] = "backup_place", [GPT_P_MISMATCH] = "mismatch",
		[GPT_P_MBR] = "mbr",           [GPT_P_MBR_FOREIGN] = "mbr_foreign",
		[GPT_P_PART] = "partition",
	};
	return (unsigned)kind < ARRAY_SIZE(names) ? names[kind] : "unknown";
}

/* ---- geometry ----------------------------------------------------------- */

typedef unsigned long long ull; /* for printf */

uint64_t gpt_align_lbas(const struct gpt *g) { return GPT_ALIGN_BYTES / g->sector; }

/* Sectors an entry array takes; callers have bounded it to GPT_MAX_ARRAY. */
static uint64_t array_lbas(uint32_t nentries, uint32_t entry_size, unsigned sector)
{
	uint64_t bytes = (uint64_t)nentries * entry_size;
	return (bytes + sector - 1) / sector;
}

static bool overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 <= b1 && b0 <= a1;
}

/* Where a table is read from: a disk or image, or a backup file's
 * sectors (gpt_read_backup). */
struct src {
	int fd;
	const struct gpt_backup *bak;
};

/* Sectors a backup holds: only a whole range inside one of its extents. */
static int backup_lbas(struct gpt *g, const struct gpt_backup *b, uint64_t lba, uint64_t count,
		       void *buf)
{
	for (unsigned i = 0; i < GPT_BACKUP_EXTENTS; i++) {
		const struct gpt_extent *x = &b->ext[i];
		if (lba >= x->lba && lba - x->lba < x->count && count <= x->count - (lba - x->lba)) {
			memcpy(buf, x->data + (lba - x->lba) * g->sector, (size_t)(count * g->sector));
			return 0;
		}
	}
	set_err(g, "the backup does not hold LBA %llu-%llu", (ull)lba, (ull)(lba + count - 1));
	return -1;
}

static int read_lbas(struct gpt *g, const struct src *s, uint64_t lba, uint64_t count, void *buf)
{
	if (s->bak)
		return backup_lbas(g, s->bak, lba, count, buf);
	size_t len = (size_t)(count * g->sector);
	ssize_t r = pread_full(s->fd, buf, len, lba * g->sector);
	if (r == (ssize_t)len)
		return 0;
	set_err_code(g, r < 0 ? errno : EIO, "reading LBA %llu: %s", (ull)lba,
		     r < 0 ? strerror(errno) : "short read");
	return -1;
}

/* ---- the protective MBR ---------------------------------------------- */

/* What the 0xEE entry should count: the disk after LBA 0, or all ones
 * when that does not fit in 32 bits. */
static uint32_t pmbr_size(const struct gpt *g)
{
	return g->lbas - 1 > UINT32_MAX ? UINT32_MAX : (uint32_t)(g->lbas - 1);
}

static void check_mbr(struct gpt *g)
{
	switch (g->mbr) {
	case GPT_MBR_NONE:
		problem(g, GPT_P_MBR, "no protective MBR in LBA 0");
		return;
	case GPT_MBR_FOREIGN:
		problem(g, GPT_P_MBR_FOREIGN, "LBA 0 holds an MBR partition table without a "
			"protective 0xEE entry, so the kernel reads it instead of the GPT");
		return;
	case GPT_MBR_HYBRID:
		return; /* deliberate; its 0xEE entry need not cover the disk */
	case GPT_MBR_PROTECTIVE:
		break;
	}
	for (int i = 0; i < 4; i++) {
		uint8_t type;
		uint32_t start, size;
		mbr_record(g->lba0, i, &type, &start, &size);
		if (type != MBR_TYPE_GPT)
			continue;
		if (start != 1)
			problem(g, GPT_P_MBR, "protective MBR entry starts at LBA %u, not 1", start);
		else if (size != pmbr_size(g) && size != UINT32_MAX)
			problem(g, GPT_P_MBR, "protective MBR covers %u sectors, not the %llu "
				"after LBA 0", size, (ull)(g->lbas - 1));
		return;
	}
}

/* Keeps bytes 0-445 (boot code, disk signature) of what was there. */
static void put_pmbr(const struct gpt *g, uint8_t *b)
{
	uint8_t *r = b + MBR_PARTS;
	memset(r, 0, 4 * 16);
	r[1] = 0x00, r[2] = 0x02, r[3] = 0x00; /* CHS of LBA 1 */
	r[4] = MBR_TYPE_GPT;
	r[5] = r[6] = r[7] = 0xFF;             /* CHS not representable */
	put_le32(r + 8, 1);
	put_le32(r + 12, pmbr_size(g));
	b[MBR_SIG] = 0x55;
	b[MBR_SIG + 1] = 0xAA;
}

/* ---- headers -------------------------------------------------------------- */

struct hdr {
	uint32_t revision, size, crc, nentries, entry_size, entries_crc;
	uint64_t my_lba, alt_lba, first, last, entries_lba;
	struct gpt_guid disk_guid;
};

static void hdr_decode(const uint8_t *b, struct hdr *h)
{
	h->revision = get_le32(b + H_REVISION);
	h->size = get_le32(b + H_SIZE);
	h->crc = get_le32(b + H_CRC);
	h->my_lba = get_le64(b + H_MY_LBA);
	h->alt_lba = get_le64(b + H_ALT_LBA);
	h->first = get_le64(b + H_FIRST);
	h->last = get_le64(b + H_LAST);
	memcpy(h->disk_guid.b, b + H_GUID, 16);
	h->entries_lba = get_le64(b + H_ENTRIES_LBA);
	h->nentries = get_le32(b + H_NENTRIES);
	h->entry_size = get_le32(b + H_ENTRY_SIZE);
	h->entries_crc = get_le32(b + H_ENTRIES_CRC);
}

/* The fuzzer cannot forge CRCs; in its build a wrong CRC is noticed but
 * not fatal, so that the structure checks behind it get exercised. */
static bool crc_differs(uint32_t stored, uint32_t computed)
{
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	(void)stored, (void)computed;
	return false;
#else
	return stored != computed;
#endif
}

/* The CRC of a header is taken with its own CRC field as zero. */
static uint32_t hdr_crc(const uint8_t *b, uint32_t size)
{
	static const uint8_t zero[4];
	uint32_t c = crc32_ieee(0, b, H_CRC);
	c = crc32_ieee(c, zero, sizeof(zero));
	return crc32_ieee(c, b + H_CRC + 4, size - H_CRC - 4);
}

#define BAD(...) (snprintf(why, len, __VA_ARGS__), -1)

/* Is the header read from LBA at sound on its own? Checks in the order
 * in which a later field only means something once the earlier hold. */
static int hdr_check(const struct gpt *g, const uint8_t *b, uint64_t at, struct hdr *h,
		     char *why, size_t len)
{
	if (memcmp(b + H_SIG, gpt_sig, sizeof(gpt_sig)))
		return BAD("no GPT signature");
	hdr_decode(b, h);
	if (h->revision >> 16 != 1)
		return BAD("revision %u.%u is not 1.x", h->revision >> 16, h->revision & 0xFFFF);
	if (h->size < H_LEN || h->size > g->sector)
		return BAD("header size %u is outside %u..%u", h->size, H_LEN, g->sector);
	uint32_t crc = hdr_crc(b, h->size);
	if (crc_differs(h->crc, crc))
		return BAD("header CRC is 0x%08x, should be 0x%08x", h->crc, crc);
	if (h->my_lba != at)
		return BAD("it says it is at LBA %llu", (ull)h->my_lba);
	if (h->first > h->last)
		return BAD("first usable LBA %llu is past the last usable LBA %llu",
			   (ull)h->first, (ull)h->last);
	if (h->last >= g->lbas)
		return BAD("last usable LBA %llu is past the end of the disk (LBA %llu)",
			   (ull)h->last, (ull)(g->lbas - 1));
	if (h->first < 2 || overlaps(h->first, h->last, at, at) ||
	    overlaps(h->first, h->last, h->alt_lba, h->alt_lba))
		return BAD("usable area LBA %llu-%llu covers the MBR or a header",
			   (ull)h->first, (ull)h->last);
	if (h->alt_lba == at || h->alt_lba == 0)
		return BAD("it puts the other header at LBA %llu", (ull)h->alt_lba);
	if (!h->nentries)
		return BAD("the entry array has no entries");
	if (h->entry_size < GPT_ENTRY_MIN || (h->entry_size & (h->entry_size - 1)))
		return BAD("entry size %u is not 128 times a power of two", h->entry_size);
	if ((uint64_t)h->nentries * h->entry_size > GPT_MAX_ARRAY)
		return BAD("%u entries of %u bytes make an array larger than 1 MiB", h->nentries,
			   h->entry_size);
	uint64_t e0 = h->entries_lba, e1;
	if (add_overflow_u64(e0, array_lbas(h->nentries, h->entry_size, g->sector) - 1, &e1) ||
	    e1 >= g->lbas)
		return BAD("entry array at LBA %llu runs past the end of the disk", (ull)e0);
	if (e0 == 0 || overlaps(e0, e1, at, at) || overlaps(e0, e1, h->alt_lba, h->alt_lba))
		return BAD("entry array LBA %llu-%llu covers the MBR or a header", (ull)e0, (ull)e1);
	if (overlaps(e0, e1, h->first, h->last))
		return BAD("entry array LBA %llu-%llu overlaps the usable area LBA %llu-%llu",
			   (ull)e0, (ull)e1, (ull)h->first, (ull)h->last);
	/* UEFI: the primary array ends before the first usable LBA, the
	 * backup's starts after the last one and ends before its header. An
	 * array on the other side (the other copy's, say) would let the
	 * repair of one copy overwrite the array of the only valid one. */
	if (at == 1 ? e1 >= h->first : e0 <= h->last || e1 >= at)
		return BAD("entry array LBA %llu-%llu is not between %s", (ull)e0, (ull)e1,
			   at == 1 ? "the header and the usable area" : "the usable area and the header");
	return 0;
}

/* One copy: a header and its entry array. */
struct copy {
	uint64_t at;
	bool ok, signed_; /* valid; has the "EFI PART" signature at all */
	struct hdr h;
	uint8_t *ents;    /* the array as read, when ok */
	char why[128];
};

/* Returns -1 only on I/O or memory errors; c->ok says whether it is valid. */
static int read_copy(struct gpt *g, const struct src *s, uint64_t at, struct copy *c)
{
	memset(c, 0, sizeof(*c));
	c->at = at;
	uint8_t *hb = malloc(g->sector);
	if (!hb) {
		set_err_code(g, ENOMEM, "out of memory");
		return -1;
	}
	if (read_lbas(g, s, at, 1, hb)) {
		free(hb);
		return -1;
	}
	c->signed_ = !memcmp(hb, gpt_sig, sizeof(gpt_sig));
	int bad = hdr_check(g, hb, at, &c->h, c->why, sizeof(c->why));
	free(hb);
	if (bad)
		return 0;
	uint64_t n = array_lbas(c->h.nentries, c->h.entry_size, g->sector);
	c->ents = malloc((size_t)(n * g->sector));
	if (!c->ents) {
		set_err_code(g, ENOMEM, "out of memory");
		return -1;
	}
	if (read_lbas(g, s, c->h.entries_lba, n, c->ents))
		return -1;
	uint32_t crc = crc32_ieee(0, c->ents, (size_t)c->h.nentries * c->h.entry_size);
	if (crc_differs(c->h.entries_crc, crc)) {
		snprintf(c->why, sizeof(c->why), "entry array CRC is 0x%08x, should be 0x%08x",
			 c->h.entries_crc, crc);
		free(c->ents);
		c->ents = NULL;
		return 0;
	}
	c->ok = true;
	return 0;
}

/* ---- the model -------------------------------------------------------- */

static int cmp_span(const void *a, const void *b)
{
	const struct gpt_span *x = a, *y = b;
	if (x->first_lba != y->first_lba)
		return x->first_lba < y->first_lba ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

static void sort_used(struct gpt *g)
{
	g->nused = 0;
	for (uint32_t i = 0; i < g->nentries; i++) {
		const struct gpt_part *p = &g->part[i];
		if (gpt_part_used(p))
			g->order[g->nused++] = (struct gpt_span){ p->first_lba, p->last_lba, i };
	}
	qsort(g->order, g->nused, sizeof(*g->order), cmp_span);
}

static int cmp_guid_slot(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct gpt_guid) + sizeof(uint32_t));
}

static void check_duplicate_guids(struct gpt *g)
{
	struct gs {
		struct gpt_guid guid;
		uint32_t slot; /* tie-break, so the order is total */
	} *v = malloc((g->nused + 1) * sizeof(*v));
	if (!v) {
		problem(g, GPT_P_PART, "out of memory checking for duplicate GUIDs");
		return;
	}
	for (uint32_t i = 0; i < g->nused; i++) {
		uint32_t s = g->order[i].slot;
		v[i].guid = g->part[s].guid;
		v[i].slot = s;
	}
	qsort(v, g->nused, sizeof(*v), cmp_guid_slot);
	for (uint32_t i = 1; i < g->nused; i++)
		if (gpt_guid_eq(&v[i - 1].guid, &v[i].guid))
			problem(g, GPT_P_PART, "partitions %u and %u have the same unique GUID",
				v[i - 1].slot + 1, v[i].slot + 1);
	free(v);
}

/* Re-sort the used slots and list what is wrong with the partitions. */
static void check_parts(struct gpt *g)
{
	drop_problems(g, true);
	sort_used(g);
	uint64_t reach = 0; /* furthest last LBA so far, of partition `by` */
	uint32_t by = UINT32_MAX;
	for (uint32_t i = 0; i < g->nused; i++) {
		const struct gpt_span *s = &g->order[i];
		unsigned num = s->slot + 1;
		if (s->first_lba > s->last_lba) {
			problem(g, GPT_P_PART, "partition %u starts at LBA %llu, after its end %llu",
				num, (ull)s->first_lba, (ull)s->last_lba);
			continue;
		}
		if (s->first_lba < g->first_usable || s->last_lba > g->last_usable)
			problem(g, GPT_P_PART,
				"partition %u (LBA %llu-%llu) is outside the usable area LBA %llu-%llu",
				num, (ull)s->first_lba, (ull)s->last_lba, (ull)g->first_usable,
				(ull)g->last_usable);
		if (by != UINT32_MAX && s->first_lba <= reach)
			problem(g, GPT_P_PART, "partitions %u and %u overlap", by + 1, num);
		if (by == UINT32_MAX || s->last_lba > reach)
			reach = s->last_lba, by = s->slot;
	}
	check_duplicate_guids(g);
}

static int alloc_slots(struct gpt *g)
{
	g->part = calloc(g->nentries, sizeof(*g->part));
	g->order = calloc(g->nentries, sizeof(*g->order));
	if (g->part && g->order)
		return 0;
	set_err_code(g, ENOMEM, "out of memory");
	return -1;
}

static void decode_entry(const uint8_t *e, struct gpt_part *p)
{
	memcpy(p->type.b, e + E_TYPE, 16);
	memcpy(p->guid.b, e + E_GUID, 16);
	p->first_lba = get_le64(e + E_FIRST);
	p->last_lba = get_le64(e + E_LAST);
	p->attrs = get_le64(e + E_ATTRS);
	for (int i = 0; i < GPT_NAME_UNITS; i++)
		p->name[i] = get_le16(e + E_NAME + 2 * i);
}

static void encode_entry(const struct gpt_part *p, uint8_t *e)
{
	memcpy(e + E_TYPE, p->type.b, 16);
	memcpy(e + E_GUID, p->guid.b, 16);
	put_le64(e + E_FIRST, p->first_lba);
	put_le64(e + E_LAST, p->last_lba);
	put_le64(e + E_ATTRS, p->attrs);
	for (int i = 0; i < GPT_NAME_UNITS; i++)
		put_le16(e + E_NAME + 2 * i, p->name[i]);
}

static int load_model(struct gpt *g, const struct copy *c)
{
	g->disk_guid = c->h.disk_guid;
	g->first_usable = c->h.first;
	g->last_usable = c->h.last;
	g->nentries = c->h.nentries;
	g->entry_size = c->h.entry_size;
	if (alloc_slots(g))
		return -1;
	for (uint32_t i = 0; i < g->nentries; i++) {
		struct gpt_part *p = &g->part[i];
		decode_entry(c->ents + (size_t)i * g->entry_size, p);
		if (!gpt_part_used(p)) /* what unused slots hold means nothing */
			memset(p, 0, sizeof(*p));
	}
	return 0;
}

/* Where the copy that is not being loaded lives, or would be rebuilt. */
static void place_copies(struct gpt *g, const struct copy *pri, const struct copy *bak)
{
	uint64_t asec = array_lbas(g->nentries, g->entry_size, g->sector);
	g->primary_entries_lba = pri->ok ? pri->h.entries_lba : 2;
	g->backup_lba = bak->at;
	if (bak->ok)
		g->backup_entries_lba = bak->h.entries_lba;
	else
		g->backup_entries_lba = bak->at > asec ? bak->at - asec : 0;
}

static void compare_copies(struct gpt *g, const struct copy *p, const struct copy *b)
{
	const char *what = NULL;
	if (!gpt_guid_eq(&p->h.disk_guid, &b->h.disk_guid))
		what = "disk GUID";
	else if (p->h.first != b->h.first || p->h.last != b->h.last)
		what = "usable area";
	else if (p->h.nentries != b->h.nentries || p->h.entry_size != b->h.entry_size)
		what = "entry array size";
	else if (p->h.entries_crc != b->h.entries_crc ||
		 memcmp(p->ents, b->ents, (size_t)p->h.nentries * p->h.entry_size))
		what = "partition entries";
	if (what) {
		g->differ = what;
		problem(g, GPT_P_MISMATCH, "primary and backup differ in their %s", what);
	}
}

static void copy_problems(struct gpt *g, const struct copy *pri, const struct copy *bak)
{
	if (!pri->ok)
		problem(g, GPT_P_PRIMARY, "primary header (LBA 1): %s", pri->why);
	if (pri->ok && pri->h.alt_lba >= g->lbas)
		problem(g, GPT_P_PLACE, "the primary header puts the backup at LBA %llu, past the "
			"end of the disk (LBA %llu)", (ull)pri->h.alt_lba, (ull)(g->lbas - 1));
	else if (pri->ok && pri->h.alt_lba != g->lbas - 1)
		problem(g, GPT_P_PLACE, "the backup header is at LBA %llu, not at the end of the "
			"disk (LBA %llu): the disk has grown", (ull)pri->h.alt_lba,
			(ull)(g->lbas - 1));
	if (!bak->ok)
		problem(g, GPT_P_BACKUP, "backup header (LBA %llu): %s", (ull)bak->at, bak->why);
	if (bak->ok && bak->h.alt_lba != 1)
		problem(g, GPT_P_MISMATCH, "the backup header puts the primary at LBA %llu, not 1",
			(ull)bak->h.alt_lba);
	if (pri->ok && bak->ok)
		compare_copies(g, pri, bak);
}

static void not_found(struct gpt *g, const struct copy *pri, const struct copy *bak)
{
	if (!g->signature)
		set_err(g, "no GPT%s", g->mbr == GPT_MBR_FOREIGN ? " (LBA 0 holds an MBR partition table)"
							       : "");
	else
		set_err(g, "no valid GPT: primary header (LBA 1): %s; backup header (LBA %llu): %s",
			pri->why, (ull)bak->at, bak->why);
}

/* The copy the model comes from; NULL (g->err) when the one asked for is
 * damaged. */
static const struct copy *source(struct gpt *g, const struct copy *pri, const struct copy *bak)
{
	bool backup = g->from == GPT_FROM_BACKUP || (g->from == GPT_FROM_EITHER && !pri->ok);
	const struct copy *c = backup ? bak : pri;
	if (c->ok)
		return c;
	set_err(g, "the %s copy is damaged (%s header, LBA %llu: %s); it cannot be the source "
		"of a repair", backup ? "backup" : "primary", backup ? "backup" : "primary",
		(ull)c->at, c->why);
	return NULL;
}

int gpt_read(struct gpt *g, int fd, uint64_t size, unsigned sector)
{
	return gpt_read_from(g, fd, size, sector, GPT_FROM_EITHER);
}

static int read_table(struct gpt *g, const struct src *s, uint64_t size, unsigned sector,
		      enum gpt_source from)
{
	memset(g, 0, sizeof(*g));
	g->from = from;
	g->sector = sector;
	if (sector != 512 && sector != 4096) {
		set_err(g, "sector size %u is not 512 or 4096", sector);
		return -1;
	}
	g->lbas = size / sector;
	if (g->lbas < 4) {
		set_err(g, "%llu bytes are too few for a GPT", (ull)size);
		return GPT_NOTFOUND;
	}
	g->lba0 = malloc(sector);
	if (!g->lba0) {
		set_err_code(g, ENOMEM, "out of memory");
		return -1;
	}
	if (read_lbas(g, s, 0, 1, g->lba0))
		return -1;
	g->mbr = (enum gpt_mbr)mbr_classify(g->lba0);

	struct copy pri, bak;
	int rc = -1;
	if (read_copy(g, s, 1, &pri))
		goto out_pri;
	uint64_t bat = pri.ok && pri.h.alt_lba < g->lbas ? pri.h.alt_lba : g->lbas - 1;
	if (read_copy(g, s, bat, &bak))
		goto out;
	g->primary_ok = pri.ok;
	g->backup_ok = bak.ok;
	g->signature = pri.signed_ || bak.signed_;
	if (!pri.ok && !bak.ok) {
		copy_problems(g, &pri, &bak);
		not_found(g, &pri, &bak);
		rc = GPT_NOTFOUND;
		goto out;
	}
	const struct copy *src = source(g, &pri, &bak);
	if (!src) {
		rc = GPT_NOTFOUND;
		goto out;
	}
	g->from_backup = src == &bak;
	if (load_model(g, src))
		goto out;
	place_copies(g, &pri, &bak);
	copy_problems(g, &pri, &bak);
	check_mbr(g);
	check_parts(g);
	rc = 0;
out:
	free(bak.ents);
out_pri:
	free(pri.ents);
	return rc;
}

int gpt_read_from(struct gpt *g, int fd, uint64_t size, unsigned sector, enum gpt_source from)
{
	const struct src s = { fd, NULL };
	return read_table(g, &s, size, sector, from);
}

int gpt_read_backup(struct gpt *g, const struct gpt_backup *b)
{
	const struct src s = { -1, b };
	return read_table(g, &s, b->lbas * b->sector, b->sector, GPT_FROM_EITHER);
}

void gpt_free(struct gpt *g)
{
	free(g->part);
	free(g->order);
	free(g->lba0);
	g->part = NULL;
	g->order = NULL;
	g->lba0 = NULL;
}

static bool sig_at(int fd, uint64_t off)
{
	char b[sizeof(gpt_sig)];
	return pread_full(fd, b, sizeof(b), off) == (ssize_t)sizeof(b) && !memcmp(b, gpt_sig, sizeof(b));
}

unsigned gpt_guess_sector(int fd, uint64_t size)
{
	if (sig_at(fd, 512) || (size >= 1024 && sig_at(fd, size / 512 * 512 - 512)))
		return 512;
	if (sig_at(fd, 4096) || (size >= 8192 && sig_at(fd, size / 4096 * 4096 - 4096)))
		return 4096;
	return 512;
}

/* ---- a new table -------------------------------------------------------- */

int gpt_init(struct gpt *g, uint64_t size, unsigned sector, uint32_t nentries)
{
	memset(g, 0, sizeof(*g));
	if (sector != 512 && sector != 4096) {
		set_err(g, "sector size %u is not 512 or 4096", sector);
		return -1;
	}
	if (!nentries)
		nentries = GPT_DEFAULT_ENTRIES;
	if ((uint64_t)nentries * GPT_ENTRY_MIN > GPT_MAX_ARRAY) {
		set_err(g, "%u entries make an array larger than 1 MiB", nentries);
		return -1;
	}
	g->sector = sector;
	g->lbas = size / sector;
	g->nentries = nentries;
	g->entry_size = GPT_ENTRY_MIN;
	uint64_t asec = array_lbas(nentries, GPT_ENTRY_MIN, sector);
	/* MBR, two headers, two arrays and at least one usable sector */
	if (g->lbas < 2 * asec + 4) {
		set_err(g, "%llu bytes are too few for a GPT of %u entries", (ull)size, nentries);
		return -1;
	}
	g->primary_entries_lba = 2;
	g->first_usable = 2 + asec;
	g->backup_lba = g->lbas - 1;
	g->backup_entries_lba = g->backup_lba - asec;
	g->last_usable = g->backup_entries_lba - 1;
	if (gpt_guid_random(&g->disk_guid)) {
		set_err_code(g, errno, "getrandom: %s", strerror(errno));
		return -1;
	}
	if (alloc_slots(g))
		return -1;
	g->lba0 = calloc(1, sector);
	if (!g->lba0) {
		set_err_code(g, ENOMEM, "out of memory");
		return -1;
	}
	g->mbr = GPT_MBR_NONE;
	g->mbr_dirty = true;
	return 0;
}

/* ---- free space ---------------------------------------------------------- */

size_t gpt_gaps(const struct gpt *g, struct gpt_gap *out, size_t max)
{
	size_t n = 0;
	uint64_t next = g->first_usable; /* first sector not yet accounted for */
	for (uint32_t i = 0; i <= g->nused && next <= g->last_usable; i++) {
		uint64_t first = g->last_usable + 1, last = g->last_usable;
		if (i < g->nused) {
			first = g->order[i].first_lba;
			last = g->order[i].last_lba;
			if (first > last)
				continue; /* listed as a problem; takes no space */
		}
		if (first > next) {
			if (n < max)
				out[n] = (struct gpt_gap){ next, first - 1 < g->last_usable ? first - 1 : g->last_usable };
			n++;
		}
		if (last >= next) {
			if (last == UINT64_MAX)
				break;
			next = last + 1;
		}
	}
	return n;
}

bool gpt_gap_aligned(const struct gpt *g, const struct gpt_gap *in, struct gpt_gap *out)
{
	uint64_t first;
	if (round_up_u64(in->first_lba, gpt_align_lbas(g), &first) || first > in->last_lba)
		return false;
	out->first_lba = first;
	out->last_lba = in->last_lba;
	return true;
}

/* The last sector for "the rest of a gap" from first: the end of the gap
 * rounded down to a 1 MiB boundary, so that whatever follows can start
 * aligned, unless that leaves nothing. */
static uint64_t rest_end(const struct gpt *g, uint64_t first, uint64_t gap_last)
{
	uint64_t a = gpt_align_lbas(g), end = (gap_last + 1) / a * a;
	return end > first ? end - 1 : gap_last;
}

static uint64_t gap_len(const struct gpt_gap *x) { return x->last_lba - x->first_lba + 1; }

/* ---- editing ---------------------------------------------------------------- */

static int pick_slot(struct gpt *g, unsigned number, uint32_t *slot)
{
	if (number) {
		if (number > g->nentries) {
			set_err(g, "partition number %u is out of range 1..%u", number, g->nentries);
			return -1;
		}
		if (gpt_part_used(&g->part[number - 1])) {
			set_err(g, "partition %u already exists", number);
			return -1;
		}
		*slot = number - 1;
		return 0;
	}
	for (uint32_t i = 0; i < g->nentries; i++)
		if (!gpt_part_used(&g->part[i])) {
			*slot = i;
			return 0;
		}
	set_err(g, "all %u partition entries are in use", g->nentries);
	return -1;
}

static int place_at(struct gpt *g, const struct gpt_gap *gaps, size_t n, uint64_t start,
		    uint64_t sectors, struct gpt_part *p)
{
	char b1[32];
	for (size_t i = 0; i < n; i++) {
		const struct gpt_gap *x = &gaps[i];
		if (start < x->first_lba || start > x->last_lba)
			continue;
		uint64_t last;
		if (!sectors) {
			last = rest_end(g, start, x->last_lba);
		} else if (add_overflow_u64(start, sectors - 1, &last) || last > x->last_lba) {
			set_err(g, "only %s are free from LBA %llu",
				fmt_size((x->last_lba - start + 1) * g->sector, b1, sizeof(b1)), (ull)start);
			return -1;
		}
		p->first_lba = start;
		p->last_lba = last;
		return 0;
	}
	set_err(g, "LBA %llu is not free space (the usable area is LBA %llu-%llu)", (ull)start,
		(ull)g->first_usable, (ull)g->last_usable);
	return -1;
}

/* Without a start: the first aligned gap that holds sectors, or for the
 * rest (sectors == 0) the largest. */
static int place_free(struct gpt *g, const struct gpt_gap *gaps, size_t n, uint64_t sectors,
		      struct gpt_part *p)
{
	struct gpt_gap best = { 0, 0 };
	bool found = false;
	for (size_t i = 0; i < n; i++) {
		struct gpt_gap a;
		if (!gpt_gap_aligned(g, &gaps[i], &a))
			continue;
		if (sectors ? gap_len(&a) >= sectors : !found || gap_len(&a) > gap_len(&best)) {
			best = a;
			found = true;
			if (sectors)
				break;
		}
	}
	char b1[32], b2[32];
	if (!found && sectors) {
		uint64_t most = 0;
		for (size_t i = 0; i < n; i++) {
			struct gpt_gap a;
			if (gpt_gap_aligned(g, &gaps[i], &a) && gap_len(&a) > most)
				most = gap_len(&a);
		}
		set_err(g, "no free gap holds %s (the largest aligned one holds %s)",
			fmt_size(sectors * g->sector, b1, sizeof(b1)),
			fmt_size(most * g->sector, b2, sizeof(b2)));
		return -1;
	}
	if (!found) {
		set_err(g, "no free space left on the disk");
		return -1;
	}
	p->first_lba = best.first_lba;
	p->last_lba = sectors ? best.first_lba + sectors - 1 : rest_end(g, best.first_lba, best.last_lba);
	return 0;
}

static int place(struct gpt *g, const struct gpt_new *n, struct gpt_part *p)
{
	uint64_t sectors = n->size / g->sector + (n->size % g->sector != 0);
	char b1[32], b2[32];
	if (sectors > g->lbas) {
		set_err(g, "%s is more than the whole disk (%s)", fmt_size(n->size, b1, sizeof(b1)),
			fmt_size(g->lbas * g->sector, b2, sizeof(b2)));
		return -1;
	}
	size_t max = (size_t)g->nused + 1;
	struct gpt_gap *gaps = malloc(max * sizeof(*gaps));
	if (!gaps) {
		set_err_code(g, ENOMEM, "out of memory");
		return -1;
	}
	size_t ngaps = gpt_gaps(g, gaps, max);
	int rc = n->start_lba ? place_at(g, gaps, ngaps, n->start_lba, sectors, p)
			      : place_free(g, gaps, ngaps, sectors, p);
	free(gaps);
	return rc;
}

static const char *first_problem(const struct gpt *g, enum gpt_problem_kind kind)
{
	for (unsigned i = 0; i < g->nproblems; i++)
		if (g->problem[i].kind == kind)
			return g->problem[i].msg;
	return "";
}

int gpt_add(struct gpt *g, const struct gpt_new *n)
{
	if (gpt_has_problem(g, GPT_P_PART)) {
		set_err(g, "the existing partitions are not sound (%s); delete or fix them first",
			first_problem(g, GPT_P_PART));
		return -1;
	}
	uint32_t slot;
	if (pick_slot(g, n->number, &slot))
		return -1;
	struct gpt_part p = { 0 };
	p.type = n->type;
	if (gpt_guid_is_zero(&p.type))
		gpt_type_parse("linux", &p.type);
	p.guid = n->guid;
	if (gpt_guid_is_zero(&p.guid) && gpt_guid_random(&p.guid)) {
		set_err_code(g, errno, "getrandom: %s", strerror(errno));
		return -1;
	}
	p.attrs = n->attrs;
	const char *why;
	if (n->name && gpt_name_from_utf8(n->name, p.name, &why)) {
		set_err(g, "name \"%s\": %s", n->name, why);
		return -1;
	}
	if (place(g, n, &p))
		return -1;
	g->part[slot] = p;
	check_parts(g);
	return (int)slot + 1;
}

static struct gpt_part *existing(struct gpt *g, unsigned number)
{
	if (number < 1 || number > g->nentries || !gpt_part_used(&g->part[number - 1])) {
		set_err(g, "partition %u does not exist", number);
		return NULL;
	}
	return &g->part[number - 1];
}

int gpt_delete(struct gpt *g, unsigned number)
{
	struct gpt_part *p = existing(g, number);
	if (!p)
		return -1;
	memset(p, 0, sizeof(*p));
	check_parts(g);
	return 0;
}

int gpt_rename(struct gpt *g, unsigned number, const char *utf8)
{
	struct gpt_part *p = existing(g, number);
	uint16_t name[GPT_NAME_UNITS];
	const char *why;
	if (!p)
		return -1;
	if (gpt_name_from_utf8(utf8, name, &why)) {
		set_err(g, "name \"%s\": %s", utf8, why);
		return -1;
	}
	memcpy(p->name, name, sizeof(name));
	return 0;
}

/* The last LBA partition slot may reach without overlapping the next
 * partition or leaving the usable area, and what stops it there. */
static uint64_t room_behind(const struct gpt *g, uint32_t slot, char *what, size_t len)
{
	const struct gpt_part *p = &g->part[slot];
	for (uint32_t i = 0; i < g->nused; i++) {
		const struct gpt_span *s = &g->order[i];
		if (s->slot != slot && s->first_lba > p->first_lba) {
			snprintf(what, len, "partition %u starts at LBA %llu", s->slot + 1,
				 (ull)s->first_lba);
			return s->first_lba - 1;
		}
	}
	snprintf(what, len, "the usable area ends at LBA %llu", (ull)g->last_usable);
	return g->last_usable;
}

int gpt_resize(struct gpt *g, unsigned number, uint64_t sectors, uint64_t *old_last)
{
	struct gpt_part *p = existing(g, number);
	if (!p)
		return -1;
	if (gpt_has_problem(g, GPT_P_PART)) {
		set_err(g, "the partitions are not sound (%s); fix them first",
			first_problem(g, GPT_P_PART));
		return -1;
	}
	char what[80], b1[32];
	uint64_t limit = room_behind(g, number - 1, what, sizeof(what)), last;
	*old_last = p->last_lba;
	if (!sectors) {
		last = rest_end(g, p->first_lba, limit);
		if (last < p->last_lba) /* already past the last boundary: all of it */
			last = limit;
	} else if (add_overflow_u64(p->first_lba, sectors - 1, &last) || last > limit) {
		set_err(g, "partition %u can grow to %s at most: %s",
			number, fmt_size((limit - p->first_lba + 1) * g->sector, b1, sizeof(b1)), what);
		return -1;
	}
	p->last_lba = last;
	check_parts(g);
	return 0;
}

/* ---- repair --------------------------------------------------------------- */

/* Can both copies be written where the model says? */
static int layout_check(struct gpt *g)
{
	uint64_t asec = array_lbas(g->nentries, g->entry_size, g->sector);
	if (g->primary_entries_lba < 2 || g->primary_entries_lba + asec > g->first_usable) {
		set_err(g, "no room for the primary entry array (%llu sectors) between LBA 2 and "
			"the first usable LBA %llu", (ull)asec, (ull)g->first_usable);
		return -1;
	}
	if (g->backup_lba >= g->lbas || g->backup_entries_lba <= g->last_usable ||
	    g->backup_entries_lba + asec > g->backup_lba) {
		set_err(g, "no room for the backup entry array (%llu sectors) between the last "
			"usable LBA %llu and the backup header at LBA %llu", (ull)asec,
			(ull)g->last_usable, (ull)g->backup_lba);
		return -1;
	}
	return 0;
}

/* What sgdisk -e does: backup header in the last LBA, its array right
 * before it, and the usable area grown up to that. */
static int relocate_backup(struct gpt *g)
{
	uint64_t asec = array_lbas(g->nentries, g->entry_size, g->sector);
	uint64_t bak = g->lbas - 1, ents = bak - asec, last = ents - 1;
	if (ents <= g->first_usable) {
		set_err(g, "the disk is too small for the backup entry array");
		return -1;
	}
	for (uint32_t i = 0; i < g->nused; i++)
		if (g->order[i].last_lba > last) {
			set_err(g, "partition %u ends at LBA %llu, where the backup entry array must go",
				g->order[i].slot + 1, (ull)g->order[i].last_lba);
			return -1;
		}
	g->backup_lba = bak;
	g->backup_entries_lba = ents;
	g->last_usable = last;
	check_parts(g);
	return 0;
}

int gpt_fix(struct gpt *g, bool replace_mbr)
{
	if (gpt_has_problem(g, GPT_P_MBR_FOREIGN) && !replace_mbr) {
		set_err(g, "LBA 0 holds an MBR partition table; replacing it with a protective "
			"MBR was not allowed");
		return -1;
	}
	if (gpt_has_problem(g, GPT_P_PLACE) && relocate_backup(g))
		return -1;
	if (layout_check(g))
		return -1;
	if (gpt_has_problem(g, GPT_P_MBR) || gpt_has_problem(g, GPT_P_MBR_FOREIGN))
		g->mbr_dirty = true;
	return (int)drop_problems(g, false);
}

/* ---- writing ------------------------------------------------------------------
 *
 * Crash safety. Readers (firmware, the kernel, sgdisk, sfdisk, gpt_read)
 * use the primary copy when its header and entry-array CRCs hold, and the
 * backup otherwise. A copy is its array plus its header, and the header's
 * CRC covers the array's CRC, so a torn array or a torn header fails its
 * check and the whole copy is ignored. The rule is then: never write over
 * the only valid copy first. When just one copy is valid on disk (what
 * gpt fix repairs), the damaged one is written first and flushed; a power
 * cut during it leaves the valid copy alone, one during the second leaves
 * a complete new first copy. When both are valid either order would do,
 * and the backup goes first so that the copy every reader prefers changes
 * last: a cut leaves the old table with a backup that `gpt verify` reports
 * as different, or the new table with a torn backup it reports as damaged;
 * never a table that is neither. Within a copy the array goes before the
 * header; no order of those two can make a torn copy pass. The protective
 * MBR describes no partitions and goes last.
 */

static void put_header(const struct gpt *g, uint8_t *b, uint64_t my, uint64_t alt,
		       uint64_t entries_lba, uint32_t entries_crc)
{
	memcpy(b + H_SIG, gpt_sig, sizeof(gpt_sig));
	put_le32(b + H_REVISION, 0x00010000);
	put_le32(b + H_SIZE, H_LEN);
	put_le64(b + H_MY_LBA, my);
	put_le64(b + H_ALT_LBA, alt);
	put_le64(b + H_FIRST, g->first_usable);
	put_le64(b + H_LAST, g->last_usable);
	memcpy(b + H_GUID, g->disk_guid.b, 16);
	put_le64(b + H_ENTRIES_LBA, entries_lba);
	put_le32(b + H_NENTRIES, g->nentries);
	put_le32(b + H_ENTRY_SIZE, g->entry_size);
	put_le32(b + H_ENTRIES_CRC, entries_crc);
	put_le32(b + H_CRC, hdr_crc(b, H_LEN));
}

static void plan_add(struct gpt_plan *p, const char *what, uint64_t lba, uint64_t count,
		     uint8_t *buf, bool sync_after)
{
	p->io[p->n++] = (struct gpt_io){ what, lba, count, buf, sync_after };
}

void gpt_plan_free(struct gpt_plan *p)
{
	for (unsigned i = 0; i < p->n; i++)
		free(p->io[i].buf);
	p->n = 0;
}

int gpt_writable(struct gpt *g)
{
	for (unsigned i = 0; i < g->nproblems; i++)
		if (g->problem[i].kind != GPT_P_PART) {
			set_err(g, "the table needs repair first: %s", g->problem[i].msg);
			return -1;
		}
	return 0;
}

int gpt_plan(struct gpt *g, struct gpt_plan *p)
{
	memset(p, 0, sizeof(*p));
	if (gpt_writable(g) || layout_check(g))
		return -1;
	uint64_t asec = array_lbas(g->nentries, g->entry_size, g->sector);
	size_t abytes = (size_t)(asec * g->sector);
	uint8_t *pe = calloc(1, abytes), *be = malloc(abytes);
	uint8_t *ph = calloc(1, g->sector), *bh = calloc(1, g->sector);
	uint8_t *mb = g->mbr_dirty ? malloc(g->sector) : NULL;
	if (!pe || !be || !ph || !bh || (g->mbr_dirty && !mb)) {
		free(pe), free(be), free(ph), free(bh), free(mb);
		set_err_code(g, ENOMEM, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < g->nentries; i++)
		if (gpt_part_used(&g->part[i]))
			encode_entry(&g->part[i], pe + (size_t)i * g->entry_size);
	uint32_t crc = crc32_ieee(0, pe, (size_t)g->nentries * g->entry_size);
	memcpy(be, pe, abytes);
	put_header(g, ph, 1, g->backup_lba, g->primary_entries_lba, crc);
	put_header(g, bh, g->backup_lba, 1, g->backup_entries_lba, crc);

	/* see "Crash safety" above: the copy the model was read from last */
	bool primary_first = g->from_backup || !g->primary_ok;
	for (int pass = 0; pass < 2; pass++) {
		if ((pass == 0) == primary_first) {
			plan_add(p, "primary entries", g->primary_entries_lba, asec, pe, false);
			plan_add(p, "primary header", 1, 1, ph, true);
		} else {
			plan_add(p, "backup entries", g->backup_entries_lba, asec, be, false);
			plan_add(p, "backup header", g->backup_lba, 1, bh, true);
		}
	}
	if (mb) {
		memcpy(mb, g->lba0, g->sector);
		put_pmbr(g, mb);
		plan_add(p, "protective MBR", 0, 1, mb, true);
	}
	return 0;
}

int gpt_plan_apply(const struct gpt_plan *p, int fd, unsigned sector, struct bb_error *e)
{
	for (unsigned i = 0; i < p->n; i++) {
		const struct gpt_io *io = &p->io[i];
		if (pwrite_full(fd, io->buf, (size_t)(io->count * sector), io->lba * sector))
			return bb_error_errno(e, "writing the %s at LBA %llu", io->what, (ull)io->lba);
		if (io->sync_after && fsync(fd))
			return bb_error_errno(e, "flushing the %s", io->what);
	}
	return 0;
}

int gpt_write(struct gpt *g, int fd)
{
	struct gpt_plan p;
	if (gpt_plan(g, &p))
		return -1;
	int rc = gpt_plan_apply(&p, fd, g->sector, &g->err);
	if (!rc) {
		g->primary_ok = g->backup_ok = true;
		g->from_backup = false;
		g->differ = NULL;
		if (g->mbr_dirty) {
			memcpy(g->lba0, p.io[p.n - 1].buf, g->sector);
			g->mbr = GPT_MBR_PROTECTIVE;
			g->mbr_dirty = false;
		}
	}
	gpt_plan_free(&p);
	return rc;
}

/* ---- telling the kernel ---------------------------------------------------- */

struct kpart {
	unsigned num;
	uint64_t start, size; /* 512-byte units, as sysfs counts */
};

/* The partitions the kernel has for a disk now, from sysfs. */
static size_t kernel_parts(dev_t disk, struct kpart *out, size_t max)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/sys/dev/block/%u:%u", major(disk), minor(disk));
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		char path[512], num[24], start[24], size[24];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/partition", dir, e->d_name);
		if (read_line(path, num, sizeof(num)))
			continue;
		snprintf(path, sizeof(path), "%s/%s/start", dir, e->d_name);
		if (read_line(path, start, sizeof(start)))
			continue;
		snprintf(path, sizeof(path), "%s/%s/size", dir, e->d_name);
		uint64_t k[3];
		if (read_line(path, size, sizeof(size)) || num_dec_u64(num, 1, UINT32_MAX, &k[0], NULL) ||
		    num_dec_u64(start, 0, UINT64_MAX, &k[1], NULL) ||
		    num_dec_u64(size, 0, UINT64_MAX, &k[2], NULL))
			continue;
		out[n++] = (struct kpart){ (unsigned)k[0], k[1], k[2] };
	}
	closedir(d);
	return n;
}

/* Entries the kernel should have: those inside the usable area, as its
 * own GPT parser keeps them. Others are listed problems, and their LBAs
 * times the sector size could wrap around to a partition over the
 * tables themselves. */
static bool for_kernel(const struct gpt *g, const struct gpt_part *p)
{
	return gpt_part_used(p) && p->first_lba <= p->last_lba && p->first_lba >= g->first_usable &&
	       p->last_lba <= g->last_usable;
}

/* Is kernel partition k exactly slot k->num - 1 of g? */
static bool kernel_has(const struct gpt *g, const struct kpart *k)
{
	if (k->num < 1 || k->num > g->nentries)
		return false;
	const struct gpt_part *p = &g->part[k->num - 1];
	uint64_t per = g->sector / 512;
	return for_kernel(g, p) && k->start == p->first_lba * per &&
	       k->size == (p->last_lba - p->first_lba + 1) * per;
}

int gpt_sync_kernel(const struct gpt *g, int fd, dev_t disk, struct bb_error *e)
{
	enum { MAX_KPARTS = 1024 };
	struct kpart *k = malloc(MAX_KPARTS * sizeof(*k));
	bool *keep = calloc(g->nentries, sizeof(*keep));
	if (!k || !keep) {
		free(k), free(keep);
		return bb_error_set(e, ENOMEM, "out of memory");
	}
	size_t nk = kernel_parts(disk, k, MAX_KPARTS);
	unsigned failed = 0;
	int why = 0;
	for (size_t i = 0; i < nk; i++) {
		if (kernel_has(g, &k[i]))
			keep[k[i].num - 1] = true;
		else if (blk_del_partition(fd, (int)k[i].num) && errno != ENXIO && !failed)
			failed = k[i].num, why = errno;
	}
	for (uint32_t i = 0; i < g->nentries; i++) {
		const struct gpt_part *p = &g->part[i];
		if (keep[i] || !for_kernel(g, p))
			continue;
		if (blk_add_partition(fd, (int)i + 1, p->first_lba * g->sector,
				      (p->last_lba - p->first_lba + 1) * g->sector) && !failed)
			failed = i + 1, why = errno;
	}
	free(k);
	free(keep);
	if (!failed || !blk_reread_table(fd))
		return 0;
	return bb_error_set(e, errno, "the kernel keeps its old view of the disk until a reboot "
			    "(partition %u: %s; rereading the table: %s)", failed, strerror(why),
			    strerror(errno));
}
