/* stream.c - the chunked, threaded pump under every ec-rebuild command.
 *
 * Chunks are read, in order, into a ring of slots (one buffer per input
 * stream each), and computed and drained from the slots once read. Every
 * thread does both: it takes the next read chunk to compute when there is
 * one, else reads the next chunk into a free slot. So reading overlaps
 * the coding, CRCs and writes, and every core stays busy whichever of
 * them is the heavier (encode writes more than it reads). Chunks are
 * taken in order but may finish in any order. A local pump (verify) has
 * no ring: each thread reads a chunk into its own slot and computes it
 * at once, so its bytes never cross to the other core's cache. */
#include "stream.h"
#include "progress.h"

#include "bb.h"
#include "io.h"
#include "mem.h"
#include "size.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { CHUNK_ALIGN = 64 * 1024, MAX_THREADS = 256 };

/* More threads than this by default would only share the memory
 * bandwidth, and split the budget into chunks too small for their calls
 * (a slot per thread of every input). */
enum { DEFAULT_THREADS_MAX = 8 };

enum slot_state { SLOT_FREE, SLOT_FILLING, SLOT_READY };

struct slot {
	uint8_t *in[GF_MAX_SHARDS * 2];
	uint64_t chunk;          /* which chunk it holds or is filled with */
	enum slot_state state;
};

struct pump {
	const struct ec_stream *s;
	size_t chunk;
	uint64_t nchunks;
	unsigned threads;
	int nslots;
	struct slot *slot;
	uint8_t *mem;            /* every buffer: the slots', then each thread's outputs */
	size_t mem_len;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t next_read, next_work; /* under mu */
	unsigned next_out;             /* output buffers handed out, under mu */
	atomic_uint_fast64_t next_chunk; /* a local pump's next chunk to read */
	atomic_uint_fast64_t done;     /* bytes finished, for the progress bar */
	atomic_int failed;
};

/* Slots: one per thread, computing or reading, and one read ahead (one
 * alone, or a local pump: each thread its own). */
static int ring_slots(const struct ec_stream *s, unsigned threads)
{
	return threads > 1 && !s->local ? (int)threads + 1 : (int)threads;
}

/* Input buffers of the slots, and a set of outputs per thread. */
static uint64_t ec_stream_buffers(const struct ec_stream *s, unsigned threads)
{
	uint64_t nout = s->plan ? (uint64_t)s->plan->nout : 0;
	return (uint64_t)ring_slots(s, threads) * (uint64_t)s->nread + threads * nout;
}

/* Bytes per buffer: the memory budget shared out, no more than the files
 * need. */
static size_t ec_stream_chunk(const struct ec_stream *s, unsigned threads)
{
	uint64_t bufs = ec_stream_buffers(s, threads);
	uint64_t c = s->memory / (bufs ? bufs : 1);
	c -= c % CHUNK_ALIGN;
	if (c < CHUNK_ALIGN)
		c = CHUNK_ALIGN;
	uint64_t need = (s->length + CHUNK_ALIGN - 1) / CHUNK_ALIGN * CHUNK_ALIGN;
	if (need && c > need)
		c = need;
	return (size_t)c;
}

static size_t chunk_len(const struct pump *p, uint64_t c)
{
	uint64_t off = c * p->chunk, len = p->s->length;
	return len - off < p->chunk ? (size_t)(len - off) : p->chunk;
}

static int fill_slot(struct pump *p, struct slot *sl, uint64_t c)
{
	for (int i = 0; i < p->s->nread; i++)
		if (p->s->fill(p->s->ctx, i, sl->in[i], c * p->chunk, chunk_len(p, c)))
			return -1;
	return 0;
}

static void fail(struct pump *p)
{
	atomic_store(&p->failed, 1);
	pthread_cond_broadcast(&p->cv);
}

/* The next chunk to compute, when it has been read: its slot, taken. */
static struct slot *ready_chunk(struct pump *p, uint64_t *c)
{
	if (p->next_work >= p->nchunks)
		return NULL;
	struct slot *sl = &p->slot[p->next_work % (uint64_t)p->nslots];
	if (sl->state != SLOT_READY || sl->chunk != p->next_work)
		return NULL;
	*c = p->next_work++;
	return sl;
}

