/* lvq: sizes (property tests over random inputs and the overflow edges),
 * names and shell metacharacters, fullreport fixtures recorded from
 * Debian's LVM 2.03.16 in the guest (tests/unit/lvq/), plans made from
 * them, the journal read back, and continue from every step. */
#include "../../applets/lvq/lvq.h"
#include "bb.h"
#include "error.h"
#include "io.h"
#include "json.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

typedef unsigned __int128 u128;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	/* xorshift64*: reproducible runs */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static const char *const unit_names[] = { "B", "K", "M", "G", "T", "P", "E" };

/* A random spelling of unit u: K, k, KB, kb, KiB... */
static void spell_unit(unsigned u, char *out)
{
	const char *base = unit_names[u];
	char c = (rnd() & 1) ? base[0] : (char)(base[0] - 'A' + 'a');
	int form = u ? (int)(rnd() % 3) : 0;
	sprintf(out, "%c%s", c, form == 1 ? ((rnd() & 1) ? "B" : "b") : form == 2 ? "iB" : "");
}

TEST(lvq_size_whole_numbers_property)
{
	for (int i = 0; i < 200000; i++) {
		unsigned u = (unsigned)(rnd() % 7), shift = 10 * u;
		/* near the limit for this unit half of the time */
		uint64_t lim = UINT64_MAX >> shift;
		uint64_t n = (rnd() & 1) ? lim - (rnd() % 4) + (rnd() % 8) : rnd() >> (rnd() % 64);
		char unit[8], s[64];
		spell_unit(u, unit);
		snprintf(s, sizeof(s), "%llu%s", (unsigned long long)n, unit);
		struct lvq_size sz;
		const char *why;
		int rc = lvq_size_parse(s, &sz, &why);
		if (n == 0 || n > lim) {
			if (!rc)
				test_fail(__FILE__, __LINE__, "'%s' accepted as %llu", s,
					  (unsigned long long)sz.v);
			continue;
		}
		if (rc || sz.kind != LVQ_SZ_BYTES || sz.v != (n << shift))
			test_fail(__FILE__, __LINE__, "'%s': rc %d (%s) v %llu", s, rc,
				  rc ? why : "", (unsigned long long)sz.v);
	}
}

TEST(lvq_size_decimals_property)
{
	for (int i = 0; i < 200000; i++) {
		unsigned u = 1 + (unsigned)(rnd() % 6), shift = 10 * u;
		unsigned k = 1 + (unsigned)(rnd() % 6);
		uint64_t pow = 1;
		for (unsigned d = 0; d < k; d++)
			pow *= 10;
		uint64_t whole = rnd() >> (32 + rnd() % 32), frac = rnd() % pow;
		char s[96], unit[8];
		spell_unit(u, unit);
		snprintf(s, sizeof(s), "%llu.%0*llu%s", (unsigned long long)whole, (int)k,
			 (unsigned long long)frac, unit);
		/* exact value * pow, in 128 bits: < 2^32 * 10^6 * 2^60 */
		u128 exact = ((u128)whole * pow + frac) << shift;
		struct lvq_size sz;
		const char *why;
		int rc = lvq_size_parse(s, &sz, &why);
		u128 want = (exact + pow - 1) / pow; /* rounded up to a byte */
		if (want == 0 || want > UINT64_MAX) {
			CHECK(rc);
			continue;
		}
		if (rc)
			test_fail(__FILE__, __LINE__, "'%s' refused: %s", s, why);
		/* the smallest whole number of bytes not below the exact value */
		CHECK((u128)sz.v * pow >= exact);
		CHECK(((u128)sz.v - 1) * pow < exact);
	}
}

