/* modinfo.c - the .modinfo reader on hand-made ELF images. */
#include "endian.h"
#include "modinfo.h"
#include "test.h"

/* A minimal ELF64 relocatable: header, then the section name table and
 * .modinfo, then three section headers (null, .shstrtab, .modinfo). */
struct img {
	unsigned char b[1024];
	size_t len;
};

static const char names[] = "\0.shstrtab\0.modinfo";
enum { NAMES_OFF = 64, INFO_OFF = 128, SH_OFF = 512 };

static void put16(unsigned char *p, uint16_t v, bool be) { be ? put_be16(p, v) : put_le16(p, v); }
static void put32(unsigned char *p, uint32_t v, bool be) { be ? put_be32(p, v) : put_le32(p, v); }
static void put64(unsigned char *p, uint64_t v, bool be) { be ? put_be64(p, v) : put_le64(p, v); }

static void shdr(struct img *m, int i, uint32_t name, uint64_t off, uint64_t size, bool be)
{
	unsigned char *s = m->b + SH_OFF + i * 64;
	put32(s, name, be);
	put32(s + 4, 1 /* PROGBITS */, be);
	put64(s + 24, off, be);
	put64(s + 32, size, be);
}

static void make(struct img *m, const char *info, size_t info_len, bool be)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->b, "\177ELF", 4);
	m->b[4] = 2;
	m->b[5] = be ? 2 : 1;
	m->b[6] = 1;
	put64(m->b + 0x28, SH_OFF, be);
	put16(m->b + 0x3a, 64, be);
	put16(m->b + 0x3c, 3, be);
	put16(m->b + 0x3e, 1, be);
	memcpy(m->b + NAMES_OFF, names, sizeof(names));
	memcpy(m->b + INFO_OFF, info, info_len);
	shdr(m, 1, 1, NAMES_OFF, sizeof(names), be);
	shdr(m, 2, 11, INFO_OFF, info_len, be);
	m->len = SH_OFF + 3 * 64;
}

static const char info[] = "name=btrfs\0depends=xor,raid6_pq\0alias=fs-btrfs\0alias=devname:btrfs-control"
			   "\0softdep=pre: crc32c";

TEST(modinfo_reads_both_byte_orders)
{
	for (int be = 0; be < 2; be++) {
		struct img m;
		struct modinfo mi;
		const char *why = NULL;
		make(&m, info, sizeof(info), be);
		CHECK_EQ(modinfo_find(m.b, m.len, &mi, &why), 0);
		char buf[64];
		CHECK(modinfo_get(&mi, "depends", buf, sizeof(buf)));
		CHECK_STR(buf, "xor,raid6_pq");
		CHECK(modinfo_get(&mi, "softdep", buf, sizeof(buf)));
		CHECK_STR(buf, "pre: crc32c");
		size_t pos = 0, n;
		const char *v;
		int aliases = 0;
		while (modinfo_next(&mi, "alias", &pos, &v, &n))
			aliases++;
		CHECK_EQ(aliases, 2);
		CHECK(!modinfo_get(&mi, "vermagic", buf, sizeof(buf)));
		CHECK_STR(buf, "");
	}
}

TEST(modinfo_keys_match_whole)
{
	static const char i2[] = "namex=no\0name=yes";
	struct img m;
	struct modinfo mi;
	const char *why;
	char buf[16];
	make(&m, i2, sizeof(i2), false);
	CHECK_EQ(modinfo_find(m.b, m.len, &mi, &why), 0);
	CHECK(modinfo_get(&mi, "name", buf, sizeof(buf)));
	CHECK_STR(buf, "yes");
}

TEST(modinfo_unterminated_last_string)
{
	static const char i2[] = { 'a', '=', '1', 0, 'd', 'e', 'p', 'e', 'n', 'd', 's', '=', 'x' };
	struct img m;
	struct modinfo mi;
	const char *why;
	char buf[16];
	make(&m, i2, sizeof(i2), false);
	CHECK_EQ(modinfo_find(m.b, m.len, &mi, &why), 0);
	CHECK(modinfo_get(&mi, "depends", buf, sizeof(buf)));
	CHECK_STR(buf, "x");
	CHECK(modinfo_get(&mi, "depends", buf, 1)); /* truncated to nothing */
	CHECK_STR(buf, "");
}

TEST(modinfo_without_section_is_empty)
{
	struct img m;
	struct modinfo mi;
	const char *why;
	make(&m, info, sizeof(info), false);
	m.b[NAMES_OFF + 11] = 'X'; /* ".modinfo" becomes "Xmodinfo" */
	CHECK_EQ(modinfo_find(m.b, m.len, &mi, &why), 0);
	CHECK_EQ(mi.len, 0);
	char buf[8];
	CHECK(!modinfo_get(&mi, "name", buf, sizeof(buf)));
}

TEST(modinfo_rejects_damage)
{
	struct img m;
	struct modinfo mi;
	const char *why = NULL;
	make(&m, info, sizeof(info), false);
	CHECK_EQ(modinfo_find(m.b, 10, &mi, &why), -1);
	CHECK_STR(why, "not an ELF file");
	m.b[4] = 1;
	CHECK_EQ(modinfo_find(m.b, m.len, &mi, &why), -1);
	CHECK_STR(why, "not a 64-bit ELF file");
	make(&m, info, sizeof(info), false);
	CHECK_EQ(modinfo_find(m.b, m.len - 1, &mi, &why), -1); /* last header cut */
	CHECK_STR(why, "ELF section headers outside the file");
	make(&m, info, sizeof(info), false);
	put_le64(m.b + SH_OFF + 2 * 64 + 32, UINT64_MAX); /* .modinfo size */
	CHECK_EQ(modinfo_find(m.b, m.len, &mi, &why), -1);
	CHECK_STR(why, ".modinfo section outside the file");
	make(&m, info, sizeof(info), false);
	put_le64(m.b + 0x28, UINT64_MAX - 10); /* section header offset wraps */
	CHECK_EQ(modinfo_find(m.b, m.len, &mi, &why), -1);
	make(&m, info, sizeof(info), false);
	put_le16(m.b + 0x3e, 7); /* name table index past the headers */
	CHECK_EQ(modinfo_find(m.b, m.len, &mi, &why), -1);
	CHECK_STR(why, "ELF section name table outside the file");
}

TEST(modname_norm_dashes)
{
	char out[16];
	modname_norm(out, sizeof(out), "dm-mod.ko", 6);
	CHECK_STR(out, "dm_mod");
	modname_norm(out, 4, "crc32c-intel", 12);
	CHECK_STR(out, "crc");
}
