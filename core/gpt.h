/* gpt.h - GUID partition tables: read, verify, edit, write, repair.
 *
 * A table is read into a `struct gpt` (the model: disk GUID, usable area,
 * one slot per entry of the array) together with a list of problems found
 * on the way. Edits change the model only; gpt_write() turns it into the
 * protective MBR, primary and backup copies, in an order that survives a
 * power cut (see gpt.c). Nothing is repaired behind the caller's back:
 * gpt_write() refuses a table whose copies are damaged, misplaced or
 * disagree until gpt_fix() has been asked to repair them.
 *
 * Errors and refusals leave a message in g->err ("partition 3 is not in
 * use"); the functions here print nothing.
 */
#ifndef BB_GPT_H
#define BB_GPT_H

#include "error.h"
#include "mbr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GPT_ENTRY_MIN 128          /* bytes per entry: 128 * 2^n on disk */
#define GPT_DEFAULT_ENTRIES 128    /* the 16 KiB array every tool writes */
#define GPT_MAX_ARRAY (1u << 20)   /* entry arrays above 1 MiB are refused */
#define GPT_ALIGN_BYTES (1u << 20) /* partitions start on 1 MiB boundaries */
#define GPT_NAME_UNITS 36          /* UTF-16 code units in an entry's name */
#define GPT_NAME_UTF8_MAX (GPT_NAME_UNITS * 3 + 1)
#define GPT_GUID_STR 37            /* "0FC63DAF-8483-4772-8E79-3D69D8477DE4" + NUL */
#define GPT_MAX_PROBLEMS 24

/* Attribute bits (UEFI: 0-2; 48-63 belong to the partition type, these
 * are the meanings Microsoft basic data and systemd's discoverable
 * partitions give them). */
enum {
	GPT_ATTR_REQUIRED = 0,
	GPT_ATTR_NO_BLOCK_IO = 1,
	GPT_ATTR_LEGACY_BOOT = 2,
	GPT_ATTR_GROWFS = 59,
	GPT_ATTR_READ_ONLY = 60,
	GPT_ATTR_HIDDEN = 62,
	GPT_ATTR_NO_AUTOMOUNT = 63,
};

/* ---- GUIDs -----------------------------------------------------------
 * Kept in on-disk byte order: the first three fields little-endian, the
 * last eight bytes as written. Text is the usual upper-case 8-4-4-4-12. */
struct gpt_guid {
	uint8_t b[16];
};

int gpt_guid_parse(const char *s, struct gpt_guid *g); /* 0, or -1 when malformed */
char *gpt_guid_fmt(const struct gpt_guid *g, char buf[GPT_GUID_STR]);
bool gpt_guid_is_zero(const struct gpt_guid *g);
bool gpt_guid_eq(const struct gpt_guid *a, const struct gpt_guid *b);
/* A random (version 4) GUID from getrandom(). 0, or -1 with errno. */
int gpt_guid_random(struct gpt_guid *g);

/* ---- partition types by short name ----------------------------------- */
struct gpt_type {
	const char *name; /* "linux", "esp", ... */
	const char *guid; /* text form */
	const char *desc; /* the name util-linux gives it, "Linux filesystem" */
};
extern const struct gpt_type gpt_types[];
extern const size_t gpt_type_count;

/* A short name (case-insensitive) or a GUID in text. 0, or -1. */
int gpt_type_parse(const char *s, struct gpt_guid *out);
/* The short name of a type GUID, or NULL when it has none. */
const char *gpt_type_name(const struct gpt_guid *g);

/* Attribute names: "required", "no_block_io", "legacy_boot", "growfs",
 * "read_only", "hidden", "no_automount"; NULL for other bits. */
const char *gpt_attr_name(unsigned bit);
/* A comma- or space-separated list of names, bit numbers 0-63, or
 * util-linux's spellings ("LegacyBIOSBootable", "GUID:60"). 0, or -1
 * with *why set. */
int gpt_attr_parse(const char *s, uint64_t *out, const char **why);

/* ---- names ------------------------------------------------------------ */
/* UTF-8 to the entry's UTF-16LE code units (surrogate pairs for characters
 * past U+FFFF), zero-padded. -1 with *why on invalid UTF-8 or more than
 * GPT_NAME_UNITS units. */
