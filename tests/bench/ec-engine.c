/* ec-engine: single-thread Reed-Solomon throughput of ec-rebuild's
 * kernels and of ISA-L fed the same matrix rows, plus a plain sequential
 * memory read for scale.
 *
 *   ec-engine K M SHARD_BYTES SECONDS
 *   ec-engine volume BASE BYTES    a v3 volume (BASE.dat, BASE.idx) of
 *                                  1 MiB needles, for end-to-end runs
 *
 * Prints one line per engine: "name encode_Bps reconstruct_Bps", data
 * bytes per second; reconstruct = the first 4 (or m) data shards lost. */
#include "../../applets/ec-rebuild/gf.h"
#include "../../applets/ec-rebuild/matrix.h"
#include "io.h"
#include "clock.h"
#include "swfs.h"

#include <isa-l/erasure_code.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct setup {
	int k, m;
	size_t size;
	uint8_t *shard[GF_MAX_SHARDS];
	uint8_t *out[GF_MAX_SHARDS];
	uint8_t enc[GF_MAX_SHARDS * GF_MAX_SHARDS];
	uint8_t rows[GF_MAX_SHARDS * GF_MAX_SHARDS]; /* lost data shards from the rest */
	int basis[GF_MAX_SHARDS];
	double secs;
};

/* Run op for about secs (after one warm-up call): data bytes per second. */
static double rate(const struct setup *s, double secs, void (*op)(const struct setup *, void *),
		   void *arg)
{
	op(s, arg);
	uint64_t t0 = clock_ns(), t;
	unsigned n = 0;
	do {
		op(s, arg);
		n++;
		t = clock_ns();
	} while (t - t0 < (uint64_t)(secs * 1e9) || n < 2);
	return (double)n * (double)s->k * (double)s->size / ((double)(t - t0) / 1e9);
}

/* What is measured: an encode and a rebuild operation per engine. */
struct engine {
	char name[32];
	void (*op[2])(const struct setup *, void *);
	void *arg[2];
	double best[2];
};

static void run_plan(const struct setup *s, void *arg)
{
	const struct gf_plan *p = arg;
	const uint8_t *in[GF_MAX_SHARDS];
	for (int i = 0; i < s->k; i++)
		in[i] = s->shard[s->basis[i]];
	gf_plan_run(p, in, (uint8_t **)s->out, s->size);
}

static void encode_data(const struct setup *s, void *arg)
{
	const struct gf_plan *p = arg;
	gf_plan_run(p, (const uint8_t *const *)s->shard, (uint8_t **)s->out, s->size);
}

struct isal {
	unsigned char tables[32 * GF_MAX_SHARDS * GF_MAX_SHARDS];
	unsigned char *in[GF_MAX_SHARDS];
};

static void isal_run(const struct setup *s, void *arg)
{
	struct isal *x = arg;
	ec_encode_data((int)s->size, s->k, s->m, x->tables, x->in, (unsigned char **)s->out);
}

static void add_ours(struct setup *s, enum gf_kernel kern, struct engine *e)
{
	struct gf_plan *enc = malloc(sizeof(*enc)), *rec = malloc(sizeof(*rec));
	if (!enc || !rec || gf_plan_init(enc, s->enc + s->k * s->k, s->m, s->k, kern) ||
	    gf_plan_init(rec, s->rows, s->m, s->k, kern))
		exit(1);
	snprintf(e->name, sizeof(e->name), "blockbox-%s", gf_kernel_name(kern));
	*e = (struct engine){ .op = { encode_data, run_plan }, .arg = { enc, rec } };
	snprintf(e->name, sizeof(e->name), "blockbox-%s", gf_kernel_name(kern));
}

