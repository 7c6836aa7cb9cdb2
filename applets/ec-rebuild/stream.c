/* stream.c - the chunked, threaded pump under every ec-rebuild command.
 *
 * A reader thread reads chunks, in order, into a ring of slots (one
 * buffer per input stream each) while workers compute and drain the
 * slots it has filled: so reading the next chunks overlaps the coding,
 * CRCs and writes of this one, and a pass costs little more than the
 * slower of the two. A worker whose next chunk the reader has not begun
 * reads it itself: when the coding is lighter than the reading, both
 * cores read. Workers take the chunks in order but may finish them in
 * any order. */
#include "stream.h"
#include "progress.h"

#include "bb.h"
#include "io.h"
#include "size.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

enum { CHUNK_ALIGN = 64 * 1024, MAX_WORKERS = 256, HUGE_PAGE = 2 << 20 };

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
	unsigned workers;
	int nslots;
	struct slot *slot;
	uint8_t *mem;            /* every buffer: the slots', then the workers' outputs */
	size_t mem_len;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t next_read, next_work; /* under mu */
	unsigned next_out;             /* output buffers handed out, under mu */
	atomic_uint_fast64_t done;     /* bytes finished, for the progress bar */
	atomic_int failed;
};

/* Slots: one per worker computing, one being read, one read ahead. */
static int ring_slots(unsigned workers)
{
	return (int)workers + 2;
}

/* Slots and output sets for workers (0: in turn, one of each). */
static uint64_t ec_stream_buffers(const struct ec_stream *s, unsigned workers)
{
	uint64_t nout = s->plan ? (uint64_t)s->plan->nout : 0;
	if (!workers)
		return (uint64_t)s->nread + nout;
	return (uint64_t)ring_slots(workers) * (uint64_t)s->nread + workers * nout;
}

/* Bytes per buffer: the memory budget shared out, no more than the files
 * need. */
static size_t ec_stream_chunk(const struct ec_stream *s, unsigned workers)
{
	uint64_t bufs = ec_stream_buffers(s, workers);
	uint64_t c = s->memory / (bufs ? bufs : 1);
	c -= c % CHUNK_ALIGN;
	if (c < CHUNK_ALIGN)
		c = CHUNK_ALIGN;
	uint64_t need = (s->length + CHUNK_ALIGN - 1) / CHUNK_ALIGN * CHUNK_ALIGN;
	if (need && c > need)
		c = need;
	return (size_t)c;
}

/* The buffers in huge pages where the kernel gives them: a fresh 4 KiB
 * page costs a fault each (about 18 us on the VMs this was measured on,
 * a thousand of them for 4 MiB), a 2 MiB one a single fault. */
