/* ec-rebuild under hostile damage (issue 14): seeded generators, one per
 * class, each case checked by what the encoder wrote before any damage,
 * not by what the code under test reports. */
#include "test.h"

#include "../../applets/ec-rebuild/ec.h"
#include "endian.h"
#include "io.h"
#include "ec_util.h"
#include "swfs_gen.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* A directory in memory when there is one: a few hundred cases of
 * fsynced files take minutes on a loaded disk. Files only; removed by
 * done_dir. */
static const char *work_dir(char *buf, size_t len)
{
	snprintf(buf, len, "/dev/shm/bbec-XXXXXX");
	if (access("/dev/shm", W_OK) || !mkdtemp(buf))
		snprintf(buf, len, "%s", test_tmpdir());
	return buf;
}

static void done_dir(const char *dir)
{
	if (!strcmp(dir, test_tmpdir()))
		return;
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' || (e->d_name[1] && strcmp(e->d_name, ".."))) {
			snprintf(path, sizeof(path), "%s/%.200s", dir, e->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* stdout and stderr away while a few hundred runs talk, back after. */
static int saved_out = -1, saved_err = -1;
static void quiet(bool on)
{
	fflush(stdout);
	fflush(stderr);
	if (getenv("EC_LOUD"))
		return;
	if (on) {
		int null = open("/dev/null", O_WRONLY);
		saved_out = dup(1);
		saved_err = dup(2);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	} else {
		dup2(saved_out, 1);
		dup2(saved_err, 2);
		close(saved_out);
		close(saved_err);
	}
}

struct shards {
	uint8_t *b[GF_MAX_SHARDS]; /* NULL: no file */
	size_t n[GF_MAX_SHARDS];   /* its length */
	size_t len;
};

static void shard_path(char *buf, size_t len, const char *base, int i, const char *ext)
{
	snprintf(buf, len, "%s.ec%02d%s", base, i, ext);
}

static void load_shards(const char *base, struct shards *s, int n)
{
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX + 16];
		size_t len = 0;
		shard_path(path, sizeof(path), base, i, "");
		s->b[i] = (uint8_t *)read_file(path, 1 << 24, &len);
		s->n[i] = len;
		if (s->b[i])
			s->len = len;
	}
}

static void free_shards(struct shards *s)
{
	for (int i = 0; i < GF_MAX_SHARDS; i++) {
		free(s->b[i]);
		s->b[i] = NULL;
	}
}

static bool same(const uint8_t *a, const uint8_t *b, size_t len)
{
	return a && b && !memcmp(a, b, len);
}

/* Shard i of x is there and holds exactly len bytes of want. */
static bool eq(const struct shards *x, int i, const uint8_t *want, size_t len)
{
	return x->b[i] && want && x->n[i] == len && !memcmp(x->b[i], want, len);
}

/* Remove base.* except the .dat/.idx the encoder read. */
static void clean(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".ec") || strstr(e->d_name, ".tmp") || strstr(e->d_name, ".unverified")) {
			snprintf(path, sizeof(path), "%s/%.200s", dir, e->d_name);
			if (unlink(path))
				rmdir(path);
		}
	closedir(d);
}

static int run(ec_test_cmd cmd, enum ec_cmd which, const char *base, const struct ec_opts *o)
{
	struct ec_vol *v = calloc(1, sizeof(*v));
	int rc = ec_vol_load(v, base, o) ? 2 : ec_test_cmd_on(cmd, which, v, o);
	ec_vol_free(v);
	return rc;
}

/* A generated volume of n operations at dir/name (into base), encoded
 * with the ec_test_tiny blocks, quietly; its shards into sh when asked. */
static void encoded_volume(struct gen_vol *g, char *base, size_t len, const char *dir,
			   const char *name, unsigned seed, int n, struct shards *sh)
{
	snprintf(base, len, "%s/%s", dir, name);
	gen_volume(g, base, 3, 4, false, false, seed, n);
	quiet(true);
	int enc = ec_test_encode(base, &ec_test_tiny);
	quiet(false);
	CHECK_EQ(enc, 0);
	if (sh)
		load_shards(base, sh, 14);
}