/* The next chunk to read, when its slot is free: the slot, taken. */
static struct slot *free_slot(struct pump *p, uint64_t *c)
{
	if (p->next_read >= p->nchunks)
		return NULL;
	struct slot *sl = &p->slot[p->next_read % (uint64_t)p->nslots];
	if (sl->state != SLOT_FREE)
		return NULL;
	*c = p->next_read++;
	sl->state = SLOT_FILLING;
	sl->chunk = *c;
	return sl;
}

/* Compute and drain chunk c of slot sl into out (mu not held). 0 or -1. */
static int work(struct pump *p, struct slot *sl, uint64_t c, uint8_t **out)
{
	size_t len = chunk_len(p, c);
	if (p->s->plan && !p->s->drain_codes)
		ec_gf_plan_run(p->s->plan, (const uint8_t *const *)sl->in, out, len);
	int rc = p->s->drain(p->s->ctx, sl->in, out, c * p->chunk, len);
	atomic_fetch_add(&p->done, len);
	return rc;
}

/* One thread of the pump: compute what is read, else read what is next,
 * else wait; until every chunk is taken to compute, or one failed. */
static void *pump_thread(void *arg)
{
	struct pump *p = arg;
	uint8_t *out[GF_MAX_SHARDS];
	int nout = p->s->plan ? p->s->plan->nout : 0;
	pthread_mutex_lock(&p->mu);
	uint8_t *mine = p->mem + ((size_t)p->nslots * (size_t)p->s->nread +
				  (size_t)p->next_out++ * (size_t)nout) * p->chunk;
	for (int i = 0; i < nout; i++)
		out[i] = mine + (size_t)i * p->chunk;
	while (!atomic_load(&p->failed) && p->next_work < p->nchunks) {
		uint64_t c;
		struct slot *sl;
		int rc;
		if ((sl = ready_chunk(p, &c))) {
			pthread_mutex_unlock(&p->mu);
			rc = work(p, sl, c, out);
			pthread_mutex_lock(&p->mu);
			sl->state = SLOT_FREE;
		} else if ((sl = free_slot(p, &c))) {
			pthread_mutex_unlock(&p->mu);
			rc = fill_slot(p, sl, c);
			pthread_mutex_lock(&p->mu);
			sl->state = SLOT_READY;
		} else {
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		if (rc)
			fail(p);
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* One thread of a local pump: the next chunk, read into this thread's
 * own slot and computed at once; until none is left, or one failed. */
static void *local_thread(void *arg)
{
	struct pump *p = arg;
	uint8_t *out[GF_MAX_SHARDS];
	int nout = p->s->plan ? p->s->plan->nout : 0;
	pthread_mutex_lock(&p->mu);
	unsigned me = p->next_out++;
	pthread_mutex_unlock(&p->mu);
	struct slot *sl = &p->slot[me];
	uint8_t *mine = p->mem + ((size_t)p->nslots * (size_t)p->s->nread +
				  (size_t)me * (size_t)nout) * p->chunk;
	for (int i = 0; i < nout; i++)
		out[i] = mine + (size_t)i * p->chunk;
	for (uint64_t c; !atomic_load(&p->failed) &&
			 (c = atomic_fetch_add(&p->next_chunk, 1)) < p->nchunks;)
		if (fill_slot(p, sl, c) || work(p, sl, c, out))
			fail(p);
	return NULL;
}

/* The calling thread draws the progress bar while the others pump. It
 * counts bytes read from all streams, so its rate is the input rate. */
static void watch(struct pump *p, pthread_t *tid, unsigned n)
{
	struct progress bar;
	uint64_t streams = (uint64_t)p->s->nread;
	progress_start(&bar, p->s->what ? p->s->what : "working", p->s->length * streams);
	for (unsigned i = 0; i < n; i++) {
		if (bar.on) {
			while (pthread_tryjoin_np(tid[i], NULL)) {
				progress_set(&bar, atomic_load(&p->done) * streams);
				struct timespec ts = { 0, 50 * 1000 * 1000 };
				nanosleep(&ts, NULL);
			}
		} else {
			pthread_join(tid[i], NULL);
		}
	}
	if (!atomic_load(&p->failed))
		progress_end(&bar);
	else if (bar.on)
		fputc('\n', stderr);
}

size_t ec_stream_chunk_size(const struct ec_stream *s)
{
	unsigned n = s->threads > MAX_THREADS ? MAX_THREADS : s->threads;
	return ec_stream_chunk(s, n ? n : 1);
}

unsigned ec_stream_default_threads(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	int n = CPU_COUNT(&set);
	return n > 1 ? (unsigned)(n < DEFAULT_THREADS_MAX ? n : DEFAULT_THREADS_MAX) : 1;
}

/* Will madvise get the buffers huge pages? Not when the kernel has them
 * off ("[never]"), or says nothing. */
static bool huge_pages(void)
{
	size_t n;
	char *text = read_file("/sys/kernel/mm/transparent_hugepage/enabled", 256, &n);
	bool on = text && !strstr(text, "[never]");
	free(text);
	return on;
}

uint64_t ec_stream_default_memory(void)
{
	static const char *const levels[] = {
		"/sys/devices/system/cpu/cpu0/cache/index3/size",
		"/sys/devices/system/cpu/cpu0/cache/index2/size",
	};
	uint64_t cache = 0;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]) && !cache; i++) {
		size_t n;
		const char *why;
		char *text = read_file(levels[i], 64, &n);
		if (text) {
			text[strcspn(text, "\n")] = 0;
			if (parse_size(text, 0, &cache, &why))
				cache = 0;
		}
		free(text);
	}
	uint64_t m = cache ? cache / 2 : 16ull << 20;
	m = m < (8ull << 20) ? 8ull << 20 : m > (64ull << 20) ? 64ull << 20 : m;
	return huge_pages() ? m : 4ull << 20;
}

