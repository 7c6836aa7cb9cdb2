/* progress.h - a progress bar on stderr when it is a terminal, silence
 * otherwise (boot logs and pipes get no carriage-return noise). */
#ifndef BB_PROGRESS_H
#define BB_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool on;
	const char *what;
	uint64_t total, done;
	uint64_t started_ns, shown_ns;
	/* done and total count parts of the whole (per mille), not bytes:
	 * no MB/s on the line. Set after progress_start. */
	bool no_rate;
};

void progress_start(struct progress *p, const char *what, uint64_t total);
/* Cheap to call often: redraws at most ten times a second. */
void progress_set(struct progress *p, uint64_t done);
void progress_end(struct progress *p);

#endif
