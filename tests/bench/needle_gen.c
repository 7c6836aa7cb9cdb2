/* needle_gen - write a SeaweedFS volume for benchmarks:
 *   needle_gen BASE BYTES MIN MAX
 * needles of log-uniform sizes in [MIN, MAX] until .dat holds BYTES, v3,
 * raw CRCs, one .idx row each, as upstream's writer lays them out. */
#include "io.h"
#include "swfs.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: needle_gen BASE BYTES MIN MAX\n");
		return 2;
	}
	char dat[4096], idx[4096];
	uint64_t total = strtoull(argv[2], NULL, 0);
	double lo = log((double)strtoull(argv[3], NULL, 0)), hi = log((double)strtoull(argv[4], NULL, 0));
	uint32_t max = (uint32_t)strtoull(argv[4], NULL, 0);
	swfs_path(dat, sizeof(dat), argv[1], ".dat");
	swfs_path(idx, sizeof(idx), argv[1], ".idx");
	int fd = open(dat, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	FILE *fi = fopen(idx, "w");
	uint8_t *data = malloc(max), *rec = malloc(max + 1024);
	if (fd < 0 || !fi || !data || !rec) {
		perror(argv[1]);
		return 1;
	}
	for (uint32_t i = 0; i + 8 <= max; i += 8) {
		uint64_t v = next();
		for (int k = 0; k < 8; k++)
			data[i + k] = (uint8_t)(v >> (8 * k));
	}
	struct swfs_superblock sb = { 3, 0, 0, 0, 0, 0 };
	uint8_t b[17];
	swfs_sb_encode(&sb, b);
	uint64_t at = 0, id = 1, ts = 1700000000000000000ull;
	if (write_full(fd, b, 8))
		return 1;
	at = 8;
	while (at < total) {
		double u = (double)(next() >> 11) / 9007199254740992.0;
		uint32_t len = (uint32_t)exp(lo + u * (hi - lo));
		data[next() % len] ^= 1; /* no two needles alike */
		struct swfs_needle n = { .cookie = (uint32_t)next(), .id = id, .data = data,
					 .data_size = len, .append_at_ns = ts++ };
		size_t rl = swfs_needle_encode(&n, 3, false, rec, max + 1024);
		struct swfs_idx_entry e = { id++, at, n.size };
		swfs_idx_encode(&e, 4, b);
		if (!rl || write_full(fd, rec, rl) || fwrite(b, 16, 1, fi) != 1)
			return 1;
		at += rl;
	}
	printf("%llu needles, %llu bytes\n", (unsigned long long)(id - 1), (unsigned long long)at);
	return close(fd) || fclose(fi);
}
