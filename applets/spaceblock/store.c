/* store.c - the store on a space-block layout.
 *
 * open reads block 0 and the three small areas (parameters, events,
 * catalog) into memory; every later change edits that copy and writes
 * back the one block it touched, so a sub-block record is always written
 * with its neighbours' current bytes (the original's read-modify-write).
 * Nothing is ever overwritten that a reader still needs: a new parameter
 * value goes to a free slot, an event to the oldest ring slot, a data
 * product to free blocks before its catalog record. A torn write thus
 * destroys at most the record being written, which then fails its CRC.
 */
#include "store.h"

#include "checked.h"
#include "crc.h"
#include "endian.h"
#include "io.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failv(char *why, size_t len, int code, const char *fmt, va_list ap)
{
	vsnprintf(why, len, fmt, ap);
	return -code;
}

__attribute__((format(printf, 3, 4))) static int fail(struct spaceblock *sb, int code,
						       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	failv(sb->why, sizeof(sb->why), code, fmt, ap);
	va_end(ap);
	return -code;
}

__attribute__((format(printf, 4, 5))) static int failw(char *why, size_t len, int code,
							const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	failv(why, len, code, fmt, ap);
	va_end(ap);
	return -code;
}

/* ---- file descriptor I/O ------------------------------------------------ */

static int fd_read(void *ctx, void *buf, size_t len, uint64_t off)
{
	ssize_t r = pread_full(*(int *)ctx, buf, len, off);
	if (r >= 0 && (size_t)r < len)
		errno = EIO; /* the device ended early */
	return r == (ssize_t)len ? 0 : -1;
}

static int fd_write(void *ctx, const void *buf, size_t len, uint64_t off)
{
	return pwrite_full(*(int *)ctx, buf, len, off);
}

static int fd_sync(void *ctx)
{
	return fdatasync(*(int *)ctx);
}

void sb_io_fd(struct sb_io *io, int *fd, uint64_t size)
{
	io->read = fd_read;
	io->write = fd_write;
	io->sync = fd_sync;
	io->ctx = fd;
	io->size = size;
}

/* ---- blocks --------------------------------------------------------------- */

static uint64_t block_off(const struct spaceblock *sb, uint64_t block)
{
	return block * sb->bs; /* total_blocks * bs <= device size was checked */
}

static int write_blocks(struct spaceblock *sb, const void *buf, uint64_t block, size_t n)
{
	if (sb->io.write(sb->io.ctx, buf, n * sb->bs, block_off(sb, block))) {
		sb->broken = true;
		return fail(sb, SB_EIO, "writing block %llu: %s", (unsigned long long)block,
			    strerror(errno));
	}
	return 0;
}

/* A barrier: what was written before is on stable storage. */
static int flush(struct spaceblock *sb)
{
	if (!sb->sync || !sb->io.sync)
		return 0;
	if (sb->io.sync(sb->io.ctx)) {
		sb->broken = true;
		return fail(sb, SB_EIO, "flushing to stable storage: %s", strerror(errno));
	}
	return 0;
}

static int usable(struct spaceblock *sb)
{
	if (sb->salvaged)
		return fail(sb, SB_EBROKEN, "block 0 is damaged: this is a read-only view of the "
			    "records");
	if (sb->broken)
		return fail(sb, SB_EBROKEN, "an earlier write failed; reopen the store");
	return 0;
}

/* Where slot `slot` of an area with `per` records per block lives in the
 * in-memory copy of that area. */
static size_t slot_pos(const struct spaceblock *sb, unsigned slot, unsigned per, size_t recsize)
{
	return (size_t)(slot / per) * sb->bs + (size_t)(slot % per) * recsize;
}

/* Write back the block of an area that holds a slot, then flush. */
static int commit_slot(struct spaceblock *sb, const uint8_t *area, uint64_t first_block,
		       unsigned slot, unsigned per)
{
	unsigned b = slot / per;
	int rc = write_blocks(sb, area + (size_t)b * sb->bs, first_block + b, 1);
	return rc ? rc : flush(sb);
}

/* ---- format --------------------------------------------------------------- */

static int check_init(const struct sb_io *io, const struct sb_init *in, char *why, size_t len)
{
	if (in->block_size != 512 && in->block_size != 4096)
		return failw(why, len, SB_EINVAL, "block size %u is not 512 or 4096",
			     in->block_size);
	if (in->total_blocks < SB_MIN_BLOCKS)
		return failw(why, len, SB_EGEOMETRY,
			     "%u blocks is too small: the layout needs at least %u", in->total_blocks,
			     SB_MIN_BLOCKS);
	if ((uint64_t)in->total_blocks * in->block_size > io->size)
		return failw(why, len, SB_EGEOMETRY,
			     "%u blocks of %u bytes do not fit in %llu bytes", in->total_blocks,
			     in->block_size, (unsigned long long)io->size);
	return 0;
}

static int write_zero(const struct sb_io *io, uint8_t *zero, unsigned bs, uint64_t block,
		      unsigned n)
{
	return io->write(io->ctx, zero, (size_t)n * bs, block * bs);
}

