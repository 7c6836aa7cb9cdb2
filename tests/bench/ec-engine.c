/* ec-engine: single-thread Reed-Solomon throughput of ec-rebuild's
 * kernels, of ISA-L fed the same matrix rows and of a peer program
 * (klauspost's, through tests/ref/ecref), with the machine's single-thread
 * memory limits for scale.
 *
 *   ec-engine K M SHARD_BYTES SECONDS ROUNDS [PEER ARGS...]
 *   ec-engine volume BASE BYTES    a v3 volume (BASE.dat, BASE.idx) of
 *                                  1 MiB needles, for end-to-end runs
 *   ec-engine floor DAT OUT SHARD_BYTES [THREADS [BLOCK]]
 *                                  an encode's floor: DAT into 14 shard
 *                                  files with no coding (see floor_main)
 *
 * Before any timing, every engine's parity and rebuilt shards are compared
 * with the scalar kernel's over their full length (rebuilt shards must
 * equal the lost data). Then the engines take turns, ROUNDS times, in a
 * different order each round: each runs for SECONDS / ROUNDS per operation
 * per round, every page it touches
 * made present first (prefault); the peer is run once per round (spawned,
 * not forked) and prints "encode_Bps rebuild_Bps". ec-rebuild's kernels,
 * and memory-xor, are called on chunks of the size ec-rebuild uses by
 * default, so long rows take the same code path as the tool (no
 * non-temporal stores).
 *
 * Prints "name encode_best encode_median rebuild_best rebuild_median" per
 * engine (a * marks the kernel ec-rebuild picks on this machine), in bytes
 * per second: data bytes for the coding engines and for memory-xor (the
 * traffic of an encode with XOR for arithmetic), bytes read for
 * memory-read, bytes written for memory-write (the "rebuild" pair of a
 * memory row is the same operation again). Last, "faults N": the page
 * faults taken inside timed calls (0 when the rows time only their work). */
#include "../../applets/ec-rebuild/ec.h"
#include "../../applets/ec-rebuild/gf.h"
#include "../../applets/ec-rebuild/matrix.h"
#include "../../applets/ec-rebuild/stream.h"
#include "clock.h"
#include "cpu.h"
#include "error.h"
#include "io.h"
#include "mem.h"
#include "swfs.h"

#include <errno.h>
#include <fcntl.h>
#include <isa-l/erasure_code.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum { MAX_ROUNDS = 64 };

struct setup {
	int k, m;
	size_t size, chunk;
	uint8_t *shard[GF_MAX_SHARDS]; /* k data shards, then m true parity shards */
	uint8_t *out[GF_MAX_SHARDS];
	uint8_t enc[GF_MAX_SHARDS * GF_MAX_SHARDS];
	uint8_t rows[GF_MAX_SHARDS * GF_MAX_SHARDS]; /* lost data shards from the rest */
	int basis[GF_MAX_SHARDS];
};

typedef void (*op_fn)(const struct setup *, void *);

/* What is measured: an encode and a rebuild operation per engine. */
struct engine {
	char name[32];
	op_fn op[2];
	void *arg[2];
	double bytes; /* per operation */
	double rate[2][MAX_ROUNDS];
};

/* Run op for about secs: bytes per second. */
static double rate(const struct setup *s, double secs, op_fn op, void *arg, double bytes)
{
	uint64_t t0 = clock_ns(), t;
	unsigned n = 0;
	do {
		op(s, arg);
		n++;
		t = clock_ns();
	} while (t - t0 < (uint64_t)(secs * 1e9) || n < 2);
	return (double)n * bytes / ((double)(t - t0) / 1e9);
}

/* ---- ec-rebuild's engine, chunked as the tool chunks ---- */

struct ours {
	struct ec_gf_plan plan;
	bool rebuild;
};

