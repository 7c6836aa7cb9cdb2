/* spaceblock_format.c - the byte layout of every spaceblock record, checked
 * against hand-built bytes and a CRC-32C written here from its definition;
 * open's refusals; the limits of each area. */
#include "spaceblock_memdev.h"
#include "test.h"

#include "endian.h"

/* CRC-32C bit by bit from its definition (reflected polynomial 0x82F63B78,
 * initial value and final XOR all ones): independent of core/crc.c. */
static uint32_t ref_crc32c(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
	}
	return ~crc;
}

static uint32_t stored_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

TEST(spaceblock_ref_crc_check_value)
{
	CHECK_EQ(ref_crc32c((const uint8_t *)"123456789", 9), 0xE3069283u);
}

TEST(spaceblock_superblock_bytes)
{
	struct sb_super s = {
		.magic = SB_MAGIC, .version = 1, .tenant_id = 0x0102, .total_blocks = 256,
		.dp_start = 33, .dp_size = 223, .epoch = 0x1122334455667788ull,
	};
	for (int i = 0; i < 16; i++)
		s.uuid[i] = (uint8_t)i;
	const uint8_t want[44] = {
		'S', 'P', 'O', 'S', 0x01, 0x00, 0x01, 0x02, 0x00, 0x00, 0x01, 0x00,
		0x00, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00, 0xDF, 0x11, 0x22, 0x33, 0x44,
		0x55, 0x66, 0x77, 0x88, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	};
	uint8_t out[SB_SUPER_SIZE];
	sb_super_encode(&s, out);
	CHECK(!memcmp(out, want, sizeof(want)));
	/* The CRC covers the first 44 bytes only, big-endian at 44. */
	CHECK_EQ(stored_be32(out + 44), ref_crc32c(want, 44));

	struct sb_super back;
	sb_super_decode(out, &back);
	CHECK_EQ(back.magic, SB_MAGIC);
	CHECK_EQ(back.tenant_id, 0x0102);
	CHECK_EQ(back.total_blocks, 256);
	CHECK_EQ(back.dp_start, 33);
	CHECK_EQ(back.dp_size, 223);
	CHECK_EQ(back.epoch, 0x1122334455667788ull);
	CHECK(!memcmp(back.uuid, s.uuid, 16));
	CHECK_EQ(back.crc, ref_crc32c(want, 44));
}

TEST(spaceblock_layout_record_bytes)
{
	struct sb_ext e = { .version = 1, .block_shift = 12, .catalog_blocks = 16 }, back;
	uint8_t out[SB_EXT_SIZE];
	sb_ext_encode(&e, out);
	const uint8_t want[12] = { 'S', 'P', 'B', 'X', 1, 12, 0, 16, 0, 0, 0, 0 };
	CHECK(!memcmp(out, want, sizeof(want)));
	CHECK_EQ(stored_be32(out + 12), ref_crc32c(want, 12));
	CHECK_EQ(sb_ext_decode(out, &back), SLOT_VALID);
	CHECK_EQ(back.block_shift, 12);
	CHECK_EQ(back.catalog_blocks, 16);
	out[5] ^= 1;
	CHECK_EQ(sb_ext_decode(out, &back), SLOT_CORRUPT);
}

TEST(spaceblock_param_entry_bytes)
{
	struct sb_param p = { .id = 42, .len = 7, .gen = 3 }, back;
	memcpy(p.value, "3.14159", 7);
	uint8_t want[SB_PARAM_SIZE] = { 0, 0, 0, 42, 0, 7, 0, 3, '3', '.', '1', '4', '1', '5', '9' };
	uint32_t crc = ref_crc32c(want, 0xF8);
	want[0xF8] = (uint8_t)(crc >> 24), want[0xF9] = (uint8_t)(crc >> 16);
	want[0xFA] = (uint8_t)(crc >> 8), want[0xFB] = (uint8_t)crc;
	uint8_t out[SB_PARAM_SIZE];
	sb_param_encode(&p, out);
	CHECK(!memcmp(out, want, sizeof(want)));

	CHECK_EQ(sb_param_decode(out, &back), SLOT_VALID);
	CHECK_EQ(back.id, 42);
	CHECK_EQ(back.len, 7);
	CHECK_EQ(back.gen, 3);
	CHECK(!memcmp(back.value, "3.14159", 7));

	out[100] ^= 0x40; /* a torn or rotten byte */
	CHECK_EQ(sb_param_decode(out, &back), SLOT_CORRUPT);
	memset(out, 0, sizeof(out));
	CHECK_EQ(sb_param_decode(out, &back), SLOT_EMPTY);
	/* a length past 240 is corrupt even with a matching CRC */
	put_be16(out + 4, 241);
	put_be32(out + 0xF8, ref_crc32c(out, 0xF8));
	CHECK_EQ(sb_param_decode(out, &back), SLOT_CORRUPT);
}