int sb_format(const struct sb_io *io, const struct sb_init *in, char *why, size_t whylen)
{
	int rc = check_init(io, in, why, whylen);
	if (rc)
		return rc;
	unsigned bs = in->block_size;
	uint8_t *zero = calloc(SB_CATALOG_BLOCKS, bs); /* the largest area */
	if (!zero)
		return failw(why, whylen, SB_ENOMEM, "out of memory");
	/* Block 0 first, so that from here until the end there is no layout. */
	if (write_zero(io, zero, bs, 0, 1) || (io->sync && io->sync(io->ctx)) ||
	    write_zero(io, zero, bs, SB_PARAM_FIRST, SB_PARAM_BLOCKS) ||
	    write_zero(io, zero, bs, SB_EVENT_FIRST, SB_EVENT_BLOCKS) ||
	    write_zero(io, zero, bs, SB_DP_START, SB_CATALOG_BLOCKS) ||
	    (io->sync && io->sync(io->ctx)))
		goto io_error;

	struct sb_super s = {
		.magic = SB_MAGIC,
		.version = SB_VERSION,
		.tenant_id = in->tenant_id,
		.total_blocks = in->total_blocks,
		.dp_start = SB_DP_START,
		.dp_size = in->total_blocks - SB_DP_START,
		.epoch = in->epoch,
	};
	memcpy(s.uuid, in->uuid, 16);
	struct sb_ext e = {
		.version = SB_EXT_VERSION,
		.block_shift = bs == 4096 ? 12 : 9,
		.catalog_blocks = SB_CATALOG_BLOCKS,
	};
	sb_super_encode(&s, zero);
	sb_ext_encode(&e, zero + SB_EXT_OFF);
	if (write_zero(io, zero, bs, 0, 1) || (io->sync && io->sync(io->ctx)))
		goto io_error;
	free(zero);
	return 0;
io_error:
	rc = failw(why, whylen, SB_EIO, "writing the layout: %s", strerror(errno));
	free(zero);
	return rc;
}

/* ---- open ----------------------------------------------------------------- */

static int check_super(struct spaceblock *sb, const uint8_t *b0)
{
	static const uint8_t blank[SB_SUPER_SIZE + SB_EXT_SIZE];
	if (!memcmp(b0, blank, sizeof(blank)))
		return fail(sb, SB_ENOLAYOUT, "no space-block layout (block 0 is blank)");
	struct sb_super *s = &sb->super;
	sb_super_decode(b0, s);
	if (s->magic != SB_MAGIC)
		return fail(sb, SB_EMAGIC, "bad magic: expected 0x%08x, got 0x%08x", SB_MAGIC,
			    s->magic);
	uint32_t crc = sb_super_crc(b0);
	if (crc != s->crc)
		return fail(sb, SB_ECRC, "superblock CRC mismatch: stored 0x%08x, computed 0x%08x",
			    s->crc, crc);
	if (s->version != SB_VERSION)
		return fail(sb, SB_EVERSION, "unknown format version %u (this spaceblock reads %u)",
			    s->version, SB_VERSION);
	return 0;
}

static int check_ext(struct spaceblock *sb, const uint8_t *b0)
{
	switch (sb_ext_decode(b0 + SB_EXT_OFF, &sb->ext)) {
	case SLOT_EMPTY:
		return fail(sb, SB_ENOLAYOUT,
			    "the superblock has no layout record at byte %u (block size, catalog): "
			    "not written by blockbox spaceblock, refusing to guess",
			    SB_EXT_OFF);
	case SLOT_CORRUPT:
		return fail(sb, SB_ECRC, "layout record at byte %u: bad magic or CRC", SB_EXT_OFF);
	case SLOT_VALID:
		break;
	}
	if (sb->ext.version != SB_EXT_VERSION)
		return fail(sb, SB_EVERSION, "unknown layout record version %u (this spaceblock reads %u)",
			    sb->ext.version, SB_EXT_VERSION);
	if (sb->ext.block_shift != 9 && sb->ext.block_shift != 12)
		return fail(sb, SB_EGEOMETRY, "layout record: block size 2^%u is not 512 or 4096",
			    sb->ext.block_shift);
	/* Not merely "fits": up to 65535 blocks would make inspect's checks,
	 * quadratic in the catalog's slots, run for hours. */
	if (sb->ext.catalog_blocks != SB_CATALOG_BLOCKS)
		return fail(sb, SB_EGEOMETRY, "layout record: a catalog of %u blocks, not %u",
			    sb->ext.catalog_blocks, SB_CATALOG_BLOCKS);
	sb->bs = 1u << sb->ext.block_shift;
	return 0;
}

static int check_geometry(struct spaceblock *sb)
{
	const struct sb_super *s = &sb->super;
	uint64_t have = sb->io.size / sb->bs;
	if (s->total_blocks > have)
		return fail(sb, SB_EGEOMETRY,
			    "the superblock says %u blocks of %u bytes but the device holds %llu "
			    "(truncated image?)",
			    s->total_blocks, sb->bs, (unsigned long long)have);
	if (s->dp_start < SB_DP_START || (uint64_t)s->dp_start + s->dp_size > s->total_blocks)
		return fail(sb, SB_EGEOMETRY,
			    "data-product area %u+%u does not fit in blocks %u..%u", s->dp_start,
			    s->dp_size, SB_DP_START, s->total_blocks);
	if (sb->ext.catalog_blocks > s->dp_size)
		return fail(sb, SB_EGEOMETRY, "catalog of %u blocks does not fit in %u",
			    sb->ext.catalog_blocks, s->dp_size);
	return 0;
}

static int load_area(struct spaceblock *sb, uint8_t **area, uint64_t first, unsigned blocks)
{
	*area = malloc((size_t)blocks * sb->bs);
	if (!*area)
		return fail(sb, SB_ENOMEM, "out of memory");
	if (sb->io.read(sb->io.ctx, *area, (size_t)blocks * sb->bs, block_off(sb, first)))
		return fail(sb, SB_EIO, "reading blocks %llu..%llu: %s", (unsigned long long)first,
			    (unsigned long long)(first + blocks - 1), strerror(errno));
	return 0;
}

static uint8_t *param_rec(const struct spaceblock *sb, unsigned slot)
{
	return sb->params + slot_pos(sb, slot, sb->param_per_block, SB_PARAM_SIZE);
}
static uint8_t *event_rec(const struct spaceblock *sb, unsigned slot)
{
	return sb->events + slot_pos(sb, slot, sb->event_per_block, SB_EVENT_SIZE);
}
static uint8_t *cat_rec(const struct spaceblock *sb, unsigned slot)
{
	return sb->catalog + slot_pos(sb, slot, sb->cat_per_block, SB_CAT_SIZE);
}

