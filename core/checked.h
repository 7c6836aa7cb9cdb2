/* checked.h - size and offset arithmetic that cannot wrap silently.
 * Each returns true on overflow and leaves *r unspecified then. */
#ifndef BB_CHECKED_H
#define BB_CHECKED_H

#include <stdbool.h>
#include <stdint.h>

static inline bool add_overflow_u64(uint64_t a, uint64_t b, uint64_t *r)
{
	return __builtin_add_overflow(a, b, r);
}
static inline bool mul_overflow_u64(uint64_t a, uint64_t b, uint64_t *r)
{
	return __builtin_mul_overflow(a, b, r);
}
static inline bool sub_overflow_u64(uint64_t a, uint64_t b, uint64_t *r)
{
	return __builtin_sub_overflow(a, b, r);
}

/* Round up to a multiple of align (a power of two or not); true on overflow. */
static inline bool round_up_u64(uint64_t v, uint64_t align, uint64_t *r)
{
	uint64_t rem = v % align;
	if (!rem) {
		*r = v;
		return false;
	}
	return add_overflow_u64(v, align - rem, r);
}

#endif