TEST(spaceblock_event_record_bytes)
{
	struct sb_event e = { .seq = 5, .timestamp = 0x0102030405060708ull, .code = 0x0A0B0C0D,
			      .severity = SB_WARNING, .len = 4 }, back;
	memcpy(e.payload, "boot", 4);
	uint8_t out[SB_EVENT_SIZE];
	sb_event_encode(&e, out);
	const uint8_t head[0x1C] = {
		0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5, 6, 7, 8, 0x0A, 0x0B, 0x0C, 0x0D,
		2, 4, 0, 0, 'b', 'o', 'o', 't',
	};
	CHECK(!memcmp(out, head, sizeof(head)));
	CHECK_EQ(stored_be32(out + 0x48), ref_crc32c(out, 0x48));
	CHECK_EQ(sb_event_decode(out, &back), SLOT_VALID);
	CHECK_EQ(back.seq, 5);
	CHECK_EQ(back.timestamp, 0x0102030405060708ull);
	CHECK_EQ(back.code, 0x0A0B0C0D);
	CHECK_EQ(back.severity, SB_WARNING);
	CHECK_EQ(back.len, 4);
	CHECK(!memcmp(back.payload, "boot", 4));
	out[0x30] ^= 1;
	CHECK_EQ(sb_event_decode(out, &back), SLOT_CORRUPT);
}

TEST(spaceblock_catalog_record_bytes)
{
	struct sb_dp d = { .block_offset = 0x11, .block_count = 3, .dp_class = 0x0102,
			   .priority = 9, .name_len = 19, .data_crc = 0xCAFEF00D, .length = 1500,
			   .seq = 6, .created = 1700000000 }, back;
	memcpy(d.name, "science/thermal.dat", 20);
	uint8_t out[SB_CAT_SIZE];
	sb_dp_encode(&d, out);
	/* the original's 80-byte descriptor first */
	const uint8_t head[0x0C] = { 0, 0, 0, 0x11, 0, 0, 0, 3, 1, 2, 9, 19 };
	CHECK(!memcmp(out, head, sizeof(head)));
	CHECK(!memcmp(out + 0x0C, "science/thermal.dat", 19));
	CHECK_EQ(out[0x0C + 19], 0);
	CHECK_EQ(stored_be32(out + 0x4C), 0xCAFEF00D);
	/* then ours */
	CHECK_EQ(get_be64(out + 0x50), 1500);
	CHECK_EQ(get_be64(out + 0x58), 6);
	CHECK_EQ(get_be64(out + 0x60), 1700000000);
	CHECK_EQ(stored_be32(out + 0x7C), ref_crc32c(out, 0x7C));
	CHECK_EQ(sb_dp_decode(out, &back), SLOT_VALID);
	CHECK_STR(back.name, "science/thermal.dat");
	CHECK_EQ(back.block_offset, 0x11);
	CHECK_EQ(back.block_count, 3);
	CHECK_EQ(back.dp_class, 0x0102);
	CHECK_EQ(back.priority, 9);
	CHECK_EQ(back.data_crc, 0xCAFEF00D);
	CHECK_EQ(back.length, 1500);
	out[0x20] ^= 1;
	CHECK_EQ(sb_dp_decode(out, &back), SLOT_CORRUPT);
}

TEST(spaceblock_generation_compare)
{
	CHECK(sb_gen_newer(2, 1));
	CHECK(!sb_gen_newer(1, 2));
	CHECK(!sb_gen_newer(7, 7));
	CHECK(sb_gen_newer(0, 65535)); /* across the wrap */
	CHECK(sb_gen_newer(3, 65530));
	CHECK(!sb_gen_newer(65535, 0));
}

/* Two generations of one id placed by hand on both sides of the wrap:
 * the one written after the wrap wins, whichever slot holds it. */
