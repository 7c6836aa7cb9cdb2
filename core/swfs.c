/* swfs.c - SeaweedFS on-disk records, shared by needle-fsck and ec-rebuild. */
#include "swfs.h"
#include "crc.h"
#include "endian.h"
#include "io.h"
#include "json.h"
#include "num.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- superblock ----------------------------------------------------------- */

int swfs_sb_parse(const uint8_t b[SWFS_SUPERBLOCK_SIZE], struct swfs_superblock *sb,
		  const char **why)
{
	sb->version = b[0];
	sb->replica = b[1];
	sb->ttl_count = b[2];
	sb->ttl_unit = b[3];
	sb->compaction_rev = get_be16(b + 4);
	sb->extra_size = get_be16(b + 6);
	if (sb->version < 1 || sb->version > 3) {
		*why = "needle version is not 1, 2 or 3";
		return -1;
	}
	return 0;
}

void swfs_sb_encode(const struct swfs_superblock *sb, uint8_t b[SWFS_SUPERBLOCK_SIZE])
{
	b[0] = sb->version;
	b[1] = sb->replica;
	b[2] = sb->ttl_count;
	b[3] = sb->ttl_unit;
	put_be16(b + 4, sb->compaction_rev);
	put_be16(b + 6, sb->extra_size);
}

uint64_t swfs_sb_data_start(const struct swfs_superblock *sb)
{
	return SWFS_SUPERBLOCK_SIZE + (sb->version >= 2 ? sb->extra_size : 0);
}

void swfs_replica_str(uint8_t replica, char out[4])
{
	out[0] = (char)('0' + replica / 100);
	out[1] = (char)('0' + replica / 10 % 10);
	out[2] = (char)('0' + replica % 10);
	out[3] = 0;
}

void swfs_ttl_str(uint8_t count, uint8_t unit, char out[8])
{
	static const char units[] = " mhdwMy";
	if (!count || !unit || unit >= sizeof(units) - 1) {
		out[0] = 0;
		return;
	}
	snprintf(out, 8, "%u%c", count, units[unit]);
}

/* ---- needles ---------------------------------------------------------------- */

static unsigned fixed_len(int version)
{
	/* header + checksum, + AppendAtNs in v3 */
	return SWFS_NEEDLE_HEADER + 4 + (version == 3 ? 8 : 0);
}

unsigned swfs_padding(int32_t size, int version)
{
	uint64_t s = size < 0 ? 0 : (uint64_t)size;
	return SWFS_ALIGN - (unsigned)((fixed_len(version) + s) % SWFS_ALIGN);
}

uint64_t swfs_record_len(int32_t size, int version)
{
	uint64_t s = size < 0 ? 0 : (uint64_t)size;
	return fixed_len(version) + s + swfs_padding(size, version);
}

void swfs_header_parse(const uint8_t b[SWFS_NEEDLE_HEADER], uint32_t *cookie, uint64_t *id,
		       int32_t *size)
{
	*cookie = get_be32(b);
	*id = get_be64(b + 4);
	*size = (int32_t)get_be32(b + 12);
}

uint32_t swfs_crc(const void *data, size_t len) { return crc32c(0, data, len); }

uint32_t swfs_crc_legacy(uint32_t raw) { return ((raw >> 15) | (raw << 17)) + 0xa282ead8u; }

bool swfs_crc_matches(uint32_t stored, uint32_t raw, bool *legacy)
{
	*legacy = false;
	if (stored == raw)
		return true;
	if (stored == swfs_crc_legacy(raw)) {
		*legacy = true;
		return true;
	}
	return false;
}

/* A v2/v3 body: DataSize, data, then the fields after it. */
static const char *parse_body(const uint8_t *b, uint32_t len, struct swfs_needle *n)
{
	if (len < 4)
		return "body shorter than its DataSize field";
	n->data_size = get_be32(b);
	if (n->data_size > len - 4)
		return "DataSize runs past the body";
	n->data = b + 4;
	return swfs_needle_parse_fields(b + 4 + n->data_size, len - 4 - n->data_size, n);
}

