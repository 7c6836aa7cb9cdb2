/* gpt_names.c - GUID text and byte order, type and attribute names,
 * UTF-16LE partition names. Expected bytes come from the UEFI
 * specification and the Unicode standard, not from core/gpt.c. */
#include "gpt.h"
#include "test.h"

TEST(gpt_guid_byte_order)
{
	/* The EFI System Partition type as the UEFI spec lays it out on disk:
	 * time_low, time_mid, time_hi little-endian, the rest as is. */
	static const uint8_t esp_disk[16] = { 0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11,
					      0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B };
	struct gpt_guid g;
	char s[GPT_GUID_STR];
	CHECK(gpt_guid_parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", &g) == 0);
	CHECK(!memcmp(g.b, esp_disk, 16));
	CHECK_STR(gpt_guid_fmt(&g, s), "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
	CHECK(gpt_guid_parse("c12a7328-f81f-11d2-ba4b-00a0c93ec93b", &g) == 0);
	CHECK(!memcmp(g.b, esp_disk, 16));
}

TEST(gpt_guid_rejects_malformed)
{
	struct gpt_guid g;
	CHECK(gpt_guid_parse("", &g) < 0);
	CHECK(gpt_guid_parse("C12A7328F81F11D2BA4B00A0C93EC93B", &g) < 0);
	CHECK(gpt_guid_parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93", &g) < 0);
	CHECK(gpt_guid_parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93BB", &g) < 0);
	CHECK(gpt_guid_parse("C12A7328-F81F-11D2-BA4B_00A0C93EC93B", &g) < 0);
	CHECK(gpt_guid_parse("G12A7328-F81F-11D2-BA4B-00A0C93EC93B", &g) < 0);
	CHECK(gpt_guid_parse("C12A7328-F81F-11D2-BA4B-00A0C93EC9\0003B", &g) < 0);
}

TEST(gpt_guid_random_is_v4_and_differs)
{
	struct gpt_guid a, b;
	char s[GPT_GUID_STR];
	CHECK(gpt_guid_random(&a) == 0 && gpt_guid_random(&b) == 0);
	CHECK(!gpt_guid_eq(&a, &b));
	gpt_guid_fmt(&a, s);
	CHECK(s[14] == '4');                     /* version nibble */
	CHECK(strchr("89AB", s[19]) != NULL);    /* RFC 4122 variant */
}

TEST(gpt_types_by_name)
{
	struct gpt_guid g;
	char s[GPT_GUID_STR];
	CHECK(gpt_type_parse("linux", &g) == 0);
	CHECK_STR(gpt_guid_fmt(&g, s), "0FC63DAF-8483-4772-8E79-3D69D8477DE4");
	CHECK(gpt_type_parse("ESP", &g) == 0);
	CHECK_STR(gpt_type_name(&g), "esp");
	CHECK(gpt_type_parse("bios_boot", &g) == 0);
	CHECK_STR(gpt_guid_fmt(&g, s), "21686148-6449-6E6F-744E-656564454649");
	CHECK(gpt_type_parse("A19D880F-05FC-4D3B-A006-743F0F84911E", &g) == 0);
	CHECK_STR(gpt_type_name(&g), "linux_raid");
	CHECK(gpt_type_parse("01234567-89AB-CDEF-0123-456789ABCDEF", &g) == 0);
	CHECK(gpt_type_name(&g) == NULL);
	CHECK(gpt_type_parse("ext4", &g) < 0);
	/* every name in the table maps back to itself, and no GUID twice */
	for (size_t i = 0; i < gpt_type_count; i++) {
		CHECK(gpt_type_parse(gpt_types[i].name, &g) == 0);
		CHECK_STR(gpt_type_name(&g), gpt_types[i].name);
	}
}

TEST(gpt_attrs_parse)
{
	uint64_t m;
	const char *why;
	CHECK(gpt_attr_parse("legacy_boot", &m, &why) == 0);
	CHECK_EQ(m, 4);
	CHECK(gpt_attr_parse("required,no_block_io, 60 63", &m, &why) == 0);
	CHECK_EQ(m, 3ull | 1ull << 60 | 1ull << 63);
	CHECK(gpt_attr_parse("RequiredPartition LegacyBIOSBootable GUID:60", &m, &why) == 0);
	CHECK_EQ(m, 5ull | 1ull << 60);
	CHECK(gpt_attr_parse("read_only,hidden,no_automount,growfs", &m, &why) == 0);
	CHECK_EQ(m, 1ull << 60 | 1ull << 62 | 1ull << 63 | 1ull << 59);
	CHECK(gpt_attr_parse("0x8000000000000004", &m, &why) == 0);
	CHECK_EQ(m, 1ull << 63 | 4);
	CHECK(gpt_attr_parse("", &m, &why) == 0);
	CHECK_EQ(m, 0);
	CHECK(gpt_attr_parse("64", &m, &why) < 0);
	CHECK(gpt_attr_parse("bootable", &m, &why) < 0);
	CHECK(gpt_attr_parse("-1", &m, &why) < 0);
	CHECK(gpt_attr_parse("0x", &m, &why) < 0);
	CHECK_STR(gpt_attr_name(2), "legacy_boot");
	CHECK(gpt_attr_name(5) == NULL);
}

static void units_eq(const uint16_t *got, const uint16_t *want, size_t n)
{
	for (size_t i = 0; i < GPT_NAME_UNITS; i++)
		CHECK_EQ(got[i], i < n ? want[i] : 0);
}

TEST(gpt_name_utf16)
{
	uint16_t u[GPT_NAME_UNITS];
	const char *why;
	char back[GPT_NAME_UTF8_MAX];
	/* U+00E9, U+20AC, U+1F600 = D83D DE00 in UTF-16 (Unicode 3.9) */
	static const uint16_t want[] = { 'a', 0x00E9, 0x20AC, 0xD83D, 0xDE00, 'z' };
	CHECK(gpt_name_from_utf8("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z", u, &why) == 0);
	units_eq(u, want, 6);
	CHECK_EQ(gpt_name_to_utf8(u, back), 11);
	CHECK_STR(back, "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z");
	CHECK(gpt_name_from_utf8("", u, &why) == 0);
	units_eq(u, want, 0);
	CHECK_EQ(gpt_name_to_utf8(u, back), 0);
}

TEST(gpt_name_limit_36_units)
{
	uint16_t u[GPT_NAME_UNITS];
	const char *why;
	char s[200], back[GPT_NAME_UTF8_MAX];
	memset(s, 'x', 36);
	s[36] = 0;
	CHECK(gpt_name_from_utf8(s, u, &why) == 0);
	CHECK_EQ(gpt_name_to_utf8(u, back), 36); /* no terminating unit needed */
	s[36] = 'x', s[37] = 0;
	CHECK(gpt_name_from_utf8(s, u, &why) < 0);
	CHECK(strstr(why, "36") != NULL);
	/* 18 characters past U+FFFF fill 36 units exactly; a 19th does not fit */
	s[0] = 0;
	for (int i = 0; i < 18; i++)
		strcat(s, "\xF0\x9F\x98\x80");
	CHECK(gpt_name_from_utf8(s, u, &why) == 0);
	CHECK_EQ(gpt_name_to_utf8(u, back), 72);
	CHECK_STR(back, s);
	/* 35 units then a pair: 37 */
	memset(s, 'y', 35);
	strcpy(s + 35, "\xF0\x9F\x98\x80");
	CHECK(gpt_name_from_utf8(s, u, &why) < 0);
}

TEST(gpt_name_rejects_bad_utf8)
{
	uint16_t u[GPT_NAME_UNITS];
	const char *why;
	CHECK(gpt_name_from_utf8("\xC0\x80", u, &why) < 0);         /* overlong NUL */
	CHECK(gpt_name_from_utf8("\xE0\x80\xAF", u, &why) < 0);     /* overlong '/' */
	CHECK(gpt_name_from_utf8("\xED\xA0\x80", u, &why) < 0);     /* a surrogate */
	CHECK(gpt_name_from_utf8("\xF4\x90\x80\x80", u, &why) < 0); /* past U+10FFFF */
	CHECK(gpt_name_from_utf8("\xF8\x88\x80\x80\x80", u, &why) < 0);
	CHECK(gpt_name_from_utf8("ab\xC3", u, &why) < 0);           /* cut short */
	CHECK(gpt_name_from_utf8("\x80", u, &why) < 0);
	CHECK(strstr(why, "UTF-8") != NULL);
}

TEST(gpt_name_lone_surrogates_become_fffd)
{
	uint16_t u[GPT_NAME_UNITS] = { 'a', 0xD83D, 'b', 0xDE00, 0 };
	char back[GPT_NAME_UTF8_MAX];
	gpt_name_to_utf8(u, back);
	CHECK_STR(back, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
	/* a high surrogate in the last unit has no partner */
	uint16_t v[GPT_NAME_UNITS];
	for (int i = 0; i < GPT_NAME_UNITS; i++)
		v[i] = 'q';
	v[GPT_NAME_UNITS - 1] = 0xD800;
	CHECK_EQ(gpt_name_to_utf8(v, back), 35 + 3);
}
