/* CRC throughput at 64 KiB, 1 MiB and 64 MiB: every path blockbox has and
 * ISA-L (Debian's libisal: crc32_iscsi, crc32_gzip_refl), one core, in the
 * same process on the same buffer. Every result is first checked over the
 * full length against the portable reference; then the implementations
 * take turns, one timed pass each per round, over several rounds, and each
 * reports its best and median round in GB/s (10^9 bytes/s).
 *
 * "dirty" rows call the path right after leaving the upper halves of the
 * vector registers in use, as AVX code that skips vzeroupper does. */
#include "crc.h"
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* From ISA-L's <isa-l/crc.h>, which cannot be included here: it declares
 * a crc32_ieee of its own (the non-reflected CRC). */
uint32_t crc32_gzip_refl(uint32_t init_crc, const unsigned char *buf, uint64_t len);
unsigned int crc32_iscsi(unsigned char *buffer, int len, unsigned int init_crc);

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

enum { ROUNDS = 9, MAX_IMPL = 2 * (CRC_PATHS + 3) };

static uint32_t isal_c(uint32_t crc, const void *buf, size_t len)
{
	/* ISA-L takes and returns the register without the inversions */
	return ~crc32_iscsi((unsigned char *)buf, (int)len, ~crc);
}

static uint32_t isal_ieee(uint32_t crc, const void *buf, size_t len)
{
	return crc32_gzip_refl(crc, buf, len);
}

/* Each path as a plain function, so blockbox and ISA-L are called alike. */
#define PATH_FNS(n)                                                                     \
	static uint32_t c_##n(uint32_t crc, const void *b, size_t l)                    \
	{                                                                               \
		return crc32c_path(n, crc, b, l);                                       \
	}                                                                               \
	static uint32_t ieee_##n(uint32_t crc, const void *b, size_t l)                 \
	{                                                                               \
		return crc32_ieee_path(n, crc, b, l);                                   \
	}
PATH_FNS(0)
PATH_FNS(1)
PATH_FNS(2)
PATH_FNS(3)
PATH_FNS(4)
PATH_FNS(5)
static const crc_fn path_c[CRC_PATHS] = { c_0, c_1, c_2, c_3, c_4, c_5 };
static const crc_fn path_ieee[CRC_PATHS] = { ieee_0, ieee_1, ieee_2, ieee_3, ieee_4, ieee_5 };

#if defined(__x86_64__)
static void dirty_upper(void)
{
	__asm__ volatile("vpcmpeqd %%ymm15, %%ymm15, %%ymm15" ::: "xmm15");
}
/* Every timed pass starts clean: a dirty row must not slow the next. */
static void clean_upper(void)
{
	if (__builtin_cpu_supports("avx"))
		__asm__ volatile("vzeroupper" ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
				 "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
				 "xmm14", "xmm15");
}
#else
static void dirty_upper(void) {}
static void clean_upper(void) {}
#endif
static uint32_t dirty_c_sse(uint32_t crc, const void *b, size_t l)
{
	dirty_upper();
	return crc32c_path(CRC_PATH_SSE, crc, b, l);
}
static uint32_t dirty_ieee_sse(uint32_t crc, const void *b, size_t l)
{
	dirty_upper();
	return crc32_ieee_path(CRC_PATH_SSE, crc, b, l);
}
static uint32_t dirty_c(uint32_t crc, const void *b, size_t l)
{
	dirty_upper();
	return crc32c(crc, b, l);
}
static uint32_t dirty_ieee(uint32_t crc, const void *b, size_t l)
{
	dirty_upper();
	return crc32_ieee(crc, b, l);
}

struct impl {
	const char *crc, *name;
	crc_fn fn, ref;
	double gbs[ROUNDS];
};

volatile uint32_t bench_sink;

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The full-length result against the reference, and around the edges. */
static int check(const struct impl *m, const unsigned char *buf, size_t len)
{
	static const size_t cut[] = { 0, 1, 15, 63, 255, 4097 };
	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]) && cut[i] < len; i++)
		if (m->fn(0x5a5a5a5a, buf + cut[i], len - cut[i]) !=
		    m->ref(0x5a5a5a5a, buf + cut[i], len - cut[i])) {
			fprintf(stderr, "crc bench: %s %s wrong at %zu bytes from +%zu\n",
				m->crc, m->name, len - cut[i], cut[i]);
			return -1;
		}
	return 0;
}