/* Optional fields of a v2/v3 body, walked in flag order as upstream does:
 * each is read only while bytes remain, and must fit when it is. */
const char *swfs_needle_parse_fields(const uint8_t *b, uint32_t len, struct swfs_needle *n)
{
	uint32_t i = 0;
	if (i < len)
		n->flags = b[i++];
	if (i < len && (n->flags & SWFS_FLAG_NAME)) {
		n->name_size = b[i++];
		if (n->name_size > len - i)
			return "name runs past the body";
		n->name = b + i;
		i += n->name_size;
	}
	if (i < len && (n->flags & SWFS_FLAG_MIME)) {
		n->mime_size = b[i++];
		if (n->mime_size > len - i)
			return "mime type runs past the body";
		n->mime = b + i;
		i += n->mime_size;
	}
	if (i < len && (n->flags & SWFS_FLAG_LAST_MODIFIED)) {
		if (len - i < 5)
			return "last-modified runs past the body";
		n->last_modified = (uint64_t)b[i] << 32 | get_be32(b + i + 1);
		i += 5;
	}
	if (i < len && (n->flags & SWFS_FLAG_TTL)) {
		if (len - i < 2)
			return "TTL runs past the body";
		n->ttl_count = b[i];
		n->ttl_unit = b[i + 1];
		i += 2;
	}
	if (i < len && (n->flags & SWFS_FLAG_PAIRS)) {
		if (len - i < 2)
			return "pairs size runs past the body";
		n->pairs_size = get_be16(b + i);
		i += 2;
		if (n->pairs_size > len - i)
			return "pairs run past the body";
		n->pairs = b + i;
	}
	return NULL;
}

enum swfs_verdict swfs_needle_parse(const uint8_t *rec, size_t len, int version,
				    struct swfs_needle *n, const char **why)
{
	memset(n, 0, sizeof(*n));
	*why = NULL;
	if (len < SWFS_NEEDLE_HEADER) {
		*why = "record header cut short";
		return SWFS_REC_SHORT;
	}
	swfs_header_parse(rec, &n->cookie, &n->id, &n->size);
	if (n->size < SWFS_TOMBSTONE) {
		*why = "negative size";
		return SWFS_REC_SIZE;
	}
	uint64_t total = swfs_record_len(n->size, version);
	if (len < total) {
		*why = "record cut short";
		return SWFS_REC_SHORT;
	}
	uint32_t size = n->size < 0 ? 0 : (uint32_t)n->size;
	const uint8_t *body = rec + SWFS_NEEDLE_HEADER;
	if (version == 1) {
		n->data = body;
		n->data_size = size;
	} else if (size > 0) {
		*why = parse_body(body, size, n);
		if (*why)
			return SWFS_REC_BODY;
	}
	const uint8_t *tail = body + size;
	n->checksum = get_be32(tail);
	if (version == 3)
		n->append_at_ns = get_be64(tail + 4);
	if (size > 0 && !swfs_crc_matches(n->checksum, swfs_crc(n->data, n->data_size),
					  &n->crc_legacy)) {
		*why = "data does not match its CRC-32C";
		return SWFS_REC_CRC;
	}
	return SWFS_REC_OK;
}

static uint32_t body_len(const struct swfs_needle *n)
{
	uint32_t s = 4 + n->data_size + 1;
	if (n->flags & SWFS_FLAG_NAME)
		s += 1u + n->name_size;
	if (n->flags & SWFS_FLAG_MIME)
		s += 1u + n->mime_size;
	if (n->flags & SWFS_FLAG_LAST_MODIFIED)
		s += 5;
	if (n->flags & SWFS_FLAG_TTL)
		s += 2;
	if (n->flags & SWFS_FLAG_PAIRS)
		s += 2u + n->pairs_size;
	return s;
}

uint32_t swfs_needle_body_len(const struct swfs_needle *n)
{
	return n->data_size ? body_len(n) : 0;
}

