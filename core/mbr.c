/* mbr.c - DOS partition tables (the MBR of LBA 0 and the extended boot
 * records of logical partitions), read only.
 *
 * LBA 0: bytes 440-443 the disk identifier, 446-509 four 16-byte records,
 * 510-511 0x55 0xAA. A record: status (0x80 active), CHS of the first
 * sector, type, CHS of the last, then the first LBA and the number of
 * sectors, 32 bits little-endian each. An extended partition holds a
 * chain of extended boot records (EBRs), each laid out like an MBR: its
 * first record a logical partition, counted from the EBR itself; its
 * second the next EBR, counted from the start of the extended partition.
 */
#include "mbr.h"
#include "bb.h"
#include "endian.h"
#include "io.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DISK_ID 440
#define RECORDS 446
#define SIG 510
#define R_STATUS 0
#define R_TYPE 4
#define R_START 8
#define R_SIZE 12

typedef unsigned long long ull; /* for printf */

static const struct {
	uint8_t type;
	const char *name;
} type_names[] = {
	{ 0x01, "FAT12" },
	{ 0x04, "FAT16 <32M" },
	{ 0x05, "Extended" },
	{ 0x06, "FAT16" },
	{ 0x07, "HPFS/NTFS/exFAT" },
	{ 0x0b, "W95 FAT32" },
	{ 0x0c, "W95 FAT32 (LBA)" },
	{ 0x0e, "W95 FAT16 (LBA)" },
	{ 0x0f, "W95 Ext'd (LBA)" },
	{ 0x11, "Hidden FAT12" },
	{ 0x1b, "Hidden W95 FAT32" },
	{ 0x1c, "Hidden W95 FAT32 (LBA)" },
	{ 0x27, "Hidden NTFS WinRE" },
	{ 0x82, "Linux swap / Solaris" },
	{ 0x83, "Linux" },
	{ 0x85, "Linux extended" },
	{ 0x8e, "Linux LVM" },
	{ 0xa5, "FreeBSD" },
	{ 0xa6, "OpenBSD" },
	{ 0xaf, "HFS / HFS+" },
	{ 0xda, "Non-FS data" },
	{ 0xee, "GPT" },
	{ 0xef, "EFI (FAT-12/16/32)" },
	{ 0xfd, "Linux raid autodetect" },
};