/* info on base: its decision, and its exit status in *rc (2: the volume
 * could not be loaded, as run() says). */
static enum ec_plan info_plan(const char *base, const struct ec_opts *o, int *rc)
{
	struct ec_vol *v = calloc(1, sizeof(*v));
	struct ec_result *r = ec_result_new(EC_CMD_INFO, base);
	enum ec_plan plan = EC_REFUSED;
	*rc = 2;
	if (v && r && !ec_vol_load(v, base, o)) {
		r->v = v;
		*rc = r->rc = ec_info(v, o, r);
		plan = r->info.plan;
		ec_test_render(r);
	}
	ec_result_free(r);
	ec_vol_free(v);
	return plan;
}

/* What info's decision and exit status must be, given rebuild's rc: the
 * plan is refused exactly when rebuild fails, and info exits 0 only for a
 * complete volume (1 for any other, 2 here when nothing loads). NULL when
 * they agree. */
static const char *info_disagrees(enum ec_plan plan, int info_rc, int rebuild_rc)
{
	if ((plan != EC_REFUSED) != (rebuild_rc == 0))
		return "info and rebuild disagree";
	if (info_rc != 2 && info_rc != (plan == EC_COMPLETE ? 0 : 1))
		return "info's exit status is not 0 for complete, 1 otherwise";
	return NULL;
}

/* The newest "<shard>.damaged*" copy equals want. */
static bool kept(const char *base, int i, const uint8_t *want, size_t len)
{
	char path[PATH_MAX + 32];
	for (int n = 30; n >= 0; n--) {
		shard_path(path, sizeof(path), base, i, ".damaged");
		if (n)
			snprintf(path + strlen(path), 16, ".%d", n);
		size_t got;
		uint8_t *b = (uint8_t *)read_file(path, 1 << 24, &got);
		if (!b)
			continue;
		bool ok = got == len && !memcmp(b, want, len);
		free(b);
		return ok;
	}
	return false;
}

/* Class 8: damage in one to three shards (often at one offset, the case
 * where two errors look like one in a third shard), up to three shards
 * lost, with and without the sidecar, sometimes the sidecar itself
 * damaged. After verify --repair, every shard holds either its encoded
 * bytes or exactly what it held before (never a third thing), anything
 * replaced is kept as .damaged, and a second --repair changes nothing. */