static uint8_t *put_body(const struct swfs_needle *n, uint8_t *o)
{
	put_be32(o, n->data_size);
	o += 4;
	if (n->data_size)
		memcpy(o, n->data, n->data_size);
	o += n->data_size;
	*o++ = n->flags;
	if (n->flags & SWFS_FLAG_NAME) {
		*o++ = n->name_size;
		if (n->name_size)
			memcpy(o, n->name, n->name_size);
		o += n->name_size;
	}
	if (n->flags & SWFS_FLAG_MIME) {
		*o++ = n->mime_size;
		if (n->mime_size)
			memcpy(o, n->mime, n->mime_size);
		o += n->mime_size;
	}
	if (n->flags & SWFS_FLAG_LAST_MODIFIED) {
		*o++ = (uint8_t)(n->last_modified >> 32);
		put_be32(o, (uint32_t)n->last_modified);
		o += 4;
	}
	if (n->flags & SWFS_FLAG_TTL) {
		*o++ = n->ttl_count;
		*o++ = n->ttl_unit;
	}
	if (n->flags & SWFS_FLAG_PAIRS) {
		put_be16(o, n->pairs_size);
		o += 2;
		if (n->pairs_size)
			memcpy(o, n->pairs, n->pairs_size);
		o += n->pairs_size;
	}
	return o;
}

/* The bytes upstream leaves in the padding: what was last in its scratch
 * buffer (spec §2.4). Reproduced so generated volumes match byte for byte. */
static void put_padding(const struct swfs_needle *n, int version, uint8_t *o, unsigned pad)
{
	uint8_t scratch[8];
	if (version == 3) {
		memset(scratch, 0, sizeof(scratch));
		put_be32(scratch, (uint32_t)n->size);
	} else if (version == 2) {
		uint8_t id[8];
		put_be64(id, n->id);
		if (n->flags & SWFS_FLAG_LAST_MODIFIED && n->data_size)
			put_be32(scratch, (uint32_t)n->last_modified);
		else
			memcpy(scratch, id, 4);
		memcpy(scratch + 4, id + 4, 4);
	} else {
		put_be64(scratch, n->id);
	}
	memcpy(o, scratch, pad);
}

size_t swfs_needle_encode(struct swfs_needle *n, int version, bool legacy_crc, uint8_t *out,
			  size_t cap)
{
	uint32_t size;
	if (version == 1)
		size = n->data_size;
	else
		size = n->data_size ? body_len(n) : 0; /* empty data: no body at all */
	if (size > INT32_MAX)
		return 0;
	n->size = (int32_t)size;
	uint64_t total = swfs_record_len(n->size, version);
	if (total > cap)
		return 0;
	put_be32(out, n->cookie);
	put_be64(out + 4, n->id);
	put_be32(out + 12, size);
	uint8_t *o = out + SWFS_NEEDLE_HEADER;
	if (version == 1) {
		if (size)
			memcpy(o, n->data, size);
		o += size;
	} else if (size) {
		o = put_body(n, o);
	}
	/* An empty record (a deletion) carries whatever checksum the delete
	 * request had: keep the caller's. */
	if (size) {
		uint32_t raw = swfs_crc(n->data_size ? n->data : (const uint8_t *)"", n->data_size);
		n->checksum = legacy_crc ? swfs_crc_legacy(raw) : raw;
	}
	put_be32(o, n->checksum);
	o += 4;
	if (version == 3) {
		put_be64(o, n->append_at_ns);
		o += 8;
	}
	put_padding(n, version, o, swfs_padding(n->size, version));
	return (size_t)total;
}

/* ---- index entries ------------------------------------------------------------ */

uint64_t swfs_idx_max_offset(int offset_bytes)
{
	return offset_bytes == 5 ? ((1ull << 40) - 1) * 8 : ((1ull << 32) - 1) * 8;
}

void swfs_idx_decode(const uint8_t *b, int offset_bytes, struct swfs_idx_entry *e)
{
	e->id = get_be64(b);
	uint64_t stored = get_be32(b + 8);
	if (offset_bytes == 5) /* the fifth byte, stored last, holds bits 32..39 */
		stored |= (uint64_t)b[12] << 32;
	e->offset = stored * SWFS_ALIGN;
	e->size = (int32_t)get_be32(b + (offset_bytes == 5 ? 13 : 12));
}

