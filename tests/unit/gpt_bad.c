/* gpt_bad.c - malformed tables: each is reported with what is wrong, the
 * valid copy (if any) is still read, nothing is written, and nothing is
 * repaired until gpt_fix() is asked. Runs under ASan/UBSan, so reading out
 * of bounds fails the test too. */
#include "bb.h"
#include "endian.h"
#include "gpt_util.h"
#include "io.h"
#include "test.h"

#include <unistd.h>

#define SIZE (8ull << 20)

struct mutation {
	const char *what;
	int off, width;
	int rel;        /* value relative to: 0 nothing, 1 the disk's LBA count, 2 this header's
			 * LBA, 3 where the other copy's entry array is */
	int64_t value;
	const char *expect;
};

static const struct mutation header_cases[] = {
	{ "signature", 0, 1, 0, 'X', "no GPT signature" },
	{ "revision", GH_REVISION, 4, 0, 0x00020000, "revision 2.0 is not 1.x" },
	{ "size small", GH_SIZE, 4, 0, 91, "header size 91" },
	{ "size large", GH_SIZE, 4, 0, 0xFFFFFFFF, "header size 4294967295" },
	{ "my_lba", GH_MY, 8, 0, 5, "it says it is at LBA 5" },
	{ "first>last", GH_FIRST, 8, 1, 0, "past the last usable" },
	{ "last past end", GH_LAST, 8, 1, 0, "past the end of the disk" },
	{ "last huge", GH_LAST, 8, 0, -1, "past the end of the disk" },
	{ "first in MBR", GH_FIRST, 8, 0, 1, "covers the MBR or a header" },
	{ "alt is self", GH_ALT, 8, 2, 0, "puts the other header at LBA" },
	{ "alt in usable", GH_ALT, 8, 0, 100, "covers the MBR or a header" },
	{ "no entries", GH_NENTRIES, 4, 0, 0, "no entries" },
	{ "many entries", GH_NENTRIES, 4, 0, 0xFFFFFFFF, "larger than 1 MiB" },
	{ "entry size 64", GH_ENTRY_SIZE, 4, 0, 64, "not 128 times a power of two" },
	{ "entry size 192", GH_ENTRY_SIZE, 4, 0, 192, "not 128 times a power of two" },
	{ "entry size 2^31", GH_ENTRY_SIZE, 4, 0, 0x80000000, "larger than 1 MiB" },
	{ "array past end", GH_ENTRIES, 8, 1, -2, "runs past the end" },
	{ "array wraps", GH_ENTRIES, 8, 0, -2, "runs past the end" },
	{ "array on MBR", GH_ENTRIES, 8, 0, 0, "covers the MBR or a header" },
	{ "array in usable", GH_ENTRIES, 8, 0, 100, "overlaps the usable area" },
	/* both headers pointing at one array: valid CRCs, but no redundancy,
	 * and a repair of one copy would write over the other's array */
	{ "array of the other copy", GH_ENTRIES, 8, 3, 0, "is not between" },
};

static void mutate(int fd, unsigned sector, uint64_t lba, const struct mutation *m)
{
	uint64_t lbas = SIZE / sector, other = lba == 1 ? lbas - 1 - 16384 / sector : 2;
	uint64_t v = (uint64_t)m->value + (m->rel == 1 ? lbas : m->rel == 2 ? lba : m->rel == 3 ? other : 0);
	hdr_set(fd, sector, lba, m->off, m->width, v);
	if (m->off) /* leave a wrong signature as it is; reseal the rest */
		hdr_reseal(fd, sector, lba);
}

static void one_copy_damaged(unsigned sector, bool primary)
{
	uint64_t lbas = SIZE / sector, at = primary ? 1 : lbas - 1;
	int fd = img_new("bad.img", SIZE);
	for (size_t i = 0; i < ARRAY_SIZE(header_cases); i++) {
		const struct mutation *m = &header_cases[i];
		img_two_parts(fd, SIZE, sector);
		mutate(fd, sector, at, m);
		void *snap = img_snapshot(fd, SIZE);
		struct gpt g;
		read_expect(fd, SIZE, sector, &g, 0);
		printf("%s %s (%u-byte sectors)\n", primary ? "primary" : "backup", m->what, sector);
		CHECK(has_problem(&g, primary ? GPT_P_PRIMARY : GPT_P_BACKUP, m->expect));
		CHECK(primary ? !g.primary_ok && g.backup_ok : g.primary_ok && !g.backup_ok);
		/* the good copy's table is there */
		CHECK_EQ(g.nused, 2);
		CHECK_EQ(g.part[1].first_lba, 2 * (1u << 20) / sector);
		/* and nothing is written before an explicit fix */
		struct gpt_plan p;
		CHECK(gpt_plan(&g, &p) < 0 && strstr(g.err.msg, "needs repair first"));
		CHECK(gpt_write(&g, fd) < 0);
		CHECK(img_same(fd, snap, SIZE));
		free(snap);
		gpt_free(&g);
	}
}

