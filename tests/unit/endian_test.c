/* Byte order helpers: bytes on one side, integers on the other. */
#include "checked.h"
#include "endian.h"
#include "test.h"

TEST(endian_bytes)
{
	const uint8_t b[8] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x88 };
	CHECK_EQ(get_le16(b), 0x0201);
	CHECK_EQ(get_be16(b), 0x0102);
	CHECK_EQ(get_le32(b), 0x04030201);
	CHECK_EQ(get_be32(b), 0x01020304);
	CHECK_EQ(get_le64(b), 0x8807060504030201ull);
	CHECK_EQ(get_be64(b), 0x0102030405060788ull);
	/* unaligned source, and the round trip through put_* */
	uint8_t buf[9] = { 0 }, out[9];
	put_be64(buf + 1, 0x1122334455667788ull);
	CHECK_EQ(buf[1], 0x11);
	CHECK_EQ(buf[8], 0x88);
	CHECK_EQ(get_be64(buf + 1), 0x1122334455667788ull);
	put_le64(out + 1, 0x1122334455667788ull);
	CHECK_EQ(out[1], 0x88);
	CHECK_EQ(get_le64(out + 1), 0x1122334455667788ull);
	put_le32(out, 0xdeadbeef);
	CHECK_EQ(out[0], 0xef);
	put_be32(out, 0xdeadbeef);
	CHECK_EQ(out[0], 0xde);
	put_le16(out, 0xabcd);
	CHECK_EQ(out[0], 0xcd);
	put_be16(out, 0xabcd);
	CHECK_EQ(out[0], 0xab);
}

TEST(checked_arithmetic)
{
	uint64_t r;
	CHECK(!add_overflow_u64(1, 2, &r) && r == 3);
	CHECK(add_overflow_u64(UINT64_MAX, 1, &r));
	CHECK(mul_overflow_u64(1ull << 32, 1ull << 32, &r));
	CHECK(!mul_overflow_u64(1ull << 31, 1ull << 32, &r) && r == 1ull << 63);
	CHECK(sub_overflow_u64(1, 2, &r));
	CHECK(!round_up_u64(4097, 4096, &r) && r == 8192);
	CHECK(!round_up_u64(8192, 4096, &r) && r == 8192);
	CHECK(!round_up_u64(10, 3, &r) && r == 12);
	CHECK(round_up_u64(UINT64_MAX - 1, 4096, &r));
}