void swfs_idx_encode(const struct swfs_idx_entry *e, int offset_bytes, uint8_t *b)
{
	uint64_t stored = e->offset / SWFS_ALIGN;
	put_be64(b, e->id);
	put_be32(b + 8, (uint32_t)stored);
	if (offset_bytes == 5)
		b[12] = (uint8_t)(stored >> 32);
	put_be32(b + (offset_bytes == 5 ? 13 : 12), (uint32_t)e->size);
}

int swfs_idx_width_by_size(uint64_t len)
{
	bool w16 = len % 16 == 0, w17 = len % 17 == 0;
	return w16 == w17 ? 0 : w16 ? 4 : 5;
}

/* How many of the rows in b, read in width w, look like what writers
 * write: with .dat, rows whose offset holds a record of that id; without,
 * rows whose size is one a needle can have. */
static int width_score(const uint8_t *b, size_t len, int w, int dat_fd, uint64_t dat_size)
{
	size_t rw = swfs_idx_width(w);
	int hits = 0;
	for (size_t i = 0; i + rw <= len; i += rw) {
		struct swfs_idx_entry e;
		uint8_t h[SWFS_NEEDLE_HEADER];
		swfs_idx_decode(b + i, w, &e);
		if (dat_fd < 0)
			hits += e.size >= -1 && (uint64_t)(int64_t)e.size < (1u << 30);
		else if (e.offset && e.offset + sizeof(h) <= dat_size &&
			 pread_full(dat_fd, h, sizeof(h), e.offset) == sizeof(h) &&
			 get_be64(h + 4) == e.id)
			hits++;
	}
	return hits;
}

int swfs_idx_guess_width(const uint8_t *head, size_t head_len, uint64_t idx_size, int dat_fd,
			 uint64_t dat_size, int declared, const char **how)
{
	size_t n = head_len < SWFS_GUESS_HEAD ? head_len : SWFS_GUESS_HEAD;
	int s4 = width_score(head, n, 4, dat_fd, dat_size);
	int s5 = width_score(head, n, 5, dat_fd, dat_size);
	int by_size = swfs_idx_width_by_size(idx_size);
	/* A clear verdict of the records wins over arithmetic on the size,
	 * which a partial row can fool. */
	if (dat_fd >= 0 && s4 != s5 && (s4 > s5 ? s4 : s5) >= 2)
		return *how = "records", s4 > s5 ? 4 : 5;
	if (by_size)
		return *how = "size", by_size;
	if (declared)
		return *how = "declared", declared;
	if (s4 != s5)
		return *how = "rows", s4 > s5 ? 4 : 5;
	return *how = "default", 4;
}

/* Do the rows of that width have strictly ascending ids? */
static bool ascending(const uint8_t *b, size_t len, int offset_bytes)
{
	size_t w = swfs_idx_width(offset_bytes);
	for (size_t i = w; i + w <= len; i += w)
		if (get_be64(b + i) <= get_be64(b + i - w))
			return false;
	return true;
}

int swfs_ecx_width(const uint8_t *ecx, size_t len, int declared)
{
	int by_size = swfs_idx_width_by_size(len);
	if (by_size)
		return by_size;
	bool a4 = ascending(ecx, len, 4), a5 = ascending(ecx, len, 5);
	if (a4 != a5)
		return a4 ? 4 : 5;
	return declared ? declared : 4;
}

/* Stable merge sort by id, so rows of one id keep their file order. */
static void sort_by_id(struct swfs_idx_entry *a, struct swfs_idx_entry *tmp, size_t n)
{
	for (size_t width = 1; width < n; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				tmp[k++] = a[j].id < a[i].id ? a[j++] : a[i++];
			while (i < mid)
				tmp[k++] = a[i++];
			while (j < hi)
				tmp[k++] = a[j++];
		}
		memcpy(a, tmp, n * sizeof(*a));
	}
}

