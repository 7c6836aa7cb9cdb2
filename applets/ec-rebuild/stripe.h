/* stripe.h - how SeaweedFS stripes a .dat over k data shards (spec §7):
 * rows of k large blocks while k large blocks of .dat remain, then rows
 * of k small blocks, the last one zero-padded. Parity shards hold, at
 * each shard offset, the code of the data shards' bytes at that offset,
 * so rebuild and verify never need the layout; encode and decode do. */
#ifndef EC_STRIPE_H
#define EC_STRIPE_H

#include <stdbool.h>
#include <stdint.h>

#define EC_LARGE_BLOCK (1ull << 30)
#define EC_SMALL_BLOCK (1ull << 20)

struct ec_layout {
	int k;
	uint64_t large, small;
	uint64_t n_large, n_small; /* rows */
	uint64_t shard_size;
};

/* The layout the encoder makes from a .dat of dat_size bytes. -1 when the
 * sizes overflow. */
int ec_layout_for_dat(struct ec_layout *l, int k, uint64_t large, uint64_t small,
		      uint64_t dat_size);

/* The layout that explains shards of shard_size bytes, when the .dat size
 * is unknown. -1 with *why when no layout does, or when two do
 * (*ambiguous; e.g. a shard of exactly one large block could be one large
 * row, or a full set of small rows). */
int ec_layout_for_shard(struct ec_layout *l, int k, uint64_t large, uint64_t small,
			uint64_t shard_size, const char **why);

/* .dat offset of byte `off` of data shard `shard`; *run is how many bytes
 * follow contiguously in .dat (to the end of the block). */
uint64_t ec_layout_dat_offset(const struct ec_layout *l, int shard, uint64_t off,
			      uint64_t *run);

/* Which data shard, and where in it, holds .dat byte x (x within the
 * striped area: k * shard_size bytes). */
void ec_layout_locate(const struct ec_layout *l, uint64_t x, int *shard, uint64_t *off);

/* Shard bytes needed to hold .dat[0, dat_len): up to the end of the row
 * holding the last byte. */
uint64_t ec_layout_span(const struct ec_layout *l, uint64_t dat_len);

#endif