TEST(ec_hostile_verify_repair_never_miscorrects)
{
	char base[PATH_MAX], path[PATH_MAX + 16], dir[PATH_MAX];
	struct gen_vol g;
	struct shards orig = { 0 };
	encoded_volume(&g, base, sizeof(base), work_dir(dir, sizeof(dir)), "v_5", 11, 16, &orig);
	snprintf(path, sizeof(path), "%s.ecsum", base);
	size_t sum_len;
	uint8_t *sum = (uint8_t *)read_file(path, 1 << 20, &sum_len);
	snprintf(path, sizeof(path), "%s.vif", base);
	size_t vif_len;
	uint8_t *vif = (uint8_t *)read_file(path, 1 << 20, &vif_len);
	CHECK(sum && vif && orig.len >= 1024);
	struct ec_opts o = ec_test_tiny;
	o.repair = true;
	int cases = 0, repaired = 0, refused = 0;
	const char *bad = NULL;
	char why[300] = "";
	quiet(true);
	for (unsigned seed = getenv("EC_SEED") ? (unsigned)atoi(getenv("EC_SEED")) : 1; seed <= 300 && !bad; seed++) {
		ec_test_rng = 0x9e3779b97f4a7c15ull * seed;
		clean(dir);
		struct shards before = { 0 }, after = { 0 }, again = { 0 };
		int sidecar = (int)ec_test_rnd(3); /* none, good, damaged */
		for (int i = 0; i < 14; i++) {
			shard_path(path, sizeof(path), base, i, "");
			write_file_atomic(path, orig.b[i], orig.len, 0644);
		}
		snprintf(path, sizeof(path), "%s.vif", base);
		write_file_atomic(path, vif, vif_len, 0644);
		snprintf(path, sizeof(path), "%s.ecsum", base);
		if (sidecar) {
			write_file_atomic(path, sum, sum_len, 0644);
			if (sidecar == 2) {
				int fd = open(path, O_RDWR);
				uint8_t x = (uint8_t)(1 + ec_test_rnd(255));
				uint64_t at = ec_test_rnd((uint32_t)sum_len);
				uint8_t c;
				pread_full(fd, &c, 1, at);
				c ^= x;
				pwrite_full(fd, &c, 1, at);
				close(fd);
			}
		}
		int lost = (int)ec_test_rnd(4), hit = 1 + (int)ec_test_rnd(3);
		for (int j = 0; j < lost; j++) {
			shard_path(path, sizeof(path), base, (int)ec_test_rnd(14), "");
			unlink(path);
		}
		uint32_t common = ec_test_rnd((uint32_t)orig.len - 64);
		for (int j = 0; j < hit; j++) {
			int i = (int)ec_test_rnd(14);
			uint32_t at = ec_test_rnd(2) ? common : ec_test_rnd((uint32_t)orig.len - 64), n = 1 + ec_test_rnd(48);
			shard_path(path, sizeof(path), base, i, "");
			int fd = open(path, O_RDWR);
			for (uint32_t b = 0; fd >= 0 && b < n; b++) {
				uint8_t c = orig.b[i][at + b] ^ (uint8_t)(1 + ec_test_rnd(255));
				pwrite_full(fd, &c, 1, at + b);
			}
			if (fd >= 0)
				close(fd);
		}
		load_shards(base, &before, 14);
		before.len = orig.len;
		int rc = run(ec_verify, EC_CMD_VERIFY, base, &o);
		load_shards(base, &after, 14);
		for (int i = 0; i < 14 && !bad; i++) {
			if (!after.b[i])
				continue;
			if (same(after.b[i], before.b[i], orig.len))
				continue;
			for (size_t x = 0; x < orig.len && !bad; x++)
				if (after.b[i][x] != orig.b[i][x] &&
				    (!before.b[i] || after.b[i][x] != before.b[i][x]))
					bad = "a byte changed to neither its encoded value nor what it was";
			if (!bad && before.b[i] && !kept(base, i, before.b[i], orig.len))
				bad = "a replaced shard's old bytes were not kept";
			if (bad)
				snprintf(why, sizeof(why), "seed %u shard %d: %s", seed, i, bad);
		}
		/* a second repair changes nothing */
		run(ec_verify, EC_CMD_VERIFY, base, &o);
		load_shards(base, &again, 14);
		for (int i = 0; i < 14 && !bad; i++)
			if ((!after.b[i]) != (!again.b[i]) ||
			    (after.b[i] && !same(after.b[i], again.b[i], orig.len))) {
				bad = "a second repair changed a shard";
				snprintf(why, sizeof(why), "seed %u shard %d: %s", seed, i, bad);
			}
		bool changed = false;
		for (int i = 0; i < 14; i++)
			changed |= after.b[i] && !same(after.b[i], before.b[i], orig.len);
		repaired += changed;
		refused += rc != 0 && !changed;
		cases++;
		free_shards(&before);
		free_shards(&after);
		free_shards(&again);
	}
	quiet(false);
	fprintf(stderr, "# verify --repair: %d cases, %d repaired, %d refused or left\n", cases, repaired,
	       refused);
	if (bad) {
		done_dir(dir);
		test_fail(__FILE__, __LINE__, "%s", why);
	}
	CHECK(repaired > 50 && refused > 20); /* both outcomes were exercised */
	free_shards(&orig);
	free(sum);
	free(vif);
	gen_free(&g);
	done_dir(dir);
}

static void flip(const char *path, uint64_t at, uint8_t x)
{
	int fd = open(path, O_RDWR);
	uint8_t c;
	if (fd < 0)
		return;
	if (pread_full(fd, &c, 1, at) == 1) {
		c ^= x;
		pwrite_full(fd, &c, 1, at);
	}
	close(fd);
}

