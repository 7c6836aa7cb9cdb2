/* diskstats fuzz target: any bytes as /proc/diskstats, each entry then
 * pushed into a ring and turned into rates, which must stay finite. */
#include "diskstats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diskstats *d;
	size_t n, bad;
	if (diskstats_parse((const char *)data, size, &d, &n, &bad, NULL))
		return 0;
	struct diskstats_ring r;
	if (diskstats_ring_init(&r, 3, NULL) == 0) {
		for (size_t i = 0; i < n; i++) {
			if (!memchr(d[i].name, 0, sizeof(d[i].name)) || !d[i].name[0])
				abort();
			diskstats_ring_push(&r, (i + 1) * 1000000ull, &d[i]);
			struct diskstats_rates w;
			if (diskstats_ring_window(&r, 2000000ull, &w) &&
			    (!isfinite(w.rd_iops) || !isfinite(w.queue_depth) || w.util_pct > 100.0 ||
			     w.util_pct < 0 || !isfinite(w.wr_mean_ms)))
				abort();
		}
		diskstats_ring_free(&r);
	}
	free(d);
	return 0;
}
