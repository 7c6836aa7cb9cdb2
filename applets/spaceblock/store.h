/* store.h - the SpaceOS block layout ("space-block") and a store on it.
 *
 * Block 0 holds the 48-byte superblock of the original, followed by our
 * 16-byte layout record; blocks 1-16 the parameter store, 17-32 the event
 * ring, and the data-product area starts at dp_start (33) with its catalog.
 * docs/spaceblock-format.md is the byte-level description; this file
 * follows it.
 *
 * The store does all I/O through struct sb_io, so tests can run it on
 * memory and cut the power in the middle of any write.
 */
#ifndef SPACEBLOCK_STORE_H
#define SPACEBLOCK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the format --------------------------------------------------------- */

#define SB_MAGIC 0x53504F53u /* "SPOS" */
#define SB_VERSION 1
#define SB_SUPER_SIZE 48
#define SB_SUPER_CRC_OFF 44 /* CRC-32C of bytes 0..43, stored at 44 */

#define SB_EXT_OFF 48 /* our layout record, right after the superblock */
#define SB_EXT_SIZE 16
#define SB_EXT_MAGIC 0x53504258u /* "SPBX" */
#define SB_EXT_VERSION 1

#define SB_PARAM_FIRST 1
#define SB_PARAM_BLOCKS 16
#define SB_EVENT_FIRST 17
#define SB_EVENT_BLOCKS 16
#define SB_DP_START 33
#define SB_CATALOG_BLOCKS 16 /* at the start of the data-product area */

#define SB_PARAM_SIZE 252
#define SB_PARAM_MAX 240
#define SB_EVENT_SIZE 76
#define SB_EVENT_MAX 48
#define SB_DESC_SIZE 80 /* the original's data-product descriptor */
#define SB_CAT_SIZE 128 /* our catalog record: descriptor + length, seq, time, CRC */
#define SB_NAME_MAX 64

struct sb_super {
	uint32_t magic;
	uint8_t version;
	uint8_t reserved;
	uint16_t tenant_id;
	uint32_t total_blocks;
	uint32_t dp_start;
	uint32_t dp_size;
	uint64_t epoch;
	uint8_t uuid[16];
	uint32_t crc; /* as stored; sb_super_encode computes it */
};

struct sb_ext {
	uint8_t version;
	uint8_t block_shift; /* 9: 512-byte blocks, 12: 4096 */
	uint16_t catalog_blocks;
};

struct sb_param {
	uint32_t id;
	uint16_t len;
	uint16_t gen;
	uint8_t value[SB_PARAM_MAX];
};

enum sb_severity { SB_DEBUG, SB_INFO, SB_WARNING, SB_ERROR, SB_CRITICAL, SB_NSEVERITY };

struct sb_event {
	uint64_t seq; /* 1 for the first event ever written; 0 never occurs */
	uint64_t timestamp;
	uint32_t code;
	uint8_t severity;
	uint8_t len;
	uint8_t payload[SB_EVENT_MAX];
};

struct sb_dp {
	uint32_t block_offset; /* relative to dp_start */
	uint32_t block_count;
	uint16_t dp_class;
	uint8_t priority;
	uint8_t name_len;
	char name[SB_NAME_MAX + 1]; /* NUL-terminated copy */
	uint32_t data_crc;          /* CRC-32C of the product's bytes */
	uint64_t length;            /* bytes */
	uint64_t seq;               /* catalog order: larger is newer */
	uint64_t created;           /* seconds since 1970, as given */
};

/* What a slot holds when decoded. */
enum sb_slot { SLOT_EMPTY, SLOT_VALID, SLOT_CORRUPT };

void sb_super_encode(const struct sb_super *s, uint8_t out[SB_SUPER_SIZE]);
void sb_super_decode(const uint8_t in[SB_SUPER_SIZE], struct sb_super *s);
uint32_t sb_super_crc(const uint8_t in[SB_SUPER_SIZE]);
void sb_ext_encode(const struct sb_ext *e, uint8_t out[SB_EXT_SIZE]);
enum sb_slot sb_ext_decode(const uint8_t in[SB_EXT_SIZE], struct sb_ext *e);

void sb_param_encode(const struct sb_param *p, uint8_t out[SB_PARAM_SIZE]);
enum sb_slot sb_param_decode(const uint8_t in[SB_PARAM_SIZE], struct sb_param *p);
void sb_event_encode(const struct sb_event *e, uint8_t out[SB_EVENT_SIZE]);
enum sb_slot sb_event_decode(const uint8_t in[SB_EVENT_SIZE], struct sb_event *e);
void sb_dp_encode(const struct sb_dp *d, uint8_t out[SB_CAT_SIZE]);
enum sb_slot sb_dp_decode(const uint8_t in[SB_CAT_SIZE], struct sb_dp *d);

/* Is generation a newer than b? Serial-number arithmetic (RFC 1982) on
 * u16: right across the wrap as long as the generations of one id stay
 * within 32767 of each other, which the slot reuse rule guarantees. */
static inline bool sb_gen_newer(uint16_t a, uint16_t b)
{
	return (int16_t)(uint16_t)(a - b) > 0;
}

const char *sb_severity_name(unsigned sev);
int sb_severity_parse(const char *s); /* -1 when unknown */

/* ---- the store ---------------------------------------------------------- */

/* Whole-buffer I/O at byte offsets; 0 or -1 with errno. */
struct sb_io {
	int (*read)(void *ctx, void *buf, size_t len, uint64_t off);
	int (*write)(void *ctx, const void *buf, size_t len, uint64_t off);
	int (*sync)(void *ctx);
	void *ctx;
	uint64_t size; /* bytes on the device */
};