static void run_ours(const struct setup *s, void *arg)
{
	const struct ours *o = arg;
	const uint8_t *in[GF_MAX_SHARDS];
	uint8_t *out[GF_MAX_SHARDS];
	for (size_t off = 0; off < s->size; off += s->chunk) {
		size_t n = s->size - off < s->chunk ? s->size - off : s->chunk;
		for (int i = 0; i < s->k; i++)
			in[i] = s->shard[o->rebuild ? s->basis[i] : i] + off;
		for (int i = 0; i < s->m; i++)
			out[i] = s->out[i] + off;
		ec_gf_plan_run(&o->plan, in, out, n);
	}
}

static void add_ours(struct setup *s, enum ec_gf_kernel kern, struct engine *e)
{
	struct ours *enc = calloc(1, sizeof(*enc)), *rec = calloc(1, sizeof(*rec));
	if (!enc || !rec || ec_gf_plan_init(&enc->plan, s->enc + s->k * s->k, s->m, s->k, kern) ||
	    ec_gf_plan_init(&rec->plan, s->rows, s->m, s->k, kern))
		exit(1);
	rec->rebuild = true;
	*e = (struct engine){ .op = { run_ours, run_ours }, .arg = { enc, rec },
			      .bytes = (double)s->k * (double)s->size };
	snprintf(e->name, sizeof(e->name), "blockbox-%s%s", ec_gf_kernel_name(kern),
		 kern == ec_gf_kernel_best() ? "*" : "");
}

/* ---- ISA-L with the same matrix rows ---- */

struct isal {
	unsigned char tables[32 * GF_MAX_SHARDS * GF_MAX_SHARDS];
	unsigned char *in[GF_MAX_SHARDS];
};

static void isal_run(const struct setup *s, void *arg)
{
	struct isal *x = arg;
	ec_encode_data((int)s->size, s->k, s->m, x->tables, x->in, (unsigned char **)s->out);
}

static void add_isal(struct setup *s, struct engine *e)
{
	struct isal *enc = malloc(sizeof(*enc)), *rec = malloc(sizeof(*rec));
	if (!enc || !rec)
		exit(1);
	ec_init_tables(s->k, s->m, s->enc + s->k * s->k, enc->tables);
	ec_init_tables(s->k, s->m, s->rows, rec->tables);
	for (int i = 0; i < s->k; i++) {
		enc->in[i] = s->shard[i];
		rec->in[i] = s->shard[s->basis[i]];
	}
	*e = (struct engine){ .name = "isa-l", .op = { isal_run, isal_run }, .arg = { enc, rec },
			      .bytes = (double)s->k * (double)s->size };
}

/* ---- the memory limits, single thread: vector registers for
 * accumulators, the widest this CPU has, plain stores (ec-rebuild's chunks
 * never stream; a plain store reads each line for ownership first).
 *   memory-read   the k data shards read once, each whole, in turn
 *   memory-write  the m output shards written once, each whole, in turn
 *   memory-xor    an encode's traffic with XOR for arithmetic, in the
 *                 tool's chunks as the GF rows run: per chunk, k inputs
 *                 read together and m outputs written; the limit the GF
 *                 kernels are held to ---- */

enum mem_op { MEM_READ, MEM_WRITE, MEM_XOR };

/* One call: k inputs (read, or XORed into the outputs) and m outputs of n
 * bytes, by the op. */