TEST(lvq_size_edges)
{
	struct lvq_size sz;
	const char *why;
	static const char *const bad[] = {
		"", "G", "1.G", ".5G", "1.5", "0", "0B", "16E", "16384P", "18446744073709551616",
		"18446744073709551616B", "1X", "1GG", "1 G", "-1G", "+1G", "1.5%FREE", "0%FREE",
		"101%FREE", "100%free ", "50%", "50%LV", "1e3", "0x10", "1.0000000000000000001G",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (!lvq_size_parse(bad[i], &sz, &why))
			test_fail(__FILE__, __LINE__, "'%s' accepted", bad[i]);
	CHECK(!lvq_size_parse("18446744073709551615B", &sz, &why) && sz.v == UINT64_MAX);
	CHECK(!lvq_size_parse("15.9999999999E", &sz, &why) && sz.v > (15ull << 60));
	CHECK(!lvq_size_parse("18446744073709551615", &sz, &why) && sz.kind == LVQ_SZ_EXTENTS &&
	      sz.v == UINT64_MAX);
	CHECK(!lvq_size_parse("8S", &sz, &why) && sz.v == 4096);
	CHECK(!lvq_size_parse("1.5s", &sz, &why) && sz.v == 768);
	CHECK(!lvq_size_parse("0.1B", &sz, &why) && sz.v == 1);
	CHECK(!lvq_size_parse("100%FREE", &sz, &why) && sz.kind == LVQ_SZ_PCT_FREE && sz.v == 100);
	CHECK(!lvq_size_parse("1%vg", &sz, &why) && sz.kind == LVQ_SZ_PCT_VG && sz.v == 1);
	CHECK(!lvq_size_parse("50%PVS", &sz, &why) && sz.kind == LVQ_SZ_PCT_PVS);
}

TEST(lvq_extents_property)
{
	for (int i = 0; i < 200000; i++) {
		uint64_t pe = 1ull << (12 + rnd() % 23);
		struct lvq_size sz = { LVQ_SZ_BYTES, (rnd() & 1) ? UINT64_MAX - rnd() % 3 : rnd() >> (rnd() % 64) };
		uint64_t ext;
		const char *why;
		if (!sz.v)
			sz.v = 1;
		CHECK(!lvq_size_extents(&sz, pe, 0, 0, 0, &ext, &why));
		/* whole extents, none too many */
		CHECK((u128)ext * pe >= sz.v);
		CHECK((u128)(ext - 1) * pe < sz.v);
		uint64_t base = (rnd() & 1) ? UINT64_MAX - rnd() % 5 : rnd() >> (rnd() % 64);
		struct lvq_size p = { (enum lvq_size_kind)(LVQ_SZ_PCT_FREE + rnd() % 3),
				      1 + rnd() % 100 };
		int rc = lvq_size_extents(&p, pe, base, base, base, &ext, &why);
		u128 prod = (u128)base * p.v;
		if (prod < 100) {
			CHECK(rc);
			continue;
		}
		CHECK(!rc);
		CHECK((u128)ext * 100 <= prod && prod < ((u128)ext + 1) * 100);
	}
}

TEST(lvq_names)
{
	static const char *const good[] = { "data", "vg_0", "a+b", "a.b-c", "x", "pvmovex_" };
	static const char *const bad[] = { "", "-a", ".", "..", "a b", "a/b", "a:b", "é",
					   "snapshot1", "pvmove", "x_tdata", "lv_rimage_0", "a$" };
	const char *why;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		if (lvq_name_check(good[i], !strncmp(good[i], "pvmove", 6) ? false : true, &why))
			test_fail(__FILE__, __LINE__, "'%s' refused: %s", good[i], why);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (!lvq_name_check(bad[i], true, &why))
			test_fail(__FILE__, __LINE__, "LV '%s' accepted", bad[i]);
	char longname[200];
	memset(longname, 'a', sizeof(longname));
	longname[127] = 0;
	CHECK(lvq_name_check(longname, false, &why));
	longname[126] = 0;
	CHECK(!lvq_name_check(longname, false, &why));
}

/* Every shell metacharacter, blank and control character is refused in
 * every value, before anything is planned; nothing here runs a shell. */
TEST(lvq_shell_metachar_refused)
{
	const char meta[] = " '\"$`\\;&|<>(){}*?[]~#!\t\n\x01\x7f";
	for (const char *m = meta; *m; m++) {
		struct lvq_req r;
		struct bb_error e = { 0 };
		char v[64];
		memset(&r, 0, sizeof(r));
		snprintf(v, sizeof(v), "/dev/vd%cb", *m);
		CHECK(lvq_parse_pv(v, &r, &e) && r.npv == 0 && strstr(e.msg, "metacharacter"));
		snprintf(v, sizeof(v), "vg%cx", *m);
		CHECK(lvq_parse_vg(v, &r, &e) && !r.vg[0]);
		snprintf(v, sizeof(v), "lv:1G:xfs:/mnt/a%cb", *m);
		CHECK(lvq_parse_lv(v, &r, &e) && r.nlv == 0);
		snprintf(v, sizeof(v), "l%cv:1G", *m);
		CHECK(lvq_parse_lv(v, &r, &e) && r.nlv == 0);
	}
}

TEST(lvq_request_values)
{
	struct lvq_req r;
	struct bb_error e = { 0 };
	memset(&r, 0, sizeof(r));
	CHECK(!lvq_parse_pv("/dev/vda:/dev/vdb", &r, &e) && r.npv == 2);
	CHECK(!lvq_parse_pv("/dev/vdc", &r, &e) && r.npv == 3 && !strcmp(r.pv[2], "/dev/vdc"));
	CHECK(lvq_parse_pv("vda", &r, &e));
	CHECK(lvq_parse_pv("/dev/vda:", &r, &e));
	CHECK(lvq_parse_pv("/dev/../vda", &r, &e));
	CHECK(!lvq_parse_vg("tank_vg", &r, &e) && r.pe_size == 4ull << 20);
	CHECK(!lvq_parse_vg("tank_vg:1m", &r, &e) && r.pe_size == 1ull << 20);
	CHECK(!lvq_parse_vg("tank_vg:8", &r, &e) && r.pe_size == 8ull << 20);
	CHECK(lvq_parse_vg("tank_vg:3M", &r, &e));
	CHECK(lvq_parse_vg("tank_vg:1K", &r, &e));
	CHECK(lvq_parse_vg("tank_vg:50%FREE", &r, &e));
	CHECK(!lvq_parse_lv("web:1.5G:xfs:/var/www/html", &r, &e));
	CHECK(r.lv[0].size.v == 3ull << 29 && r.lv[0].fs == LVQ_FS_XFS &&
	      !strcmp(r.lv[0].mount, "/var/www/html"));
	CHECK(!lvq_parse_lv("sw:1G:swap", &r, &e) && r.lv[1].fs == LVQ_FS_SWAP);
	CHECK(lvq_parse_lv("sw2:1G:swap:/x", &r, &e) && strstr(e.msg, "swap"));
	CHECK(lvq_parse_lv("m:1G::/x", &r, &e));
	CHECK(lvq_parse_lv("m:1G:xfs:x", &r, &e));
	CHECK(lvq_parse_lv("m:1G:xfs:/", &r, &e));
	CHECK(lvq_parse_lv("m:1G:xfs:/a//b", &r, &e));
	CHECK(lvq_parse_lv("m:1G:xfs:/a/", &r, &e));
	CHECK(lvq_parse_lv("m:1G:zfs", &r, &e));
	CHECK(lvq_parse_lv("m", &r, &e));
	CHECK(!lvq_parse_lv("raw:10", &r, &e) && r.lv[2].size.kind == LVQ_SZ_EXTENTS);
	CHECK(!lvq_parse_lv("rest:100%FREE:ext4:/srv", &r, &e));
	if (lvq_req_check(&r, &e))
		test_fail(__FILE__, __LINE__, "%s", e.msg);
	CHECK(!lvq_parse_lv("web:1G", &r, &e) && lvq_req_check(&r, &e) && strstr(e.msg, "two"));
	r.nlv--;
	CHECK(!lvq_parse_lv("other:1G:ext4:/srv", &r, &e) && lvq_req_check(&r, &e));
	r.nlv--;
	CHECK(!lvq_parse_pv("/dev/vda", &r, &e) && lvq_req_check(&r, &e));
}

/* ---- fullreport fixtures --------------------------------------------------------- */

static char *fixture(const char *name, size_t *len)
{
	char path[256];
	snprintf(path, sizeof(path), "tests/unit/lvq/%s", name);
	char *t = read_file(path, 1 << 20, len);
	if (!t)
		test_fail(__FILE__, __LINE__, "%s: %s", path, strerror(errno));
	return t;
}

static void load_state(const char *name, struct lvq_facts *f)
{
	size_t len;
	char *t = fixture(name, &len);
	struct bb_error e = { 0 };
	if (lvq_state_parse(t, len, &f->st, &e))
		test_fail(__FILE__, __LINE__, "%s: %s", name, e.msg);
	free(t);
}

/* The guest's disks of the recording: vda and vdb of 64 MiB, vdc of 96 MiB. */
static void add_dev(struct lvq_facts *f, const char *path, uint64_t size, const char *type)
{
	f->dev = realloc(f->dev, (f->ndev + 1) * sizeof(*f->dev));
	struct lvq_dev *d = &f->dev[f->ndev++];
	memset(d, 0, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "%s", path);
	snprintf(d->fstype, sizeof(d->fstype), "%s", type);
	d->exists = true;
	d->size = size;
	d->rdev = 0xfe00 + f->ndev;
}

TEST(lvq_fullreport_fixtures)
{
	struct lvq_facts f;
	memset(&f, 0, sizeof(f));
	load_state("fullreport-empty.json", &f);
	CHECK(f.st.npv == 0 && f.st.nvg == 0 && f.st.nlv == 0);
	lvq_facts_free(&f);
	load_state("fullreport-orphans.json", &f);
	CHECK(f.st.npv == 2 && f.st.nvg == 0 && !f.st.pv[0].vg[0]);
	CHECK_EQ(f.st.pv[0].size, 64ull << 20);
	lvq_facts_free(&f);
	load_state("fullreport-two_vgs.json", &f);
	CHECK(f.st.nvg == 2 && f.st.npv == 3 && f.st.nlv == 3 && f.st.nseg == 4);
	const struct lvq_vg *vg = lvq_state_vg(&f.st, "vg0");
	CHECK(vg && vg->extent_size == 4ull << 20 && vg->extent_count == 30 && vg->free_count == 7);
	const struct lvq_lv *lv = lvq_state_lv(&f.st, "vg0", "span");
	CHECK(lv && lv->size == 20 * (4ull << 20) && lv->segs == 2 &&
	      !strcmp(lv->path, "/dev/vg0/span"));
	CHECK(!strcmp(lvq_state_pv(&f.st, "/dev/vdc")->vg, "other"));
	lvq_facts_free(&f);
	/* the default columns: the same state */
	load_state("fullreport-two_vgs-all-fields.json", &f);
	CHECK(f.st.nvg == 2 && f.st.npv == 3 && f.st.nlv == 3);
	CHECK(lvq_state_vg(&f.st, "other")->extent_count == 95);
	lvq_facts_free(&f);
	/* after a reboot LVM logs errors about its lost backup file (status
	 * 0), and 2.03.16 ends the log list with a comma: read all the same */
	load_state("fullreport-after-reboot.json", &f);
	CHECK(f.st.nvg == 1 && f.st.nlv == 2 && lvq_state_lv(&f.st, "crash_vg", "two"));
	lvq_facts_free(&f);
	struct bb_error e = { 0 };
	const char *junk = "  WARNING: something\n{\"report\":[]}";
	CHECK(lvq_state_parse(junk, strlen(junk), &f.st, &e));
	lvq_state_free(&f.st);
}

/* The one defect of 2.03.16 that is mended (a comma after the command
 * log's last row) and nothing like it. */
TEST(lvq_fullreport_comma_narrow)
{
	static const char *const ok[] = {
		"{\"report\":[],\"log\":[{\"a\":\"1\"},]}",
		"{\"report\":[{\"vg\":[{\"vg_name\":\"a,]}\"}]}]\n ,\n \"log\": [\n {\"a\":\"1\"},\n {\"b\":\"2\"},\n ]\n }\n",
	};
	static const char *const refused[] = {
		/* in the report, not the log */
		"{\"report\":[{\"vg\":[{\"vg_name\":\"x\"},]}]}",
		"{\"report\":[{\"vg\":[{\"vg_name\":\"x\",}]}]}",
		/* the log not last, or not the log, or not rows of objects */
		"{\"log\":[{\"a\":\"1\"},],\"report\":[]}",
		"{\"report\":[],\"logs\":[{\"a\":\"1\"},]}",
		"{\"report\":[],\"log\":[\"a\",]}",
		"{\"report\":[],\"log\":[{\"a\":\"1\"},\"b\",{},]}",
		/* two commas, a comma and something else wrong, junk after */
		"{\"report\":[],\"log\":[{\"a\":\"1\"},,]}",
		"{\"report\":[],\"log\":[{\"a\":\"1\",},]}",
		"{\"report\":[],,\"log\":[{\"a\":\"1\"},]}",
		"{\"report\":[],\"log\":[{\"a\":\"1\"},]}x",
		"{\"report\":[],\"log\":[{\"a\":\"1\"},]},",
		"{\"report\":[],\"log\":[{\"a\":\"1\"},]]}",
		"{\"report\":[],\"log\":[,]}",
		",]}",
		"  WARNING: something\n{\"report\":[]}",
		"{\"report\":[],,}",
	};
	struct lvq_state st;
	struct bb_error e = { 0 };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		CHECK_EQ(lvq_state_parse(ok[i], strlen(ok[i]), &st, &e), 0);
		lvq_state_free(&st);
	}
	/* the strings in the report are kept as they are */
	CHECK(!lvq_state_parse(ok[1], strlen(ok[1]), &st, &e) && st.nvg == 1 &&
	      !strcmp(st.vg[0].name, "a,]}"));
	lvq_state_free(&st);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		int rc = lvq_state_parse(refused[i], strlen(refused[i]), &st, &e);
		if (!rc)
			test_fail(__FILE__, __LINE__, "accepted: %s", refused[i]);
		CHECK(rc && strstr(e.msg, "not JSON"));
		bb_error_clear(&e);
	}
	/* a NUL is no blank */
	const char nul[] = "{\"report\":[],\"log\":[{\"a\":\"1\"},\0]}";
	CHECK(lvq_state_parse(nul, sizeof(nul) - 1, &st, &e));
}

