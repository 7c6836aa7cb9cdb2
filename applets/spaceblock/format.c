/* format.c - encode and decode every on-disk record of the layout.
 *
 * Pure functions on byte arrays; every integer big-endian through
 * endian.h. A record decodes as EMPTY when all its bytes are zero (what
 * init leaves), VALID when its CRC-32C matches and its fields make sense,
 * CORRUPT otherwise (a torn write, or damage).
 */
#include "store.h"

#include "crc.h"
#include "endian.h"

#include <string.h>
#include <strings.h>

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- superblock (original layout) -------------------------------------- */

uint32_t sb_super_crc(const uint8_t in[SB_SUPER_SIZE])
{
	return crc32c(0, in, SB_SUPER_CRC_OFF);
}

void sb_super_encode(const struct sb_super *s, uint8_t out[SB_SUPER_SIZE])
{
	put_be32(out + 0x00, s->magic);
	out[0x04] = s->version;
	out[0x05] = s->reserved;
	put_be16(out + 0x06, s->tenant_id);
	put_be32(out + 0x08, s->total_blocks);
	put_be32(out + 0x0C, s->dp_start);
	put_be32(out + 0x10, s->dp_size);
	put_be64(out + 0x14, s->epoch);
	memcpy(out + 0x1C, s->uuid, 16);
	put_be32(out + SB_SUPER_CRC_OFF, sb_super_crc(out));
}

void sb_super_decode(const uint8_t in[SB_SUPER_SIZE], struct sb_super *s)
{
	s->magic = get_be32(in + 0x00);
	s->version = in[0x04];
	s->reserved = in[0x05];
	s->tenant_id = get_be16(in + 0x06);
	s->total_blocks = get_be32(in + 0x08);
	s->dp_start = get_be32(in + 0x0C);
	s->dp_size = get_be32(in + 0x10);
	s->epoch = get_be64(in + 0x14);
	memcpy(s->uuid, in + 0x1C, 16);
	s->crc = get_be32(in + SB_SUPER_CRC_OFF);
}

/* ---- layout record (ours) ---------------------------------------------- */

void sb_ext_encode(const struct sb_ext *e, uint8_t out[SB_EXT_SIZE])
{
	memset(out, 0, SB_EXT_SIZE);
	put_be32(out + 0x0, SB_EXT_MAGIC);
	out[0x4] = e->version;
	out[0x5] = e->block_shift;
	put_be16(out + 0x6, e->catalog_blocks);
	put_be32(out + 0xC, crc32c(0, out, 0xC));
}

enum sb_slot sb_ext_decode(const uint8_t in[SB_EXT_SIZE], struct sb_ext *e)
{
	if (all_zero(in, SB_EXT_SIZE))
		return SLOT_EMPTY;
	if (get_be32(in) != SB_EXT_MAGIC || get_be32(in + 0xC) != crc32c(0, in, 0xC))
		return SLOT_CORRUPT;
	e->version = in[0x4];
	e->block_shift = in[0x5];
	e->catalog_blocks = get_be16(in + 0x6);
	return SLOT_VALID;
}

/* ---- parameter entry (original layout) --------------------------------- */

void sb_param_encode(const struct sb_param *p, uint8_t out[SB_PARAM_SIZE])
{
	put_be32(out + 0x00, p->id);
	put_be16(out + 0x04, p->len);
	put_be16(out + 0x06, p->gen);
	memset(out + 0x08, 0, SB_PARAM_MAX);
	memcpy(out + 0x08, p->value, p->len <= SB_PARAM_MAX ? p->len : SB_PARAM_MAX);
	put_be32(out + 0xF8, crc32c(0, out, 0xF8));
}

enum sb_slot sb_param_decode(const uint8_t in[SB_PARAM_SIZE], struct sb_param *p)
{
	if (all_zero(in, SB_PARAM_SIZE))
		return SLOT_EMPTY;
	if (get_be32(in + 0xF8) != crc32c(0, in, 0xF8))
		return SLOT_CORRUPT;
	p->id = get_be32(in + 0x00);
	p->len = get_be16(in + 0x04);
	p->gen = get_be16(in + 0x06);
	if (p->len > SB_PARAM_MAX)
		return SLOT_CORRUPT;
	memcpy(p->value, in + 0x08, SB_PARAM_MAX);
	return SLOT_VALID;
}

