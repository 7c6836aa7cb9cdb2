/* core/md.c on fake /sys trees: a clean and a degraded RAID1, a resync
 * in progress, a faulty member, and attributes full of junk. The values
 * written are what the kernel's md driver writes (drivers/md/md.c). */
#include "md.h"
#include "test.h"
#include "test_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static char sys[4096];

/* sys/REL holds TEXT (written as is: no newline added). */
static void put(const char *rel, const char *text)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", sys, rel);
	test_write_file(path, text);
}

static const struct sysroot *root(void)
{
	static struct sysroot r;
	snprintf(sys, sizeof(sys), "%s/sys", test_tmpdir());
	test_mkdirs(sys);
	r = (struct sysroot){ sys, "/nonexistent", "/dev" };
	char blk[4096];
	snprintf(blk, sizeof(blk), "%s/block", sys);
	test_mkdirs(blk);
	return &r;
}

/* An array the way the kernel shows a running one. */
static void array(const char *md, const char *level, const char *state, const char *disks,
		  const char *degraded, const char *action, const char *completed)
{
	char rel[256];
	struct {
		const char *name, *val;
	} a[] = {
		{ "level", level },	       { "array_state", state },
		{ "raid_disks", disks },       { "degraded", degraded },
		{ "sync_action", action },     { "sync_completed", completed },
		{ "mismatch_cnt", "0\n" },     { "metadata_version", "1.2\n" },
		{ "sync_speed", "none\n" },
	};
	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		snprintf(rel, sizeof(rel), "block/%s/md/%s", md, a[i].name);
		put(rel, a[i].val);
	}
	snprintf(rel, sizeof(rel), "block/%s/size", md);
	put(rel, "129024\n");
}

static void member(const char *md, const char *dev, const char *state, const char *slot)
{
	char rel[256], path[4096], target[256];
	snprintf(rel, sizeof(rel), "block/%s/md/dev-%s/state", md, dev), put(rel, state);
	snprintf(rel, sizeof(rel), "block/%s/md/dev-%s/slot", md, dev), put(rel, slot);
	snprintf(rel, sizeof(rel), "block/%s/md/dev-%s/errors", md, dev), put(rel, "0\n");
	snprintf(path, sizeof(path), "%s/block/%s/md/dev-%s/block", sys, md, dev);
	snprintf(target, sizeof(target), "../../../../devices/pci0000:00/virtio1/block/%s", dev);
	if (symlink(target, path))
		test_fail(__FILE__, __LINE__, "symlink %s: %s", path, strerror(errno));
}

TEST(md_raid1_clean)
{
	const struct sysroot *r = root();
	array("md0", "raid1\n", "clean\n", "2\n", "0\n", "idle\n", "none\n");
	member("md0", "vdb", "in_sync\n", "1\n");
	member("md0", "vda", "in_sync\n", "0\n");
	struct md_array a;
	struct bb_error e = { 0 };
	CHECK_EQ(md_read(r, "/dev/md0", &a, &e), 0);
	CHECK_STR(a.name, "md0");
	CHECK_STR(a.level, "raid1");
	CHECK_STR(a.array_state, "clean");
	CHECK_STR(a.sync_action, "idle");
	CHECK_STR(a.metadata, "1.2");
	CHECK_EQ(a.raid_disks, 2);
	CHECK_EQ(a.degraded, 0);
	CHECK_EQ(a.mismatch_cnt, 0);
	CHECK_EQ(a.size, 129024ull * 512);
	CHECK_EQ(a.sync_done, MD_UNKNOWN);
	CHECK_EQ(md_sync_permille(&a), -1);
	CHECK_EQ(a.sync_speed, MD_UNKNOWN);
	CHECK_EQ(a.nmembers, 2);
	CHECK_STR(a.members[0].dev, "vda"); /* sorted by slot */
	CHECK_EQ(a.members[0].slot, 0);
	CHECK_EQ(a.members[0].state, MD_IN_SYNC);
	CHECK_STR(a.members[1].dev, "vdb");
	CHECK_EQ(a.members[1].slot, 1);
	md_array_free(&a);
}