static void req(struct lvq_req *r, const char *pvs, const char *vg, const char *const *lvs)
{
	struct bb_error e = { 0 };
	memset(r, 0, sizeof(*r));
	if (lvq_parse_pv(pvs, r, &e) || lvq_parse_vg(vg, r, &e))
		test_fail(__FILE__, __LINE__, "%s", e.msg);
	for (; *lvs; lvs++)
		if (lvq_parse_lv(*lvs, r, &e))
			test_fail(__FILE__, __LINE__, "%s", e.msg);
}

static size_t count_kind(const struct lvq_plan *p, enum lvq_kind k)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		n += p->step[i].kind == k;
	return n;
}

/* lvq's prediction of a VG's extents on blank disks, against what LVM
 * itself made of the same disks (the vg_empty fixture). */
TEST(lvq_plan_predicts_lvm_extents)
{
	struct lvq_facts f, after;
	struct lvq_plan p;
	struct lvq_req r;
	struct bb_error e = { 0 };
	memset(&f, 0, sizeof(f));
	memset(&after, 0, sizeof(after));
	load_state("fullreport-empty.json", &f);
	load_state("fullreport-vg_empty.json", &after);
	add_dev(&f, "/dev/vda", 64ull << 20, "");
	add_dev(&f, "/dev/vdb", 64ull << 20, "");
	const char *const lvs[] = { "all:100%FREE:xfs:/srv/all", NULL };
	req(&r, "/dev/vda:/dev/vdb", "vg0", lvs);
	CHECK(!lvq_plan_provision(&r, "", false, &f, NULL, &p, &e));
	const struct lvq_vg *real = lvq_state_vg(&after.st, "vg0");
	CHECK(real);
	size_t lc = 0;
	while (p.step[lc].kind != LVQ_LVCREATE)
		lc++;
	CHECK_EQ(p.step[lc].extents, real->extent_count);
	CHECK(p.step[lc].pct);
	/* pvcreate x2, vgcreate, lvcreate, mkfs, mkdir, mount, fstab */
	CHECK_EQ(p.n, 8);
	CHECK_EQ(count_kind(&p, LVQ_PVCREATE), 2);
	char text[256];
	CHECK_STR(lvq_step_text(&p.step[2], text, sizeof(text)),
		  "lvm vgcreate -s 4096k vg0 /dev/vda /dev/vdb");
	snprintf(text, sizeof(text), "lvm lvcreate --yes -n all -l %llu vg0",
		 (unsigned long long)real->extent_count);
	char got[256];
	CHECK_STR(lvq_step_text(&p.step[3], got, sizeof(got)), text);
	CHECK_STR(lvq_step_text(&p.step[4], got, sizeof(got)), "mkfs.xfs -f -q /dev/vg0/all");
	bool done[16];
	CHECK(lvq_classify(&p, &f, done) == LVQ_CLEAN);
	char probs[8][256];
	CHECK_EQ(lvq_feasible(&p, false, &f, probs, 8), 0);
	/* the same request on the disks after vgcreate: PVs and VG hold */
	add_dev(&after, "/dev/vda", 64ull << 20, "LVM2_member");
	add_dev(&after, "/dev/vdb", 64ull << 20, "LVM2_member");
	CHECK(lvq_classify(&p, &after, done) == LVQ_PARTIAL);
	CHECK(done[0] && done[1] && done[2] && !done[3]);
	lvq_plan_free(&p);
	/* one extent too many */
	const char *const big[] = { "a:100%FREE", "b:1", NULL };
	req(&r, "/dev/vda:/dev/vdb", "vg0", big);
	CHECK(lvq_plan_provision(&r, "", false, &f, NULL, &p, &e) && e.code == ENOSPC);
	lvq_facts_free(&f);
	lvq_facts_free(&after);
}

