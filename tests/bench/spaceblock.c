/* spaceblock bench: operations per second of the store on an image file,
 * with and without a flush per operation, for both block sizes.
 *   build/bench/spaceblock DIR   (the image goes in DIR) */
#include "../../applets/spaceblock/store.h"
#include "clock.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUDGET_NS 1000000000ull /* run each measurement about a second */

struct bench {
	struct spaceblock sb;
	int fd;
	uint64_t ops;
	uint64_t ns; /* time spent inside the measured calls */
};

static int open_image(struct bench *b, const char *path, unsigned bs, uint32_t blocks)
{
	unlink(path);
	b->fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	uint64_t size = (uint64_t)blocks * bs;
	if (b->fd < 0 || ftruncate(b->fd, (off_t)size)) {
		perror(path);
		return -1;
	}
	struct sb_io io;
	sb_io_fd(&io, &b->fd, size);
	char why[SB_WHY];
	struct sb_init in = { .block_size = bs, .total_blocks = blocks };
	if (sb_format(&io, &in, why, sizeof(why)) || sb_open(&b->sb, &io)) {
		fprintf(stderr, "%s: %s\n", path, why);
		return -1;
	}
	return 0;
}

static void close_image(struct bench *b, const char *path)
{
	sb_close(&b->sb);
	close(b->fd);
	unlink(path);
}

typedef int (*op_fn)(struct bench *b, uint64_t i, void *ctx);

static int run(struct bench *b, op_fn op, void *ctx)
{
	b->ops = b->ns = 0;
	while (b->ns < BUDGET_NS && b->ops < 2000000) {
		uint64_t t0 = clock_ns();
		if (op(b, b->ops, ctx)) {
			fprintf(stderr, "bench: %s\n", b->sb.why);
			return -1;
		}
		b->ns += clock_ns() - t0;
		b->ops++;
	}
	return 0;
}

static int put(struct bench *b, uint64_t i, void *ctx)
{
	(void)ctx;
	char v[32];
	int n = snprintf(v, sizeof(v), "value %llu", (unsigned long long)i);
	return sb_param_put(&b->sb, (uint32_t)(i % 24), v, (size_t)n);
}

static int event(struct bench *b, uint64_t i, void *ctx)
{
	(void)ctx;
	struct sb_event e = { .timestamp = i, .code = 1, .severity = SB_INFO, .len = 4 };
	memcpy(e.payload, "boot", 4);
	return sb_event_write(&b->sb, &e);
}

struct dp_ctx {
	uint8_t *data;
	size_t len;
};

/* Products cycle through 32 names; the oldest is deleted (untimed) to
 * make room, so the catalog and area never fill. */
static int dp(struct bench *b, uint64_t i, void *vctx)
{
	struct dp_ctx *c = vctx;
	char name[32];
	if (i >= 32) {
		snprintf(name, sizeof(name), "p%llu", (unsigned long long)(i - 32));
		uint64_t t0 = clock_ns();
		if (sb_dp_delete(&b->sb, name))
			return -1;
		b->ns -= clock_ns() - t0;
	}
	snprintf(name, sizeof(name), "p%llu", (unsigned long long)i);
	struct sb_membuf in = { .p = c->data, .len = c->len };
	return sb_dp_write(&b->sb, name, 1, 1, 0, c->len, sb_mem_reader, &in, NULL);
}

static void row(const char *what, unsigned bs, bool sync, const struct bench *b, size_t bytes)
{
	double secs = (double)b->ns / 1e9;
	double rate = b->ops / secs;
	printf("| %-22s | %5u | %-5s | %8llu | %12.0f | %10.1f |", what, bs, sync ? "yes" : "no",
	       (unsigned long long)b->ops, rate, 1e6 / rate);
	if (bytes)
		printf(" %8.1f |\n", rate * (double)bytes / (1 << 20));
	else
		printf(" %8s |\n", "-");
}

static int measure(const char *path, unsigned bs, bool sync)
{
	struct bench b;
	uint32_t blocks = (uint32_t)((64u << 20) / bs); /* 64 MiB */
	if (open_image(&b, path, bs, blocks))
		return -1;
	b.sb.sync = sync;
	int rc = run(&b, put, NULL);
	if (!rc)
		row("parameter put", bs, sync, &b, 0);
	if (!rc && !(rc = run(&b, event, NULL)))
		row("event write", bs, sync, &b, 0);
	const size_t sizes[] = { 4096, 1 << 20 };
	for (size_t k = 0; k < 2 && !rc; k++) {
		struct dp_ctx c = { malloc(sizes[k]), sizes[k] };
		if (!c.data)
			return -1;
		memset(c.data, 0xA5, sizes[k]);
		close_image(&b, path);
		if (open_image(&b, path, bs, blocks))
			return -1;
		b.sb.sync = sync;
		if (!(rc = run(&b, dp, &c)))
			row(k ? "data product 1 MiB" : "data product 4 KiB", bs, sync, &b, sizes[k]);
		free(c.data);
	}
	close_image(&b, path);
	return rc;
}

int main(int argc, char **argv)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/spaceblock-bench.img", argc > 1 ? argv[1] : ".");
	printf("| %-22s | %5s | %-5s | %8s | %12s | %10s | %8s |\n", "operation", "block", "fsync",
	       "ops", "ops/s", "us/op", "MiB/s");
	printf("|%s|%s|%s|%s|%s|%s|%s|\n", "------------------------", "-------", "-------",
	       "----------", "--------------", "------------", "----------");
	for (int sync = 0; sync < 2; sync++)
		for (unsigned bs = 512; bs <= 4096; bs *= 8)
			if (measure(path, bs, sync))
				return 1;
	return 0;
}
