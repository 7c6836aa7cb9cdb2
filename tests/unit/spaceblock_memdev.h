/* spaceblock_memdev.h - a disk in memory for the spaceblock tests, which
 * can lose power: after `budget` sector writes the next one lands only
 * its first `tear` bytes and every later write fails, as after a cut.
 * With `lose_unsynced`, the cut also undoes every earlier sector written
 * since the last sync, as a volatile write cache that had not yet written
 * them back would: only a sync orders writes. */
#ifndef SPACEBLOCK_MEMDEV_H
#define SPACEBLOCK_MEMDEV_H

#include "../../applets/spaceblock/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEMDEV_SECTOR 512

struct memdev {
	uint8_t *img;
	size_t size;
	long budget;   /* sector writes left before the cut; -1: never */
	size_t tear;   /* bytes of the cut sector that still land */
	bool lose_unsynced;
	bool cut;
	uint8_t *undo; /* old contents of the sectors written since the last sync */
	uint64_t *undo_off;
	size_t nundo, undo_cap;
	unsigned long writes, syncs;
};

void memdev_init(struct memdev *m, size_t size);
void memdev_copy(struct memdev *dst, const struct memdev *src); /* same bytes, no cut */
void memdev_free(struct memdev *m);
void memdev_io(struct memdev *m, struct sb_io *io);

/* Format blocks*bs bytes of m and open a store on it; fails the test on error. */
void memdev_format(struct memdev *m, struct spaceblock *sb, unsigned bs, uint32_t blocks);
/* Open a store on m; fails the test on error. */
void memdev_open(struct memdev *m, struct spaceblock *sb);

#endif
