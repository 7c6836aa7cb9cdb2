/* stripe.c - the SeaweedFS row layout of data shards. */
#include "stripe.h"
#include "checked.h"

static int finish(struct ec_layout *l)
{
	uint64_t a, b;
	if (mul_overflow_u64(l->n_large, l->large, &a) || mul_overflow_u64(l->n_small, l->small, &b) ||
	    add_overflow_u64(a, b, &l->shard_size))
		return -1;
	return 0;
}

int ec_layout_for_dat(struct ec_layout *l, int k, uint64_t large, uint64_t small,
		      uint64_t dat_size)
{
	uint64_t row_large, row_small, rest;
	*l = (struct ec_layout){ .k = k, .large = large, .small = small };
	if (k < 1 || !large || !small || mul_overflow_u64((uint64_t)k, large, &row_large) ||
	    mul_overflow_u64((uint64_t)k, small, &row_small))
		return -1;
	l->n_large = dat_size / row_large;
	rest = dat_size - l->n_large * row_large;
	l->n_small = rest / row_small + (rest % row_small != 0);
	return finish(l);
}

int ec_layout_for_shard(struct ec_layout *l, int k, uint64_t large, uint64_t small,
			uint64_t shard_size, const char **why)
{
	/* The small rows after the large ones hold less than k large blocks
	 * of .dat, so at most ceil(large/small) small blocks per shard. */
	uint64_t max_small = (large / small + (large % small != 0)) * small;
	int found = 0;
	*l = (struct ec_layout){ .k = k, .large = large, .small = small };
	if (k < 1 || !large || !small) {
		*why = "bad block sizes";
		return -1;
	}
	for (uint64_t nl = shard_size / large + 1; nl-- > 0;) {
		uint64_t rest = shard_size - nl * large;
		if (rest > max_small)
			break;
		if (rest % small)
			continue;
		if (found++)
			break;
		l->n_large = nl;
		l->n_small = rest / small;
	}
	if (!found) {
		*why = "shard size is not a whole number of large and small blocks";
		return -1;
	}
	if (found > 1) {
		*why = "shard size fits two layouts and no .vif datFileSize says which";
		return -1;
	}
	return finish(l);
}

uint64_t ec_layout_dat_offset(const struct ec_layout *l, int shard, uint64_t off,
			      uint64_t *run)
{
	uint64_t large_part = l->n_large * l->large, k = (uint64_t)l->k;
	if (off < large_part) {
		uint64_t row = off / l->large, inner = off % l->large;
		*run = l->large - inner;
		return (row * k + (uint64_t)shard) * l->large + inner;
	}
	uint64_t y = off - large_part, row = y / l->small, inner = y % l->small;
	*run = l->small - inner;
	return large_part * k + (row * k + (uint64_t)shard) * l->small + inner;
}

void ec_layout_locate(const struct ec_layout *l, uint64_t x, int *shard, uint64_t *off)
{
	uint64_t k = (uint64_t)l->k, large_area = l->n_large * l->large * k;
	if (x < large_area) {
		uint64_t b = x / l->large;
		*shard = (int)(b % k);
		*off = b / k * l->large + x % l->large;
		return;
	}
	uint64_t y = x - large_area, b = y / l->small;
	*shard = (int)(b % k);
	*off = l->n_large * l->large + b / k * l->small + y % l->small;
}

uint64_t ec_layout_span(const struct ec_layout *l, uint64_t dat_len)
{
	if (!dat_len)
		return 0;
	int shard;
	uint64_t off, k = (uint64_t)l->k;
	ec_layout_locate(l, dat_len - 1, &shard, &off);
	if (dat_len - 1 < l->n_large * l->large * k)
		return (off / l->large + 1) * l->large;
	uint64_t y = off - l->n_large * l->large;
	uint64_t end = l->n_large * l->large + (y / l->small + 1) * l->small;
	return end < l->shard_size ? end : l->shard_size;
}
