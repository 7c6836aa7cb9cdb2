/* spaceblock_crash.c - power cuts. Each operation (a parameter update, a
 * new parameter, an event write, a data-product write and a delete) is
 * run once to count its sector writes, then again from the same starting
 * image with the power cut at each of those writes, the last sector
 * landing not at all or torn at several points, and the writes before it
 * since the last sync either landed or lost (a write cache). After every
 * cut the image is reopened: everything committed before must be there,
 * the operation must be wholly done or not at all, and the store must
 * take new writes. */
#include "spaceblock_memdev.h"
#include "test.h"

#define TARGET_ID 3
#define NEW_ID 50

struct snapshot {
	struct sb_param params[256];
	size_t nparams;
	struct sb_event events[848];
	size_t nevents;
	uint64_t count;
	struct sb_dp dps[64];
	struct sb_membuf data[64];
	size_t ndps;
};

/* What the store holds, read through its API; data checked by CRC. */
static struct snapshot *take(struct spaceblock *sb)
{
	struct snapshot *s = calloc(1, sizeof(*s));
	CHECK(s);
	s->nparams = sb_param_list(sb, s->params);
	s->count = sb_event_count(sb);
	s->nevents = sb_event_recent(sb, s->events, 848);
	struct sb_dp *all = calloc(sb->ncat, sizeof(*all));
	CHECK(all);
	s->ndps = sb_dp_list(sb, all);
	CHECK(s->ndps <= 64);
	for (size_t i = 0; i < s->ndps; i++) {
		s->dps[i] = all[i];
		CHECK_EQ(sb_dp_read(sb, &all[i], sb_mem_writer, &s->data[i]), 0);
	}
	free(all);
	return s;
}

static void drop(struct snapshot *s)
{
	for (size_t i = 0; i < s->ndps; i++)
		free(s->data[i].p);
	free(s);
}

static const struct sb_param *find_param(const struct snapshot *s, uint32_t id)
{
	for (size_t i = 0; i < s->nparams; i++)
		if (s->params[i].id == id)
			return &s->params[i];
	return NULL;
}

static int find_dp(const struct snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->ndps; i++)
		if (!strcmp(s->dps[i].name, name))
			return (int)i;
	return -1;
}

static bool same_param(const struct sb_param *a, const struct sb_param *b)
{
	return a && b && a->id == b->id && a->gen == b->gen && a->len == b->len &&
	       !memcmp(a->value, b->value, a->len);
}

static bool same_event(const struct sb_event *a, const struct sb_event *b)
{
	return a->seq == b->seq && a->timestamp == b->timestamp && a->code == b->code &&
	       a->len == b->len && !memcmp(a->payload, b->payload, a->len);
}

static bool same_dp(const struct snapshot *a, size_t i, const struct snapshot *b, size_t j)
{
	const struct sb_dp *x = &a->dps[i], *y = &b->dps[j];
	return x->block_offset == y->block_offset && x->block_count == y->block_count &&
	       x->length == y->length && x->data_crc == y->data_crc &&
	       a->data[i].len == b->data[j].len &&
	       (!a->data[i].len || !memcmp(a->data[i].p, b->data[j].p, a->data[i].len));
}

/* ---- the operations ---------------------------------------------------------------- */

static uint8_t *pattern(size_t len, unsigned seed)
{
	uint8_t *p = malloc(len + 1);
	CHECK(p);
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 131 + seed * 7 + (i >> 9));
	return p;
}

static size_t new_dp_len(const struct spaceblock *sb) { return 5 * sb->bs + 17; }

static int op_update(struct spaceblock *sb) { return sb_param_put(sb, TARGET_ID, "updated", 7); }
static int op_new_param(struct spaceblock *sb) { return sb_param_put(sb, NEW_ID, "fresh", 5); }
static int op_event(struct spaceblock *sb)
{
	struct sb_event e = { .timestamp = 999, .code = 4242, .severity = SB_ERROR, .len = 5 };
	memcpy(e.payload, "crash", 5);
	return sb_event_write(sb, &e);
}
static int op_dp_write(struct spaceblock *sb)
{
	size_t len = new_dp_len(sb);
	uint8_t *data = pattern(len, 77);
	struct sb_membuf in = { .p = data, .len = len };
	int rc = sb_dp_write(sb, "new", 3, 4, 5, len, sb_mem_reader, &in, NULL);
	free(data);
	return rc;
}
static int op_dp_delete(struct spaceblock *sb) { return sb_dp_delete(sb, "a"); }

