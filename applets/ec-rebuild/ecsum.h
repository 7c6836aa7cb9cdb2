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

#include <stdatomic.h>
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
 * bytes, the caller's to reuse). 0, or -1 with errno (ENODATA: the file
 * is shorter than covered). */
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

/* Block CRCs of shards fed in pieces in any order, from any thread (the
 * chunks of a pump finish in any order). A piece's CRC is moved to its
 * place in its block (times x^(8 * bytes after it), mod the polynomial)
 * and XORed into the block's; the block is known when its last byte is
 * in. So no pass needs one thread, nor a second read, for its CRCs. */
struct ec_sum_acc {
	uint64_t size;                /* every shard's length */
	uint32_t block;
	size_t nblk;                  /* blocks per shard */
	int n;                        /* shards, by position */
	int id[GF_MAX_SHARDS];        /* position -> shard number in want */
	const struct ecsum *want;     /* the CRCs to check; NULL: only compute */
	/* a register of all ones moved past a whole block, and past the last
	 * (maybe short) one: what a block's CRC starts from */
	uint32_t ones_block, ones_last;
	_Atomic uint32_t *part;       /* n x nblk: the blocks so far */
	_Atomic uint64_t *left;       /* n x nblk: bytes still to come */
	uint8_t *crc_le;              /* n x nblk finished CRCs, little-endian */
	_Atomic long bad[GF_MAX_SHARDS];
	_Atomic uint64_t first_bad[GF_MAX_SHARDS]; /* lowest failing block; UINT64_MAX */
};

/* For n shards of size bytes in blocks of block; with want, shard ids[i]
 * of it is what position i is checked against. 0, or -1 (ENOMEM). */
int ec_sum_acc_init(struct ec_sum_acc *a, uint64_t size, uint32_t block, int n,
		    const int *ids, const struct ecsum *want);
void ec_sum_acc_free(struct ec_sum_acc *a);
/* Bytes [off, off+len) of position pos, fed once each. How many blocks
 * they finished that fail want (0 without want). */
long ec_sum_acc_feed(struct ec_sum_acc *a, int pos, const uint8_t *b, uint64_t off, size_t len);
/* The same for a piece inside one block whose CRC the caller computed
 * (raw: from a zero register, not inverted at the end, ~crc32c(~0u, ...);
 * pieces computed in turn chain as crc32c(prev, next) does), so that a
 * pass can take its CRCs while its bytes are in cache for other work. */
long ec_sum_acc_add(struct ec_sum_acc *a, int pos, uint64_t off, uint64_t len, uint32_t raw);
/* Where the block holding byte off ends (the shard's end at most): a
 * piece for ec_sum_acc_add ends there or before. */
static inline uint64_t ec_sum_acc_block_end(const struct ec_sum_acc *a, uint64_t off)
{
	uint64_t end = off - off % a->block + a->block;
	return end < a->size ? end : a->size;
}
/* Position pos's CRCs (nblk little-endian entries, once all is fed). */
static inline uint8_t *ec_sum_acc_crcs(const struct ec_sum_acc *a, int pos)
{
	return a->crc_le + (size_t)pos * a->nblk * 4;
}
/* x^(8 * bytes) mod the CRC-32C polynomial times crc (bit-reflected, as
 * the CRC registers are): where a piece's CRC lands that many bytes on. */
uint32_t ec_crc32c_shift(uint32_t crc, uint64_t bytes);

/* Check the shards ids[0..n), open as fds[], against s: bad[i] blocks
 * differ, the first at block first_bad[i]. 0, or -1 as ec_sum_crc_files. */
int ec_sum_verify(const struct ecsum *s, int n, const int *ids, const int *fds, unsigned threads,
		 long *bad, uint64_t *first_bad, int *failed);

#endif