/* Classes 13 and 14: lost, cut and rotten shards, a lying or damaged
 * sidecar, a lost .ecx over damaged records, a name taken by a directory.
 * info says "rebuildable" exactly when rebuild then succeeds; a rebuild
 * never changes an intact shard, keeps what it replaces, gives every shard
 * its encoded bytes unless .unverified names it (rebuilt from exactly k,
 * nothing to check them), and a second rebuild changes nothing. */
TEST(ec_hostile_info_agrees_with_rebuild)
{
	char base[PATH_MAX], path[PATH_MAX + 16], dir[PATH_MAX];
	struct gen_vol g;
	struct shards orig = { 0 };
	encoded_volume(&g, base, sizeof(base), work_dir(dir, sizeof(dir)), "i_6", 5, 16, &orig);
	size_t sum_len, vif_len, ecx_len;
	snprintf(path, sizeof(path), "%s.ecsum", base);
	uint8_t *sum = (uint8_t *)read_file(path, 1 << 20, &sum_len);
	snprintf(path, sizeof(path), "%s.vif", base);
	uint8_t *vif = (uint8_t *)read_file(path, 1 << 20, &vif_len);
	snprintf(path, sizeof(path), "%s.ecx", base);
	uint8_t *ecx = (uint8_t *)read_file(path, 1 << 20, &ecx_len);
	CHECK(sum && vif && ecx);
	int cases = 0, agreed_ok = 0, agreed_refused = 0, unverified = 0;
	const char *bad = NULL;
	char why[300] = "";
	quiet(true);
	for (unsigned seed = getenv("EC_SEED") ? (unsigned)atoi(getenv("EC_SEED")) : 1; seed <= (getenv("EC_ONE") ? (unsigned)atoi(getenv("EC_SEED")) : 250) && !bad; seed++) {
		ec_test_rng = 0x2545f4914f6cdd1dull * seed;
		clean(dir);
		struct shards before = { 0 }, after = { 0 }, again = { 0 };
		for (int i = 0; i < 14; i++) {
			shard_path(path, sizeof(path), base, i, "");
			write_file_atomic(path, orig.b[i], orig.len, 0644);
		}
		snprintf(path, sizeof(path), "%s.vif", base);
		write_file_atomic(path, vif, vif_len, 0644);
		snprintf(path, sizeof(path), "%s.ecx", base);
		if (ec_test_rnd(5))
			write_file_atomic(path, ecx, ecx_len, 0644);
		int sidecar = (int)ec_test_rnd(4); /* none, good, damaged, lying about one shard */
		snprintf(path, sizeof(path), "%s.ecsum", base);
		if (sidecar) {
			write_file_atomic(path, sum, sum_len, 0644);
			if (sidecar == 2)
				flip(path, ec_test_rnd((uint32_t)sum_len), (uint8_t)(1 + ec_test_rnd(255)));
			else if (sidecar == 3) /* a CRC byte near the end (the UUID is last) */
				flip(path, sum_len - 18 - 4 * ec_test_rnd(14), 0x10);
		}
		for (int j = (int)ec_test_rnd(6); j > 0; j--) { /* lost, cut or rotten shards */
			uint32_t kind = ec_test_rnd(10);
			shard_path(path, sizeof(path), base, (int)ec_test_rnd(14), "");
			if (getenv("EC_LOUD"))
				printf("damage %u %s\n", kind, path);
			if (kind < 5)
				unlink(path);
			else if (kind < 7 && truncate(path, (off_t)ec_test_rnd((uint32_t)orig.len)))
				continue;
			else if (kind >= 7)
				flip(path, ec_test_rnd((uint32_t)orig.len), (uint8_t)(1 + ec_test_rnd(255)));
		}
		if (!ec_test_rnd(8)) { /* data record damage under a lost .ecx */
			snprintf(path, sizeof(path), "%s.ecx", base);
			unlink(path);
			shard_path(path, sizeof(path), base, 0, "");
			flip(path, 8 + 12 + ec_test_rnd(64), 0x40);
		}
		if (!ec_test_rnd(12)) {
			int i = (int)ec_test_rnd(14);
			shard_path(path, sizeof(path), base, i, "");
			unlink(path);
			mkdir(path, 0755);
		}
		load_shards(base, &before, 14);
		before.len = orig.len;
		int info_rc;
		enum ec_plan plan = info_plan(base, &ec_test_tiny, &info_rc);
		int rc = run(ec_rebuild, EC_CMD_REBUILD, base, &ec_test_tiny);
		load_shards(base, &after, 14);
		char list[100] = "";
		snprintf(path, sizeof(path), "%s.unverified", base);
		char *uv = read_file(path, 100, NULL);
		if (uv) {
			snprintf(list, sizeof(list), "%s", uv);
			free(uv);
			unverified++;
		}
		bad = info_disagrees(plan, info_rc, rc);
		for (int i = 0; i < 14 && !bad; i++) {
			char name[8];
			snprintf(name, sizeof(name), "ec%02d", i);
			bool was_good = eq(&before, i, orig.b[i], orig.len);
			if (was_good && !eq(&after, i, orig.b[i], orig.len))
				bad = "an intact shard changed";
			else if (!rc && !eq(&after, i, orig.b[i], orig.len) && !strstr(list, name) &&
				 !eq(&after, i, before.b[i], before.n[i]))
				bad = "rebuild wrote a wrong shard, and nothing says unverified";
			else if (!rc && !after.b[i])
				bad = "rebuild succeeded and a shard is missing";
			else if (before.b[i] && after.b[i] && !eq(&after, i, before.b[i], before.n[i]) &&
				 !kept(base, i, before.b[i], before.n[i]))
				bad = "a replaced shard's bytes were not kept";
			if (bad)
				snprintf(why, sizeof(why), "seed %u shard %d: %s", seed, i, bad);
		}
		if (bad && !why[0])
			snprintf(why, sizeof(why), "seed %u: %s (info %d, rebuild %d)", seed, bad,
				 info_rc, rc);
		if (!rc && !bad) {
			int rc2 = run(ec_rebuild, EC_CMD_REBUILD, base, &ec_test_tiny);
			load_shards(base, &again, 14);
			for (int i = 0; i < 14 && !bad; i++)
				if (rc2 || !eq(&again, i, after.b[i], after.n[i])) {
					bad = "a second rebuild changed something";
					snprintf(why, sizeof(why), "seed %u shard %d: %s", seed, i, bad);
				}
		}
		agreed_ok += !rc;
		agreed_refused += rc != 0;
		cases++;
		free_shards(&before);
		free_shards(&after);
		free_shards(&again);
	}
	quiet(false);
	fprintf(stderr, "# info vs rebuild: %d cases, %d rebuilt, %d refused, %d unverified\n", cases,
	       agreed_ok, agreed_refused, unverified);
	if (bad) {
		done_dir(dir);
		test_fail(__FILE__, __LINE__, "%s", why);
	}
	CHECK(agreed_ok > 30 && agreed_refused > 30);
	free_shards(&orig);
	free(sum);
	free(vif);
	free(ecx);
	gen_free(&g);
	done_dir(dir);
}

