/* stream.h - run a coefficient plan over shard-sized files in bounded
 * memory: chunks of every stream are read into aligned buffers, the plan
 * computes its outputs, and a drain callback writes or compares them.
 * Threads read the chunks (stripe ranges) ahead into a ring and compute
 * the ones read (or, local, each the chunk it read); drains run in any
 * order, on any thread. */
#ifndef EC_STREAM_H
#define EC_STREAM_H

#include "gf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ec_stream {
	int nread;                  /* input buffers per chunk */
	const struct ec_gf_plan *plan; /* outputs from the first plan->nin inputs; or NULL */
	uint64_t length;            /* bytes of each stream */
	unsigned threads;           /* each reads and computes */
	uint64_t memory;            /* budget for all buffers of all threads */
	const char *what;           /* progress label */
	/* Fill input i with bytes [off, off+len), on any thread (chunks
	 * at once, in any order). 0, or -1 (reported). */
	int (*fill)(void *ctx, int i, uint8_t *buf, uint64_t off, size_t len);
	/* Consume one computed chunk, on any thread, chunks in any order.
	 * 0, or -1 (reported). */
	int (*drain)(void *ctx, uint8_t *const *in, uint8_t *const *out, uint64_t off, size_t len);
	void *ctx;
	/* The drain runs the plan itself, in pieces of its choosing, each
	 * taken through all its work while it is in cache (verify: code,
	 * compare, CRC); the pump only gives it the output buffers. */
	bool drain_codes;
	/* Each thread reads a chunk into buffers of its own and computes it
	 * at once, while its bytes are in that core's caches, instead of the
	 * ring's handing chunks read by one thread to another (verify: it
	 * only reads, and a chunk read on one core and checked on the other
	 * crossed between their caches: 20% more CPU at two threads). */
	bool local;
};

/* 0 when every chunk was filled and drained; -1 after the first failure
 * (the other threads stop at their next chunk). threads 0: no thread at
 * all, every chunk read and computed in turn by the caller (what it does
 * when no thread will start; tests compare the two). */
int ec_stream_run(const struct ec_stream *s);

/* Bytes per buffer a run of s takes (what a benchmark of the kernels
 * should feed them to take the tool's code path). */
size_t ec_stream_chunk_size(const struct ec_stream *s);

/* Threads when none are asked for: the CPUs this process may run on, at
 * most 8. */
unsigned ec_stream_default_threads(void);

/* The buffer budget when none is asked for: half the last-level cache
 * the machine reports (sysfs), 8 MiB to 64 MiB, 16 MiB when it says
 * nothing; 4 MiB when the kernel gives no huge pages. Buffers that stay in the cache are refilled from the page cache
 * at memory speed; they come in huge pages, so their faults cost little
 * (4 KiB pages cost about 18 us each on the VMs this was measured on). The
 * ring shares the budget among (threads + 1) slots of every input: 4 MiB
 * made chunks of 64 KiB, and a 1 GiB verify took 348 ms of CPU against
 * 307 ms at 8 MiB, 305 at 16 and 340 at 32 (2 threads, 32 MiB L3). */
uint64_t ec_stream_default_memory(void);

#endif
