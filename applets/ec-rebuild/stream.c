/* stream.c - the chunked, threaded pump under every ec-rebuild command. */
#include "stream.h"
#include "progress.h"

#include "bb.h"
#include "io.h"
#include "size.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { CHUNK_ALIGN = 64 * 1024 };

struct pump {
	const struct ec_stream *s;
	size_t chunk;
	atomic_uint_fast64_t next;  /* next chunk index to take */
	atomic_uint_fast64_t done;  /* bytes finished, for the progress bar */
	atomic_int failed;
};

/* Bytes per buffer: the memory budget shared out, no more than the files need. */
static size_t ec_stream_chunk(const struct ec_stream *s)
{
	unsigned threads = s->threads ? s->threads : 1;
	uint64_t bufs = (uint64_t)s->nread + (uint64_t)(s->plan ? s->plan->nout : 0);
	uint64_t c = s->memory / threads / (bufs ? bufs : 1);
	c -= c % CHUNK_ALIGN;
	if (c < CHUNK_ALIGN)
		c = CHUNK_ALIGN;
	/* no bigger than the files need */
	uint64_t need = (s->length + CHUNK_ALIGN - 1) / CHUNK_ALIGN * CHUNK_ALIGN;
	if (need && c > need)
		c = need;
	return (size_t)c;
}

static int one_chunk(struct pump *p, uint8_t **in, uint8_t **out, uint64_t off, size_t len)
{
	const struct ec_stream *s = p->s;
	for (int i = 0; i < s->nread; i++)
		if (s->fill(s->ctx, i, in[i], off, len))
			return -1;
	if (s->plan)
		ec_gf_plan_run(s->plan, (const uint8_t *const *)in, out, len);
	return s->drain(s->ctx, in, out, off, len);
}

static void *worker(void *arg)
{
	struct pump *p = arg;
	const struct ec_stream *s = p->s;
	int nout = s->plan ? s->plan->nout : 0, nbuf = s->nread + nout;
	uint8_t *mem = aligned_alloc(64, (size_t)nbuf * p->chunk);
	uint8_t *in[GF_MAX_SHARDS * 2], *out[GF_MAX_SHARDS];
	if (!mem) {
		bb_err("cannot allocate %zu bytes of buffers", (size_t)nbuf * p->chunk);
		atomic_store(&p->failed, 1);
		return (void *)1;
	}
	for (int i = 0; i < s->nread; i++)
		in[i] = mem + (size_t)i * p->chunk;
	for (int i = 0; i < nout; i++)
		out[i] = mem + (size_t)(s->nread + i) * p->chunk;
	while (!atomic_load(&p->failed)) {
		uint64_t off = atomic_fetch_add(&p->next, 1) * p->chunk;
		if (off >= s->length)
			break;
		size_t len = s->length - off < p->chunk ? (size_t)(s->length - off) : p->chunk;
		if (one_chunk(p, in, out, off, len)) {
			atomic_store(&p->failed, 1);
			break;
		}
		atomic_fetch_add(&p->done, len);
	}
	free(mem);
	return NULL;
}

/* The calling thread draws the progress bar while the workers pump. It
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

int ec_stream_run(const struct ec_stream *s)
{
	struct pump p = { .s = s, .chunk = ec_stream_chunk(s) };
	unsigned n = s->threads ? s->threads : 1;
	pthread_t tid[256];
	unsigned started = 0;
	if (n > 256)
		n = 256;
	atomic_init(&p.next, 0);
	atomic_init(&p.done, 0);
	atomic_init(&p.failed, 0);
	if (!s->length)
		return 0;
	for (; started < n; started++)
		if (pthread_create(&tid[started], NULL, worker, &p))
			break;
	if (!started) /* no threads at all: do it here */
		worker(&p);
	else
		watch(&p, tid, started);
	return atomic_load(&p.failed) ? -1 : 0;
}
