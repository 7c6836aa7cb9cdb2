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
	/* After damage, a record is trusted again only once an index row
	 * vouches for one (anchored): what lies between may be the payload
	 * of a damaged record, a blob that holds records of its own. */
	bool anchored;
	uint64_t good_ts;    /* newest AppendAtNs of a trusted record */
	uint64_t skip_end;   /* the bytes of a damaged record its row vouches for end here */
	uint64_t fail_end;   /* end of the last indexed record found damaged while searching */
	size_t vk;           /* rows before vk start before vouched_off */
	uint64_t vouched_off; /* the next row start whose header has the row's id */
	struct nf_gate gate; /* the search's work budget */
};

/* The search may read and checksum twice the bytes it steps over, plus
 * this. */
#define NF_SEARCH_BASE (1u << 20)

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
 * is reported by the replay, once it knows whether it mattered (what is
 * NULL when this row needs no word of its own). */
static void stale(struct nf_vol *v, struct nf_ent *e, int32_t kind, const char *what)
{
	uint64_t off = nf_off8(e) * 8, id = e->id;
	bool was_delete = e->size < 0;
	/* A delete whose record is not there still deletes its needle. */
	e->size = was_delete ? NF_DELETE_ONLY : kind;
	if (was_delete)
		nf_say(v->r, NF_ERROR, NF_K_STALE, true, &off, &id,
		       "index delete has no deletion record there: %s", what ? what : "it is damaged");
	else if (what)
		nf_say(v->r, NF_ERROR, NF_K_STALE, true, &off, &id, "index entry %s", what);
}

/* Does a row of the record's own needle point at it (among the rows not
 * yet judged, which are in offset order)? Then a row of another needle
 * there has a garbled id; else the record's header is what is damaged. */
static bool owned(const struct nf_vol *v, size_t k, const struct nf_rec *rec)
{
	for (; k < v->rows.n && nf_off8(&v->rows.e[k]) * 8 <= rec->off; k++)
		if (nf_off8(&v->rows.e[k]) * 8 == rec->off && v->rows.e[k].id == rec->id &&
		    v->rows.e[k].size != NF_DELETE_ONLY)
			return true;
	return false;
}

/* Rows whose offset lies before end, given what the scan found at
 * [start, end). */
static void rows_upto(struct scan *sc, uint64_t start, uint64_t end, enum ev_kind kind,
		      const struct nf_rec *rec)
{
	struct nf_vol *v = sc->v;
	bool matched = false;
	int own = -1; /* owned(), worked out when first needed */
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
		} else if (kind == EV_END || kind == EV_DAMAGED) {
			/* A Put whose record is cut off or damaged was its
			 * needle's content from then on: lost, and an older
			 * record of the needle is not served in its place */
			bool ours = kind == EV_DAMAGED && id_at(v, off, &id) && id == e->id;
			v->rows_lost += ours;
			stale(v, e, ours ? NF_LOST : NF_GONE,
			      ours ? NULL
			      : kind == EV_END ? "points past the end of .dat"
					       : "points into damaged bytes");
		} else if (off != start) {
			stale(v, e, NF_BOGUS, "points into the middle of a record");
		} else if (e->id != rec->id) {
			if (own < 0)
				own = matched || owned(v, sc->k, rec);
			/* with no row of its own, the record's id is what broke:
			 * this row's needle lost its record, as above */
			stale(v, e, own ? NF_BOGUS : NF_GONE, "points at another needle's record");
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
	if (kind != EV_RECORD)
		return;
	if (matched) {
		sc->anchored = true;
		return;
	}
	if (!sc->anchored) {
		/* found only by searching: it neither adds, replaces nor
		 * deletes a needle */
		uint64_t off = rec->off, id = rec->id;
		v->r->unconfirmed++;
		nf_say(v->r, NF_WARN, NF_K_UNCONFIRMED, false, &off, &id,
		       "a %s record after damaged bytes that no index row confirms: not indexed "
		       "(it may be bytes inside a damaged record)",
		       rec->size > 0 ? "data" : "deletion");
		return;
	}
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
	if (sc->anchored && rec->ts > sc->good_ts)
		sc->good_ts = rec->ts;
}

