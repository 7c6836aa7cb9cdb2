/* volmgr's storage modules, their pure parts: topology templates and
 * feasibility, name and path checks, scrub records, health findings. */
#include "../../applets/volmgr/storage.h"
#include "config.h"
#include "error.h"
#include "md.h"
#include "test.h"

#include <errno.h>

#define G (1ull << 30)

static size_t load(struct vmo_topology *t)
{
	const char *text = config_builtin("volmgr-topologies.conf", NULL);
	CHECK(text != NULL);
	size_t n;
	struct bb_error e = { 0 };
	CHECK(vmo_topologies_parse(text, t, VMO_TOPO_MAX, &n, &e) == 0);
	return n;
}

static const struct vmo_topology *by_name(const struct vmo_topology *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	test_fail(__FILE__, __LINE__, "no template %s", name);
}

TEST(volmops_topologies_builtin)
{
	struct vmo_topology t[VMO_TOPO_MAX];
	size_t n = load(t);
	/* the seed's six */
	CHECK_EQ(n, 6);
	const char *names[] = { "BtrfsSingle", "BcachefsSingle", "DualIndependent",
				"SsdHddBcachefs", "Bcachefs2Copy", "BtrfsRaid1" };
	for (size_t i = 0; i < 6; i++)
		CHECK_STR(t[i].name, names[i]);
	const struct vmo_topology *sh = by_name(t, n, "SsdHddBcachefs");
	CHECK_EQ(sh->nrules, 2);
	CHECK_EQ(sh->rule[0].tier, VMO_TIER_SSD);
	CHECK_EQ(sh->rule[1].tier, VMO_TIER_HDD);
	CHECK_EQ(sh->rule[1].min_size, 32 * G);
	CHECK_STR(sh->tool, "bcachefs");
	CHECK_EQ(by_name(t, n, "BtrfsRaid1")->rule[0].count, 2);
}

TEST(volmops_topologies_parse_errors)
{
	struct vmo_topology t[4];
	size_t n;
	struct bb_error e = { 0 };
	CHECK(vmo_topologies_parse("name = x\n", t, 4, &n, &e) == -1);
	CHECK(strstr(e.msg, "line 1") != NULL);
	CHECK(vmo_topologies_parse("[topology]\nname = A\nneed = 1 fast 8G data\n", t, 4, &n, &e) == -1);
	CHECK(strstr(e.msg, "line 3") && strstr(e.msg, "TIER"));
	CHECK(vmo_topologies_parse("[topology]\nname = A\nneed = 0 any 8G data\n", t, 4, &n, &e) == -1);
	CHECK(vmo_topologies_parse("[topology]\nname = A\nneed = 1 any 8Q data\n", t, 4, &n, &e) == -1);
	CHECK(vmo_topologies_parse("[topology]\nname = A\nneed = 1 any 8G\n", t, 4, &n, &e) == -1);
	CHECK(vmo_topologies_parse("[topology]\nname = A\ncolour = red\nneed = 1 any 1G d\n", t, 4, &n,
				   &e) == -1);
	CHECK(strstr(e.msg, "unknown key"));
	CHECK(vmo_topologies_parse("[topology]\nname = A\n", t, 4, &n, &e) == -1);
	CHECK(strstr(e.msg, "without a need"));
	CHECK(vmo_topologies_parse("# nothing\n", t, 4, &n, &e) == -1);
	CHECK(vmo_topologies_parse("[topology]\nname=A\nneed=1 any 1G d\n[topology]\nname=B\nneed=1 "
				   "any 1G d\n[topology]\nname=C\nneed=1 any 1G d\n",
				   t, 2, &n, &e) == -1);
	CHECK(strstr(e.msg, "too many"));
	CHECK(vmo_topologies_parse(" [topology] \n\tname = A B \nneed = 2 hdd 1M mirror\n", t, 4, &n,
				   &e) == 0);
	CHECK_STR(t[0].name, "A B");
	CHECK_EQ(t[0].rule[0].min_size, 1 << 20);
}