/* The threads, watched by the caller; when none will start (or none is
 * asked for), the caller pumps alone. */
static void run_threads(struct pump *p, unsigned n)
{
	pthread_t tid[MAX_THREADS];
	unsigned started = 0;
	void *(*fn)(void *) = p->s->local ? local_thread : pump_thread;
	while (started < n && !pthread_create(&tid[started], NULL, fn, p))
		started++;
	if (!started)
		fn(p);
	else
		watch(p, tid, started);
}

int ec_stream_run(const struct ec_stream *s)
{
	unsigned threads = s->threads > MAX_THREADS ? MAX_THREADS : s->threads;
	struct pump p = { .s = s, .threads = threads ? threads : 1,
			  .nslots = ring_slots(s, threads ? threads : 1) };
	if (!s->length)
		return 0;
	p.chunk = ec_stream_chunk(s, p.threads);
	p.nchunks = (s->length + p.chunk - 1) / p.chunk;
	size_t nbuf = (size_t)ec_stream_buffers(s, p.threads);
	p.slot = calloc((size_t)p.nslots, sizeof(*p.slot));
	p.mem = p.slot ? mem_big_alloc(nbuf * p.chunk, &p.mem_len) : NULL;
	if (!p.mem) {
		bb_err("cannot allocate %zu bytes of buffers", nbuf * p.chunk);
		free(p.slot);
		return -1;
	}
	for (int j = 0; j < p.nslots; j++)
		for (int i = 0; i < s->nread; i++)
			p.slot[j].in[i] = p.mem + ((size_t)j * (size_t)s->nread + (size_t)i) * p.chunk;
	atomic_init(&p.next_chunk, 0);
	atomic_init(&p.done, 0);
	atomic_init(&p.failed, 0);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	run_threads(&p, threads);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
	mem_big_free(p.mem, p.mem_len);
	free(p.slot);
	return atomic_load(&p.failed) ? -1 : 0;
}