/* Files of one volume put back as the encoder wrote them (a NULL sidecar
 * is left absent). */
struct pristine {
	struct shards sh;
	uint8_t *side[4]; /* .ecx .ecj .vif .ecsum */
	size_t len[4];
};
static const char *const side_ext[4] = { ".ecx", ".ecj", ".vif", ".ecsum" };

static void put_back(const char *base, const struct pristine *p)
{
	char path[PATH_MAX + 16];
	for (int i = 0; i < 14; i++) {
		shard_path(path, sizeof(path), base, i, "");
		write_file_atomic(path, p->sh.b[i], p->sh.len, 0644);
	}
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s%s", base, side_ext[i]);
		if (p->side[i])
			write_file_atomic(path, p->side[i], p->len[i], 0644);
	}
}

/* Sidecar i in one of its states: 0 as written (or absent), 1 missing,
 * 2 damaged (cut, zeroed, or garbage, by kind). */
static void hurt_sidecar(const char *base, int i, int state, int kind)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s%s", base, side_ext[i]);
	if (state == 1) {
		unlink(path);
	} else if (state == 2) {
		struct stat st;
		if (stat(path, &st))
			st.st_size = 0;
		if (kind == 0 && truncate(path, st.st_size / 2 + 1) == 0)
			return;
		uint8_t junk[64];
		for (size_t x = 0; x < sizeof(junk); x++)
			junk[x] = kind == 1 ? 0 : (uint8_t)ec_test_rnd(256);
		write_file_atomic(path, junk, i == 1 ? 16 : sizeof(junk), 0644);
	}
}