TEST(volmops_topology_feasibility)
{
	struct vmo_topology t[VMO_TOPO_MAX];
	size_t n = load(t);
	struct vmo_feasible f;
	struct vmo_disk none[1];
	/* no disks: nothing fits, and the reason says what is needed */
	vmo_topology_check(by_name(t, n, "BtrfsSingle"), none, 0, true, &f);
	CHECK(!f.ok);
	CHECK(strstr(f.reason, "needs 1 any disk") && strstr(f.reason, "0 eligible"));
	/* one small SSD, one big HDD */
	struct vmo_disk d[] = { { "vdb", 20 * G, VMO_TIER_SSD }, { "vdc", 100 * G, VMO_TIER_HDD } };
	vmo_topology_check(by_name(t, n, "BtrfsSingle"), d, 2, true, &f);
	CHECK(f.ok);
	CHECK_EQ(f.npicked, 1);
	CHECK_STR(f.picked[0], "vdb"); /* the smallest that fits */
	vmo_topology_check(by_name(t, n, "SsdHddBcachefs"), d, 2, true, &f);
	CHECK(f.ok);
	CHECK_STR(f.picked[0], "vdb");
	CHECK_STR(f.picked[1], "vdc");
	CHECK(strstr(f.reason, "vdb (cache)") && strstr(f.reason, "vdc (backing)"));
	vmo_topology_check(by_name(t, n, "SsdHddBcachefs"), d, 2, false, &f);
	CHECK(!f.ok);
	CHECK(strstr(f.reason, "bcachefs is not installed") && strstr(f.reason, "bcachefs-tools"));
	vmo_topology_check(by_name(t, n, "BtrfsRaid1"), d, 2, true, &f);
	CHECK(f.ok);
	CHECK_EQ(f.npicked, 2);
	/* two SSDs: no HDD for the backing tier */
	struct vmo_disk ss[] = { { "a", 64 * G, VMO_TIER_SSD }, { "b", 64 * G, VMO_TIER_SSD } };
	vmo_topology_check(by_name(t, n, "SsdHddBcachefs"), ss, 2, true, &f);
	CHECK(!f.ok);
	CHECK(strstr(f.reason, "hdd") != NULL);
	/* a disk below the minimum does not count */
	struct vmo_disk small[] = { { "a", 4 * G, VMO_TIER_HDD }, { "b", 64 * G, VMO_TIER_HDD } };
	vmo_topology_check(by_name(t, n, "BtrfsRaid1"), small, 2, true, &f);
	CHECK(!f.ok);
	CHECK(strstr(f.reason, "1 eligible disk fits") != NULL);
	/* a specific tier is served before "any", so "any" does not take
	 * the only SSD: rules written any-first still fit */
	struct vmo_topology mix;
	struct bb_error e = { 0 };
	size_t k;
	CHECK(vmo_topologies_parse("[topology]\nname=M\nneed=1 any 1G data\nneed=1 ssd 1G cache\n",
				   &mix, 1, &k, &e) == 0);
	struct vmo_disk two[] = { { "ssd", 2 * G, VMO_TIER_SSD }, { "hdd", 200 * G, VMO_TIER_HDD } };
	vmo_topology_check(&mix, two, 2, true, &f);
	CHECK(f.ok);
	CHECK_STR(f.picked[0], "hdd"); /* listed in the order of the rules */
	CHECK_STR(f.picked[1], "ssd");
}

TEST(volmops_names_and_paths)
{
	struct bb_error e = { 0 };
	CHECK(vmo_check_subvol_name("myapp-data", &e) == 0);
	CHECK(vmo_check_subvol_name("a/b", &e) == -1);
	CHECK(vmo_check_subvol_name("..", &e) == -1);
	CHECK(vmo_check_subvol_name(".", &e) == -1);
	CHECK(vmo_check_subvol_name(".hidden", &e) == -1);
	CHECK(vmo_check_subvol_name("", &e) == -1);
	CHECK(vmo_check_subvol_name("tab\there", &e) == -1);
	char longname[300];
	memset(longname, 'x', 256);
	longname[256] = 0;
	CHECK(vmo_check_subvol_name(longname, &e) == -1);
	longname[255] = 0;
	CHECK(vmo_check_subvol_name(longname, &e) == 0);
	CHECK(vmo_check_abs_path("target", "/mnt/data", &e) == 0);
	CHECK(vmo_check_abs_path("target", "/", &e) == 0);
	CHECK(vmo_check_abs_path("target", "mnt/data", &e) == -1);
	CHECK(strstr(e.msg, "not an absolute path") != NULL);
	CHECK(vmo_check_abs_path("target", "/mnt/../etc", &e) == -1);
	CHECK(vmo_check_abs_path("target", "/mnt/..", &e) == -1);
	CHECK(vmo_check_abs_path("target", "/mnt/./x", &e) == -1);
	CHECK(vmo_check_abs_path("target", "/mnt/..x", &e) == 0);
	CHECK(vmo_check_abs_path("target", "/mnt/a\nb", &e) == -1);
	for (const char *const *s = (const char *const[]){ "system", "etc", "modules", "vm-meta",
							    "mos-bin", NULL };
	     *s; s++)
		CHECK(vmo_core_subvolume(*s));
	CHECK(!vmo_core_subvolume("systemd"));
	CHECK(!vmo_core_subvolume("myapp"));
}