int swfs_index_live(const uint8_t *idx, size_t len, int offset_bytes,
		    struct swfs_idx_entry **out, size_t *n)
{
	size_t w = swfs_idx_width(offset_bytes), rows = len / w;
	*out = NULL;
	*n = 0;
	if (!rows)
		return 0;
	struct swfs_idx_entry *a = malloc(rows * sizeof(*a));
	struct swfs_idx_entry *tmp = malloc(rows * sizeof(*tmp));
	if (!a || !tmp) {
		free(a);
		free(tmp);
		return -1;
	}
	for (size_t i = 0; i < rows; i++)
		swfs_idx_decode(idx + i * w, offset_bytes, &a[i]);
	sort_by_id(a, tmp, rows);
	free(tmp);
	size_t live = 0;
	for (size_t i = 0; i < rows; i++) {
		if (i + 1 < rows && a[i + 1].id == a[i].id)
			continue; /* a later row of this id decides */
		if (!swfs_idx_is_delete(&a[i]))
			a[live++] = a[i];
	}
	*out = a;
	*n = live;
	if (!live) {
		free(a);
		*out = NULL;
	}
	return 0;
}

uint8_t *swfs_idx_encode_all(const struct swfs_idx_entry *e, size_t n, int offset_bytes)
{
	size_t w = swfs_idx_width(offset_bytes);
	uint8_t *b = n > SIZE_MAX / w - 1 ? NULL : malloc(n * w + 1);
	for (size_t i = 0; b && i < n; i++)
		swfs_idx_encode(&e[i], offset_bytes, b + i * w);
	return b;
}

uint8_t *swfs_ecx_from_idx(const uint8_t *idx, size_t len, int offset_bytes, size_t *rows)
{
	struct swfs_idx_entry *live;
	if (swfs_index_live(idx, len, offset_bytes, &live, rows))
		return NULL;
	uint8_t *ecx = swfs_idx_encode_all(live, *rows, offset_bytes);
	free(live);
	return ecx;
}

/* ---- .vif ------------------------------------------------------------------- */

static const struct json *get2(const struct json *o, const char *camel, const char *snake)
{
	const struct json *v = json_get(o, camel);
	return v ? v : json_get(o, snake);
}

/* protojson writes 64-bit integers as strings; accept numbers too. */
static int get_u64(const struct json *v, uint64_t *out)
{
	if (!v || v->type == JSON_NULL)
		return 0;
	if (json_u64(v, out))
		return 0;
	const char *s = json_string(v);
	return s ? num_dec_u64(s, 0, UINT64_MAX, out, NULL) : -1;
}

static int get_i64(const struct json *v, int64_t *out)
{
	if (!v || v->type == JSON_NULL)
		return 0;
	if (json_i64(v, out))
		return 0;
	const char *s = json_string(v);
	if (s && *s) {
		char *end;
		long long n = strtoll(s, &end, 10);
		if (!*end) {
			*out = n;
			return 0;
		}
	}
	return -1;
}

static int vif_fields(const struct json *root, struct swfs_vif *v, const char **bad)
{
	uint64_t u = 0;
	const struct json *x;
	if (get_u64(json_get(root, "version"), &u) || u > 3)
		return *bad = "version", -1;
	v->version = (uint32_t)u;
	if ((x = json_get(root, "replication")) && x->type != JSON_NULL) {
		if (!json_string(x) || x->str.len >= sizeof(v->replication))
			return *bad = "replication", -1;
		memcpy(v->replication, x->str.s, x->str.len + 1);
	}
	x = get2(root, "bytesOffset", "bytes_offset");
	if (!x)
		x = json_get(root, "BytesOffset"); /* OldVersionVolumeInfo */
	u = 0;
	if (get_u64(x, &u) || (u != 0 && u != 4 && u != 5))
		return *bad = "bytesOffset", -1;
	v->bytes_offset = (uint32_t)u;
	x = get2(root, "datFileSize", "dat_file_size");
	if (get_u64(x, &v->dat_file_size))
		return *bad = "datFileSize", -1;
	v->has_dat_file_size = x && x->type != JSON_NULL;
	if (get_u64(get2(root, "expireAtSec", "expire_at_sec"), &v->expire_at_sec))
		return *bad = "expireAtSec", -1;
	if ((x = get2(root, "readOnly", "read_only")) && x->type != JSON_NULL &&
	    !json_bool(x, &v->read_only))
		return *bad = "readOnly", -1;
	x = json_get(root, "files");
	v->remote = x && x->type == JSON_ARRAY && x->arr.n > 0;
	x = get2(root, "ecShardConfig", "ec_shard_config");
	if (x && x->type == JSON_OBJECT) {
		uint64_t d = 0, p = 0;
		if (get_u64(get2(x, "dataShards", "data_shards"), &d) || d > 32)
			return *bad = "ecShardConfig.dataShards", -1;
		if (get_u64(get2(x, "parityShards", "parity_shards"), &p) || p > 32)
			return *bad = "ecShardConfig.parityShards", -1;
		if (get_i64(get2(x, "encodeTsNs", "encode_ts_ns"), &v->encode_ts_ns))
			return *bad = "ecShardConfig.encodeTsNs", -1;
		v->data_shards = (uint32_t)d;
		v->parity_shards = (uint32_t)p;
		v->has_ec_config = d > 0;
	} else if (x && x->type != JSON_NULL) {
		return *bad = "ecShardConfig", -1;
	}
	return 0;
}

