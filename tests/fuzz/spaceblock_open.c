/* Fuzz spaceblock's open and every operation on whatever image comes in:
 * nothing may read or write outside the device, crash, or leak, and what
 * a write reported done must read back after reopening.
 * The fuzz build links core only, so the store's two files come in here. */
#include "../../applets/spaceblock/format.c"
#include "../../applets/spaceblock/store.c"

#define MIN_IMAGE (64 * 512) /* room for a 512-byte-block layout */

struct fuzzdev {
	uint8_t *img;
	size_t size;
};

static int fz_read(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct fuzzdev *d = ctx;
	if (off > d->size || len > d->size - off)
		abort(); /* the store must never ask past the device */
	memcpy(buf, d->img + off, len);
	return 0;
}

static int fz_write(void *ctx, const void *buf, size_t len, uint64_t off)
{
	struct fuzzdev *d = ctx;
	if (off > d->size || len > d->size - off)
		abort();
	memcpy(d->img + off, buf, len);
	return 0;
}

static void ignore_problem(void *ctx, const char *area, unsigned slot, const char *what)
{
	(void)ctx, (void)area, (void)slot, (void)what;
}

/* What the writes that reported success left, checked after a reopen. */
struct written {
	bool param, event, dp;
	uint64_t seq;
};

static void exercise(struct spaceblock *sb, struct written *w)
{
	struct sb_param *p = calloc(sb->nparam, sizeof(*p));
	struct sb_event *e = calloc(sb->nevent, sizeof(*e));
	struct sb_dp *d = calloc(sb->ncat, sizeof(*d));
	if (p && e && d) {
		sb_param_list(sb, p);
		sb_event_recent(sb, e, sb->nevent);
		size_t n = sb_dp_list(sb, d);
		for (size_t i = 0; i < n; i++)
			sb_dp_read(sb, &d[i], NULL, NULL);
		uint64_t free_blocks, largest;
		sb_dp_space(sb, &free_blocks, &largest);
		sb_problems(sb, ignore_problem, NULL);
		if (n)
			sb_dp_delete(sb, d[0].name);
		w->param = !sb_param_put(sb, 1, "fuzz", 4);
		struct sb_event ev = { .len = 3, .payload = "abc" };
		w->event = !sb_event_write(sb, &ev);
		w->seq = ev.seq;
		struct sb_membuf in = { .p = (uint8_t *)"0123456789", .len = 10 };
		w->dp = !sb_dp_write(sb, "fuzz", 1, 1, 0, 10, sb_mem_reader, &in, NULL);
	}
	free(p);
	free(e);
	free(d);
}

/* A write that reported success reads back. */
static void check(struct spaceblock *sb, const struct written *w)
{
	struct sb_param p;
	if (w->param && (sb_param_get(sb, 1, &p) || p.len != 4 || memcmp(p.value, "fuzz", 4)))
		abort();
	struct sb_event e;
	if (w->event && (sb_event_count(sb) != w->seq || sb_event_recent(sb, &e, 1) != 1 ||
			 e.seq != w->seq || e.len != 3 || memcmp(e.payload, "abc", 3)))
		abort();
	struct sb_dp d;
	struct sb_membuf out = { 0 };
	if (w->dp && (sb_dp_find(sb, "fuzz", &d) || sb_dp_read(sb, &d, sb_mem_writer, &out) ||
		      out.len != 10 || memcmp(out.p, "0123456789", 10)))
		abort();
	free(out.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzzdev dev = { .size = size < MIN_IMAGE ? MIN_IMAGE : size };
	dev.img = calloc(1, dev.size);
	if (!dev.img)
		return 0;
	memcpy(dev.img, data, size);
	struct sb_io io = { fz_read, fz_write, NULL, &dev, dev.size };
	struct spaceblock sb;
	if (!sb_open(&sb, &io)) {
		struct written w = { 0 };
		sb.sync = false;
		exercise(&sb, &w);
		sb_close(&sb);
		if (sb_open(&sb, &io))
			abort(); /* the writes made it unreadable */
		check(&sb, &w);
		sb_close(&sb);
	} else {
		/* what inspect reads of a damaged block 0: the records, never a
		 * write */
		char note[SB_WHY];
		uint8_t *before = malloc(dev.size);
		if (before && !sb_open_salvage(&sb, &io, note, sizeof(note))) {
			memcpy(before, dev.img, dev.size);
			struct sb_param *p = calloc(sb.nparam + 1, sizeof(*p));
			struct sb_dp *d = calloc(sb.ncat + 1, sizeof(*d));
			if (p && d) {
				sb_param_list(&sb, p);
				sb_dp_list(&sb, d);
				sb_problems(&sb, ignore_problem, NULL);
			}
			if (!sb_param_put(&sb, 1, "x", 1) || memcmp(before, dev.img, dev.size))
				abort(); /* a salvaged view is read-only */
			free(p);
			free(d);
			sb_close(&sb);
		}
		free(before);
	}
	free(dev.img);
	return 0;
}