TEST(volmops_scrub_record_round_trip)
{
	struct vmo_scrub_record r = { 0 }, back;
	snprintf(r.fsid, sizeof(r.fsid), "0123abcd-0000-1111-2222-333344445555");
	snprintf(r.mount_point, sizeof(r.mount_point), "/var/cache/\"odd\" dir");
	snprintf(r.state, sizeof(r.state), "done");
	r.started = 1765000000, r.ended = 1765000042, r.data_bytes = 1ull << 40;
	r.csum_errors = 3, r.corrected_errors = 3;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct jw w;
	jw_init(&w, f, false);
	vmo_scrub_record_write(&w, &r);
	jw_end(&w);
	fclose(f);
	struct bb_error e = { 0 };
	CHECK(vmo_scrub_record_parse(text, len, &back, &e) == 0);
	CHECK(!memcmp(&r, &back, sizeof(r)));
	/* a damaged record is an error, never a half-filled one taken as good */
	CHECK(vmo_scrub_record_parse(text, len / 2, &back, &e) == -1);
	CHECK(vmo_scrub_record_parse("{\"fsid\":\"x\"}", 12, &back, &e) == -1);
	free(text);
	/* saved and loaded through the state directory */
	vm_cfg.state_dir = test_tmpdir();
	CHECK(vmo_scrub_record_save(&r, &e) == 0);
	CHECK_EQ(vmo_scrub_record_load(r.fsid, &back, &e), 1);
	CHECK(!memcmp(&r, &back, sizeof(r)));
	CHECK_EQ(vmo_scrub_record_load("0123abcd-0000-1111-2222-000000000000", &back, &e), 0);
	CHECK_EQ(vmo_scrub_record_load("../../etc/passwd", &back, &e), -1);
}

TEST(volmops_health_md_and_sysvol)
{
	struct vmo_health h = { 0 };
	struct md_member m[2] = { { "vdb1", MD_IN_SYNC, 0, 0 }, { "vdc1", MD_FAULTY, MD_UNKNOWN, 0 } };
	struct md_array a = { 0 };
	snprintf(a.name, sizeof(a.name), "md0");
	snprintf(a.level, sizeof(a.level), "raid1");
	snprintf(a.array_state, sizeof(a.array_state), "clean");
	a.raid_disks = 2;
	a.degraded = 0;
	a.members = m;
	a.nmembers = 1;
	vmo_health_md(&a, &h);
	CHECK_EQ(h.n, 0);
	CHECK_EQ(vmo_health_verdict(&h), VMO_OK);
	a.degraded = 1;
	a.nmembers = 2;
	vmo_health_md(&a, &h);
	CHECK_EQ(h.n, 2); /* degraded, and the faulty member */
	CHECK_EQ(vmo_health_verdict(&h), VMO_DEGRADED);
	CHECK_STR(h.f[0].subject, "md0");
	CHECK(strstr(h.f[0].reason, "1 of 2") && strstr(h.f[0].action, "--add"));
	CHECK(strstr(h.f[1].reason, "vdc1") && strstr(h.f[1].action, "--remove /dev/vdc1"));
	/* no working member left: failing */
	struct vmo_health h2 = { 0 };
	a.degraded = 2;
	a.nmembers = 0;
	vmo_health_md(&a, &h2);
	CHECK_EQ(vmo_health_verdict(&h2), VMO_FAILING);
	snprintf(a.array_state, sizeof(a.array_state), "inactive");
	struct vmo_health h3 = { 0 };
	vmo_health_md(&a, &h3);
	CHECK_EQ(h3.f[0].level, VMO_FAILING);
	CHECK(strstr(h3.f[0].reason, "inactive") != NULL);
	/* sysvol's record as degraded.c writes it */
	struct vmo_health h4 = { 0 };
	vmo_health_sysvol("# sysvol\nstate=degraded\nsince=2026-12-06T16:50:00Z\nmissing=disk2\n"
			  "present=disk1\n",
			  &h4);
	CHECK_EQ(h4.n, 1);
	CHECK_EQ(vmo_health_verdict(&h4), VMO_DEGRADED);
	CHECK_STR(h4.f[0].subject, "disk2");
	CHECK(strstr(h4.f[0].reason, "since 2026-12-06T16:50:00Z") != NULL);
	struct vmo_health h5 = { 0 };
	vmo_health_sysvol("state=split\nsince=\x01\x02\n", &h5);
	CHECK(strstr(h5.f[0].reason, "split") && !strchr(h5.f[0].reason, 1));
}