static int add(struct impl *m, int n, const char *crc, const char *name, crc_fn fn, crc_fn ref)
{
	m[n] = (struct impl){ .crc = crc, .name = name, .fn = fn, .ref = ref };
	return n + 1;
}

static int run_size(const unsigned char *buf, size_t len, const char *label)
{
	struct impl m[MAX_IMPL];
	int n = 0;
	for (int c = 0; c < 2; c++) {
		const char *crc = c ? "CRC-32" : "CRC-32C";
		crc_fn ref = c ? crc32_ieee_sw : crc32c_sw;
		for (int p = 0; p < CRC_PATHS; p++)
			if (crc_path_usable((enum crc_path)p))
				n = add(m, n, crc, crc_path_name((enum crc_path)p),
					c ? path_ieee[p] : path_c[p], ref);
		if (crc_path_usable(CRC_PATH_SSE))
			n = add(m, n, crc, "sse-pclmul dirty", c ? dirty_ieee_sse : dirty_c_sse, ref);
		n = add(m, n, crc, "default dirty", c ? dirty_ieee : dirty_c, ref);
		n = add(m, n, crc, "isa-l", c ? isal_ieee : isal_c, ref);
	}
	for (int i = 0; i < n; i++)
		if (check(&m[i], buf, len))
			return -1;
	/* about 32 MiB a timed pass; the tables get an eighth of that */
	size_t reps = len >= (32u << 20) ? 1 : (32u << 20) / len;
	for (int r = 0; r < ROUNDS; r++)
		for (int j = 0; j < n; j++) {
			struct impl *x = &m[(j + r) % n]; /* a different order each round */
			size_t k = x->fn == path_c[0] || x->fn == path_ieee[0] ? (reps + 7) / 8 : reps;
			clean_upper();
			uint64_t t0 = clock_ns();
			for (size_t i = 0; i < k; i++)
				bench_sink = x->fn(0, buf, len);
			uint64_t dt = clock_ns() - t0;
			clean_upper();
			x->gbs[r] = (double)len * (double)k / (double)dt;
		}
	double isal[2][2] = { { 0 } };
	for (int i = 0; i < n; i++) {
		qsort(m[i].gbs, ROUNDS, sizeof(double), cmp_d);
		if (!strcmp(m[i].name, "isa-l")) {
			isal[i >= n / 2][0] = m[i].gbs[ROUNDS - 1];
			isal[i >= n / 2][1] = m[i].gbs[ROUNDS / 2];
		}
	}
	for (int i = 0; i < n; i++) {
		const double *is = isal[i >= n / 2];
		printf("%-8s %-8s %-20s %8.2f %8.2f %8.2fx %8.2fx\n", label, m[i].crc, m[i].name,
		       m[i].gbs[ROUNDS - 1], m[i].gbs[ROUNDS / 2], m[i].gbs[ROUNDS - 1] / is[0],
		       m[i].gbs[ROUNDS / 2] / is[1]);
	}
	return 0;
}

int main(void)
{
	size_t max = 64u << 20;
	unsigned char *buf = malloc(max + 64);
	if (!buf)
		return 1;
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (size_t i = 0; i < max + 64; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		buf[i] = (unsigned char)x;
	}
	printf("default path: %s; %d interleaved rounds, one pass each, GB/s\n",
	       crc_path_name(crc_path_default()), ROUNDS);
	printf("%-8s %-8s %-20s %8s %8s %9s %9s\n", "size", "crc", "path", "best", "median",
	       "best/isal", "med/isal");
	static const struct {
		size_t len;
		const char *label;
	} sizes[] = { { 64u << 10, "64 KiB" }, { 1u << 20, "1 MiB" }, { 64u << 20, "64 MiB" } };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (run_size(buf, sizes[i].len, sizes[i].label))
			return 1;
	free(buf);
	return 0;
}