struct mem_call {
	const uint8_t *const *in;
	uint8_t *const *out;
	int k, m;
	size_t n;
	enum mem_op op;
};

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static void mem_512(const struct mem_call *c)
{
	__m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
	size_t n = c->n / 256 * 256;
	if (c->op == MEM_READ)
		for (int i = 0; i < c->k; i++)
			for (size_t j = 0; j < n; j += 256) {
				const uint8_t *p = c->in[i] + j;
				a0 = _mm512_xor_si512(a0, _mm512_loadu_si512((const void *)p));
				a1 = _mm512_xor_si512(a1, _mm512_loadu_si512((const void *)(p + 64)));
				a2 = _mm512_xor_si512(a2, _mm512_loadu_si512((const void *)(p + 128)));
				a3 = _mm512_xor_si512(a3, _mm512_loadu_si512((const void *)(p + 192)));
			}
	else if (c->op == MEM_WRITE)
		for (int i = 0; i < c->m; i++)
			for (size_t j = 0; j < n; j += 256) {
				uint8_t *p = c->out[i] + j;
				a1 = _mm512_set1_epi8((char)(j >> 8 | 1)); /* not zeros, not one constant */
				_mm512_storeu_si512((void *)p, a1);
				_mm512_storeu_si512((void *)(p + 64), a1);
				_mm512_storeu_si512((void *)(p + 128), a1);
				_mm512_storeu_si512((void *)(p + 192), a1);
			}
	else
		for (size_t j = 0; j < n; j += 64) {
			a0 = _mm512_loadu_si512((const void *)(c->in[0] + j));
			for (int i = 1; i < c->k; i++)
				a0 = _mm512_xor_si512(a0, _mm512_loadu_si512((const void *)(c->in[i] + j)));
			for (int i = 0; i < c->m; i++)
				_mm512_storeu_si512((void *)(c->out[i] + j), a0);
		}
	a0 = _mm512_xor_si512(_mm512_xor_si512(a0, a1), _mm512_xor_si512(a2, a3));
	__asm__ volatile("" : : "v"(a0)); /* keep the loads */
}

__attribute__((target("avx2"))) static void mem_256(const struct mem_call *c)
{
	__m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
	size_t n = c->n / 128 * 128;
	if (c->op == MEM_READ)
		for (int i = 0; i < c->k; i++)
			for (size_t j = 0; j < n; j += 128) {
				const uint8_t *p = c->in[i] + j;
				a0 = _mm256_xor_si256(a0, _mm256_loadu_si256((const __m256i *)p));
				a1 = _mm256_xor_si256(a1, _mm256_loadu_si256((const __m256i *)(p + 32)));
				a2 = _mm256_xor_si256(a2, _mm256_loadu_si256((const __m256i *)(p + 64)));
				a3 = _mm256_xor_si256(a3, _mm256_loadu_si256((const __m256i *)(p + 96)));
			}
	else if (c->op == MEM_WRITE)
		for (int i = 0; i < c->m; i++)
			for (size_t j = 0; j < n; j += 128) {
				uint8_t *p = c->out[i] + j;
				a1 = _mm256_set1_epi8((char)(j >> 7 | 1));
				_mm256_storeu_si256((__m256i *)p, a1);
				_mm256_storeu_si256((__m256i *)(p + 32), a1);
				_mm256_storeu_si256((__m256i *)(p + 64), a1);
				_mm256_storeu_si256((__m256i *)(p + 96), a1);
			}
	else
		for (size_t j = 0; j < n; j += 32) {
			a0 = _mm256_loadu_si256((const __m256i *)(c->in[0] + j));
			for (int i = 1; i < c->k; i++)
				a0 = _mm256_xor_si256(a0, _mm256_loadu_si256((const __m256i *)(c->in[i] + j)));
			for (int i = 0; i < c->m; i++)
				_mm256_storeu_si256((__m256i *)(c->out[i] + j), a0);
		}
	a0 = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
	__asm__ volatile("" : : "v"(a0));
}
#endif