const char *mbr_type_name(uint8_t type)
{
	for (size_t i = 0; i < ARRAY_SIZE(type_names); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return NULL;
}

bool mbr_type_extended(uint8_t type) { return type == 0x05 || type == 0x0f || type == 0x85; }

static bool signed_(const uint8_t *b) { return b[SIG] == 0x55 && b[SIG + 1] == 0xAA; }

void mbr_record(const uint8_t *lba0, int i, uint8_t *type, uint32_t *start, uint32_t *sectors)
{
	const uint8_t *r = lba0 + RECORDS + 16 * i;
	*type = r[R_TYPE];
	*start = get_le32(r + R_START);
	*sectors = get_le32(r + R_SIZE);
}

enum mbr_kind mbr_classify(const uint8_t *lba0)
{
	if (!signed_(lba0))
		return MBR_NONE;
	bool ee = false, other = false;
	for (int i = 0; i < 4; i++) {
		uint8_t type = lba0[RECORDS + 16 * i + R_TYPE];
		if (type == MBR_TYPE_GPT)
			ee = true;
		else if (type)
			other = true;
	}
	if (ee)
		return other ? MBR_HYBRID : MBR_PROTECTIVE;
	return other ? MBR_DOS : MBR_NONE;
}

static void problem(struct mbr *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct mbr *m, const char *fmt, ...)
{
	if (m->nproblems == MBR_MAX_PROBLEMS) {
		m->ndropped++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->problem[m->nproblems++], sizeof(m->problem[0]), fmt, ap);
	va_end(ap);
}

static struct mbr_part *add(struct mbr *m, unsigned number, enum mbr_role role, const uint8_t *r,
			    uint64_t base)
{
	struct mbr_part *p = &m->part[m->nparts++];
	p->number = number;
	p->role = role;
	p->type = r[R_TYPE];
	p->status = r[R_STATUS];
	p->start = base + get_le32(r + R_START);
	p->sectors = get_le32(r + R_SIZE);
	if (p->status != 0 && p->status != 0x80)
		problem(m, "partition %u: status byte 0x%02x is neither 0x80 (bootable) nor 0",
			number, p->status);
	/* the 0xEE record of a protective MBR may count past the end */
	if (p->type != MBR_TYPE_GPT && (!p->sectors || p->start + p->sectors > m->lbas))
		problem(m, "partition %u (LBA %llu, %llu sectors) %s", number, (ull)p->start,
			(ull)p->sectors, p->sectors ? "runs past the end of the disk" : "is empty");
	return p;
}

static int read_sector(const struct mbr *m, int fd, uint64_t lba, uint8_t *b, struct bb_error *e)
{
	ssize_t r = pread_full(fd, b, MBR_SIZE, lba * m->sector);
	if (r == MBR_SIZE)
		return 0;
	if (r >= 0)
		errno = EIO;
	return bb_error_errno(e, "reading LBA %llu", (ull)lba);
}

/* The chain of EBRs in the extended partition ext. Each next EBR must lie
 * after the current one inside ext: a chain that loops or leaves it is
 * cut there, and said so. */
static int read_logicals(struct mbr *m, int fd, const struct mbr_part *ext, struct bb_error *e)
{
	uint8_t b[MBR_SIZE];
	uint64_t at = ext->start, end = ext->start + ext->sectors;
	unsigned n = 5; /* as Linux numbers them: an EBR without one takes no number */
	for (unsigned ebrs = 0; ebrs < MBR_MAX_LOGICAL; ebrs++) {
		if (read_sector(m, fd, at, b, e))
			return -1;
		if (!signed_(b)) {
			problem(m, "the extended boot record at LBA %llu has no 0x55AA signature",
				(ull)at);
			return 0;
		}
		const uint8_t *r0 = b + RECORDS, *r1 = r0 + 16;
		if (r0[R_TYPE]) {
			const struct mbr_part *p = add(m, n++, MBR_LOGICAL, r0, at);
			if (p->start <= at || p->start + p->sectors > end)
				problem(m, "logical partition %u (LBA %llu-%llu) is not inside the "
					"extended partition after its boot record", p->number, (ull)p->start,
					(ull)(p->start + p->sectors - 1));
		}
		if (!mbr_type_extended(r1[R_TYPE]))
			return 0;
		uint64_t next = ext->start + get_le32(r1 + R_START);
		if (next <= at || next >= end) {
			problem(m, "the chain of logical partitions points from LBA %llu to LBA %llu, "
				"%s; not followed", (ull)at, (ull)next,
				next <= at ? "backwards" : "outside the extended partition");
			return 0;
		}
		at = next;
	}
	problem(m, "more than %u extended boot records in the chain; the rest are not read",
		MBR_MAX_LOGICAL);
	return 0;
}

/* Primary records that overlap each other (the 0xEE one aside: a hybrid's
 * may cover the others). Four records: six pairs. */
static void check_overlaps(struct mbr *m, unsigned nprimary)
{
	for (unsigned i = 0; i < nprimary; i++)
		for (unsigned j = i + 1; j < nprimary; j++) {
			const struct mbr_part *a = &m->part[i], *b = &m->part[j];
			if (a->type == MBR_TYPE_GPT || b->type == MBR_TYPE_GPT || !a->sectors ||
			    !b->sectors)
				continue;
			if (a->start < b->start + b->sectors && b->start < a->start + a->sectors)
				problem(m, "partitions %u and %u overlap", a->number, b->number);
		}
}

int mbr_read(struct mbr *m, int fd, uint64_t size, unsigned sector, struct bb_error *e)
{
	memset(m, 0, sizeof(*m));
	if (sector != 512 && sector != 4096)
		return bb_error_set(e, EINVAL, "sector size %u is not 512 or 4096", sector);
	m->sector = sector;
	m->lbas = size / sector;
	if (!m->lbas)
		return 0;
	uint8_t b[MBR_SIZE];
	if (read_sector(m, fd, 0, b, e))
		return -1;
	m->kind = mbr_classify(b);
	if (m->kind == MBR_NONE)
		return 0;
	m->disk_id = get_le32(b + DISK_ID);
	const struct mbr_part *ext = NULL;
	for (int i = 0; i < 4; i++) {
		const uint8_t *r = b + RECORDS + 16 * i;
		if (!r[R_TYPE])
			continue;
		bool x = mbr_type_extended(r[R_TYPE]);
		const struct mbr_part *p = add(m, (unsigned)i + 1, x ? MBR_EXTENDED : MBR_PRIMARY, r, 0);
		if (x && ext)
			problem(m, "partition %u is a second extended partition; its logical "
				"partitions are not listed", p->number);
		else if (x && p->sectors && p->start)
			ext = p;
	}
	unsigned nprimary = m->nparts;
	check_overlaps(m, nprimary);
	if (ext && ext->start + ext->sectors <= m->lbas)
		return read_logicals(m, fd, ext, e);
	return 0;
}