/* Shard losses: none, a data shard, a parity shard, a data shard cut,
 * a data shard rotten, exactly k left (two data, two parity lost), one
 * more than parity can give back, and exactly k left, a data shard among
 * the lost, while another holds a damaged needle header that no spare
 * shard can reveal (a walk for a lost .ecx must see it before the lost
 * shard is regenerated, not only after). */
#define SHARD_LOSSES 8
static void hurt_shards(const char *base, int how, size_t len)
{
	static const int lost[SHARD_LOSSES][6] = {
		{ -1 }, { 1, -1 }, { 12, -1 }, { -1 }, { -1 }, { 0, 2, 11, 13, -1 },
		{ 0, 3, 5, 7, 9, -1 }, { 1, 10, 11, 12, -1 },
	};
	char path[PATH_MAX + 16];
	for (int j = 0; lost[how][j] >= 0; j++) {
		shard_path(path, sizeof(path), base, lost[how][j], "");
		unlink(path);
	}
	shard_path(path, sizeof(path), base, 0, "");
	if (how == 3 && truncate(path, (off_t)(len / 3)))
		return;
	if (how == 4)
		flip(path, 8 + ec_test_rnd((uint32_t)len - 8), (uint8_t)(1 + ec_test_rnd(255)));
	if (how == 7) /* the first needle's Size */
		flip(path, 8 + 12 + ec_test_rnd(4), 0x40);
}

/* Class 14, every combination: .ecx, .ecj and .vif each there, missing
 * or damaged, times eight kinds of shard loss (a lost .ecx over a lost
 * data shard among them: info must walk the needles through the shard it
 * would regenerate, as rebuild does after), with and without the .ecsum.
 * info's decision is rebuild's, info exits 0 only for a complete volume,
 * and after a rebuild that succeeded info says complete. */
