/* Fuzz the .ecsum sidecar parser: nothing read out of bounds, and what it
 * accepts writes back out to a file that parses to the same manifest.
 * The fuzz build links core only, so the sidecar's file comes in here. */
#include "../../applets/ec-rebuild/ecsum.c"

#include <assert.h>

static void same(const struct ecsum *a, const struct ecsum *b)
{
	assert(a->algorithm == b->algorithm && a->block_size == b->block_size &&
	       a->generation == b->generation && a->has_config == b->has_config &&
	       a->data_shards == b->data_shards && a->parity_shards == b->parity_shards &&
	       a->uuid_len == b->uuid_len && !memcmp(a->uuid, b->uuid, a->uuid_len));
	for (int i = 0; i < GF_MAX_SHARDS; i++) {
		const struct ec_sum_shard *x = &a->sh[i], *y = &b->sh[i];
		assert(x->present == y->present && x->covered == y->covered && x->ncrc == y->ncrc);
		assert(!x->ncrc || !memcmp(x->crc_le, y->crc_le, 4 * x->ncrc));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ecsum s, again;
	const char *why;
	uint64_t shard_size;
	/* the first byte picks the ratio to check against; the rest is the file */
	if (size < 1)
		return 0;
	int k = 1 + data[0] % 16, m = 1 + (data[0] >> 4);
	uint8_t *copy = malloc(size - 1 + 1); /* exact-size copy: ASan sees overreads */
	memcpy(copy, data + 1, size - 1);
	if (ec_sum_parse(copy, size - 1, &s, &why) == 0) {
		(void)ec_sum_check(&s, k, m, &shard_size, &why);
		size_t len;
		uint8_t *out = ec_sum_serialize(&s, &len);
		assert(out);
		assert(ec_sum_parse(out, len, &again, &why) == 0);
		same(&s, &again);
		free(out);
	}
	free(copy);
	return 0;
}
