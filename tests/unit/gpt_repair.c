/* gpt_repair.c - gpt_fix: a damaged primary from the backup and the other
 * way round, disagreeing copies, a grown disk (sgdisk -e); and the write
 * order: a power cut after any prefix of the writes, or in the middle of
 * one, still leaves a table that reads as the old one or the new one. */
#include "bb.h"
#include "gpt_util.h"
#include "io.h"
#include "test.h"

#include <unistd.h>

#define MIB (1ull << 20)

static void zero_lbas(int fd, unsigned sector, uint64_t lba, uint64_t n)
{
	void *z = calloc(n, sector);
	CHECK(z && pwrite_full(fd, z, n * sector, lba * sector) == 0);
	free(z);
}

/* Damage, fix, and expect the image to be byte for byte what it was. */
static void fix_restores(unsigned sector, uint64_t lba, uint64_t n, enum gpt_problem_kind kind)
{
	uint64_t size = 8 * MIB;
	int fd = img_new("fix.img", size);
	img_two_parts(fd, size, sector);
	void *orig = img_snapshot(fd, size);
	zero_lbas(fd, sector, lba, n);
	struct gpt g;
	read_expect(fd, size, sector, &g, 0);
	CHECK(gpt_has_problem(&g, kind));
	CHECK(gpt_fix(&g, false) >= 1);
	CHECK_EQ(g.nproblems, 0);
	CHECK(gpt_write(&g, fd) == 0);
	gpt_free(&g);
	CHECK(img_same(fd, orig, size));
	free(orig);
	read_expect(fd, size, sector, &g, 0);
	CHECK_EQ(g.nproblems, 0);
	gpt_free(&g);
}

TEST(gpt_fix_primary_header)
{
	fix_restores(512, 1, 1, GPT_P_PRIMARY);
	fix_restores(4096, 1, 1, GPT_P_PRIMARY);
}

TEST(gpt_fix_primary_entries)
{
	fix_restores(512, 2, 32, GPT_P_PRIMARY);
	fix_restores(4096, 2, 4, GPT_P_PRIMARY);
}

TEST(gpt_fix_backup_header)
{
	fix_restores(512, 8 * MIB / 512 - 1, 1, GPT_P_BACKUP);
	fix_restores(4096, 8 * MIB / 4096 - 1, 1, GPT_P_BACKUP);
}

TEST(gpt_fix_backup_entries)
{
	fix_restores(512, 8 * MIB / 512 - 33, 32, GPT_P_BACKUP);
	fix_restores(4096, 8 * MIB / 4096 - 5, 4, GPT_P_BACKUP);
}

TEST(gpt_fix_protective_mbr)
{
	fix_restores(512, 0, 1, GPT_P_MBR);
}

/* Two valid copies that differ: partition 1's name in the backup array is
 * changed and resealed. Returns the image as it was before. */
static void *mismatched(int fd, uint64_t size)
{
	img_two_parts(fd, size, 512);
	void *orig = img_snapshot(fd, size);
	uint8_t x = 'X';
	CHECK(pwrite_full(fd, &x, 1, (size / 512 - 33) * 512 + 56) == 0);
	entries_reseal(fd, 512, size / 512 - 1);
	return orig;
}

/* Core keeps the primary unless told (sysvol repairs a power cut so);
 * g->differ lets the gpt applet ask instead. */
TEST(gpt_fix_mismatch_keeps_the_primary_unless_told)
{
	uint64_t size = 8 * MIB;
	int fd = img_new("fix.img", size);
	void *orig = mismatched(fd, size);
	void *damaged = img_snapshot(fd, size);
	struct gpt g;
	read_expect(fd, size, 512, &g, 0);
	CHECK(g.primary_ok && g.backup_ok);
	CHECK(has_problem(&g, GPT_P_MISMATCH, "partition entries"));
	CHECK_STR(g.differ, "partition entries");
	CHECK(gpt_write(&g, fd) < 0);
	CHECK_EQ(gpt_fix(&g, false), 1);
	CHECK(gpt_write(&g, fd) == 0);
	CHECK(img_same(fd, orig, size));
	gpt_free(&g);
	CHECK(pwrite_full(fd, damaged, size, 0) == 0);

	CHECK_EQ(gpt_read_from(&g, fd, size, 512, GPT_FROM_PRIMARY), 0);
	CHECK_EQ(gpt_fix(&g, false), 1);
	CHECK(gpt_write(&g, fd) == 0);
	CHECK(img_same(fd, orig, size));
	gpt_free(&g);
	free(orig);
	free(damaged);
}

