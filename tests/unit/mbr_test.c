/* mbr_test.c - core/mbr: the kinds of LBA 0, chains of logical partitions
 * (long, looping, leaving the extended partition, unsigned), 4096-byte
 * sectors, and the problems a DOS table can have. Images are written
 * here record by record from the layout (not with core code). */
#include "io.h"
#include "mbr.h"
#include "test.h"

#include <fcntl.h>
#include <unistd.h>

static int img(const char *name, uint64_t size)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && ftruncate(fd, (off_t)size) == 0);
	return fd;
}

/* Record i of the table at LBA lba (sector bytes each), signed 0x55AA. */
static void rec(int fd, unsigned sector, uint64_t lba, int i, uint8_t status, uint8_t type,
		uint32_t start, uint32_t size)
{
	uint8_t r[16] = { status, 0, 0, 0, type };
	for (int k = 0; k < 4; k++) {
		r[8 + k] = (uint8_t)(start >> 8 * k);
		r[12 + k] = (uint8_t)(size >> 8 * k);
	}
	static const uint8_t sig[2] = { 0x55, 0xAA };
	CHECK(pwrite_full(fd, r, 16, lba * sector + 446 + 16 * (unsigned)i) == 0);
	CHECK(pwrite_full(fd, sig, 2, lba * sector + 510) == 0);
}

static int has(const struct mbr *m, const char *s)
{
	for (unsigned i = 0; i < m->nproblems; i++)
		if (strstr(m->problem[i], s))
			return 1;
	return 0;
}

TEST(mbr_kinds)
{
	int fd = img("k.img", 1 << 20);
	struct mbr m;
	CHECK(mbr_read(&m, fd, 1 << 20, 512, NULL) == 0 && m.kind == MBR_NONE && !m.nparts);
	rec(fd, 512, 0, 0, 0, 0, 0, 0); /* signed, no records */
	CHECK(mbr_read(&m, fd, 1 << 20, 512, NULL) == 0 && m.kind == MBR_NONE);
	rec(fd, 512, 0, 0, 0, 0xEE, 1, 2047);
	CHECK(mbr_read(&m, fd, 1 << 20, 512, NULL) == 0 && m.kind == MBR_PROTECTIVE);
	CHECK_EQ(m.nparts, 1);
	CHECK_STR(mbr_type_name(m.part[0].type), "GPT");
	rec(fd, 512, 0, 1, 0x80, 0x0C, 64, 64);
	CHECK(mbr_read(&m, fd, 1 << 20, 512, NULL) == 0 && m.kind == MBR_HYBRID);
	CHECK_EQ(m.nparts, 2);
	CHECK_EQ(m.part[1].number, 2);
	CHECK_EQ(m.part[1].status, 0x80);
	CHECK_EQ(m.nproblems, 0); /* the 0xEE record may cover the others */
	rec(fd, 512, 0, 0, 0, 0x83, 2048, 0);
	CHECK(mbr_read(&m, fd, 1 << 20, 512, NULL) == 0 && m.kind == MBR_DOS);
	CHECK(has(&m, "partition 1 (LBA 2048, 0 sectors) is empty"));
	close(fd);
}

TEST(mbr_logicals_512_and_4096)
{
	static const unsigned sectors[] = { 512, 4096 };
	for (int s = 0; s < 2; s++) {
		unsigned sec = sectors[s];
		uint64_t size = 1024ull * sec;
		int fd = img("l.img", size);
		rec(fd, sec, 0, 0, 0x80, 0x83, 8, 8);
		rec(fd, sec, 0, 1, 0, 0x0F, 100, 900);
		/* EBR at 100: logical 5 at 102-111, next EBR at 100+200 */
		rec(fd, sec, 100, 0, 0, 0x82, 2, 10);
		rec(fd, sec, 100, 1, 0, 0x05, 200, 50);
		rec(fd, sec, 300, 0, 0, 0x8E, 4, 20);
		/* an EBR without a logical partition (one deleted) takes no number */
		rec(fd, sec, 300, 1, 0, 0x05, 400, 50);
		rec(fd, sec, 500, 1, 0, 0x05, 500, 50);
		rec(fd, sec, 600, 0, 0, 0x83, 1, 9);
		struct mbr m;
		CHECK(mbr_read(&m, fd, size, sec, NULL) == 0);
		CHECK_EQ(m.kind, MBR_DOS);
		CHECK_EQ(m.nparts, 5);
		CHECK_EQ(m.part[1].role, MBR_EXTENDED);
		CHECK_EQ(m.part[2].number, 5);
		CHECK_EQ(m.part[2].role, MBR_LOGICAL);
		CHECK_EQ(m.part[2].start, 102);
		CHECK_EQ(m.part[2].sectors, 10);
		CHECK_EQ(m.part[3].number, 6);
		CHECK_EQ(m.part[3].start, 304);
		CHECK_EQ(m.part[3].type, 0x8E);
		CHECK_EQ(m.part[4].number, 7);
		CHECK_EQ(m.part[4].start, 601);
		CHECK_EQ(m.nproblems, 0);
		close(fd);
	}
}

