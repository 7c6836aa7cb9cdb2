/* mkswap.h - a Linux swap area (version 1, "SWAPSPACE2"), planned then
 * written.
 *
 * mkswap_plan() computes the first page of the area (the header: version,
 * last page, the empty bad-page list, UUID, label, and the signature in
 * its last 10 bytes) and touches nothing. mkswap_apply() writes that page
 * without the signature, flushes, and only then writes the signature and
 * flushes again: an interrupted run leaves no area that swapon would take.
 *
 * Integers in the header are in the host's byte order, because the
 * kernel reads them so (and rejects a swapped header as a foreign one).
 */
#ifndef BB_MKSWAP_H
#define BB_MKSWAP_H

#include "uuid.h"

#include <stdint.h>

#define MKSWAP_MIN_PAGES 10      /* util-linux's minimum area, in pages */
#define MKSWAP_LABEL_MAX 15      /* bytes; the 16-byte field keeps a NUL */
#define MKSWAP_SIG "SWAPSPACE2"
#define MKSWAP_SIG_LEN 10

struct bb_error;

struct mkswap_params {
	uint64_t size;      /* bytes available for the area */
	unsigned pagesize;  /* 0: the system's page size */
	const char *label;  /* NULL or "": none */
	struct uuid uuid;
};

struct mkswap_plan {
	unsigned pagesize;
	uint64_t pages;     /* pages in the area, the header page included */
	uint32_t last_page; /* pages - 1, as util-linux writes it */
	uint8_t *page;      /* pagesize bytes: the first page, signature included */
};

/* Plan the area: the size in whole pages (capped at 2^32 pages, the most
 * the header can describe), refused below MKSWAP_MIN_PAGES with the
 * minimum stated; a label longer than MKSWAP_LABEL_MAX bytes and a page
 * size that is not a power of two from 4096 to 65536 are refused too.
 * 0, or -1 with e filled. mkswap_plan_free() it after a success. */
int mkswap_plan(const struct mkswap_params *p, struct mkswap_plan *out, struct bb_error *e);
void mkswap_plan_free(struct mkswap_plan *p);

/* Bytes of swap space the plan gives (every page but the header). */
uint64_t mkswap_usable_bytes(const struct mkswap_plan *p);

/* Write the plan at byte offset off of fd: header page without the
 * signature, fsync, signature, fsync. 0, or -1 with e filled. */
int mkswap_apply(const struct mkswap_plan *p, int fd, uint64_t off, struct bb_error *e);

#endif
