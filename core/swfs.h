/* swfs.h - SeaweedFS volume formats: superblock, needle records, index
 * entries (.idx/.ecx/.sdx) and their width, the .vif sidecar, and the
 * names of a volume's files.
 *
 * Byte layouts follow shared/spec/seaweedfs-formats.md; all integers are
 * big-endian. Needle data is checksummed with CRC-32C, stored raw or in
 * the pre-3.09 "legacy" transformed form; readers accept both.
 */
#ifndef BB_SWFS_H
#define BB_SWFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#define SWFS_SUPERBLOCK_SIZE 8
#define SWFS_NEEDLE_HEADER 16
#define SWFS_ALIGN 8
#define SWFS_TOMBSTONE (-1)

/* ---- superblock --------------------------------------------------------- */

struct swfs_superblock {
	uint8_t version;       /* needle version, 1..3 */
	uint8_t replica;       /* 100*dc + 10*rack + same-rack, as one byte */
	uint8_t ttl_count, ttl_unit;
	uint16_t compaction_rev;
	uint16_t extra_size;   /* protobuf bytes after the 8 (v2/v3 only) */
};

/* Returns 0, or -1 with *why for a version outside 1..3. */
int swfs_sb_parse(const uint8_t b[SWFS_SUPERBLOCK_SIZE], struct swfs_superblock *sb,
		  const char **why);
void swfs_sb_encode(const struct swfs_superblock *sb, uint8_t b[SWFS_SUPERBLOCK_SIZE]);
/* Offset of the first needle: 8, plus the extra bytes for v2/v3. */
uint64_t swfs_sb_data_start(const struct swfs_superblock *sb);
/* "000", "010", ...: the replica byte as SeaweedFS prints it. */
void swfs_replica_str(uint8_t replica, char out[4]);
/* TTL as SeaweedFS writes it ("3d", "" for none). */
void swfs_ttl_str(uint8_t count, uint8_t unit, char out[8]);

/* ---- needle records ------------------------------------------------------- */

enum {
	SWFS_FLAG_COMPRESSED = 0x01,
	SWFS_FLAG_NAME = 0x02,
	SWFS_FLAG_MIME = 0x04,
	SWFS_FLAG_LAST_MODIFIED = 0x08,
	SWFS_FLAG_TTL = 0x10,
	SWFS_FLAG_PAIRS = 0x20,
	SWFS_FLAG_CHUNK_MANIFEST = 0x80,
};

struct swfs_needle {
	uint32_t cookie;
	uint64_t id;
	int32_t size;          /* header Size: body length (v2/v3), data length (v1) */
	uint32_t data_size;
	const uint8_t *data;   /* points into the record buffer */
	uint8_t flags;
	uint8_t name_size, mime_size;
	const uint8_t *name, *mime;
	uint64_t last_modified; /* Unix seconds, 40 bits */
	uint8_t ttl_count, ttl_unit;
	uint16_t pairs_size;
	const uint8_t *pairs;
	uint32_t checksum;     /* as stored */
	uint64_t append_at_ns; /* v3 only */
	bool crc_legacy;       /* the stored checksum is in the legacy form */
};

/* Bytes of padding after a record (1..8, never 0) and its whole length,
 * for a header Size. Size -1 (a tombstone in .idx) measures like 0. */
unsigned swfs_padding(int32_t size, int version);
uint64_t swfs_record_len(int32_t size, int version);

/* Header fields only (16 bytes). */
void swfs_header_parse(const uint8_t b[SWFS_NEEDLE_HEADER], uint32_t *cookie, uint64_t *id,
		       int32_t *size);

enum swfs_verdict {
	SWFS_REC_OK = 0,
	SWFS_REC_SHORT,   /* buffer ends before the record does */
	SWFS_REC_SIZE,    /* header Size is negative (other than -1) or absurd */
	SWFS_REC_BODY,    /* a body field runs past Size */
	SWFS_REC_CRC,     /* data does not match its checksum in either form */
};

/* Parse and verify one record at rec[0..len). len may exceed the record;
 * the record's own length is swfs_record_len(size, version). Pointers in
 * n refer into rec. *why says what failed. */
