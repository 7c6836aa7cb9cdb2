/* core/diskstats: /proc/diskstats lines of the three kernel shapes, rates
 * between samples worked out by hand, and the ring's windows. */
#include "diskstats.h"
#include "error.h"
#include "io.h"
#include "test.h"

#include <math.h>

static const char text[] =
	/* 14 fields (before 4.18) */
	"   8       0 sda 100 2 3000 40 50 6 7000 80 0 90 120\n"
	/* 18 fields: discards */
	" 259       0 nvme0n1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n"
	/* 20 fields: flushes; names the EOS parser dropped */
	"   9     127 md127 11 0 88 0 22 0 176 0 0 0 0 0 0 0 0 0 0\n"
	" 253       0 dm-0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n"
	"junk line\n"
	"   8       1 sda1 1 2 3\n"                               /* too few */
	"   8       2 sda2 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\n" /* too many */
	"   8       3 sda3 1 2 3 4 5 6 7 8 9 10 -1\n"             /* a sign */
	"   8       4 sda4 1 2 3 4 5 6 7 8 9 10 99999999999999999999\n" /* past 2^64 */
	"\n";

TEST(diskstats_parse_shapes_and_skips)
{
	struct diskstats *d;
	size_t n, bad;
	struct bb_error e = { 0 };
	CHECK(diskstats_parse(text, sizeof(text) - 1, &d, &n, &bad, &e) == 0);
	CHECK_EQ(n, 4);
	CHECK_EQ(bad, 5);
	CHECK_STR(d[0].name, "sda");
	CHECK_EQ(d[0].major, 8);
	CHECK_EQ(d[0].nfields, 11);
	CHECK_EQ(d[0].rd_ios, 100);
	CHECK_EQ(d[0].rd_sectors, 3000);
	CHECK_EQ(d[0].wr_sectors, 7000);
	CHECK_EQ(d[0].weighted_ms, 120);
	CHECK_EQ(d[0].dc_ios, 0);
	CHECK_STR(d[1].name, "nvme0n1");
	CHECK_EQ(d[1].major, 259);
	CHECK_EQ(d[1].nfields, 15);
	CHECK_EQ(d[1].dc_ms, 15);
	CHECK_EQ(d[1].fl_ios, 0);
	CHECK_STR(d[2].name, "md127");
	CHECK_EQ(d[2].minor, 127);
	CHECK_EQ(d[2].nfields, 17);
	CHECK_STR(d[3].name, "dm-0");
	CHECK_EQ(d[3].fl_ms, 1);
	free(d);
	CHECK(diskstats_parse("", 0, &d, &n, NULL, &e) == 0);
	CHECK(d == NULL && n == 0);
}

/* The host's own file: every line is taken, as many as it has lines. */
TEST(diskstats_parse_host)
{
	size_t len;
	char *t = read_file("/proc/diskstats", 1 << 24, &len);
	if (!t)
		test_skip("no /proc/diskstats");
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += t[i] == '\n';
	struct diskstats *d;
	size_t n, bad;
	CHECK(diskstats_parse(t, len, &d, &n, &bad, NULL) == 0);
	CHECK_EQ(bad, 0);
	CHECK_EQ(n, lines);
	free(d);
	free(t);
}

#define NEAR(a, b) CHECK(fabs((a) - (b)) < 1e-9)

TEST(diskstats_rates_by_hand)
{
	struct diskstats a = { 0 }, b = { 0 };
	a.rd_ios = 1000, a.rd_sectors = 10, a.rd_ms = 7, a.wr_ios = 5, a.wr_sectors = 8;
	a.wr_ms = 3, a.io_ms = 100, a.weighted_ms = 200;
	b = a;
	/* two seconds: 200 reads of 1 MiB in all, 250 ms of waiting; 50
	 * writes of 4 MiB, 1000 ms; busy 1.5 s; 3 s of weighted time */
	b.rd_ios += 200, b.rd_sectors += 2048, b.rd_ms += 250;
	b.wr_ios += 50, b.wr_sectors += 8192, b.wr_ms += 1000;
	b.io_ms += 1500, b.weighted_ms += 3000;
	struct diskstats_rates r;
	diskstats_rates(&a, 5000000000ull, &b, 7000000000ull, &r);
	NEAR(r.seconds, 2.0);
	NEAR(r.rd_iops, 100.0);
	NEAR(r.wr_iops, 25.0);
	NEAR(r.rd_bytes_s, 524288.0);
	NEAR(r.wr_bytes_s, 2097152.0);
	NEAR(r.rd_mean_ms, 1.25);
	NEAR(r.wr_mean_ms, 20.0);
	NEAR(r.util_pct, 75.0);
	NEAR(r.queue_depth, 1.5);
	CHECK(!r.reset);
	/* nothing completed: no mean, not a division by zero */
	diskstats_rates(&a, 0, &a, 1000000000ull, &r);
	NEAR(r.rd_mean_ms, 0.0);
	NEAR(r.util_pct, 0.0);
	/* time going backwards gives nothing */
	diskstats_rates(&a, 2, &b, 1, &r);
	NEAR(r.seconds, 0.0);
	NEAR(r.rd_iops, 0.0);
	/* a replaced device: counters restart from zero */
	struct diskstats z = { 0 };
	z.rd_ios = 10;
	diskstats_rates(&b, 0, &z, 1000000000ull, &r);
	CHECK(r.reset);
	NEAR(r.rd_iops, 10.0);
	/* busy time past the interval (jitter) is clamped */
	b = a;
	b.io_ms += 1200;
	diskstats_rates(&a, 0, &b, 1000000000ull, &r);
	NEAR(r.util_pct, 100.0);
}

TEST(diskstats_ring_windows)
{
	struct diskstats_ring r;
	struct bb_error e = { 0 };
	CHECK(diskstats_ring_init(&r, 1, &e) == -1);
	CHECK(diskstats_ring_init(&r, 4, &e) == 0);
	struct diskstats_rates w;
	CHECK(!diskstats_ring_window(&r, 1, &w));
	struct diskstats c = { 0 };
	/* one sample a second, reads growing by 10 * t per second: 0 10 30 60 100 150 */
	uint64_t total = 0;
	for (uint64_t t = 0; t <= 5; t++) {
		total += 10 * t;
		c.rd_ios = total;
		CHECK(diskstats_ring_push(&r, t * 1000000000ull, &c));
	}
	CHECK(!diskstats_ring_push(&r, 5000000000ull, &c)); /* not newer */
	CHECK_EQ(r.count, 4);
	CHECK_EQ(diskstats_ring_at(&r, 0)->c.rd_ios, 150);
	CHECK_EQ(diskstats_ring_at(&r, 3)->c.rd_ios, 30);
	CHECK(diskstats_ring_at(&r, 4) == NULL);
	/* last second: 150 - 100 */
	CHECK(diskstats_ring_window(&r, 1000000000ull, &w));
	NEAR(w.seconds, 1.0);
	NEAR(w.rd_iops, 50.0);
	/* two seconds: (150 - 60) / 2 */
	CHECK(diskstats_ring_window(&r, 2000000000ull, &w));
	NEAR(w.rd_iops, 45.0);
	/* a window longer than the ring holds: the oldest, t=2, three seconds */
	CHECK(diskstats_ring_window(&r, 60000000000ull, &w));
	NEAR(w.seconds, 3.0);
	NEAR(w.rd_iops, 40.0);
	diskstats_ring_free(&r);
}
