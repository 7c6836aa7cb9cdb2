/* spaceblock_model.c - thousands of random parameter puts, event writes,
 * data-product writes and deletes, and reopens, against the store and an
 * in-memory model of what it must hold; the two are compared after every
 * step. The model knows the rules (newest generation, +1 per put, one
 * slot kept for updates, ring of the last N events, first-fit allocation)
 * but none of the store's code. */
#include "spaceblock_memdev.h"
#include "test.h"

#define NNAMES 90

struct mparam {
	bool present;
	uint16_t gen, len;
	uint8_t val[SB_PARAM_MAX];
};

struct mdp {
	bool present;
	uint16_t cls;
	uint8_t prio;
	size_t len;
	uint8_t *data;
	uint32_t off, count;
	uint64_t order;
};

struct model {
	unsigned bs, nparam, nevent, ncat, catalog, area; /* area: dp_size */
	unsigned nids; /* ids drawn from: more than fit */
	struct mparam *param;
	unsigned live_ids;
	struct sb_event *ev;
	size_t nev;
	struct mdp dp[NNAMES];
	unsigned ndp;
	uint8_t *used; /* per block of the data-product area */
	uint64_t order;
	uint64_t rng;
	unsigned outcomes[4][SB_EBROKEN + 1]; /* per operation, per error (0: success) */
};

enum { OP_PUT, OP_DP_WRITE, OP_DP_DELETE, OP_REOPEN };

static uint64_t rnd(struct model *m)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return m->rng;
}

static uint32_t id_of(unsigned i) { return i * 1000u + 7u; }

static void name_of(unsigned i, char *buf, size_t len)
{
	snprintf(buf, len, "product/%02u.dat", i);
}

/* ---- operations, each predicting its own result --------------------------------- */

static void op_put(struct model *m, struct spaceblock *sb)
{
	unsigned i = (unsigned)(rnd(m) % m->nids);
	struct mparam *p = &m->param[i];
	uint8_t val[SB_PARAM_MAX + 16];
	size_t len = rnd(m) % 50 ? rnd(m) % (SB_PARAM_MAX + 1) : SB_PARAM_MAX + 1 + rnd(m) % 15;
	for (size_t k = 0; k < len; k++)
		val[k] = (uint8_t)rnd(m);
	int want = 0;
	if (len > SB_PARAM_MAX)
		want = -SB_ETOOLONG;
	else if (!p->present && m->live_ids >= m->nparam - 1)
		want = -SB_EFULL;
	CHECK_EQ(sb_param_put(sb, id_of(i), val, len), want);
	m->outcomes[OP_PUT][-want]++;
	if (want)
		return;
	p->gen = p->present ? (uint16_t)(p->gen + 1) : 1;
	m->live_ids += !p->present;
	p->present = true;
	p->len = (uint16_t)len;
	memcpy(p->val, val, len);
}

static void op_event(struct model *m, struct spaceblock *sb)
{
	struct sb_event e = {
		.timestamp = rnd(m), .code = (uint32_t)rnd(m),
		.severity = (uint8_t)(rnd(m) % SB_NSEVERITY), .len = (uint8_t)(rnd(m) % (SB_EVENT_MAX + 1)),
	};
	for (unsigned k = 0; k < e.len; k++)
		e.payload[k] = (uint8_t)rnd(m);
	CHECK_EQ(sb_event_write(sb, &e), 0);
	m->ev[m->nev++] = e;
	CHECK_EQ(e.seq, m->nev);
}

/* First fit over the model's block map; -1 when nothing fits. */
static int64_t model_fit(const struct model *m, uint32_t count)
{
	if (!count)
		return m->catalog;
	uint32_t run = 0;
	for (uint32_t b = m->catalog; b < m->area; b++) {
		run = m->used[b] ? 0 : run + 1;
		if (run == count)
			return b + 1 - count;
	}
	return -1;
}

static size_t dp_size_pick(struct model *m)
{
	unsigned r = (unsigned)(rnd(m) % 10);
	if (r < 2)
		return 0;
	if (r < 6)
		return 1 + rnd(m) % m->bs;
	if (r < 9)
		return 1 + rnd(m) % (4 * m->bs);
	return 1 + rnd(m) % (12 * m->bs);
}

static int dp_expect(struct model *m, unsigned i, bool long_name, uint32_t count, int64_t *at)
{
	*at = -1;
	if (long_name)
		return -SB_ETOOLONG;
	if (m->dp[i].present)
		return -SB_EEXIST;
	if (count > m->area)
		return -SB_EFULL;
	if (m->ndp == m->ncat)
		return -SB_EFULL;
	*at = model_fit(m, count);
	return *at < 0 ? -SB_EFULL : 0;
}

