/* record.c - one needle record checked in pieces, so that a record of any
 * size is verified straight from the read window: header, the fields
 * after the data, checksum and timestamp, then the data's CRC-32C. The
 * cheap checks come first, which keeps the search after a corrupt record
 * from computing CRCs over garbage. */
#include "fsck.h"
#include "endian.h"

#include <errno.h>
#include <string.h>


static enum nf_rv fail(const char **why, const char *what)
{
	*why = what;
	return NF_BAD;
}

static enum nf_rv io_fail(const char **why)
{
	*why = strerror(errno);
	return NF_IOERR;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* v2/v3 body: DataSize, then the fields after the data. crc_first: the
 * data's CRC-32C into *crc before reading the fields. */
static enum nf_rv body(struct nf_src *s, uint64_t at, uint32_t size, bool strict,
		       uint32_t *crc, struct swfs_needle *n, uint64_t *data_off, const char **why)
{
	const uint8_t *p = nf_src_get(s, at, 4);
	if (!p)
		return io_fail(why);
	n->data_size = get_be32(p);
	if (size < 4 || n->data_size > size - 4)
		return fail(why, "DataSize runs past the body");
	*data_off = at + 4;
	if (crc && nf_src_crc(s, *data_off, n->data_size, crc))
		return io_fail(why);
	uint32_t rest = size - 4 - n->data_size;
	uint32_t look = rest < SWFS_FIELDS_MAX ? rest : SWFS_FIELDS_MAX;
	p = nf_src_get(s, at + 4 + n->data_size, look);
	if (!p)
		return io_fail(why);
	const char *bad = swfs_needle_parse_fields(p, look, n);
	if (bad)
		return fail(why, bad);
	if (strict && swfs_needle_body_len(n) != size)
		return fail(why, "body size does not match its fields");
	return NF_OK;
}

enum nf_rv nf_record(struct nf_src *s, int version, uint64_t off, bool strict, struct nf_rec *r,
		     const char **why)
{
	return nf_record_gated(s, version, off, strict, NULL, r, why);
}

enum nf_rv nf_record_gated(struct nf_src *s, int version, uint64_t off, bool strict,
			   struct nf_gate *gate, struct nf_rec *r, const char **why)
{
	memset(r, 0, sizeof(*r));
	*why = NULL;
	r->off = off;
	if (s->size - off < SWFS_NEEDLE_HEADER) {
		*why = "record header cut short by the end of .dat";
		return NF_SHORT;
	}
	const uint8_t *h = nf_src_get(s, off, SWFS_NEEDLE_HEADER);
	if (!h)
		return io_fail(why);
	/* Zero-filled space (a crash's unwritten blocks, EC padding) would
	 * otherwise read as a deletion of needle 0. */
	if (all_zero(h, SWFS_NEEDLE_HEADER))
		return fail(why, "zero-filled");
	swfs_header_parse(h, &r->cookie, &r->id, &r->size);
	if (r->size < (strict ? 0 : SWFS_TOMBSTONE))
		return fail(why, "negative size");
	r->len = swfs_record_len(r->size, version);
	if (r->len > s->size - off) {
		*why = "record runs past the end of .dat";
		return NF_SHORT;
	}
	/* What checking the rest costs (reading it, its CRC) is paid
	 * before: a search over crafted bytes stays linear. */
	if (gate) {
		/* the body read and checksummed; a large one read apart from
		 * the window, which must then come back */
		uint64_t body = r->size > 0 ? (uint64_t)r->size : 0;
		uint64_t cost = 2 * body + (r->len > NF_SMALL ? 2 * (uint64_t)s->chunk : 0);
		if (cost > gate->budget) {
			gate->over++;
			return fail(why, "not checked: over the search's work budget");
		}
		gate->budget -= cost;
	}
	/* A small record is brought into the window whole; a large one is
	 * read front to back (data, then fields), unless searching, where
	 * the fields are the cheap test. */
	if (r->len <= NF_SMALL && !nf_src_get(s, off, (size_t)r->len))
		return io_fail(why);
	bool crc_first = !strict && r->len > NF_SMALL;
	uint32_t size = r->size < 0 ? 0 : (uint32_t)r->size;
	struct swfs_needle n;
	memset(&n, 0, sizeof(n));
	uint64_t data_off = off + SWFS_NEEDLE_HEADER;
	uint32_t crc = 0;
	if (version == 1) {
		n.data_size = size;
		if (crc_first && nf_src_crc(s, data_off, size, &crc))
			return io_fail(why);
	} else if (size > 0) {
		enum nf_rv rv = body(s, data_off, size, strict, crc_first ? &crc : NULL, &n,
				     &data_off, why);
		if (rv != NF_OK)
			return rv;
	}
	const uint8_t *t = nf_src_get(s, off + SWFS_NEEDLE_HEADER + size, version == 3 ? 12 : 4);
	if (!t)
		return io_fail(why);
	uint32_t stored = get_be32(t);
	if (version == 3)
		r->ts = get_be64(t + 4);
	if (gate && version == 3 && r->ts <= gate->min_ts)
		return fail(why, "AppendAtNs not after the last good record's");
	if (size == 0) /* deletions carry no checksum worth checking */
		return NF_OK;
	if (!crc_first && nf_src_crc(s, data_off, n.data_size, &crc))
		return io_fail(why);
	if (!swfs_crc_matches(stored, crc, &r->legacy_crc))
		return fail(why, "data does not match its CRC-32C");
	return NF_OK;
}
