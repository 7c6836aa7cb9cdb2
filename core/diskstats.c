/* diskstats.c - /proc/diskstats counters, rates between samples, rings. */
#include "diskstats.h"
#include "error.h"
#include "io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DISKSTATS_MAX_FILE (16u << 20)

/* The next blank-separated field of [*p, end), or 0 when none is left. */
static size_t next_field(const char **p, const char *end, const char **field)
{
	const char *s = *p;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	const char *f = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	*p = s;
	*field = f;
	return (size_t)(s - f);
}

/* Decimal digits only, at most 20 of them, no overflow. */
static bool field_u64(const char *f, size_t n, uint64_t *out)
{
	if (n == 0 || n > 20)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (f[i] < '0' || f[i] > '9')
			return false;
		unsigned d = (unsigned)(f[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool parse_line(const char *p, const char *end, struct diskstats *d)
{
	const char *f;
	size_t n;
	uint64_t v[17] = { 0 };
	uint64_t maj, min;
	memset(d, 0, sizeof(*d));
	n = next_field(&p, end, &f);
	if (!field_u64(f, n, &maj) || maj > UINT32_MAX)
		return false;
	n = next_field(&p, end, &f);
	if (!field_u64(f, n, &min) || min > UINT32_MAX)
		return false;
	n = next_field(&p, end, &f);
	if (n == 0 || n >= sizeof(d->name))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)f[i] < 0x21 || f[i] == 0x7f)
			return false;
	memcpy(d->name, f, n);
	unsigned k = 0;
	while ((n = next_field(&p, end, &f)) != 0) {
		if (k == 17 || !field_u64(f, n, &v[k]))
			return false;
		k++;
	}
	if (k != 11 && k != 15 && k != 17)
		return false;
	d->major = (unsigned)maj;
	d->minor = (unsigned)min;
	d->nfields = k;
	d->rd_ios = v[0], d->rd_merges = v[1], d->rd_sectors = v[2], d->rd_ms = v[3];
	d->wr_ios = v[4], d->wr_merges = v[5], d->wr_sectors = v[6], d->wr_ms = v[7];
	d->in_flight = v[8], d->io_ms = v[9], d->weighted_ms = v[10];
	d->dc_ios = v[11], d->dc_merges = v[12], d->dc_sectors = v[13], d->dc_ms = v[14];
	d->fl_ios = v[15], d->fl_ms = v[16];
	return true;
}

int diskstats_parse(const char *text, size_t len, struct diskstats **out, size_t *n,
		    size_t *skipped, struct bb_error *e)
{
	size_t lines = 1, got = 0, bad = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	struct diskstats *a = calloc(lines, sizeof(*a));
	if (!a)
		return bb_error_set(e, ENOMEM, "diskstats: out of memory");
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *q = p;
		const char *f;
		if (next_field(&q, eol, &f) != 0) {
			if (parse_line(p, eol, &a[got]))
				got++;
			else
				bad++;
		}
		p = nl ? nl + 1 : end;
	}
	if (!got) {
		free(a);
		a = NULL;
	}
	*out = a;
	*n = got;
	if (skipped)
		*skipped = bad;
	return 0;
}

int diskstats_read(const char *path, struct diskstats **out, size_t *n, struct bb_error *e)
{
	if (!path)
		path = "/proc/diskstats";
	size_t len;
	char *text = read_file(path, DISKSTATS_MAX_FILE, &len);
	if (!text)
		return bb_error_errno(e, "read %s", path);
	int rc = diskstats_parse(text, len, out, n, NULL, e);
	free(text);
	return rc;
}

/* A counter that went backwards was restarted (device replaced). */
static uint64_t delta(uint64_t a, uint64_t b, bool *reset)
{
	if (b >= a)
		return b - a;
	*reset = true;
	return b;
}

void diskstats_rates(const struct diskstats *a, uint64_t a_ns, const struct diskstats *b,
		     uint64_t b_ns, struct diskstats_rates *r)
{
	memset(r, 0, sizeof(*r));
	if (b_ns <= a_ns)
		return;
	bool reset = false;
	uint64_t rd = delta(a->rd_ios, b->rd_ios, &reset);
	uint64_t wr = delta(a->wr_ios, b->wr_ios, &reset);
	uint64_t rs = delta(a->rd_sectors, b->rd_sectors, &reset);
	uint64_t ws = delta(a->wr_sectors, b->wr_sectors, &reset);
	uint64_t rms = delta(a->rd_ms, b->rd_ms, &reset);
	uint64_t wms = delta(a->wr_ms, b->wr_ms, &reset);
	uint64_t io = delta(a->io_ms, b->io_ms, &reset);
	uint64_t wq = delta(a->weighted_ms, b->weighted_ms, &reset);
	double s = (double)(b_ns - a_ns) / 1e9;
	r->seconds = s;
	r->reset = reset;
	r->rd_iops = (double)rd / s;
	r->wr_iops = (double)wr / s;
	r->rd_bytes_s = (double)rs * 512.0 / s;
	r->wr_bytes_s = (double)ws * 512.0 / s;
	r->rd_mean_ms = rd ? (double)rms / (double)rd : 0;
	r->wr_mean_ms = wr ? (double)wms / (double)wr : 0;
	/* io_ms advances with wall time while anything is in flight, so it
	 * cannot exceed the interval but for sampling jitter: clamp. */
	r->util_pct = (double)io / (s * 1000.0) * 100.0;
	if (r->util_pct > 100.0)
		r->util_pct = 100.0;
	r->queue_depth = (double)wq / (s * 1000.0);
}

/* ---- ring ------------------------------------------------------------- */

int diskstats_ring_init(struct diskstats_ring *r, size_t cap, struct bb_error *e)
{
	memset(r, 0, sizeof(*r));
	if (cap < 2)
		return bb_error_set(e, EINVAL, "diskstats ring: at least 2 samples");
	r->s = calloc(cap, sizeof(*r->s));
	if (!r->s)
		return bb_error_set(e, ENOMEM, "diskstats ring: out of memory");
	r->cap = cap;
	return 0;
}

void diskstats_ring_free(struct diskstats_ring *r)
{
	free(r->s);
	memset(r, 0, sizeof(*r));
}

const struct diskstats_sample *diskstats_ring_at(const struct diskstats_ring *r, size_t i)
{
	if (i >= r->count)
		return NULL;
	return &r->s[(r->head + r->cap - 1 - i) % r->cap];
}

bool diskstats_ring_push(struct diskstats_ring *r, uint64_t t_ns, const struct diskstats *c)
{
	const struct diskstats_sample *last = diskstats_ring_at(r, 0);
	if (last && t_ns <= last->t_ns)
		return false;
	r->s[r->head].t_ns = t_ns;
	r->s[r->head].c = *c;
	r->head = (r->head + 1) % r->cap;
	if (r->count < r->cap)
		r->count++;
	return true;
}

bool diskstats_ring_window(const struct diskstats_ring *r, uint64_t window_ns,
			   struct diskstats_rates *out)
{
	memset(out, 0, sizeof(*out));
	const struct diskstats_sample *now = diskstats_ring_at(r, 0), *old = NULL;
	if (!now || r->count < 2)
		return false;
	for (size_t i = 1; i < r->count; i++) {
		old = diskstats_ring_at(r, i);
		if (now->t_ns - old->t_ns >= window_ns)
			break;
	}
	diskstats_rates(&old->c, old->t_ns, &now->c, now->t_ns, out);
	return true;
}
