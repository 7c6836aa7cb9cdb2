/* repair.c - -y: rebuild the index from the scan, set a damaged tail
 * aside, rebuild .ecx; in an order where every state in between is one
 * SeaweedFS loads without losing anything and a re-run finishes the job.
 *
 *   1. The old index gets a second name, <idx>.bak (a hard link: nothing
 *      is copied, nothing can be half-written).
 *   2. The new index, written aside and fsynced, is renamed over .idx.
 *      It points only at whole records before the damaged tail, so it is
 *      right for .dat both before and after step 4.
 *   3. The tail is copied to <dat>.tail (a new file, written aside).
 *   4. Only then is .dat truncated to its last whole record.
 *   5. .ecx, when asked for, from the new index.
 * A crash between any two steps leaves old or new files, never a mix; a
 * re-run finds the .bak and .tail it made before and reuses them.
 */
#include "fsck.h"
#include "bb.h"
#include "io.h"
#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct plan {
	struct nf_vol *v;
	int step;      /* steps done */
	int rw_fd;     /* .dat opened for writing, and locked */
};

/* Tests stop a repair part way to play a crash. */
static bool stop_here(struct plan *p)
{
	p->step++;
	return p->v->o->stop_after && p->step >= p->v->o->stop_after;
}

static int fail(struct nf_vol *v, const char *what, const char *path)
{
	nf_say(v->r, NF_ERROR, NF_K_IO, false, NULL, NULL, "%s %s: %s", what, path, strerror(errno));
	v->io_failed = true;
	return -1;
}

/* ---- the new index ---------------------------------------------------------- */

struct rowbuf {
	int fd;
	int width;
	uint8_t buf[17 * 4096];
	size_t used;
	uint64_t rows;
};

static int put_row(struct rowbuf *b, uint64_t id, uint64_t off, int32_t size)
{
	size_t w = swfs_idx_width(b->width);
	if (b->used + w > sizeof(b->buf)) {
		if (write_full(b->fd, b->buf, b->used))
			return -1;
		b->used = 0;
	}
	struct swfs_idx_entry e = { id, off, size };
	swfs_idx_encode(&e, b->width, b->buf + b->used);
	b->used += w;
	b->rows++;
	return 0;
}

/* Rows and unindexed records merged in time order: one row per record,
 * in the order .dat has them, with the deletes that have no record where
 * they happened. */
static int write_index(struct nf_vol *v, struct rowbuf *b)
{
	const struct nf_ents *rows = &v->rows, *recs = &v->recs;
	size_t a = 0, u = 0;
	uint64_t prev_off = 0; /* of the last record given a row */
	while (a < rows->n || u < recs->n) {
		bool row = u == recs->n || (a < rows->n && nf_time(&rows->e[a]) <= nf_off8(&recs->e[u]) * 2);
		const struct nf_ent *e = row ? &rows->e[a++] : &recs->e[u++];
		uint64_t off = nf_off8(e) * 8;
		int rc = 0;
		if (!row) {
			rc = put_row(b, e->id, off, e->size > 0 ? e->size : SWFS_TOMBSTONE);
		} else if (e->size == NF_DELETE_ONLY) {
			rc = put_row(b, e->id, 0, SWFS_TOMBSTONE);
		} else if (!nf_is_kind(e->size) && off != prev_off) { /* one row per record */
			rc = put_row(b, e->id, off, e->size);
			prev_off = off;
		}
		if (rc)
			return -1;
	}
	return b->used ? write_full(b->fd, b->buf, b->used) : 0;
}

/* Is name a second hard link of st's file? lstat: a symbolic link to
 * the file would pass stat, and is no backup: once the file is replaced
 * it leads to the new one, and the old is gone. */
static bool same_file(const char *name, const struct stat *st)
{
	struct stat sa;
	return !lstat(name, &sa) && S_ISREG(sa.st_mode) && sa.st_ino == st->st_ino &&
	       sa.st_dev == st->st_dev;
}

