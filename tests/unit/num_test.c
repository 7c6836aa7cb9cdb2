#include "error.h"
#include "num.h"
#include "test.h"

#include <errno.h>

static int p(const char *s, uint64_t *v)
{
	return num_u64(s, 0, UINT64_MAX, v, NULL);
}

TEST(num_edges)
{
	uint64_t v = 7;
	CHECK(p("18446744073709551615", &v) == 0 && v == UINT64_MAX);
	CHECK(p("0xffffffffffffffff", &v) == 0 && v == UINT64_MAX);
	CHECK(p("0XFFFFFFFFFFFFFFFF", &v) == 0 && v == UINT64_MAX);
	CHECK(p("0x00000000000000000000001", &v) == 0 && v == 1); /* zeros are no overflow */
	CHECK(p("010", &v) == 0 && v == 10);                      /* never octal */
	CHECK(p("0", &v) == 0 && v == 0);
	CHECK(p("0x0", &v) == 0 && v == 0);
	v = 7;
	static const char *const bad[] = { "18446744073709551616", "0x10000000000000000",
					   "99999999999999999999999", "", "0x", "0X", "-1", "+1",
					   " 1", "1 ", "1\n", "x1", "0x-1", "0b1", "1e3", "1.0",
					   "0xg", "00x1", "1_000", "０" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!p(bad[i], &v))
			test_fail(__FILE__, __LINE__, "accepted '%s' as %llu", bad[i],
				  (unsigned long long)v);
		CHECK(v == 7); /* untouched */
	}
	CHECK(num_u64(NULL, 0, 1, &v, NULL) == -1);
}

TEST(num_ranges_and_messages)
{
	struct bb_error e;
	uint64_t v;
	unsigned u;
	CHECK(num_u64("300", 0, 255, &v, &e) == -1 && e.code == ERANGE);
	CHECK_STR(e.msg, "'300' is out of range (0..255)");
	CHECK(num_u64("12x", 0, 255, &v, &e) == -1 && e.code == EINVAL);
	CHECK_STR(e.msg, "'12x' is not a number");
	CHECK(num_u64("18446744073709551616", 0, UINT64_MAX, &v, &e) == -1 && e.code == ERANGE);
	CHECK(num_u64("0", 1, 9, &v, NULL) == -1);
	CHECK(num_u64("9", 1, 9, &v, NULL) == 0 && v == 9);
	CHECK(num_dec_u64("0x10", 0, 100, &v, &e) == -1 && e.code == EINVAL);
	CHECK(num_dec_u64("16", 0, 100, &v, NULL) == 0 && v == 16);
	CHECK(num_uint("0xf4", 1, 0xffff, &u, NULL) == 0 && u == 0xf4);
	/* always hex: mkfs.fat's volume ids, masks */
	CHECK(num_hex_u64("1234ABcd", 0, UINT32_MAX, &v, NULL) == 0 && v == 0x1234abcd);
	CHECK(num_hex_u64("0x10", 0, UINT32_MAX, &v, NULL) == 0 && v == 16);
	CHECK(num_hex_u64("010", 0, UINT32_MAX, &v, NULL) == 0 && v == 16);
	CHECK(num_hex_u64("100000000", 0, UINT32_MAX, &v, &e) == -1 && e.code == ERANGE);
	CHECK(num_hex_u64("1234-ABCD", 0, UINT32_MAX, &v, &e) == -1 && e.code == EINVAL);
	CHECK(num_hex_u64("", 0, UINT32_MAX, &v, NULL) == -1);
	CHECK(num_uint("65536", 1, 0xffff, &u, NULL) == -1);
}

/* An independent model of the grammar: digits only, in one base, value
 * below 2^64, computed in 128 bits with saturation. */
static int model(const char *s, uint64_t *out)
{
	unsigned base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	if (!*s)
		return -1;
	unsigned __int128 v = 0;
	for (; *s; s++) {
		const char *digits = "0123456789abcdef";
		const char *d = strchr(digits, *s >= 'A' && *s <= 'F' ? *s - 'A' + 'a' : *s);
		if (!*s || !d || (unsigned)(d - digits) >= base)
			return -1;
		v = v * base + (unsigned)(d - digits);
		if (v > ((unsigned __int128)1 << 70))
			v = (unsigned __int128)1 << 70;
	}
	if (v > UINT64_MAX)
		return -2;
	*out = (uint64_t)v;
	return 0;
}

TEST(num_property_random_strings)
{
	static const char alphabet[] = "0123456789abcdefABCDEFxX-+ \t.g";
	srandom(12345);
	for (int i = 0; i < 200000; i++) {
		char s[28];
		int n = (int)(random() % 24);
		for (int k = 0; k < n; k++) /* digits most of the time, to reach the edges */
			s[k] = random() % 4 ? "0123456789"[random() % 10]
					    : alphabet[random() % (sizeof(alphabet) - 1)];
		if (n > 2 && random() % 3 == 0)
			s[0] = '0', s[1] = 'x';
		s[n] = 0;
		uint64_t a = 0, b = 0;
		int ra = p(s, &a), rb = model(s, &b);
		if ((ra == 0) != (rb == 0) || (ra == 0 && a != b))
			test_fail(__FILE__, __LINE__, "'%s': parser %d/%llu, model %d/%llu", s, ra,
				  (unsigned long long)a, rb, (unsigned long long)b);
	}
}

TEST(num_property_round_trip)
{
	srandom(777);
	for (int i = 0; i < 100000; i++) {
		uint64_t v = (uint64_t)random() << 62 ^ (uint64_t)random() << 31 ^ (uint64_t)random();
		v >>= random() % 64;
		char dec[32], hex[32];
		snprintf(dec, sizeof(dec), "%llu", (unsigned long long)v);
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)v);
		uint64_t a, b;
		CHECK(p(dec, &a) == 0 && a == v);
		CHECK(p(hex, &b) == 0 && b == v);
		/* range bounds are inclusive, one past is refused */
		CHECK(num_u64(dec, v, v, &a, NULL) == 0);
		if (v < UINT64_MAX)
			CHECK(num_u64(dec, v + 1, UINT64_MAX, &a, NULL) == -1);
		if (v > 0)
			CHECK(num_u64(dec, 0, v - 1, &a, NULL) == -1);
	}
}