/* An event is only valid in the slot its sequence number maps to. */
static enum sb_slot event_check(const struct spaceblock *sb, unsigned slot, struct sb_event *e)
{
	enum sb_slot st = sb_event_decode(event_rec(sb, slot), e);
	if (st == SLOT_VALID && (e->seq - 1) % sb->nevent != slot)
		return SLOT_CORRUPT;
	return st;
}

static uint64_t blocks_for(const struct spaceblock *sb, uint64_t length)
{
	return length / sb->bs + (length % sb->bs != 0);
}

/* A catalog record is only valid if its extent is where payload may be. */
static enum sb_slot cat_check(const struct spaceblock *sb, unsigned slot, struct sb_dp *d)
{
	enum sb_slot st = sb_dp_decode(cat_rec(sb, slot), d);
	if (st != SLOT_VALID)
		return st;
	if (d->block_offset < sb->ext.catalog_blocks ||
	    (uint64_t)d->block_offset + d->block_count > sb->super.dp_size ||
	    d->block_count != blocks_for(sb, d->length))
		return SLOT_CORRUPT;
	return SLOT_VALID;
}

static void scan_areas(struct spaceblock *sb)
{
	struct sb_param p;
	for (unsigned i = 0; i < sb->nparam; i++)
		sb->param_state[i] = (uint8_t)sb_param_decode(param_rec(sb, i), &p);
	struct sb_event e;
	for (unsigned i = 0; i < sb->nevent; i++) {
		sb->event_state[i] = (uint8_t)event_check(sb, i, &e);
		if (sb->event_state[i] == SLOT_VALID && e.seq > sb->newest_seq)
			sb->newest_seq = e.seq;
	}
	struct sb_dp d;
	for (unsigned i = 0; i < sb->ncat; i++) {
		sb->cat_state[i] = (uint8_t)cat_check(sb, i, &d);
		if (sb->cat_state[i] == SLOT_VALID && d.seq > sb->dp_seq)
			sb->dp_seq = d.seq;
	}
}

static int load(struct spaceblock *sb)
{
	sb->param_per_block = sb->bs / SB_PARAM_SIZE;
	sb->event_per_block = sb->bs / SB_EVENT_SIZE;
	sb->cat_per_block = sb->bs / SB_CAT_SIZE;
	sb->nparam = sb->param_per_block * SB_PARAM_BLOCKS;
	sb->nevent = sb->event_per_block * SB_EVENT_BLOCKS;
	sb->ncat = sb->cat_per_block * sb->ext.catalog_blocks;
	int rc = load_area(sb, &sb->params, SB_PARAM_FIRST, SB_PARAM_BLOCKS);
	if (!rc)
		rc = load_area(sb, &sb->events, SB_EVENT_FIRST, SB_EVENT_BLOCKS);
	if (!rc)
		rc = load_area(sb, &sb->catalog, sb->super.dp_start, sb->ext.catalog_blocks);
	if (rc)
		return rc;
	sb->param_state = calloc(sb->nparam, 1);
	sb->event_state = calloc(sb->nevent, 1);
	sb->cat_state = calloc(sb->ncat, 1);
	if (!sb->param_state || !sb->event_state || !sb->cat_state)
		return fail(sb, SB_ENOMEM, "out of memory");
	scan_areas(sb);
	return 0;
}

int sb_open(struct spaceblock *sb, const struct sb_io *io)
{
	memset(sb, 0, sizeof(*sb));
	sb->io = *io;
	sb->sync = true;
	uint8_t b0[512];
	if (io->size < sizeof(b0))
		return fail(sb, SB_ENOLAYOUT, "no space-block layout (only %llu bytes)",
			    (unsigned long long)io->size);
	if (io->read(io->ctx, b0, sizeof(b0), 0))
		return fail(sb, SB_EIO, "reading block 0: %s", strerror(errno));
	int rc = check_super(sb, b0);
	if (!rc)
		rc = check_ext(sb, b0);
	if (!rc)
		rc = check_geometry(sb);
	if (!rc)
		rc = load(sb);
	if (rc) {
		char why[SB_WHY];
		memcpy(why, sb->why, sizeof(why));
		sb_close(sb);
		memcpy(sb->why, why, sizeof(why));
	}
	return rc;
}

/* How many slots of the three areas hold valid records. */
static unsigned valid_records(const struct spaceblock *sb)
{
	unsigned n = 0;
	for (unsigned i = 0; i < sb->nparam; i++)
		n += sb->param_state[i] == SLOT_VALID;
	for (unsigned i = 0; i < sb->nevent; i++)
		n += sb->event_state[i] == SLOT_VALID;
	for (unsigned i = 0; i < sb->ncat; i++)
		n += sb->cat_state[i] == SLOT_VALID;
	return n;
}

/* The layout with block size bs, the fixed areas of this format and the
 * data-product area up to the end of the device (or of what the
 * superblock says, when its CRC still vouches for it). */
static int salvage_as(struct spaceblock *sb, const struct sb_io *io, const uint8_t *b0,
		      unsigned shift)
{
	memset(sb, 0, sizeof(*sb));
	sb->io = *io;
	sb_super_decode(b0, &sb->super);
	bool super_ok = sb->super.magic == SB_MAGIC && sb_super_crc(b0) == sb->super.crc;
	sb->ext = (struct sb_ext){ SB_EXT_VERSION, (uint8_t)shift, SB_CATALOG_BLOCKS };
	sb->bs = 1u << shift;
	uint64_t have = io->size / sb->bs;
	uint64_t total = super_ok && sb->super.total_blocks < have ? sb->super.total_blocks : have;
	if (total > UINT32_MAX)
		total = UINT32_MAX;
	if (total < SB_MIN_BLOCKS)
		return fail(sb, SB_EGEOMETRY, "too small for the layout with %u-byte blocks", sb->bs);
	sb->super.total_blocks = (uint32_t)total;
	sb->super.dp_start = SB_DP_START;
	sb->super.dp_size = (uint32_t)total - SB_DP_START;
	sb->salvaged = true;
	return load(sb);
}