/* A name taken by something other than a regular file (a link, a FIFO, a
 * directory): never read as a backup, never written through. */
static bool taken_by_other(const char *name)
{
	struct stat st;
	return !lstat(name, &st) && !S_ISREG(st.st_mode);
}

/* Give path a second name path.bak (or .bak.N): a crash after this and
 * before the rename finds it already there. */
static int keep_old(struct nf_vol *v, const char *path, char *bak, size_t len)
{
	struct stat st;
	if (lstat(path, &st))
		return fail(v, "stat", path);
	for (int n = 0; n < 1000; n++) {
		if (n)
			snprintf(bak, len, "%s.bak.%d", path, n);
		else
			snprintf(bak, len, "%s.bak", path);
		if (same_file(bak, &st))
			return 0;
		if (!link(path, bak))
			return fsync_parent(bak) ? fail(v, "fsync directory of", bak) : 0;
		if (errno != EEXIST)
			return fail(v, "link", bak);
	}
	errno = EEXIST;
	return fail(v, "keep old", path);
}

static bool offsets_fit(struct nf_vol *v)
{
	uint64_t max = swfs_idx_max_offset(v->want_width);
	uint64_t last = v->tail_off > v->data_start ? v->tail_off : v->data_start;
	if (last <= max + 1)
		return true;
	nf_say(v->r, NF_ERROR, NF_K_IDX_WIDTH, false, NULL, NULL,
	       ".dat holds records past what %d-byte offsets address: not rebuilding the index",
	       v->want_width);
	return false;
}

static int rebuild_index(struct plan *p)
{
	struct nf_vol *v = p->v;
	struct aside a;
	char bak[PATH_MAX + 16] = "";
	bool had = v->r->have_idx;
	if (!offsets_fit(v))
		return 0;
	struct rowbuf *b = calloc(1, sizeof(*b));
	if (!b || aside_open(&a, v->idx, 0644)) {
		free(b);
		return fail(v, "create a new index next to", v->idx);
	}
	b->fd = a.fd;
	b->width = v->want_width;
	if (write_index(v, b)) {
		aside_abort(&a);
		free(b);
		return fail(v, "write", a.tmp);
	}
	v->r->new_rows = b->rows;
	free(b);
	if (had && (keep_old(v, v->idx, bak, sizeof(bak)) || stop_here(p))) {
		close(a.fd); /* a crash leaves the temporary behind */
		return -1;
	}
	if ((had ? aside_commit(&a) : aside_commit_new(&a)))
		return fail(v, "replace", v->idx);
	v->r->rebuilt = true;
	if (had)
		nf_did(v->r, "index rebuilt from .dat: %" PRIu64 " rows; the old one is %s",
		       v->r->new_rows, bak);
	else
		nf_did(v->r, "index built from .dat: %" PRIu64 " rows", v->r->new_rows);
	for (int k = NF_K_LOST; k <= NF_K_IDX_DUP; k++)
		v->r->repaired[k] = true;
	return stop_here(p) ? -1 : 0;
}

/* ---- the damaged tail -------------------------------------------------------- */

static bool same_bytes(int fd, uint64_t off, const char *path, uint64_t len)
{
	const char *why;
	struct stat st;
	int t = open_regular(path, O_RDONLY, &st, &why);
	bool same = t >= 0 && (uint64_t)st.st_size == len;
	uint8_t *x = malloc(1 << 16), *y = malloc(1 << 16);
	same = same && x && y;
	for (uint64_t done = 0; same && done < len;) {
		size_t n = len - done < (1 << 16) ? (size_t)(len - done) : (1 << 16);
		same = pread_full(fd, x, n, off + done) == (ssize_t)n &&
		       pread_full(t, y, n, done) == (ssize_t)n && mem_equal(x, y, n);
		done += n;
	}
	if (t >= 0)
		close(t);
	free(x);
	free(y);
	return same;
}