TEST(md_raid1_degraded_faulty_member)
{
	const struct sysroot *r = root();
	/* what mdadm --fail leaves: the member stays listed, faulty, slotless */
	array("md0", "raid1\n", "clean\n", "2\n", "1\n", "idle\n", "none\n");
	member("md0", "vda", "in_sync\n", "0\n");
	member("md0", "vdb", "faulty\n", "none\n");
	struct md_array a;
	CHECK_EQ(md_read(r, "md0", &a, NULL), 0);
	CHECK_EQ(a.degraded, 1);
	CHECK_EQ(a.nmembers, 2);
	CHECK_STR(a.members[0].dev, "vda");
	CHECK_STR(a.members[1].dev, "vdb");
	CHECK_EQ(a.members[1].state, MD_FAULTY);
	CHECK_EQ(a.members[1].slot, MD_UNKNOWN);
	char words[64];
	md_member_state_str(a.members[1].state, words, sizeof(words));
	CHECK_STR(words, "faulty");
	md_array_free(&a);
}

TEST(md_resync_progress)
{
	const struct sysroot *r = root();
	array("md5", "raid1\n", "active\n", "2\n", "0\n", "resync\n", "1024 / 4096\n");
	put("block/md5/md/sync_speed", "5120\n");
	member("md5", "nvme0n1p2", "in_sync\n", "0\n");
	/* a new disk being recovered in: a slot, not yet in sync -> spare */
	member("md5", "nvme1n1p2", "spare\n", "1\n");
	struct md_array a;
	CHECK_EQ(md_read(r, "md5", &a, NULL), 0);
	CHECK_STR(a.sync_action, "resync");
	CHECK_EQ(a.sync_done, 1024);
	CHECK_EQ(a.sync_total, 4096);
	CHECK_EQ(md_sync_permille(&a), 250);
	CHECK_EQ(a.sync_speed, 5120);
	CHECK_EQ(a.members[1].state, MD_SPARE);
	CHECK_EQ(a.members[1].slot, 1);
	md_array_free(&a);
}

TEST(md_junk_values)
{
	const struct sysroot *r = root();
	array("md9", "raid1\x1b[2J\n", "\n", "two\n", "-1\n", "resync now please\n", "5 / 0\n");
	put("block/md9/md/mismatch_cnt", "99999999999999999999999\n");
	put("block/md9/md/sync_speed", "0x10\n"); /* sysfs writes decimal only */
	put("block/md9/size", "18446744073709551615\n"); /* * 512 overflows */
	put("block/md9/md/metadata_version", "");
	member("md9", "vda", "\x01weird,,in_sync, write_mostly\tblocked\n", "0 1\n");
	/* a dev- entry that is a file, one with an empty name, and a FIFO in
	 * place of an attribute: none may crash or block the reader */
	put("block/md9/md/dev-vdz", "x");
	test_mkdirs(strcat(strcpy((char[4096]){ 0 }, sys), "/block/md9/md/dev-"));
	char fifo[4096];
	snprintf(fifo, sizeof(fifo), "%s/block/md9/md/degraded", sys);
	unlink(fifo);
	CHECK_EQ(mkfifo(fifo, 0600), 0);
	struct md_array a;
	CHECK_EQ(md_read(r, "md9", &a, NULL), 0);
	CHECK_STR(a.level, "");
	CHECK_STR(a.array_state, "");
	CHECK_STR(a.sync_action, "");
	CHECK_STR(a.metadata, "");
	CHECK_EQ(a.raid_disks, MD_UNKNOWN);
	CHECK_EQ(a.degraded, MD_UNKNOWN);
	CHECK_EQ(a.mismatch_cnt, MD_UNKNOWN);
	CHECK_EQ(a.sync_speed, MD_UNKNOWN);
	CHECK_EQ(a.sync_total, MD_UNKNOWN);
	CHECK_EQ(a.size, 0);
	/* dev-vdz has no state: listed (sysfs says it is a member), state 0 */
	CHECK_EQ(a.nmembers, 2);
	CHECK_STR(a.members[0].dev, "vda");
	CHECK_EQ(a.members[0].slot, MD_UNKNOWN);
	CHECK_EQ(a.members[0].state, MD_IN_SYNC | MD_WRITE_MOSTLY | MD_BLOCKED | MD_OTHER);
	CHECK_STR(a.members[1].dev, "vdz");
	CHECK_EQ(a.members[1].state, 0);
	md_array_free(&a);
}

TEST(md_member_name_from_link)
{
	const struct sysroot *r = root();
	array("md1", "raid1\n", "clean\n", "2\n", "0\n", "idle\n", "none\n");
	member("md1", "sda1", "in_sync\n", "0\n");
	/* a link whose last component is not a device name: the entry's wins */
	char path[4096];
	snprintf(path, sizeof(path), "%s/block/md1/md/dev-sda1/block", sys);
	unlink(path);
	CHECK_EQ(symlink("../../x/with blank", path), 0);
	struct md_array a;
	CHECK_EQ(md_read(r, "md1", &a, NULL), 0);
	CHECK_EQ(a.nmembers, 1);
	CHECK_STR(a.members[0].dev, "sda1");
	md_array_free(&a);
}