TEST(gpt_bad_primary_512) { one_copy_damaged(512, true); }
TEST(gpt_bad_backup_512) { one_copy_damaged(512, false); }
TEST(gpt_bad_primary_4096) { one_copy_damaged(4096, true); }
TEST(gpt_bad_backup_4096) { one_copy_damaged(4096, false); }

TEST(gpt_bad_crcs)
{
	int fd = img_new("bad.img", SIZE);
	img_two_parts(fd, SIZE, 512);
	hdr_set(fd, 512, 1, GH_CRC, 4, hdr_get(fd, 512, 1, GH_CRC, 4) ^ 1);
	struct gpt g;
	read_expect(fd, SIZE, 512, &g, 0);
	CHECK(has_problem(&g, GPT_P_PRIMARY, "header CRC is"));
	gpt_free(&g);

	img_two_parts(fd, SIZE, 512);
	uint8_t b = 0x55; /* inside entry 100 of the backup array */
	CHECK(pwrite_full(fd, &b, 1, (SIZE / 512 - 33) * 512 + 100 * 128 + 7) == 0);
	read_expect(fd, SIZE, 512, &g, 0);
	CHECK(has_problem(&g, GPT_P_BACKUP, "entry array CRC is"));
	gpt_free(&g);
}

TEST(gpt_bad_both_copies)
{
	int fd = img_new("bad.img", SIZE);
	img_two_parts(fd, SIZE, 512);
	mutate(fd, 512, 1, &header_cases[4]);              /* my_lba */
	mutate(fd, 512, SIZE / 512 - 1, &header_cases[12]); /* entries */
	struct gpt g;
	read_expect(fd, SIZE, 512, &g, GPT_NOTFOUND);
	CHECK(strstr(g.err.msg, "no valid GPT") && strstr(g.err.msg, "says it is at LBA 5") &&
	      strstr(g.err.msg, "larger than 1 MiB"));
	CHECK(g.signature);
	CHECK(g.part == NULL && gpt_fix(&g, false) < 0);
	gpt_free(&g);
}

TEST(gpt_bad_no_table_and_tiny_disks)
{
	struct gpt g;
	int fd = img_new("zero.img", SIZE);
	read_expect(fd, SIZE, 512, &g, GPT_NOTFOUND);
	CHECK_STR(g.err.msg, "no GPT");
	CHECK(!g.signature);
	gpt_free(&g);
	/* an MBR partition table, no GPT */
	uint8_t mbr[512] = { 0 };
	mbr[446 + 4] = 0x83;
	put_le32(mbr + 446 + 8, 2048);
	put_le32(mbr + 446 + 12, 4096);
	mbr[510] = 0x55, mbr[511] = 0xAA;
	CHECK(pwrite_full(fd, mbr, 512, 0) == 0);
	read_expect(fd, SIZE, 512, &g, GPT_NOTFOUND);
	CHECK(strstr(g.err.msg, "MBR partition table"));
	gpt_free(&g);
	for (uint64_t size = 0; size <= 8192; size += 512) {
		int t = img_new("tiny.img", size);
		CHECK(gpt_read(&g, t, size, 512) == GPT_NOTFOUND);
		gpt_free(&g);
		close(t);
	}
	/* a size that is not a whole number of sectors */
	int odd = img_new("odd.img", SIZE + 100);
	img_two_parts(odd, SIZE, 512);
	read_expect(odd, SIZE + 100, 512, &g, 0);
	CHECK_EQ(g.nproblems, 0);
	gpt_free(&g);
}

/* Change entry slot (0-based) in both arrays and reseal both headers. */
static void set_entry(int fd, int slot, int off, int width, uint64_t v)
{
	uint64_t lbas = SIZE / 512;
	for (int copy = 0; copy < 2; copy++) {
		uint64_t arr = copy ? lbas - 33 : 2;
		uint8_t e[128];
		CHECK(pread_full(fd, e, 128, arr * 512 + (uint64_t)slot * 128) == 128);
		if (width == 16) {
			uint8_t other[128];
			CHECK(pread_full(fd, other, 128, arr * 512 + v * 128) == 128);
			memcpy(e + off, other + off, 16);
		} else {
			put_le64(e + off, v);
		}
		CHECK(pwrite_full(fd, e, 128, arr * 512 + (uint64_t)slot * 128) == 0);
		entries_reseal(fd, 512, copy ? lbas - 1 : 1);
	}
}