static int copy_range(int from, uint64_t off, uint64_t len, int to)
{
	size_t cap = 1 << 20;
	uint8_t *buf = malloc(cap);
	int rc = buf ? 0 : -1;
	for (uint64_t done = 0; !rc && done < len;) {
		size_t n = len - done < cap ? (size_t)(len - done) : cap;
		if (pread_full(from, buf, n, off + done) != (ssize_t)n || write_full(to, buf, n))
			rc = -1;
		done += n;
	}
	free(buf);
	return rc;
}

static int enough_space(struct nf_vol *v, uint64_t len)
{
	struct statvfs fs;
	if (statvfs(v->dat, &fs) || (uint64_t)fs.f_bavail * fs.f_frsize > len + (1 << 20))
		return 0;
	nf_say(v->r, NF_ERROR, NF_K_IO, false, NULL, NULL,
	       "no room to set %" PRIu64 " bytes of damaged tail aside: not truncating", len);
	return -1;
}

/* Copy [off, off + len) of .dat to <dat><ext>, or <ext>.N when that is
 * taken by other bytes; reuse one that holds these bytes already. */
static int save_range(struct nf_vol *v, uint64_t off, uint64_t len, const char *ext, char *out,
		      size_t outlen)
{
	for (int n = 0; n < 1000; n++) {
		if (n)
			snprintf(out, outlen, "%s%s.%d", v->dat, ext, n);
		else
			snprintf(out, outlen, "%s%s", v->dat, ext);
		if (taken_by_other(out))
			continue;
		if (path_exists(out)) {
			if (same_bytes(v->dat_fd, off, out, len))
				return 0;
			continue;
		}
		if (enough_space(v, len))
			return -1;
		struct aside a;
		if (aside_open(&a, out, 0644))
			return fail(v, "create", out);
		if (copy_range(v->dat_fd, off, len, a.fd)) {
			aside_abort(&a);
			return fail(v, "copy the tail to", out);
		}
		if (!aside_commit_new(&a))
			return 0;
		if (errno != EEXIST)
			return fail(v, "create", out);
	}
	errno = EEXIST;
	return fail(v, "create", out);
}

static int cut_tail(struct plan *p)
{
	struct nf_vol *v = p->v;
	char tail[PATH_MAX + 16];
	uint64_t len = v->r->dat_size - v->tail_off;
	if (save_range(v, v->tail_off, len, ".tail", tail, sizeof(tail)) || stop_here(p))
		return -1;
	if (ftruncate(p->rw_fd, (off_t)v->tail_off) || fsync(p->rw_fd))
		return fail(v, "truncate", v->dat);
	nf_did(v->r, "%" PRIu64 " bytes of damaged tail copied to %s; .dat truncated to %" PRIu64,
	       len, tail, v->tail_off);
	v->r->repaired[NF_K_TAIL] = true;
	return stop_here(p) ? -1 : 0;
}

/* ---- the superblock ------------------------------------------------------------ */

/* The records said the superblock is damaged: its 8 bytes are kept in
 * <dat>.superblock, then rewritten with the version and start the
 * records have. Nothing else of .dat is touched. */
static int fix_superblock(struct plan *p)
{
	struct nf_vol *v = p->v;
	char old[PATH_MAX + 24];
	if (save_range(v, 0, SWFS_SUPERBLOCK_SIZE, ".superblock", old, sizeof(old)) || stop_here(p))
		return -1;
	if (pwrite_full(p->rw_fd, v->sb_fixed, SWFS_SUPERBLOCK_SIZE, 0) || fsync(p->rw_fd))
		return fail(v, "rewrite the superblock of", v->dat);
	nf_did(v->r, "superblock rewritten: version %d, records from %" PRIu64 "; the old one is %s",
	       v->sb.version, v->data_start, old);
	v->r->repaired[NF_K_SUPERBLOCK] = true;
	return stop_here(p) ? -1 : 0;
}

/* ---- .ecx ---------------------------------------------------------------------- */

