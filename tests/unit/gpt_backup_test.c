/* gpt_backup_test.c - backup files: take, encode, decode round trip with
 * 512 and 4096-byte sectors; the decoder refuses every one-bit change
 * (the checksum) and, with the checksum made to hold again, every header
 * that does not describe a GPT's sectors on the disk named; the table a
 * backup holds reads as the disk's did. */
#include "crc.h"
#include "gpt_util.h"
#include "io.h"
#include "test.h"

#include <unistd.h>

#define MIB (1ull << 20)

static uint8_t *backup_of(unsigned sector, size_t *len, struct gpt *g)
{
	uint64_t size = 8 * MIB;
	int fd = img_new("b.img", size);
	img_two_parts(fd, size, sector);
	read_expect(fd, size, sector, g, 0);
	struct gpt_backup b;
	struct bb_error e;
	CHECK(gpt_backup_take(g, fd, &b, &e) == 0);
	uint8_t *f = gpt_backup_encode(&b, len, &e);
	CHECK(f);
	gpt_backup_free(&b);
	close(fd);
	return f;
}

static void round_trip(unsigned sector)
{
	size_t len;
	struct gpt g, r;
	uint8_t *f = backup_of(sector, &len, &g);
	struct gpt_backup b;
	struct bb_error e;
	CHECK(gpt_backup_decode(f, len, &b, &e) == 0);
	CHECK_EQ(b.sector, sector);
	CHECK_EQ(b.lbas, g.lbas);
	CHECK(gpt_guid_eq(&b.disk_guid, &g.disk_guid));
	CHECK_EQ(gpt_read_backup(&r, &b), 0);
	CHECK(r.primary_ok && r.backup_ok);
	CHECK_EQ(r.nproblems, 0);
	CHECK_EQ(r.nused, 2);
	CHECK(!memcmp(r.part, g.part, g.nentries * sizeof(*g.part)));
	size_t len2;
	uint8_t *f2 = gpt_backup_encode(&b, &len2, &e);
	CHECK(f2 && len2 == len && !memcmp(f, f2, len));
	struct gpt_plan p;
	CHECK(gpt_backup_plan(&b, true, &p, &e) == 0);
	CHECK_EQ(p.n, 5);
	CHECK_STR(p.io[0].what, "backup entries");
	CHECK_STR(p.io[4].what, "protective MBR");
	gpt_plan_free(&p);
	CHECK(gpt_backup_plan(&b, false, &p, &e) == 0);
	CHECK_STR(p.io[0].what, "primary entries");
	gpt_plan_free(&p);
	free(f2);
	free(f);
	gpt_backup_free(&b);
	gpt_free(&r);
	gpt_free(&g);
}

TEST(gpt_backup_round_trip_512) { round_trip(512); }
TEST(gpt_backup_round_trip_4096) { round_trip(4096); }

TEST(gpt_backup_every_bit_flip_is_refused)
{
	size_t len;
	struct gpt g;
	uint8_t *f = backup_of(512, &len, &g);
	struct gpt_backup b;
	struct bb_error e;
	unsigned refused = 0;
	/* the header, the first sectors, the last bytes: where it matters */
	for (size_t i = 0; i < len; i += (i < 1200 || i > len - 600) ? 1 : 97)
		for (int bit = 0; bit < 8; bit++) {
			f[i] ^= (uint8_t)(1 << bit);
			if (gpt_backup_decode(f, len, &b, &e) == 0)
				test_fail(__FILE__, __LINE__, "byte %zu bit %d accepted", i, bit);
			refused++;
			f[i] ^= (uint8_t)(1 << bit);
		}
	CHECK(refused > 10000);
	for (size_t n = 0; n < len; n += n < 200 ? 1 : 1000) /* every cut */
		CHECK(gpt_backup_decode(f, n, &b, &e) == -1);
	free(f);
	gpt_free(&g);
}

/* Change a header field, make the checksum hold, expect a refusal. */
static void refused(const uint8_t *orig, size_t len, size_t off, uint64_t v, int width,
		    const char *why)
{
	uint8_t *f = malloc(len);
	memcpy(f, orig, len);
	for (int i = 0; i < width; i++)
		f[off + (size_t)i] = (uint8_t)(v >> 8 * i);
	uint32_t crc = crc32_ieee_sw(0, f, len - 4);
	for (int i = 0; i < 4; i++)
		f[len - 4 + (size_t)i] = (uint8_t)(crc >> 8 * i);
	struct gpt_backup b;
	struct bb_error e;
	if (gpt_backup_decode(f, len, &b, &e) == 0)
		test_fail(__FILE__, __LINE__, "field at %zu = %llu accepted", off, (unsigned long long)v);
	if (!strstr(e.msg, why))
		test_fail(__FILE__, __LINE__, "field at %zu: \"%s\", wanted \"%s\"", off, e.msg, why);
	free(f);
}

TEST(gpt_backup_bad_headers_are_refused)
{
	size_t len;
	struct gpt g;
	uint8_t *f = backup_of(512, &len, &g);
	uint64_t lbas = g.lbas;
	refused(f, len, 8, 2, 4, "version 2");
	refused(f, len, 12, 1024, 4, "cannot be");
	refused(f, len, 16, 3, 8, "cannot be");
	refused(f, len, 16, UINT64_MAX / 256, 8, "cannot be"); /* bytes past 64 bits */
	refused(f, len, 16, lbas - 1, 8, "past the end");      /* backup header outside */
	refused(f, len, 40, 4, 4, "sector ranges");
	refused(f, len, 48, 5, 8, "not those of a GPT");        /* MBR not at 0 */
	refused(f, len, 48 + 16 * 2 + 8, 31, 8, "not those of a GPT"); /* arrays differ */
	refused(f, len, 48 + 16 * 2 + 8, UINT64_MAX, 8, "not those of a GPT");
	refused(f, len, 48 + 16 * 3, 2, 8, "overlap");          /* backup array on the primary's */
	refused(f, len, 48 + 16 * 4, lbas, 8, "past the end");
	refused(f, len, 48 + 16 * 4, UINT64_MAX, 8, "past the end");
	/* a structurally fine file whose table is not where its headers say */
	refused(f, len, 0, 'X', 1, "not a gpt backup file");
	struct gpt_backup b;
	struct bb_error e;
	uint8_t *moved = malloc(len);
	memcpy(moved, f, len);
	for (int i = 0; i < 8; i++) /* primary entries at 3, not 2: decodes... */
		moved[48 + 16 * 2 + i] = (uint8_t)((uint64_t)3 >> 8 * i);
	uint32_t crc = crc32_ieee_sw(0, moved, len - 4);
	for (int i = 0; i < 4; i++)
		moved[len - 4 + (size_t)i] = (uint8_t)(crc >> 8 * i);
	CHECK(gpt_backup_decode(moved, len, &b, &e) == 0);
	struct gpt r;
	CHECK(gpt_read_backup(&r, &b) == -1); /* ...but holds no LBA 2 */
	CHECK(strstr(r.err.msg, "the backup does not hold LBA 2-"));
	gpt_free(&r);
	gpt_backup_free(&b);
	free(moved);
	free(f);
	gpt_free(&g);
}