static uint8_t *buffers(size_t len, size_t *mapped)
{
	size_t want = (len + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE + HUGE_PAGE;
	uint8_t *m = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	/* a huge page needs a 2 MiB-aligned start: trim the ends off */
	uintptr_t at = ((uintptr_t)m + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
	size_t head = at - (uintptr_t)m, body = want - HUGE_PAGE;
	if (head)
		munmap(m, head);
	if (want - head - body)
		munmap((uint8_t *)at + body, want - head - body);
#ifdef MADV_HUGEPAGE
	madvise((void *)at, body, MADV_HUGEPAGE);
#endif
	*mapped = body;
	return (uint8_t *)at;
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

/* Read chunk c (taken from next_read) into its slot once that is free;
 * called and left with mu held. 0, or -1 (the pump has failed). */
static int read_chunk(struct pump *p, uint64_t c)
{
	struct slot *sl = &p->slot[c % (uint64_t)p->nslots];
	while (sl->state != SLOT_FREE && !atomic_load(&p->failed))
		pthread_cond_wait(&p->cv, &p->mu);
	if (atomic_load(&p->failed))
		return -1;
	sl->state = SLOT_FILLING;
	sl->chunk = c;
	pthread_mutex_unlock(&p->mu);
	int rc = fill_slot(p, sl, c);
	pthread_mutex_lock(&p->mu);
	if (rc) {
		fail(p);
		return -1;
	}
	sl->state = SLOT_READY;
	pthread_cond_broadcast(&p->cv);
	return 0;
}

/* The reader: chunk after chunk into the next slot as it comes free. */
static void *reader(void *arg)
{
	struct pump *p = arg;
	pthread_mutex_lock(&p->mu);
	while (!atomic_load(&p->failed) && p->next_read < p->nchunks)
		if (read_chunk(p, p->next_read++))
			break;
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* A worker: the next chunk in order, once read; computed and drained. */
static void *worker(void *arg)
{
	struct pump *p = arg;
	const struct ec_stream *s = p->s;
	uint8_t *out[GF_MAX_SHARDS];
	int nout = s->plan ? s->plan->nout : 0;
	pthread_mutex_lock(&p->mu);
	uint8_t *mine = p->mem + ((size_t)p->nslots * (size_t)s->nread +
				  (size_t)p->next_out++ * (size_t)nout) * p->chunk;
	for (int i = 0; i < nout; i++)
		out[i] = mine + (size_t)i * p->chunk;
	while (!atomic_load(&p->failed) && p->next_work < p->nchunks) {
		uint64_t c = p->next_work++;
		struct slot *sl = &p->slot[c % (uint64_t)p->nslots];
		/* the reader is behind: read this one here */
		if (p->next_read == c && read_chunk(p, p->next_read++))
			break;
		while (!(sl->state == SLOT_READY && sl->chunk == c) && !atomic_load(&p->failed))
			pthread_cond_wait(&p->cv, &p->mu);
		if (atomic_load(&p->failed))
			break;
		pthread_mutex_unlock(&p->mu);
		size_t len = chunk_len(p, c);
		if (s->plan)
			ec_gf_plan_run(s->plan, (const uint8_t *const *)sl->in, out, len);
		int rc = s->drain(s->ctx, sl->in, out, c * p->chunk, len);
		atomic_fetch_add(&p->done, len);
		pthread_mutex_lock(&p->mu);
		sl->state = SLOT_FREE;
		pthread_cond_broadcast(&p->cv);
		if (rc) {
			fail(p);
			break;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* No thread would start: every chunk here, read then computed. */
static void in_turn(struct pump *p)
{
	struct slot *sl = &p->slot[0];
	uint8_t *out[GF_MAX_SHARDS];
	int nout = p->s->plan ? p->s->plan->nout : 0;
	for (int i = 0; i < nout; i++)
		out[i] = p->mem + ((size_t)p->nslots * (size_t)p->s->nread + (size_t)i) * p->chunk;
	for (uint64_t c = 0; c < p->nchunks; c++) {
		size_t len = chunk_len(p, c);
		if (fill_slot(p, sl, c)) {
			atomic_store(&p->failed, 1);
			return;
		}
		if (p->s->plan)
			ec_gf_plan_run(p->s->plan, (const uint8_t *const *)sl->in, out, len);
		if (p->s->drain(p->s->ctx, sl->in, out, c * p->chunk, len)) {
			atomic_store(&p->failed, 1);
			return;
		}
		atomic_fetch_add(&p->done, len);
	}
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
	return ec_stream_chunk(s, s->threads > MAX_WORKERS ? MAX_WORKERS : s->threads);
}

unsigned ec_stream_default_threads(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	int n = CPU_COUNT(&set);
	return n > 2 ? (unsigned)(n - 1) : 1;
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
	uint64_t m = cache / 8;
	return m < (4ull << 20) ? 4ull << 20 : m > (64ull << 20) ? 64ull << 20 : m;
}

/* Threads: the reader, then the workers; the caller watches them. */
static void run_threads(struct pump *p)
{
	pthread_t tid[MAX_WORKERS + 1];
	unsigned started = 0;
	if (pthread_create(&tid[0], NULL, reader, p)) {
		in_turn(p);
		return;
	}
	for (started = 1; started <= p->workers; started++)
		if (pthread_create(&tid[started], NULL, worker, p))
			break;
	if (started == 1) /* no worker: the caller is one */
		worker(p);
	watch(p, tid, started);
}

int ec_stream_run(const struct ec_stream *s)
{
	unsigned workers = s->threads > MAX_WORKERS ? MAX_WORKERS : s->threads;
	struct pump p = { .s = s, .workers = workers ? workers : 1,
			  .nslots = workers ? ring_slots(workers) : 1 };
	if (!s->length)
		return 0;
	p.chunk = ec_stream_chunk(s, workers);
	p.nchunks = (s->length + p.chunk - 1) / p.chunk;
	size_t nbuf = (size_t)ec_stream_buffers(s, workers);
	p.slot = calloc((size_t)p.nslots, sizeof(*p.slot));
	p.mem = p.slot ? buffers(nbuf * p.chunk, &p.mem_len) : NULL;
	if (!p.mem) {
		bb_err("cannot allocate %zu bytes of buffers", nbuf * p.chunk);
		free(p.slot);
		return -1;
	}
	for (int j = 0; j < p.nslots; j++)
		for (int i = 0; i < s->nread; i++)
			p.slot[j].in[i] = p.mem + ((size_t)j * (size_t)s->nread + (size_t)i) * p.chunk;
	atomic_init(&p.done, 0);
	atomic_init(&p.failed, 0);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	if (workers)
		run_threads(&p);
	else
		in_turn(&p);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
	munmap(p.mem, p.mem_len);
	free(p.slot);
	return atomic_load(&p.failed) ? -1 : 0;
}
