/* mkswap.c - the version 1 swap header, planned in memory, written with
 * its signature last.
 *
 * Layout of the first page (the kernel's union swap_header): 1024 bytes
 * left for boot code, then version, last_page, nr_badpages (32 bits each),
 * the UUID (16 bytes), the label (16 bytes), padding, the bad-page list,
 * and "SWAPSPACE2" in the last 10 bytes of the page.
 */
#include "mkswap.h"
#include "endian.h"
#include "error.h"
#include "io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	OFF_VERSION = 1024,
	OFF_LAST_PAGE = 1028,
	OFF_NR_BADPAGES = 1032,
	OFF_UUID = 1036,
	OFF_LABEL = 1052,
};

/* The kernel reads the header in its own byte order. */
static void put_native32(uint8_t *p, uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	put_be32(p, v);
#else
	put_le32(p, v);
#endif
}

static int check_pagesize(unsigned ps, struct bb_error *e)
{
	if (ps < 4096 || ps > 65536 || (ps & (ps - 1)))
		return bb_error_set(e, EINVAL,
				    "page size %u: must be a power of two from 4096 to 65536", ps);
	return 0;
}

int mkswap_plan(const struct mkswap_params *p, struct mkswap_plan *out, struct bb_error *e)
{
	memset(out, 0, sizeof(*out));
	unsigned ps = p->pagesize;
	if (!ps) {
		long sys = sysconf(_SC_PAGESIZE);
		ps = sys > 0 ? (unsigned)sys : 4096;
	}
	if (check_pagesize(ps, e))
		return -1;
	size_t llen = p->label ? strlen(p->label) : 0;
	if (llen > MKSWAP_LABEL_MAX)
		return bb_error_set(e, EINVAL, "label '%s' is %zu bytes long; at most %d fit",
				    p->label, llen, MKSWAP_LABEL_MAX);
	uint64_t pages = p->size / ps;
	if (pages < MKSWAP_MIN_PAGES)
		return bb_error_set(e, ENOSPC,
				    "%llu bytes is too small for a swap area: at least %u bytes "
				    "(%d pages of %u bytes) are needed",
				    (unsigned long long)p->size, MKSWAP_MIN_PAGES * ps,
				    MKSWAP_MIN_PAGES, ps);
	/* last_page is 32 bits: the rest of a larger area stays unused, as
	 * util-linux truncates it too. */
	if (pages > (uint64_t)UINT32_MAX + 1)
		pages = (uint64_t)UINT32_MAX + 1;
	uint8_t *page = calloc(1, ps);
	if (!page)
		return bb_error_errno(e, "swap header");
	put_native32(page + OFF_VERSION, 1);
	put_native32(page + OFF_LAST_PAGE, (uint32_t)(pages - 1));
	put_native32(page + OFF_NR_BADPAGES, 0);
	memcpy(page + OFF_UUID, p->uuid.b, 16);
	if (llen)
		memcpy(page + OFF_LABEL, p->label, llen);
	memcpy(page + ps - MKSWAP_SIG_LEN, MKSWAP_SIG, MKSWAP_SIG_LEN);
	out->pagesize = ps;
	out->pages = pages;
	out->last_page = (uint32_t)(pages - 1);
	out->page = page;
	return 0;
}

void mkswap_plan_free(struct mkswap_plan *p)
{
	free(p->page);
	p->page = NULL;
}

uint64_t mkswap_usable_bytes(const struct mkswap_plan *p)
{
	return (p->pages - 1) * p->pagesize;
}

int mkswap_apply(const struct mkswap_plan *p, int fd, uint64_t off, struct bb_error *e)
{
	/* The whole page first, with the signature's place zeroed: an old
	 * signature there must not make a half-written header look valid. */
	size_t body = p->pagesize - MKSWAP_SIG_LEN;
	uint8_t *first = malloc(p->pagesize);
	if (!first)
		return bb_error_errno(e, "swap header");
	memcpy(first, p->page, body);
	memset(first + body, 0, MKSWAP_SIG_LEN);
	int rc = pwrite_full(fd, first, p->pagesize, off);
	free(first);
	if (rc)
		return bb_error_errno(e, "write the swap header");
	if (fsync(fd))
		return bb_error_errno(e, "flush the swap header");
	if (pwrite_full(fd, p->page + body, MKSWAP_SIG_LEN, off + body))
		return bb_error_errno(e, "write the swap signature");
	if (fsync(fd))
		return bb_error_errno(e, "flush the swap signature");
	return 0;
}