/* A rerun of what made two_vgs plans the same steps and finds them all
 * holding; a %FREE is resolved from the journal's record, not again. */
TEST(lvq_plan_rerun_is_noop)
{
	struct lvq_facts f;
	struct lvq_plan p;
	struct lvq_req r;
	struct bb_error e = { 0 };
	bool done[16];
	memset(&f, 0, sizeof(f));
	load_state("fullreport-two_vgs.json", &f);
	add_dev(&f, "/dev/vda", 64ull << 20, "LVM2_member");
	add_dev(&f, "/dev/vdb", 64ull << 20, "LVM2_member");
	const char *const lvs[] = { "small:12M", "span:20", NULL };
	req(&r, "/dev/vda:/dev/vdb", "vg0:4M", lvs);
	CHECK(!lvq_plan_provision(&r, "", false, &f, NULL, &p, &e));
	CHECK(lvq_classify(&p, &f, done) == LVQ_ALL_DONE);
	lvq_plan_free(&p);
	/* span as 100%FREE: resolved now it would be 27 extents, not 20 */
	const char *const pct[] = { "small:12M", "span:100%FREE", NULL };
	req(&r, "/dev/vda:/dev/vdb", "vg0:4M", pct);
	CHECK(!lvq_plan_provision(&r, "", false, &f, NULL, &p, &e));
	CHECK(lvq_classify(&p, &f, done) == LVQ_PARTIAL);
	CHECK_EQ(p.step[4].extents, 27);
	lvq_plan_free(&p);
	struct lvq_resolved res = { .n = 1 };
	snprintf(res.lv[0], sizeof(res.lv[0]), "span");
	res.extents[0] = 20;
	CHECK(!lvq_plan_provision(&r, "", false, &f, &res, &p, &e));
	CHECK(lvq_classify(&p, &f, done) == LVQ_ALL_DONE);
	lvq_plan_free(&p);
	/* a VG name taken by other disks */
	const char *const one[] = { "x:1", NULL };
	req(&r, "/dev/vdc", "vg0", one);
	add_dev(&f, "/dev/vdc", 96ull << 20, "LVM2_member");
	CHECK(!lvq_plan_provision(&r, "", false, &f, NULL, &p, &e));
	char probs[8][256];
	CHECK(lvq_classify(&p, &f, done) == LVQ_PARTIAL); /* vdc is a PV already */
	CHECK(lvq_feasible(&p, false, &f, probs, 8) >= 2);
	lvq_plan_free(&p);
	lvq_facts_free(&f);
}

