/* mem.h - byte ranges compared fast, and large buffers cheap to touch.
 *
 * musl's memcmp goes one byte at a time (about 1 GB/s): where only
 * equality matters over megabytes (a computed shard against the stored
 * one), 64-bit words ORed together over a block let the compiler use
 * vector registers. */
#ifndef BB_MEM_H
#define BB_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* len bytes of zeroed memory, 2 MiB aligned and asked for in huge pages:
 * each fresh 4 KiB page costs a fault (about 18 us on the VMs this was
 * measured on: 30 ms for a few MiB of buffers, a fifth of reading 1 GiB
 * from the page cache), a 2 MiB page one. *mapped: what to give back to
 * mem_big_free. NULL when out of memory. */
void *mem_big_alloc(size_t len, size_t *mapped);
void mem_big_free(void *p, size_t mapped);

static inline bool mem_equal(const void *a, const void *b, size_t len)
{
	const uint8_t *x = a, *y = b;
	size_t i = 0;
	for (; i + 256 <= len; i += 256) {
		uint64_t d = 0;
		for (size_t j = 0; j < 256; j += 8) {
			uint64_t p, q;
			memcpy(&p, x + i + j, 8);
			memcpy(&q, y + i + j, 8);
			d |= p ^ q;
		}
		if (d)
			return false;
	}
	return !memcmp(x + i, y + i, len - i);
}

#endif