static void mem_call(const struct mem_call *c)
{
#if defined(__x86_64__)
	if (cpu_has(CPU_AVX512BW))
		return mem_512(c);
	if (cpu_has(CPU_AVX2))
		return mem_256(c);
#endif
	/* SSE2 is the x86-64 baseline: the compiler keeps these in xmm */
	uint64_t a0 = 0, a1 = 0;
	for (size_t j = 0; j + 16 <= c->n; j += 16) {
		if (c->op == MEM_WRITE) {
			for (int i = 0; i < c->m; i++) {
				memcpy(c->out[i] + j, &j, 8);
				memcpy(c->out[i] + j + 8, &j, 8);
			}
			continue;
		}
		uint64_t x = 0, y = 0;
		for (int i = 0; i < c->k; i++) {
			uint64_t u, v;
			memcpy(&u, c->in[i] + j, 8);
			memcpy(&v, c->in[i] + j + 8, 8);
			x ^= u, y ^= v;
		}
		if (c->op == MEM_XOR)
			for (int i = 0; i < c->m; i++) {
				memcpy(c->out[i] + j, &x, 8);
				memcpy(c->out[i] + j + 8, &y, 8);
			}
		a0 ^= x, a1 ^= y;
	}
	__asm__ volatile("" : : "r"(a0 ^ a1));
}

static void mem_run(const struct setup *s, void *arg)
{
	struct mem_call c = { .in = (const uint8_t *const *)s->shard, .out = s->out,
			      .k = s->k, .m = s->m, .n = s->size, .op = (enum mem_op)(uintptr_t)arg };
	if (c.op != MEM_XOR)
		return mem_call(&c);
	const uint8_t *in[GF_MAX_SHARDS];
	uint8_t *out[GF_MAX_SHARDS];
	c.in = in, c.out = out;
	for (size_t off = 0; off < s->size; off += s->chunk) {
		c.n = s->size - off < s->chunk ? s->size - off : s->chunk;
		for (int i = 0; i < s->k; i++)
			in[i] = s->shard[i] + off;
		for (int i = 0; i < s->m; i++)
			out[i] = s->out[i] + off;
		mem_call(&c);
	}
}

static void add_mem(struct setup *s, struct engine *e, const char *name, enum mem_op op)
{
	void *arg = (void *)(uintptr_t)op;
	*e = (struct engine){ .op = { mem_run, mem_run }, .arg = { arg, arg },
			      .bytes = (double)(op == MEM_WRITE ? s->m : s->k) * (double)s->size };
	snprintf(e->name, sizeof(e->name), "%s", name);
}

/* ---- checks, over the full length ---- */

static int check_engine(const struct setup *s, const struct engine *e, const uint8_t *const *want)
{
	for (int op = 0; op < 2; op++) {
		for (int i = 0; i < s->m; i++)
			memset(s->out[i], 0x5a, s->size);
		e->op[op](s, e->arg[op]);
		for (int i = 0; i < s->m; i++)
			if (memcmp(s->out[i], op ? s->shard[i] : want[i], s->size)) {
				fprintf(stderr, "ec-engine: %s: %s output %d differs over %zu bytes\n",
					e->name, op ? "rebuilt shard" : "parity", i, s->size);
				return -1;
			}
	}
	return 0;
}

/* The peer's rates for one round, from its "encode rebuild" line. It is
 * started with posix_spawn (vfork semantics), never fork(): a fork of this
 * process write-protects its gigabyte of pages for copy-on-write, and the
 * next row to write (memory-write, first after the peer) then took a
 * fault per 4 KiB page, about 20 us each here: 0.3 GB/s instead of 15. */
static int peer_round(char **argv, double *enc, double *reb)
{
	int fd[2];
	char buf[256];
	size_t len = 0;
	pid_t pid;
	posix_spawn_file_actions_t fa;
	if (pipe(fd))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
	posix_spawn_file_actions_addclose(&fa, fd[0]);
	posix_spawn_file_actions_addclose(&fa, fd[1]);
	int err = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	for (ssize_t got = 1; !err && got > 0 && len < sizeof(buf) - 1; len += (size_t)got)
		if ((got = read(fd[0], buf + len, sizeof(buf) - 1 - len)) < 0)
			got = 0;
	close(fd[0]);
	buf[len] = 0;
	int status = -1;
	if (!err && waitpid(pid, &status, 0) < 0)
		status = -1;
	if (err || status || sscanf(buf, "%lf %lf", enc, reb) != 2) {
		fprintf(stderr, "ec-engine: %s failed (%s, status %d)\n", argv[0],
			err ? strerror(err) : "ran", status);
		return -1;
	}
	return 0;
}

