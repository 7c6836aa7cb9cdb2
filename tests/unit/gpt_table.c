/* gpt_table.c - creating and editing tables on image files, both sector
 * sizes. The layout expected is the one the UEFI specification gives
 * (header at LBA 1, a 16 KiB entry array at LBA 2, the backup at the
 * last LBA with its array before it) and that sgdisk writes. */
#include "crc.h"
#include "endian.h"
#include "gpt_util.h"
#include "io.h"
#include "test.h"

#define MIB (1ull << 20)

static void check_layout(int fd, uint64_t size, unsigned sector)
{
	uint64_t lbas = size / sector, asec = 16384 / sector;
	uint8_t *h = malloc(sector);
	CHECK(pread_full(fd, h, sector, sector) == (ssize_t)sector);
	CHECK(!memcmp(h, "EFI PART\0\0\1\0\x5c\0\0\0", 16)); /* revision 1.0, 92 bytes */
	CHECK_EQ(get_le64(h + GH_MY), 1);
	CHECK_EQ(get_le64(h + GH_ALT), lbas - 1);
	CHECK_EQ(get_le64(h + GH_FIRST), 2 + asec);
	CHECK_EQ(get_le64(h + GH_LAST), lbas - 2 - asec);
	CHECK_EQ(get_le64(h + GH_ENTRIES), 2);
	CHECK_EQ(get_le32(h + GH_NENTRIES), 128);
	CHECK_EQ(get_le32(h + GH_ENTRY_SIZE), 128);
	uint32_t crc = get_le32(h + GH_CRC);
	put_le32(h + GH_CRC, 0);
	CHECK_EQ(crc32_ieee_sw(0, h, 92), crc);
	free(h);
	CHECK_EQ(hdr_get(fd, sector, lbas - 1, GH_MY, 8), lbas - 1);
	CHECK_EQ(hdr_get(fd, sector, lbas - 1, GH_ALT, 8), 1);
	CHECK_EQ(hdr_get(fd, sector, lbas - 1, GH_ENTRIES, 8), lbas - 1 - asec);
	/* the protective MBR: one 0xEE entry from LBA 1 over the rest */
	uint8_t mbr[512];
	CHECK(pread_full(fd, mbr, 512, 0) == 512);
	CHECK(mbr[510] == 0x55 && mbr[511] == 0xAA);
	CHECK(mbr[446 + 4] == 0xEE);
	CHECK_EQ(get_le32(mbr + 446 + 8), 1);
	CHECK_EQ(get_le32(mbr + 446 + 12), lbas - 1);
	CHECK(mbr[462 + 4] == 0 && mbr[478 + 4] == 0 && mbr[494 + 4] == 0);
}

static void round_trip(unsigned sector)
{
	uint64_t size = 64 * MIB;
	int fd = img_new("disk.img", size);
	struct gpt g, r;
	img_table(fd, size, sector, &g);
	check_layout(fd, size, sector);
	uint64_t a = MIB / sector;

	CHECK_EQ(img_add(&g, "bios_boot", 1, "mosbios"), 1);
	CHECK_EQ(img_add(&g, "esp", 10, "mosefi"), 2);
	CHECK_EQ(img_add(&g, "swap", 8, "\xF0\x9F\x98\x80 swap"), 3);
	struct gpt_new rest = { .name = "mosdata", .attrs = 1ull << 60 };
	CHECK(gpt_type_parse("linux", &rest.type) == 0);
	CHECK_EQ(gpt_add(&g, &rest), 4);
	CHECK(gpt_write(&g, fd) == 0);
	CHECK(g.nproblems == 0);

	read_expect(fd, size, sector, &r, 0);
	CHECK_EQ(r.nproblems, 0);
	CHECK(r.primary_ok && r.backup_ok && r.mbr == GPT_MBR_PROTECTIVE);
	CHECK(gpt_guid_eq(&r.disk_guid, &g.disk_guid));
	CHECK_EQ(r.nused, 4);
	/* 1 MiB aligned, back to back, sizes as asked */
	CHECK_EQ(r.part[0].first_lba, a);
	CHECK_EQ(r.part[0].last_lba, 2 * a - 1);
	CHECK_EQ(r.part[1].first_lba, 2 * a);
	CHECK_EQ(r.part[1].last_lba, 12 * a - 1);
	CHECK_EQ(r.part[2].first_lba, 12 * a);
	CHECK_EQ(r.part[2].last_lba, 20 * a - 1);
	CHECK_EQ(r.part[3].first_lba, 20 * a);
	/* the rest ends at the last whole MiB below the backup array */
	CHECK_EQ(r.part[3].last_lba, (r.last_usable + 1) / a * a - 1);
	CHECK_EQ(r.part[3].attrs, 1ull << 60);
	for (int i = 0; i < 4; i++) {
		CHECK(!memcmp(&r.part[i], &g.part[i], sizeof(r.part[i])));
		char n[GPT_NAME_UTF8_MAX];
		gpt_name_to_utf8(r.part[i].name, n);
		static const char *const names[] = { "mosbios", "mosefi", "\xF0\x9F\x98\x80 swap",
						     "mosdata" };
		CHECK_STR(n, names[i]);
	}
	/* UTF-16LE on disk: entry 3's name begins D83D DE00 */
	uint8_t e[128];
	CHECK(pread_full(fd, e, 128, 2 * sector + 2 * 128) == 128);
	CHECK(e[56] == 0x3D && e[57] == 0xD8 && e[58] == 0x00 && e[59] == 0xDE && e[60] == ' ');

	CHECK(gpt_delete(&r, 2) == 0);
	CHECK(gpt_rename(&r, 4, "renamed") == 0);
	CHECK(gpt_write(&r, fd) == 0);
	struct gpt t;
	read_expect(fd, size, sector, &t, 0);
	CHECK_EQ(t.nused, 3);
	CHECK(!gpt_part_used(&t.part[1]));
	char n[GPT_NAME_UTF8_MAX];
	gpt_name_to_utf8(t.part[3].name, n);
	CHECK_STR(n, "renamed");
	CHECK_EQ(t.nproblems, 0);
	gpt_free(&g), gpt_free(&r), gpt_free(&t);
}