TEST(gpt_fix_mismatch_from_backup)
{
	uint64_t size = 8 * MIB;
	int fd = img_new("fix.img", size);
	free(mismatched(fd, size));
	struct gpt g;
	CHECK_EQ(gpt_read_from(&g, fd, size, 512, GPT_FROM_BACKUP), 0);
	CHECK(g.from_backup);
	char name[GPT_NAME_UTF8_MAX];
	gpt_name_to_utf8(g.part[0].name, name);
	CHECK_EQ(name[0], 'X');
	CHECK_EQ(gpt_fix(&g, false), 1);
	struct gpt_plan p;
	CHECK(gpt_plan(&g, &p) == 0);
	CHECK_STR(p.io[0].what, "primary entries"); /* the copy kept goes last */
	CHECK_STR(p.io[3].what, "backup header");
	gpt_plan_free(&p);
	CHECK(gpt_write(&g, fd) == 0);
	gpt_free(&g);
	read_expect(fd, size, 512, &g, 0);
	CHECK_EQ(g.nproblems, 0);
	gpt_name_to_utf8(g.part[0].name, name);
	CHECK_EQ(name[0], 'X');
	gpt_free(&g);
}

TEST(gpt_fix_refuses_a_damaged_source)
{
	uint64_t size = 8 * MIB;
	int fd = img_new("fix.img", size);
	img_two_parts(fd, size, 512);
	zero_lbas(fd, 512, size / 512 - 1, 1);
	struct gpt g;
	CHECK_EQ(gpt_read_from(&g, fd, size, 512, GPT_FROM_BACKUP), GPT_NOTFOUND);
	CHECK(strstr(g.err.msg, "backup copy is damaged"));
	gpt_free(&g);
	CHECK_EQ(gpt_read_from(&g, fd, size, 512, GPT_FROM_PRIMARY), 0);
	CHECK_EQ(gpt_fix(&g, false), 1);
	CHECK(gpt_write(&g, fd) == 0);
	gpt_free(&g);
	hdr_set(fd, 512, 1, GH_FIRST, 8, 40); /* CRC no longer holds */
	CHECK_EQ(gpt_read_from(&g, fd, size, 512, GPT_FROM_PRIMARY), GPT_NOTFOUND);
	CHECK(strstr(g.err.msg, "primary copy is damaged"));
	gpt_free(&g);
}

static void grown(unsigned sector)
{
	uint64_t small = 8 * MIB, big = 20 * MIB, lbas = big / sector, asec = 16384 / sector;
	int fd = img_new("grow.img", small);
	img_two_parts(fd, small, sector);
	struct gpt before;
	read_expect(fd, small, sector, &before, 0);
	CHECK(ftruncate(fd, (off_t)big) == 0);
	struct gpt g;
	read_expect(fd, big, sector, &g, 0);
	CHECK(has_problem(&g, GPT_P_PLACE, "the disk has grown"));
	CHECK(has_problem(&g, GPT_P_MBR, "protective MBR covers"));
	CHECK(gpt_add(&g, &(struct gpt_new){ .size = MIB }) > 0); /* edits the model... */
	CHECK(gpt_write(&g, fd) < 0);                             /* ...but never writes */
	gpt_free(&g);
	read_expect(fd, big, sector, &g, 0);
	CHECK_EQ(gpt_fix(&g, false), 2);
	CHECK(gpt_write(&g, fd) == 0);
	gpt_free(&g);

	read_expect(fd, big, sector, &g, 0);
	CHECK_EQ(g.nproblems, 0);
	CHECK_EQ(g.backup_lba, lbas - 1);
	CHECK_EQ(g.backup_entries_lba, lbas - 1 - asec);
	CHECK_EQ(g.last_usable, lbas - 2 - asec);
	CHECK_EQ(g.first_usable, before.first_usable);
	CHECK(gpt_guid_eq(&g.disk_guid, &before.disk_guid));
	CHECK(!memcmp(g.part, before.part, before.nentries * sizeof(*g.part)));
	CHECK_EQ(hdr_get(fd, sector, 1, GH_ALT, 8), lbas - 1);
	CHECK_EQ(hdr_get(fd, sector, 0, 446 + 12, 4), lbas - 1);
	gpt_free(&g), gpt_free(&before);
}

TEST(gpt_fix_grown_disk_512) { grown(512); }
TEST(gpt_fix_grown_disk_4096) { grown(4096); }