/* Every page the rows touch, made present and writable before a round's
 * timing (a read of each shard page, a write to each output page), so no
 * row pays a fault that belongs to setup or to the peer. */
static void prefault(const struct setup *s)
{
	volatile uint8_t sink = 0;
	for (int i = 0; i < s->k + s->m; i++)
		for (size_t j = 0; j < s->size; j += 4096)
			sink ^= s->shard[i][j];
	for (int i = 0; i < s->m; i++)
		for (size_t j = 0; j < s->size; j += 4096)
			((volatile uint8_t *)s->out[i])[j] = sink;
}

static long minor_faults(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(struct engine *e, int rounds)
{
	printf("%s", e->name);
	for (int op = 0; op < 2; op++) {
		qsort(e->rate[op], (size_t)rounds, sizeof(double), cmp_d);
		printf(" %.0f %.0f", e->rate[op][rounds - 1], e->rate[op][(rounds - 1) / 2]);
	}
	printf("\n");
}

static int make_volume(const char *base, uint64_t bytes)
{
	char path[4096];
	enum { DATA = 1 << 20 };
	uint8_t *data = malloc(DATA), *rec = malloc(DATA + 4096), row[16];
	uint64_t x = 0x2545F4914F6CDD1Dull, off = SWFS_SUPERBLOCK_SIZE;
	snprintf(path, sizeof(path), "%s.dat", base);
	FILE *dat = fopen(path, "w");
	snprintf(path, sizeof(path), "%s.idx", base);
	FILE *idx = fopen(path, "w");
	if (!data || !rec || !dat || !idx)
		return 1;
	struct swfs_superblock sb = { .version = 3 };
	uint8_t sbb[SWFS_SUPERBLOCK_SIZE];
	swfs_sb_encode(&sb, sbb);
	fwrite(sbb, 1, sizeof(sbb), dat);
	for (uint64_t id = 1; off + DATA < bytes; id++) {
		for (size_t j = 0; j < DATA; j += 8) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			memcpy(data + j, &x, 8);
		}
		struct swfs_needle n = { .cookie = (uint32_t)x, .id = id, .data = data,
					 .data_size = DATA, .append_at_ns = id };
		size_t len = swfs_needle_encode(&n, 3, false, rec, DATA + 4096);
		struct swfs_idx_entry e = { id, off, n.size };
		swfs_idx_encode(&e, 4, row);
		fwrite(rec, 1, len, dat);
		fwrite(row, 1, sizeof(row), idx);
		off += len;
	}
	free(data);
	free(rec);
	return fclose(dat) | fclose(idx) ? 1 : 0;
}

/* Random data shards, their parity from the scalar kernel, and the rows
 * that rebuild data shards 0..m-1 from the k shards after them. */
static int setup_shards(struct setup *s)
{
	size_t alloc = (s->size + 63) / 64 * 64;
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < s->k + s->m; i++) {
		s->shard[i] = aligned_alloc(64, alloc);
		if (!s->shard[i])
			return -1;
		if (i < s->m && !(s->out[i] = aligned_alloc(64, alloc)))
			return -1;
		for (size_t j = 0; i < s->k && j < s->size; j += 8) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			memcpy(s->shard[i] + j, &x, s->size - j < 8 ? s->size - j : 8);
		}
	}
	struct ec_gf_plan p;
	if (ec_gf_plan_init(&p, s->enc + s->k * s->k, s->m, s->k, GF_SCALAR))
		return -1;
	ec_gf_plan_run(&p, (const uint8_t *const *)s->shard, s->shard + s->k, s->size);
	ec_gf_plan_free(&p);
	int want[GF_MAX_SHARDS];
	for (int i = 0; i < s->k; i++)
		s->basis[i] = s->m + i;
	for (int i = 0; i < s->m; i++)
		want[i] = i;
	return ec_rs_solve_rows(s->enc, s->k, s->basis, want, s->m, s->rows);
}