TEST(ec_hostile_info_agrees_every_sidecar_loss)
{
	char base[PATH_MAX], dir[PATH_MAX], path[PATH_MAX + 16];
	struct gen_vol g;
	struct pristine p = { 0 };
	encoded_volume(&g, base, sizeof(base), work_dir(dir, sizeof(dir)), "c_6", 6, 16, &p.sh);
	/* a journal deleting the first needle, as the volume server writes it */
	uint8_t ecj[8];
	put_be64(ecj, g.rec[0].id);
	snprintf(path, sizeof(path), "%s.ecj", base);
	CHECK(write_file_atomic(path, ecj, sizeof(ecj), 0644) == 0);
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s%s", base, side_ext[i]);
		p.side[i] = (uint8_t *)read_file(path, 1 << 20, &p.len[i]);
		CHECK(p.side[i] != NULL);
	}
	int cases = 0, rebuilt = 0, refused = 0, complete_after = 0;
	char why[300] = "";
	quiet(true);
	for (int c = 0; c < 3 * 3 * 3 * SHARD_LOSSES * 2 && !why[0]; c++) {
		int ecx = c % 3, ecj_state = c / 3 % 3, vif = c / 9 % 3;
		int loss = c / 27 % SHARD_LOSSES;
		bool sum = c / (27 * SHARD_LOSSES);
		ec_test_rng = 0x9e3779b97f4a7c15ull * (uint64_t)(c + 1);
		clean(dir);
		put_back(base, &p);
		if (!sum) {
			snprintf(path, sizeof(path), "%s.ecsum", base);
			unlink(path);
		}
		hurt_shards(base, loss, p.sh.len);
		hurt_sidecar(base, 0, ecx, (int)ec_test_rnd(3));
		hurt_sidecar(base, 1, ecj_state, (int)ec_test_rnd(3));
		hurt_sidecar(base, 2, vif, (int)ec_test_rnd(3));
		int info_rc, rc2;
		struct shards before = { 0 }, after = { 0 };
		load_shards(base, &before, 14);
		enum ec_plan plan = info_plan(base, &ec_test_tiny, &info_rc);
		int rc = run(ec_rebuild, EC_CMD_REBUILD, base, &ec_test_tiny);
		const char *bad = info_disagrees(plan, info_rc, rc);
		load_shards(base, &after, 14);
		snprintf(path, sizeof(path), "%s.unverified", base);
		char *uv = read_file(path, 100, NULL);
		for (int i = 0; i < 14 && !bad && !rc; i++) {
			char name[8];
			snprintf(name, sizeof(name), "ec%02d", i);
			/* what no sidecar can tell (rotten bytes) stays as it was */
			if (!eq(&after, i, p.sh.b[i], p.sh.len) && !(uv && strstr(uv, name)) &&
			    !eq(&after, i, before.b[i], before.n[i]))
				bad = "rebuild wrote a shard that is not what was encoded";
		}
		if (!bad && !rc && (info_plan(base, &ec_test_tiny, &rc2) != EC_COMPLETE || rc2 != 0))
			bad = "after a rebuild that succeeded, info does not say complete";
		complete_after += !rc && !bad;
		if (bad)
			snprintf(why, sizeof(why),
				 "case %d (.ecx %d .ecj %d .vif %d shards %d sidecar %d): %s (info %d "
				 "plan %d, rebuild %d)", c, ecx, ecj_state, vif, loss, sum, bad, info_rc,
				 plan, rc);
		rebuilt += !rc;
		refused += rc != 0;
		cases++;
		free(uv);
		free_shards(&before);
		free_shards(&after);
	}
	quiet(false);
	fprintf(stderr, "# info vs rebuild, every sidecar loss: %d cases, %d rebuilt (%d then "
		"complete), %d refused\n", cases, rebuilt, complete_after, refused);
	if (why[0]) {
		done_dir(dir);
		test_fail(__FILE__, __LINE__, "%s", why);
	}
	CHECK(rebuilt > 50 && refused > 50);
	free_shards(&p.sh);
	for (int i = 0; i < 4; i++)
		free(p.side[i]);
	gen_free(&g);
	done_dir(dir);
}

/* Classes 9 and 10: a damaged .ecx (cut, zeroed, emptied, a row lost,
 * flipped, duplicated, or pointing past the data) and a hostile .ecj
 * (ids of no needle, deletions, id 0, torn). A decode that succeeds gives
 * a volume in which every needle the encoder wrote and the journal did not
 * delete reads back identically (the generator's own record, through
 * core's index replay); one that refuses writes nothing. */
