/* spaceblock_memdev.c - see spaceblock_memdev.h */
#include "spaceblock_memdev.h"
#include "test.h"

#include <errno.h>

static int mem_read(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct memdev *m = ctx;
	if (off > m->size || len > m->size - off) {
		errno = EIO;
		return -1;
	}
	memcpy(buf, m->img + off, len);
	return 0;
}

/* Remember a sector's contents before its first write since the sync. */
static void remember(struct memdev *m, uint64_t off)
{
	if (m->nundo == m->undo_cap) {
		m->undo_cap = m->undo_cap ? 2 * m->undo_cap : 64;
		m->undo = realloc(m->undo, m->undo_cap * MEMDEV_SECTOR);
		m->undo_off = realloc(m->undo_off, m->undo_cap * sizeof(*m->undo_off));
		CHECK(m->undo && m->undo_off);
	}
	memcpy(m->undo + m->nundo * MEMDEV_SECTOR, m->img + off, MEMDEV_SECTOR);
	m->undo_off[m->nundo++] = off;
}

/* The power fails: the cut sector lands torn; with lose_unsynced, what
 * was written since the last sync is lost, newest first. */
static void power_cut(struct memdev *m, uint8_t *sector, const uint8_t *src)
{
	memcpy(sector, src, m->tear);
	m->cut = true;
	if (!m->lose_unsynced)
		return;
	uint8_t torn[MEMDEV_SECTOR];
	memcpy(torn, sector, MEMDEV_SECTOR);
	while (m->nundo--)
		memcpy(m->img + m->undo_off[m->nundo], m->undo + m->nundo * MEMDEV_SECTOR,
		       MEMDEV_SECTOR);
	memcpy(sector, torn, MEMDEV_SECTOR);
	m->nundo = 0;
}

/* Sector by sector, so the cut can fall inside any multi-block write. */
static int mem_write(void *ctx, const void *buf, size_t len, uint64_t off)
{
	struct memdev *m = ctx;
	if (off > m->size || len > m->size - off || off % MEMDEV_SECTOR || len % MEMDEV_SECTOR)
		test_fail(__FILE__, __LINE__, "unaligned or out-of-range write %zu@%llu", len,
			  (unsigned long long)off);
	for (size_t done = 0; done < len; done += MEMDEV_SECTOR) {
		if (m->cut) {
			errno = EIO;
			return -1;
		}
		const uint8_t *src = (const uint8_t *)buf + done;
		if (m->budget == 0) {
			power_cut(m, m->img + off + done, src);
			errno = EIO;
			return -1;
		}
		if (m->lose_unsynced)
			remember(m, off + done);
		memcpy(m->img + off + done, src, MEMDEV_SECTOR);
		m->writes++;
		if (m->budget > 0)
			m->budget--;
	}
	return 0;
}

static int mem_sync(void *ctx)
{
	struct memdev *m = ctx;
	if (m->cut) {
		errno = EIO;
		return -1;
	}
	m->syncs++;
	m->nundo = 0;
	return 0;
}

void memdev_init(struct memdev *m, size_t size)
{
	memset(m, 0, sizeof(*m));
	m->img = calloc(1, size);
	CHECK(m->img);
	m->size = size;
	m->budget = -1;
}

void memdev_copy(struct memdev *dst, const struct memdev *src)
{
	memdev_init(dst, src->size);
	memcpy(dst->img, src->img, src->size);
}

void memdev_free(struct memdev *m)
{
	free(m->img);
	free(m->undo);
	free(m->undo_off);
	m->img = m->undo = NULL;
	m->undo_off = NULL;
}

void memdev_io(struct memdev *m, struct sb_io *io)
{
	io->read = mem_read;
	io->write = mem_write;
	io->sync = mem_sync;
	io->ctx = m;
	io->size = m->size;
}

void memdev_format(struct memdev *m, struct spaceblock *sb, unsigned bs, uint32_t blocks)
{
	struct sb_io io;
	char why[SB_WHY];
	struct sb_init in = { .block_size = bs, .total_blocks = blocks, .tenant_id = 7, .epoch = 9 };
	memdev_init(m, (size_t)blocks * bs);
	memdev_io(m, &io);
	if (sb_format(&io, &in, why, sizeof(why)))
		test_fail(__FILE__, __LINE__, "format: %s", why);
	memdev_open(m, sb);
}

void memdev_open(struct memdev *m, struct spaceblock *sb)
{
	struct sb_io io;
	memdev_io(m, &io);
	if (sb_open(sb, &io))
		test_fail(__FILE__, __LINE__, "open: %s", sb->why);
}