/* ---- event record (ours, 76 bytes as the original) --------------------- */

void sb_event_encode(const struct sb_event *e, uint8_t out[SB_EVENT_SIZE])
{
	memset(out, 0, SB_EVENT_SIZE);
	put_be64(out + 0x00, e->seq);
	put_be64(out + 0x08, e->timestamp);
	put_be32(out + 0x10, e->code);
	out[0x14] = e->severity;
	out[0x15] = e->len;
	memcpy(out + 0x18, e->payload, e->len <= SB_EVENT_MAX ? e->len : SB_EVENT_MAX);
	put_be32(out + 0x48, crc32c(0, out, 0x48));
}

enum sb_slot sb_event_decode(const uint8_t in[SB_EVENT_SIZE], struct sb_event *e)
{
	if (all_zero(in, SB_EVENT_SIZE))
		return SLOT_EMPTY;
	if (get_be32(in + 0x48) != crc32c(0, in, 0x48))
		return SLOT_CORRUPT;
	e->seq = get_be64(in + 0x00);
	e->timestamp = get_be64(in + 0x08);
	e->code = get_be32(in + 0x10);
	e->severity = in[0x14];
	e->len = in[0x15];
	if (!e->seq || e->len > SB_EVENT_MAX)
		return SLOT_CORRUPT;
	memcpy(e->payload, in + 0x18, SB_EVENT_MAX);
	return SLOT_VALID;
}

static const char *const severity_names[SB_NSEVERITY] = {
	"debug", "info", "warning", "error", "critical",
};

const char *sb_severity_name(unsigned sev)
{
	return sev < SB_NSEVERITY ? severity_names[sev] : "unknown";
}

int sb_severity_parse(const char *s)
{
	for (int i = 0; i < SB_NSEVERITY; i++)
		if (!strcasecmp(s, severity_names[i]))
			return i;
	return -1;
}

/* ---- catalog record: the original's 80-byte descriptor + ours ----------- */

void sb_dp_encode(const struct sb_dp *d, uint8_t out[SB_CAT_SIZE])
{
	memset(out, 0, SB_CAT_SIZE);
	put_be32(out + 0x00, d->block_offset);
	put_be32(out + 0x04, d->block_count);
	put_be16(out + 0x08, d->dp_class);
	out[0x0A] = d->priority;
	out[0x0B] = d->name_len;
	memcpy(out + 0x0C, d->name, d->name_len <= SB_NAME_MAX ? d->name_len : SB_NAME_MAX);
	put_be32(out + 0x4C, d->data_crc);
	put_be64(out + 0x50, d->length);
	put_be64(out + 0x58, d->seq);
	put_be64(out + 0x60, d->created);
	put_be32(out + 0x7C, crc32c(0, out, 0x7C));
}

enum sb_slot sb_dp_decode(const uint8_t in[SB_CAT_SIZE], struct sb_dp *d)
{
	if (all_zero(in, SB_CAT_SIZE))
		return SLOT_EMPTY;
	if (get_be32(in + 0x7C) != crc32c(0, in, 0x7C))
		return SLOT_CORRUPT;
	d->block_offset = get_be32(in + 0x00);
	d->block_count = get_be32(in + 0x04);
	d->dp_class = get_be16(in + 0x08);
	d->priority = in[0x0A];
	d->name_len = in[0x0B];
	d->data_crc = get_be32(in + 0x4C);
	d->length = get_be64(in + 0x50);
	d->seq = get_be64(in + 0x58);
	d->created = get_be64(in + 0x60);
	if (!d->name_len || d->name_len > SB_NAME_MAX || !d->seq)
		return SLOT_CORRUPT;
	memcpy(d->name, in + 0x0C, d->name_len);
	d->name[d->name_len] = 0;
	if (memchr(d->name, 0, d->name_len))
		return SLOT_CORRUPT;
	return SLOT_VALID;
}