TEST(lvq_feasibility_refusals)
{
	struct lvq_facts f;
	struct lvq_plan p;
	struct lvq_req r;
	struct bb_error e = { 0 };
	char probs[8][256];
	memset(&f, 0, sizeof(f));
	load_state("fullreport-empty.json", &f);
	add_dev(&f, "/dev/vda", 64ull << 20, "ext4");
	snprintf(f.dev[0].uuid, sizeof(f.dev[0].uuid), "1b4e28ba-2fa1-11d2-883f-0016d3cca427");
	f.dev[0].claim = 2; /* CLAIM_CONTENT */
	add_dev(&f, "/dev/vdb", 64ull << 20, "");
	f.dev[1].claim = 1; /* CLAIM_BUSY */
	snprintf(f.dev[1].claim_why, sizeof(f.dev[1].claim_why), "vdb is mounted on /mnt");
	const char *ft = "UUID=1b4e28ba-2fa1-11d2-883f-0016d3cca427 /data ext4 defaults 0 2\n"
			 "/dev/sda1 /srv/taken xfs defaults 0 0\n";
	CHECK(!fstab_parse(ft, strlen(ft), &f.fstab, &e));
	const char *const lvs[] = { "a:10M:xfs:/srv/taken", NULL };
	req(&r, "/dev/vda:/dev/vdb:/dev/vdx", "vg0", lvs);
	CHECK(!lvq_plan_provision(&r, "", true, &f, NULL, &p, &e));
	size_t n = lvq_feasible(&p, true, &f, probs, 8);
	CHECK_EQ(n, 4);
	CHECK(strstr(probs[0], "fstab") && strstr(probs[0], "vda"));
	CHECK(strstr(probs[1], "mounted on /mnt"));
	CHECK(strstr(probs[2], "no such device"));
	CHECK(strstr(probs[3], "/srv/taken"));
	lvq_plan_free(&p);
	/* without --force, a signature alone is refused */
	fstab_free(&f.fstab);
	memset(&f.fstab, 0, sizeof(f.fstab));
	const char *const ok[] = { "a:10M", NULL };
	req(&r, "/dev/vda", "vg0", ok);
	CHECK(!lvq_plan_provision(&r, "", false, &f, NULL, &p, &e));
	CHECK(lvq_feasible(&p, false, &f, probs, 8) == 1 && strstr(probs[0], "--force"));
	CHECK(lvq_feasible(&p, true, &f, probs, 8) == 0);
	lvq_plan_free(&p);
	/* a filesystem whose mkfs is not installed: refused before anything
	 * runs, naming the tool and its package; blockbox's own never missing */
	f.missing = calloc(2, sizeof(*f.missing));
	snprintf(f.missing[f.nmissing++], sizeof(*f.missing), "mkfs.f2fs");
	const char *const fs[] = { "a:10M:f2fs:/srv/a", "b:10M:vfat", "c:10M:ext4", NULL };
	req(&r, "/dev/vdb", "vg0", fs);
	f.dev[1].claim = 0;
	CHECK(!lvq_plan_provision(&r, "", false, &f, NULL, &p, &e));
	CHECK_EQ(lvq_feasible(&p, false, &f, probs, 8), 1);
	CHECK(strstr(probs[0], "/dev/vg0/a: no f2fs can be made here: mkfs.f2fs is not installed "
			       "(Debian package f2fs-tools)"));
	CHECK(!strcmp(lvq_mkfs_tool("vfat"), "blockbox") && !strcmp(lvq_mkfs_tool("swap"), "blockbox"));
	CHECK(lvq_mkfs_tool("zfs") == NULL);
	lvq_plan_free(&p);
	lvq_facts_free(&f);
}

/* ---- plans as data, the journal ---------------------------------------------------- */

static void plan_of_empty(struct lvq_plan *p, const char *root)
{
	struct lvq_facts f;
	struct lvq_req r;
	struct bb_error e = { 0 };
	memset(&f, 0, sizeof(f));
	load_state("fullreport-empty.json", &f);
	add_dev(&f, "/dev/vda", 64ull << 20, "");
	add_dev(&f, "/dev/vdb", 64ull << 20, "");
	const char *const lvs[] = { "web:20M:xfs:/var/www", "sw:8M:swap", "rest:50%FREE:ext4:/srv",
				    NULL };
	req(&r, "/dev/vda:/dev/vdb", "vg0", lvs);
	if (lvq_plan_provision(&r, root, false, &f, NULL, p, &e))
		test_fail(__FILE__, __LINE__, "%s", e.msg);
	lvq_facts_free(&f);
}

static struct json *plan_to_json(const struct lvq_plan *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	struct jw w;
	jw_init(&w, m, false);
	lvq_plan_json(p, &w);
	jw_end(&w);
	fclose(m);
	char err[64];
	struct json *j = json_parse(buf, len, JSON_DEFAULT_DEPTH, err, sizeof(err));
	free(buf);
	return j;
}

TEST(lvq_plan_json_roundtrip_and_tamper)
{
	struct lvq_plan p, q;
	struct bb_error e = { 0 };
	plan_of_empty(&p, "/sysroot");
	struct json *j = plan_to_json(&p);
	CHECK(j);
	CHECK(!lvq_plan_from_json(j, &q, &e));
	CHECK(!strcmp(p.hash, q.hash) && p.n == q.n);
	lvq_plan_free(&q);
	/* the mount is under the root, fstab the target's, and no swapon */
	char text[256];
	CHECK(count_kind(&p, LVQ_SWAPON) == 0);
	for (size_t i = 0; i < p.n; i++)
		if (p.step[i].kind == LVQ_MOUNT)
			CHECK(strstr(lvq_step_text(&p.step[i], text, sizeof(text)), " /sysroot/"));
	/* change one argv word: refused */
	struct json *steps = (struct json *)json_get(j, "steps");
	struct json *av = (struct json *)json_get(&steps->arr.v[3], "argv");
	av->arr.v[av->arr.n - 1].str.s[0] = 'X';
	CHECK(lvq_plan_from_json(j, &q, &e) && strstr(e.msg, "argv"));
	json_free(j);
	/* change a field and its argv alike: the hash no longer matches */
	j = plan_to_json(&p);
	steps = (struct json *)json_get(j, "steps");
	for (size_t i = 0; i < steps->arr.n; i++) {
		struct json *s = &steps->arr.v[i];
		if (strcmp(json_string(json_get(s, "kind")), "lvcreate"))
			continue;
		struct json *ext = (struct json *)json_get(s, "extents");
		ext->num.u += 1;
		av = (struct json *)json_get(s, "argv");
		char *old = av->arr.v[6].str.s;
		char nb[32];
		snprintf(nb, sizeof(nb), "%llu", (unsigned long long)ext->num.u);
		av->arr.v[6].str.s = strdup(nb);
		av->arr.v[6].str.len = strlen(nb);
		free(old);
		break;
	}
	CHECK(lvq_plan_from_json(j, &q, &e) && strstr(e.msg, "hash"));
	json_free(j);
	lvq_plan_free(&p);
}

static char *journal_path(void)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/j/journal.jsonl", test_tmpdir());
	return path;
}

static void read_history(struct lvq_history *h)
{
	struct bb_error e = { 0 };
	if (lvq_journal_read(journal_path(), h, &e))
		test_fail(__FILE__, __LINE__, "%s", e.msg);
}