TEST(ec_hostile_decode_never_loses_needles)
{
	char base[PATH_MAX], path[PATH_MAX + 16], dir[PATH_MAX], dat[PATH_MAX + 16];
	struct gen_vol g;
	encoded_volume(&g, base, sizeof(base), work_dir(dir, sizeof(dir)), "d_8", 9, 40, NULL);
	CHECK(gen_verify(&g, 4) == NULL);
	snprintf(dat, sizeof(dat), "%s.dat", base);
	snprintf(path, sizeof(path), "%s.idx", base);
	CHECK(unlink(dat) == 0 && unlink(path) == 0);
	size_t ecx_len;
	snprintf(path, sizeof(path), "%s.ecx", base);
	uint8_t *ecx = (uint8_t *)read_file(path, 1 << 20, &ecx_len);
	CHECK(ecx && ecx_len >= 64 && ecx_len % 16 == 0);
	size_t rows = ecx_len / 16;
	uint8_t *buf = malloc(ecx_len + 64);
	int cases = 0, decoded = 0, refused = 0;
	const char *bad = NULL;
	char why[300] = "";
	quiet(true);
	for (unsigned seed = 1; seed <= 300 && !bad; seed++) {
		ec_test_rng = 0x94d049bb133111ebull * seed;
		size_t len = ecx_len;
		memcpy(buf, ecx, ecx_len);
		uint32_t r = (uint32_t)ec_test_rnd((uint32_t)rows), kind = ec_test_rnd(9);
		switch (kind) {
		case 1: len = 16 * r; break;                                    /* cut */
		case 2: memset(buf + 16 * r, 0, 16 * (1 + ec_test_rnd((uint32_t)(rows - r)))); break;
		case 3: memmove(buf + 16 * r, buf + 16 * (r + 1), 16 * (rows - r - 1)); /* a row lost */
			len -= 16; break;
		case 4: buf[16 * r + ec_test_rnd(16)] ^= (uint8_t)(1 + ec_test_rnd(255)); break; /* flipped */
		case 5: len = 0; break;
		case 6: memset(buf + len, 0xff, 8); put_be32(buf + len + 8, 0x100000);
			put_be32(buf + len + 12, 64); len += 16; break;   /* past the data */
		case 7: memmove(buf + 16 * (r + 1), buf + 16 * r, 16 * (rows - r)); len += 16; break;
		default: break;                                                 /* intact */
		}
		write_file_atomic(path, buf, len, 0644);
		/* the journal: ids of no needle, a deletion, id 0, or torn */
		char ecj[PATH_MAX + 16];
		snprintf(ecj, sizeof(ecj), "%s.ecj", base);
		unlink(ecj);
		uint32_t jk = ec_test_rnd(5);
		uint8_t j[64];
		size_t jlen = 0;
		long deleted = -1;
		if (jk == 1) {
			for (; jlen < 48; jlen += 8)
				put_be64(j + jlen, 0x7000000000000000ull + ec_test_rnd(1000000));
		} else if (jk == 2) {
			deleted = (long)ec_test_rnd((uint32_t)rows);
			memcpy(j, ecx + 16 * deleted, 8);
			memcpy(j + 8, j, 8); /* twice, as a journal may hold it */
			jlen = 16;
		} else if (jk == 3) {
			memset(j, 0, 16);
			jlen = 16;
		} else if (jk == 4) {
			put_be64(j, 1);
			jlen = 5;
		}
		if (jlen)
			write_file_atomic(ecj, j, jlen, 0644);
		int rc = run(ec_decode, EC_CMD_DECODE, base, &ec_test_tiny);
		bool wrote = path_exists(dat);
		if (rc && wrote)
			bad = "a refused decode left a .dat";
		if (!rc) {
			struct gen_needle *nd = NULL;
			enum gen_fate fate = G_LIVE;
			if (deleted >= 0) {
				nd = (struct gen_needle *)gen_find(&g, get_be64(ecx + 16 * deleted));
				fate = nd->fate;
				nd->fate = G_DELETED;
			}
			const char *v = gen_verify(&g, 4);
			if (nd)
				nd->fate = fate;
			if (v) {
				snprintf(why, sizeof(why), "seed %u (.ecx kind %u, .ecj kind %u): %s",
					 seed, kind, jk, v);
				bad = why;
			}
		}
		if (bad && !why[0])
			snprintf(why, sizeof(why), "seed %u (.ecx kind %u, .ecj kind %u): %s", seed, kind,
				 jk, bad);
		decoded += !rc;
		refused += rc != 0;
		cases++;
		unlink(dat);
		snprintf(ecj, sizeof(ecj), "%s.idx", base);
		unlink(ecj);
	}
	quiet(false);
	fprintf(stderr, "# decode: %d cases, %d decoded, %d refused\n", cases, decoded, refused);
	free(buf);
	free(ecx);
	if (bad) {
		done_dir(dir);
		test_fail(__FILE__, __LINE__, "%s", why);
	}
	CHECK(decoded > 50 && refused > 50);
	gen_free(&g);
	done_dir(dir);
}
