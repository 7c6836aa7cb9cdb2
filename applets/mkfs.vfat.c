/* mkfs.vfat - make a FAT12/16/32 filesystem on a device, a partition or
 * an image file (an EFI system partition, a boot partition), shaped as
 * dosfstools' mkfs.fat shapes it, its boot sector written last. */
#include "bb.h"
#include "error.h"
#include "io.h"
#include "mkfs.h"
#include "num.h"
#include "uuid.h"
#include "vfat.h"

#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

static int mkfs_vfat_main(int argc, char **argv);

enum { O_FAT, O_LABEL, O_VOLID, O_SECTOR, O_CLUSTER, O_HIDDEN, O_OFFSET, O_IGNORE, O_FORCE };
static const struct bb_opt mkfs_vfat_opts[] = {
	[O_FAT] = { "fat-size", 'F', "12|16|32", "FAT type (default: by size, as mkfs.fat)" },
	[O_LABEL] = { "label", 'n', "LABEL", "volume label: up to 11 ASCII characters" },
	[O_VOLID] = { "volume-id", 'i', "VOLID", "volume id: 8 hex digits or XXXX-XXXX (default: random)" },
	[O_SECTOR] = { "sector-size", 'S', "SIZE", "logical sector size: 512 to 4096 (default: the device's, 512 for files)" },
	[O_CLUSTER] = { "cluster-sectors", 's', "N", "sectors per cluster: 1 2 4 ... 128 (default: by size)" },
	[O_HIDDEN] = { "hidden-sectors", 'h', "N", "hidden sectors recorded in the boot sector (default: the partition's start)" },
	[O_OFFSET] = { "offset", 0, "SECTOR", "make the filesystem at this sector of TARGET" },
	[O_IGNORE] = { "ignore-checks", 'I', NULL, "accepted for mkfs.fat; the checks below still apply" },
	[O_FORCE] = { "force", 0, NULL, "overwrite a filesystem, RAID/LVM member or partition table" },
	{ 0 },
};

static const char *const mkfs_vfat_aliases[] = { "mkfs.fat", NULL };

const struct applet applet_mkfs_vfat = {
	.name = "mkfs.vfat",
	.aliases = mkfs_vfat_aliases,
	.summary = "make a FAT12/16/32 filesystem (EFI system partitions)",
	.usage =
	"mkfs.vfat [OPTIONS] TARGET [BLOCKS]\n"
	"\n"
	"Makes a FAT filesystem on TARGET, a block device or an image file, over all\n"
	"of it or its first BLOCKS KiB. The FAT type, cluster size and layout are\n"
	"those dosfstools' mkfs.fat 4.2 picks for the same size: FAT12 or FAT16 below\n"
	"512 MiB, FAT32 from there; FAT32 needs 65525 clusters (about 33 MiB with\n"
	"512-byte sectors, 256 MiB with 4096-byte ones) and a size too small or too\n"
	"large for the type asked is refused with the limit stated. FAT32 gets an\n"
	"FSInfo sector and a backup boot sector; the label goes in the boot sector and\n"
	"in the root directory. The boot sector is written last, after a flush of the\n"
	"rest, so an interrupted run leaves nothing that looks like a filesystem.\n"
	"\n"
	"A target in use (mounted, swap, held by RAID/LVM/dm) is always refused. One\n"
	"holding any signature (a filesystem, a RAID/LVM member, a partition table)\n"
	"is refused unless --force, which erases those signatures first. With\n"
	"--offset only the area from that sector on is looked at and written.",
	.opts = mkfs_vfat_opts,
	.main = mkfs_vfat_main,
};

struct ctx {
	struct bb_args a;
	const char *path;
	struct vfat_params p;
	uint64_t offset_sectors, limit;
	unsigned sector;
};

/* Number options through core/num; 2 (usage) on a bad one. */
static int number(const struct bb_args *a, int i, uint64_t min, uint64_t max, uint64_t *out)
{
	struct bb_error e = { 0 };
	if (!opt_on(a, i))
		return 0;
	if (num_u64(opt_str(a, i, ""), min, max, out, &e)) {
		bb_error_prefix(&e, "%s", opt_name(&applet_mkfs_vfat, i));
		bb_report(&e);
		return 2;
	}
	return 0;
}

static int text_options(struct ctx *c)
{
	struct bb_error e = { 0 };
	bool lower = false;
	if (vfat_label(opt_str(&c->a, O_LABEL, ""), c->p.label, &lower, &e)) {
		bb_report(&e);
		return 2;
	}
	if (lower)
		bb_warn("lower-case letters in a FAT label may show differently on some systems");
	if (opt_on(&c->a, O_VOLID)) {
		if (vfat_volid_parse(opt_str(&c->a, O_VOLID, ""), &c->p.volid, &e)) {
			bb_report(&e);
			return 2;
		}
	} else if (uuid_random_bytes(&c->p.volid, sizeof(c->p.volid), &e)) {
		bb_report(&e);
		return 1;
	}
	vfat_dos_time(time(NULL), &c->p.dos_date, &c->p.dos_time);
	return 0;
}

