/* core/mem.h: mem_equal against memcmp, one byte changed at every place
 * of every length to 700 at every misalignment of a word. */
#include "test.h"

#include "mem.h"

TEST(mem_equal_finds_every_byte)
{
	static uint8_t a[800], b[800];
	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = (uint8_t)(i * 131 + 7);
	for (size_t oa = 0; oa < 8; oa++)
		for (size_t len = 0; len <= 700; len++) {
			size_t ob = (oa * 3 + len) % 8;
			memcpy(b + ob, a + oa, len);
			CHECK(mem_equal(a + oa, b + ob, len));
			for (size_t x = 0; x < len; x++) {
				b[ob + x] ^= (uint8_t)(1u << (x % 8));
				if (mem_equal(a + oa, b + ob, len))
					test_fail(__FILE__, __LINE__, "length %zu offset %zu: equal", len, x);
				b[ob + x] = a[oa + x];
			}
		}
}
