#include "size.h"
#include "test.h"

static uint64_t ok(const char *s, uint64_t pct_of)
{
	uint64_t v = 0;
	const char *why = NULL;
	if (parse_size(s, pct_of, &v, &why))
		test_fail(__FILE__, __LINE__, "parse_size(\"%s\") failed: %s", s, why);
	return v;
}

static const char *bad(const char *s, uint64_t pct_of)
{
	uint64_t v = 0;
	const char *why = NULL;
	if (!parse_size(s, pct_of, &v, &why))
		test_fail(__FILE__, __LINE__, "parse_size(\"%s\") accepted: %llu", s,
			  (unsigned long long)v);
	return why;
}

TEST(size_units)
{
	CHECK_EQ(ok("0", 0), 0);
	CHECK_EQ(ok("4096", 0), 4096);
	CHECK_EQ(ok("4096B", 0), 4096);
	CHECK_EQ(ok("512K", 0), 512 * 1024);
	CHECK_EQ(ok("512KiB", 0), 512 * 1024);
	CHECK_EQ(ok("512M", 0), 512ull << 20);
	CHECK_EQ(ok("10G", 0), 10ull << 30);
	CHECK_EQ(ok("10g", 0), 10ull << 30);
	CHECK_EQ(ok("1.5G", 0), 3ull << 29);
	CHECK_EQ(ok("0.5K", 0), 512);
	CHECK_EQ(ok("2T", 0), 2ull << 40);
	CHECK_EQ(ok("15E", 0), 15ull << 60);
	CHECK_EQ(ok("18446744073709551615", 0), UINT64_MAX);
}

TEST(size_percent)
{
	CHECK_EQ(ok("100%", 1000), 1000);
	CHECK_EQ(ok("50%", 1001), 500);
	CHECK_EQ(ok("12.5%", 800), 100);
	CHECK_STR(bad("50%", 0), "a percentage is not allowed here");
	CHECK_STR(bad("101%", 100), "more than 100%");
}

TEST(size_rejects)
{
	CHECK_STR(bad("16E", 0), "too large");
	CHECK_STR(bad("18446744073709551616", 0), "too large");
	CHECK_STR(bad("99999999999999999999999", 0), "too large");
	CHECK_STR(bad("0.1K", 0), "not a whole number of bytes");
	CHECK_STR(bad("1.5B", 0), "not a whole number of bytes");
	CHECK(bad("", 0));
	CHECK(bad("-1", 0));
	CHECK(bad("1.", 0));
	CHECK(bad(".5G", 0));
	CHECK(bad("10 G", 0));
	CHECK(bad("10GB5", 0));
	CHECK(bad("10X", 0));
}

TEST(size_format)
{
	char b[32];
	CHECK_STR(fmt_size(0, b, sizeof(b)), "0 B");
	CHECK_STR(fmt_size(512, b, sizeof(b)), "512 B");
	CHECK_STR(fmt_size(1536, b, sizeof(b)), "1.50 KiB");
	CHECK_STR(fmt_size(100ull << 20, b, sizeof(b)), "100 MiB");
	CHECK_STR(fmt_size(UINT64_MAX, b, sizeof(b)), "16.0 EiB");
}
