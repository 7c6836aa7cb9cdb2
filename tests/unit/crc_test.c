/* CRC-32 and CRC-32C: published check values, and the hardware path
 * against the portable one on every length and alignment that matters. */
#include "crc.h"
#include "test.h"

static const char check[] = "123456789";

TEST(crc32_ieee_check_value)
{
	/* The CRC catalogue's check value for CRC-32/ISO-HDLC. */
	CHECK_EQ(crc32_ieee(0, check, 9), 0xCBF43926);
	CHECK_EQ(crc32_ieee_sw(0, check, 9), 0xCBF43926);
	CHECK_EQ(crc32_ieee(0, "", 0), 0);
}

TEST(crc32c_check_value)
{
	/* CRC-32/ISCSI check value, and RFC 3720's 32 zero bytes vector. */
	CHECK_EQ(crc32c(0, check, 9), 0xE3069283);
	CHECK_EQ(crc32c_sw(0, check, 9), 0xE3069283);
	unsigned char zeros[32] = { 0 };
	CHECK_EQ(crc32c(0, zeros, 32), 0x8A9136AA);
	unsigned char ones[32];
	memset(ones, 0xff, sizeof(ones));
	CHECK_EQ(crc32c(0, ones, 32), 0x62A8AB43);
}

TEST(crc_chaining_equals_one_pass)
{
	unsigned char buf[5000];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 131 + 7);
	for (size_t cut = 0; cut <= sizeof(buf); cut += 317) {
		CHECK_EQ(crc32c(crc32c(0, buf, cut), buf + cut, sizeof(buf) - cut),
			 crc32c(0, buf, sizeof(buf)));
		CHECK_EQ(crc32_ieee(crc32_ieee(0, buf, cut), buf + cut, sizeof(buf) - cut),
			 crc32_ieee(0, buf, sizeof(buf)));
	}
}

TEST(crc_hw_matches_sw)
{
	if (!crc_hw_available())
		test_skip("no PCLMULQDQ/SSE4.2 on this CPU");
	size_t n = 4096 + 64;
	unsigned char *buf = malloc(n);
	uint32_t x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		buf[i] = (unsigned char)(x >> 16);
	}
	/* every length across the fold thresholds, at every misalignment */
	for (size_t len = 0; len <= 1100; len++)
		for (size_t off = 0; off < 16; off += 3) {
			CHECK_EQ(crc32_ieee_hw(0xdeadbeef, buf + off, len),
				 crc32_ieee_sw(0xdeadbeef, buf + off, len));
			CHECK_EQ(crc32c_hw(0xdeadbeef, buf + off, len),
				 crc32c_sw(0xdeadbeef, buf + off, len));
		}
	CHECK_EQ(crc32c_hw(0, buf, 4096), crc32c_sw(0, buf, 4096));
	CHECK_EQ(crc32_ieee_hw(0, buf, 4096), crc32_ieee_sw(0, buf, 4096));
	free(buf);
}