/* ---- the encode's floor: no coding at all ----
 * ec-engine floor DAT OUT SHARD_BYTES [THREADS [BLOCK]]: every byte of DAT
 * read once into OUT.ec00-09 (SHARD_BYTES each: data shard i is bytes
 * [i * SHARD_BYTES, ...) of DAT, the last padded with zeros past its end,
 * as the encode pads) and OUT.ec10-13 written with zeros; the 14 files
 * dealt out in turn to THREADS threads (default: the encode's default),
 * each with one buffer of BLOCK bytes in huge pages (default: the encode's
 * chunk, so as many reads and writes as the encode makes). One process,
 * like the encode: forking a dd a file cost more than the copying on these
 * VMs. The files must not exist. */

struct floor {
	const char *dat, *out;
	uint64_t shard, dat_size;
	size_t block;
	unsigned threads, lane;
	int status;
};

static int floor_file(const struct floor *f, int i, int dat, uint8_t *buf)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s.ec%02d", f->out, i);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror(path);
		return -1;
	}
	uint64_t from = (uint64_t)i * f->shard;
	for (uint64_t off = 0; off < f->shard;) {
		size_t n = f->shard - off < f->block ? (size_t)(f->shard - off) : f->block;
		uint64_t x = from + off;
		size_t have = i >= 10 || x >= f->dat_size ? 0
			      : f->dat_size - x < n ? (size_t)(f->dat_size - x) : n;
		if (have && pread_full(dat, buf, have, x) != (ssize_t)have) {
			perror(f->dat);
			close(fd);
			return -1;
		}
		if (have < n)
			memset(buf + have, 0, n - have);
		if (pwrite_full(fd, buf, n, off)) {
			perror(path);
			close(fd);
			return -1;
		}
		off += n;
	}
	return close(fd);
}

static void *floor_lane(void *arg)
{
	struct floor *f = arg;
	size_t mapped;
	uint8_t *buf = mem_big_alloc(f->block, &mapped);
	int dat = open(f->dat, O_RDONLY | O_CLOEXEC);
	f->status = buf && dat >= 0 ? 0 : -1;
	for (unsigned i = f->lane; !f->status && i < 14; i += f->threads)
		f->status = floor_file(f, (int)i, dat, buf);
	if (dat >= 0)
		close(dat);
	if (buf)
		mem_big_free(buf, mapped);
	return NULL;
}

