/* Strict UTF-8: every length boundary both ways, and the forms the
 * Unicode standard (table 3-7) rules out. */
#include "test.h"
#include "utf8.h"

TEST(utf8_boundaries_round_trip)
{
	static const uint32_t cps[] = { 0, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000,
					0xFFFD, 0xFFFF, 0x10000, 0x10FFFF };
	static const size_t lens[] = { 1, 1, 2, 2, 3, 3, 3, 3, 3, 4, 4 };
	for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
		char b[4];
		uint32_t back = 0xFFFFFFFF;
		CHECK_EQ(utf8_encode(b, cps[i]), lens[i]);
		CHECK_EQ(utf8_decode((const unsigned char *)b, lens[i], &back), lens[i]);
		CHECK_EQ(back, cps[i]);
		/* the same bytes cut short are invalid */
		if (lens[i] > 1)
			CHECK_EQ(utf8_decode((const unsigned char *)b, lens[i] - 1, &back), 0);
	}
	unsigned char euro[] = { 0xE2, 0x82, 0xAC };
	uint32_t cp;
	CHECK_EQ(utf8_decode(euro, 3, &cp), 3);
	CHECK_EQ(cp, 0x20AC);
}

TEST(utf8_rejects)
{
	static const struct {
		unsigned char b[4];
		size_t n;
	} bad[] = {
		{ { 0x80 }, 1 },                   /* a continuation byte alone */
		{ { 0xC0, 0xAF }, 2 },             /* overlong '/' */
		{ { 0xC1, 0xBF }, 2 },             /* overlong */
		{ { 0xE0, 0x80, 0xAF }, 3 },       /* overlong */
		{ { 0xF0, 0x80, 0x80, 0xAF }, 4 }, /* overlong */
		{ { 0xED, 0xA0, 0x80 }, 3 },       /* U+D800, a surrogate */
		{ { 0xED, 0xBF, 0xBF }, 3 },       /* U+DFFF */
		{ { 0xF4, 0x90, 0x80, 0x80 }, 4 }, /* U+110000 */
		{ { 0xF5, 0x80, 0x80, 0x80 }, 4 },
		{ { 0xF8, 0x88, 0x80, 0x80 }, 4 }, /* five-byte form */
		{ { 0xFF }, 1 },
		{ { 0xC3, 0x28 }, 2 },             /* second byte not a continuation */
		{ { 0xE2, 0x82, 0x00 }, 3 },       /* NUL inside */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t cp;
		printf("case %zu\n", i);
		CHECK_EQ(utf8_decode(bad[i].b, bad[i].n, &cp), 0);
	}
}
