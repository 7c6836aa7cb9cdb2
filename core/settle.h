/* settle.h - wait for the kernel to finish finding disks.
 *
 * Loading a driver returns before every disk behind it exists: an NVMe
 * controller resets and scans its namespaces in the background. Without
 * udev there is no "settle"; this polls sysfs until the block devices
 * stop changing and every NVMe controller is up.
 */
#ifndef BB_SETTLE_H
#define BB_SETTLE_H

#include "sysfs.h"

struct bb_error;

/* Returns the number of block devices once the set has been the same for
 * quiet_ms and no NVMe controller is still starting, or after max_ms
 * (then *timed_out is set). Returns -1 with e filled when sysfs has no
 * class/block to watch. */
int blkdev_settle(const struct sysroot *root, unsigned max_ms, unsigned quiet_ms, bool *timed_out,
		  struct bb_error *e);

#endif
