/* superblock.c - the superblock is one witness among many. One flipped
 * bit in its version byte or ExtraSize makes every record read wrong: a
 * repair that believed it would cut the whole .dat away as a "torn
 * tail". So its claim is weighed against the records themselves and the
 * index rows that point at them; when they agree on another version or
 * start, the superblock is what is damaged. */
#include "fsck.h"
#include "endian.h"
#include "io.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define SB_WALK 16           /* records walked from the start */
#define SB_ROWS 32           /* index rows sampled */
#define SB_BUDGET (8u << 20) /* at most checksummed per reading tried */

struct reading {
	int version;
	uint64_t start;
	unsigned score;   /* records that check out read this way */
	unsigned data;    /* of them, with data and a CRC that matches */
	unsigned below;   /* indexed records that check out before start */
};

static bool check_at(struct nf_src *s, struct nf_gate *g, int version, uint64_t off, struct nf_rec *rec)
{
	const char *why;
	return nf_record_gated(s, version, off, true, g, rec, &why) == NF_OK;
}

/* Does an index row point at off for needle id? (rows sorted by time) */
static bool row_at(const struct nf_vol *v, uint64_t off, uint64_t id)
{
	size_t lo = 0, hi = v->rows.n;
	uint64_t t = off / 8 * 2;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (nf_time(&v->rows.e[mid]) < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < v->rows.n && nf_time(&v->rows.e[lo]) == t; lo++)
		if (v->rows.e[lo].id == id)
			return true;
	return false;
}

/* A record that says something: data that matches its CRC, or a
 * deletion an index row points at. Anything reads as a deletion: sixteen
 * bytes with a zero Size. */
static bool telling(const struct nf_vol *v, struct nf_src *s, struct nf_gate *g, int version,
		    uint64_t off, struct nf_rec *rec)
{
	return check_at(s, g, version, off, rec) && (rec->size > 0 || row_at(v, off, rec->id));
}

/* Records read one after the other from the start, and sampled index
 * rows whose records read with their id and size. */
static void weigh(struct nf_vol *v, struct nf_src *s, struct reading *rd)
{
	/* up to five readings are weighed: together about the size of .dat */
	uint64_t quarter = v->r->dat_size / 4 + NF_SMALL;
	struct nf_gate g = { .budget = quarter < SB_BUDGET ? quarter : SB_BUDGET };
	struct nf_rec rec;
	uint64_t off = rd->start;
	rd->score = rd->data = 0;
	for (int i = 0; i < SB_WALK && off < s->size && telling(v, s, &g, rd->version, off, &rec); i++) {
		rd->score++;
		rd->data += rec.size > 0;
		off += rec.len;
	}
	rd->score += off == s->size && off > rd->start; /* read to the very end */
	rd->below = 0;
	size_t n = v->rows.n, step = n > SB_ROWS ? n / SB_ROWS : 1;
	for (size_t i = 0; i < n; i += step) {
		const struct nf_ent *e = &v->rows.e[i];
		uint64_t at = nf_off8(e) * 8;
		if (e->size < 0 || at < SWFS_SUPERBLOCK_SIZE || at >= s->size ||
		    !check_at(s, &g, rd->version, at, &rec) || rec.id != e->id || rec.size != e->size)
			continue;
		/* records follow each other: the next starts where this one
		 * ends (which tells version 2 from 3: one timestamp apart) */
		uint64_t next = at + rec.len;
		if (next != s->size && !telling(v, s, &g, rd->version, next, &rec))
			continue;
		if (at < rd->start) {
			rd->below++;
			continue;
		}
		rd->score++;
		rd->data += e->size > 0;
	}
}

static const char *reading_str(const struct reading *rd, char *buf, size_t len)
{
	snprintf(buf, len, "version %d, records from %" PRIu64, rd->version, rd->start);
	return buf;
}

/* The readings worth trying: each version, from the start the superblock
 * gives and from 8 (no extra bytes: no writer sets them). */
static size_t readings(const struct nf_vol *v, uint64_t claimed_start, struct reading *out)
{
	size_t n = 0;
	for (int ver = 1; ver <= 3; ver++) {
		out[n++] = (struct reading){ ver, SWFS_SUPERBLOCK_SIZE, 0, 0, 0 };
		if (ver > 1 && claimed_start != SWFS_SUPERBLOCK_SIZE && claimed_start < v->r->dat_size &&
		    claimed_start % SWFS_ALIGN == 0)
			out[n++] = (struct reading){ ver, claimed_start, 0, 0, 0 };
	}
	return n;
}

void nf_weigh_superblock(struct nf_vol *v, const uint8_t raw[SWFS_SUPERBLOCK_SIZE], const char *why)
{
	struct nf_report *r = v->r;
	struct nf_src s;
	uint64_t zero = 0;
	int claimed_ver = raw[0];
	uint64_t claimed_start = SWFS_SUPERBLOCK_SIZE + (claimed_ver > 1 ? get_be16(raw + 6) : 0);
	struct reading cand[6], claim = { claimed_ver, claimed_start, 0, 0, 0 };
	if (nf_src_open(&s, v->dat_fd, r->dat_size, 4096, false)) {
		nf_say(r, NF_ERROR, NF_K_IO, false, NULL, NULL, "out of memory");
		v->io_failed = true;
		return;
	}
	bool valid = v->sb_ok;
	if (valid)
		weigh(v, &s, &claim);
	/* all is well when the claim reads the first records and the rows */
	size_t n = 0, best = 0;
	if (!valid || claim.score < SB_WALK || claim.below) {
		n = readings(v, claimed_start, cand);
		for (size_t i = 0; i < n; i++) {
			if (valid && cand[i].version == claim.version && cand[i].start == claim.start)
				cand[i] = claim;
			else
				weigh(v, &s, &cand[i]);
			if (cand[i].score > cand[best].score)
				best = i;
		}
	}
	r->work += s.bytes_read + s.crc_bytes;
	nf_src_close(&s);
	char a[64], b[64];
	bool other = n && (cand[best].version != claim.version || cand[best].start != claim.start);
	if (other && cand[best].data && cand[best].score >= 2 &&
	    (!valid || claim.below || cand[best].score > 2 * claim.score)) {
		/* the records agree, and not with the superblock */
		struct reading *rd = &cand[best];
		reading_str(&claim, a, sizeof(a));
		nf_say(r, NF_ERROR, NF_K_SUPERBLOCK, true, &zero, NULL,
		       "the superblock is likely damaged: it says %s, but %u records and index rows "
		       "check out as %s (%u as it says)",
		       a, rd->score, reading_str(rd, b, sizeof(b)), claim.score);
		v->sb.version = (uint8_t)rd->version;
		if (rd->version > 1)
			v->sb.extra_size = (uint16_t)(rd->start - SWFS_SUPERBLOCK_SIZE);
		swfs_sb_encode(&v->sb, v->sb_fixed);
		v->sb_fix = true;
		v->sb_ok = true;
		v->data_start = rd->start;
		r->version = rd->version;
		r->extra_size = v->sb.extra_size;
		r->data_start = v->data_start;
		return;
	}
	if (!valid)
		nf_say(r, NF_ERROR, NF_K_SUPERBLOCK, false, &zero, NULL, "%s: records not checked", why);
}
