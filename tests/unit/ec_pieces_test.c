/* The sidecar's block CRCs from pieces fed in any order and from several
 * threads at once (ec_sum_acc) must be the CRC-32C of each block, as one
 * pass over it gives; and ec_crc32c_shift must move a CRC as appending
 * zero bytes does. */
#include "test.h"

#include "../../applets/ec-rebuild/ecsum.h"
#include "crc.h"
#include "endian.h"
#include "ec_util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

TEST(ec_crc32c_shift_is_appending_zeros)
{
	static uint8_t buf[70000];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)ec_test_rnd(256);
	static const size_t cuts[] = { 0, 1, 7, 64, 4096, 65535, 69999 };
	for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
		size_t a = cuts[c], b = sizeof(buf) - a;
		/* from a zero register, CRCs are linear: A||B is A moved past
		 * B's bytes, XOR B */
		uint32_t la = ~crc32c(~0u, buf, a), lb = ~crc32c(~0u, buf + a, b);
		uint32_t whole = ~crc32c(~0u, buf, sizeof(buf));
		CHECK_EQ(ec_crc32c_shift(la, b) ^ lb, whole);
	}
	/* zero bytes, from a register of all ones: the CRC of zeros */
	static const uint8_t zeros[4096];
	CHECK_EQ(~ec_crc32c_shift(~0u, sizeof(zeros)), crc32c(0, zeros, sizeof(zeros)));
	CHECK_EQ(ec_crc32c_shift(0x12345678u, 0), 0x12345678u);
}

struct piece {
	int pos;
	uint64_t off;
	size_t len;
};

struct feeder {
	struct ec_sum_acc *a;
	uint8_t *const *data;
	const struct piece *p;
	size_t n;
	long bad;
};

static void *feed_some(void *arg)
{
	struct feeder *f = arg;
	for (size_t i = 0; i < f->n; i++)
		f->bad += ec_sum_acc_feed(f->a, f->p[i].pos, f->data[f->p[i].pos] + f->p[i].off,
					  f->p[i].off, f->p[i].len);
	return NULL;
}

/* Three shards of size bytes cut into pieces of up to max bytes,
 * shuffled, fed by threads threads: every block's CRC, and with the
 * right CRCs in want but one of them wrong (the last block with last,
 * else any), exactly that block failing. */
static void pieces_case(uint64_t size, uint32_t block, size_t max, int threads, bool last)
{
	enum { N = 3 };
	uint8_t *data[N];
	size_t nblk = (size_t)ec_sum_blocks(size, block), np = 0, cap = 16;
	struct piece *p = malloc(cap * sizeof(*p));
	uint8_t *want_crc = malloc(N * nblk * 4 + 4);
	struct ecsum want = { .block_size = block };
	CHECK(p && want_crc);
	for (int s = 0; s < N; s++) {
		data[s] = malloc(size + 1);
		CHECK(data[s]);
		for (uint64_t i = 0; i < size; i++)
			data[s][i] = (uint8_t)ec_test_rnd(256);
		for (size_t b = 0; b < nblk; b++) {
			uint64_t at = (uint64_t)b * block, n = size - at < block ? size - at : block;
			put_le32(want_crc + 4 * (s * nblk + b), crc32c(0, data[s] + at, (size_t)n));
		}
		want.sh[s] = (struct ec_sum_shard){ .present = true, .covered = size,
						    .crc_le = want_crc + 4 * s * nblk, .ncrc = nblk };
		for (uint64_t off = 0; off < size;) {
			size_t len = 1 + ec_test_rnd((uint32_t)max);
			if (len > size - off)
				len = (size_t)(size - off);
			if (np == cap) {
				p = realloc(p, (cap *= 2) * sizeof(*p));
				CHECK(p);
			}
			p[np++] = (struct piece){ s, off, len };
			off += len;
		}
	}
	for (size_t i = np; i > 1; i--) { /* any order */
		size_t j = ec_test_rnd((uint32_t)i);
		struct piece t = p[i - 1];
		p[i - 1] = p[j];
		p[j] = t;
	}
	size_t wrong = last ? nblk - 1 : ec_test_rnd((uint32_t)nblk);
	want_crc[4 * (nblk + wrong)] ^= 1; /* shard 1's block `wrong` */
	int ids[N] = { 0, 1, 2 };
	struct ec_sum_acc a;
	CHECK_EQ(ec_sum_acc_init(&a, size, block, N, ids, &want), 0);
	struct feeder f[4];
	pthread_t tid[4];
	long bad = 0;
	for (int t = 0; t < threads; t++) {
		size_t from = np * (size_t)t / (size_t)threads, to = np * (size_t)(t + 1) / (size_t)threads;
		f[t] = (struct feeder){ &a, data, p + from, to - from, 0 };
		CHECK_EQ(pthread_create(&tid[t], NULL, feed_some, &f[t]), 0);
	}
	for (int t = 0; t < threads; t++) {
		pthread_join(tid[t], NULL);
		bad += f[t].bad;
	}
	want_crc[4 * (nblk + wrong)] ^= 1;
	CHECK_EQ(memcmp(a.crc_le, want_crc, N * nblk * 4), 0);
	CHECK_EQ(bad, 1);
	CHECK_EQ(atomic_load(&a.bad[0]) + atomic_load(&a.bad[2]), 0);
	CHECK_EQ(atomic_load(&a.bad[1]), 1);
	CHECK_EQ(atomic_load(&a.first_bad[1]), wrong);
	CHECK_EQ(atomic_load(&a.first_bad[0]), UINT64_MAX);
	ec_sum_acc_free(&a);
	for (int s = 0; s < N; s++)
		free(data[s]);
	free(p);
	free(want_crc);
}

TEST(ec_sum_pieces_in_any_order)
{
	ec_test_rng = 0x2545f4914f6cdd1dull;
	pieces_case((3u << 20) + 12345, 1u << 20, 200000, 1, false); /* a short last block */
	pieces_case(3u << 20, 1u << 20, 1u << 20, 3, false);          /* whole blocks too */
	pieces_case(5000, 1u << 20, 700, 2, false);                   /* less than a block */
	pieces_case((2u << 20) + 1, 1u << 20, 64, 3, false);          /* a last block of 1 byte */
	/* the short last block is the one that fails: its own length, not a
	 * whole block's, starts its CRC */
	pieces_case((3u << 20) + 12345, 1u << 20, 300000, 2, true);
	pieces_case((2u << 20) + 1, 1u << 20, 100, 1, true);
	pieces_case(3u << 20, 1u << 20, 500000, 3, true);             /* a whole last block */
	pieces_case(5000, 1u << 20, 5000, 1, true);                   /* the only block, short */
}
