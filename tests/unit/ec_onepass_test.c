/* verify, rebuild and decode with a sidecar check the .ecsum CRCs in the
 * pass that reads the shards anyway, at any thread count (chunks finish in
 * any order); screen_first makes them screen every shard first, the old
 * way.
 * All must find the same: seeded damage (rotten blocks, lost shards,
 * shards cut short after they were measured) through the one pass at one
 * and at three threads and through the screen, their results compared,
 * with a sidecar of 1 MiB blocks so that each shard has several and the
 * last one is short. */
#include "test.h"

#include "../../applets/ec-rebuild/ec.h"
#include "crc.h"
#include "io.h"
#include "ec_util.h"
#include "swfs_gen.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

enum { SUM_BLOCK = 1 << 20, FILES = 17 }; /* 14 shards, .ecsum, .vif, .ecx */

static const char *const exts[FILES] = {
	".ec00", ".ec01", ".ec02", ".ec03", ".ec04", ".ec05", ".ec06", ".ec07", ".ec08", ".ec09",
	".ec10", ".ec11", ".ec12", ".ec13", ".ecsum", ".vif", ".ecx",
};

struct files {
	uint8_t *b[FILES];
	size_t n[FILES];
};

static void file_path(char *buf, size_t len, const char *base, int i, const char *suffix)
{
	snprintf(buf, len, "%s%s%s", base, exts[i], suffix);
}

static void save(const char *base, struct files *f)
{
	char path[PATH_MAX + 32];
	for (int i = 0; i < FILES; i++) {
		file_path(path, sizeof(path), base, i, "");
		f->b[i] = (uint8_t *)read_file(path, 1 << 26, &f->n[i]);
	}
}

/* Exactly the saved files, nothing a run left (.damaged, .unverified). */
static void restore(const char *base, const struct files *f)
{
	char path[PATH_MAX + 32];
	for (int i = 0; i < FILES; i++) {
		file_path(path, sizeof(path), base, i, "");
		unlink(path);
		if (f->b[i])
			CHECK_EQ(write_file_atomic(path, f->b[i], f->n[i], 0644), 0);
		file_path(path, sizeof(path), base, i, ".damaged");
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s.unverified", base);
	unlink(path);
}

static void free_files(struct files *f)
{
	for (int i = 0; i < FILES; i++)
		free(f->b[i]);
}

/* The encoder's sidecar again, with 1 MiB blocks. */
static void small_block_sidecar(const char *base, const struct files *f)
{
	char path[PATH_MAX + 32];
	struct ecsum s;
	const char *why = NULL;
	size_t shard = f->n[0], per = (size_t)ec_sum_blocks(shard, SUM_BLOCK) * 4, len;
	uint8_t *crcs = malloc(per * 14);
	CHECK(crcs && shard > 2 * SUM_BLOCK && shard % SUM_BLOCK);
	CHECK_EQ(ec_sum_parse(f->b[14], f->n[14], &s, &why), 0);
	s.block_size = SUM_BLOCK;
	for (int i = 0; i < 14; i++) {
		uint8_t *c = crcs + per * (size_t)i;
		for (size_t b = 0; b * SUM_BLOCK < shard; b++) {
			size_t n = shard - b * SUM_BLOCK < SUM_BLOCK ? shard - b * SUM_BLOCK : SUM_BLOCK;
			uint32_t crc = crc32c(0, f->b[i] + b * SUM_BLOCK, n);
			memcpy(c + 4 * b, (uint8_t[4]){ crc, crc >> 8, crc >> 16, crc >> 24 }, 4);
		}
		s.sh[i].crc_le = c;
		s.sh[i].ncrc = per / 4;
	}
	uint8_t *file = ec_sum_serialize(&s, &len);
	file_path(path, sizeof(path), base, 14, "");
	CHECK(file && !write_file_atomic(path, file, len, 0644));
	free(file);
	free(crcs);
}

/* A volume whose shards hold a little over 2.5 MiB each; its .dat is
 * kept in *dat and removed (decode makes it again). */
static void big_volume(char *base, size_t len, const char *dir, uint8_t **dat, size_t *dat_len)
{
	struct gen_vol g;
	snprintf(base, len, "%s/v", dir);
	gen_big_records(false);
	gen_volume(&g, base, 3, 4, false, false, 3, 8);
	uint8_t *data = malloc(1 << 21);
	CHECK(data);
	for (int n = 0; n < 13; n++) {
		for (size_t i = 0; i < 1 << 21; i++)
			data[i] = (uint8_t)ec_test_rnd(256);
		gen_append(&g, 1000 + (uint64_t)n, data, (1 << 21) - 4096 * (uint32_t)n, true,
			   g.last_ts + 1, (unsigned)n);
	}
	free(data);
	gen_free(&g);
	CHECK_EQ(ec_test_encode(base, &ec_test_tiny), 0);
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s.dat", base);
	*dat = (uint8_t *)read_file(path, 1 << 26, dat_len);
	CHECK(*dat);
	unlink(path);
	snprintf(path, sizeof(path), "%s.idx", base);
	unlink(path);
}

/* What a verify found, to compare. */
struct seen {
	int rc, load, nrotten, screen_failed, nrepaired, regenerated;
	bool said_cut;
	struct ec_rotten rotten[GF_MAX_SHARDS];
	uint64_t bad_bytes;
	size_t nranges;
	struct ec_range ranges[64];
	bool checked;
	enum ec_sidecar_note note;
	/* the shards left: CRC-32C and length, -1 when gone (copies of
	 * them all, in fresh memory each run, cost most of the test's time) */
	uint32_t shard_crc[14];
	long long shard_len[14];
};

/* A file's CRC-32C and length (-1: none), read through one buffer. */
static long long file_crc(const char *path, uint32_t *crc)
{
	static uint8_t buf[1 << 20];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long long len = 0;
	ssize_t n;
	*crc = 0;
	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		*crc = crc32c(*crc, buf, (size_t)n);
		len += n;
	}
	close(fd);
	return len;
}

