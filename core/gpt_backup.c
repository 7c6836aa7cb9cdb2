/* gpt_backup.c - GPT backup files: LBA 0, both headers and both entry
 * arrays as sectors, with the geometry and disk GUID of the disk they
 * came from, so that a restore can refuse another disk. The layout is in
 * gpt.h. Decoding trusts nothing: every count is bounded before it is
 * used, and the length must be exactly what the header says.
 */
#include "gpt.h"
#include "checked.h"
#include "crc.h"
#include "endian.h"
#include "io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char magic[8] = { 'B', 'B', 'G', 'P', 'T', 'B', 'A', 'K' };
#define VERSION 1
#define F_VERSION 8
#define F_SECTOR 12
#define F_LBAS 16
#define F_GUID 24
#define F_NEXT 40
#define F_EXT 48
#define HEAD (F_EXT + 16 * GPT_BACKUP_EXTENTS)

typedef unsigned long long ull; /* for printf */

const char *const gpt_backup_what[GPT_BACKUP_EXTENTS] = {
	"protective MBR", "primary header", "primary entries", "backup entries", "backup header",
};

enum { X_MBR, X_PHDR, X_PENT, X_BENT, X_BHDR };

void gpt_backup_free(struct gpt_backup *b)
{
	free(b->buf);
	b->buf = NULL;
}

/* Bytes of all extents; the caller has bounded them (sector * count). */
static size_t data_len(const struct gpt_backup *b)
{
	size_t n = 0;
	for (int i = 0; i < GPT_BACKUP_EXTENTS; i++)
		n += (size_t)(b->ext[i].count * b->sector);
	return n;
}

/* One buffer for the extents b describes, read from fd. */
static int read_extents(struct gpt_backup *b, int fd, struct bb_error *e)
{
	b->buf = malloc(data_len(b));
	if (!b->buf)
		return bb_error_set(e, ENOMEM, "out of memory");
	uint8_t *at = b->buf;
	for (int i = 0; i < GPT_BACKUP_EXTENTS; i++) {
		struct gpt_extent *x = &b->ext[i];
		size_t len = (size_t)(x->count * b->sector);
		ssize_t r = pread_full(fd, at, len, x->lba * b->sector);
		if (r != (ssize_t)len) {
			if (r >= 0)
				errno = EIO;
			bb_error_errno(e, "reading the %s at LBA %llu", gpt_backup_what[i], (ull)x->lba);
			gpt_backup_free(b);
			return -1;
		}
		x->data = at;
		at += len;
	}
	return 0;
}

int gpt_backup_take(const struct gpt *g, int fd, struct gpt_backup *b, struct bb_error *e)
{
	memset(b, 0, sizeof(*b));
	uint64_t asec = ((uint64_t)g->nentries * g->entry_size + g->sector - 1) / g->sector;
	const uint64_t lba[] = { 0, 1, g->primary_entries_lba, g->backup_entries_lba, g->backup_lba };
	const uint64_t count[] = { 1, 1, asec, asec, 1 };
	b->sector = g->sector;
	b->lbas = g->lbas;
	b->disk_guid = g->disk_guid;
	for (int i = 0; i < GPT_BACKUP_EXTENTS; i++)
		b->ext[i] = (struct gpt_extent){ lba[i], count[i], NULL };
	return read_extents(b, fd, e);
}

int gpt_backup_take_like(const struct gpt_backup *like, int fd, const struct gpt_guid *disk_guid,
			 struct gpt_backup *out, struct bb_error *e)
{
	*out = *like;
	out->buf = NULL;
	out->disk_guid = *disk_guid;
	return read_extents(out, fd, e);
}