int gpt_name_from_utf8(const char *s, uint16_t out[GPT_NAME_UNITS], const char **why);
/* Up to the first NUL unit; unpaired surrogates become U+FFFD. out must
 * hold GPT_NAME_UTF8_MAX bytes. Returns the length. */
size_t gpt_name_to_utf8(const uint16_t in[GPT_NAME_UNITS], char *out);

/* ---- the table -------------------------------------------------------- */
struct gpt_part {
	struct gpt_guid type; /* all zero: the slot is unused */
	struct gpt_guid guid;
	uint64_t first_lba, last_lba; /* inclusive, as on disk */
	uint64_t attrs;
	uint16_t name[GPT_NAME_UNITS];
};

static inline bool gpt_part_used(const struct gpt_part *p) { return !gpt_guid_is_zero(&p->type); }

struct gpt_span {
	uint64_t first_lba, last_lba;
	uint32_t slot;
};

enum gpt_problem_kind {
	GPT_P_PRIMARY,   /* the primary header or its entry array is unusable */
	GPT_P_BACKUP,    /* the backup header or its entry array is unusable */
	GPT_P_PLACE,     /* the backup is not at the end of the disk (it grew) */
	GPT_P_MISMATCH,  /* both copies are valid but describe different tables */
	GPT_P_MBR,       /* protective MBR missing or of the wrong size */
	GPT_P_MBR_FOREIGN, /* LBA 0 holds an MBR partition table, not a protective one */
	GPT_P_PART,      /* partitions overlap, lie outside the usable area, share a GUID */
};

struct gpt_problem {
	enum gpt_problem_kind kind;
	char msg[168];
};

/* Which copy the model is loaded from. */
enum gpt_source {
	GPT_FROM_EITHER,  /* the primary when it is valid, else the backup */
	GPT_FROM_PRIMARY,
	GPT_FROM_BACKUP,
};

enum gpt_mbr { /* what core/mbr.h's mbr_classify() says */
	GPT_MBR_NONE = MBR_NONE,             /* no 0x55AA signature, or an empty MBR */
	GPT_MBR_PROTECTIVE = MBR_PROTECTIVE, /* one 0xEE entry */
	GPT_MBR_HYBRID = MBR_HYBRID,         /* 0xEE plus MBR partitions: kept as it is */
	GPT_MBR_FOREIGN = MBR_DOS,           /* MBR partitions and no 0xEE entry */
};

struct gpt {
	unsigned sector;      /* logical sector size, 512 or 4096 */
	uint64_t lbas;        /* whole sectors on the disk */
	struct gpt_guid disk_guid;
	uint64_t first_usable, last_usable;
	uint64_t primary_entries_lba, backup_lba, backup_entries_lba;
	uint32_t nentries, entry_size;
	struct gpt_part *part; /* nentries slots: slot i is partition i + 1 */
	struct gpt_span *order; /* used slots by first LBA; kept by the edit
				 * functions, so edit through them */
	uint32_t nused;

	/* What is on the disk now, as gpt_read() found it. */
	bool primary_ok, backup_ok;
	bool signature;  /* "EFI PART" in either header's place, valid or not */
	enum gpt_mbr mbr;
	uint8_t *lba0;   /* sector 0 as read (boot code survives rewrites) */
	bool mbr_dirty;  /* gpt_write() must rewrite the protective MBR */

	enum gpt_source from; /* the copy asked for (gpt_read_from) */
	bool from_backup;     /* the model was loaded from the backup copy */
	const char *differ;   /* both copies valid but differ in this ("partition
			       * entries"), or NULL */

	struct gpt_problem problem[GPT_MAX_PROBLEMS];
	unsigned nproblems;   /* kept */
	unsigned ndropped;    /* found past GPT_MAX_PROBLEMS */
	struct bb_error err;  /* why the last call that failed failed */
};

enum { GPT_NOTFOUND = 1 };