/* What a run says of a shard cut short under it, whichever pass found
 * it. */
#define SAID_CUT "cut short while this ran (is something else changing the volume?); " \
		 "nothing written"

/* cmd on the volume at base at threads, with shard cut (-1: none) cut
 * short after the volume was measured: its result, which the caller
 * frees with *v; NULL (loading failed) in *load; in *said_cut whether it
 * said so (its stderr is caught). */
static struct ec_result *run_cut(ec_test_cmd cmd, enum ec_cmd which, const char *base,
				 const struct ec_opts *o, int cut, struct ec_vol **v, int *load,
				 bool *said_cut)
{
	struct ec_result *r = ec_result_new(which, base);
	char path[PATH_MAX + 32];
	*v = calloc(1, sizeof(**v));
	*said_cut = false;
	CHECK(*v && r);
	*load = ec_vol_load(*v, base, o);
	if (*load)
		return r;
	file_path(path, sizeof(path), base, cut < 0 ? 0 : cut, "");
	if (cut >= 0)
		CHECK_EQ(truncate(path, SUM_BLOCK + 100), 0);
	snprintf(path, sizeof(path), "%s.stderr", base);
	fflush(stderr);
	int saved = dup(2), fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(saved >= 0 && fd >= 0 && dup2(fd, 2) == 2);
	r->v = *v;
	r->rc = cmd(*v, o, r);
	fflush(stderr);
	CHECK(dup2(saved, 2) == 2);
	close(saved);
	close(fd);
	size_t n;
	char *said = read_file(path, 1 << 20, &n);
	CHECK(said);
	*said_cut = strstr(said, SAID_CUT) != NULL;
	fputs(said, stderr);
	free(said);
	unlink(path);
	ec_test_render(r);
	return r;
}

/* How a run goes: threads, and whether it screens first. */
struct way {
	unsigned threads;
	bool screen_first;
};
static const struct way ways[] = { { 1, false }, { 1, true }, { 3, false } };
static const char *const way_names[] = { "", " (screened)", " (3 threads)" };

static struct ec_opts way_opts(struct way w)
{
	struct ec_opts o = ec_test_tiny;
	o.threads = w.threads;
	o.screen_first = w.screen_first;
	return o;
}

/* verify the way w; cut: a shard to cut short after the volume was
 * measured (-1: none). */
static void verify_as(const char *base, struct way w, bool repair, int cut, struct seen *s)
{
	struct ec_opts o = way_opts(w);
	struct ec_vol *v;
	o.repair = repair;
	memset(s, 0, sizeof(*s));
	struct ec_result *r = run_cut(ec_verify, EC_CMD_VERIFY, base, &o, cut, &v, &s->load,
				      &s->said_cut);
	if (!s->load) {
		s->rc = r->rc;
		s->nrotten = r->nrotten;
		memcpy(s->rotten, r->rotten, sizeof(s->rotten));
		s->screen_failed = r->verify.screen_failed;
		s->nrepaired = r->verify.nrepaired;
		s->regenerated = r->regenerated;
		s->bad_bytes = r->verify.bad_bytes;
		s->checked = r->verify.checked;
		s->note = r->verify.note;
		s->nranges = r->verify.nranges < 64 ? r->verify.nranges : 64;
		if (s->nranges)
			memcpy(s->ranges, r->verify.ranges, s->nranges * sizeof(*s->ranges));
	}
	ec_result_free(r);
	ec_vol_free(v);
	for (int i = 0; i < 14; i++) {
		char path[PATH_MAX + 32];
		file_path(path, sizeof(path), base, i, "");
		s->shard_len[i] = file_crc(path, &s->shard_crc[i]);
	}
}