TEST(lvq_journal_replay)
{
	struct lvq_plan p;
	struct lvq_journal j;
	struct bb_error e = { 0 };
	struct lvq_history h;
	plan_of_empty(&p, "");
	CHECK(!lvq_journal_open(journal_path(), &j, &e));
	CHECK(!lvq_journal_begin(&j, &p, "begin", &e));
	for (size_t i = 0; i < 3; i++) {
		CHECK(!lvq_journal_step(&j, &p, i, "step_start", 1, 0, 0, NULL, NULL, &e));
		CHECK(!lvq_journal_step(&j, &p, i, "step_end", 1, 2, 0, "ok\n", NULL, &e));
	}
	CHECK(!lvq_journal_step(&j, &p, 3, "step_start", 1, 0, 0, NULL, NULL, &e));
	lvq_journal_close(&j);
	/* a torn last line, as a crash mid-write leaves it */
	int fd = open(journal_path(), O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "{\"txn\":\"", 8) == 8);
	close(fd);
	read_history(&h);
	CHECK(h.n == 1 && h.bad_lines == 0);
	const struct lvq_txn *t = &h.t[0];
	CHECK(!strcmp(t->plan_hash, p.hash) && !strcmp(t->request_hash, p.request_hash));
	CHECK(t->last_started == 3 && t->nok == 3 && !t->outcome[0] && t->nsteps == p.n);
	CHECK(t->last_open); /* cut off inside step 4 */
	CHECK(lvq_history_find(&h, NULL, p.hash) == t);
	/* the %FREE extents recorded are the ones a rerun reuses */
	struct lvq_resolved res;
	lvq_history_resolved(&h, p.request_hash, &res);
	CHECK_EQ(res.n, 1);
	CHECK(!strcmp(res.lv[0], "rest"));
	size_t k = 0;
	while (strcmp(p.step[k].lv, "rest") || p.step[k].kind != LVQ_LVCREATE)
		k++;
	CHECK_EQ(res.extents[0], p.step[k].extents);
	lvq_history_free(&h);
	/* a line that is not a record is counted, the rest still read */
	fd = open(journal_path(), O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "\nnot json\n", 10) == 10);
	close(fd);
	read_history(&h);
	CHECK(h.n == 1 && h.bad_lines == 2); /* the torn line, completed by junk, and junk */
	lvq_history_free(&h);
	lvq_plan_free(&p);
}

/* A mount point that exists already (/srv) makes no plan partial: its
 * mkdir holds and is skipped; a PV that exists does. */
TEST(lvq_existing_mount_point_is_clean)
{
	struct lvq_plan p;
	struct lvq_facts f;
	bool done[64];
	plan_of_empty(&p, "");
	memset(&f, 0, sizeof(f));
	load_state("fullreport-empty.json", &f);
	f.dirs = calloc(1, sizeof(*f.dirs));
	snprintf(f.dirs[f.ndirs++], LVQ_PATH, "/srv");
	CHECK(lvq_classify(&p, &f, done) == LVQ_CLEAN);
	size_t held = 0;
	for (size_t i = 0; i < p.n; i++) {
		held += done[i];
		if (done[i])
			CHECK(p.step[i].kind == LVQ_MKDIR && !strcmp(p.step[i].mount, "/srv"));
	}
	CHECK_EQ(held, 1);
	lvq_state_free(&f.st);
	load_state("fullreport-orphans.json", &f);
	CHECK(lvq_classify(&p, &f, done) == LVQ_PARTIAL);
	lvq_facts_free(&f);
	lvq_plan_free(&p);
}

/* A decommission takes the VG's metadata backup first; its rollback puts
 * each PV label back with its UUID from that backup, restores the VG
 * (vgcfgrestore), activates it and writes the fstab line back as it was.
 * Without a backup, or stopped between the lvremoves, it is refused. */
static struct lvq_txn txn_of(struct lvq_plan *p, unsigned char *ok, char (*uuid)[64], size_t upto)
{
	struct lvq_txn t;
	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "0000-txn");
	snprintf(t.command, sizeof(t.command), "%s", p->command);
	t.plan = p;
	t.ok = ok;
	t.uuid = uuid;
	t.nsteps = p->n;
	for (size_t i = 0; i < p->n; i++)
		ok[i] = i < upto;
	t.last_started = (long)upto - 1;
	return t;
}

