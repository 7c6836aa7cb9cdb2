/* ecsum.h - the .ecsum bitrot sidecar (spec §7.7): a CRC-32C for every
 * block of every shard, written at encode time, so that a shard of the
 * right length whose bytes rotted can be told from a good one before it
 * is trusted to rebuild others.
 *
 * The file: a 14-byte big-endian header (magic "ECSU", version 1, payload
 * length, raw CRC-32C of the payload) and a protobuf EcBitrotProtection
 * payload. The per-block CRCs inside it are little-endian u32s. */
#ifndef EC_ECSUM_H
#define EC_ECSUM_H

#include "gf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ECSUM_MAGIC 0x45435355u /* "ECSU" */
#define ECSUM_VERSION 1
#define ECSUM_HEADER 14
#define ECSUM_CRC32C 1                 /* the only algorithm there is */
#define ECSUM_DEFAULT_BLOCK (16u << 20) /* what SeaweedFS writes */

struct ec_sum_shard {
	bool present;
	uint64_t covered;       /* bytes of the shard the CRCs cover */
	const uint8_t *crc_le;  /* ncrc little-endian CRCs, one per block */
	size_t ncrc;
};

struct ecsum {
	uint32_t algorithm, block_size, generation;
	bool has_config;
	uint32_t data_shards, parity_shards;
	uint8_t uuid[16];
	size_t uuid_len;
	struct ec_sum_shard sh[GF_MAX_SHARDS];
};

/* Parse a whole sidecar file. The CRC arrays point into buf, which must
 * outlive s. 0, or -1 with *why. Only the structure is checked here. */
int ec_sum_parse(const uint8_t *buf, size_t len, struct ecsum *s, const char **why);

/* Does it describe a k+m volume completely: CRC-32C, a block size that is
 * a power of two of at least 1 MiB, one entry per shard with the number
 * of CRCs its covered size needs, and every shard the same length
 * (returned in *shard_size)? 0, or -1 with *why. */
int ec_sum_check(const struct ecsum *s, int k, int m, uint64_t *shard_size, const char **why);

/* The file bytes for s (malloc'd, *len set); NULL when out of memory.
 * Fields appear in field-number order and zero values are left out, as
 * Go's protobuf encoder does, so SeaweedFS writes the same bytes. */
uint8_t *ec_sum_serialize(const struct ecsum *s, size_t *len);

static inline uint64_t ec_sum_blocks(uint64_t covered, uint32_t block_size)
{
	return covered / block_size + (covered % block_size != 0);
}

/* CRC-32C of each block_size block of fd's first covered bytes into crcs
 * (ec_sum_blocks() entries, little-endian), read through buf (ECSUM_READ
 * bytes, the caller's to reuse). 0, or -1 with errno (EIO with the file
 * shorter than covered). */
#define ECSUM_READ (4u << 20)
int ec_sum_crc_file(int fd, uint64_t covered, uint32_t block_size, uint8_t *crcs, uint8_t *buf);

/* The same for n files at once, spread over up to threads threads (the
 * checks read whole shards: one core cannot keep up with the page
 * cache). 0, or -1 with errno and *failed the file that failed. */
int ec_sum_crc_files(int n, const int *fds, uint64_t covered, uint32_t block_size,
		    uint8_t *const *crcs, unsigned threads, int *failed);

/* A fresh sidecar file (default block size, a random encode UUID) for
 * the k+m shards of size bytes open as fds[]: malloc'd bytes, *len of
 * them. NULL with errno, and *failed the shard that could not be read
 * (-1 for none). */
uint8_t *ec_sum_make_file(int k, int m, uint64_t size, const int *fds, unsigned threads,
			 size_t *len, int *failed);
/* The same from block CRCs already computed as the shards were written
 * (crcs[i]: shard i's ec_sum_blocks() entries, little-endian). NULL
 * (errno) on failure. */
uint8_t *ec_sum_file_of(int k, int m, uint64_t size, uint8_t *const *crcs, size_t *len);

/* Shard `shard`'s bytes [off, off+len), fed in order, into its running
 * block CRC *run (0 at the start): each block of s that ends in them is
 * checked against the sidecar (size: the shard's length, where the last
 * block ends). How many of those blocks fail; the first of them in
 * *first_bad (a block number). */
long ec_sum_feed(const struct ecsum *s, int shard, uint64_t size, uint32_t *run,
		 const uint8_t *b, uint64_t off, size_t len, uint64_t *first_bad);

/* Check the shards ids[0..n), open as fds[], against s: bad[i] blocks
 * differ, the first at block first_bad[i]. 0, or -1 as ec_sum_crc_files. */
int ec_sum_verify(const struct ecsum *s, int n, const int *ids, const int *fds, unsigned threads,
		 long *bad, uint64_t *first_bad, int *failed);

#endif