int sb_open_salvage(struct spaceblock *sb, const struct sb_io *io, char *note, size_t len)
{
	note[0] = 0;
	int rc = sb_open(sb, io);
	if (rc != -SB_EMAGIC && rc != -SB_ECRC && rc != -SB_EVERSION && rc != -SB_EGEOMETRY)
		return rc;
	snprintf(note, len, "%s", sb->why);
	uint8_t b0[512];
	if (io->read(io->ctx, b0, sizeof(b0), 0))
		return fail(sb, SB_EIO, "reading block 0: %s", strerror(errno));
	struct sb_ext e;
	/* the layout record says the block size; without it, the size whose
	 * areas hold more valid records wins */
	if (sb_ext_decode(b0 + SB_EXT_OFF, &e) == SLOT_VALID && e.version == SB_EXT_VERSION &&
	    (e.block_shift == 9 || e.block_shift == 12) && e.catalog_blocks == SB_CATALOG_BLOCKS) {
		rc = salvage_as(sb, io, b0, e.block_shift);
	} else {
		unsigned best = 0, found = 0;
		for (unsigned shift = 9; shift <= 12; shift += 3) {
			if (!salvage_as(sb, io, b0, shift) && valid_records(sb) > found) {
				found = valid_records(sb);
				best = shift;
			}
			sb_close(sb);
		}
		rc = best ? salvage_as(sb, io, b0, best)
			  : fail(sb, SB_ENOLAYOUT, "no valid record with either block size");
	}
	if (rc) {
		char why[SB_WHY];
		memcpy(why, sb->why, sizeof(why));
		sb_close(sb);
		snprintf(sb->why, sizeof(sb->why), "%.120s; no records readable either: %.120s", note,
			 why);
	}
	return rc;
}

void sb_close(struct spaceblock *sb)
{
	free(sb->params);
	free(sb->events);
	free(sb->catalog);
	free(sb->param_state);
	free(sb->event_state);
	free(sb->cat_state);
	memset(sb, 0, sizeof(*sb));
}

/* ---- parameters ------------------------------------------------------------ */

static uint32_t param_id(const struct spaceblock *sb, unsigned slot)
{
	return get_be32(param_rec(sb, slot));
}

static uint16_t param_gen(const struct spaceblock *sb, unsigned slot)
{
	return get_be16(param_rec(sb, slot) + 6);
}

/* The newest of n valid entries of one id (slots, in slot order): the one
 * whose generation is newer than or the same as every other's, the lowest
 * slot among equals. Returns its index, with *ordered false when there is
 * none (generations spread 32768 or more apart, which only another writer
 * leaves): the index is then of the one a put builds on. Whether there is
 * a newest, and which, does not depend on the slot order, and dropping an
 * entry that is not the newest never changes it: so a torn write into a
 * superseded slot cannot bring an old value back. */
static size_t newest_of(const struct spaceblock *sb, const unsigned *slots, size_t n,
			bool *ordered)
{
	size_t best = 0;
	for (size_t i = 1; i < n; i++)
		if (sb_gen_newer(param_gen(sb, slots[i]), param_gen(sb, slots[best])))
			best = i;
	uint16_t g = param_gen(sb, slots[best]);
	*ordered = true;
	for (size_t i = 0; i < n; i++)
		if (param_gen(sb, slots[i]) != g && !sb_gen_newer(g, param_gen(sb, slots[i])))
			*ordered = false;
	return best;
}

#define SB_PARAM_SLOTS_MAX (SB_PARAM_BLOCKS * (4096 / SB_PARAM_SIZE))

/* Slot of the newest entry of id (see newest_of), or -1 when it has none. */
static int param_newest(const struct spaceblock *sb, uint32_t id, bool *ordered)
{
	unsigned slots[SB_PARAM_SLOTS_MAX];
	size_t n = 0;
	for (unsigned i = 0; i < sb->nparam; i++)
		if (sb->param_state[i] == SLOT_VALID && param_id(sb, i) == id)
			slots[n++] = i;
	*ordered = false;
	return n ? (int)slots[newest_of(sb, slots, n, ordered)] : -1;
}

/* What a valid entry is to the readers. */
enum param_role { ROLE_NONE, ROLE_LIVE, ROLE_SUPERSEDED, ROLE_UNORDERED };

struct slot_id {
	uint32_t id;
	unsigned slot;
};