/* ---- jobs: queued per resource, cancelled, reported ---------------------- */

#include "../../applets/volmgr/rpc.h"

#include <unistd.h>

struct hold {
	volatile int release; /* 1: finish, 2: stop as cancelled */
	volatile int ran;
};

static int hold_run(struct vmj *j, struct jw *w, struct bb_error *e)
{
	struct hold *h = vmj_arg(j);
	h->ran = 1;
	for (int i = 0; i < 5000 && !h->release; i++)
		usleep(1000);
	if (h->release != 1)
		return bb_error_set(e, ECANCELED, "stopped");
	jw_obj(w);
	jw_kstr(w, "answer", "held");
	jw_obj_end(w);
	return 0;
}

static void hold_progress(struct vmj *j, struct vmj_progress *p, struct jw *w)
{
	(void)w;
	vmj_progress_set(j, p, 1, 4, "things/s");
}

static int hold_cancel(struct vmj *j, struct bb_error *e)
{
	(void)e;
	((struct hold *)vmj_arg(j))->release = 2;
	return 0;
}

static void no_free(void *arg) { (void)arg; }

static const struct vmj_kind hold_kind = { "test.hold", hold_run, hold_progress, hold_cancel,
					   no_free, false };

/* The answer of a job method (storage.job_status, job_cancel) on id, as text. */
static char *call(const char *method, long id)
{
	char req[160], *out = NULL;
	size_t len = 0;
	snprintf(req, sizeof(req),
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":{\"job\":%ld}}",
		 method, id);
	struct vm_session s = { 0 };
	FILE *f = open_memstream(&out, &len);
	vm_rpc_line(&s, req, strlen(req), f);
	fclose(f);
	return out;
}

static char *status(long id)
{
	return call("storage.job_status", id);
}

static void wait_state(long id, const char *state)
{
	char want[64];
	snprintf(want, sizeof(want), "\"state\":\"%s\"", state);
	for (int i = 0; i < 3000; i++) {
		char *s = status(id);
		bool hit = strstr(s, want) && !strstr(s, "\"queued\":true");
		free(s);
		if (hit)
			return;
		usleep(1000);
	}
	test_fail(__FILE__, __LINE__, "job %ld never %s", id, state);
}

TEST(volmops_jobs_queue_per_resource)
{
	struct hold a = { 0 }, b = { 0 }, c = { 0 };
	struct bb_error e = { 0 };
	long ja = vmj_start(&hold_kind, "dev:x", &a, &e);
	long jb = vmj_start(&hold_kind, "dev:x", &b, &e);
	long jc = vmj_start(&hold_kind, "dev:y", &c, &e);
	CHECK(ja > 0 && jb > ja && jc > jb);
	for (int i = 0; i < 3000 && !(a.ran && c.ran); i++)
		usleep(1000);
	/* another resource runs alongside; the same one waits */
	CHECK(a.ran && c.ran);
	CHECK(!b.ran);
	long holder = 0;
	CHECK(vmj_resource_busy("dev:x", &holder));
	CHECK(!vmj_resource_busy("dev:z", &holder));
	char *s = status(jb);
	CHECK(strstr(s, "\"state\":\"running\"") && strstr(s, "\"queued\":true"));
	free(s);
	s = status(ja);
	CHECK(strstr(s, "\"progress\":25") && strstr(s, "\"rate_unit\":\"things/s\""));
	free(s);
	/* cancelling the first lets the second run */
	char *out = call("storage.job_cancel", ja);
	CHECK(strstr(out, "\"cancel_requested\":true") != NULL);
	free(out);
	wait_state(ja, "cancelled");
	for (int i = 0; i < 3000 && !b.ran; i++)
		usleep(1000);
	CHECK(b.ran);
	b.release = 1;
	c.release = 1;
	wait_state(jb, "done");
	wait_state(jc, "done");
	s = status(jb);
	CHECK(strstr(s, "\"result\":{\"answer\":\"held\"}") && strstr(s, "\"progress\":100"));
	free(s);
	s = status(ja);
	CHECK(strstr(s, "\"message\":\"stopped\"") != NULL);
	free(s);
	CHECK(!vmj_resource_busy("dev:x", &holder));
	s = status(999999);
	CHECK(strstr(s, "-32002") != NULL);
	free(s);
}