static int floor_main(int argc, char **argv)
{
	struct stat st;
	struct floor base = { .dat = argv[2], .out = argv[3], .shard = strtoull(argv[4], NULL, 0),
			      .threads = argc > 5 ? (unsigned)atoi(argv[5]) : ec_stream_default_threads(),
			      .block = argc > 6 ? strtoull(argv[6], NULL, 0) : 0 };
	if (stat(base.dat, &st) || !base.shard || base.threads < 1 || base.threads > 14) {
		fprintf(stderr, "ec-engine floor: bad arguments (or %s: %s)\n", base.dat, strerror(errno));
		return 2;
	}
	base.dat_size = (uint64_t)st.st_size;
	if (!base.block) { /* the encode's chunk: as many reads and writes */
		struct ec_gf_plan shape = { .nin = 10, .nout = 4 };
		struct ec_stream es = { .nread = 10, .plan = &shape, .length = base.shard,
					.threads = base.threads, .memory = ec_stream_default_memory() };
		base.block = ec_stream_chunk_size(&es);
	}
	struct floor f[14];
	pthread_t t[14];
	int status = 0;
	for (unsigned l = 0; l < base.threads; l++) {
		f[l] = base;
		f[l].lane = l;
		if (l && pthread_create(&t[l], NULL, floor_lane, &f[l]))
			return 1;
	}
	floor_lane(&f[0]);
	for (unsigned l = 0; l < base.threads; l++) {
		if (l)
			pthread_join(t[l], NULL);
		status |= f[l].status;
	}
	return status ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct setup s = { 0 };
	if (argc == 4 && !strcmp(argv[1], "volume"))
		return make_volume(argv[2], strtoull(argv[3], NULL, 0));
	if (argc >= 5 && argc <= 7 && !strcmp(argv[1], "floor"))
		return floor_main(argc, argv);
	if (argc < 6) {
		fprintf(stderr, "usage: ec-engine K M SHARD_BYTES SECONDS ROUNDS [PEER ARGS...]\n");
		return 2;
	}
	s.k = atoi(argv[1]);
	s.m = atoi(argv[2]);
	s.size = strtoull(argv[3], NULL, 0);
	double secs = atof(argv[4]);
	int rounds = atoi(argv[5]);
	char **peer = argc > 6 ? argv + 6 : NULL;
	if (s.k < 1 || s.m < 1 || s.k + s.m > GF_MAX_SHARDS || s.m > s.k || !s.size ||
	    rounds < 1 || rounds > MAX_ROUNDS || ec_rs_matrix(s.k, s.m, s.enc))
		return 2;
	/* the chunk ec-rebuild codes in with its defaults (memory, threads) */
	struct ec_gf_plan shape = { .nin = s.k, .nout = s.m };
	struct ec_stream st = { .nread = s.k, .plan = &shape, .length = s.size,
				.threads = ec_stream_default_threads(),
				.memory = ec_stream_default_memory() };
	s.chunk = ec_stream_chunk_size(&st);
	if (s.chunk > s.size)
		s.chunk = s.size;
	if (setup_shards(&s)) {
		fprintf(stderr, "ec-engine: cannot set up %d+%d shards of %zu bytes\n", s.k, s.m, s.size);
		return 1;
	}
	struct engine e[GF_KERNELS + 5];
	int n = 0;
	add_mem(&s, &e[n++], "memory-read", MEM_READ);
	add_mem(&s, &e[n++], "memory-write", MEM_WRITE);
	add_mem(&s, &e[n++], "memory-xor", MEM_XOR);
	int coders = n;
	for (int kern = GF_SCALAR; kern < GF_KERNELS; kern++)
		if (ec_gf_kernel_usable((enum ec_gf_kernel)kern) && (kern != GF_SCALAR || s.size <= (1 << 20)))
			add_ours(&s, (enum ec_gf_kernel)kern, &e[n++]);
	add_isal(&s, &e[n++]);
	for (int i = coders; i < n; i++)
		if (check_engine(&s, &e[i], (const uint8_t *const *)s.shard + s.k))
			return 1;
	/* The machine may be shared: engines and the peer take turns over
	 * several rounds, so a noisy moment does not pick a winner. */
	struct engine *pe = peer ? &e[n] : NULL;
	if (pe)
		*pe = (struct engine){ .name = "klauspost" };
	long faults = 0;
	for (int r = 0; r < rounds; r++) {
		prefault(&s);
		for (int j = 0; j < n; j++) {
			struct engine *x = &e[(j + r) % n]; /* a different order each round */
			for (int op = 0; op < 2; op++) {
				long f0 = minor_faults();
				x->rate[op][r] = rate(&s, secs / rounds / 2, x->op[op], x->arg[op], x->bytes);
				faults += minor_faults() - f0;
			}
		}
		if (pe && peer_round(peer, &pe->rate[0][r], &pe->rate[1][r]))
			return 1;
	}
	for (int i = 0; i < n + (pe != NULL); i++)
		report(&e[i], rounds);
	/* page faults taken inside the timed calls: 0 when every page was
	 * present before (a fault here costs about 20 us on these VMs) */
	printf("faults %ld\n", faults);
	return 0;
}