static int cmp_slot_id(const void *a, const void *b)
{
	const struct slot_id *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/* role[i] for every slot. Sorting by id keeps this n log n for the 256
 * slots of 4096-byte blocks. */
static void param_roles(const struct spaceblock *sb, uint8_t *role)
{
	struct slot_id v[SB_PARAM_SLOTS_MAX];
	unsigned slots[SB_PARAM_SLOTS_MAX];
	size_t n = 0;
	for (unsigned i = 0; i < sb->nparam; i++) {
		role[i] = ROLE_NONE;
		if (sb->param_state[i] == SLOT_VALID)
			v[n++] = (struct slot_id){ param_id(sb, i), i };
	}
	qsort(v, n, sizeof(*v), cmp_slot_id);
	for (size_t i = 0; i < n; i++)
		slots[i] = v[i].slot;
	for (size_t first = 0, end; first < n; first = end) {
		for (end = first + 1; end < n && v[end].id == v[first].id;)
			end++;
		bool ordered;
		size_t best = first + newest_of(sb, slots + first, end - first, &ordered);
		for (size_t i = first; i < end; i++)
			role[slots[i]] = !ordered ? ROLE_UNORDERED
				       : i == best ? ROLE_LIVE
						   : ROLE_SUPERSEDED;
	}
}

struct param_choice {
	int own_superseded; /* id's oldest superseded generation */
	int empty, corrupt, superseded;
	unsigned free; /* slots a put may take */
};

static void param_choose(const struct spaceblock *sb, uint32_t id, int newest,
			 const uint8_t *role, struct param_choice *c)
{
	uint16_t newest_gen = newest >= 0 ? param_gen(sb, (unsigned)newest) : 0;
	uint16_t oldest_age = 0;
	*c = (struct param_choice){ -1, -1, -1, -1, 0 };
	for (unsigned i = 0; i < sb->nparam; i++) {
		int *pick = NULL;
		if (sb->param_state[i] == SLOT_EMPTY)
			pick = &c->empty;
		else if (sb->param_state[i] == SLOT_CORRUPT)
			pick = &c->corrupt;
		else if (role[i] == ROLE_LIVE)
			continue;
		else if (param_id(sb, i) == id) {
			/* The oldest of id's own superseded generations goes first:
			 * that keeps one id's generations within a few of each other. */
			uint16_t age = (uint16_t)(newest_gen - param_gen(sb, i));
			if (c->own_superseded < 0 || age > oldest_age) {
				c->own_superseded = (int)i;
				oldest_age = age;
			}
		} else
			pick = &c->superseded;
		c->free++;
		if (pick && *pick < 0)
			*pick = (int)i;
	}
}

static int param_pick(struct spaceblock *sb, int newest, const struct param_choice *c)
{
	/* A new id may not take the last free slot: keeping one means every
	 * existing parameter can always be updated without touching its
	 * current value. */
	if (newest < 0 && c->free < 2)
		return fail(sb, SB_EFULL,
			    "parameter store full: %u slots, the last free one is kept so that "
			    "existing parameters can still be updated",
			    sb->nparam);
	if (!c->free)
		return fail(sb, SB_EFULL, "parameter store full: all %u slots hold live parameters",
			    sb->nparam);
	const int order[] = { c->own_superseded, c->empty, c->corrupt, c->superseded };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (order[i] >= 0)
			return order[i];
	return fail(sb, SB_EFULL, "parameter store full");
}

/* Zero every other entry of id that generation gen would not be newer
 * than, so that it is the newest once written. Only a store written by
 * someone else has any; none is the newest, so a cut loses nothing. */
static int param_clear_blockers(struct spaceblock *sb, uint32_t id, uint16_t gen, int keep)
{
	for (unsigned i = 0; i < sb->nparam; i++) {
		if ((int)i == keep || sb->param_state[i] != SLOT_VALID || param_id(sb, i) != id ||
		    sb_gen_newer(gen, param_gen(sb, i)))
			continue;
		memset(param_rec(sb, i), 0, SB_PARAM_SIZE);
		sb->param_state[i] = SLOT_EMPTY;
		int rc = commit_slot(sb, sb->params, SB_PARAM_FIRST, i, sb->param_per_block);
		if (rc)
			return rc;
	}
	return 0;
}

int sb_param_put(struct spaceblock *sb, uint32_t id, const void *val, size_t len)
{
	int rc = usable(sb);
	if (rc)
		return rc;
	if (len > SB_PARAM_MAX)
		return fail(sb, SB_ETOOLONG, "value is %zu bytes; a parameter holds at most %u", len,
			    SB_PARAM_MAX);
	uint8_t role[SB_PARAM_SLOTS_MAX];
	param_roles(sb, role);
	bool ordered;
	int newest = param_newest(sb, id, &ordered);
	struct param_choice c;
	param_choose(sb, id, newest, role, &c);
	int slot = param_pick(sb, newest, &c);
	if (slot < 0)
		return slot;
	struct sb_param p = { .id = id, .len = (uint16_t)len, .gen = 1 };
	if (newest >= 0)
		p.gen = (uint16_t)(param_gen(sb, (unsigned)newest) + 1);
	rc = param_clear_blockers(sb, id, p.gen, slot);
	if (rc)
		return rc;
	if (len) /* val may be NULL then */
		memcpy(p.value, val, len);
	sb_param_encode(&p, param_rec(sb, (unsigned)slot));
	sb->param_state[slot] = SLOT_VALID;
	return commit_slot(sb, sb->params, SB_PARAM_FIRST, (unsigned)slot, sb->param_per_block);
}

int sb_param_get(struct spaceblock *sb, uint32_t id, struct sb_param *out)
{
	bool ordered;
	int slot = param_newest(sb, id, &ordered);
	if (slot < 0)
		return fail(sb, SB_ENOENT, "no parameter %u", id);
	if (!ordered)
		return fail(sb, SB_ENOENT,
			    "parameter %u: its generations on disk are too far apart to tell which "
			    "is newest (not written by blockbox?); a put replaces them",
			    id);
	sb_param_decode(param_rec(sb, (unsigned)slot), out);
	return 0;
}

static int cmp_param_id(const void *a, const void *b)
{
	uint32_t x = ((const struct sb_param *)a)->id, y = ((const struct sb_param *)b)->id;
	return (x > y) - (x < y);
}

size_t sb_param_list(struct spaceblock *sb, struct sb_param *out)
{
	uint8_t role[SB_PARAM_SLOTS_MAX];
	param_roles(sb, role);
	size_t n = 0;
	for (unsigned i = 0; i < sb->nparam; i++)
		if (role[i] == ROLE_LIVE)
			sb_param_decode(param_rec(sb, i), &out[n++]);
	qsort(out, n, sizeof(*out), cmp_param_id);
	return n;
}

/* ---- events --------------------------------------------------------------- */

int sb_event_write(struct spaceblock *sb, struct sb_event *ev)
{
	int rc = usable(sb);
	if (rc)
		return rc;
	if (ev->len > SB_EVENT_MAX)
		return fail(sb, SB_ETOOLONG, "event payload is %u bytes; at most %u", ev->len,
			    SB_EVENT_MAX);
	if (ev->severity >= SB_NSEVERITY)
		return fail(sb, SB_EINVAL, "severity %u is not 0..%u", ev->severity,
			    SB_NSEVERITY - 1);
	if (sb->newest_seq == UINT64_MAX) /* only another writer gets here */
		return fail(sb, SB_EFULL, "event ring: sequence number %llu is the last there is",
			    (unsigned long long)sb->newest_seq);
	ev->seq = sb->newest_seq + 1;
	unsigned slot = (unsigned)((ev->seq - 1) % sb->nevent);
	sb_event_encode(ev, event_rec(sb, slot));
	sb->event_state[slot] = SLOT_VALID;
	sb->newest_seq = ev->seq;
	return commit_slot(sb, sb->events, SB_EVENT_FIRST, slot, sb->event_per_block);
}

uint64_t sb_event_count(const struct spaceblock *sb)
{
	return sb->newest_seq;
}

size_t sb_event_recent(struct spaceblock *sb, struct sb_event *out, size_t max)
{
	size_t n = 0;
	uint64_t oldest = sb->newest_seq > sb->nevent ? sb->newest_seq - sb->nevent + 1 : 1;
	for (uint64_t seq = sb->newest_seq; seq >= oldest && seq && n < max; seq--) {
		unsigned slot = (unsigned)((seq - 1) % sb->nevent);
		if (sb->event_state[slot] == SLOT_VALID && event_check(sb, slot, &out[n]) == SLOT_VALID &&
		    out[n].seq == seq)
			n++;
	}
	return n;
}

/* ---- data products ---------------------------------------------------------- */

static int cat_find(const struct spaceblock *sb, const char *name, struct sb_dp *out)
{
	size_t len = strlen(name);
	int found = -1;
	struct sb_dp d;
	for (unsigned i = 0; i < sb->ncat; i++) {
		if (sb->cat_state[i] != SLOT_VALID)
			continue;
		sb_dp_decode(cat_rec(sb, i), &d);
		if (d.name_len == len && !memcmp(d.name, name, len) && (found < 0 || d.seq > out->seq)) {
			*out = d;
			found = (int)i;
		}
	}
	return found;
}

int sb_dp_find(struct spaceblock *sb, const char *name, struct sb_dp *out)
{
	if (cat_find(sb, name, out) < 0)
		return fail(sb, SB_ENOENT, "no data product named '%s'", name);
	return 0;
}

struct extent {
	uint64_t start, count;
};

static int cmp_extent(const void *a, const void *b)
{
	uint64_t x = ((const struct extent *)a)->start, y = ((const struct extent *)b)->start;
	return (x > y) - (x < y);
}

/* The extents of every live product, sorted; n returned. */
static size_t used_extents(const struct spaceblock *sb, struct extent *ext)
{
	size_t n = 0;
	struct sb_dp d;
	for (unsigned i = 0; i < sb->ncat; i++) {
		if (sb->cat_state[i] != SLOT_VALID)
			continue;
		sb_dp_decode(cat_rec(sb, i), &d);
		if (d.block_count)
			ext[n++] = (struct extent){ d.block_offset, d.block_count };
	}
	qsort(ext, n, sizeof(*ext), cmp_extent);
	return n;
}

/* Walk the gaps between used extents: first fit of `want` blocks (or the
 * sums when want is 0). Extents may overlap on a damaged disk; the walk
 * still never hands out a block that any of them covers. */
static int64_t first_fit(const struct spaceblock *sb, uint64_t want, uint64_t *free_blocks,
			 uint64_t *largest)
{
	struct extent *ext = malloc((sb->ncat + 1) * sizeof(*ext));
	if (!ext)
		return -2;
	size_t n = used_extents(sb, ext);
	ext[n] = (struct extent){ sb->super.dp_size, 0 }; /* the end of the area */
	uint64_t pos = sb->ext.catalog_blocks;
	int64_t found = -1;
	*free_blocks = *largest = 0;
	for (size_t i = 0; i <= n; i++) {
		if (ext[i].start > pos) {
			uint64_t gap = ext[i].start - pos;
			*free_blocks += gap;
			if (gap > *largest)
				*largest = gap;
			if (found < 0 && want && gap >= want)
				found = (int64_t)pos;
		}
		if (ext[i].start + ext[i].count > pos)
			pos = ext[i].start + ext[i].count;
	}
	free(ext);
	return found;
}

void sb_dp_space(struct spaceblock *sb, uint64_t *free_blocks, uint64_t *largest)
{
	if (first_fit(sb, 0, free_blocks, largest) == -2)
		*free_blocks = *largest = 0;
}

static int check_name(struct spaceblock *sb, const char *name)
{
	size_t len = strlen(name);
	if (!len)
		return fail(sb, SB_EINVAL, "a data product needs a name");
	if (len > SB_NAME_MAX)
		return fail(sb, SB_ETOOLONG, "name is %zu bytes; at most %u", len, SB_NAME_MAX);
	struct sb_dp d;
	if (cat_find(sb, name, &d) >= 0)
		return fail(sb, SB_EEXIST, "a data product named '%s' already exists", name);
	return 0;
}

static int free_cat_slot(struct spaceblock *sb)
{
	for (int want = SLOT_EMPTY; want <= SLOT_CORRUPT; want += SLOT_CORRUPT - SLOT_EMPTY)
		for (unsigned i = 0; i < sb->ncat; i++)
			if (sb->cat_state[i] == want)
				return (int)i;
	return fail(sb, SB_EFULL, "data-product catalog full (%u entries)", sb->ncat);
}

static int allocate(struct spaceblock *sb, const char *name, uint64_t blocks, uint32_t *offset)
{
	uint64_t free_blocks, largest;
	int64_t at = first_fit(sb, blocks, &free_blocks, &largest);
	if (at == -2)
		return fail(sb, SB_ENOMEM, "out of memory");
	if (!blocks)
		at = sb->ext.catalog_blocks; /* an empty product owns no blocks */
	if (at < 0)
		return fail(sb, SB_EFULL,
			    "data-product area full: '%s' needs %llu blocks, the largest free run "
			    "is %llu (%llu free in all)",
			    name, (unsigned long long)blocks, (unsigned long long)largest,
			    (unsigned long long)free_blocks);
	*offset = (uint32_t)at;
	return 0;
}

#define SB_CHUNK (256u * 1024) /* a multiple of both block sizes */

/* Fill buf with up to len bytes, fewer only at the end of the data. */
static long read_upto(struct spaceblock *sb, sb_reader read, void *ctx, uint8_t *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		long r = read(ctx, buf + got, len - got);
		if (r < 0)
			return fail(sb, SB_EIO, "reading the data: %s", strerror(errno));
		if (!r)
			break;
		got += (size_t)r;
	}
	return (long)got;
}

