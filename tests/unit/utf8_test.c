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

TEST(utf8_printable_defuses_terminal_escapes)
{
	char out[64];
	/* an escape sequence that would clear the screen, a bell, DEL, a C1
	 * CSI (U+009B, two bytes in UTF-8), a lone continuation byte, and a
	 * backslash, which would otherwise make the escapes ambiguous */
	static const char evil[] = "a\x1b[2Jb\x07\x7f\xc2\x9b" "c\x80\\d";
	CHECK_STR(utf8_printable(evil, sizeof(evil) - 1, out, sizeof(out)),
		  "a\\x1b[2Jb\\x07\\x7f\\xc2\\x9bc\\x80\\x5cd");
	/* text in any script stays as it is */
	CHECK_STR(utf8_printable("Données 日本 🙂", strlen("Données 日本 🙂"), out, sizeof(out)),
		  "Données 日本 🙂");
	/* a NUL inside the bytes is shown, not a string end */
	CHECK_STR(utf8_printable("x\0y", 3, out, sizeof(out)), "x\\x00y");
	/* too long: cut at a character boundary, never inside an escape or a
	 * multi-byte character */
	char small[12];
	CHECK_STR(utf8_printable("abcdefgh\x1bz", 10, small, sizeof(small)), "abcdefgh...");
	CHECK_STR(utf8_printable("abcdef日本", strlen("abcdef日本"), small, sizeof(small)),
		  "abcdef...");
	CHECK_STR(utf8_printable("abcd\x01", 5, small, sizeof(small)), "abcd\\x01");
	CHECK_STR(utf8_printable("", 0, small, sizeof(small)), "");
	CHECK_STR(utf8_printable("abcdefghijk", 11, small, sizeof(small)), "abcdefghijk");
	CHECK_STR(utf8_printable("abcdefghijkl", 12, small, sizeof(small)), "abcdefgh...");
}
