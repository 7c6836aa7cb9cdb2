/* gpt_resize.c - gpt_resize on the model: to the next partition, to the
 * last 1 MiB boundary of the usable area, to a size, refusals that leave
 * the model as it was, with 512- and 4096-byte sectors. */
#include "gpt_util.h"
#include "io.h"
#include "test.h"

#define MIB (1ull << 20)

static void resize_cases(unsigned sector)
{
	uint64_t size = 16 * MIB, a = MIB / sector, old;
	int fd = img_new("r.img", size);
	img_two_parts(fd, size, sector); /* 1: 1 MiB at 1 MiB, 2: 2 MiB at 2 MiB */
	struct gpt g;
	read_expect(fd, size, sector, &g, 0);
	CHECK_EQ(gpt_resize(&g, 1, 0, &old), 0); /* nothing behind it */
	CHECK_EQ(old, 2 * a - 1);
	CHECK_EQ(g.part[0].last_lba, 2 * a - 1);
	CHECK_EQ(gpt_resize(&g, 2, 0, &old), 0);
	uint64_t want = (g.last_usable + 1) / a * a - 1;
	CHECK_EQ(g.part[1].last_lba, want);
	CHECK_EQ(g.part[1].first_lba, 2 * a);
	CHECK_EQ(gpt_delete(&g, 2), 0);
	CHECK_EQ(gpt_resize(&g, 1, 3 * a, &old), 0);
	CHECK_EQ(g.part[0].last_lba, 4 * a - 1);
	CHECK_EQ(gpt_resize(&g, 1, 1, &old), 0); /* one sector: allowed in core */
	CHECK_EQ(g.part[0].last_lba, a);
	CHECK(gpt_add(&g, &(struct gpt_new){ .start_lba = 8 * a, .size = MIB }) == 2);
	CHECK_EQ(gpt_resize(&g, 1, 7 * a, &old), 0);
	CHECK(gpt_resize(&g, 1, 7 * a + 1, &old) < 0);
	CHECK(strstr(g.err.msg, "can grow to 7.00 MiB at most: partition 2 starts at LBA"));
	CHECK_EQ(g.part[0].last_lba, 8 * a - 1); /* unchanged by the refusal */
	CHECK(gpt_resize(&g, 1, UINT64_MAX, &old) < 0); /* no wrap-around */
	CHECK(gpt_resize(&g, 3, 0, &old) < 0 && strstr(g.err.msg, "partition 3 does not exist"));
	CHECK(gpt_resize(&g, 2, g.last_usable, &old) < 0 &&
	      strstr(g.err.msg, "the usable area ends at LBA"));
	CHECK_EQ(g.nproblems, 0);
	CHECK(gpt_write(&g, fd) == 0);
	gpt_free(&g);
	read_expect(fd, size, sector, &g, 0);
	CHECK_EQ(g.nproblems, 0);
	CHECK_EQ(g.part[0].last_lba, 8 * a - 1);
	gpt_free(&g);
}

TEST(gpt_resize_512) { resize_cases(512); }
TEST(gpt_resize_4096) { resize_cases(4096); }

TEST(gpt_resize_refuses_unsound_partitions)
{
	uint64_t size = 16 * MIB, old, lbas = size / 512;
	int fd = img_new("r.img", size);
	img_two_parts(fd, size, 512);
	/* partition 2 starts inside partition 1, in both copies */
	uint8_t first[8];
	for (int i = 0; i < 8; i++)
		first[i] = (uint8_t)((MIB / 512 + 100) >> 8 * i);
	CHECK(pwrite_full(fd, first, 8, 2 * 512 + 128 + 32) == 0);
	CHECK(pwrite_full(fd, first, 8, (lbas - 33) * 512 + 128 + 32) == 0);
	entries_reseal(fd, 512, 1);
	entries_reseal(fd, 512, lbas - 1);
	struct gpt g;
	read_expect(fd, size, 512, &g, 0);
	CHECK(has_problem(&g, GPT_P_PART, "partitions 1 and 2 overlap"));
	CHECK(gpt_resize(&g, 1, 0, &old) < 0 && strstr(g.err.msg, "overlap"));
	CHECK(gpt_resize(&g, 2, 0, &old) < 0);
	gpt_free(&g);
}