/* ---- the checks ------------------------------------------------------------------- */

static void check_params(const struct snapshot *b, const struct snapshot *a, int (*op)(struct spaceblock *))
{
	for (size_t i = 0; i < b->nparams; i++) {
		const struct sb_param *before = &b->params[i];
		const struct sb_param *after = find_param(a, before->id);
		if (op == op_update && before->id == TARGET_ID && !same_param(before, after)) {
			CHECK(after);
			CHECK_EQ(after->gen, (uint16_t)(before->gen + 1));
			CHECK(after->len == 7 && !memcmp(after->value, "updated", 7));
		} else {
			CHECK(same_param(before, after));
		}
	}
	const struct sb_param *fresh = find_param(a, NEW_ID);
	CHECK(!fresh || (op == op_new_param && fresh->gen == 1 && fresh->len == 5 &&
			 !memcmp(fresh->value, "fresh", 5)));
	CHECK_EQ(a->nparams, b->nparams + (fresh != NULL));
}

/* The ring may lose its oldest event to the write that replaces it. */
static void check_events(const struct snapshot *b, const struct snapshot *a, size_t ring,
			 int (*op)(struct spaceblock *))
{
	bool wrote = a->count == b->count + 1;
	CHECK(a->count == b->count || (op == op_event && wrote));
	if (wrote)
		CHECK(a->events[0].seq == a->count && a->events[0].code == 4242 &&
		      a->events[0].len == 5 && !memcmp(a->events[0].payload, "crash", 5));
	uint64_t oldest_kept = b->count + 2 > ring ? b->count + 2 - ring : 1;
	for (size_t i = 0; i < b->nevents; i++) {
		const struct sb_event *e = &b->events[i];
		if (e->seq < oldest_kept)
			continue;
		size_t j = (size_t)(a->count - e->seq);
		CHECK(j < a->nevents && same_event(e, &a->events[j]));
	}
}

static void check_products(const struct snapshot *b, const struct snapshot *a,
			   int (*op)(struct spaceblock *), unsigned bs)
{
	size_t kept = 0;
	for (size_t i = 0; i < b->ndps; i++) {
		int j = find_dp(a, b->dps[i].name);
		if (op == op_dp_delete && !strcmp(b->dps[i].name, "a") && j < 0)
			continue;
		CHECK(j >= 0 && same_dp(b, i, a, (size_t)j));
		kept++;
	}
	int n = find_dp(a, "new");
	if (n >= 0) {
		size_t len = 5 * bs + 17;
		uint8_t *want = pattern(len, 77);
		CHECK(op == op_dp_write && a->data[n].len == len && !memcmp(a->data[n].p, want, len));
		free(want);
	}
	CHECK_EQ(a->ndps, kept + (n >= 0));
}

/* After the cut the store must take new writes, and keep them. */
static void check_writable(struct memdev *m, unsigned bs)
{
	struct spaceblock sb;
	memdev_open(m, &sb);
	CHECK_EQ(sb_param_put(&sb, TARGET_ID, "later", 5), 0);
	CHECK_EQ(op_event(&sb), 0);
	uint8_t *data = pattern(2 * bs, 5);
	struct sb_membuf in = { .p = data, .len = 2 * bs };
	CHECK_EQ(sb_dp_write(&sb, "later", 0, 0, 0, in.len, sb_mem_reader, &in, NULL), 0);
	sb_close(&sb);
	memdev_open(m, &sb);
	struct snapshot *s = take(&sb); /* every product's CRC still checks */
	const struct sb_param *p = find_param(s, TARGET_ID);
	CHECK(p && p->len == 5 && !memcmp(p->value, "later", 5));
	int j = find_dp(s, "later");
	CHECK(j >= 0 && !memcmp(s->data[j].p, data, 2 * bs));
	drop(s);
	free(data);
	sb_close(&sb);
}

/* ---- the runs --------------------------------------------------------------------- */