TEST(spaceblock_generation_wrap_on_disk)
{
	for (int order = 0; order < 2; order++) {
		struct memdev m;
		struct spaceblock sb;
		memdev_format(&m, &sb, 512, 100);
		sb_close(&sb);
		struct sb_param old = { .id = 5, .len = 3, .gen = 65535 };
		struct sb_param new = { .id = 5, .len = 3, .gen = 0 };
		memcpy(old.value, "old", 3);
		memcpy(new.value, "new", 3);
		uint8_t *area = m.img + 512; /* block 1, two entries per block */
		sb_param_encode(order ? &new : &old, area);
		sb_param_encode(order ? &old : &new, area + SB_PARAM_SIZE);
		memdev_open(&m, &sb);
		struct sb_param got;
		CHECK_EQ(sb_param_get(&sb, 5, &got), 0);
		CHECK(!memcmp(got.value, "new", 3));
		CHECK_EQ(got.gen, 0);
		/* the next put goes over the superseded 65535, as generation 1 */
		CHECK_EQ(sb_param_put(&sb, 5, "next", 4), 0);
		CHECK_EQ(sb_param_get(&sb, 5, &got), 0);
		CHECK_EQ(got.gen, 1);
		CHECK(!memcmp(got.value, "next", 4));
		struct sb_param tmp;
		CHECK_EQ(sb_param_decode(area + (order ? SB_PARAM_SIZE : 0), &tmp), SLOT_VALID);
		CHECK_EQ(tmp.gen, 1);
		sb_close(&sb);
		memdev_free(&m);
	}
}

/* Entries of one id written by someone else, in slots 0..n-1 of a 512-byte
 * layout in the order perm gives (perm[k]: the entry in slot k). */
static void place_entries(struct memdev *m, const uint16_t *gens, size_t n, const unsigned *perm)
{
	struct spaceblock sb;
	memdev_format(m, &sb, 512, 100);
	sb_close(&sb);
	for (size_t k = 0; k < n; k++) {
		struct sb_param e = { .id = 5, .len = 1, .gen = gens[perm[k]] };
		e.value[0] = (uint8_t)('A' + perm[k]);
		sb_param_encode(&e, m->img + 512 * (1 + k / 2) + SB_PARAM_SIZE * (k % 2));
	}
}

static void count_problem(void *ctx, const char *area, unsigned slot, const char *what)
{
	(void)area, (void)slot, (void)what;
	++*(unsigned *)ctx;
}

/* A put must win, also after reopening, and leave an ordered store. */
static void put_wins(struct memdev *m)
{
	struct spaceblock sb;
	struct sb_param got;
	memdev_open(m, &sb);
	CHECK_EQ(sb_param_put(&sb, 5, "new", 3), 0);
	CHECK_EQ(sb_param_get(&sb, 5, &got), 0);
	CHECK(got.len == 3 && !memcmp(got.value, "new", 3));
	sb_close(&sb);
	memdev_open(m, &sb);
	CHECK_EQ(sb_param_get(&sb, 5, &got), 0);
	CHECK(got.len == 3 && !memcmp(got.value, "new", 3));
	unsigned problems = 0;
	CHECK_EQ(sb_problems(&sb, count_problem, &problems), 0);
	sb_close(&sb);
}

/* The put cut at each of its sector writes, torn or lost: the old value or
 * the new one, never another. */
static void put_cut_everywhere(const struct memdev *base, char old)
{
	for (long cut = 0;; cut++) {
		struct memdev m;
		struct spaceblock sb;
		struct sb_param got;
		memdev_copy(&m, base);
		memdev_open(&m, &sb);
		m.budget = cut;
		m.tear = 100;
		m.lose_unsynced = true;
		int rc = sb_param_put(&sb, 5, "new", 3);
		sb_close(&sb);
		m.cut = false;
		m.budget = -1;
		memdev_open(&m, &sb);
		CHECK_EQ(sb_param_get(&sb, 5, &got), 0);
		CHECK(got.value[0] == old || (got.len == 3 && !memcmp(got.value, "new", 3)));
		sb_close(&sb);
		memdev_free(&m);
		if (!rc)
			break;
	}
}

/* Generations a buggy or hostile writer left: whatever the slot order,
 * the same answer, and a put that reports success is what reads back. */