enum swfs_verdict swfs_needle_parse(const uint8_t *rec, size_t len, int version,
				    struct swfs_needle *n, const char **why);

/* The most the fields after the data can take: flags, name, mime,
 * last-modified, TTL, pairs (spec 2.2). */
#define SWFS_FIELDS_MAX (1 + 1 + 255 + 1 + 255 + 5 + 2 + 2 + 65535)

/* The v2/v3 body fields after the data (flags, then the optional fields
 * the flags announce), from b[0..len): what swfs_needle_parse does after
 * the data, for callers that stream a record too large to hold whole.
 * Sets n's flags and field pointers (into b); returns NULL, or why not. */
const char *swfs_needle_parse_fields(const uint8_t *b, uint32_t len, struct swfs_needle *n);
/* The v2/v3 body length a writer gives n's fields: what Size must be for
 * a record with no bytes to spare (0 for empty data). */
uint32_t swfs_needle_body_len(const struct swfs_needle *n);

/* CRC-32C of data as SeaweedFS computes it, and the legacy stored form. */
uint32_t swfs_crc(const void *data, size_t len);
uint32_t swfs_crc_legacy(uint32_t raw);
/* Does a stored checksum match data's raw CRC in either form? */
bool swfs_crc_matches(uint32_t stored, uint32_t raw, bool *legacy);

/* Serialise n as SeaweedFS's writer would, padding bytes included (the
 * same leftover bytes upstream writes). Uses n->data/name/mime/pairs and
 * their sizes, n->flags, last_modified, ttl, append_at_ns; computes Size
 * and the checksum (legacy form when legacy_crc), except for an empty
 * record, which keeps n->checksum as given. Returns the record
 * length, or 0 when cap is too small. n->size is set. */
size_t swfs_needle_encode(struct swfs_needle *n, int version, bool legacy_crc, uint8_t *out,
			  size_t cap);

/* ---- index entries --------------------------------------------------------- */

struct swfs_idx_entry {
	uint64_t id;
	uint64_t offset; /* bytes into .dat: the stored value times 8 */
	int32_t size;
};

/* Entry width for a 4- or 5-byte offset build: 16 or 17 bytes. */
static inline size_t swfs_idx_width(int offset_bytes) { return offset_bytes == 5 ? 17 : 16; }
/* The highest .dat offset an index of that width can address. */
uint64_t swfs_idx_max_offset(int offset_bytes);

void swfs_idx_decode(const uint8_t *b, int offset_bytes, struct swfs_idx_entry *e);
/* offset must be a multiple of 8 within swfs_idx_max_offset. */
void swfs_idx_encode(const struct swfs_idx_entry *e, int offset_bytes, uint8_t *b);
/* A delete row: negative size, or offset 0. */
static inline bool swfs_idx_is_delete(const struct swfs_idx_entry *e)
{
	return e->size < 0 || e->offset == 0;
}

/* Offset width of an index by its length alone: 4 or 5, or 0 when both
 * or neither divide it. */
int swfs_idx_width_by_size(uint64_t len);

/* The width an index file of idx_size bytes is written in, judged by its
 * first rows (head[0..head_len)): read in the right width they point at records of
 * their own ids in .dat (dat_fd, or -1 when there is no usable .dat);
 * without .dat, they hold sizes a needle can have. A clear verdict of the
 * records comes first, then the length, then declared (what --offset-bytes
 * or .vif say; 0 for nothing), then the sizes, else 4. *how names what
 * decided: "records", "size", "declared", "rows" or "default". */
int swfs_idx_guess_width(const uint8_t *head, size_t head_len, uint64_t idx_size, int dat_fd,
			 uint64_t dat_size, int declared, const char **how);
#define SWFS_GUESS_HEAD (64 * 17) /* the head that is enough for a guess */

/* The width an .ecx (ecx[0..len)) is written in: the one its length
 * fits, else the one its ids ascend in (the encoder sorts them), else
 * declared (.vif bytesOffset; 0 for none), else 4. */
int swfs_ecx_width(const uint8_t *ecx, size_t len, int declared);

/* Replay an index (.idx rows in file order, last row per id wins, delete
 * rows remove) and return the live entries sorted by ascending id: the
 * content of the .ecx SeaweedFS's encoder writes. idx[0..len) holds whole
 * rows; a trailing partial row is ignored, as upstream's walker does.
 * *out is malloc'd (NULL when empty). Returns 0, or -1 out of memory. */