/* Read the table of a disk of size bytes in sectors of sector bytes.
 * Returns 0 when at least one copy is valid (g->problem[] lists what is
 * wrong), GPT_NOTFOUND when neither is (g->err says why, the problem list
 * says why for each copy), -1 on I/O or memory errors (g->err). g needs
 * no initialising; gpt_free() it whatever the result. */
int gpt_read(struct gpt *g, int fd, uint64_t size, unsigned sector);
void gpt_free(struct gpt *g);
/* gpt_read with the model loaded from the copy named: for a repair that
 * says which copy to keep. GPT_NOTFOUND (g->err says why) when that copy
 * is not valid: a damaged copy is never the source of a repair. */
int gpt_read_from(struct gpt *g, int fd, uint64_t size, unsigned sector, enum gpt_source from);

/* The sector size an image's GPT was written with: 4096 when "EFI PART"
 * sits at byte 4096 or 4096 bytes before the end and not at the 512-byte
 * places; 512 otherwise. */
unsigned gpt_guess_sector(int fd, uint64_t size);

/* A new empty table (random disk GUID, nentries slots, the usual layout:
 * entries at LBA 2, backup at the last LBA) with a fresh protective MBR.
 * 0, or -1 (g->err) when the disk is too small. */
int gpt_init(struct gpt *g, uint64_t size, unsigned sector, uint32_t nentries);

/* A new partition. Zero fields take defaults. */
struct gpt_new {
	unsigned number;        /* 1..nentries; 0: the first unused slot */
	struct gpt_guid type;   /* zero: linux */
	struct gpt_guid guid;   /* zero: random */
	uint64_t start_lba;     /* 0: the first free gap that fits, at 1 MiB */
	uint64_t size;          /* bytes, rounded up to sectors; 0: the rest of
				 * the gap (the largest one without start_lba),
				 * ending on a 1 MiB boundary when it can */
	uint64_t attrs;
	const char *name;       /* UTF-8; NULL: none */
};
/* Returns the partition number, or -1 (g->err). */
int gpt_add(struct gpt *g, const struct gpt_new *n);
int gpt_delete(struct gpt *g, unsigned number);
int gpt_rename(struct gpt *g, unsigned number, const char *utf8);
/* Give partition number a new size; its first LBA stays. sectors == 0:
 * the largest the free space behind it allows, ending on a 1 MiB boundary
 * unless the partition already reaches past the last one there. Refused
 * (-1, g->err) when it would overlap the next partition or leave the
 * usable area. *old_last gets the last LBA it had. */
int gpt_resize(struct gpt *g, unsigned number, uint64_t sectors, uint64_t *old_last);

struct gpt_gap {
	uint64_t first_lba, last_lba;
};
/* Unpartitioned ranges of the usable area, in disk order, as they are
 * (not aligned). Fills up to max and returns how many there are. */
size_t gpt_gaps(const struct gpt *g, struct gpt_gap *out, size_t max);
/* The part of a gap a new partition could use once its start is on a
 * 1 MiB boundary; false when nothing is left. */
bool gpt_gap_aligned(const struct gpt *g, const struct gpt_gap *in, struct gpt_gap *out);

/* Plan the repair of what gpt_read() found: rebuild a damaged or missing
 * copy from the valid one (when both are valid but disagree, from the
 * one the model was loaded from: the primary, which every reader uses,
 * unless gpt_read_from() named the backup; g->differ says what differs,
 * for callers that would rather ask),
 * move a backup that is not at the end of the disk there and extend the
 * usable area with it (like sgdisk -e), rewrite a missing or wrongly sized
 * protective MBR. An MBR partition table in LBA 0 is replaced only with
 * replace_mbr. Partition problems are not touched; they stay listed.
 * Returns the number of repairs planned (removed from the problem list),
 * or -1 (g->err) when it cannot repair. */
int gpt_fix(struct gpt *g, bool replace_mbr);

/* ---- writing ----------------------------------------------------------- */
struct gpt_io {
	const char *what;   /* "backup entries", ... */
	uint64_t lba, count; /* sectors */
	uint8_t *buf;
	bool sync_after;    /* a barrier: fsync before the next write */
};
struct gpt_plan {
	struct gpt_io io[5];
	unsigned n;
};