TEST(md_list_arrays)
{
	const struct sysroot *r = root();
	struct md_array *l;
	size_t n;
	struct bb_error e = { 0 };
	CHECK_EQ(md_list(r, &l, &n, &e), 0);
	CHECK_EQ(n, 0);
	md_list_free(l, n);
	array("md127", "raid1\n", "clean\n", "2\n", "0\n", "idle\n", "none\n");
	array("md0", "raid0\n", "clean\n", "2\n", "0\n", "none\n", "none\n");
	put("block/vda/size", "1000\n"); /* not an array */
	/* an inactive array (assembled, not started): md/ is there, level is empty */
	put("block/md1/md/array_state", "inactive\n");
	put("block/md1/md/level", "\n");
	CHECK_EQ(md_list(r, &l, &n, &e), 0);
	CHECK_EQ(n, 3);
	CHECK_STR(l[0].name, "md0");
	CHECK_STR(l[0].level, "raid0");
	CHECK_STR(l[1].name, "md1");
	CHECK_STR(l[1].array_state, "inactive");
	CHECK_STR(l[1].level, "");
	CHECK_STR(l[2].name, "md127");
	md_list_free(l, n);
}

TEST(md_read_errors)
{
	const struct sysroot *r = root();
	put("block/vda/size", "1000\n");
	struct md_array a;
	struct bb_error e = { 0 };
	CHECK_EQ(md_read(r, "vda", &a, &e), -1);
	CHECK_EQ(e.code, ENODEV);
	CHECK(strstr(e.msg, "vda: not an md array"));
	CHECK_EQ(md_read(r, "../block/vda", &a, &e), -1);
	CHECK_EQ(e.code, EINVAL);
	CHECK_EQ(md_read(r, "..", &a, &e), -1);
	CHECK_EQ(md_read(r, "", &a, &e), -1);
	struct sysroot none = { "/nonexistent", "/nonexistent", "/dev" };
	struct md_array *l;
	size_t n;
	CHECK_EQ(md_list(&none, &l, &n, &e), -1);
	CHECK_EQ(e.code, ENOENT);
}

TEST(md_parsers)
{
	uint64_t d, t;
	CHECK_EQ(md_parse_sync_completed("7 / 8", &d, &t), 0);
	CHECK_EQ(d, 7);
	CHECK_EQ(t, 8);
	CHECK_EQ(md_parse_sync_completed("none", &d, &t), -1);
	CHECK_EQ(d, MD_UNKNOWN);
	CHECK_EQ(md_parse_sync_completed("delayed", &d, &t), -1);
	CHECK_EQ(md_parse_sync_completed("7/8", &d, &t), -1);
	CHECK_EQ(md_parse_sync_completed("7 / ", &d, &t), -1);
	CHECK_EQ(md_parse_sync_completed(" / 8", &d, &t), -1);
	CHECK_EQ(md_parse_sync_completed("1 / 2 / 3", &d, &t), -1);
	CHECK_EQ(md_parse_member_state(""), 0);
	CHECK_EQ(md_parse_member_state("faulty,write_error"), MD_FAULTY | MD_WRITE_ERROR);
	CHECK_EQ(md_parse_member_state("in_syncx"), MD_OTHER);
	CHECK_EQ(md_parse_member_state("replacement,want_replacement"),
		 MD_REPLACEMENT | MD_WANT_REPLACEMENT);
	char w[8];
	CHECK_EQ(md_parse_word("raid10", w, sizeof(w)), 0);
	CHECK_STR(w, "raid10");
	CHECK_EQ(md_parse_word("read-auto", w, sizeof(w)), -1); /* too long for 8 */
	CHECK_STR(w, "");
	CHECK_EQ(md_parse_word("a b", w, sizeof(w)), -1);
	char s[12];
	md_member_state_str(MD_FAULTY | MD_IN_SYNC | MD_SPARE, s, sizeof(s));
	CHECK_STR(s, "faulty"); /* "faulty,in_sync" does not fit: whole words only */
	struct md_array a = { .sync_done = 3, .sync_total = UINT64_MAX - 1 };
	CHECK_EQ(md_sync_permille(&a), 0);
	a.sync_done = UINT64_MAX - 3;
	CHECK_EQ(md_sync_permille(&a), 999);
}
