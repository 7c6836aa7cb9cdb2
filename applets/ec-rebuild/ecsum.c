/* ecsum.c - read, check and write the .ecsum bitrot sidecar. The payload
 * is protobuf: a few varints and length-delimited fields, decoded here by
 * hand rather than with a protobuf library. */
#include "ecsum.h"
#include "crc.h"
#include "endian.h"
#include "io.h"
#include "mem.h"
#include "uuid.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ---- protobuf wire format ------------------------------------------------ */

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

struct pb {
	const uint8_t *p, *end;
};

static int pb_varint(struct pb *b, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 64 && b->p < b->end; shift += 7) {
		uint8_t byte = *b->p++;
		if (shift == 63 && byte > 1)
			return -1; /* more than 64 bits */
		x |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

/* The next field's number, wire type and, for WT_LEN, its bytes in *sub;
 * for WT_VARINT its value in *v. 0; 1 at the end; -1 when malformed. */
static int pb_field(struct pb *b, unsigned *field, unsigned *wt, uint64_t *v, struct pb *sub)
{
	uint64_t key, n;
	if (b->p == b->end)
		return 1;
	if (pb_varint(b, &key) || key >> 3 == 0 || key >> 3 > UINT32_MAX)
		return -1;
	*field = (unsigned)(key >> 3);
	*wt = (unsigned)(key & 7);
	switch (*wt) {
	case WT_VARINT:
		return pb_varint(b, v);
	case WT_LEN:
		if (pb_varint(b, &n) || n > (uint64_t)(b->end - b->p))
			return -1;
		sub->p = b->p;
		sub->end = b->p + n;
		b->p += n;
		return 0;
	case WT_I64:
	case WT_I32:
		n = *wt == WT_I64 ? 8 : 4;
		if (n > (uint64_t)(b->end - b->p))
			return -1;
		b->p += n;
		return 0;
	default: /* groups: nothing in this message uses them */
		return -1;
	}
}

static int want_u32(unsigned wt, uint64_t v, uint32_t *out)
{
	if (wt != WT_VARINT || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* ---- parsing --------------------------------------------------------------- */

static int parse_config(struct pb b, struct ecsum *s)
{
	unsigned f, wt;
	uint64_t v;
	struct pb sub;
	int rc;
	s->has_config = true;
	while ((rc = pb_field(&b, &f, &wt, &v, &sub)) == 0) {
		if (f == 1 && want_u32(wt, v, &s->data_shards))
			return -1;
		if (f == 2 && want_u32(wt, v, &s->parity_shards))
			return -1;
	}
	return rc < 0 ? -1 : 0;
}

static int parse_shard(struct pb b, struct ecsum *s, const char **why)
{
	unsigned f, wt;
	uint64_t v;
	struct pb sub;
	uint32_t id = 0;
	struct ec_sum_shard sh = { .present = true };
	int rc;
	*why = "malformed shard entry";
	while ((rc = pb_field(&b, &f, &wt, &v, &sub)) == 0) {
		if (f == 1 && want_u32(wt, v, &id))
			return -1;
		if (f == 2) {
			if (wt != WT_VARINT)
				return -1;
			sh.covered = v; /* an int64: a negative one is caught by ec_sum_check */
		}
		if (f == 3) {
			if (wt != WT_LEN || (sub.end - sub.p) % 4)
				return -1;
			sh.crc_le = sub.p;
			sh.ncrc = (size_t)(sub.end - sub.p) / 4;
		}
	}
	if (rc < 0)
		return -1;
	if (id >= GF_MAX_SHARDS) {
		*why = "shard id out of range";
		return -1;
	}
	if (s->sh[id].present) {
		*why = "a shard listed twice";
		return -1;
	}
	s->sh[id] = sh;
	return 0;
}

static int parse_payload(struct pb b, struct ecsum *s, const char **why)
{
	unsigned f, wt;
	uint64_t v;
	struct pb sub;
	int rc;
	while ((rc = pb_field(&b, &f, &wt, &v, &sub)) == 0) {
		*why = "malformed payload";
		if ((f == 1 && want_u32(wt, v, &s->algorithm)) ||
		    (f == 2 && want_u32(wt, v, &s->block_size)) ||
		    (f == 3 && want_u32(wt, v, &s->generation)))
			return -1;
		if (f >= 4 && f <= 6 && wt != WT_LEN)
			return -1;
		if (f == 4 && parse_config(sub, s))
			return -1;
		if (f == 5 && parse_shard(sub, s, why))
			return -1;
		if (f == 6) {
			if (sub.end - sub.p != 16) {
				*why = "encode_uuid is not 16 bytes";
				return -1;
			}
			memcpy(s->uuid, sub.p, 16);
			s->uuid_len = 16;
		}
	}
	*why = "malformed payload";
	return rc < 0 ? -1 : 0;
}

int ec_sum_parse(const uint8_t *buf, size_t len, struct ecsum *s, const char **why)
{
	memset(s, 0, sizeof(*s));
	if (len < ECSUM_HEADER) {
		*why = "shorter than its header";
		return -1;
	}
	if (get_be32(buf) != ECSUM_MAGIC) {
		*why = "bad magic (not an .ecsum file)";
		return -1;
	}
	if (get_be16(buf + 4) != ECSUM_VERSION) {
		*why = "unknown format version";
		return -1;
	}
	if (get_be32(buf + 6) != len - ECSUM_HEADER) {
		*why = "payload length disagrees with the file length (truncated?)";
		return -1;
	}
	if (get_be32(buf + 10) != crc32c(0, buf + ECSUM_HEADER, len - ECSUM_HEADER)) {
		*why = "payload fails its CRC-32C (the sidecar itself is damaged)";
		return -1;
	}
	return parse_payload((struct pb){ buf + ECSUM_HEADER, buf + len }, s, why);
}

int ec_sum_check(const struct ecsum *s, int k, int m, uint64_t *shard_size, const char **why)
{
	if (s->algorithm != ECSUM_CRC32C) {
		*why = "unknown checksum algorithm";
		return -1;
	}
	if (s->block_size < (1u << 20) || (s->block_size & (s->block_size - 1))) {
		*why = "block size is not a power of two of at least 1 MiB";
		return -1;
	}
	if (s->has_config && (s->data_shards != (uint32_t)k || s->parity_shards != (uint32_t)m)) {
		*why = "made for another data+parity ratio";
		return -1;
	}
	*shard_size = 0;
	for (int i = 0; i < GF_MAX_SHARDS; i++) {
		const struct ec_sum_shard *sh = &s->sh[i];
		if (sh->present != (i < k + m)) {
			*why = i < k + m ? "a shard has no entry" : "an entry for a shard past k+m";
			return -1;
		}
		if (!sh->present)
			continue;
		if (!sh->covered || sh->covered > INT64_MAX) {
			*why = "a shard's covered size is not positive";
			return -1;
		}
		if (sh->ncrc != ec_sum_blocks(sh->covered, s->block_size)) {
			*why = "a shard's CRC count does not fit its covered size";
			return -1;
		}
		if (*shard_size && sh->covered != *shard_size) {
			*why = "shards of different lengths";
			return -1;
		}
		*shard_size = sh->covered;
	}
	return 0;
}

/* ---- writing ---------------------------------------------------------------- */

static size_t varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* A varint field, left out when zero (proto3). With out NULL, only its
 * length. */
static size_t put_u(uint8_t **out, unsigned field, uint64_t v)
{
	if (!v)
		return 0;
	size_t n = 1 + varint_len(v);
	if (*out) {
		**out = (uint8_t)(field << 3 | WT_VARINT);
		*out = put_varint(*out + 1, v);
	}
	return n;
}

/* A length-delimited field of n bytes; the bytes are written only when
 * data is given (otherwise the caller writes the sub-message next). */
static size_t put_len(uint8_t **out, unsigned field, const void *data, size_t n)
{
	size_t total = 1 + varint_len(n) + n;
	if (*out) {
		**out = (uint8_t)(field << 3 | WT_LEN);
		*out = put_varint(*out + 1, n);
		if (data) {
			memcpy(*out, data, n);
			*out += n;
		}
	}
	return total;
}

static size_t put_config(uint8_t **out, const struct ecsum *s)
{
	uint8_t *none = NULL;
	size_t body = put_u(&none, 1, s->data_shards) + put_u(&none, 2, s->parity_shards);
	size_t n = put_len(out, 4, NULL, body);
	put_u(out, 1, s->data_shards);
	put_u(out, 2, s->parity_shards);
	return n;
}

static size_t put_shard(uint8_t **out, uint32_t id, const struct ec_sum_shard *sh)
{
	uint8_t *none = NULL;
	size_t crcs = sh->ncrc * 4;
	size_t body = put_u(&none, 1, id) + put_u(&none, 2, sh->covered) +
		      (crcs ? put_len(&none, 3, NULL, crcs) : 0);
	size_t n = put_len(out, 5, NULL, body);
	put_u(out, 1, id);
	put_u(out, 2, sh->covered);
	if (crcs)
		put_len(out, 3, sh->crc_le, crcs);
	return n;
}

/* The payload into *out (advanced), or only its length with *out NULL. */
static size_t put_payload(uint8_t **out, const struct ecsum *s)
{
	size_t n = put_u(out, 1, s->algorithm) + put_u(out, 2, s->block_size) +
		   put_u(out, 3, s->generation);
	if (s->has_config)
		n += put_config(out, s);
	for (uint32_t i = 0; i < GF_MAX_SHARDS; i++)
		if (s->sh[i].present)
			n += put_shard(out, i, &s->sh[i]);
	if (s->uuid_len)
		n += put_len(out, 6, s->uuid, s->uuid_len);
	return n;
}

uint8_t *ec_sum_serialize(const struct ecsum *s, size_t *len)
{
	uint8_t *none = NULL;
	size_t payload = put_payload(&none, s);
	if (payload > UINT32_MAX || !(none = malloc(ECSUM_HEADER + payload)))
		return NULL;
	uint8_t *p = none + ECSUM_HEADER;
	put_payload(&p, s);
	put_be32(none, ECSUM_MAGIC);
	put_be16(none + 4, ECSUM_VERSION);
	put_be32(none + 6, (uint32_t)payload);
	put_be32(none + 10, crc32c(0, none + ECSUM_HEADER, payload));
	*len = ECSUM_HEADER + payload;
	return none;
}

/* ---- shard files ------------------------------------------------------------- */

int ec_sum_crc_file(int fd, uint64_t covered, uint32_t block_size, uint8_t *crcs, uint8_t *buf)
{
	uint64_t off = 0;
	for (size_t blk = 0; off < covered; blk++) {
		uint64_t end = covered - off < block_size ? covered : off + block_size;
		uint32_t crc = 0;
		while (off < end) {
			size_t n = end - off < ECSUM_READ ? (size_t)(end - off) : ECSUM_READ;
			ssize_t got = pread_full(fd, buf, n, off);
			if (got != (ssize_t)n) {
				if (got >= 0)
					errno = ENODATA;
				return -1;
			}
			crc = crc32c(crc, buf, n);
			off += n;
		}
		put_le32(crcs + 4 * blk, crc);
	}
	return 0;
}

struct crc_job {
	int n;
	const int *fds;
	uint64_t covered;
	uint32_t block_size;
	uint8_t *const *crcs;
	uint8_t *bufs;           /* ECSUM_READ bytes for each worker */
	atomic_int next, failed, next_buf;
	int err;
};

/* One read buffer per worker for all the files it takes, all of them
 * one allocation in huge pages: a fresh 4 KiB page costs a fault. */
static void *crc_worker(void *arg)
{
	struct crc_job *j = arg;
	uint8_t *buf = j->bufs + (size_t)atomic_fetch_add(&j->next_buf, 1) * ECSUM_READ;
	for (int i; (i = atomic_fetch_add(&j->next, 1)) < j->n && atomic_load(&j->failed) < 0;) {
		if (!ec_sum_crc_file(j->fds[i], j->covered, j->block_size, j->crcs[i], buf))
			continue;
		int none = -1, err = errno;
		if (atomic_compare_exchange_strong(&j->failed, &none, i))
			j->err = err;
	}
	return NULL;
}

int ec_sum_crc_files(int n, const int *fds, uint64_t covered, uint32_t block_size,
		    uint8_t *const *crcs, unsigned threads, int *failed)
{
	struct crc_job j = { .n = n, .fds = fds, .covered = covered, .block_size = block_size,
			     .crcs = crcs };
	pthread_t tid[GF_MAX_SHARDS];
	unsigned started = 0, workers = threads < 1 ? 1 : threads;
	size_t mapped;
	*failed = -1;
	if (workers > (unsigned)(n < 1 ? 1 : n))
		workers = (unsigned)(n < 1 ? 1 : n);
	if (!(j.bufs = mem_big_alloc((size_t)workers * ECSUM_READ, &mapped))) {
		errno = ENOMEM;
		return -1;
	}
	atomic_init(&j.next, 0);
	atomic_init(&j.failed, -1);
	atomic_init(&j.next_buf, 0);
	/* the caller works too; a thread that cannot start leaves its share
	 * to the others */
	while (started + 1 < workers && !pthread_create(&tid[started], NULL, crc_worker, &j))
		started++;
	crc_worker(&j);
	while (started)
		pthread_join(tid[--started], NULL);
	mem_big_free(j.bufs, mapped);
	*failed = atomic_load(&j.failed);
	if (*failed < 0)
		return 0;
	errno = j.err;
	return -1;
}

uint8_t *ec_sum_file_of(int k, int m, uint64_t size, uint8_t *const *crcs, size_t *len)
{
	struct ecsum s = { .algorithm = ECSUM_CRC32C, .block_size = ECSUM_DEFAULT_BLOCK,
			   .has_config = true, .data_shards = (uint32_t)k,
			   .parity_shards = (uint32_t)m, .uuid_len = 16 };
	if (uuid_random_bytes(s.uuid, sizeof(s.uuid), NULL))
		return NULL;
	for (int i = 0; i < k + m; i++)
		s.sh[i] = (struct ec_sum_shard){ .present = true, .covered = size, .crc_le = crcs[i],
						.ncrc = ec_sum_blocks(size, s.block_size) };
	uint8_t *file = ec_sum_serialize(&s, len);
	if (!file)
		errno = ENOMEM;
	return file;
}

uint8_t *ec_sum_make_file(int k, int m, uint64_t size, const int *fds, unsigned threads,
			 size_t *len, int *failed)
{
	size_t per = (size_t)ec_sum_blocks(size, ECSUM_DEFAULT_BLOCK) * 4;
	uint8_t *crcs, *out[GF_MAX_SHARDS], *file = NULL;
	*failed = -1;
	if (!(crcs = malloc(per * (size_t)(k + m) + 1)))
		return NULL;
	for (int i = 0; i < k + m; i++)
		out[i] = crcs + per * (size_t)i;
	if (!ec_sum_crc_files(k + m, fds, size, ECSUM_DEFAULT_BLOCK, out, threads, failed))
		file = ec_sum_file_of(k, m, size, out, len);
	free(crcs);
	return file;
}

int ec_sum_verify(const struct ecsum *s, int n, const int *ids, const int *fds, unsigned threads,
		 long *bad, uint64_t *first_bad, int *failed)
{
	/* every shard of a checked volume has the same covered size */
	uint64_t covered = n ? s->sh[ids[0]].covered : 0;
	size_t per = (size_t)ec_sum_blocks(covered, s->block_size) * 4;
	uint8_t *all = malloc(per * (size_t)n + 1), *out[GF_MAX_SHARDS] = { 0 };
	*failed = -1;
	if (!all)
		return -1;
	for (int i = 0; i < n; i++)
		out[i] = all + per * (size_t)i;
	int rc = ec_sum_crc_files(n, fds, covered, s->block_size, out, threads, failed);
	int err = errno;
	for (int i = 0; i < n && !rc; i++) {
		const struct ec_sum_shard *sh = &s->sh[ids[i]];
		bad[i] = 0;
		for (size_t b = sh->ncrc; b-- > 0;)
			if (memcmp(out[i] + 4 * b, sh->crc_le + 4 * b, 4)) {
				first_bad[i] = b;
				bad[i]++;
			}
	}
	free(all);
	errno = err;
	return rc;
}

/* ---- block CRCs from pieces in any order ---------------------------------- */

#define CRC32C_POLY_REFLECTED 0x82F63B78u

/* a * b mod the polynomial, bit-reflected: bit 31 is x^0. */
static uint32_t gf2_mulmod(uint32_t a, uint32_t b)
{
	uint32_t p = 0;
	for (uint32_t bit = 1u << 31; bit; bit >>= 1) {
		if (a & bit)
			p ^= b;
		b = b & 1 ? (b >> 1) ^ CRC32C_POLY_REFLECTED : b >> 1;
	}
	return p;
}

/* x^(2^i) mod the polynomial, i < 67 (bytes are 2^3 bits). */
static uint32_t x_pow2[67];
static pthread_once_t x_pow2_once = PTHREAD_ONCE_INIT;

static void x_pow2_init(void)
{
	x_pow2[0] = 1u << 30; /* x */
	for (int i = 1; i < 67; i++)
		x_pow2[i] = gf2_mulmod(x_pow2[i - 1], x_pow2[i - 1]);
}

uint32_t ec_crc32c_shift(uint32_t crc, uint64_t bytes)
{
	pthread_once(&x_pow2_once, x_pow2_init);
	for (int i = 3; bytes; bytes >>= 1, i++)
		if (bytes & 1)
			crc = gf2_mulmod(x_pow2[i], crc);
	return crc;
}

int ec_sum_acc_init(struct ec_sum_acc *a, uint64_t size, uint32_t block, int n,
		    const int *ids, const struct ecsum *want)
{
	memset(a, 0, sizeof(*a));
	pthread_once(&x_pow2_once, x_pow2_init);
	a->size = size;
	a->block = block;
	a->nblk = (size_t)ec_sum_blocks(size, block);
	a->n = n;
	a->want = want;
	a->ones_block = ec_crc32c_shift(~0u, block);
	a->ones_last = a->nblk ? ec_crc32c_shift(~0u, size - (uint64_t)(a->nblk - 1) * block) : 0;
	size_t all = (size_t)n * a->nblk;
	a->part = calloc(all + 1, sizeof(*a->part));
	a->left = calloc(all + 1, sizeof(*a->left));
	a->crc_le = calloc(all + 1, 4);
	if (!a->part || !a->left || !a->crc_le) {
		ec_sum_acc_free(a);
		errno = ENOMEM;
		return -1;
	}
	for (int p = 0; p < n; p++) {
		a->id[p] = ids ? ids[p] : p;
		atomic_init(&a->bad[p], 0);
		atomic_init(&a->first_bad[p], UINT64_MAX);
		for (size_t b = 0; b < a->nblk; b++) {
			uint64_t start = (uint64_t)b * block;
			atomic_init(&a->left[(size_t)p * a->nblk + b],
				    size - start < block ? size - start : block);
			atomic_init(&a->part[(size_t)p * a->nblk + b], 0);
		}
	}
	return 0;
}

void ec_sum_acc_free(struct ec_sum_acc *a)
{
	free(a->part);
	free(a->left);
	free(a->crc_le);
	a->part = NULL;
	a->left = NULL;
	a->crc_le = NULL;
}

/* Block blk of position pos is all in: its CRC, checked. 1 when it fails. */
static long acc_finish(struct ec_sum_acc *a, int pos, size_t blk)
{
	size_t i = (size_t)pos * a->nblk + blk;
	/* the register started at all ones, the block's length before its end */
	uint32_t ones = blk + 1 == a->nblk ? a->ones_last : a->ones_block;
	uint32_t crc = ~(atomic_load(&a->part[i]) ^ ones);
	put_le32(a->crc_le + 4 * i, crc);
	if (!a->want || crc == get_le32(a->want->sh[a->id[pos]].crc_le + 4 * blk))
		return 0;
	atomic_fetch_add(&a->bad[pos], 1);
	uint64_t first = atomic_load(&a->first_bad[pos]);
	while (blk < first && !atomic_compare_exchange_weak(&a->first_bad[pos], &first, blk))
		;
	return 1;
}

long ec_sum_acc_add(struct ec_sum_acc *a, int pos, uint64_t off, uint64_t len, uint32_t raw)
{
	size_t blk = (size_t)(off / a->block), i = (size_t)pos * a->nblk + blk;
	/* moved to its place: past the bytes of its block after it */
	atomic_fetch_xor(&a->part[i], ec_crc32c_shift(raw, ec_sum_acc_block_end(a, off) - off - len));
	return atomic_fetch_sub(&a->left[i], len) == len ? acc_finish(a, pos, blk) : 0;
}

long ec_sum_acc_feed(struct ec_sum_acc *a, int pos, const uint8_t *b, uint64_t off, size_t len)
{
	long bad = 0;
	for (uint64_t at = off; at < off + len;) {
		uint64_t end = ec_sum_acc_block_end(a, at);
		uint64_t n = (end < off + len ? end : off + len) - at;
		/* the piece's CRC from a zero register: linear in its bytes */
		bad += ec_sum_acc_add(a, pos, at, n, ~crc32c(~0u, b + (at - off), (size_t)n));
		at += n;
	}
	return bad;
}