static void op_dp_write(struct model *m, struct spaceblock *sb)
{
	unsigned i = (unsigned)(rnd(m) % NNAMES);
	bool long_name = rnd(m) % 40 == 0;
	char name[96];
	if (long_name)
		snprintf(name, sizeof(name), "%0*u", 65 + (int)(rnd(m) % 20), i);
	else
		name_of(i, name, sizeof(name));
	size_t len = dp_size_pick(m);
	uint8_t *data = malloc(len + 1);
	CHECK(data);
	for (size_t k = 0; k < len; k++)
		data[k] = (uint8_t)rnd(m);
	uint32_t count = (uint32_t)((len + m->bs - 1) / m->bs);
	int64_t at;
	int want = dp_expect(m, i, long_name, count, &at);
	uint16_t cls = (uint16_t)rnd(m);
	uint8_t prio = (uint8_t)rnd(m);
	struct sb_membuf in = { .p = data, .len = len };
	struct sb_dp got;
	CHECK_EQ(sb_dp_write(sb, name, cls, prio, 0, len, sb_mem_reader, &in, &got), want);
	m->outcomes[OP_DP_WRITE][-want]++;
	if (want) {
		free(data);
		return;
	}
	CHECK_EQ(got.block_offset, at);
	struct mdp *d = &m->dp[i];
	*d = (struct mdp){ true, cls, prio, len, data, (uint32_t)at, count, ++m->order };
	memset(m->used + at, 1, count);
	m->ndp++;
}

static void op_dp_delete(struct model *m, struct spaceblock *sb)
{
	unsigned i = (unsigned)(rnd(m) % NNAMES);
	char name[32];
	name_of(i, name, sizeof(name));
	struct mdp *d = &m->dp[i];
	CHECK_EQ(sb_dp_delete(sb, name), d->present ? 0 : -SB_ENOENT);
	m->outcomes[OP_DP_DELETE][d->present ? 0 : SB_ENOENT]++;
	if (!d->present)
		return;
	memset(m->used + d->off, 0, d->count);
	free(d->data);
	*d = (struct mdp){ 0 };
	m->ndp--;
}

/* ---- comparison ----------------------------------------------------------------------- */

static void same_params(const struct model *m, struct spaceblock *sb)
{
	struct sb_param *got = calloc(sb->nparam, sizeof(*got));
	CHECK(got);
	size_t n = sb_param_list(sb, got), k = 0;
	CHECK_EQ(n, m->live_ids);
	for (unsigned i = 0; i < m->nids; i++) {
		const struct mparam *p = &m->param[i];
		if (!p->present)
			continue;
		CHECK_EQ(got[k].id, id_of(i));
		CHECK_EQ(got[k].gen, p->gen);
		CHECK_EQ(got[k].len, p->len);
		CHECK(!memcmp(got[k].value, p->val, p->len));
		k++;
	}
	free(got);
}

static void same_events(const struct model *m, struct spaceblock *sb)
{
	CHECK_EQ(sb_event_count(sb), m->nev);
	struct sb_event *got = calloc(sb->nevent, sizeof(*got));
	CHECK(got);
	size_t n = sb_event_recent(sb, got, sb->nevent);
	CHECK_EQ(n, m->nev < m->nevent ? m->nev : m->nevent);
	for (size_t k = 0; k < n; k++) {
		const struct sb_event *w = &m->ev[m->nev - 1 - k];
		CHECK_EQ(got[k].seq, m->nev - k);
		CHECK_EQ(got[k].timestamp, w->timestamp);
		CHECK_EQ(got[k].code, w->code);
		CHECK_EQ(got[k].severity, w->severity);
		CHECK_EQ(got[k].len, w->len);
		CHECK(!memcmp(got[k].payload, w->payload, w->len));
	}
	free(got);
}

static void same_data(struct spaceblock *sb, const struct sb_dp *d, const struct mdp *w)
{
	struct sb_membuf out = { 0 };
	CHECK_EQ(sb_dp_read(sb, d, sb_mem_writer, &out), 0);
	CHECK_EQ(out.len, w->len);
	CHECK(!w->len || !memcmp(out.p, w->data, w->len));
	free(out.p);
}

/* The catalog in write order, its extents, the free space; the data too
 * when `data`. */