/* The first row at or after k that is not a delete without a record. */
static size_t row_from(const struct scan *sc, size_t k)
{
	const struct nf_ents *rows = &sc->v->rows;
	while (k < rows->n && rows->e[k].size == NF_DELETE_ONLY)
		k++;
	return k;
}

static uint64_t row_off(const struct scan *sc, size_t k)
{
	return nf_off8(&sc->v->rows.e[k]) * 8;
}

/* Is there a row at off for the record (id, size) there? A delete row
 * goes with a deletion record (size 0). k: no row before it is at off. */
static bool row_for(const struct scan *sc, size_t k, uint64_t off, uint64_t id, int32_t size)
{
	const struct nf_ents *rows = &sc->v->rows;
	for (k = row_from(sc, k); k < rows->n && row_off(sc, k) <= off; k = row_from(sc, k + 1)) {
		const struct nf_ent *e = &rows->e[k];
		if (row_off(sc, k) == off && e->id == id && (e->size == size || (e->size < 0 && size == 0)))
			return true;
	}
	return false;
}

/* Where the next record an index row points at starts, after off: a row
 * whose id is the one written there. A record no row confirms must not
 * reach over it. */
static uint64_t next_vouched(struct scan *sc, uint64_t off)
{
	const struct nf_ents *rows = &sc->v->rows;
	if (sc->vouched_off > off && sc->vk)
		return sc->vouched_off;
	for (sc->vk = row_from(sc, sc->vk); sc->vk < rows->n; sc->vk = row_from(sc, sc->vk + 1)) {
		uint64_t at = row_off(sc, sc->vk), id;
		if (at > off && id_at(sc->v, at, &id) && id == rows->e[sc->vk].id) {
			sc->vouched_off = at;
			sc->vk++;
			return at;
		}
	}
	sc->vk = rows->n + 1; /* none: stay past the end */
	return sc->vouched_off = UINT64_MAX;
}

/* May a record no row confirms stand, at [off, off + len)? Not when it
 * goes back in time from the trusted ones, nor when it covers the start
 * of a record a row vouches for. */
static bool may_stand(struct scan *sc, const struct nf_rec *rec)
{
	if (sc->v->sb.version == 3 && rec->ts <= sc->good_ts)
		return false;
	return rec->off + rec->len <= next_vouched(sc, rec->off);
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
	sc->gate.min_ts = sc->good_ts;
	enum nf_rv rv = nf_record_gated(&sc->src, sc->v->sb.version, off, true, &sc->gate, &rec, &why);
	if (rv == NF_OK && !depth && !may_stand(sc, &rec))
		return NF_BAD;
	if (rv != NF_OK || rec.size > 0 || fresh_deletion(sc, &rec))
		return rv;
	return depth < 16 ? confirm(sc, off + rec.len, depth + 1) : NF_BAD;
}

/* A record at off that an index row points at, with its id and size:
 * checked whatever it costs (each row once), and when damaged, its bytes
 * are skipped: records inside are its payload. */
static enum nf_rv indexed_at(struct scan *sc, size_t k, uint64_t off)
{
	const uint8_t *h = off >= sc->fail_end ? nf_src_get(&sc->src, off, SWFS_NEEDLE_HEADER) : NULL;
	if (!h)
		return NF_BAD;
	uint32_t cookie;
	uint64_t id;
	int32_t size;
	swfs_header_parse(h, &cookie, &id, &size);
	if (size < 0 || !row_for(sc, k, off, id, size))
		return NF_BAD;
	struct nf_rec rec;
	const char *why;
	enum nf_rv rv = nf_record(&sc->src, sc->v->sb.version, off, false, &rec, &why);
	if (rv == NF_BAD || rv == NF_SHORT) {
		uint64_t end = off + swfs_record_len(size, sc->v->sb.version);
		sc->fail_end = end;
		if (end > sc->skip_end)
			sc->skip_end = end;
	}
	return rv;
}

/* The next offset from off on, in steps of 8, where a record checks out:
 * one an index row points at, or one that checks out strictly outside
 * the bytes of a record a row vouches for; the file size when none does. */
