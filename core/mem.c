/* mem.c - large buffers in huge pages. */
#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

enum { MEM_HUGE = 2 << 20 };

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define MEM_ASAN 1
#endif

#ifdef MEM_ASAN
/* Under AddressSanitizer the heap's red zones catch what runs off the end. */
void *mem_big_alloc(size_t len, size_t *mapped)
{
	*mapped = len;
	return len ? calloc(1, len) : NULL;
}

void mem_big_free(void *p, size_t mapped)
{
	(void)mapped;
	free(p);
}
#else
void *mem_big_alloc(size_t len, size_t *mapped)
{
	size_t body = (len + MEM_HUGE - 1) / MEM_HUGE * MEM_HUGE;
	if (!len || body < len || body + MEM_HUGE < body)
		return NULL;
	uint8_t *m = mmap(NULL, body + MEM_HUGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	/* a huge page needs a 2 MiB-aligned start: the ends are given back */
	uint8_t *at = (uint8_t *)(((uintptr_t)m + MEM_HUGE - 1) & ~(uintptr_t)(MEM_HUGE - 1));
	if (at > m)
		munmap(m, (size_t)(at - m));
	if (m + body + MEM_HUGE > at + body)
		munmap(at + body, (size_t)(m + body + MEM_HUGE - (at + body)));
#ifdef MADV_HUGEPAGE
	madvise(at, body, MADV_HUGEPAGE);
#endif
	*mapped = body;
	return at;
}

void mem_big_free(void *p, size_t mapped)
{
	if (p)
		munmap(p, mapped);
}
#endif