TEST(spaceblock_generation_hostile)
{
	static const unsigned perms[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	/* Each newer than the one before, round the circle: no newest. */
	static const uint16_t cycle[3] = { 0, 20000, 40000 };
	/* 40000 is newer than 7233 (by 32767), but 40001 would not be. */
	static const uint16_t edge[3] = { 40000, 7233, 7233 };
	for (int k = 0; k < 6; k++) {
		struct memdev m;
		struct spaceblock sb;
		struct sb_param got;
		place_entries(&m, cycle, 3, perms[k]);
		memdev_open(&m, &sb);
		CHECK_EQ(sb_param_get(&sb, 5, &got), -SB_ENOENT);
		CHECK(strstr(sb.why, "too far apart"));
		unsigned problems = 0;
		CHECK_EQ(sb_problems(&sb, count_problem, &problems), 3);
		struct sb_param list[32];
		CHECK_EQ(sb_param_list(&sb, list), 0);
		sb_close(&sb);
		put_wins(&m);
		memdev_free(&m);

		place_entries(&m, edge, 3, perms[k]);
		memdev_open(&m, &sb);
		CHECK_EQ(sb_param_get(&sb, 5, &got), 0);
		CHECK_EQ(got.value[0], 'A');
		CHECK_EQ(got.gen, 40000);
		sb_close(&sb);
		put_cut_everywhere(&m, 'A');
		put_wins(&m);
		memdev_free(&m);
	}
}

/* ---- open refuses, and writes nothing ---------------------------------------- */

static int open_copy(const struct memdev *src, struct spaceblock *sb, unsigned long *writes)
{
	struct memdev m;
	struct sb_io io;
	memdev_copy(&m, src);
	memdev_io(&m, &io);
	int rc = sb_open(sb, &io);
	*writes = m.writes;
	CHECK(!memcmp(m.img, src->img, src->size));
	memdev_free(&m);
	return rc;
}

static void resign_super(uint8_t *b0)
{
	put_be32(b0 + 44, ref_crc32c(b0, 44));
}

TEST(spaceblock_open_refusals)
{
	struct memdev m;
	struct spaceblock sb;
	unsigned long writes;
	memdev_init(&m, 100 * 512);
	CHECK_EQ(open_copy(&m, &sb, &writes), -SB_ENOLAYOUT);
	CHECK(strstr(sb.why, "no space-block layout"));
	memdev_free(&m);

	memdev_format(&m, &sb, 512, 100);
	sb_close(&sb);
	CHECK_EQ(open_copy(&m, &sb, &writes), 0);
	sb_close(&sb);

	struct memdev bad;
	memdev_copy(&bad, &m);
	bad.img[0] = 'X';
	CHECK_EQ(open_copy(&bad, &sb, &writes), -SB_EMAGIC);
	CHECK_STR(sb.why, "bad magic: expected 0x53504f53, got 0x58504f53");
	CHECK_EQ(writes, 0);

	memcpy(bad.img, m.img, 512);
	bad.img[0x10] ^= 1; /* dp_size, without a new CRC */
	CHECK_EQ(open_copy(&bad, &sb, &writes), -SB_ECRC);
	CHECK(strstr(sb.why, "superblock CRC mismatch"));

	memcpy(bad.img, m.img, 512);
	bad.img[4] = 2;
	resign_super(bad.img);
	CHECK_EQ(open_copy(&bad, &sb, &writes), -SB_EVERSION);
	CHECK(strstr(sb.why, "unknown format version 2"));

	memcpy(bad.img, m.img, 512);
	memset(bad.img + SB_EXT_OFF, 0, SB_EXT_SIZE); /* a superblock alone */
	CHECK_EQ(open_copy(&bad, &sb, &writes), -SB_ENOLAYOUT);
	CHECK(strstr(sb.why, "no layout record"));

	memcpy(bad.img, m.img, 512);
	bad.img[SB_EXT_OFF + 5] = 12; /* says 4096-byte blocks; CRC now wrong */
	CHECK_EQ(open_copy(&bad, &sb, &writes), -SB_ECRC);

	memcpy(bad.img, m.img, 512);
	struct sb_ext huge = { .version = 1, .block_shift = 9, .catalog_blocks = 65535 };
	sb_ext_encode(&huge, bad.img + SB_EXT_OFF); /* a catalog of 262140 slots */
	CHECK_EQ(open_copy(&bad, &sb, &writes), -SB_EGEOMETRY);
	CHECK(strstr(sb.why, "a catalog of 65535 blocks, not 16"));

	memcpy(bad.img, m.img, 512);
	put_be32(bad.img + 8, 101); /* one block more than the device holds */
	resign_super(bad.img);
	CHECK_EQ(open_copy(&bad, &sb, &writes), -SB_EGEOMETRY);
	CHECK(strstr(sb.why, "truncated"));

	memdev_free(&bad);
	memdev_free(&m);
}

TEST(spaceblock_geometry_per_block_size)
{
	struct memdev m;
	struct spaceblock sb;
	memdev_format(&m, &sb, 512, SB_MIN_BLOCKS);
	CHECK_EQ(sb.nparam, 32);
	CHECK_EQ(sb.nevent, 96);
	CHECK_EQ(sb.ncat, 64);
	CHECK_EQ(sb.super.dp_start, 33);
	CHECK_EQ(sb.super.dp_size, SB_MIN_BLOCKS - 33);
	sb_close(&sb);
	memdev_free(&m);
	memdev_format(&m, &sb, 4096, 64);
	CHECK_EQ(sb.bs, 4096);
	CHECK_EQ(sb.nparam, 256);
	CHECK_EQ(sb.nevent, 848);
	CHECK_EQ(sb.ncat, 512);
	sb_close(&sb);
	memdev_free(&m);

	struct sb_io io;
	char why[SB_WHY];
	struct sb_init in = { .block_size = 512, .total_blocks = SB_MIN_BLOCKS - 1 };
	memdev_init(&m, 1 << 20);
	memdev_io(&m, &io);
	CHECK_EQ(sb_format(&io, &in, why, sizeof(why)), -SB_EGEOMETRY);
	in.block_size = 1024;
	CHECK_EQ(sb_format(&io, &in, why, sizeof(why)), -SB_EINVAL);
	CHECK_EQ(m.writes, 0);
	memdev_free(&m);
}

/* ---- the limits of each area ------------------------------------------------- */

TEST(spaceblock_param_store_full)
{
	struct memdev m;
	struct spaceblock sb;
	memdev_format(&m, &sb, 512, 100);
	/* 32 slots: 31 ids, the last slot stays free for updates */
	for (uint32_t id = 0; id < 31; id++)
		CHECK_EQ(sb_param_put(&sb, id, "v", 1), 0);
	CHECK_EQ(sb_param_put(&sb, 31, "v", 1), -SB_EFULL);
	CHECK(strstr(sb.why, "parameter store full"));
	for (int round = 0; round < 5; round++)
		for (uint32_t id = 0; id < 31; id++)
			CHECK_EQ(sb_param_put(&sb, id, &round, sizeof(round)), 0);
	struct sb_param p;
	CHECK_EQ(sb_param_get(&sb, 30, &p), 0);
	CHECK_EQ(p.gen, 6);
	CHECK_EQ(sb_param_put(&sb, 1, "x", SB_PARAM_MAX + 1), -SB_ETOOLONG);
	CHECK_EQ(sb_param_get(&sb, 99, &p), -SB_ENOENT);
	sb_close(&sb);

	/* Every slot live (a store written by someone else): no put at all. */
	struct sb_param e = { .len = 1, .gen = 1, .value = "v" };
	for (unsigned slot = 0; slot < 32; slot++) {
		e.id = slot;
		sb_param_encode(&e, m.img + 512 * (1 + slot / 2) + SB_PARAM_SIZE * (slot % 2));
	}
	memdev_open(&m, &sb);
	CHECK_EQ(sb_param_put(&sb, 3, "w", 1), -SB_EFULL);
	CHECK(strstr(sb.why, "all 32 slots hold live parameters"));
	CHECK_EQ(sb_param_get(&sb, 3, &p), 0);
	CHECK_EQ(p.value[0], 'v');
	sb_close(&sb);
	memdev_free(&m);
}

/* Nothing at all: a parameter from no bytes, an empty product read into
 * an empty buffer (UBSan watches the NULL pointers). */
TEST(spaceblock_empty_values)
{
	struct memdev m;
	struct spaceblock sb;
	memdev_format(&m, &sb, 512, 100);
	CHECK_EQ(sb_param_put(&sb, 1, NULL, 0), 0);
	struct sb_param p;
	CHECK_EQ(sb_param_get(&sb, 1, &p), 0);
	CHECK_EQ(p.len, 0);
	struct sb_membuf none = { 0 }, out = { 0 };
	CHECK_EQ(sb_dp_write(&sb, "empty", 0, 0, 0, 0, sb_mem_reader, &none, NULL), 0);
	struct sb_dp d;
	CHECK_EQ(sb_dp_find(&sb, "empty", &d), 0);
	CHECK_EQ(sb_dp_read(&sb, &d, sb_mem_writer, &out), 0);
	CHECK_EQ(sb_mem_writer(&out, "", 0), 0);
	CHECK(!out.p && !out.len);
	sb_close(&sb);
	memdev_free(&m);
}

static int put_dp(struct spaceblock *sb, const char *name, size_t len)
{
	uint8_t *data = malloc(len + 1);
	CHECK(data);
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7 + len);
	struct sb_membuf in = { .p = data, .len = len };
	int rc = sb_dp_write(sb, name, 1, 2, 0, len, sb_mem_reader, &in, NULL);
	free(data);
	return rc;
}