/* ISA-L with our matrix rows; its parity is checked against ours (which
 * the tests check against klauspost). */
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
	isal_run(s, enc);
	uint8_t *check = malloc(s->size);
	struct gf_plan p;
	const uint8_t *in[GF_MAX_SHARDS];
	uint8_t *o[1] = { check };
	size_t n = s->size < 65536 ? s->size : 65536;
	for (int i = 0; i < s->k; i++)
		in[i] = s->shard[i];
	gf_plan_init(&p, s->enc + s->k * s->k, 1, s->k, GF_SCALAR);
	gf_plan_run(&p, in, o, n);
	if (memcmp(check, s->out[0], n))
		fprintf(stderr, "ec-engine: ISA-L parity differs!\n");
	gf_plan_free(&p);
	free(check);
	*e = (struct engine){ .name = "isa-l", .op = { isal_run, isal_run }, .arg = { enc, rec } };
}

/* A plain sequential read of as many bytes as the encoder reads. */
static void memread(const struct setup *s, void *arg)
{
	uint64_t acc[8] = { 0 };
	for (int i = 0; i < s->k; i++) {
		const uint64_t *p = (const uint64_t *)s->shard[i];
		for (size_t j = 0; j < s->size / 8; j += 8)
			for (int a = 0; a < 8; a++)
				acc[a] ^= p[j + a];
	}
	for (int a = 1; a < 8; a++)
		acc[0] ^= acc[a];
	*(volatile uint64_t *)arg = acc[0];
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

int main(int argc, char **argv)
{
	struct setup s = { 0 };
	if (argc == 4 && !strcmp(argv[1], "volume"))
		return make_volume(argv[2], strtoull(argv[3], NULL, 0));
	if (argc != 5) {
		fprintf(stderr, "usage: ec-engine K M SHARD_BYTES SECONDS\n");
		return 2;
	}
	s.k = atoi(argv[1]);
	s.m = atoi(argv[2]);
	s.size = strtoull(argv[3], NULL, 0);
	s.secs = atof(argv[4]);
	if (s.k < 1 || s.m < 1 || s.k + s.m > GF_MAX_SHARDS || s.m > s.k || rs_matrix(s.k, s.m, s.enc))
		return 2;
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < s.k + s.m; i++) {
		s.shard[i] = aligned_alloc(64, (s.size + 63) / 64 * 64);
		s.out[i] = aligned_alloc(64, (s.size + 63) / 64 * 64);
		for (size_t j = 0; j < s.size; j += 8) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			memcpy(s.shard[i] + j, &x, s.size - j < 8 ? s.size - j : 8);
		}
		memset(s.out[i], 0, s.size);
	}
	/* lose data shards 0..m-1, rebuild them from the next k */
	int want[GF_MAX_SHARDS];
	for (int i = 0; i < s.k; i++)
		s.basis[i] = s.m + i;
	for (int i = 0; i < s.m; i++)
		want[i] = i;
	if (rs_solve_rows(s.enc, s.k, s.basis, want, s.m, s.rows))
		return 1;
	static volatile uint64_t sink;
	struct engine e[GF_KERNELS + 2];
	int n = 0;
	e[n++] = (struct engine){ .name = "memory-read", .op = { memread, memread },
				  .arg = { (void *)&sink, (void *)&sink } };
	for (int kern = GF_SCALAR; kern < GF_KERNELS; kern++)
		if (gf_kernel_usable((enum gf_kernel)kern) && (kern != GF_SCALAR || s.size <= (1 << 20)))
			add_ours(&s, (enum gf_kernel)kern, &e[n++]);
	add_isal(&s, &e[n++]);
	/* The machine may be shared: engines take turns over several rounds
	 * and each keeps its best, so a noisy moment does not pick a winner. */
	enum { ROUNDS = 5 };
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < n; i++)
			for (int op = 0; op < 2; op++) {
				double v = rate(&s, s.secs / ROUNDS / 2, e[i].op[op], e[i].arg[op]);
				if (v > e[i].best[op])
					e[i].best[op] = v;
			}
	for (int i = 0; i < n; i++)
		printf("%s %.0f %.0f\n", e[i].name, e[i].best[0], e[i].best[1]);
	return 0;
}
