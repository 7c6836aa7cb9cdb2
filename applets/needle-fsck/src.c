/* src.c - reading .dat forward in large chunks without extra copies.
 *
 * The window is refilled by reading the next chunk into another buffer
 * and copying in front of it only the unread part of the current one: at
 * most one small record. With a thread, the next chunks are read while
 * the current one is checked, so a check costs little more than the read. */
#include "fsck.h"
#include "crc.h"
#include "io.h"
#include "mem.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The reader thread runs ahead through the file on its own, one chunk
 * after another into the ring's buffers, and stops only where a buffer
 * is not free yet: the one the window is in (owned), or one read and not
 * taken. So it never waits for the checker to ask, as it did with two
 * buffers and a request per chunk. A window that jumps (after damage)
 * sends it to the new place. */
struct nf_ahead {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct nf_src *s;
	bool run, stop, busy;
	uint64_t next_off;         /* what it reads next, */
	int next_slot;             /* into which buffer */
	int owned;                 /* the window's buffer, never written, */
	int taken;                 /* nor the one it moves to (-1: none) */
	bool ready[NF_RING];       /* read, not taken yet */
	uint64_t off[NF_RING];
	ssize_t got[NF_RING];
	int err[NF_RING];
};

static size_t chunk_at(const struct nf_src *s, uint64_t off)
{
	return off >= s->size ? 0 : s->size - off < s->chunk ? (size_t)(s->size - off) : s->chunk;
}

static bool may_read(const struct nf_ahead *a)
{
	return a->run && a->next_off < a->s->size && a->next_slot != a->owned &&
	       a->next_slot != a->taken && !a->ready[a->next_slot];
}

static void *ahead_main(void *arg)
{
	struct nf_ahead *a = arg;
	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (!a->stop && !may_read(a))
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->stop)
			break;
		int slot = a->next_slot;
		uint64_t off = a->next_off;
		size_t n = chunk_at(a->s, off);
		a->busy = true;
		pthread_mutex_unlock(&a->mu);
		ssize_t got = pread_full(a->s->fd, a->s->buf[slot] + NF_SMALL, n, off);
		int err = errno;
		pthread_mutex_lock(&a->mu);
		a->busy = false;
		if (a->run && a->next_off == off) { /* not sent elsewhere meanwhile */
			a->ready[slot] = true;
			a->off[slot] = off;
			a->got[slot] = got;
			a->err[slot] = err;
			a->next_off = off + n;
			a->next_slot = (slot + 1) % NF_RING;
			if (got != (ssize_t)n)
				a->run = false; /* an error or a short file: said when taken */
		}
		pthread_cond_broadcast(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* The chunk at off from the reader, in buffer *slot, which stays the
 * caller's: waits for it, and sends the reader there first when it is
 * elsewhere. Until ahead_moved(), the window's old buffer is not written
 * either (its unread end is still to be carried over). */
static ssize_t ahead_take(struct nf_ahead *a, uint64_t off, int *slot, int *err)
{
	pthread_mutex_lock(&a->mu);
	a->taken = -1; /* a take that failed was never moved to */
	for (;;) {
		int i = 0;
		while (i < NF_RING && !(a->ready[i] && a->off[i] == off))
			i++;
		if (i < NF_RING) {
			a->ready[i] = false;
			a->taken = i;
			*slot = i;
			*err = a->err[i];
			ssize_t got = a->got[i];
			pthread_cond_broadcast(&a->cv);
			pthread_mutex_unlock(&a->mu);
			return got;
		}
		if (!a->run || a->next_off != off) {
			/* elsewhere (or stopped): drop what it read, start at off */
			while (a->busy)
				pthread_cond_wait(&a->cv, &a->mu);
			for (int j = 0; j < NF_RING; j++)
				a->ready[j] = false;
			a->run = true;
			a->next_off = off;
			a->next_slot = (a->owned + 1) % NF_RING;
			pthread_cond_broadcast(&a->cv);
		}
		pthread_cond_wait(&a->cv, &a->mu);
	}
}

/* The window is in buffer taken now: the old one may be read into. */
static void ahead_moved(struct nf_ahead *a)
{
	pthread_mutex_lock(&a->mu);
	a->owned = a->taken;
	a->taken = -1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

int nf_src_open(struct nf_src *s, int fd, uint64_t size, size_t chunk, bool thread)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->size = size;
	s->chunk = chunk ? chunk : NF_CHUNK;
	s->nbuf = thread ? NF_RING : 2;
	for (int i = 0; i < s->nbuf; i++) {
		/* in huge pages: a fault each 2 MiB, not each 4 KiB */
		s->buf[i] = mem_big_alloc(NF_SMALL + s->chunk, &s->buf_len);
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
	a->s = s;
	a->owned = s->cur;
	a->taken = -1;
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
	for (int i = 0; i < NF_RING; i++) {
		mem_big_free(s->buf[i], s->buf_len);
		s->buf[i] = NULL;
	}
}

/* The next chunk, at off, into a buffer after its carry room (which:
 * *slot): from the reader thread, else read now. */
static ssize_t read_chunk(struct nf_src *s, int *slot, uint64_t off)
{
	size_t n = chunk_at(s, off);
	ssize_t got;
	int err = 0;
	if (s->ahead) {
		got = ahead_take(s->ahead, off, slot, &err);
		if (got < 0)
			errno = err;
	} else {
		*slot = (s->cur + 1) % s->nbuf;
		got = pread_full(s->fd, s->buf[*slot] + NF_SMALL, n, off);
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
	int other;
	ssize_t got = read_chunk(s, &other, end);
	if (got < 0)
		return -1;
	uint8_t *start = s->buf[other] + NF_SMALL - carry;
	if (carry)
		memcpy(start, s->win + (off - s->base), carry);
	if (s->ahead)
		ahead_moved(s->ahead);
	s->cur = other;
	s->win = start;
	s->base = off;
	s->len = carry + (size_t)got;
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