TEST(gpt_backup_past_the_end)
{
	uint64_t size = 8 * MIB, lbas = size / 512;
	int fd = img_new("fix.img", size);
	img_two_parts(fd, size, 512);
	hdr_set(fd, 512, 1, GH_ALT, 8, lbas + 100);
	hdr_reseal(fd, 512, 1);
	struct gpt g;
	read_expect(fd, size, 512, &g, 0);
	CHECK(has_problem(&g, GPT_P_PLACE, "past the end of the disk"));
	CHECK(gpt_fix(&g, false) >= 1);
	CHECK(gpt_write(&g, fd) == 0);
	gpt_free(&g);
	read_expect(fd, size, 512, &g, 0);
	CHECK_EQ(g.nproblems, 0);
	gpt_free(&g);
}

TEST(gpt_shrunk_disk_is_not_guessed_at)
{
	int fd = img_new("fix.img", 16 * MIB);
	img_two_parts(fd, 16 * MIB, 512);
	CHECK(ftruncate(fd, 8 * MIB) == 0);
	struct gpt g;
	read_expect(fd, 8 * MIB, 512, &g, GPT_NOTFOUND);
	CHECK(strstr(g.err.msg, "past the end of the disk"));
	gpt_free(&g);
}

TEST(gpt_fix_refuses_when_partitions_block_the_backup)
{
	uint64_t size = 8 * MIB, lbas = size / 512;
	int fd = img_new("fix.img", size);
	img_two_parts(fd, size, 512);
	/* primary: backup "past the end", usable area and partition 2 reaching
	 * into where the backup array has to go */
	hdr_set(fd, 512, 1, GH_ALT, 8, lbas + 100);
	hdr_set(fd, 512, 1, GH_LAST, 8, lbas - 2);
	hdr_reseal(fd, 512, 1);
	uint8_t e[128];
	CHECK(pread_full(fd, e, 128, 2 * 512 + 128) == 128);
	for (int i = 0; i < 8; i++)
		e[40 + i] = (uint8_t)((lbas - 2) >> (8 * i));
	CHECK(pwrite_full(fd, e, 128, 2 * 512 + 128) == 0);
	entries_reseal(fd, 512, 1);
	void *snap = img_snapshot(fd, size);
	struct gpt g;
	read_expect(fd, size, 512, &g, 0);
	CHECK(gpt_fix(&g, false) < 0 && strstr(g.err.msg, "partition 2 ends at LBA"));
	CHECK(gpt_write(&g, fd) < 0);
	CHECK(img_same(fd, snap, size));
	free(snap);
	gpt_free(&g);
}

TEST(gpt_grown_and_primary_lost)
{
	/* The backup is in the middle of the disk and the primary is gone:
	 * like sgdisk, no table is guessed from the middle of the disk. */
	int fd = img_new("fix.img", 8 * MIB);
	img_two_parts(fd, 8 * MIB, 512);
	zero_lbas(fd, 512, 1, 1);
	CHECK(ftruncate(fd, 16 * MIB) == 0);
	struct gpt g;
	read_expect(fd, 16 * MIB, 512, &g, GPT_NOTFOUND);
	gpt_free(&g);
}

/* ---- power cuts ------------------------------------------------------------ */

static bool same_parts(const struct gpt *a, const struct gpt *b)
{
	return a->nentries == b->nentries && gpt_guid_eq(&a->disk_guid, &b->disk_guid) &&
	       !memcmp(a->part, b->part, a->nentries * sizeof(*a->part));
}

/* Apply io[0..k) and, when torn, the first half of io[k]; the table read
 * back must be `old` or `new`, never anything else or nothing. */
static void cut_power(int fd, uint64_t size, const void *snap, const struct gpt_plan *p,
		      unsigned sector, const struct gpt *old, const struct gpt *new)
{
	for (unsigned k = 0; k <= p->n; k++) {
		for (int torn = 0; torn < 2 && !(torn && k == p->n); torn++) {
			CHECK(pwrite_full(fd, snap, size, 0) == 0);
			struct gpt_plan part = *p;
			part.n = k;
			CHECK(gpt_plan_apply(&part, fd, sector, NULL) == 0);
			if (torn) {
				const struct gpt_io *io = &p->io[k];
				CHECK(pwrite_full(fd, io->buf, io->count * sector / 2,
						  io->lba * sector) == 0);
			}
			struct gpt g;
			int rc = gpt_read(&g, fd, size, sector);
			printf("after %u writes%s: rc %d, primary %d, backup %d\n", k,
			       torn ? " and half" : "", rc, g.primary_ok, g.backup_ok);
			CHECK(rc == 0);
			CHECK(same_parts(&g, old) || same_parts(&g, new));
			if (k == p->n)
				CHECK(same_parts(&g, new) && g.nproblems == 0);
			gpt_free(&g);
		}
	}
}