TEST(gpt_bad_partitions)
{
	static const struct {
		int slot, off, width;
		uint64_t v;
		const char *expect;
	} cases[] = {
		{ 1, 32, 8, 3000, "partitions 1 and 2 overlap" },
		{ 1, 40, 8, SIZE / 512 - 20, "outside the usable area" },
		{ 0, 32, 8, 0, "outside the usable area" },
		{ 1, 40, 8, 4000, "after its end" },
		{ 1, 16, 16, 0, "the same unique GUID" },
		{ 0, 40, 8, UINT64_MAX, "outside the usable area" },
	};
	int fd = img_new("bad.img", SIZE);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		img_two_parts(fd, SIZE, 512);
		set_entry(fd, cases[i].slot, cases[i].off, cases[i].width, cases[i].v);
		struct gpt g;
		read_expect(fd, SIZE, 512, &g, 0);
		CHECK(g.primary_ok && g.backup_ok);
		CHECK(has_problem(&g, GPT_P_PART, cases[i].expect));
		/* a fix does not pretend to repair partitions */
		CHECK_EQ(gpt_fix(&g, false), 0);
		CHECK(gpt_has_problem(&g, GPT_P_PART));
		/* adding is refused, deleting the culprit is allowed and cures it */
		struct gpt_new n = { .size = 1 << 20 };
		CHECK(gpt_add(&g, &n) < 0 && strstr(g.err.msg, "not sound"));
		CHECK(gpt_delete(&g, (unsigned)cases[i].slot + 1) == 0);
		CHECK_EQ(g.nproblems, 0);
		CHECK(gpt_write(&g, fd) == 0);
		gpt_free(&g);
	}
}

TEST(gpt_bad_protective_mbr)
{
	int fd = img_new("bad.img", SIZE);
	struct gpt g;
	img_two_parts(fd, SIZE, 512);
	uint8_t zero[512] = { 0 };
	CHECK(pwrite_full(fd, zero, 512, 0) == 0);
	read_expect(fd, SIZE, 512, &g, 0);
	CHECK(has_problem(&g, GPT_P_MBR, "no protective MBR"));
	CHECK(gpt_write(&g, fd) < 0);
	gpt_free(&g);

	/* wrong size; all ones is allowed */
	img_two_parts(fd, SIZE, 512);
	hdr_set(fd, 512, 0, 446 + 12, 4, 1000);
	read_expect(fd, SIZE, 512, &g, 0);
	CHECK(has_problem(&g, GPT_P_MBR, "covers 1000 sectors"));
	gpt_free(&g);
	hdr_set(fd, 512, 0, 446 + 12, 4, 0xFFFFFFFF);
	read_expect(fd, SIZE, 512, &g, 0);
	CHECK_EQ(g.nproblems, 0);
	gpt_free(&g);
	hdr_set(fd, 512, 0, 446 + 8, 4, 2);
	read_expect(fd, SIZE, 512, &g, 0);
	CHECK(has_problem(&g, GPT_P_MBR, "starts at LBA 2"));
	gpt_free(&g);
}

TEST(gpt_foreign_and_hybrid_mbr)
{
	int fd = img_new("bad.img", SIZE);
	struct gpt g;
	img_two_parts(fd, SIZE, 512);
	uint8_t mbr[512];
	CHECK(pread_full(fd, mbr, 512, 0) == 512);
	memcpy(mbr, "BOOTCODE", 8);
	mbr[446 + 4] = 0x0C; /* a FAT32 partition instead of the 0xEE entry */
	CHECK(pwrite_full(fd, mbr, 512, 0) == 0);
	read_expect(fd, SIZE, 512, &g, 0);
	CHECK(g.mbr == GPT_MBR_FOREIGN);
	CHECK(has_problem(&g, GPT_P_MBR_FOREIGN, "MBR partition table"));
	CHECK(gpt_fix(&g, false) < 0 && strstr(g.err.msg, "not allowed"));
	CHECK(gpt_fix(&g, true) == 1);
	CHECK(gpt_write(&g, fd) == 0);
	gpt_free(&g);
	read_expect(fd, SIZE, 512, &g, 0);
	CHECK(g.mbr == GPT_MBR_PROTECTIVE && g.nproblems == 0);
	CHECK(!memcmp(g.lba0, "BOOTCODE", 8)); /* boot code survives */
	gpt_free(&g);

	/* hybrid: 0xEE plus an MBR partition; kept as it is through edits */
	mbr[446 + 4] = 0xEE;
	mbr[462 + 4] = 0x0C;
	put_le32(mbr + 462 + 8, 2048);
	put_le32(mbr + 462 + 12, 2048);
	CHECK(pwrite_full(fd, mbr, 512, 0) == 0);
	read_expect(fd, SIZE, 512, &g, 0);
	CHECK(g.mbr == GPT_MBR_HYBRID && g.nproblems == 0);
	CHECK(gpt_rename(&g, 1, "renamed") == 0);
	CHECK(gpt_write(&g, fd) == 0);
	uint8_t now[512];
	CHECK(pread_full(fd, now, 512, 0) == 512);
	CHECK(!memcmp(now, mbr, 512));
	gpt_free(&g);
}