uint8_t *gpt_backup_encode(const struct gpt_backup *b, size_t *len, struct bb_error *e)
{
	size_t n = HEAD + data_len(b) + 4;
	uint8_t *f = calloc(1, n), *at = f + HEAD;
	if (!f) {
		bb_error_set(e, ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(f, magic, sizeof(magic));
	put_le32(f + F_VERSION, VERSION);
	put_le32(f + F_SECTOR, b->sector);
	put_le64(f + F_LBAS, b->lbas);
	memcpy(f + F_GUID, b->disk_guid.b, 16);
	put_le32(f + F_NEXT, GPT_BACKUP_EXTENTS);
	for (int i = 0; i < GPT_BACKUP_EXTENTS; i++) {
		const struct gpt_extent *x = &b->ext[i];
		put_le64(f + F_EXT + 16 * i, x->lba);
		put_le64(f + F_EXT + 16 * i + 8, x->count);
		memcpy(at, x->data, (size_t)(x->count * b->sector));
		at += x->count * b->sector;
	}
	put_le32(at, crc32_ieee(0, f, n - 4));
	*len = n;
	return f;
}

/* The extents where a table puts them: LBA 0 and 1 alone, the arrays of
 * one size (at most GPT_MAX_ARRAY), the backup header alone, all inside
 * the disk and none overlapping another. */
static int check_extents(const struct gpt_backup *b, struct bb_error *e)
{
	const struct gpt_extent *x = b->ext;
	uint64_t most = GPT_MAX_ARRAY / b->sector;
	if (x[X_MBR].lba != 0 || x[X_MBR].count != 1 || x[X_PHDR].lba != 1 || x[X_PHDR].count != 1 ||
	    x[X_BHDR].count != 1 || !x[X_PENT].count || x[X_PENT].count != x[X_BENT].count ||
	    x[X_PENT].count > most)
		return bb_error_set(e, EINVAL, "its sector ranges are not those of a GPT");
	for (int i = 0; i < GPT_BACKUP_EXTENTS; i++) {
		if (x[i].lba >= b->lbas || x[i].count > b->lbas - x[i].lba)
			return bb_error_set(e, EINVAL, "its %s (LBA %llu) is past the end of its disk",
					    gpt_backup_what[i], (ull)x[i].lba);
		for (int j = 0; j < i; j++)
			if (x[i].lba < x[j].lba + x[j].count && x[j].lba < x[i].lba + x[i].count)
				return bb_error_set(e, EINVAL, "its %s and %s overlap",
						    gpt_backup_what[j], gpt_backup_what[i]);
	}
	return 0;
}

int gpt_backup_decode(const uint8_t *f, size_t len, struct gpt_backup *b, struct bb_error *e)
{
	memset(b, 0, sizeof(*b));
	if (len < HEAD + 4 || memcmp(f, magic, sizeof(magic)))
		return bb_error_set(e, EINVAL, "not a gpt backup file");
	if (get_le32(f + F_VERSION) != VERSION)
		return bb_error_set(e, EINVAL, "backup format version %u is not %u",
				    get_le32(f + F_VERSION), VERSION);
	uint32_t crc = get_le32(f + len - 4), want = crc32_ieee(0, f, len - 4);
	if (crc != want)
		return bb_error_set(e, EINVAL, "its checksum is 0x%08x, should be 0x%08x: the file "
				    "is damaged or cut short", crc, want);
	b->sector = get_le32(f + F_SECTOR);
	b->lbas = get_le64(f + F_LBAS);
	memcpy(b->disk_guid.b, f + F_GUID, 16);
	uint64_t bytes;
	if ((b->sector != 512 && b->sector != 4096) || b->lbas < 4 ||
	    mul_overflow_u64(b->lbas, b->sector, &bytes))
		return bb_error_set(e, EINVAL, "its disk (%llu sectors of %u bytes) cannot be",
				    (ull)b->lbas, b->sector);
	if (get_le32(f + F_NEXT) != GPT_BACKUP_EXTENTS || get_le32(f + F_NEXT + 4))
		return bb_error_set(e, EINVAL, "it has %u sector ranges, not %u",
				    get_le32(f + F_NEXT), GPT_BACKUP_EXTENTS);
	for (int i = 0; i < GPT_BACKUP_EXTENTS; i++)
		b->ext[i] = (struct gpt_extent){ get_le64(f + F_EXT + 16 * i),
						 get_le64(f + F_EXT + 16 * i + 8), NULL };
	if (check_extents(b, e))
		return -1;
	if (HEAD + data_len(b) + 4 != len)
		return bb_error_set(e, EINVAL, "it is %zu bytes, its header says %zu", len,
				    HEAD + data_len(b) + 4);
	if (!(b->buf = malloc(len - HEAD - 4)))
		return bb_error_set(e, ENOMEM, "out of memory");
	memcpy(b->buf, f + HEAD, len - HEAD - 4);
	uint8_t *at = b->buf;
	for (int i = 0; i < GPT_BACKUP_EXTENTS; i++) {
		b->ext[i].data = at;
		at += b->ext[i].count * b->sector;
	}
	return 0;
}

static int plan_extent(const struct gpt_backup *b, int i, bool flush, struct gpt_plan *p)
{
	const struct gpt_extent *x = &b->ext[i];
	size_t len = (size_t)(x->count * b->sector);
	uint8_t *buf = malloc(len);
	if (!buf)
		return -1;
	memcpy(buf, x->data, len);
	p->io[p->n++] = (struct gpt_io){ gpt_backup_what[i], x->lba, x->count, buf, flush };
	return 0;
}

int gpt_backup_plan(const struct gpt_backup *b, bool disk_primary_ok, struct gpt_plan *p,
		    struct bb_error *e)
{
	/* gpt.c's "Crash safety": never over the only valid copy first */
	static const int backup_first[] = { X_BENT, X_BHDR, X_PENT, X_PHDR, X_MBR };
	static const int primary_first[] = { X_PENT, X_PHDR, X_BENT, X_BHDR, X_MBR };
	const int *order = disk_primary_ok ? backup_first : primary_first;
	memset(p, 0, sizeof(*p));
	for (int k = 0; k < GPT_BACKUP_EXTENTS; k++)
		if (plan_extent(b, order[k], order[k] == X_PHDR || order[k] == X_BHDR || order[k] == X_MBR,
				p)) {
			gpt_plan_free(p);
			return bb_error_set(e, ENOMEM, "out of memory");
		}
	return 0;
}