static void power_cut_during(unsigned sector, void (*damage)(int fd, uint64_t size, unsigned sector),
			     bool edit)
{
	uint64_t size = 8 * MIB;
	int fd = img_new("cut.img", size);
	img_two_parts(fd, size, sector);
	if (damage)
		damage(fd, size, sector);
	void *snap = img_snapshot(fd, size);
	struct gpt old, new;
	read_expect(fd, size, sector, &old, 0);
	read_expect(fd, size, sector, &new, 0);
	if (damage)
		CHECK(gpt_fix(&new, false) >= 1);
	if (edit) {
		img_add(&new, "swap", 1, "new");
		CHECK(gpt_rename(&new, 1, "renamed") == 0);
		CHECK(gpt_delete(&new, 2) == 0);
	}
	struct gpt_plan p;
	CHECK(gpt_plan(&new, &p) == 0);
	cut_power(fd, size, snap, &p, sector, &old, &new);
	gpt_plan_free(&p);
	free(snap);
	gpt_free(&old), gpt_free(&new);
}

static void lose_primary(int fd, uint64_t size, unsigned sector)
{
	(void)size;
	zero_lbas(fd, sector, 1, 1);
}

static void lose_backup(int fd, uint64_t size, unsigned sector)
{
	zero_lbas(fd, sector, size / sector - 1, 1);
}

TEST(gpt_power_cut_during_edit)
{
	power_cut_during(512, NULL, true);
	power_cut_during(4096, NULL, true);
}

/* One header pointing at the other copy's array: sound CRCs, but a copy
 * that does not stand on its own. */
static void primary_uses_backup_array(int fd, uint64_t size, unsigned sector)
{
	hdr_set(fd, sector, 1, GH_ENTRIES, 8, size / sector - 1 - 16384 / sector);
	hdr_reseal(fd, sector, 1);
}

static void backup_uses_primary_array(int fd, uint64_t size, unsigned sector)
{
	hdr_set(fd, sector, size / sector - 1, GH_ENTRIES, 8, 2);
	hdr_reseal(fd, sector, size / sector - 1);
}

TEST(gpt_fix_shared_entry_array)
{
	static void (*const share[])(int, uint64_t, unsigned) = { primary_uses_backup_array,
								    backup_uses_primary_array };
	for (unsigned sector = 512; sector <= 4096; sector *= 8)
		for (int i = 0; i < 2; i++) {
			uint64_t size = 8 * MIB;
			int fd = img_new("fix.img", size);
			img_two_parts(fd, size, sector);
			void *orig = img_snapshot(fd, size);
			share[i](fd, size, sector);
			struct gpt g;
			read_expect(fd, size, sector, &g, 0);
			CHECK(has_problem(&g, i ? GPT_P_BACKUP : GPT_P_PRIMARY, "is not between"));
			CHECK(gpt_fix(&g, false) == 1 && gpt_write(&g, fd) == 0);
			gpt_free(&g);
			CHECK(img_same(fd, orig, size));
			free(orig);
			close(fd);
		}
}

TEST(gpt_power_cut_during_fix)
{
	power_cut_during(512, lose_primary, false);
	power_cut_during(512, lose_backup, false);
	power_cut_during(4096, lose_primary, false);
}

/* With one copy damaged, writing the only valid copy first would leave no
 * table at all if the power failed in the middle; a repair that also
 * changes the table shows whether the order gets that right. */
TEST(gpt_power_cut_during_fix_and_edit)
{
	power_cut_during(512, lose_primary, true);
	power_cut_during(512, lose_backup, true);
	power_cut_during(4096, lose_primary, true);
	power_cut_during(4096, lose_backup, true);
	power_cut_during(512, primary_uses_backup_array, true);
	power_cut_during(512, backup_uses_primary_array, true);
	power_cut_during(4096, primary_uses_backup_array, true);
	power_cut_during(4096, backup_uses_primary_array, true);
}

TEST(gpt_power_cut_during_grow_fix)
{
	uint64_t size = 16 * MIB;
	int fd = img_new("cut.img", size / 2);
	img_two_parts(fd, size / 2, 512);
	CHECK(ftruncate(fd, (off_t)size) == 0);
	void *snap = img_snapshot(fd, size);
	struct gpt old, new;
	read_expect(fd, size, 512, &old, 0);
	read_expect(fd, size, 512, &new, 0);
	CHECK_EQ(gpt_fix(&new, false), 2);
	struct gpt_plan p;
	CHECK(gpt_plan(&new, &p) == 0);
	CHECK_STR(p.io[0].what, "backup entries"); /* the valid primary stays till last */
	cut_power(fd, size, snap, &p, 512, &old, &new);
	gpt_plan_free(&p);
	free(snap);
	gpt_free(&old), gpt_free(&new);
}
