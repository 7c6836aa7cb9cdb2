/* mbr.h - DOS (MBR) partition tables, read only: the four records of LBA
 * 0, the logical partitions chained from an extended one, and what kind
 * of MBR it is next to a GPT (protective, hybrid) or on its own.
 *
 * Records are decoded field by field from the sector's bytes; CHS
 * addresses are ignored, as every current reader ignores them. Nothing
 * here prints: what is wrong is listed in m->problem[].
 */
#ifndef BB_MBR_H
#define BB_MBR_H

#include "error.h"

#include <stdbool.h>
#include <stdint.h>

#define MBR_SIZE 512          /* the MBR is the first 512 bytes of LBA 0 */
#define MBR_MAX_LOGICAL 256   /* extended boot records followed, at most */
#define MBR_MAX_PARTS (4 + MBR_MAX_LOGICAL)
#define MBR_MAX_PROBLEMS 16
#define MBR_TYPE_GPT 0xEE

enum mbr_kind {
	MBR_NONE,       /* no 0x55AA signature, or no records in use */
	MBR_PROTECTIVE, /* a 0xEE record alone: the disk holds a GPT */
	MBR_HYBRID,     /* 0xEE beside other records (sgdisk -h) */
	MBR_DOS,        /* records and no 0xEE: a plain DOS table */
};

enum mbr_role { MBR_PRIMARY, MBR_EXTENDED, MBR_LOGICAL };

struct mbr_part {
	unsigned number;      /* 1-4 the record's slot, 5... logical, as Linux counts */
	enum mbr_role role;
	uint8_t type;
	uint8_t status;       /* 0x80 bootable ("active"), 0 not, others invalid */
	uint64_t start, sectors; /* absolute LBA and length, in logical sectors */
};

struct mbr {
	unsigned sector;
	uint64_t lbas;
	enum mbr_kind kind;
	uint32_t disk_id;     /* bytes 440-443, the "disk identifier" */
	struct mbr_part part[MBR_MAX_PARTS];
	unsigned nparts;      /* primary records in use, then logicals in chain order */
	char problem[MBR_MAX_PROBLEMS][128];
	unsigned nproblems, ndropped;
};

/* The kind of MBR in these 512 bytes of LBA 0. */
enum mbr_kind mbr_classify(const uint8_t *lba0);
/* The start and size of record i (0-3), and its type. */
void mbr_record(const uint8_t *lba0, int i, uint8_t *type, uint32_t *start, uint32_t *sectors);

/* Read the MBR of a disk of size bytes in sectors of sector bytes (512 or
 * 4096), following the chain of logical partitions of the first extended
 * one. 0 (m->kind MBR_NONE when there is none), or -1 with e on a read
 * error. Work is bounded by MBR_MAX_LOGICAL reads whatever the bytes. */
int mbr_read(struct mbr *m, int fd, uint64_t size, unsigned sector, struct bb_error *e);

/* util-linux's name for a type ("Linux", "W95 FAT32 (LBA)"), or NULL. */
const char *mbr_type_name(uint8_t type);
bool mbr_type_extended(uint8_t type);

#endif