TEST(gpt_round_trip_512) { round_trip(512); }
TEST(gpt_round_trip_4096) { round_trip(4096); }

TEST(gpt_add_fills_the_gap_a_delete_left)
{
	uint64_t size = 32 * MIB;
	int fd = img_new("d.img", size);
	struct gpt g;
	img_table(fd, size, 512, &g);
	img_add(&g, "linux", 4, "a");
	img_add(&g, "linux", 4, "b");
	img_add(&g, "linux", 4, "c");
	CHECK(gpt_delete(&g, 2) == 0);
	/* a 2 MiB partition goes into the first gap that holds it: b's */
	CHECK_EQ(img_add(&g, "swap", 2, "d"), 2);
	CHECK_EQ(g.part[1].first_lba, 5 * 2048);
	/* a 3 MiB one no longer fits there and goes after c */
	CHECK_EQ(img_add(&g, "swap", 3, "e"), 4);
	CHECK_EQ(g.part[3].first_lba, 13 * 2048);
	struct gpt_gap gaps[8];
	size_t n = gpt_gaps(&g, gaps, 8);
	CHECK_EQ(n, 3);
	CHECK_EQ(gaps[0].first_lba, 34);
	CHECK_EQ(gaps[0].last_lba, 2047);
	CHECK_EQ(gaps[1].first_lba, 7 * 2048);
	CHECK_EQ(gaps[1].last_lba, 9 * 2048 - 1);
	CHECK_EQ(gaps[2].first_lba, 16 * 2048);
	CHECK_EQ(gaps[2].last_lba, g.last_usable);
	struct gpt_gap al;
	CHECK(!gpt_gap_aligned(&g, &gaps[0], &al)); /* nothing past LBA 2048 */
	CHECK(gpt_gap_aligned(&g, &gaps[2], &al) && al.first_lba == 16 * 2048);
	/* "the rest" takes the largest gap, not the first */
	struct gpt_new rest = { 0 };
	CHECK_EQ(gpt_add(&g, &rest), 5);
	CHECK_EQ(g.part[4].first_lba, 16 * 2048);
	gpt_free(&g);
}

TEST(gpt_add_explicit_start_number_guid)
{
	uint64_t size = 16 * MIB;
	int fd = img_new("d.img", size);
	struct gpt g;
	img_table(fd, size, 512, &g);
	struct gpt_new n = { .number = 7, .start_lba = 4000, .size = 1000 * 512 + 1 };
	CHECK(gpt_guid_parse("11111111-2222-3333-4444-555555555555", &n.guid) == 0);
	CHECK_EQ(gpt_add(&g, &n), 7);
	CHECK_EQ(g.part[6].first_lba, 4000);
	CHECK_EQ(g.part[6].last_lba, 4000 + 1001 - 1); /* rounded up to a sector */
	CHECK(gpt_guid_eq(&g.part[6].guid, &n.guid));
	/* unaligned start, rest of its gap: ends on a MiB boundary */
	struct gpt_new m = { .start_lba = 100 };
	CHECK_EQ(gpt_add(&g, &m), 1);
	CHECK_EQ(g.part[0].first_lba, 100);
	CHECK_EQ(g.part[0].last_lba, 2047);
	/* refusals, each with a reason */
	struct gpt_new bad = { .number = 7, .size = MIB };
	CHECK(gpt_add(&g, &bad) < 0 && strstr(g.err.msg, "already exists"));
	bad = (struct gpt_new){ .number = 129 };
	CHECK(gpt_add(&g, &bad) < 0 && strstr(g.err.msg, "out of range"));
	bad = (struct gpt_new){ .start_lba = 4500 };
	CHECK(gpt_add(&g, &bad) < 0 && strstr(g.err.msg, "not free"));
	bad = (struct gpt_new){ .start_lba = 5001, .size = 15 * MIB };
	CHECK(gpt_add(&g, &bad) < 0 && strstr(g.err.msg, "are free from LBA 5001"));
	bad = (struct gpt_new){ .size = 15 * MIB };
	CHECK(gpt_add(&g, &bad) < 0 && strstr(g.err.msg, "no free gap holds 15.0 MiB"));
	bad = (struct gpt_new){ .size = UINT64_MAX };
	CHECK(gpt_add(&g, &bad) < 0 && strstr(g.err.msg, "more than the whole disk"));
	bad = (struct gpt_new){ .name = "this name is far longer than thirty-six units" };
	CHECK(gpt_add(&g, &bad) < 0 && strstr(g.err.msg, "36"));
	CHECK(gpt_delete(&g, 3) < 0 && strstr(g.err.msg, "does not exist"));
	CHECK(gpt_rename(&g, 0, "x") < 0);
	CHECK(gpt_rename(&g, 129, "x") < 0);
	CHECK(gpt_rename(&g, 7, "\xFF") < 0 && strstr(g.err.msg, "UTF-8"));
	CHECK_EQ(g.nused, 2);
	gpt_free(&g);
}