static void same_products(const struct model *m, struct spaceblock *sb, bool data)
{
	struct sb_dp *got = calloc(sb->ncat, sizeof(*got));
	CHECK(got);
	size_t n = sb_dp_list(sb, got);
	CHECK_EQ(n, m->ndp);
	uint64_t last = 0;
	for (size_t k = 0; k < n; k++) {
		unsigned i;
		CHECK_EQ(sscanf(got[k].name, "product/%u.dat", &i), 1);
		CHECK(i < NNAMES);
		const struct mdp *w = &m->dp[i];
		CHECK(w->present);
		CHECK(w->order > last); /* listed oldest first */
		last = w->order;
		CHECK_EQ(got[k].dp_class, w->cls);
		CHECK_EQ(got[k].priority, w->prio);
		CHECK_EQ(got[k].length, w->len);
		CHECK_EQ(got[k].block_offset, w->off);
		CHECK_EQ(got[k].block_count, w->count);
		if (data)
			same_data(sb, &got[k], w);
	}
	uint64_t free_blocks, largest, mfree = 0, run = 0, mlargest = 0;
	sb_dp_space(sb, &free_blocks, &largest);
	for (uint32_t b = m->catalog; b < m->area; b++) {
		run = m->used[b] ? 0 : run + 1;
		mfree += !m->used[b];
		mlargest = run > mlargest ? run : mlargest;
	}
	CHECK_EQ(free_blocks, mfree);
	CHECK_EQ(largest, mlargest);
	free(got);
}

static void run_model(unsigned bs, uint32_t payload_blocks, unsigned steps, uint64_t seed)
{
	struct memdev dev;
	struct spaceblock sb;
	uint32_t blocks = SB_DP_START + SB_CATALOG_BLOCKS + payload_blocks;
	memdev_format(&dev, &sb, bs, blocks);
	struct model *m = calloc(1, sizeof(*m));
	CHECK(m);
	m->bs = bs;
	m->nparam = sb.nparam, m->nevent = sb.nevent, m->ncat = sb.ncat;
	m->catalog = SB_CATALOG_BLOCKS, m->area = blocks - SB_DP_START;
	m->nids = m->nparam + m->nparam / 8 + 4;
	m->param = calloc(m->nids, sizeof(*m->param));
	m->ev = calloc(steps, sizeof(*m->ev));
	m->used = calloc(m->area, 1);
	m->rng = seed;
	CHECK(m->param && m->ev && m->used);
	for (unsigned step = 0; step < steps; step++) {
		unsigned r = (unsigned)(rnd(m) % 100);
		if (r < 35)
			op_put(m, &sb);
		else if (r < 58)
			op_event(m, &sb);
		else if (r < 80)
			op_dp_write(m, &sb);
		else if (r < 97)
			op_dp_delete(m, &sb);
		else {
			sb_close(&sb);
			memdev_open(&dev, &sb);
			m->outcomes[OP_REOPEN][0]++;
		}
		same_params(m, &sb);
		same_events(m, &sb);
		same_products(m, &sb, r >= 97 || step % 50 == 0);
	}
	/* The run went through every path it is meant to test. */
	CHECK(m->outcomes[OP_PUT][0] && m->outcomes[OP_PUT][SB_EFULL] &&
	      m->outcomes[OP_PUT][SB_ETOOLONG]);
	CHECK(m->outcomes[OP_DP_WRITE][0] && m->outcomes[OP_DP_WRITE][SB_EFULL] &&
	      m->outcomes[OP_DP_WRITE][SB_EEXIST] && m->outcomes[OP_DP_WRITE][SB_ETOOLONG]);
	CHECK(m->outcomes[OP_DP_DELETE][0] && m->outcomes[OP_DP_DELETE][SB_ENOENT]);
	CHECK(m->outcomes[OP_REOPEN][0]);
	CHECK(m->nev > m->nevent); /* the ring wrapped */
	sb_close(&sb);
	for (unsigned i = 0; i < NNAMES; i++)
		free(m->dp[i].data);
	free(m->param);
	free(m->ev);
	free(m->used);
	free(m);
	memdev_free(&dev);
}

TEST(spaceblock_model_512)
{
	run_model(512, 60, 4000, 0x9E3779B97F4A7C15ull);
}

TEST(spaceblock_model_4096)
{
	run_model(4096, 60, 4000, 0xD1B54A32D192ED03ull);
}

/* One id through more than 65536 generations, with a second id moving
 * alongside: the newest value always wins, also after reopening around
 * the wrap. */
TEST(spaceblock_generation_hammer)
{
	struct memdev dev;
	struct spaceblock sb;
	memdev_format(&dev, &sb, 512, 100);
	struct sb_param p;
	for (uint32_t n = 1; n <= 70000; n++) {
		CHECK_EQ(sb_param_put(&sb, 1, &n, sizeof(n)), 0);
		if (n % 7 == 0)
			CHECK_EQ(sb_param_put(&sb, 2, &n, sizeof(n)), 0);
		if (n % 4999 == 0 || (n >= 65534 && n <= 65538)) {
			sb_close(&sb);
			memdev_open(&dev, &sb);
		}
		CHECK_EQ(sb_param_get(&sb, 1, &p), 0);
		CHECK_EQ(p.gen, (uint16_t)n);
		uint32_t v;
		memcpy(&v, p.value, sizeof(v));
		CHECK_EQ(v, n);
	}
	CHECK_EQ(sb_param_get(&sb, 2, &p), 0);
	CHECK_EQ(p.gen, 10000);
	sb_close(&sb);
	memdev_free(&dev);
}
