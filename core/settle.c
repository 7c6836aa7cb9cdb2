/* settle.c - poll sysfs until the block device set is stable. */
#include "settle.h"
#include "clock.h"
#include "error.h"
#include "io.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A cheap fingerprint of the device set: count and a hash of the names.
 * *count is -1 when the directory cannot be read. */
static unsigned long long block_set(const struct sysroot *root, int *count)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/class/block", root->sys);
	DIR *d = opendir(path);
	unsigned long long sum = 0;
	*count = 0;
	if (!d) {
		*count = -1;
		return 0;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		unsigned long long h = 1469598103934665603ull; /* FNV-1a, order-free sum */
		for (const char *p = e->d_name; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
		sum += h;
		(*count)++;
	}
	closedir(d);
	return sum;
}

/* An NVMe controller announces its namespaces only after reaching "live". */
static bool nvme_starting(const struct sysroot *root)
{
	char path[4096], state[32];
	snprintf(path, sizeof(path), "%s/class/nvme", root->sys);
	DIR *d = opendir(path);
	if (!d)
		return false;
	bool starting = false;
	struct dirent *e;
	while (!starting && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/class/nvme/%s/state", root->sys, e->d_name);
		starting = !read_line(path, state, sizeof(state)) &&
			   (!strcmp(state, "new") || !strcmp(state, "connecting") ||
			    !strcmp(state, "resetting"));
	}
	closedir(d);
	return starting;
}

int blkdev_settle(const struct sysroot *root, unsigned max_ms, unsigned quiet_ms, bool *timed_out,
		  struct bb_error *e)
{
	const unsigned step_ms = 50;
	unsigned long long start = clock_ms(), stable_since = start;
	int count;
	unsigned long long last = block_set(root, &count);
	*timed_out = false;
	if (count < 0)
		return bb_error_errno(e, "%s/class/block", root->sys);
	for (;;) {
		unsigned long long t = clock_ms();
		if (t - stable_since >= quiet_ms && !nvme_starting(root))
			return count;
		if (t - start >= max_ms) {
			*timed_out = true;
			return count;
		}
		usleep(step_ms * 1000);
		int now_count;
		unsigned long long cur = block_set(root, &now_count);
		if (now_count < 0) /* sysfs went away: keep the last count */
			continue;
		count = now_count;
		if (cur != last) {
			last = cur;
			stable_since = clock_ms();
		}
	}
}