TEST(gpt_disk_full_and_entries_full)
{
	uint64_t size = 4 * MIB;
	int fd = img_new("d.img", size);
	struct gpt g;
	img_table(fd, size, 512, &g);
	struct gpt_new rest = { 0 };
	CHECK_EQ(gpt_add(&g, &rest), 1);
	CHECK_EQ(g.part[0].last_lba, 3 * 2048 - 1);
	/* what is left below the backup array still starts on a MiB */
	CHECK_EQ(gpt_add(&g, &rest), 2);
	CHECK_EQ(g.part[1].first_lba, 3 * 2048);
	CHECK_EQ(g.part[1].last_lba, g.last_usable);
	CHECK(gpt_add(&g, &rest) < 0 && strstr(g.err.msg, "no free space"));
	gpt_free(&g);
	/* 128 partitions of one sector each in the first MiB-less gap */
	img_table(fd, size, 512, &g);
	for (unsigned i = 0; i < 128; i++) {
		struct gpt_new one = { .start_lba = 34 + i, .size = 512 };
		CHECK_EQ(gpt_add(&g, &one), i + 1);
	}
	struct gpt_new more = { .size = 512 };
	CHECK(gpt_add(&g, &more) < 0 && strstr(g.err.msg, "all 128"));
	CHECK(gpt_write(&g, fd) == 0);
	struct gpt r;
	read_expect(fd, size, 512, &r, 0);
	CHECK_EQ(r.nused, 128);
	CHECK_EQ(r.nproblems, 0);
	gpt_free(&g), gpt_free(&r);
}

TEST(gpt_init_too_small)
{
	struct gpt g;
	CHECK(gpt_init(&g, 512 * 67, 512, 0) < 0);   /* no usable sector */
	gpt_free(&g);
	CHECK(gpt_init(&g, 512 * 68, 512, 0) == 0);
	CHECK_EQ(g.first_usable, 34);
	CHECK_EQ(g.last_usable, 34);
	gpt_free(&g);
	CHECK(gpt_init(&g, 1 << 20, 1024, 0) < 0);
	CHECK(strstr(g.err.msg, "sector size"));
	gpt_free(&g);
}

TEST(gpt_guess_sector_size)
{
	uint64_t size = 8 * MIB;
	int fd = img_new("d.img", size);
	CHECK_EQ(gpt_guess_sector(fd, size), 512); /* nothing there: default */
	struct gpt g;
	img_table(fd, size, 4096, &g);
	CHECK_EQ(gpt_guess_sector(fd, size), 4096);
	/* only the backup left */
	char zero[4096] = { 0 };
	CHECK(pwrite_full(fd, zero, sizeof(zero), 4096) == 0);
	CHECK_EQ(gpt_guess_sector(fd, size), 4096);
	gpt_free(&g);
	img_table(fd, size, 512, &g);
	CHECK_EQ(gpt_guess_sector(fd, size), 512);
	gpt_free(&g);
}

TEST(gpt_dry_plan_writes_nothing)
{
	uint64_t size = 8 * MIB;
	int fd = img_new("d.img", size);
	struct gpt g;
	img_table(fd, size, 512, &g);
	void *before = img_snapshot(fd, size);
	img_add(&g, "linux", 1, "x");
	struct gpt_plan p;
	CHECK(gpt_plan(&g, &p) == 0);
	/* backup copy, then primary, flushed after each; no MBR rewrite */
	CHECK_EQ(p.n, 4);
	CHECK_STR(p.io[0].what, "backup entries");
	CHECK_STR(p.io[1].what, "backup header");
	CHECK(p.io[1].sync_after && p.io[3].sync_after);
	CHECK_STR(p.io[3].what, "primary header");
	gpt_plan_free(&p);
	CHECK(img_same(fd, before, size));
	free(before);
	gpt_free(&g);
}
