/* stream.h - run a coefficient plan over shard-sized files in bounded
 * memory: chunks of every stream are read into aligned buffers, the plan
 * computes its outputs, and a drain callback writes or compares them.
 * A reader thread reads ahead while worker threads take the chunks
 * (stripe ranges) in turn; drains run in any order, on any worker. */
#ifndef EC_STREAM_H
#define EC_STREAM_H

#include "gf.h"

#include <stddef.h>
#include <stdint.h>

struct ec_stream {
	int nread;                  /* input buffers per chunk */
	const struct ec_gf_plan *plan; /* outputs from the first plan->nin inputs; or NULL */
	uint64_t length;            /* bytes of each stream */
	unsigned threads;           /* workers (the reader is one more) */
	uint64_t memory;            /* budget for all buffers of all threads */
	const char *what;           /* progress label */
	/* Fill input i with bytes [off, off+len): on the reader thread, or
	 * on a worker when the reader is behind (two chunks at once). 0, or
	 * -1 (reported). */
	int (*fill)(void *ctx, int i, uint8_t *buf, uint64_t off, size_t len);
	/* Consume one computed chunk, on any worker, chunks in any order.
	 * 0, or -1 (reported). */
	int (*drain)(void *ctx, uint8_t *const *in, uint8_t *const *out, uint64_t off, size_t len);
	void *ctx;
};

/* 0 when every chunk was filled and drained; -1 after the first failure
 * (the other threads stop at their next chunk). threads 0: no thread at
 * all, every chunk read and computed in turn by the caller (what it does
 * when no thread will start; tests compare the two). */
int ec_stream_run(const struct ec_stream *s);

/* Bytes per buffer a run of s takes (what a benchmark of the kernels
 * should feed them to take the tool's code path). */
size_t ec_stream_chunk_size(const struct ec_stream *s);

/* Workers when none are asked for: one fewer than the CPUs this process
 * may run on (the reader takes one, and the workers read too when it
 * falls behind), at least 1. */
unsigned ec_stream_default_threads(void);

/* The buffer budget when none is asked for: an eighth of the last-level
 * cache the machine reports (sysfs), 4 MiB to 64 MiB, 4 MiB when it says
 * nothing. Buffers that stay in the cache are refilled from the page cache
 * at memory speed, and few pages cost few faults: a fresh 64 MiB costs
 * 16k of them, about 0.28 s on the VMs this was measured on, where 4 MiB
 * rebuilt and verified 2 to 3 times faster than 64 MiB. */
uint64_t ec_stream_default_memory(void);

#endif
