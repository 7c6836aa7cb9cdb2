/* probe.c - libblkid's low-level probing, asked for the few tags we use. */
#include "probe.h"
#include "error.h"

#include <blkid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void tag(blkid_probe pr, const char *name, char *out, size_t len)
{
	const char *v = NULL;
	size_t n = 0;
	if (!blkid_probe_lookup_value(pr, name, &v, &n) && v)
		snprintf(out, len, "%s", v);
}

static int probe(const char *path, const char *type, struct probe_info *pi, struct bb_error *e)
{
	memset(pi, 0, sizeof(*pi));
	struct stat st;
	if (stat(path, &st))
		return bb_error_errno(e, "%s", path);
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		return bb_error_set(e, ENODEV, "%s: not a block device or a regular file", path);
	blkid_probe pr = blkid_new_probe_from_filename(path);
	if (!pr)
		return bb_error_errno(e, "%s: cannot probe", path);
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE |
						      BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
						      BLKID_SUBLKS_VERSION);
	if (type) {
		char *only[] = { (char *)type, NULL };
		blkid_probe_filter_superblocks_type(pr, BLKID_FLTR_ONLYIN, only);
	} else {
		blkid_probe_enable_partitions(pr, 1);
		blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	}
	errno = 0; /* libblkid does not always set it */
	int rc = blkid_do_safeprobe(pr);
	if (rc == -2) {
		blkid_free_probe(pr);
		return bb_error_set(e, EEXIST,
				    "%s: ambiguous: more than one signature (wipe the stale one first)",
				    path);
	}
	if (rc < 0) {
		bb_error_errno(e, "%s: probe failed", path);
		blkid_free_probe(pr);
		return -1;
	}
	if (rc == 0) {
		tag(pr, "TYPE", pi->type, sizeof(pi->type));
		tag(pr, "USAGE", pi->usage, sizeof(pi->usage));
		tag(pr, "LABEL", pi->label, sizeof(pi->label));
		tag(pr, "UUID", pi->uuid, sizeof(pi->uuid));
		tag(pr, "UUID_SUB", pi->uuid_sub, sizeof(pi->uuid_sub));
		tag(pr, "PTTYPE", pi->pttype, sizeof(pi->pttype));
		tag(pr, "PTUUID", pi->ptuuid, sizeof(pi->ptuuid));
		tag(pr, "VERSION", pi->version, sizeof(pi->version));
	}
	blkid_free_probe(pr);
	return 0;
}

int probe_path(const char *path, struct probe_info *pi, struct bb_error *e)
{
	return probe(path, NULL, pi, e);
}

int probe_path_as(const char *path, const char *type, struct probe_info *pi, struct bb_error *e)
{
	return probe(path, type, pi, e);
}