/* Parameters with superseded generations, a wrapped event ring, products
 * with a hole between them. */
static void build_base(struct memdev *m, unsigned bs)
{
	struct spaceblock sb;
	memdev_format(m, &sb, bs, SB_DP_START + SB_CATALOG_BLOCKS + 40);
	for (int round = 0; round < 2; round++)
		for (uint32_t id = 1; id <= 10; id++) {
			char v[32];
			int n = snprintf(v, sizeof(v), "value %u/%d", id, round);
			CHECK_EQ(sb_param_put(&sb, id, v, (size_t)n), 0);
		}
	for (unsigned i = 0; i < sb.nevent + 5; i++) {
		struct sb_event e = { .timestamp = i, .code = i, .len = 4 };
		memcpy(e.payload, &i, 4);
		CHECK_EQ(sb_event_write(&sb, &e), 0);
	}
	const char *names[] = { "a", "b", "c", "d" };
	const size_t lens[] = { 3 * bs + 5, bs, 0, 2 * bs };
	for (unsigned i = 0; i < 4; i++) {
		uint8_t *data = pattern(lens[i], i);
		struct sb_membuf in = { .p = data, .len = lens[i] };
		CHECK_EQ(sb_dp_write(&sb, names[i], 1, 1, 1, lens[i], sb_mem_reader, &in, NULL), 0);
		free(data);
	}
	CHECK_EQ(sb_dp_delete(&sb, "b"), 0);
	sb_close(&sb);
}

static unsigned long count_writes(const struct memdev *base, int (*op)(struct spaceblock *))
{
	struct memdev m;
	struct spaceblock sb;
	memdev_copy(&m, base);
	memdev_open(&m, &sb);
	CHECK_EQ(op(&sb), 0);
	sb_close(&sb);
	memdev_free(&m);
	return m.writes;
}

static void cut_once(const struct memdev *base, const struct snapshot *before, unsigned bs,
		     int (*op)(struct spaceblock *), unsigned long cut, size_t tear,
		     bool lose_unsynced)
{
	struct memdev m;
	struct spaceblock sb;
	memdev_copy(&m, base);
	memdev_open(&m, &sb);
	size_t ring = sb.nevent;
	m.budget = (long)cut;
	m.tear = tear;
	m.lose_unsynced = lose_unsynced;
	CHECK(op(&sb) < 0);
	sb_close(&sb);
	m.cut = false; /* power back */
	m.budget = -1;
	memdev_open(&m, &sb);
	struct snapshot *after = take(&sb);
	sb_close(&sb);
	check_params(before, after, op);
	check_events(before, after, ring, op);
	check_products(before, after, op, bs);
	drop(after);
	check_writable(&m, bs);
	memdev_free(&m);
}

static void crash_every_write(unsigned bs, int (*op)(struct spaceblock *))
{
	struct memdev base;
	struct spaceblock sb;
	build_base(&base, bs);
	memdev_open(&base, &sb);
	struct snapshot *before = take(&sb);
	sb_close(&sb);
	unsigned long writes = count_writes(&base, op);
	CHECK(writes >= bs / MEMDEV_SECTOR);
	const size_t tears[] = { 0, 1, 8, 137, 300, MEMDEV_SECTOR - 1 };
	for (unsigned long cut = 0; cut < writes; cut++)
		for (size_t t = 0; t < sizeof(tears) / sizeof(tears[0]); t++)
			for (int lose = 0; lose < 2; lose++)
				cut_once(&base, before, bs, op, cut, tears[t], lose);
	drop(before);
	memdev_free(&base);
}

TEST(spaceblock_crash_param_update) { crash_every_write(512, op_update); crash_every_write(4096, op_update); }
TEST(spaceblock_crash_param_new) { crash_every_write(512, op_new_param); crash_every_write(4096, op_new_param); }
TEST(spaceblock_crash_event_write) { crash_every_write(512, op_event); crash_every_write(4096, op_event); }
TEST(spaceblock_crash_dp_write) { crash_every_write(512, op_dp_write); crash_every_write(4096, op_dp_write); }
TEST(spaceblock_crash_dp_delete) { crash_every_write(512, op_dp_delete); crash_every_write(4096, op_dp_delete); }