/* Only an .ecx with errors is rebuilt, and the rebuilt one still deletes
 * what the EC volume deleted since the encode (rows set to -1 in place,
 * ids in .ecj): the .idx was never told of those. */
static int rebuild_ecx(struct plan *p)
{
	struct nf_vol *v = p->v;
	size_t n = 0;
	if (!v->r->err_count[NF_K_ECX])
		return 0;
	/* read as the .idx is written (a rebuilt one in the volume's width),
	 * written as the volume's server will read it */
	int idx_width = v->r->rebuilt ? v->want_width : v->read_width;
	errno = 0;
	uint8_t *out = nf_ecx_rebuild(v, idx_width, &n);
	if (!out) {
		if (!errno)
			errno = ENOMEM;
		return fail(v, "rebuild", v->ecx);
	}
	size_t w = swfs_idx_width(v->want_width);
	char bak[PATH_MAX + 16] = "";
	if (path_exists(v->ecx) && keep_old(v, v->ecx, bak, sizeof(bak))) {
		free(out);
		return -1;
	}
	if (write_file_atomic(v->ecx, out, n * w, 0644)) {
		free(out);
		return fail(v, "write", v->ecx);
	}
	free(out);
	nf_did(v->r, ".ecx rebuilt from the index: %zu needles%s%s", n,
	       bak[0] ? "; the old one is " : "", bak);
	v->r->repaired[NF_K_ECX] = true;
	return stop_here(p) ? -1 : 0;
}

/* ---- order and guards -------------------------------------------------------------- */

static bool unchanged(const char *path, const struct stat *was)
{
	struct stat st;
	if (stat(path, &st))
		return !was->st_ino;
	return st.st_ino == was->st_ino && st.st_size == was->st_size &&
	       st.st_mtim.tv_sec == was->st_mtim.tv_sec && st.st_mtim.tv_nsec == was->st_mtim.tv_nsec;
}

static bool may_write(struct nf_vol *v, struct plan *p)
{
	if (!unchanged(v->dat, &v->dat_st) || !unchanged(v->idx, &v->idx_st)) {
		nf_say(v->r, NF_ERROR, NF_K_IO, false, NULL, NULL,
		       "the volume changed while it was checked (is a volume server using it?): "
		       "not repairing");
		return false;
	}
	p->rw_fd = open(v->dat, O_RDWR | O_CLOEXEC);
	if (p->rw_fd < 0) {
		fail(v, "open for writing", v->dat);
		return false;
	}
	if (flock(p->rw_fd, LOCK_EX | LOCK_NB)) {
		nf_say(v->r, NF_ERROR, NF_K_IO, false, NULL, NULL,
		       "%s is locked by another process: not repairing", v->dat);
		return false;
	}
	return true;
}

static bool index_wanted(struct nf_vol *v)
{
	const struct nf_report *r = v->r;
	for (int k = NF_K_LOST; k <= NF_K_IDX_DUP; k++)
		if (r->fixable_count[k])
			return true;
	return v->need_idx;
}

int nf_repair(struct nf_vol *v)
{
	struct plan p = { .v = v, .rw_fd = -1 };
	bool tail = v->tail_off < v->r->dat_size && v->sb_ok && !v->tail_kept;
	bool idx = (index_wanted(v) || (tail && v->rows_in_tail)) && v->sb_ok && !v->width_conflict;
	/* with the width in dispute, an .ecx in either could be wrong */
	bool ecx = v->o->ecx && (v->r->have_idx || idx) && !v->width_conflict;
	int rc = 0;
	if ((idx || tail || v->sb_fix) && !may_write(v, &p))
		rc = -1;
	if (!rc && v->sb_fix)
		rc = fix_superblock(&p);
	if (!rc && idx)
		rc = rebuild_index(&p);
	if (!rc && tail)
		rc = cut_tail(&p);
	if (!rc && ecx)
		rc = rebuild_ecx(&p);
	if (p.rw_fd >= 0)
		close(p.rw_fd);
	return rc;
}
