#include "clock.h"
#include "error.h"
#include "gpt.h"
#include "test.h"
#include "uuid.h"

#include <time.h>

TEST(uuid_parse_format)
{
	struct uuid u;
	char s[UUID_STR];
	CHECK(uuid_parse("00112233-4455-6677-8899-AABBCCDDEEFF", &u, NULL) == 0);
	CHECK(u.b[0] == 0x00 && u.b[1] == 0x11 && u.b[6] == 0x66 && u.b[15] == 0xff);
	CHECK_STR(uuid_fmt(&u, s), "00112233-4455-6677-8899-aabbccddeeff");
	CHECK_STR(uuid_fmt_upper(&u, s), "00112233-4455-6677-8899-AABBCCDDEEFF");
	CHECK(uuid_parse("{00112233-4455-6677-8899-aabbccddeeff}", &u, NULL) == 0);
	CHECK_STR(uuid_fmt(&u, s), "00112233-4455-6677-8899-aabbccddeeff");
	struct bb_error e;
	static const char *const bad[] = {
		"", "00112233445566778899aabbccddeeff", "00112233-4455-6677-8899-aabbccddeef",
		"00112233-4455-6677-8899-aabbccddeeff0", "00112233-4455-6677-8899_aabbccddeeff",
		"0011223-34455-6677-8899-aabbccddeeff", "g0112233-4455-6677-8899-aabbccddeeff",
		"{00112233-4455-6677-8899-aabbccddeeff", "00112233-4455-6677-8899-aabbccddeeff}",
		"{00112233-4455-6677-8899-aabbccddeeff}x", " 00112233-4455-6677-8899-aabbccddeeff",
		"+0112233-4455-6677-8899-aabbccddeeff", "ABCD-1234",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&u, 0x5a, sizeof(u));
		if (!uuid_parse(bad[i], &u, &e))
			test_fail(__FILE__, __LINE__, "accepted '%s'", bad[i]);
		CHECK(u.b[0] == 0x5a); /* untouched */
	}
	CHECK(strstr(e.msg, "is not a UUID"));
}

/* libuuid's reading of the same text (python's uuid module agrees) */
TEST(uuid_agrees_with_python)
{
	FILE *f = popen("python3 -c 'import uuid; print(uuid.UUID(\"{12345678-9ABC-DEF0-1234-56789abcdef0}\").bytes.hex())'", "r");
	char line[64] = "";
	if (!f || !fgets(line, sizeof(line), f))
		test_skip("no python3");
	pclose(f);
	struct uuid u;
	char hexs[33];
	CHECK(uuid_parse("{12345678-9ABC-DEF0-1234-56789abcdef0}", &u, NULL) == 0);
	for (int i = 0; i < 16; i++)
		snprintf(hexs + 2 * i, 3, "%02x", u.b[i]);
	line[strcspn(line, "\n")] = 0;
	CHECK_STR(hexs, line);
}

TEST(uuid_random_is_v4)
{
	struct uuid a, b;
	char s[UUID_STR];
	CHECK(uuid_random(&a, NULL) == 0 && uuid_random(&b, NULL) == 0);
	CHECK(!uuid_eq(&a, &b) && !uuid_is_zero(&a));
	CHECK_EQ(uuid_version(&a), 4);
	CHECK((a.b[8] & 0xC0) == 0x80);
	uuid_fmt(&a, s);
	CHECK(s[14] == '4' && strchr("89ab", s[19]));
}

/* RFC 9562 appendix B.2: name-based version 8 with SHA-256, namespace DNS,
 * name "www.example.com". */
TEST(uuid_derive_rfc9562_vector)
{
	struct uuid ns, u, again, other;
	char s[UUID_STR];
	CHECK(uuid_parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8", &ns, NULL) == 0);
	uuid_derive(&u, &ns, "www.example.com", 15);
	CHECK_STR(uuid_fmt(&u, s), "5c146b14-3c52-8afd-938a-375d0df1fbf6");
	uuid_derive(&again, NULL, "sysvol/disk1/mosdata", 20);
	uuid_derive(&u, NULL, "sysvol/disk1/mosdata", 20);
	uuid_derive(&other, NULL, "sysvol/disk1/mosboot", 20);
	CHECK(uuid_eq(&u, &again) && !uuid_eq(&u, &other));
	CHECK_EQ(uuid_version(&u), 8);
}

TEST(uuid_gpt_guid_keeps_mixed_endian)
{
	/* The ESP type GUID: on disk 28 73 2A C1 1F F8 D2 11 BA 4B ... */
	struct gpt_guid g;
	CHECK(gpt_guid_parse("{C12A7328-F81F-11D2-BA4B-00A0C93EC93B}", &g) == 0);
	CHECK(g.b[0] == 0x28 && g.b[3] == 0xC1 && g.b[4] == 0x1F && g.b[6] == 0xD2 && g.b[8] == 0xBA);
	CHECK(gpt_guid_random(&g) == 0);
	CHECK((g.b[7] >> 4) == 4 && (g.b[8] & 0xC0) == 0x80);
}

TEST(clock_monotonic_moves)
{
	uint64_t a = clock_ns();
	struct timespec ts = { 0, 2000000 };
	nanosleep(&ts, NULL);
	uint64_t b = clock_ns();
	CHECK(b >= a + 2000000 && b - a < 10ull * 1000000000);
	CHECK(clock_wall_ns() > 1600000000ull * 1000000000); /* after 2020 */
}