static int resync(struct scan *sc, uint64_t off, uint64_t *next)
{
	const struct nf_ents *rows = &sc->v->rows;
	size_t k = row_from(sc, sc->k);
	for (; off < sc->src.size; off += SWFS_ALIGN, sc->gate.budget += 2 * SWFS_ALIGN) {
		while (k < rows->n && row_off(sc, k) < off)
			k = row_from(sc, k + 1);
		enum nf_rv rv = NF_BAD;
		if (k < rows->n && row_off(sc, k) == off)
			rv = indexed_at(sc, k, off);
		if (rv == NF_BAD && off >= sc->skip_end)
			rv = confirm(sc, off, 0);
		if (rv == NF_IOERR)
			return -1;
		if (rv == NF_OK)
			break;
	}
	*next = off < sc->src.size ? off : sc->src.size;
	return 0;
}

/* A record that failed at off: when a row vouches for its header, its
 * bytes are its own, and the search starts after them. */
static void vouch(struct scan *sc, uint64_t off, const struct nf_rec *rec)
{
	if (rec->off != off || rec->size < 0 || !row_for(sc, sc->k, off, rec->id, rec->size))
		return;
	uint64_t end = off + swfs_record_len(rec->size, sc->v->sb.version);
	if (end > sc->skip_end)
		sc->skip_end = end;
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
	sc->anchored = false;
	if (!tail) {
		nf_say(r, NF_NOTE, NF_K_DAMAGED, false, &off, has_id ? &id : NULL,
		       "%" PRIu64 " bytes unreadable, next record at %" PRIu64 " (%s)", end - off,
		       end, why);
		rows_upto(sc, off, end, EV_DAMAGED, NULL);
		return;
	}
	v->tail_off = off;
	r->tail_bytes = end - off;
	uint64_t vouched = v->rows_lost;
	rows_upto(sc, off, end, EV_DAMAGED, NULL);
	vouched = v->rows_lost - vouched;
	/* A crash tears one record. Records the index vouches for, or most
	 * of the file, are no torn tail: something else (the superblock?)
	 * is wrong, and cutting would throw them away. */
	if (vouched > 1 || (end - off > NF_SMALL && end - off > (end - v->data_start) / 2)) {
		v->tail_kept = true;
		nf_say(r, NF_ERROR, NF_K_TAIL, false, &off, has_id ? &id : NULL,
		       "%" PRIu64 " bytes at the end do not read as records (%s), %" PRIu64
		       " of them indexed: too much to be a torn write; not cutting them",
		       end - off, why, vouched);
		return;
	}
	nf_say(r, NF_ERROR, NF_K_TAIL, true, &off, has_id ? &id : NULL,
	       "%" PRIu64 " bytes after the last whole record (%s)", end - off, why);
}

static int walk(struct scan *sc)
{
	struct nf_vol *v = sc->v;
	uint64_t pos = v->data_start, size = sc->src.size;
	while (pos < size) {
		struct nf_rec rec;
		const char *why;
		enum nf_rv rv = nf_record(&sc->src, v->sb.version, pos, false, &rec, &why);
		/* after damage, a record no row confirms is held to more */
		if (rv == NF_OK && !sc->anchored && !row_for(sc, sc->k, pos, rec.id, rec.size) &&
		    !may_stand(sc, &rec)) {
			rv = NF_BAD;
			why = "a record no index row confirms, going back in time or over a "
			      "confirmed one";
		}
		if (rv == NF_OK) {
			count_record(sc, &rec);
			pos += rec.len;
		} else if (rv == NF_IOERR) {
			break;
		} else {
			uint64_t next;
			vouch(sc, pos, &rec);
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
	struct scan sc = { .v = v, .anchored = true, .gate.budget = NF_SEARCH_BASE };
	if (nf_src_open(&sc.src, v->dat_fd, v->r->dat_size, v->o->chunk, v->o->read_ahead)) {
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
	if (sc.gate.over)
		nf_say(v->r, NF_WARN, NF_K_INFO, false, NULL, NULL,
		       "%" PRIu64 " places in damaged bytes looked like large records and were "
		       "not checksummed (the search's work stays linear)", sc.gate.over);
	nf_src_close(&sc.src);
	return rc;
}