int swfs_index_live(const uint8_t *idx, size_t len, int offset_bytes,
		    struct swfs_idx_entry **out, size_t *n);

/* Entries as n index rows of that width, in a malloc'd buffer (not NULL
 * for n = 0); NULL when out of memory. */
uint8_t *swfs_idx_encode_all(const struct swfs_idx_entry *e, size_t n, int offset_bytes);

/* The .ecx SeaweedFS's encoder writes for an index: its live rows
 * (swfs_index_live) as *rows rows of the same width. malloc'd; NULL when
 * out of memory. */
uint8_t *swfs_ecx_from_idx(const uint8_t *idx, size_t len, int offset_bytes, size_t *rows);

/* ---- .vif -------------------------------------------------------------- */

struct swfs_vif {
	uint32_t version;        /* needle version, 0 when absent */
	char replication[8];
	uint32_t bytes_offset;   /* 4, 5, or 0 when unset */
	uint64_t dat_file_size;  /* .dat size at EC encode time */
	bool has_dat_file_size;
	uint64_t expire_at_sec;
	bool read_only;
	bool remote;             /* "files" names tiered copies */
	bool has_ec_config;
	uint32_t data_shards, parity_shards;
	int64_t encode_ts_ns;
};

/* Parse protobuf-JSON VolumeInfo (camelCase or snake_case names, 64-bit
 * values as strings or numbers). Empty text parses as all-absent.
 * Returns 0, or -1 with a message in err. */
int swfs_vif_parse(const char *text, size_t len, struct swfs_vif *v, char *err, size_t errlen);
/* The .vif at path: 1 when it says something, 0 when it is absent or
 * empty (upstream treats both alike: v is all-absent), -1 when it cannot
 * be read or parsed, with why in err. */
int swfs_vif_load(const char *path, struct swfs_vif *v, char *err, size_t errlen);
/* Write as the encoder does (all fields, two-space indent). */
void swfs_vif_write(FILE *f, const struct swfs_vif *v);

/* ---- files ----------------------------------------------------------------- */

/* A volume's file read whole (through open_regular), NUL-terminated, its
 * length in *len; NULL with *why (errno ENOENT when it is absent, EFBIG
 * past max bytes). */
uint8_t *swfs_read_all(const char *path, size_t max, size_t *len, const char **why);

/* ---- names --------------------------------------------------------------- */

/* base + ext into buf ("dir/7" + ".dat"); -1 when it does not fit. */
int swfs_path(char *buf, size_t len, const char *base, const char *ext);

/* Does a file name (no directory) look like "<collection>_<id><ext>" or
 * "<id><ext>"? Writes the base (name without ext) into out. */
bool swfs_volume_name(const char *name, const char *ext, char *out, size_t len);

/* The files of a volume, as bits for swfs_dir_volumes. */
enum swfs_file {
	SWFS_DAT = 1 << 0,
	SWFS_IDX = 1 << 1,
	SWFS_ECX = 1 << 2,
	SWFS_ECJ = 1 << 3,
	SWFS_VIF = 1 << 4,
	SWFS_SHARD = 1 << 5, /* .ec00 ... .ec31 */
	SWFS_ECSUM = 1 << 6, /* the EC bitrot sidecar */
};

/* Which file of a volume a name is ("pics_7.ec03": SWFS_SHARD), with the
 * volume's base name ("pics_7") in base; 0 when it is none. */
unsigned swfs_file_kind(const char *name, char *base, size_t len);

/* A path given for a volume ("dir/7.dat", "dir/7.ec03"): cut back to the
 * volume's base path ("dir/7") in place. Other paths are left alone. */
void swfs_strip_ext(char *path);

/* The volumes in dir that have a file of one of the kinds: base paths
 * "prefix/<base>", sorted, each once; a malloc'd array of malloc'd
 * strings (swfs_free_list). 0, or -1 with errno. */
int swfs_dir_volumes(const char *dir, const char *prefix, unsigned kinds, char ***bases,
		     size_t *n);
void swfs_free_list(char **list, size_t n);

#endif