TEST(lvq_rollback_of_decommission)
{
	struct lvq_facts f;
	struct lvq_plan p, u;
	struct bb_error e = { 0 };
	memset(&f, 0, sizeof(f));
	load_state("fullreport-two_vgs.json", &f);
	const char *tab = "# mine\n/dev/vg0/small /srv ext4 noatime,ro 1 2\n";
	CHECK(!fstab_parse(tab, strlen(tab), &f.fstab, &e));
	CHECK(!lvq_plan_decommission("vg0", "", "/var/lib/lvq", &f, &p, &e));
	char text[LVQ_ARGS + 64];
	CHECK(p.step[0].kind == LVQ_VGCFGBACKUP);
	CHECK(!strncmp(lvq_step_text(&p.step[0], text, sizeof(text)),
		       "lvm vgcfgbackup -f /var/lib/lvq/vg0-A2iCdM-OEzr-s5ZO-sPL7-v4xK-ho9e-K27J7u-", 74));
	CHECK(strstr(text, ".vg vg0") != NULL);
	CHECK_EQ(count_kind(&p, LVQ_FSTAB_REMOVE), 1);
	CHECK_EQ(count_kind(&p, LVQ_PVREMOVE), 2);
	/* the plan as data keeps what a rollback needs (and its hash) */
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	struct jw w;
	jw_init(&w, m, false);
	lvq_plan_json(&p, &w);
	jw_end(&w);
	fclose(m);
	char err[64];
	struct json *j = json_parse(buf, len, JSON_DEFAULT_DEPTH, err, sizeof(err));
	struct lvq_plan back;
	CHECK(j && !lvq_plan_from_json(j, &back, &e));
	json_free(j);
	free(buf);
	CHECK(!strcmp(back.hash, p.hash));
	for (size_t i = 0; i < p.n; i++)
		CHECK(!strcmp(back.step[i].opts, p.step[i].opts) &&
		      !strcmp(back.step[i].uuid, p.step[i].uuid));

	unsigned char ok[64];
	char uuids[64][64] = { { 0 } };
	struct lvq_txn t = txn_of(&back, ok, uuids, back.n);
	CHECK(!lvq_plan_rollback(&t, &u, &e));
	/* newest first: both PV labels, the VG, its activation, the fstab line */
	static const enum lvq_kind want[] = { LVQ_PVRESTORE, LVQ_PVRESTORE, LVQ_VGCFGRESTORE,
					      LVQ_ACTIVATE, LVQ_FSTAB_ADD };
	CHECK_EQ(u.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < u.n; i++)
		CHECK(u.step[i].kind == want[i]);
	const char *bk = p.step[0].spec;
	char exp[LVQ_ARGS];
	snprintf(exp, sizeof(exp), "lvm pvcreate --uuid 3P0IDl-yeyO-Wfhv-WzRg-VfNI-3Z4e-qTv4Fp "
		 "--restorefile %s /dev/vdb", bk);
	CHECK(!strcmp(lvq_step_text(&u.step[0], text, sizeof(text)), exp));
	snprintf(exp, sizeof(exp), "lvm vgcfgrestore -f %s vg0", bk);
	CHECK(!strcmp(lvq_step_text(&u.step[2], text, sizeof(text)), exp));
	CHECK(!strcmp(lvq_step_text(&u.step[3], text, sizeof(text)), "lvm vgchange -ay vg0"));
	CHECK(!strcmp(lvq_step_text(&u.step[4], text, sizeof(text)),
		      "fstab-add /etc/fstab /dev/vg0/small on /dev/vg0/small /srv ext4 noatime,ro 1 2"));
	CHECK(u.nwarn == 1 && strstr(u.warn[0], bk));
	lvq_plan_free(&u);

	/* verify: nothing holds yet; once the VG is back with its UUID, the
	 * restore holds, the activation only with device nodes */
	bool done[8];
	struct lvq_facts none;
	memset(&none, 0, sizeof(none));
	load_state("fullreport-empty.json", &none);
	CHECK(!lvq_plan_rollback(&t, &u, &e));
	CHECK(lvq_classify(&u, &none, done) == LVQ_CLEAN);
	lvq_classify(&u, &f, done);
	CHECK(done[0] && done[1] && done[2] && !done[3]);
	add_dev(&f, "/dev/vg0/small", 12ull << 20, "ext4");
	add_dev(&f, "/dev/vg0/span", 80ull << 20, "");
	lvq_classify(&u, &f, done);
	CHECK(done[3] && done[4]); /* the line is still in this table */
	fstab_free(&f.fstab);
	CHECK(!fstab_parse("# mine\n", 7, &f.fstab, &e));
	lvq_classify(&u, &f, done);
	CHECK(done[3] && !done[4]);
	/* feasibility: a PV device written to since is refused */
	char probs[8][256];
	add_dev(&none, "/dev/vda", 64ull << 20, "");
	add_dev(&none, "/dev/vdb", 64ull << 20, "xfs");
	none.files = calloc(1, sizeof(*none.files));
	snprintf(none.files[none.nfiles++], LVQ_PATH, "%s", bk);
	CHECK_EQ(lvq_feasible(&u, false, &none, probs, 8), 1);
	CHECK(strstr(probs[0], "/dev/vdb: written since the decommission"));
	snprintf(none.dev[1].fstype, sizeof(none.dev[1].fstype), "%s", "");
	CHECK_EQ(lvq_feasible(&u, false, &none, probs, 8), 0);
	none.nfiles = 0; /* the backup file gone */
	CHECK_EQ(lvq_feasible(&u, false, &none, probs, 8), 1);
	lvq_plan_free(&u);

	/* stopped after an lvremove, before the vgremove: continue first */
	size_t k = 0;
	while (back.step[k].kind != LVQ_LVREMOVE)
		k++;
	t = txn_of(&back, ok, uuids, k + 1);
	CHECK(lvq_plan_rollback(&t, &u, &e) && e.code == EBUSY && strstr(e.msg, "lvq continue"));
	bb_error_clear(&e);
	/* stopped before anything was removed: nothing of LVM to restore */
	t = txn_of(&back, ok, uuids, 1);
	CHECK(!lvq_plan_rollback(&t, &u, &e) && u.n == 0);
	lvq_plan_free(&u);
	/* a decommission journaled without a backup: its VG cannot be restored */
	t = txn_of(&back, ok, uuids, back.n);
	ok[0] = 0;
	CHECK(lvq_plan_rollback(&t, &u, &e) && e.code == ENOENT && strstr(e.msg, "vgcfgbackup"));
	lvq_facts_free(&none);
	lvq_plan_free(&back);
	lvq_plan_free(&p);
	lvq_facts_free(&f);
}

/* continue's activation of the VG: step 0 records, outside the plan's
 * steps, counted apart; one cut off shows as such. */
TEST(lvq_journal_activation)
{
	struct lvq_plan p;
	struct lvq_journal j;
	struct bb_error e = { 0 };
	struct lvq_history h;
	struct lvq_step act = { .kind = LVQ_ACTIVATE };
	plan_of_empty(&p, "");
	snprintf(act.vg, sizeof(act.vg), "%s", p.vg);
	CHECK(!lvq_step_build("", &act, &e));
	char text[256];
	CHECK(!strcmp(lvq_step_text(&act, text, sizeof(text)), "lvm vgchange -ay vg0"));
	unlink(journal_path());
	CHECK(!lvq_journal_open(journal_path(), &j, &e));
	CHECK(!lvq_journal_begin(&j, &p, "begin", &e));
	CHECK(!lvq_journal_step(&j, &p, 0, "step_start", 1, 0, 0, NULL, NULL, &e));
	CHECK(!lvq_journal_step(&j, &p, 0, "step_end", 1, 2, 0, "", NULL, &e));
	CHECK(!lvq_journal_step(&j, &p, 1, "step_start", 1, 0, 0, NULL, NULL, &e));
	/* the reboot; continue activates, then resumes */
	CHECK(!lvq_journal_stepn(&j, &act, 0, "step_start", 3, 0, 0, NULL, NULL, &e));
	lvq_journal_close(&j);
	read_history(&h);
	CHECK(h.n == 1 && h.bad_lines == 0);
	CHECK(h.t[0].activate_open && h.t[0].activations == 0);
	CHECK(h.t[0].nok == 1 && h.t[0].last_started == 1 && h.t[0].last_open);
	/* the activation ends (failed), a second one succeeds */
	CHECK(!lvq_journal_open(journal_path(), &j, &e));
	snprintf(j.txn, sizeof(j.txn), "%s", h.t[0].id);
	snprintf(j.plan_hash, sizeof(j.plan_hash), "%s", p.hash);
	lvq_history_free(&h);
	CHECK(!lvq_journal_stepn(&j, &act, 0, "step_end", 3, 4, 5, "no VG\n", NULL, &e));
	read_history(&h);
	CHECK(!h.t[0].activate_open && h.t[0].activations == 1 && h.t[0].activate_status == 5);
	lvq_history_free(&h);
	CHECK(!lvq_journal_stepn(&j, &act, 0, "step_start", 5, 0, 0, NULL, NULL, &e));
	CHECK(!lvq_journal_stepn(&j, &act, 0, "step_end", 5, 6, 0, "", NULL, &e));
	lvq_journal_close(&j);
	read_history(&h);
	const struct lvq_txn *t = &h.t[0];
	CHECK(h.n == 1 && !t->activate_open && t->activations == 2 && t->activate_status == 0);
	/* the plan's own steps are untouched by them */
	CHECK(t->nok == 1 && t->last_started == 1 && t->last_open && t->nsteps == p.n);
	lvq_history_free(&h);
	/* only a tool runs outside the plan */
	struct lvq_step md = { .kind = LVQ_MKDIR };
	struct lvq_times tm = { 0 };
	CHECK(lvq_run_aside(&j, &md, &tm, &e) && e.code == EINVAL);
	lvq_plan_free(&p);
}

