/* volume.c - one volume from start to end: find its files, read the
 * superblock, load the index, scan, replay, check EC files, repair. */
#include "fsck.h"
#include "bb.h"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Index files live in --index-dir when given, but readers fall back to
 * the data directory (spec 0), and so do we. New ones go to the index
 * directory. */
static int index_path(const struct nf_opts *o, const char *base, const char *ext, char *out)
{
	const char *name = strrchr(base, '/');
	name = name ? name + 1 : base;
	if (o->index_dir) {
		char dir[PATH_MAX];
		if (snprintf(dir, sizeof(dir), "%s/%s", o->index_dir, name) >= (int)sizeof(dir) ||
		    swfs_path(out, PATH_MAX, dir, ext))
			return -1;
		char local[PATH_MAX];
		if (path_exists(out) || swfs_path(local, sizeof(local), base, ext) ||
		    !path_exists(local))
			return 0;
	}
	return swfs_path(out, PATH_MAX, base, ext);
}

static int paths(struct nf_vol *v, const char *base)
{
	if (swfs_path(v->dat, PATH_MAX, base, ".dat") || swfs_path(v->vif, PATH_MAX, base, ".vif") ||
	    index_path(v->o, base, ".idx", v->idx) || index_path(v->o, base, ".ecx", v->ecx) ||
	    index_path(v->o, base, ".ecj", v->ecj)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Read the superblock. What cannot be in it is decided only once the
 * records have been heard (nf_weigh_superblock): a flipped bit there
 * must not condemn a whole volume. */
static void superblock(struct nf_vol *v)
{
	struct nf_report *r = v->r;
	uint8_t *b = v->sb_raw;
	uint64_t zero = 0;
	const char *why = NULL;
	ssize_t got = pread_full(v->dat_fd, b, SWFS_SUPERBLOCK_SIZE, 0);
	if (got < 0) {
		nf_say(r, NF_ERROR, NF_K_IO, false, &zero, NULL, "reading the superblock: %s",
		       strerror(errno));
		v->io_failed = true;
		return;
	}
	if (got != SWFS_SUPERBLOCK_SIZE) {
		nf_say(r, NF_ERROR, NF_K_SUPERBLOCK, false, &zero, NULL,
		       "superblock cut short: records not checked");
		return;
	}
	/* every field is kept, whatever the version byte says */
	v->sb_ok = !swfs_sb_parse(b, &v->sb, &why);
	r->version = v->sb_ok ? v->sb.version : 0;
	swfs_replica_str(v->sb.replica, r->replica);
	swfs_ttl_str(v->sb.ttl_count, v->sb.ttl_unit, r->ttl);
	r->compaction_rev = v->sb.compaction_rev;
	r->extra_size = v->sb.extra_size;
	v->data_start = v->sb_ok ? swfs_sb_data_start(&v->sb) : SWFS_SUPERBLOCK_SIZE;
	if (v->sb_ok && (v->data_start > r->dat_size || v->data_start % SWFS_ALIGN)) {
		v->sb_ok = false;
		why = "its extra size puts the first record where none can be";
	}
	if (v->sb_ok && v->sb.extra_size && v->sb.version > 1)
		nf_say(r, NF_WARN, NF_K_SUPERBLOCK, false, &zero, NULL,
		       "superblock has %u extra bytes (no SeaweedFS writer sets them)",
		       v->sb.extra_size);
	v->sb_why = v->sb_ok ? NULL : why;
	r->data_start = v->data_start;
}

static int open_dat(struct nf_vol *v)
{
	const char *why;
	v->dat_fd = open_regular(v->dat, O_RDONLY, &v->dat_st, &why);
	if (v->dat_fd < 0) {
		if (errno == ENOENT)
			return 0;
		nf_say(v->r, NF_ERROR, NF_K_IO, false, NULL, NULL, "%s: %s", v->dat, why);
		return -1;
	}
	/* read once, front to back: a longer kernel read-ahead from disk */
	posix_fadvise(v->dat_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	v->r->have_dat = true;
	v->r->dat_size = (uint64_t)v->dat_st.st_size;
	superblock(v);
	return 0;
}

static void check(struct nf_vol *v)
{
	struct nf_report *r = v->r;
	if (open_dat(v) || nf_load_index(v)) {
		v->io_failed = true;
		return;
	}
	if (r->have_dat && (v->sb_ok || v->sb_why))
		nf_weigh_superblock(v, v->sb_raw, v->sb_why);
	if (!r->have_dat && !r->have_idx && !path_exists(v->ecx) && !path_exists(v->ecj)) {
		nf_say(r, NF_ERROR, NF_K_IO, false, NULL, NULL, "no .dat, .idx, .ecx or .ecj");
		v->io_failed = true;
		return;
	}
	if (r->have_dat && v->sb_ok) {
		if (nf_scan(v))
			return;
	} else if (r->have_idx) {
		nf_check_overlap(v);
	}
	nf_replay(v);
	if (!r->have_idx && r->have_dat && v->sb_ok && r->records) {
		nf_say(r, NF_ERROR, NF_K_IDX_MISSING, true, NULL, NULL,
		       "no .idx (a volume server exits on this): %" PRIu64 " records to index",
		       r->records);
		v->need_idx = true;
	}
	if (r->have_dat && v->sb_ok)
		r->garbage_bytes = r->dat_size - v->data_start - r->live_bytes;
	nf_check_ec(v);
}

static int status(struct nf_vol *v)
{
	struct nf_report *r = v->r;
	uint64_t errors = 0, fixed = 0;
	/* A lost needle stays lost: dropping its row from the index is no
	 * correction of that. */
	for (int k = 0; k < NF_K_COUNT; k++) {
		errors += r->err_count[k];
		if (r->repaired[k] && k != NF_K_LOST)
			fixed += r->fixable_count[k];
	}
	r->errors = errors;
	r->fixed = fixed;
	/* what could not be read or written is an operational error, not a
	 * fault found in the volume */
	uint64_t left = errors - fixed - r->err_count[NF_K_IO];
	int st = (fixed ? 1 : 0) | (left ? 4 : 0);
	return v->io_failed || r->err_count[NF_K_IO] ? st | 8 : st;
}

int nf_check_volume(const struct nf_opts *o, const char *base, struct nf_report *r)
{
	struct nf_vol v = { .o = o, .r = r, .dat_fd = -1 };
	memset(r, 0, sizeof(*r));
	snprintf(r->base, sizeof(r->base), "%s", base);
	r->width_from = "default";
	if (paths(&v, base)) {
		nf_say(r, NF_ERROR, NF_K_IO, false, NULL, NULL, "path too long");
		return r->status = 8;
	}
	check(&v);
	if (o->repair && !v.io_failed)
		nf_repair(&v);
	if (v.dat_fd >= 0)
		close(v.dat_fd);
	free(v.rows.e);
	free(v.recs.e);
	return r->status = status(&v);
}
