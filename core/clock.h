/* clock.h - time for measuring and for deadlines (monotonic: never jumps
 * when the wall clock is set), and wall time for records people read. */
#ifndef BB_CLOCK_H
#define BB_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds: durations, timeouts, rate limits. */
uint64_t clock_ns(void);
static inline uint64_t clock_ms(void) { return clock_ns() / 1000000; }
/* CLOCK_REALTIME in nanoseconds since the epoch: timestamps in journals. */
uint64_t clock_wall_ns(void);

#endif