TEST(spaceblock_dp_limits)
{
	struct memdev m;
	struct spaceblock sb;
	memdev_format(&m, &sb, 512, SB_DP_START + SB_CATALOG_BLOCKS + 10);
	char name[80];
	memset(name, 'n', 65);
	name[65] = 0;
	CHECK_EQ(put_dp(&sb, name, 10), -SB_ETOOLONG);
	CHECK(strstr(sb.why, "at most 64"));
	name[64] = 0;
	CHECK_EQ(put_dp(&sb, name, 10), 0); /* exactly 64 is fine */
	CHECK_EQ(put_dp(&sb, name, 10), -SB_EEXIST);
	CHECK(strstr(sb.why, "already exists"));
	CHECK_EQ(put_dp(&sb, "", 1), -SB_EINVAL);
	CHECK_EQ(put_dp(&sb, "a", 4 * 512), 0);  /* blocks 1-4 */
	CHECK_EQ(put_dp(&sb, "b", 2 * 512), 0);  /* 5-6 */
	CHECK_EQ(put_dp(&sb, "c", 3 * 512 + 1), -SB_EFULL); /* 4 needed, 3 free */
	CHECK(strstr(sb.why, "data-product area full"));
	CHECK_EQ(sb_dp_delete(&sb, "a"), 0);
	CHECK_EQ(sb_dp_delete(&sb, "a"), -SB_ENOENT);
	CHECK_EQ(put_dp(&sb, "c", 3 * 512 + 1), 0); /* first fit: the freed 1-4 */
	struct sb_dp d;
	CHECK_EQ(sb_dp_find(&sb, "c", &d), 0);
	CHECK_EQ(d.block_offset, SB_CATALOG_BLOCKS + 1);
	CHECK_EQ(d.block_count, 4);
	uint64_t free_blocks, largest;
	sb_dp_space(&sb, &free_blocks, &largest);
	CHECK_EQ(free_blocks, 3);
	CHECK_EQ(largest, 3);
	/* empty products take a catalog slot and no blocks, until it is full */
	unsigned made = 3;
	while (made < sb.ncat) {
		snprintf(name, sizeof(name), "empty%u", made++);
		CHECK_EQ(put_dp(&sb, name, 0), 0);
	}
	CHECK_EQ(put_dp(&sb, "one more", 0), -SB_EFULL);
	CHECK(strstr(sb.why, "catalog full"));
	sb_close(&sb);
	memdev_free(&m);
}

