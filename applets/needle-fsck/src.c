/* src.c - reading .dat forward in large chunks without extra copies.
 *
 * The window is refilled by reading the next chunk into the other buffer
 * and copying in front of it only the unread part of the current one: at
 * most one small record. With a thread, the next chunk is read while the
 * current one is checked, so a check costs little more than the read. */
#include "fsck.h"
#include "crc.h"
#include "io.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct nf_ahead {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd;
	/* the job: read n bytes at off into dst */
	uint8_t *dst;
	uint64_t off;
	size_t n;
	bool pending, busy, stop;
	/* its result */
	bool have;
	uint64_t have_off;
	ssize_t got;
	int err;
};

static void *ahead_main(void *arg)
{
	struct nf_ahead *a = arg;
	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (!a->pending && !a->stop)
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->stop)
			break;
		a->pending = false;
		a->busy = true;
		uint8_t *dst = a->dst;
		uint64_t off = a->off;
		size_t n = a->n;
		pthread_mutex_unlock(&a->mu);
		ssize_t got = pread_full(a->fd, dst, n, off);
		int err = errno;
		pthread_mutex_lock(&a->mu);
		a->busy = false;
		a->have = true;
		a->have_off = off;
		a->got = got;
		a->err = err;
		pthread_cond_broadcast(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

static void ahead_start(struct nf_ahead *a, uint8_t *dst, uint64_t off, size_t n)
{
	pthread_mutex_lock(&a->mu);
	while (a->pending || a->busy)
		pthread_cond_wait(&a->cv, &a->mu);
	a->dst = dst;
	a->off = off;
	a->n = n;
	a->have = false;
	a->pending = true;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

/* Wait for the read in flight. Returns true with its result when it was
 * for off; false (and forgets it) otherwise. */
static bool ahead_take(struct nf_ahead *a, uint64_t off, ssize_t *got, int *err)
{
	pthread_mutex_lock(&a->mu);
	while (a->pending || a->busy)
		pthread_cond_wait(&a->cv, &a->mu);
	bool hit = a->have && a->have_off == off;
	*got = a->got;
	*err = a->err;
	a->have = false;
	pthread_mutex_unlock(&a->mu);
	return hit;
}

int nf_src_open(struct nf_src *s, int fd, uint64_t size, size_t chunk, bool thread)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->size = size;
	s->chunk = chunk ? chunk : NF_CHUNK;
	for (int i = 0; i < 2; i++) {
		s->buf[i] = malloc(NF_SMALL + s->chunk);
		if (!s->buf[i]) {
			nf_src_close(s);
			errno = ENOMEM;
			return -1;
		}
	}
	s->win = s->buf[0] + NF_SMALL;
	if (!thread)
		return 0;
	struct nf_ahead *a = calloc(1, sizeof(*a));
	if (!a)
		return 0; /* read in this thread then */
	a->fd = fd;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	if (pthread_create(&a->thread, NULL, ahead_main, a)) {
		pthread_mutex_destroy(&a->mu);
		pthread_cond_destroy(&a->cv);
		free(a);
		return 0;
	}
	s->ahead = a;
	return 0;
}

void nf_src_close(struct nf_src *s)
{
	struct nf_ahead *a = s->ahead;
	if (a) {
		pthread_mutex_lock(&a->mu);
		a->stop = true;
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->thread, NULL);
		pthread_mutex_destroy(&a->mu);
		pthread_cond_destroy(&a->cv);
		free(a);
		s->ahead = NULL;
	}
	free(s->buf[0]);
	free(s->buf[1]);
	s->buf[0] = s->buf[1] = NULL;
}

static size_t chunk_at(const struct nf_src *s, uint64_t off)
{
	return off >= s->size ? 0 : s->size - off < s->chunk ? (size_t)(s->size - off) : s->chunk;
}

/* The next chunk, at off, into buffer i after its carry room: taken from
 * the thread when it read just that, else read now. */
static ssize_t read_chunk(struct nf_src *s, int i, uint64_t off)
{
	size_t n = chunk_at(s, off);
	ssize_t got;
	int err = 0;
	if (s->ahead && ahead_take(s->ahead, off, &got, &err)) {
		if (got < 0)
			errno = err;
	} else {
		got = pread_full(s->fd, s->buf[i] + NF_SMALL, n, off);
	}
	if (got >= 0)
		s->bytes_read += (uint64_t)got;
	if (got >= 0 && (size_t)got < n) { /* the file shrank under us */
		errno = EIO;
		return -1;
	}
	return got;
}

/* Make the window start at off, keeping what it has from there on. */
static int refill(struct nf_src *s, uint64_t off)
{
	uint64_t end = s->base + s->len;
	size_t carry = 0;
	bool forward = off >= s->base && off <= end && end - off <= NF_SMALL;
	if (forward)
		carry = (size_t)(end - off);
	else
		end = off;
	int other = 1 - s->cur;
	ssize_t got = read_chunk(s, other, end);
	if (got < 0)
		return -1;
	uint8_t *start = s->buf[other] + NF_SMALL - carry;
	if (carry)
		memcpy(start, s->win + (off - s->base), carry);
	s->cur = other;
	s->win = start;
	s->base = off;
	s->len = carry + (size_t)got;
	uint64_t next = s->base + s->len;
	if (s->ahead && next < s->size)
		ahead_start(s->ahead, s->buf[1 - s->cur] + NF_SMALL, next, chunk_at(s, next));
	return 0;
}

const uint8_t *nf_src_get(struct nf_src *s, uint64_t off, size_t n)
{
	if (off > s->size || n > s->size - off || n > NF_SMALL) {
		errno = ENODATA;
		return NULL;
	}
	while (off < s->base || off + n > s->base + s->len)
		if (refill(s, off))
			return NULL;
	return s->win + (off - s->base);
}

int nf_src_crc(struct nf_src *s, uint64_t off, uint64_t n, uint32_t *crc)
{
	uint32_t c = 0;
	s->crc_bytes += n;
	while (n) {
		if ((off < s->base || off >= s->base + s->len) && !nf_src_get(s, off, 1))
			return -1;
		uint64_t avail = s->base + s->len - off;
		size_t take = (size_t)(avail < n ? avail : n);
		c = crc32c(c, s->win + (off - s->base), take);
		off += take;
		n -= take;
	}
	*crc = c;
	return 0;
}