/* Fill buf with exactly len bytes: data that ends early is an error. */
static int read_exact(struct spaceblock *sb, sb_reader read, void *ctx, uint8_t *buf, size_t len,
		      uint64_t done, uint64_t total)
{
	long got = read_upto(sb, read, ctx, buf, len);
	if (got < 0)
		return (int)got; /* -SB_EIO, said */
	if ((size_t)got < len)
		return fail(sb, SB_EIO, "the data ended after %llu of %llu bytes",
			    (unsigned long long)(done + (uint64_t)got), (unsigned long long)total);
	return 0;
}

/* Payload into free blocks, which nothing references yet: a crash here
 * loses nothing. Returns the CRC-32C of the data in *crc. */
static int write_payload(struct spaceblock *sb, uint64_t first, uint64_t *length, uint64_t room,
			 sb_reader read, void *ctx, uint32_t *crc)
{
	uint8_t *buf = malloc(SB_CHUNK);
	if (!buf)
		return fail(sb, SB_ENOMEM, "out of memory");
	int rc = 0;
	bool stream = *length == SB_LEN_UNKNOWN;
	uint64_t done = 0, want = stream ? room : *length;
	*crc = 0;
	for (; done < want && !rc;) {
		size_t n = want - done < SB_CHUNK ? (size_t)(want - done) : SB_CHUNK;
		if (stream) {
			long got = read_upto(sb, read, ctx, buf, n);
			if (got < 0) {
				rc = (int)got;
				break;
			}
			if (!got)
				break;
			n = (size_t)got;
		} else {
			rc = read_exact(sb, read, ctx, buf, n, done, want);
		}
		if (rc)
			break;
		*crc = crc32c(*crc, buf, n);
		size_t blocks = n / sb->bs + (n % sb->bs != 0);
		memset(buf + n, 0, blocks * sb->bs - n);
		rc = write_blocks(sb, buf, first + done / sb->bs, blocks);
		done += n;
		if (stream && n % sb->bs && done < want)
			break; /* a short read ends the data only at its end */
	}
	/* room filled: one more byte means it does not fit */
	if (!rc && stream && done == want && read_upto(sb, read, ctx, buf, 1) != 0)
		rc = fail(sb, SB_EFULL, "data-product area full: the data is larger than the "
			  "largest free run (%llu bytes)", (unsigned long long)room);
	free(buf);
	if (stream)
		*length = done;
	return rc;
}