static int options(struct ctx *c)
{
	uint64_t v = 0;
	int rc;
	if ((rc = number(&c->a, O_FAT, 12, 32, &v)))
		return rc;
	if (v && v != 12 && v != 16 && v != 32) {
		bb_err("-F %llu: 12, 16 or 32", (unsigned long long)v);
		return 2;
	}
	c->p.fat_bits = (unsigned)v;
	v = 0;
	if ((rc = number(&c->a, O_SECTOR, 512, 4096, &v)))
		return rc;
	c->sector = (unsigned)v;
	v = 0;
	if ((rc = number(&c->a, O_CLUSTER, 1, 128, &v)))
		return rc;
	c->p.cluster = (unsigned)v;
	v = 0;
	if ((rc = number(&c->a, O_HIDDEN, 0, UINT32_MAX, &v)))
		return rc;
	c->p.hidden = (uint32_t)v;
	if ((rc = number(&c->a, O_OFFSET, 0, UINT32_MAX, &c->offset_sectors)))
		return rc;
	if (c->a.argc == 2) {
		struct bb_error e = { 0 };
		if (num_u64(c->a.argv[1], 1, UINT64_MAX / 1024, &c->limit, &e)) {
			bb_error_prefix(&e, "BLOCKS");
			bb_report(&e);
			return 2;
		}
		c->limit *= 1024;
	}
	return text_options(c);
}

/* Hidden sectors, when -h does not say: the partition's start on its
 * disk (sysfs counts 512-byte units), or the --offset. mkfs.fat leaves
 * an image's at 0 even with --offset; the offset is what the field
 * means, so it is recorded here. */
static void hidden_sectors(struct ctx *c, const struct mkfs_target *t)
{
	if (opt_on(&c->a, O_HIDDEN))
		return;
	uint64_t start = c->offset_sectors;
	if (t->d.is_blockdev) {
		char path[64], line[32];
		uint64_t v;
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/start", major(t->d.rdev),
			 minor(t->d.rdev));
		if (!read_line(path, line, sizeof(line)) && !num_dec_u64(line, 0, UINT64_MAX / 512, &v, NULL))
			start += v * 512 / c->p.sector;
	}
	c->p.hidden = start > UINT32_MAX ? UINT32_MAX : (uint32_t)start;
}

static int label_len(const char label[VFAT_LABEL_LEN])
{
	int n = VFAT_LABEL_LEN;
	while (n && label[n - 1] == ' ')
		n--;
	return n;
}

static void report(const struct vfat_plan *pl, const struct ctx *c, const struct mkfs_target *t)
{
	const struct vfat_layout *l = &pl->l;
	if (t->found[0])
		printf("overwritten (%s)\n", t->found);
	printf("FAT%u on %s: %u sectors of %u bytes, %u per cluster, %u clusters, "
	       "volume id %04X-%04X",
	       l->fat_bits, c->path, l->sectors, l->sector, l->cluster, l->clusters,
	       c->p.volid >> 16, c->p.volid & 0xffff);
	if (vfat_label_is_none(c->p.label))
		printf(", no label\n");
	else
		printf(", label %.*s\n", label_len(c->p.label), c->p.label);
}

static int make(struct ctx *c, struct mkfs_target *t)
{
	struct bb_error e = { 0 };
	struct vfat_plan pl;
	c->p.sector = t->sector;
	hidden_sectors(c, t);
	if (c->limit > t->size) {
		bb_err("%s: %llu KiB is more than the %llu KiB there", c->path,
		       (unsigned long long)(c->limit / 1024), (unsigned long long)(t->size / 1024));
		return 1;
	}
	c->p.size = c->limit ? c->limit : t->size;
	c->p.floppy = !t->d.is_blockdev;
	if (vfat_plan(&c->p, &pl, &e)) {
		bb_error_prefix(&e, "%s", c->path);
		bb_report(&e);
		return 1;
	}
	int rc = 0;
	if ((t->found[0] && mkfs_wipe(t->d.fd, t->off, t->size, c->p.sector, &e)) ||
	    vfat_apply(&pl, t->d.fd, t->off, &e)) {
		bb_error_prefix(&e, "%s", c->path);
		bb_report(&e);
		rc = 1;
	} else {
		report(&pl, c, t);
	}
	vfat_plan_free(&pl);
	return rc;
}

static int mkfs_vfat_main(int argc, char **argv)
{
	struct ctx c = { 0 };
	int rc = bb_getopt(&applet_mkfs_vfat, argc, argv, &c.a);
	if (rc != BB_CONTINUE)
		return rc;
	if (c.a.argc < 1 || c.a.argc > 2) {
		bb_err("expected TARGET [BLOCKS]");
		return 2;
	}
	c.path = c.a.argv[0];
	if ((rc = options(&c)))
		return rc;
	struct bb_error e = { 0 };
	struct mkfs_target t;
	if (mkfs_target_open(&t, c.path, c.sector, c.offset_sectors, opt_on(&c.a, O_FORCE), &e)) {
		bb_report(&e);
		return 1;
	}
	rc = make(&c, &t);
	mkfs_target_close(&t);
	return rc;
}