/* An sb_io on a file descriptor (file or block device). */
void sb_io_fd(struct sb_io *io, int *fd, uint64_t size);

/* Errors: functions return 0 or one of these, negated, with the message
 * for the user in sb->why (or the why buffer given). */
enum {
	SB_EIO = 1,
	SB_ENOMEM,
	SB_ENOLAYOUT, /* nothing that looks like the layout */
	SB_EMAGIC,
	SB_ECRC,
	SB_EVERSION,
	SB_EGEOMETRY, /* fields that cannot describe this device */
	SB_EFULL,
	SB_EEXIST,
	SB_ENOENT,
	SB_ETOOLONG,
	SB_EINVAL,
	SB_EDATACRC,
	SB_EBROKEN, /* an earlier write failed: reopen */
};

#define SB_WHY 256

struct spaceblock {
	struct sb_io io;
	struct sb_super super;
	struct sb_ext ext;
	unsigned bs;         /* block size in bytes */
	bool sync;           /* flush after each commit (the default) */
	bool broken;         /* a write failed; the cache may not match the disk */
	bool salvaged;       /* block 0 damaged: read-only, geometry reconstructed */
	unsigned nparam, nevent, ncat;            /* slots */
	unsigned param_per_block, event_per_block, cat_per_block;
	uint8_t *params, *events, *catalog;       /* the areas, as on disk */
	uint8_t *param_state, *event_state, *cat_state; /* enum sb_slot per slot */
	uint64_t newest_seq;  /* newest valid event, 0 when none */
	uint64_t dp_seq;      /* newest catalog seq */
	char why[SB_WHY];
};

struct sb_init {
	unsigned block_size;   /* 512 or 4096 */
	uint32_t total_blocks; /* device size in blocks (may be less) */
	uint16_t tenant_id;
	uint64_t epoch;
	uint8_t uuid[16];
};

/* Smallest device that can hold the layout, in blocks. */
#define SB_MIN_BLOCKS (SB_DP_START + SB_CATALOG_BLOCKS + 1)

/* Lay out a fresh store: invalidate block 0, zero the parameter, event and
 * catalog areas, then write the superblock last, so an interrupted init
 * leaves no layout at all. */
int sb_format(const struct sb_io *io, const struct sb_init *in, char *why, size_t whylen);

/* Read and check block 0 and load the areas. Writes nothing. */
int sb_open(struct spaceblock *sb, const struct sb_io *io);
void sb_close(struct spaceblock *sb);
/* sb_open, and when block 0 fails its checks (a bad bit, a short image)
 * the records still read: the block size from the layout record (or the
 * one whose areas hold more valid records), the fixed areas, the
 * data-product area to the end of the device. Then *note says what was
 * wrong, and the store refuses every write. Writes nothing. */
int sb_open_salvage(struct spaceblock *sb, const struct sb_io *io, char *note, size_t len);

int sb_param_put(struct spaceblock *sb, uint32_t id, const void *val, size_t len);
int sb_param_get(struct spaceblock *sb, uint32_t id, struct sb_param *out);
/* Newest generation of every id, sorted by id; out has room for nparam. */
size_t sb_param_list(struct spaceblock *sb, struct sb_param *out);

/* ev->seq is assigned (and returned there). */
int sb_event_write(struct spaceblock *sb, struct sb_event *ev);
/* Events ever written, as far as the ring remembers: the newest seq. */
uint64_t sb_event_count(const struct spaceblock *sb);
/* Up to max events still in the ring, newest first. */
size_t sb_event_recent(struct spaceblock *sb, struct sb_event *out, size_t max);

/* Data comes from `read` in pieces: it fills up to len bytes and returns
 * how many, 0 at the end, -1 on error (with errno). */
typedef long (*sb_reader)(void *ctx, void *buf, size_t len);
/* ...and goes to `write`, which returns 0 or -1. */
typedef int (*sb_writer)(void *ctx, const void *buf, size_t len);

/* length SB_LEN_UNKNOWN (a pipe): the data goes to the largest free run
 * as it comes, and fails with SB_EFULL when it does not fit there; the
 * product then owns only the blocks it filled. */
#define SB_LEN_UNKNOWN UINT64_MAX
int sb_dp_write(struct spaceblock *sb, const char *name, uint16_t dp_class, uint8_t priority,
		uint64_t created, uint64_t length, sb_reader read, void *ctx, struct sb_dp *out);
int sb_dp_find(struct spaceblock *sb, const char *name, struct sb_dp *out);
/* Streams the product to `write`, then fails with SB_EDATACRC if its
 * CRC-32C does not match: callers keep what they got only on success. */
int sb_dp_read(struct spaceblock *sb, const struct sb_dp *d, sb_writer write, void *ctx);
int sb_dp_delete(struct spaceblock *sb, const char *name);
/* Live products in catalog order (oldest first); out has room for ncat. */
size_t sb_dp_list(struct spaceblock *sb, struct sb_dp *out);
/* Payload blocks not used by any product, and the largest free run. */
void sb_dp_space(struct spaceblock *sb, uint64_t *free_blocks, uint64_t *largest);

/* Every slot that fails its check, and every inconsistency found. */
typedef void (*sb_problem_fn)(void *ctx, const char *area, unsigned slot, const char *what);
unsigned sb_problems(struct spaceblock *sb, sb_problem_fn fn, void *ctx);

/* Memory-backed convenience for sb_dp_write/sb_dp_read. */
struct sb_membuf {
	uint8_t *p;
	size_t len, pos, cap;
};
long sb_mem_reader(void *ctx, void *buf, size_t len);
int sb_mem_writer(void *ctx, const void *buf, size_t len);

#endif