int sb_dp_write(struct spaceblock *sb, const char *name, uint16_t dp_class, uint8_t priority,
		uint64_t created, uint64_t length, sb_reader read, void *ctx, struct sb_dp *out)
{
	int rc = usable(sb);
	if (!rc)
		rc = check_name(sb, name);
	if (rc)
		return rc;
	uint64_t room = 0, free_blocks;
	if (length == SB_LEN_UNKNOWN)
		sb_dp_space(sb, &free_blocks, &room);
	uint64_t blocks = length == SB_LEN_UNKNOWN ? room : blocks_for(sb, length);
	if (length == SB_LEN_UNKNOWN && !room)
		return fail(sb, SB_EFULL, "data-product area full: no free block for '%s'", name);
	if (blocks > sb->super.dp_size)
		return fail(sb, SB_EFULL, "data-product area full: '%s' is larger (%llu blocks) than "
			    "the whole area (%u)", name, (unsigned long long)blocks, sb->super.dp_size);
	if (sb->dp_seq == UINT64_MAX) /* only another writer gets here */
		return fail(sb, SB_EFULL, "data-product catalog: sequence number %llu is the last "
			    "there is", (unsigned long long)sb->dp_seq);
	int slot = free_cat_slot(sb);
	if (slot < 0)
		return slot;
	struct sb_dp d = {
		.block_count = (uint32_t)blocks,
		.dp_class = dp_class,
		.priority = priority,
		.name_len = (uint8_t)strlen(name),
		.length = length,
		.seq = sb->dp_seq + 1,
		.created = created,
	};
	memcpy(d.name, name, d.name_len + 1);
	rc = allocate(sb, name, blocks, &d.block_offset);
	if (!rc)
		rc = write_payload(sb, (uint64_t)sb->super.dp_start + d.block_offset, &d.length,
				   room * sb->bs, read, ctx, &d.data_crc);
	d.block_count = (uint32_t)blocks_for(sb, d.length);
	if (!rc)
		rc = flush(sb); /* the payload is durable before anything points at it */
	if (rc)
		return rc;
	sb_dp_encode(&d, cat_rec(sb, (unsigned)slot));
	sb->cat_state[slot] = SLOT_VALID;
	sb->dp_seq = d.seq;
	if (out)
		*out = d;
	return commit_slot(sb, sb->catalog, sb->super.dp_start, (unsigned)slot, sb->cat_per_block);
}

int sb_dp_read(struct spaceblock *sb, const struct sb_dp *d, sb_writer write, void *ctx)
{
	uint8_t *buf = malloc(SB_CHUNK);
	if (!buf)
		return fail(sb, SB_ENOMEM, "out of memory");
	uint64_t first = (uint64_t)sb->super.dp_start + d->block_offset;
	uint32_t crc = 0;
	int rc = 0;
	for (uint64_t done = 0; done < d->length && !rc; ) {
		size_t n = d->length - done < SB_CHUNK ? (size_t)(d->length - done) : SB_CHUNK;
		if (sb->io.read(sb->io.ctx, buf, n, block_off(sb, first) + done))
			rc = fail(sb, SB_EIO, "reading '%s': %s", d->name, strerror(errno));
		else if (write && write(ctx, buf, n))
			rc = fail(sb, SB_EIO, "writing '%s' out: %s", d->name, strerror(errno));
		crc = crc32c(crc, buf, n);
		done += n;
	}
	free(buf);
	if (!rc && crc != d->data_crc)
		rc = fail(sb, SB_EDATACRC, "'%s': data CRC mismatch: catalog says 0x%08x, data has 0x%08x",
			  d->name, d->data_crc, crc);
	return rc;
}

