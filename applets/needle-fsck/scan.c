/* scan.c - walk .dat record by record, step over damage, and match each
 * record against the index rows that point at it.
 *
 * The rows arrive sorted by offset, the records in file order, so one
 * pass pairs them: a row at a record's start with the same id and size is
 * good; a row anywhere else is stale, or points at its own needle's
 * damaged record (lost). A record no row points at is kept for the replay.
 */
#include "fsck.h"
#include "endian.h"
#include "io.h"
#include "progress.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

enum ev_kind { EV_RECORD, EV_DAMAGED, EV_END };

struct scan {
	struct nf_vol *v;
	struct nf_src src;
	size_t k; /* next row, in time order */
	struct progress pg;
	uint64_t ts_back_at; /* the first record whose AppendAtNs is not after the last */
};

/* The needle id written at off, if a header fits there. */
static bool id_at(struct nf_vol *v, uint64_t off, uint64_t *id)
{
	uint8_t h[SWFS_NEEDLE_HEADER];
	if (off + sizeof(h) > v->r->dat_size || pread_full(v->dat_fd, h, sizeof(h), off) != sizeof(h))
		return false;
	*id = get_be64(h + 4);
	return true;
}

/* A row that does not point at a good record of its needle. A lost one
 * is reported by the replay, once it knows whether it mattered. */
static void stale(struct nf_vol *v, struct nf_ent *e, int32_t kind, const char *what)
{
	uint64_t off = nf_off8(e) * 8, id = e->id;
	bool was_delete = e->size < 0;
	/* A delete whose record is not there still deletes its needle. */
	e->size = was_delete ? NF_DELETE_ONLY : kind;
	if (was_delete)
		nf_say(v->r, NF_ERROR, NF_K_STALE, true, &off, &id,
		       "index delete has no deletion record there: %s", what);
	else if (kind != NF_LOST)
		nf_say(v->r, NF_ERROR, NF_K_STALE, true, &off, &id, "index entry %s", what);
}

/* Rows whose offset lies before end, given what the scan found at
 * [start, end). */
static void rows_upto(struct scan *sc, uint64_t start, uint64_t end, enum ev_kind kind,
		      const struct nf_rec *rec)
{
	struct nf_vol *v = sc->v;
	bool matched = false;
	while (sc->k < v->rows.n) {
		struct nf_ent *e = &v->rows.e[sc->k];
		uint64_t off = nf_off8(e) * 8;
		if (e->size == NF_DELETE_ONLY) {
			sc->k++;
			continue;
		}
		if (off >= end)
			break;
		sc->k++;
		uint64_t id;
		/* truncating the tail will take what these point at */
		v->rows_in_tail += off >= v->tail_off;
		if (off < v->data_start) {
			stale(v, e, NF_BOGUS, "points into the superblock");
		} else if (kind == EV_END) {
			stale(v, e, NF_BOGUS, "points past the end of .dat");
		} else if (kind == EV_DAMAGED) {
			if (id_at(v, off, &id) && id == e->id)
				stale(v, e, NF_LOST, "its record is damaged");
			else
				stale(v, e, NF_BOGUS, "points into damaged bytes");
		} else if (off != start) {
			stale(v, e, NF_BOGUS, "points into the middle of a record");
		} else if (e->id != rec->id) {
			stale(v, e, NF_BOGUS, "points at another needle's record");
		} else if (e->size >= 0 && e->size != rec->size) {
			stale(v, e, NF_BOGUS, "size differs from its record's");
		} else if (e->size < 0 && rec->size > 0) {
			/* No writer deletes this way: a flipped size bit, or a
			 * tool gone wrong. Dropping the delete could bring back
			 * a deleted needle, keeping it lets a vacuum drop data:
			 * not for -y to choose. The rebuilt index keeps the row. */
			uint64_t id0 = e->id;
			nf_say(v->r, NF_ERROR, NF_K_DELETE_AT_DATA, false, &off, &id0,
			       "index deletes the needle at a data record of %" PRId32
			       " bytes, not at a deletion record: a vacuum would drop that data; "
			       "check the needle and restore or delete it by hand",
			       rec->size);
			matched = true;
		} else if (matched) {
			uint64_t id0 = e->id;
			nf_say(v->r, NF_ERROR, NF_K_IDX_DUP, true, &off, &id0,
			       "index has another entry for the same record");
		} else {
			matched = true;
		}
	}
	if (kind != EV_RECORD || matched)
		return;
	if (nf_ents_push(&v->recs, rec->id, rec->off / 8, rec->size)) {
		nf_say(v->r, NF_ERROR, NF_K_IO, false, NULL, NULL, "out of memory");
		v->io_failed = true;
	}
	v->unindexed_empty += rec->size <= 0;
}

static void count_record(struct scan *sc, const struct nf_rec *rec)
{
	struct nf_report *r = sc->v->r;
	r->records++;
	r->record_bytes += rec->len;
	if (rec->size <= 0)
		r->tombstones++;
	if (rec->legacy_crc)
		r->legacy_crc++;
	if (sc->v->sb.version == 3) {
		if (rec->ts <= sc->v->last_ts && !r->ts_backwards++)
			sc->ts_back_at = rec->off;
		sc->v->last_ts = rec->ts;
	}
	rows_upto(sc, rec->off, rec->off + rec->len, EV_RECORD, rec);
}

