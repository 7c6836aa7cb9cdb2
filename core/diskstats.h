/* diskstats.h - block I/O counters from /proc/diskstats, and the rates
 * between two samples of them.
 *
 * The kernel keeps cumulative counters only (Documentation/admin-guide/
 * iostats.rst): 14 fields per line, 18 since 4.18 (discards), 20 since
 * 5.5 (flushes). From two samples come IOPS, throughput, the mean time
 * per request in each direction, utilisation and the average queue
 * depth over the interval between them; per-request latency percentiles
 * cannot be derived from counters, so nothing here claims them.
 *
 * A ring of samples per device answers for any window up to its length
 * with the rates between its newest sample and the one a window earlier:
 * no averaging of averages. Nothing is printed.
 */
#ifndef BB_DISKSTATS_H
#define BB_DISKSTATS_H

#include "sysfs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bb_error;

/* One line: the counters as the kernel names them (sectors of 512 bytes,
 * times in milliseconds). Fields absent from an older kernel stay 0. */
struct diskstats {
	unsigned major, minor;
	char name[BLKDEV_NAME]; /* kept as written: nvme0n1, md127, dm-0 */
	unsigned nfields;       /* fields after the name: 11, 15 or 17 */
	uint64_t rd_ios, rd_merges, rd_sectors, rd_ms;
	uint64_t wr_ios, wr_merges, wr_sectors, wr_ms;
	uint64_t in_flight, io_ms, weighted_ms;
	uint64_t dc_ios, dc_merges, dc_sectors, dc_ms;
	uint64_t fl_ios, fl_ms;
};

/* Parse /proc/diskstats text. A line that does not parse (too few or too
 * many fields, a field that is not a number, a name too long or holding
 * control bytes) is skipped and counted in *skipped (may be NULL): the
 * kernel writes none, and one odd line must not hide the rest. 0 with
 * *out a malloc'd array of *n entries (NULL when none), or -1 with e
 * (ENOMEM). */
int diskstats_parse(const char *text, size_t len, struct diskstats **out, size_t *n,
		    size_t *skipped, struct bb_error *e);
/* Read and parse path (NULL: /proc/diskstats). */
int diskstats_read(const char *path, struct diskstats **out, size_t *n, struct bb_error *e);

/* Rates over an interval. Means are over the requests completed in it
 * (0 when none completed); util and queue depth over its wall time. */
struct diskstats_rates {
	double seconds;            /* length of the interval */
	double rd_iops, wr_iops;
	double rd_bytes_s, wr_bytes_s;
	double rd_mean_ms, wr_mean_ms; /* mean time per completed request */
	double util_pct;           /* share of the time with I/O in flight, 0..100 */
	double queue_depth;        /* average requests in flight (weighted time / time) */
	bool reset;                /* a counter went backwards: the device was
				    * replaced; rates count from zero */
};

/* Rates from sample a (older, at a_ns) to sample b (at b_ns, monotonic
 * nanoseconds). b_ns <= a_ns gives all zero with seconds 0. */
void diskstats_rates(const struct diskstats *a, uint64_t a_ns, const struct diskstats *b,
		     uint64_t b_ns, struct diskstats_rates *r);

/* ---- a ring of samples of one device ---------------------------------- */

struct diskstats_sample {
	uint64_t t_ns;
	struct diskstats c;
};

struct diskstats_ring {
	struct diskstats_sample *s; /* cap entries */
	size_t cap, head, count;    /* head: the next slot written */
};

/* cap >= 2 samples. 0, or -1 with e (ENOMEM, EINVAL). */
int diskstats_ring_init(struct diskstats_ring *r, size_t cap, struct bb_error *e);
void diskstats_ring_free(struct diskstats_ring *r);
/* Add a sample; the oldest goes when full. Samples must come in time
 * order: one not newer than the newest is ignored (returns false). */
bool diskstats_ring_push(struct diskstats_ring *r, uint64_t t_ns, const struct diskstats *c);
/* The i-th newest sample (0: the newest), NULL past the oldest. */
const struct diskstats_sample *diskstats_ring_at(const struct diskstats_ring *r, size_t i);
/* Rates over the last window_ns: from the newest sample back to the
 * newest one at least window_ns older, or the oldest held when the ring
 * reaches less far (out->seconds says what was covered). false when
 * fewer than two samples are held. */
bool diskstats_ring_window(const struct diskstats_ring *r, uint64_t window_ns,
			   struct diskstats_rates *out);

#endif