static bool blank(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\n' && text[i] != '\t' && text[i] != '\r')
			return false;
	return true;
}

int swfs_vif_parse(const char *text, size_t len, struct swfs_vif *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof(*v));
	if (blank(text, len)) /* an empty .vif counts as absent */
		return 0;
	struct json *root = json_parse(text, len, JSON_DEFAULT_DEPTH, err, errlen);
	if (!root)
		return -1;
	const char *bad = NULL;
	int rc = 0;
	if (root->type != JSON_OBJECT) {
		snprintf(err, errlen, "not a JSON object");
		rc = -1;
	} else if (vif_fields(root, v, &bad)) {
		snprintf(err, errlen, "field %s has a bad value", bad);
		rc = -1;
	}
	json_free(root);
	return rc;
}

int swfs_vif_load(const char *path, struct swfs_vif *v, char *err, size_t errlen)
{
	size_t len;
	const char *why;
	char *text = (char *)swfs_read_all(path, 1 << 20, &len, &why);
	memset(v, 0, sizeof(*v));
	if (!text) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	int rc = blank(text, len) ? 0 : swfs_vif_parse(text, len, v, err, errlen) ? -1 : 1;
	free(text);
	if (rc < 0) /* nothing half-read */
		memset(v, 0, sizeof(*v));
	return rc;
}

void swfs_vif_write(FILE *f, const struct swfs_vif *v)
{
	char num[24];
	struct jw w;
	jw_init(&w, f, true);
	jw_obj(&w);
	jw_key(&w, "files");
	jw_arr(&w);
	jw_arr_end(&w);
	jw_ku64(&w, "version", v->version);
	jw_kstr(&w, "replication", v->replication);
	jw_ku64(&w, "bytesOffset", v->bytes_offset);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)v->dat_file_size);
	jw_kstr(&w, "datFileSize", num);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)v->expire_at_sec);
	jw_kstr(&w, "expireAtSec", num);
	jw_kbool(&w, "readOnly", v->read_only);
	jw_key(&w, "ecShardConfig");
	if (v->has_ec_config) {
		jw_obj(&w);
		jw_ku64(&w, "dataShards", v->data_shards);
		jw_ku64(&w, "parityShards", v->parity_shards);
		snprintf(num, sizeof(num), "%lld", (long long)v->encode_ts_ns);
		jw_kstr(&w, "encodeTsNs", num);
		jw_obj_end(&w);
	} else {
		jw_null(&w);
	}
	jw_kbool(&w, "readOnlyCanDelete", false);
	jw_obj_end(&w);
	jw_end(&w);
}

/* ---- files ----------------------------------------------------------------- */

uint8_t *swfs_read_all(const char *path, size_t max, size_t *len, const char **why)
{
	struct stat st;
	int fd = open_regular(path, O_RDONLY, &st, why);
	if (fd < 0)
		return NULL;
	uint8_t *b = NULL;
	int e = 0;
	if ((uint64_t)st.st_size > max)
		e = EFBIG;
	else if (!(b = malloc((size_t)st.st_size + 1)))
		e = ENOMEM;
	else if ((errno = 0, read_full(fd, b, (size_t)st.st_size) != st.st_size))
		e = errno ? errno : EIO; /* no errno: it shrank */
	close(fd);
	if (e) {
		free(b);
		*why = strerror(e);
		errno = e;
		return NULL;
	}
	b[st.st_size] = 0;
	*len = (size_t)st.st_size;
	return b;
}