/* Whether the table may be written as it is: not while problems other
 * than partition ones wait for gpt_fix(). 0, or -1 (g->err). */
int gpt_writable(struct gpt *g);

/* Build the sectors gpt_write() would write, in that order. Refuses
 * (-1, g->err) while problems other than partition ones are unrepaired. */
int gpt_plan(struct gpt *g, struct gpt_plan *p);
void gpt_plan_free(struct gpt_plan *p);
/* Write a plan: pwrite + fsync at each barrier. 0, or -1 with e. */
int gpt_plan_apply(const struct gpt_plan *p, int fd, unsigned sector, struct bb_error *e);

/* Plan and apply; afterwards the model describes what is on disk. */
int gpt_write(struct gpt *g, int fd);

/* After writing a block device: make the kernel's partitions match g,
 * deleting and adding only what changed (BLKPG, which works while other
 * partitions are in use), and rereading the whole table (BLKRRPART) when
 * that fails. 0, or -1 with e (the table on disk is fine; the kernel
 * keeps the old view until reboot). */
int gpt_sync_kernel(const struct gpt *g, int fd, dev_t disk, struct bb_error *e);

/* ---- backup files --------------------------------------------------------
 * Both copies and LBA 0, as sectors, with the disk they came from: its
 * sector size, size in sectors and disk GUID. The file (little-endian):
 *   0  "BBGPTBAK"        8  version (1)      12 sector size
 *   16 disk sectors      24 disk GUID (16 bytes, on-disk order)
 *   40 extents (5)       44 zero
 *   48 per extent: first LBA, sectors (8 bytes each)
 *   then each extent's sectors, in that order; last a CRC-32 (IEEE) of
 *   everything before it.
 * The extents are, in this order: LBA 0, the primary header, the primary
 * entry array, the backup entry array, the backup header. */
#define GPT_BACKUP_EXTENTS 5
#define GPT_BACKUP_MAX (48 + 16 * GPT_BACKUP_EXTENTS + 3 * 4096 + 2 * GPT_MAX_ARRAY + 4)
struct gpt_extent {
	uint64_t lba, count;
	uint8_t *data; /* count sectors */
};
struct gpt_backup {
	unsigned sector;
	uint64_t lbas;
	struct gpt_guid disk_guid;
	struct gpt_extent ext[GPT_BACKUP_EXTENTS];
	uint8_t *buf; /* owns what the extents point at */
};
extern const char *const gpt_backup_what[GPT_BACKUP_EXTENTS]; /* "primary header", ... */

/* The sectors of g's table as they are on disk now (g from gpt_read). */
int gpt_backup_take(const struct gpt *g, int fd, struct gpt_backup *b, struct bb_error *e);
/* What a disk holds now where b's extents go: what restoring b replaces. */
int gpt_backup_take_like(const struct gpt_backup *b, int fd, const struct gpt_guid *disk_guid,
			 struct gpt_backup *out, struct bb_error *e);
/* The file's bytes (malloc'd), or NULL with e. */
uint8_t *gpt_backup_encode(const struct gpt_backup *b, size_t *len, struct bb_error *e);
/* Check and decode a file's bytes (copied). -1 with e when they are not
 * a backup this version wrote whole: the work is linear in len. */
int gpt_backup_decode(const uint8_t *buf, size_t len, struct gpt_backup *b, struct bb_error *e);
void gpt_backup_free(struct gpt_backup *b);
/* Read the table a backup holds, as gpt_read reads a disk's. */
int gpt_read_backup(struct gpt *g, const struct gpt_backup *b);
/* The writes that put b back: the copy that is not valid on the disk now
 * first (the backup's when both are), each flushed, LBA 0 last. */
int gpt_backup_plan(const struct gpt_backup *b, bool disk_primary_ok, struct gpt_plan *p,
		    struct bb_error *e);

/* Helpers for callers. */
uint64_t gpt_align_lbas(const struct gpt *g); /* sectors per 1 MiB */
bool gpt_has_problem(const struct gpt *g, enum gpt_problem_kind kind);
const char *gpt_problem_kind_name(enum gpt_problem_kind kind); /* "primary", ... */

#endif