TEST(spaceblock_dp_crc_checked_on_read)
{
	struct memdev m;
	struct spaceblock sb;
	memdev_format(&m, &sb, 512, 100);
	CHECK_EQ(put_dp(&sb, "x", 1000), 0);
	struct sb_dp d;
	CHECK_EQ(sb_dp_find(&sb, "x", &d), 0);
	struct sb_membuf out = { 0 };
	CHECK_EQ(sb_dp_read(&sb, &d, sb_mem_writer, &out), 0);
	CHECK_EQ(out.len, 1000);
	CHECK_EQ(d.data_crc, ref_crc32c(out.p, out.len));
	m.img[(size_t)(SB_DP_START + d.block_offset) * 512 + 999] ^= 0x10;
	out.len = 0;
	CHECK_EQ(sb_dp_read(&sb, &d, sb_mem_writer, &out), -SB_EDATACRC);
	CHECK(strstr(sb.why, "data CRC mismatch"));
	free(out.p);
	sb_close(&sb);
	memdev_free(&m);
}

TEST(spaceblock_event_ring_wraps)
{
	struct memdev m;
	struct spaceblock sb;
	memdev_format(&m, &sb, 512, 100);
	for (unsigned i = 1; i <= 250; i++) {
		struct sb_event e = { .timestamp = i, .code = i, .severity = SB_INFO, .len = 1 };
		CHECK_EQ(sb_event_write(&sb, &e), 0);
		CHECK_EQ(e.seq, i);
	}
	sb_close(&sb);
	memdev_open(&m, &sb); /* the newest is found again by scanning */
	CHECK_EQ(sb_event_count(&sb), 250);
	struct sb_event got[200];
	size_t n = sb_event_recent(&sb, got, 200);
	CHECK_EQ(n, 96);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ(got[i].code, 250 - i);
	struct sb_event big = { .len = SB_EVENT_MAX + 1 };
	CHECK_EQ(sb_event_write(&sb, &big), -SB_ETOOLONG);
	struct sb_event sev = { .severity = SB_NSEVERITY };
	CHECK_EQ(sb_event_write(&sb, &sev), -SB_EINVAL);
	CHECK_EQ(sb_event_count(&sb), 250);
	sb_close(&sb);
	memdev_free(&m);
}