TEST(mbr_chain_is_bounded)
{
	uint64_t n = 600, size = (n * 2 + 16) * 512;
	int fd = img("c.img", size);
	rec(fd, 512, 0, 0, 0, 0x05, 2, (uint32_t)(size / 512 - 2));
	for (uint64_t i = 0; i < n; i++) { /* EBR every 2 sectors, each with a logical */
		rec(fd, 512, 2 + 2 * i, 0, 0, 0x83, 1, 1);
		rec(fd, 512, 2 + 2 * i, 1, 0, 0x05, (uint32_t)(2 * i + 2), 2);
	}
	struct mbr m;
	CHECK(mbr_read(&m, fd, size, 512, NULL) == 0);
	CHECK_EQ(m.nparts, 1 + MBR_MAX_LOGICAL);
	CHECK_EQ(m.part[m.nparts - 1].number, 4 + MBR_MAX_LOGICAL);
	CHECK(has(&m, "more than 256 extended boot records"));
	close(fd);
}

TEST(mbr_broken_chains_and_records)
{
	uint64_t size = 4096 * 512;
	int fd = img("b.img", size);
	rec(fd, 512, 0, 0, 0x12, 0x83, 64, 64);      /* bad status */
	rec(fd, 512, 0, 1, 0, 0x83, 100, 64);        /* overlaps 1 */
	rec(fd, 512, 0, 2, 0, 0x05, 1000, 100);
	rec(fd, 512, 0, 3, 0, 0x85, 2000, 100);      /* a second extended */
	rec(fd, 512, 1000, 0, 0, 0x83, 50, 100);     /* leaves the extended partition */
	rec(fd, 512, 1000, 1, 0, 0x05, 0, 10);       /* points at itself */
	struct mbr m;
	CHECK(mbr_read(&m, fd, size, 512, NULL) == 0);
	CHECK(has(&m, "status byte 0x12"));
	CHECK(has(&m, "partitions 1 and 2 overlap"));
	CHECK(has(&m, "partition 4 is a second extended partition"));
	CHECK(has(&m, "logical partition 5 (LBA 1050-1149) is not inside"));
	CHECK(has(&m, "from LBA 1000 to LBA 1000, backwards"));
	CHECK_EQ(m.nparts, 5);
	/* an unsigned EBR, and a record past the end */
	rec(fd, 512, 0, 0, 0, 0x83, 4000, 200);
	static const uint8_t zero[2];
	CHECK(pwrite_full(fd, zero, 2, 1000 * 512 + 510) == 0);
	CHECK(mbr_read(&m, fd, size, 512, NULL) == 0);
	CHECK(has(&m, "partition 1 (LBA 4000, 200 sectors) runs past the end"));
	CHECK(has(&m, "extended boot record at LBA 1000 has no 0x55AA signature"));
	CHECK_EQ(m.nparts, 4);
	close(fd);
}

TEST(mbr_short_image_is_an_error)
{
	int fd = img("s.img", 256);
	struct mbr m;
	struct bb_error e;
	CHECK(mbr_read(&m, fd, 512, 512, &e) == -1); /* the size claims a sector the file lacks */
	CHECK(strstr(e.msg, "reading LBA 0"));
	CHECK(mbr_read(&m, fd, 256, 512, NULL) == 0 && m.kind == MBR_NONE);
	close(fd);
}