/* Interrupt a plan after each step in turn, read the journal back, and
 * continue from what holds: every run ends with all steps done. The steps
 * are lvq's own (mkdir under a root in the test's directory), so they
 * really run. */
TEST(lvq_continue_from_every_step)
{
	char root[512];
	snprintf(root, sizeof(root), "%s/root", test_tmpdir());
	for (size_t stop = 0; stop <= 6; stop++) {
		struct lvq_plan p;
		struct bb_error e = { 0 };
		memset(&p, 0, sizeof(p));
		snprintf(p.command, sizeof(p.command), "provision");
		snprintf(p.root, sizeof(p.root), "%s/%zu", root, stop);
		for (int i = 0; i < 6; i++) {
			struct lvq_step *s = lvq_plan_add(&p, LVQ_MKDIR, &e);
			snprintf(s->mount, sizeof(s->mount), "/m%d/sub", i);
			CHECK(!lvq_step_build(p.root, s, &e));
		}
		lvq_plan_hash(&p);
		unlink(journal_path());
		struct lvq_journal j;
		struct lvq_times tm = { 0 };
		CHECK(!lvq_journal_open(journal_path(), &j, &e));
		CHECK(!lvq_journal_begin(&j, &p, "begin", &e));
		/* run the steps before `stop`, then die as it starts */
		struct lvq_plan head = p;
		head.n = stop;
		CHECK(!lvq_execute(&j, &head, NULL, 0, &tm, NULL, NULL, &e));
		if (stop < p.n)
			CHECK(!lvq_journal_step(&j, &p, stop, "step_start", 1, 0, 0, NULL, NULL, &e));
		lvq_journal_close(&j);

		struct lvq_history h;
		read_history(&h);
		CHECK(h.n == 1 && h.t[0].nok == stop);
		CHECK(h.t[0].last_started == (stop < p.n ? (long)stop : (long)stop - 1));
		CHECK(h.t[0].last_open == (stop < p.n));
		/* what holds now: the directories that exist */
		struct lvq_facts f;
		memset(&f, 0, sizeof(f));
		f.dirs = calloc(p.n, sizeof(*f.dirs));
		for (size_t i = 0; i < p.n; i++) {
			char path[2 * LVQ_PATH];
			struct stat st;
			snprintf(path, sizeof(path), "%s%s", p.root, p.step[i].mount);
			if (!stat(path, &st))
				snprintf(f.dirs[f.ndirs++], LVQ_PATH, "%s", path);
		}
		bool done[8];
		enum lvq_verdict v = lvq_classify(h.t[0].plan, &f, done);
		CHECK(v == (stop == 0 ? LVQ_CLEAN : stop == p.n ? LVQ_ALL_DONE : LVQ_PARTIAL));
		for (size_t i = 0; i < p.n; i++)
			CHECK(done[i] == (i < stop));
		/* continue: the same transaction, from where it stopped */
		CHECK(!lvq_journal_open(journal_path(), &j, &e));
		snprintf(j.txn, sizeof(j.txn), "%s", h.t[0].id);
		CHECK(!lvq_journal_begin(&j, h.t[0].plan, "resume", &e));
		memset(&tm, 0, sizeof(tm));
		CHECK(!lvq_execute(&j, h.t[0].plan, done, 0, &tm, NULL, NULL, &e));
		CHECK(!lvq_journal_end(&j, "done", &e));
		lvq_journal_close(&j);
		CHECK_EQ(tm.ran, p.n - stop);
		CHECK_EQ(tm.skipped, stop);
		lvq_history_free(&h);
		read_history(&h);
		CHECK(h.n == 1 && h.t[0].nok == p.n && !strcmp(h.t[0].outcome, "done"));
		for (size_t i = 0; i < p.n; i++) {
			char path[2 * LVQ_PATH];
			struct stat st;
			snprintf(path, sizeof(path), "%s%s", p.root, p.step[i].mount);
			CHECK(!stat(path, &st) && S_ISDIR(st.st_mode));
		}
		lvq_history_free(&h);
		lvq_facts_free(&f);
		lvq_plan_free(&p);
	}
}

/* The journal the VM scenario (tests/vm/140-lvq.sh) wrote with real LVM:
 * apply, its rollback, a provision killed mid-plan and continued, a
 * decommission, a provision under --root. */
TEST(lvq_journal_from_the_guest)
{
	size_t len;
	char *t = fixture("journal.jsonl", &len);
	struct lvq_history h;
	struct bb_error e = { 0 };
	CHECK(!lvq_journal_parse(t, len, &h, &e));
	free(t);
	CHECK_EQ(h.n, 5);
	CHECK_EQ(h.bad_lines, 0);
	CHECK(!strcmp(h.t[0].command, "provision") && h.t[0].rolled_back);
	CHECK(!strcmp(h.t[1].command, "rollback") && !strcmp(h.t[1].outcome, "done"));
	CHECK(!strcmp(h.t[2].command, "provision") && !strcmp(h.t[2].outcome, "done"));
	CHECK(h.t[2].nok == h.t[2].nsteps && !h.t[2].rolled_back);
	CHECK(!strcmp(h.t[3].command, "decommission") && !strcmp(h.t[3].outcome, "done"));
	CHECK(!strcmp(h.t[4].vg, "sys") && !strcmp(h.t[4].plan->root, "/sysroot"));
	/* the first and the continued provision ran the same request, and the
	 * %FREE size resolved for it is the one the plan ran */
	CHECK(!strcmp(h.t[0].request_hash, h.t[2].request_hash));
	struct lvq_resolved res;
	lvq_history_resolved(&h, h.t[2].request_hash, &res);
	CHECK(res.n == 1 && !strcmp(res.lv[0], "media_assets"));
	bool seen = false;
	for (size_t i = 0; h.t[2].plan && i < h.t[2].plan->n; i++) {
		const struct lvq_step *s = &h.t[2].plan->step[i];
		if (s->kind == LVQ_LVCREATE && !strcmp(s->lv, "media_assets")) {
			CHECK_EQ(s->extents, res.extents[0]);
			seen = true;
		}
	}
	CHECK(seen);
	lvq_history_free(&h);
}