/* A store whose last sequence numbers another writer used up: writes
 * fail, where a wrap to 0 would have written records that read as
 * corrupt, reported as written. */
TEST(spaceblock_sequence_exhausted)
{
	struct memdev m;
	struct spaceblock sb;
	memdev_format(&m, &sb, 512, 100);
	sb_close(&sb);
	struct sb_event last = { .seq = UINT64_MAX, .len = 4, .payload = "last" };
	unsigned slot = (unsigned)((UINT64_MAX - 1) % 96);
	sb_event_encode(&last, m.img + 512 * (17 + slot / 6) + SB_EVENT_SIZE * (slot % 6));
	struct sb_dp top = { .block_offset = SB_CATALOG_BLOCKS, .name_len = 3, .name = "top",
			     .seq = UINT64_MAX };
	sb_dp_encode(&top, m.img + 512 * SB_DP_START);
	memdev_open(&m, &sb);
	m.writes = 0;
	CHECK_EQ(sb_event_count(&sb), UINT64_MAX);
	struct sb_event e = { .len = 1, .payload = "x" };
	CHECK_EQ(sb_event_write(&sb, &e), -SB_EFULL);
	CHECK(strstr(sb.why, "last there is"));
	CHECK_EQ(put_dp(&sb, "next", 10), -SB_EFULL);
	CHECK(strstr(sb.why, "last there is"));
	CHECK_EQ(m.writes, 0);
	sb_close(&sb);
	memdev_free(&m);
}

struct seen {
	unsigned n;
	char areas[8][16];
};

static void note_problem(void *ctx, const char *area, unsigned slot, const char *what)
{
	struct seen *s = ctx;
	(void)what;
	CHECK_EQ(slot, 0);
	if (s->n < 8)
		snprintf(s->areas[s->n], sizeof(s->areas[0]), "%s", area);
	s->n++;
}

TEST(spaceblock_problems_reported)
{
	struct memdev m;
	struct spaceblock sb;
	memdev_format(&m, &sb, 512, 100);
	CHECK_EQ(sb_param_put(&sb, 1, "a", 1), 0);
	struct sb_event e = { .len = 0 };
	CHECK_EQ(sb_event_write(&sb, &e), 0);
	CHECK_EQ(put_dp(&sb, "p", 10), 0);
	struct seen none = { 0 };
	CHECK_EQ(sb_problems(&sb, note_problem, &none), 0);
	sb_close(&sb);
	m.img[512 + 20] ^= 1;               /* param slot 0 */
	m.img[17 * 512 + 3] ^= 1;           /* event slot 0 */
	m.img[SB_DP_START * 512 + 40] ^= 1; /* catalog slot 0 */
	memdev_open(&m, &sb);
	struct seen s = { 0 };
	CHECK_EQ(sb_problems(&sb, note_problem, &s), 3);
	CHECK_STR(s.areas[0], "param");
	CHECK_STR(s.areas[1], "event");
	CHECK_STR(s.areas[2], "catalog");
	/* what failed its check is gone, and nothing else is */
	struct sb_param p;
	CHECK_EQ(sb_param_get(&sb, 1, &p), -SB_ENOENT);
	CHECK_EQ(sb_event_count(&sb), 0);
	struct sb_dp d;
	CHECK_EQ(sb_dp_find(&sb, "p", &d), -SB_ENOENT);
	sb_close(&sb);
	memdev_free(&m);
}
