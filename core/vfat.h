/* vfat.h - a new FAT12/16/32 filesystem, planned then written.
 *
 * vfat_layout() picks the geometry the way dosfstools 4.2's mkfs.fat
 * does (FAT type by size, cluster size, reserved sectors, alignment of
 * the FATs and root directory to clusters), so that the same size gives
 * the same filesystem shape; vfat_plan() builds the sectors to write and
 * touches nothing; vfat_apply() writes them: first everything from the
 * boot sector to the end of the root directory zeroed (an old boot
 * sector goes at once), then the FATs' first entries, the root
 * directory with the label, FSInfo and the backup boot sector, a flush,
 * and only then the boot sector itself, and a flush. An interrupted
 * format leaves no boot sector that a kernel or blkid would take.
 *
 * Deliberate differences from mkfs.fat, each for a reason:
 *  - FAT32 with fewer than 65525 clusters is refused, not written with a
 *    warning: Windows and the FAT specification take such a volume for
 *    FAT16 (mkfs.fat -F 32 allows it on request).
 *  - The 512 MiB threshold for choosing FAT32, the FAT32 cluster size and
 *    the (nominal) heads and sectors per track are taken from the size
 *    of the filesystem, not of the whole device, so that one made at an
 *    offset or over the first BLOCKS of a large image is what its own
 *    size calls for. Block devices get no HDIO_GETGEO geometry either.
 *  - Labels are ASCII: mkfs.fat converts to a DOS code page; here other
 *    bytes are refused.
 */
#ifndef BB_VFAT_H
#define BB_VFAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VFAT_LABEL_LEN 11
#define VFAT_MAX_CLUST_12 4084  /* see vfat.c: what Linux and Windows agree on */
#define VFAT_MIN_CLUST_16 4087
#define VFAT_MAX_CLUST_16 65524
#define VFAT_MIN_CLUST_32 65525
#define VFAT_MAX_CLUST_32 268435446

struct bb_error;

struct vfat_params {
	uint64_t size;        /* bytes of the area */
	unsigned sector;      /* logical sector size: 512, 1024, 2048 or 4096 */
	unsigned fat_bits;    /* 12, 16, 32, or 0: chosen by size */
	unsigned cluster;     /* sectors per cluster (1..128, a power of two), 0: chosen */
	bool floppy;          /* floppy geometry for the floppy sizes (image files) */
	uint32_t hidden;      /* sectors before the filesystem on its disk */
	uint32_t volid;
	char label[VFAT_LABEL_LEN]; /* from vfat_label(): blank-padded, or "NO NAME    " */
	uint16_t dos_date, dos_time; /* of the label's directory entry */
};

struct vfat_layout {
	unsigned fat_bits, sector, cluster; /* cluster: sectors per cluster */
	uint32_t sectors;     /* in the filesystem (the boot sector's count) */
	uint32_t reserved;    /* sectors before the first FAT */
	uint32_t fat_sectors; /* per FAT; two FATs */
	uint32_t root_entries, root_sectors; /* FAT12/16's fixed root directory */
	uint32_t data_start;  /* first sector of cluster 2 */
	uint32_t clusters;
	uint8_t media;
	uint16_t secs_track, heads;
	uint16_t info_sector, backup_boot; /* FAT32 */
};

/* The geometry for p. 0, or -1 with e: a size the FAT type cannot have
 * is refused with the smallest or largest size it can (ENOSPC, EFBIG),
 * bad parameters with EINVAL. */
int vfat_layout(const struct vfat_params *p, struct vfat_layout *l, struct bb_error *e);

/* ---- text in ---------------------------------------------------------- */
/* A label as the boot sector and the root directory hold it: at most 11
 * bytes of printable ASCII, none of * ? . , ; : / \ | + = < > [ ] ",
 * not starting with a blank; blank-padded. "" or all blanks is "no
 * label" ("NO NAME    "). *lower is set when it has lower-case letters
 * (some systems show those oddly). 0, or -1 with e (EINVAL). */
int vfat_label(const char *s, char out[VFAT_LABEL_LEN], bool *lower, struct bb_error *e);
bool vfat_label_is_none(const char label[VFAT_LABEL_LEN]);
/* A volume id as mkfs.fat -i takes it (1-8 hex digits, optional 0x) or
 * as blkid prints it (XXXX-XXXX). 0, or -1 with e (EINVAL). */
int vfat_volid_parse(const char *s, uint32_t *out, struct bb_error *e);
/* The DOS date and time of a moment in local time (1980..2107; earlier
 * or later is 1980-01-01 00:00). */
void vfat_dos_time(int64_t t, uint16_t *date, uint16_t *time);

/* ---- writing ----------------------------------------------------------- */
struct vfat_io {
	const char *what;
	uint64_t off, len;  /* bytes from the start of the area */
	const uint8_t *buf; /* NULL: zeros */
	bool sync_after;
};
struct vfat_plan {
	struct vfat_layout l;
	struct vfat_io io[10];
	unsigned n;
	uint8_t *mem;       /* the sectors io[] points into */
};

/* The writes, in order. 0, or -1 with e. vfat_plan_free() it after. */
int vfat_plan(const struct vfat_params *p, struct vfat_plan *pl, struct bb_error *e);
void vfat_plan_free(struct vfat_plan *pl);
/* Carry out a plan at byte offset off of fd. 0, or -1 with e. */
int vfat_apply(const struct vfat_plan *pl, int fd, uint64_t off, struct bb_error *e);

#endif