static const char *differ(const struct seen *a, const struct seen *b)
{
	if (a->load != b->load || a->rc != b->rc)
		return "exit status";
	if (a->said_cut != b->said_cut)
		return "what it said of the shard cut short";
	if (a->nrotten != b->nrotten || a->screen_failed != b->screen_failed ||
	    memcmp(a->rotten, b->rotten, (size_t)a->nrotten * sizeof(*a->rotten)))
		return "shards failing the sidecar";
	if (a->checked != b->checked || a->bad_bytes != b->bad_bytes || a->nranges != b->nranges ||
	    a->note != b->note)
		return "what parity found";
	for (size_t i = 0; i < a->nranges; i++)
		if (a->ranges[i].start != b->ranges[i].start || a->ranges[i].end != b->ranges[i].end ||
		    a->ranges[i].shard != b->ranges[i].shard ||
		    a->ranges[i].confirmed != b->ranges[i].confirmed ||
		    a->ranges[i].repaired != b->ranges[i].repaired)
			return "a range";
	if (a->nrepaired != b->nrepaired || a->regenerated != b->regenerated)
		return "what was repaired";
	for (int i = 0; i < 14; i++)
		if (a->shard_len[i] != b->shard_len[i] || a->shard_crc[i] != b->shard_crc[i])
			return "the shards left";
	return NULL;
}

/* What a decode found and made. */
struct decoded {
	int rc, load, nrotten, screened;
	bool said_cut;
	struct ec_rotten rotten[GF_MAX_SHARDS];
	uint32_t dat_crc;
	long long dat_len; /* -1: none */
};

static void decode_as(const char *base, struct way w, int cut, struct decoded *d)
{
	struct ec_opts o = way_opts(w);
	struct ec_vol *v;
	char path[PATH_MAX + 32];
	memset(d, 0, sizeof(*d));
	struct ec_result *r = run_cut(ec_decode, EC_CMD_DECODE, base, &o, cut, &v, &d->load,
				      &d->said_cut);
	if (!d->load) {
		d->rc = r->rc;
		d->nrotten = r->nrotten;
		d->screened = r->screened;
		/* the same shards, said in another order: by shard */
		for (int i = 0; i < r->nrotten; i++)
			d->rotten[r->rotten[i].shard] = r->rotten[i];
	}
	ec_result_free(r);
	ec_vol_free(v);
	snprintf(path, sizeof(path), "%s.dat", base);
	d->dat_len = file_crc(path, &d->dat_crc);
	unlink(path);
	snprintf(path, sizeof(path), "%s.idx", base);
	unlink(path);
}

/* cut: a shard was cut short, and the rot named may differ (as for
 * rebuild_differ). */
static const char *decode_differ(const struct decoded *a, const struct decoded *b,
				 uint32_t dat_crc, size_t dat_len, bool cut)
{
	if (a->load != b->load || a->rc != b->rc)
		return "exit status";
	if (a->said_cut != b->said_cut)
		return "what it said of the shard cut short";
	if (!cut && (a->nrotten != b->nrotten || a->screened != b->screened ||
		     memcmp(a->rotten, b->rotten, sizeof(a->rotten))))
		return "shards failing the sidecar";
	if ((a->dat_len < 0) != (b->dat_len < 0) ||
	    (a->dat_len >= 0 && !a->rc && (a->dat_len != (long long)dat_len || a->dat_crc != dat_crc)))
		return "the .dat made";
	return NULL;
}

/* What a rebuild found and left: the shards named rotten (as a set: the
 * one pass names the first it meets as it reads, then screens the rest),
 * and the shards by CRC. */
struct rebuilt {
	int rc, load;
	bool said_cut;
	uint32_t rotten;
	uint32_t shard_crc[14];
	long long shard_len[14];
	bool aside[14];
};