int sb_dp_delete(struct spaceblock *sb, const char *name)
{
	int rc = usable(sb);
	if (rc)
		return rc;
	struct sb_dp d;
	int slot = cat_find(sb, name, &d);
	if (slot < 0)
		return fail(sb, SB_ENOENT, "no data product named '%s'", name);
	/* Clearing the record frees the blocks; the payload needs no writes. */
	memset(cat_rec(sb, (unsigned)slot), 0, SB_CAT_SIZE);
	sb->cat_state[slot] = SLOT_EMPTY;
	return commit_slot(sb, sb->catalog, sb->super.dp_start, (unsigned)slot, sb->cat_per_block);
}

static int cmp_dp_seq(const void *a, const void *b)
{
	uint64_t x = ((const struct sb_dp *)a)->seq, y = ((const struct sb_dp *)b)->seq;
	return (x > y) - (x < y);
}

size_t sb_dp_list(struct spaceblock *sb, struct sb_dp *out)
{
	size_t n = 0;
	for (unsigned i = 0; i < sb->ncat; i++)
		if (sb->cat_state[i] == SLOT_VALID)
			sb_dp_decode(cat_rec(sb, i), &out[n++]);
	qsort(out, n, sizeof(*out), cmp_dp_seq);
	return n;
}

/* ---- problems --------------------------------------------------------------- */

static unsigned param_problems(struct spaceblock *sb, sb_problem_fn fn, void *ctx)
{
	unsigned n = 0;
	struct sb_param p, q;
	uint8_t role[SB_PARAM_SLOTS_MAX];
	param_roles(sb, role);
	for (unsigned i = 0; i < sb->nparam; i++) {
		if (sb->param_state[i] == SLOT_CORRUPT) {
			fn(ctx, "param", i, "CRC mismatch (torn write or damage); slot ignored");
			n++;
			continue;
		}
		if (sb->param_state[i] != SLOT_VALID)
			continue;
		sb_param_decode(param_rec(sb, i), &p);
		if (role[i] == ROLE_UNORDERED) {
			char what[128];
			snprintf(what, sizeof(what),
				 "id %u, generation %u: too far from the id's other generations to "
				 "tell the newest; ignored", p.id, p.gen);
			fn(ctx, "param", i, what);
			n++;
		}
		for (unsigned j = 0; j < i; j++) {
			if (sb->param_state[j] != SLOT_VALID)
				continue;
			sb_param_decode(param_rec(sb, j), &q);
			if (q.id == p.id && q.gen == p.gen) {
				char what[96];
				snprintf(what, sizeof(what), "same id and generation as slot %u", j);
				fn(ctx, "param", i, what);
				n++;
			}
		}
	}
	return n;
}

static unsigned event_problems(struct spaceblock *sb, sb_problem_fn fn, void *ctx)
{
	unsigned n = 0;
	struct sb_event e;
	for (unsigned i = 0; i < sb->nevent; i++) {
		if (sb->event_state[i] == SLOT_CORRUPT) {
			fn(ctx, "event", i, "CRC mismatch or misplaced record; ignored");
			n++;
		} else if (sb->event_state[i] == SLOT_VALID) {
			event_check(sb, i, &e);
			if (sb->newest_seq - e.seq >= sb->nevent) {
				fn(ctx, "event", i, "stale record older than the ring; ignored");
				n++;
			}
		}
	}
	return n;
}

static unsigned cat_problems(struct spaceblock *sb, sb_problem_fn fn, void *ctx)
{
	unsigned n = 0;
	struct sb_dp a, b;
	for (unsigned i = 0; i < sb->ncat; i++) {
		if (sb->cat_state[i] == SLOT_CORRUPT) {
			fn(ctx, "catalog", i, "CRC mismatch or impossible extent; entry ignored");
			n++;
			continue;
		}
		if (sb->cat_state[i] != SLOT_VALID)
			continue;
		sb_dp_decode(cat_rec(sb, i), &a);
		for (unsigned j = 0; j < i; j++) {
			if (sb->cat_state[j] != SLOT_VALID)
				continue;
			sb_dp_decode(cat_rec(sb, j), &b);
			char what[160];
			what[0] = 0;
			if (!strcmp(a.name, b.name))
				snprintf(what, sizeof(what), "same name as slot %u", j);
			else if (a.block_offset < (uint64_t)b.block_offset + b.block_count &&
				 b.block_offset < (uint64_t)a.block_offset + a.block_count)
				snprintf(what, sizeof(what), "blocks overlap those of '%s'", b.name);
			if (what[0]) {
				fn(ctx, "catalog", i, what);
				n++;
			}
		}
	}
	return n;
}

unsigned sb_problems(struct spaceblock *sb, sb_problem_fn fn, void *ctx)
{
	return param_problems(sb, fn, ctx) + event_problems(sb, fn, ctx) +
	       cat_problems(sb, fn, ctx);
}

/* ---- memory buffers ------------------------------------------------------------ */

long sb_mem_reader(void *ctx, void *buf, size_t len)
{
	struct sb_membuf *m = ctx;
	size_t n = m->len - m->pos < len ? m->len - m->pos : len;
	if (!n)
		return 0; /* m->p may be NULL for no data */
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (long)n;
}

int sb_mem_writer(void *ctx, const void *buf, size_t len)
{
	struct sb_membuf *m = ctx;
	if (!len)
		return 0; /* m->p may still be NULL */
	if (m->len + len > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;
		while (cap < m->len + len)
			cap *= 2;
		uint8_t *p = realloc(m->p, cap);
		if (!p)
			return -1;
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}