/* Does a v3 deletion look freshly written: the padding SeaweedFS leaves
 * (the zero Size, spec 2.4) and a time after the records before the
 * damage? v1 and v2 padding (the id's first bytes) is too often zero to
 * tell anything. */
static bool fresh_deletion(struct scan *sc, const struct nf_rec *rec)
{
	if (sc->v->sb.version != 3 || rec->ts <= sc->v->last_ts)
		return false;
	const uint8_t *p = nf_src_get(&sc->src, rec->off + rec->len - 4, 4);
	return p && get_be32(p) == 0;
}

/* A record found while searching must prove itself. A deletion has no
 * checksum: it counts when it looks freshly written, or when the records
 * after it lead to one with a checksum. Reaching the end of the file
 * proves nothing: that would change with the end, and a re-run after the
 * tail is cut must find what the repair found. */
static enum nf_rv confirm(struct scan *sc, uint64_t off, int depth)
{
	struct nf_rec rec;
	const char *why;
	enum nf_rv rv = nf_record(&sc->src, sc->v->sb.version, off, true, &rec, &why);
	if (rv != NF_OK || rec.size > 0 || fresh_deletion(sc, &rec))
		return rv;
	return depth < 16 ? confirm(sc, off + rec.len, depth + 1) : NF_BAD;
}

/* The next offset from off on, in steps of 8, where a record checks out
 * strictly; the file size when none does. */
static int resync(struct scan *sc, uint64_t off, uint64_t *next)
{
	for (; off < sc->src.size; off += SWFS_ALIGN) {
		enum nf_rv rv = confirm(sc, off, 0);
		if (rv == NF_IOERR)
			return -1;
		if (rv == NF_OK)
			break;
	}
	*next = off < sc->src.size ? off : sc->src.size;
	return 0;
}

static void damaged(struct scan *sc, uint64_t off, uint64_t end, const struct nf_rec *rec,
		    const char *why)
{
	struct nf_vol *v = sc->v;
	struct nf_report *r = v->r;
	bool tail = end == r->dat_size;
	bool has_id = rec->len && rec->off == off; /* the header made sense */
	uint64_t id = rec->id;
	r->damaged_ranges++;
	r->damaged_bytes += end - off;
	if (tail) {
		v->tail_off = off;
		r->tail_bytes = end - off;
		nf_say(r, NF_ERROR, NF_K_TAIL, true, &off, has_id ? &id : NULL,
		       "%" PRIu64 " bytes after the last whole record (%s)", end - off, why);
	} else {
		nf_say(r, NF_NOTE, NF_K_DAMAGED, false, &off, has_id ? &id : NULL,
		       "%" PRIu64 " bytes unreadable, next record at %" PRIu64 " (%s)", end - off,
		       end, why);
	}
	rows_upto(sc, off, end, EV_DAMAGED, NULL);
}

static int walk(struct scan *sc)
{
	struct nf_vol *v = sc->v;
	uint64_t pos = v->data_start, size = sc->src.size;
	while (pos < size) {
		struct nf_rec rec;
		const char *why;
		enum nf_rv rv = nf_record(&sc->src, v->sb.version, pos, false, &rec, &why);
		if (rv == NF_OK) {
			count_record(sc, &rec);
			pos += rec.len;
		} else if (rv == NF_IOERR) {
			break;
		} else {
			uint64_t next;
			if (resync(sc, pos + SWFS_ALIGN, &next))
				break;
			damaged(sc, pos, next, &rec, why);
			pos = next;
		}
		if (v->io_failed)
			return -1;
		progress_set(&sc->pg, pos);
	}
	if (pos < size) {
		nf_say(v->r, NF_ERROR, NF_K_IO, false, &pos, NULL, "reading .dat: %s",
		       strerror(errno));
		v->io_failed = true;
		return -1;
	}
	return 0;
}

int nf_scan(struct nf_vol *v)
{
	struct scan sc = { .v = v };
	if (nf_src_open(&sc.src, v->dat_fd, v->r->dat_size, v->o->chunk, !v->o->no_thread)) {
		nf_say(v->r, NF_ERROR, NF_K_IO, false, NULL, NULL, "out of memory");
		v->io_failed = true;
		return -1;
	}
	v->tail_off = v->r->dat_size;
	rows_upto(&sc, 0, v->data_start, EV_DAMAGED, NULL);
	if (v->o->progress)
		progress_start(&sc.pg, v->r->base, v->r->dat_size);
	int rc = walk(&sc);
	if (v->o->progress)
		progress_end(&sc.pg);
	if (!rc)
		rows_upto(&sc, 0, UINT64_MAX, EV_END, NULL);
	/* Writers make AppendAtNs rise; needles copied from a replica keep
	 * theirs, so this is worth a look, not an error. */
	if (v->r->ts_backwards)
		nf_say(v->r, NF_WARN, NF_K_INFO, false, &sc.ts_back_at, NULL,
		       "%" PRIu64 " records have an AppendAtNs not after the one before (the first "
		       "here)", v->r->ts_backwards);
	v->r->work += sc.src.bytes_read + sc.src.crc_bytes;
	nf_src_close(&sc.src);
	return rc;
}