static void rebuild_as(const char *base, struct way w, int cut, struct rebuilt *b)
{
	struct ec_opts o = way_opts(w);
	struct ec_vol *v;
	char path[PATH_MAX + 32];
	memset(b, 0, sizeof(*b));
	struct ec_result *r = run_cut(ec_rebuild, EC_CMD_REBUILD, base, &o, cut, &v, &b->load,
				      &b->said_cut);
	if (!b->load) {
		b->rc = r->rc;
		for (int i = 0; i < r->nrotten; i++)
			b->rotten |= 1u << r->rotten[i].shard;
	}
	ec_result_free(r);
	ec_vol_free(v);
	for (int i = 0; i < 14; i++) {
		file_path(path, sizeof(path), base, i, "");
		b->shard_len[i] = file_crc(path, &b->shard_crc[i]);
		file_path(path, sizeof(path), base, i, ".damaged");
		b->aside[i] = access(path, F_OK) == 0;
	}
}

/* With a shard cut short, the rot each names may differ: the one pass
 * screens the shards it will not read first, and says what it found
 * there before it reads the cut one; a screen of them all stops at the
 * cut. Both refuse, and say why, the same way (cut_left_alone). */
static const char *rebuild_differ(const struct rebuilt *a, const struct rebuilt *b, bool cut)
{
	if (a->load != b->load || a->rc != b->rc)
		return "exit status";
	if (a->said_cut != b->said_cut)
		return "what it said of the shard cut short";
	if (!cut && a->rotten != b->rotten)
		return "shards failing the sidecar";
	for (int i = 0; i < 14; i++)
		if (a->shard_len[i] != b->shard_len[i] || a->shard_crc[i] != b->shard_crc[i])
			return "the shards left";
	return NULL;
}

/* A shard cut short under a rebuild: refused, said, nothing written,
 * whichever pass met it (the one pass as it read it, or stopped at a rot
 * before its end; the screen, reading it whole): the shards are left as
 * they were, the cut one cut, the lost ones lost, none set aside. */
static const char *cut_left_alone(const struct rebuilt *b, const struct files *f, int cut)
{
	if (b->load)
		return NULL;
	if (!b->rc)
		return "rebuilt around a shard cut short";
	if (!b->said_cut)
		return "not said that a shard was cut short";
	for (int i = 0; i < 14; i++) {
		long long want = !f->b[i] ? -1 : i == cut ? SUM_BLOCK + 100 : (long long)f->n[i];
		if (b->shard_len[i] != want ||
		    (f->b[i] && i != cut && b->shard_crc[i] != crc32c(0, f->b[i], f->n[i])))
			return "a shard changed";
		if (b->aside[i])
			return "a shard set aside";
	}
	return NULL;
}

/* Seeded damage to the shards in f: lost shards, rotten bytes (often
 * at a block's first or last byte, or the shard's last). The shard to
 * cut after loading, or -1. */
static int damage(struct files *f, int *rotten)
{
	size_t len = f->n[0];
	int lost = (int)ec_test_rnd(3), hit = (int)ec_test_rnd(6);
	int cut = ec_test_rnd(6) ? -1 : (int)ec_test_rnd(14);
	*rotten = 0;
	for (int j = 0; j < lost; j++) {
		int i = (int)ec_test_rnd(14);
		free(f->b[i]);
		f->b[i] = NULL;
	}
	for (int j = 0; j < hit; j++) {
		int i = (int)ec_test_rnd(14);
		size_t at;
		switch (ec_test_rnd(4)) {
		case 0: at = (1 + ec_test_rnd(2)) * (size_t)SUM_BLOCK - ec_test_rnd(2); break;
		case 1: at = len - 1; break;
		default: at = ec_test_rnd((uint32_t)len); break;
		}
		for (uint32_t n = 1 + ec_test_rnd(40), b = 0; f->b[i] && b < n && at + b < len; b++)
			f->b[i][at + b] ^= (uint8_t)(1 + ec_test_rnd(255));
		*rotten += f->b[i] != NULL;
	}
	return cut >= 0 && f->b[cut] ? cut : -1;
}