/* ---- names -------------------------------------------------------------------- */

int swfs_path(char *buf, size_t len, const char *base, const char *ext)
{
	int n = snprintf(buf, len, "%s%s", base, ext);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

bool swfs_volume_name(const char *name, const char *ext, char *out, size_t len)
{
	size_t nl = strlen(name), el = strlen(ext);
	if (nl <= el || strcmp(name + nl - el, ext))
		return false;
	size_t stem = nl - el;
	size_t start = stem;
	while (start > 0 && name[start - 1] >= '0' && name[start - 1] <= '9')
		start--;
	/* the id is the whole stem, or what follows the last underscore */
	if (start == stem || (start > 0 && name[start - 1] != '_'))
		return false;
	if (start == 1) /* "_7": an empty collection is written without "_" */
		return false;
	if (stem >= len)
		return false;
	memcpy(out, name, stem);
	out[stem] = 0;
	return true;
}

unsigned swfs_file_kind(const char *name, char *base, size_t len)
{
	static const struct {
		const char *ext;
		unsigned kind;
	} exts[] = {
		{ ".dat", SWFS_DAT }, { ".idx", SWFS_IDX }, { ".ecx", SWFS_ECX },
		{ ".ecj", SWFS_ECJ }, { ".vif", SWFS_VIF }, { ".ecsum", SWFS_ECSUM },
	};
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (swfs_volume_name(name, exts[i].ext, base, len))
			return exts[i].kind;
	/* .ecNN: two digits, at most 31 (spec 0) */
	size_t n = strlen(name);
	if (n <= 5)
		return 0;
	const char *e = name + n - 5;
	bool shard = !strncmp(e, ".ec", 3) && e[3] >= '0' && e[3] <= '3' && e[4] >= '0' &&
		     e[4] <= '9' && (e[3] - '0') * 10 + (e[4] - '0') < 32;
	return shard && swfs_volume_name(name, e, base, len) ? SWFS_SHARD : 0;
}

void swfs_strip_ext(char *path)
{
	char *name = strrchr(path, '/');
	char base[NAME_MAX + 1];
	name = name ? name + 1 : path;
	if (swfs_file_kind(name, base, sizeof(base)))
		name[strlen(base)] = 0;
}

void swfs_free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort and drop repeats: a volume has several files. */
static size_t sort_unique(char **list, size_t n)
{
	size_t kept = 0;
	qsort(list, n, sizeof(*list), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (kept && !strcmp(list[kept - 1], list[i]))
			free(list[i]);
		else
			list[kept++] = list[i];
	}
	return kept;
}

int swfs_dir_volumes(const char *dir, const char *prefix, unsigned kinds, char ***bases,
		     size_t *n)
{
	DIR *d = opendir(dir);
	char **list = NULL;
	size_t used = 0, cap = 0;
	int rc = 0;
	*bases = NULL;
	*n = 0;
	if (!d)
		return -1;
	for (struct dirent *de; !rc && (de = readdir(d));) {
		char base[NAME_MAX + 1], path[PATH_MAX];
		if (!(swfs_file_kind(de->d_name, base, sizeof(base)) & kinds))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", prefix, base) >= (int)sizeof(path)) {
			errno = ENAMETOOLONG;
			rc = -1;
		} else if (used == cap) {
			char **grown = realloc(list, (cap = cap ? cap * 2 : 16) * sizeof(*list));
			rc = grown ? 0 : -1;
			list = grown ? grown : list;
		}
		if (!rc && !(list[used++] = strdup(path)))
			rc = -1;
	}
	int e = errno;
	closedir(d);
	if (rc) {
		swfs_free_list(list, used);
		errno = e;
		return -1;
	}
	*bases = list;
	*n = sort_unique(list, used);
	return 0;
}
