/* mkfs.c - open the target of a format, refuse what is in use (core/claim)
 * or holds a signature, erase old signatures of a forced one (libblkid,
 * as wipefs).
 *
 * The area may start at an offset (mkfs.vfat --offset): signatures are
 * looked for in the area only, so a partition table in front of it does
 * not count.
 */
#include "mkfs.h"
#include "checked.h"
#include "claim.h"
#include "error.h"

#include <blkid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define WIPE_ROUNDS 64 /* signatures erased at most; each round finds one */

static blkid_probe new_probe(int fd, uint64_t off, uint64_t size, unsigned sector,
			     struct bb_error *e)
{
	blkid_probe pr = blkid_new_probe();
	if (!pr) {
		bb_error_errno(e, "cannot probe for signatures");
		return NULL;
	}
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)off, (blkid_loff_t)size)) {
		bb_error_errno(e, "cannot probe for signatures");
		blkid_free_probe(pr);
		return NULL;
	}
	if (sector)
		blkid_probe_set_sectorsize(pr, sector);
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE |
						      BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	return pr;
}

static const char *value(blkid_probe pr, const char *name)
{
	const char *v = NULL;
	if (blkid_probe_lookup_value(pr, name, &v, NULL) || !v)
		return NULL;
	return v;
}

/* "ext4 filesystem", "linux_raid_member raid member", "gpt partition table" */
static void describe(blkid_probe pr, char *buf, size_t len)
{
	const char *type = value(pr, "TYPE"), *usage = value(pr, "USAGE");
	const char *pt = value(pr, "PTTYPE");
	if (type && !strcmp(type, "swap"))
		snprintf(buf, len, "swap area");
	else if (type)
		snprintf(buf, len, "%s %s", type, usage && strcmp(usage, "other") ? usage : "signature");
	else if (pt)
		snprintf(buf, len, "%s partition table", pt);
	else
		snprintf(buf, len, "unknown signature");
}

static void append(char *what, size_t len, const char *one)
{
	size_t n = strlen(what);
	if (strstr(what, one))
		return;
	snprintf(what + n, len - n, "%s%s", n ? ", " : "", one);
}

int mkfs_signatures(int fd, uint64_t off, uint64_t size, unsigned sector, char *what, size_t len,
		    struct bb_error *e)
{
	what[0] = 0;
	blkid_probe pr = new_probe(fd, off, size, sector, e);
	if (!pr)
		return -1;
	for (int i = 0; i < WIPE_ROUNDS && blkid_do_probe(pr) == 0; i++) {
		char one[64];
		describe(pr, one, sizeof(one));
		append(what, len, one);
	}
	blkid_free_probe(pr);
	return 0;
}

int mkfs_wipe(int fd, uint64_t off, uint64_t size, unsigned sector, struct bb_error *e)
{
	blkid_probe pr = new_probe(fd, off, size, sector, e);
	if (!pr)
		return -1;
	/* blkid_do_wipe steps the probe back, so the next round looks at
	 * the same place again (a backup GPT header after the primary). */
	for (int i = 0; i < WIPE_ROUNDS && blkid_do_probe(pr) == 0; i++) {
		if (blkid_do_wipe(pr, 0)) {
			char one[64];
			describe(pr, one, sizeof(one));
			bb_error_errno(e, "erase the old %s", one);
			blkid_free_probe(pr);
			return -1;
		}
	}
	blkid_free_probe(pr);
	if (fsync(fd))
		return bb_error_errno(e, "flush after erasing old signatures");
	return 0;
}

/* The sector size and the offset in bytes; -1 with e on a bad one. */
static int place(struct mkfs_target *t, const char *path, unsigned sector, uint64_t off_sectors,
		 struct bb_error *e)
{
	t->sector = sector ? sector : t->d.is_blockdev ? t->d.lsec : 512;
	if (t->d.is_blockdev && t->sector < t->d.lsec)
		return bb_error_set(e, EINVAL, "%s: %u-byte sectors are smaller than the device's (%u)",
				    path, t->sector, t->d.lsec);
	if (mul_overflow_u64(off_sectors, t->sector, &t->off) || t->off >= t->d.size)
		return bb_error_set(e, ENOSPC, "%s: offset of %llu sectors is past its end (%llu bytes)",
				    path, (unsigned long long)off_sectors,
				    (unsigned long long)t->d.size);
	t->size = t->d.size - t->off;
	return 0;
}

/* What the area holds, in claim's words (whole targets, strict) or as
 * libblkid finds it in the area (at an offset: a partition table in
 * front of the area is not the area's). "" when blank. */
static int content(struct mkfs_target *t, const char *path, const struct claim *c,
		   struct bb_error *e)
{
	if (!t->off) {
		snprintf(t->found, sizeof(t->found), "%s", c->state == CLAIM_CONTENT ? c->why : "");
		return 0;
	}
	char what[sizeof(t->found) - 16];
	if (mkfs_signatures(t->d.fd, t->off, t->size, t->sector, what, sizeof(what), e))
		return bb_error_prefix(e, "%s", path);
	if (what[0])
		snprintf(t->found, sizeof(t->found), "it holds: %s", what);
	return 0;
}

int mkfs_target_open(struct mkfs_target *t, const char *path, unsigned sector,
		     uint64_t off_sectors, bool force, struct bb_error *e)
{
	memset(t, 0, sizeof(*t));
	t->d.fd = -1;
	/* In use: never, --force or not. Then the kernel's O_EXCL keeps it
	 * ours from the check on. */
	struct claim c;
	if (claim_check(&sysroot_default, path, off_sectors ? 0 : CLAIM_STRICT, &c) == CLAIM_BUSY)
		return bb_error_set(e, EBUSY, "%s: %s", path, c.why);
	if (disk_open(&t->d, path, DISK_WRITE | DISK_EXCL, 0, e))
		return -1;
	if (place(t, path, sector, off_sectors, e) || content(t, path, &c, e))
		goto fail;
	if (t->found[0] && !force) {
		bb_error_set(e, EEXIST, "%s: %s (--force overwrites it)", path, t->found);
		goto fail;
	}
	return 0;
fail:
	mkfs_target_close(t);
	return -1;
}

void mkfs_target_close(struct mkfs_target *t)
{
	disk_close(&t->d);
}