TEST(ec_one_pass_finds_what_the_screen_finds)
{
	char base[PATH_MAX], dir[PATH_MAX];
	/* in memory when there is room: the runs fsync their files */
	snprintf(dir, sizeof(dir), "/dev/shm/bbec1-XXXXXX");
	if (access("/dev/shm", W_OK) || !mkdtemp(dir)) {
		snprintf(dir, sizeof(dir), "%s/onepass", test_tmpdir());
		CHECK_EQ(mkdir(dir, 0755), 0);
	}
	ec_test_rng = 0x2545f4914f6cdd1dull;
	uint8_t *dat;
	size_t dat_len;
	big_volume(base, sizeof(base), dir, &dat, &dat_len);
	struct files orig = { 0 };
	save(base, &orig);
	small_block_sidecar(base, &orig);
	free(orig.b[14]);
	char path[PATH_MAX + 32];
	file_path(path, sizeof(path), base, 14, "");
	orig.b[14] = (uint8_t *)read_file(path, 1 << 20, &orig.n[14]);
	CHECK(orig.b[14]);
	int cases = 0, rotten_cases = 0, cut_cases = 0, failed_cases = 0, decoded = 0, rebuilt = 0;
	const char *bad = NULL;
	char why[200] = "";
	for (unsigned seed = 1; seed <= 24 && !bad; seed++) {
		ec_test_rng = 0x9e3779b97f4a7c15ull * seed;
		struct files f = { 0 };
		for (int i = 0; i < FILES; i++)
			if (orig.b[i] && (f.b[i] = malloc(orig.n[i] + 1))) {
				memcpy(f.b[i], orig.b[i], orig.n[i]);
				f.n[i] = orig.n[i];
			}
		int rotten, cut = damage(&f, &rotten);
		for (int repair = 0; repair < 2 && !bad; repair++) {
			struct seen one, other;
			restore(base, &f);
			verify_as(base, ways[0], repair, cut, &one);
			if (cut >= 0 && !one.load && (!one.rc || !one.said_cut))
				bad = "a shard cut short not refused and said";
			for (int k = 1; k < 3 && !bad; k++) {
				restore(base, &f);
				verify_as(base, ways[k], repair, cut, &other);
				if ((bad = differ(&one, &other)))
					snprintf(why, sizeof(why), "seed %u%s%s: %s", seed,
						 repair ? " --repair" : "", way_names[k], bad);
			}
			failed_cases += one.rc != 0;
			cases++;
		}
		for (int j = 0; j < 2 && !bad; j++) { /* rebuild: of what is lost and
						      * rotten, with the shard cut short
						      * and without */
			struct rebuilt one, other;
			int c = j ? -1 : cut;
			restore(base, &f);
			rebuild_as(base, ways[0], c, &one);
			for (int k = 0; k < 3 && !bad; k++) {
				if (k) {
					restore(base, &f);
					rebuild_as(base, ways[k], c, &other);
					bad = rebuild_differ(&one, &other, c >= 0);
				}
				if (!bad && c >= 0)
					bad = cut_left_alone(k ? &other : &one, &f, c);
				if (bad)
					snprintf(why, sizeof(why), "seed %u rebuild%s%s: %s", seed,
						 c >= 0 ? " (cut)" : "", way_names[k], bad);
			}
			rebuilt += !one.rc;
			cases++;
		}
		for (int j = 0; j < 2 && !bad; j++) {
			struct decoded one, other;
			restore(base, &f);
			decode_as(base, ways[0], j ? -1 : cut, &one);
			if (!j && cut >= 0 && !one.load && (!one.rc || !one.said_cut || one.dat_len >= 0))
				bad = "a shard cut short not refused and said, or a .dat left";
			for (int k = 1; k < 3 && !bad; k++) {
				restore(base, &f);
				decode_as(base, ways[k], j ? -1 : cut, &other);
				if ((bad = decode_differ(&one, &other, crc32c(0, dat, dat_len), dat_len,
							 !j && cut >= 0)))
					snprintf(why, sizeof(why), "seed %u decode%s%s: %s", seed,
						 j ? "" : " (cut)", way_names[k], bad);
			}
			decoded += !one.rc;
			cases++;
		}
		rotten_cases += rotten > 0;
		cut_cases += cut >= 0;
		free_files(&f);
	}
	free_files(&orig);
	restore(base, &(struct files){ 0 });
	snprintf(path, sizeof(path), "%s.lock", base);
	unlink(path);
	snprintf(path, sizeof(path), "%s.dat", base);
	unlink(path);
	snprintf(path, sizeof(path), "%s.idx", base);
	unlink(path);
	rmdir(dir);
	free(dat);
	fprintf(stderr, "# verify, rebuild and decode, one pass against the screen: %d cases (%d "
		"with rot, %d cut short, %d verify failing, %d rebuilt, %d decoded)\n", cases,
		6 * rotten_cases, 4 * cut_cases, failed_cases, rebuilt, decoded);
	if (bad)
		test_fail(__FILE__, __LINE__, "%s", why[0] ? why : bad);
}
