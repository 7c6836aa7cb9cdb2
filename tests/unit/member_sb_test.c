/* Member superblocks read from images: md 0.90, 1.0 and 1.2 superblocks
 * built here from linux/raid/md_p.h's layout (independently of the
 * parser) and checked by mdadm --examine, which must agree with what
 * md_sb_read finds; the verdicts of md_sb_compare on the member pairs a
 * mirror leaves behind; btrfs superblocks written by mkfs.btrfs, read
 * back and compared with btrfs inspect-internal dump-super. */
#include "btrfs.h"
#include "crc.h"
#include "endian.h"
#include "error.h"
#include "exec.h"
#include "md.h"
#include "test.h"

#include <fcntl.h>
#include <regex.h>
#include <sys/stat.h>
#include <unistd.h>

#define IMG_SIZE (32ull << 20)

/* ---- building md superblocks ---------------------------------------------- */

struct mkmd {
	unsigned version;       /* 90, 100, 102 */
	uint8_t uuid[16];
	uint64_t events;
	uint32_t dev_number;
	uint16_t roles[4];      /* what this member says of devices 0..3 */
	uint32_t nroles;
};

static void w32(uint8_t *b, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[off + i] = (uint8_t)(v >> 8 * i);
}

static void w64(uint8_t *b, size_t off, uint64_t v)
{
	w32(b, off, (uint32_t)v);
	w32(b, off + 4, (uint32_t)(v >> 32));
}

static uint32_t fold(uint64_t s)
{
	return (uint32_t)((s & 0xffffffff) + (s >> 32));
}

static size_t build1(const struct mkmd *m, uint8_t *b, uint64_t sb_sector)
{
	memset(b, 0, 1024);
	w32(b, 0, 0xa92b4efc);
	w32(b, 4, 1);
	memcpy(b + 16, m->uuid, 16);
	memcpy(b + 32, "rescue:mosboot", 14);
	w64(b, 64, 1700000000);
	w32(b, 72, 1);                      /* raid1 */
	w64(b, 80, 20000);                  /* size, sectors */
	w32(b, 92, 2);                      /* raid_disks */
	w64(b, 128, sb_sector ? 0 : 2048);  /* data_offset */
	w64(b, 136, 20000);                 /* data_size */
	w64(b, 144, sb_sector);
	w32(b, 160, m->dev_number);
	for (int i = 0; i < 16; i++)
		b[168 + i] = (uint8_t)(0x40 + m->dev_number * 16 + i);
	w64(b, 192, 1700000100);
	w64(b, 200, m->events);
	w64(b, 208, ~0ull);                 /* resync_offset: in sync */
	w32(b, 220, m->nroles);
	for (uint32_t i = 0; i < m->nroles; i++)
		b[256 + 2 * i] = (uint8_t)m->roles[i], b[257 + 2 * i] = (uint8_t)(m->roles[i] >> 8);
	size_t len = 256 + 2 * m->nroles;
	uint64_t s = 0;
	for (size_t i = 0; i + 4 <= len; i += 4)
		s += (uint32_t)b[i] | (uint32_t)b[i + 1] << 8 | (uint32_t)b[i + 2] << 16 |
		     (uint32_t)b[i + 3] << 24;
	w32(b, 216, fold(s));
	return len;
}

static void build090(const struct mkmd *m, uint8_t *b)
{
	memset(b, 0, 4096);
	uint32_t *w = (uint32_t *)b; /* built as the kernel does, in native words (x86) */
	w[0] = 0xa92b4efc, w[2] = 90, w[4] = 1;
	memcpy(&w[5], m->uuid, 4);
	memcpy(&w[13], m->uuid + 4, 12);
	w[6] = 1700000000, w[7] = 1, w[8] = 10000, w[9] = 2, w[10] = 2;
	w[32] = 1700000100, w[33] = 1; /* clean */
	w[39] = (uint32_t)m->events, w[40] = (uint32_t)(m->events >> 32);
	uint32_t active = 0;
	for (uint32_t i = 0; i < m->nroles; i++) {
		uint32_t *d = &w[128 + 32 * i];
		d[0] = i, d[3] = i;
		if (m->roles[i] < 2)
			d[4] = 6, active++; /* active, sync */
		else
			d[4] = 9; /* faulty, removed: how the kernel marks a missing slot */
	}
	w[34] = w[35] = active;
	w[36] = 2 - active;
	memcpy(&w[992], &w[128 + 32 * m->dev_number], 128);
	uint64_t s = 0;
	for (int i = 0; i < 1024; i++)
		s += w[i];
	w[38] = fold(s);
}

/* An image of IMG_SIZE with m's superblock where its version keeps it. */
static const char *md_image(const char *name, const struct mkmd *m)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK(!ftruncate(fd, (off_t)IMG_SIZE));
	uint8_t b[4096];
	uint64_t off;
	size_t len;
	if (m->version == 90) {
		build090(m, b);
		off = IMG_SIZE - 65536, len = 4096;
	} else if (m->version == 100) {
		uint64_t sect = ((IMG_SIZE / 512 - 16) & ~7ull);
		len = build1(m, b, sect), off = sect * 512;
	} else {
		len = build1(m, b, 8), off = 4096;
	}
	CHECK(pwrite(fd, b, len, (off_t)off) == (ssize_t)len);
	close(fd);
	return path;
}

static int read_md(const char *path, struct md_sb *sb)
{
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	struct bb_error e = { 0 };
	int r = md_sb_read(fd, IMG_SIZE, sb, &e);
	CHECK(r >= 0);
	close(fd);
	return r;
}

/* stdout of argv, or NULL when the tool is not installed. */
static char *peer(const char *const argv[])
{
	struct run_result r;
	struct bb_error e = { 0 };
	if (run_argv(argv, RUN_OUT | RUN_QUIET, NULL, &r, &e) < 0)
		return NULL;
	char *out = r.out;
	r.out = NULL;
	run_free(&r);
	return out;
}

static bool matches(const char *text, const char *re)
{
	regex_t rx;
	CHECK(!regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE | REG_NOSUB));
	bool m = !regexec(&rx, text, 0, NULL, 0);
	regfree(&rx);
	return m;
}

static void check_examine(const char *path, const struct mkmd *m, const char *state)
{
	char *out = peer((const char *const[]){ "mdadm", "--examine", path, NULL });
	if (!out)
		return; /* no mdadm: the parser's own checks stand */
	char re[128];
	snprintf(re, sizeof(re), "Events : (0\\.)?%llu$", (unsigned long long)m->events);
	if (!matches(out, re))
		test_fail(__FILE__, __LINE__, "mdadm --examine: no '%s' in:\n%s", re, out);
	if (!matches(out, "Checksum : [0-9a-f]+ - correct$"))
		test_fail(__FILE__, __LINE__, "mdadm --examine: checksum not correct in:\n%s", out);
	if (m->version != 90) {
		snprintf(re, sizeof(re), "Array State : %s ", state);
		if (!matches(out, re))
			test_fail(__FILE__, __LINE__, "mdadm --examine: no '%s' in:\n%s", re, out);
	}
	struct md_sb sb;
	CHECK(!read_md(path, &sb));
	char u[36];
	snprintf(re, sizeof(re), "UUID : %s", md_sb_uuid_str(&sb, u));
	if (!matches(out, re))
		test_fail(__FILE__, __LINE__, "mdadm --examine: no '%s' in:\n%s", re, out);
	free(out);
}

static struct mkmd member(unsigned version, uint32_t dev, uint64_t events, uint16_t r0, uint16_t r1)
{
	struct mkmd m = { .version = version, .events = events, .dev_number = dev, .nroles = 2 };
	for (int i = 0; i < 16; i++)
		m.uuid[i] = (uint8_t)(0xa0 + i);
	m.roles[0] = r0, m.roles[1] = r1;
	return m;
}

static void md_roundtrip(unsigned version)
{
	struct mkmd m = member(version, 1, 4242, 0, 1);
	const char *p = md_image("both.img", &m);
	struct md_sb sb;
	CHECK_EQ(read_md(p, &sb), 0);
	CHECK_EQ(sb.version, version == 102 ? 102 : version);
	CHECK_EQ(sb.events, 4242);
	CHECK_EQ(sb.dev_number, 1);
	CHECK_EQ(sb.raid_disks, 2);
	CHECK_EQ(sb.level, 1);
	CHECK(!memcmp(sb.uuid, m.uuid, 16));
	CHECK_EQ(sb.features, 0); /* no write-intent bitmap */
	CHECK(md_sb_sees_active(&sb, 0) && md_sb_sees_active(&sb, 1));
	check_examine(p, &m, "AA");

	/* the half that ran alone: device 0 no longer counted */
	m = member(version, 1, 4300, MD_ROLE_SPARE, 1);
	p = md_image("alone.img", &m);
	CHECK_EQ(read_md(p, &sb), 0);
	CHECK(!md_sb_sees_active(&sb, 0) && md_sb_sees_active(&sb, 1));
	check_examine(p, &m, "\\.A");
}

TEST(md_sb_12) { md_roundtrip(102); }
TEST(md_sb_10) { md_roundtrip(100); }
TEST(md_sb_090) { md_roundtrip(90); }

TEST(md_sb_damaged)
{
	for (unsigned v = 90; v <= 102; v += v == 90 ? 10 : 2) {
		struct mkmd m = member(v, 0, 7, 0, 1);
		const char *p = md_image("bad.img", &m);
		int fd = open(p, O_RDWR);
		uint64_t off = v == 90 ? IMG_SIZE - 65536 : v == 102 ? 4096 : ((IMG_SIZE / 512 - 16) & ~7ull) * 512;
		uint8_t byte;
		CHECK(pread(fd, &byte, 1, (off_t)(off + 200)) == 1);
		byte ^= 0x10; /* events (1.x) or a descriptor (0.90): the checksum no longer fits */
		CHECK(pwrite(fd, &byte, 1, (off_t)(off + 200)) == 1);
		close(fd);
		struct md_sb sb;
		CHECK_EQ(read_md(p, &sb), MD_SB_NONE);
	}
	/* nothing at all */
	char path[4096];
	snprintf(path, sizeof(path), "%s/zero.img", test_tmpdir());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(!ftruncate(fd, (off_t)IMG_SIZE));
	close(fd);
	struct md_sb sb;
	CHECK_EQ(read_md(path, &sb), MD_SB_NONE);

	/* more roles than a 1 KiB superblock holds */
	uint8_t b[1024];
	struct mkmd m = member(102, 0, 7, 0, 1);
	build1(&m, b, 8);
	b[220] = 0xff, b[221] = 0x7f;
	const char *why = NULL;
	CHECK(md_sb_parse1(b, sizeof(b), &sb, &why) == -1 && why);
}

TEST(md_sb_bitmap_feature)
{
	uint8_t b[1024];
	struct mkmd m = member(102, 0, 7, 0, 1);
	size_t len = build1(&m, b, 8);
	w32(b, 8, 1); /* feature_map: bitmap offset valid */
	w32(b, 216, 0);
	uint64_t s = 0;
	for (size_t i = 0; i < len; i += 4)
		s += (uint32_t)b[i] | (uint32_t)b[i + 1] << 8 | (uint32_t)b[i + 2] << 16 |
		     (uint32_t)b[i + 3] << 24;
	w32(b, 216, fold(s));
	struct md_sb sb;
	const char *why;
	CHECK(!md_sb_parse1(b, len, &sb, &why));
	CHECK_EQ(sb.features & 1, 1);
}

static struct md_sb parsed(struct mkmd m)
{
	uint8_t b[4096];
	struct md_sb sb;
	const char *why;
	if (m.version == 90) {
		build090(&m, b);
		CHECK(!md_sb_parse090(b, sizeof(b), &sb, &why));
	} else {
		size_t len = build1(&m, b, 8);
		CHECK(!md_sb_parse1(b, len, &sb, &why));
	}
	return sb;
}

TEST(md_sb_compare_verdicts)
{
	for (unsigned v = 90; v <= 102; v += 12) {
		const uint16_t gone = MD_ROLE_SPARE;
		struct md_sb a = parsed(member(v, 0, 100, 0, 1)), b = parsed(member(v, 1, 100, 0, 1));
		CHECK_EQ(md_sb_compare(&a, &b), MD_IN_STEP);
		/* b left while the machine was off; a booted alone and went on */
		struct md_sb a2 = parsed(member(v, 0, 130, 0, gone));
		CHECK_EQ(md_sb_compare(&a2, &b), MD_A_NEWER);
		CHECK_EQ(md_sb_compare(&b, &a2), MD_B_NEWER);
		/* then b booted alone too */
		struct md_sb b2 = parsed(member(v, 1, 110, gone, 1));
		CHECK_EQ(md_sb_compare(&a2, &b2), MD_SPLIT);
		CHECK_EQ(md_sb_compare(&b2, &a2), MD_SPLIT);
		/* a "stale" half with more updates than the one that went on */
		struct md_sb b3 = parsed(member(v, 1, 500, 0, 1));
		CHECK_EQ(md_sb_compare(&a2, &b3), MD_SPLIT);
		/* another array, or the same member twice */
		struct mkmd o = member(v, 1, 100, 0, 1);
		o.uuid[3] ^= 1;
		struct md_sb c = parsed(o);
		CHECK_EQ(md_sb_compare(&a, &c), MD_FOREIGN);
		CHECK_EQ(md_sb_compare(&a, &a), MD_FOREIGN);
		CHECK_STR(md_verdict_name(MD_SPLIT), "split brain");
	}
}

/* ---- btrfs ------------------------------------------------------------------ */

static char *dump_field(const char *dump, const char *key, char *buf, size_t len)
{
	for (const char *p = dump; (p = strstr(p, key)); p++) {
		if (p != dump && p[-1] != '\n')
			continue;
		p += strlen(key);
		if (*p != ' ' && *p != '\t')
			continue;
		p += strspn(p, " \t");
		size_t n = strcspn(p, "\n");
		snprintf(buf, len, "%.*s", (int)n, p);
		return buf;
	}
	return NULL;
}

static void uuid_text(const uint8_t *u, char *out)
{
	sprintf(out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
		u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

TEST(btrfs_super_from_mkfs)
{
	char a[4096], b[4096], bin[4096];
	if (!which("mkfs.btrfs", bin, sizeof(bin)) || !which("btrfs", bin, sizeof(bin)))
		test_skip("mkfs.btrfs or btrfs not installed (btrfs-progs)");
	snprintf(a, sizeof(a), "%s/a.img", test_tmpdir());
	snprintf(b, sizeof(b), "%s/b.img", test_tmpdir());
	for (const char *p = a; p; p = p == a ? b : NULL) {
		int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
		CHECK(fd >= 0 && !ftruncate(fd, 256 << 20));
		close(fd);
	}
	char *mk = peer((const char *const[]){ "mkfs.btrfs", "-q", "-f", "-L", "MOSDATA", "-d", "raid1",
					      "-m", "raid1", a, b, NULL });
	CHECK(mk);
	free(mk);
	for (int i = 0; i < 2; i++) {
		const char *p = i ? b : a;
		char *dump = peer((const char *const[]){ "btrfs", "inspect-internal", "dump-super", p, NULL });
		CHECK(dump);
		int fd = open(p, O_RDONLY);
		struct btrfs_super s;
		struct bb_error e = { 0 };
		CHECK_EQ(btrfs_super_read(fd, &s, &e), 0);
		close(fd);
		char v[128], u[40];
		CHECK(s.csum_checked);
		CHECK_STR(s.label, dump_field(dump, "label", v, sizeof(v)));
		CHECK_EQ(s.generation, strtoull(dump_field(dump, "generation", v, sizeof(v)), NULL, 10));
		CHECK_EQ(s.num_devices, 2);
		CHECK_EQ(s.num_devices, strtoull(dump_field(dump, "num_devices", v, sizeof(v)), NULL, 10));
		CHECK_EQ(s.devid, strtoull(dump_field(dump, "dev_item.devid", v, sizeof(v)), NULL, 10));
		CHECK_EQ(s.devid, (uint64_t)i + 1);
		uuid_text(s.fsid, u);
		CHECK_STR(u, dump_field(dump, "fsid", v, sizeof(v)));
		uuid_text(s.dev_uuid, u);
		CHECK_STR(u, dump_field(dump, "dev_item.uuid", v, sizeof(v)));
		/* never mounted: no UUID tree yet (what sysvol tells a cut mkfs by) */
		CHECK_EQ(s.uuid_tree_generation, 0);
		CHECK_EQ(s.uuid_tree_generation,
			 strtoull(dump_field(dump, "uuid_tree_generation", v, sizeof(v)), NULL, 10));
		free(dump);
	}
	/* the UUID tree's generation as a mount leaves it, checksum mended:
	 * read where btrfs-progs reads it */
	{
		int fd = open(b, O_RDWR);
		uint8_t sb[BTRFS_SUPER_SIZE];
		CHECK(pread(fd, sb, sizeof(sb), BTRFS_SUPER_OFFSET) == (ssize_t)sizeof(sb));
		put_le64(sb + 0x233, 4242);
		put_le32(sb, crc32c(0, sb + 0x20, sizeof(sb) - 0x20));
		CHECK(pwrite(fd, sb, sizeof(sb), BTRFS_SUPER_OFFSET) == (ssize_t)sizeof(sb));
		struct btrfs_super s;
		struct bb_error e = { 0 };
		CHECK_EQ(btrfs_super_read(fd, &s, &e), 0);
		close(fd);
		char *dump = peer((const char *const[]){ "btrfs", "inspect-internal", "dump-super", b, NULL });
		char v[128];
		CHECK(dump);
		CHECK_EQ(s.uuid_tree_generation, 4242);
		CHECK_STR(dump_field(dump, "uuid_tree_generation", v, sizeof(v)), "4242");
		free(dump);
	}
	/* one flipped bit of the generation: the checksum no longer fits */
	int fd = open(a, O_RDWR);
	uint8_t byte;
	CHECK(pread(fd, &byte, 1, BTRFS_SUPER_OFFSET + 0x48) == 1);
	byte ^= 1;
	CHECK(pwrite(fd, &byte, 1, BTRFS_SUPER_OFFSET + 0x48) == 1);
	struct btrfs_super s;
	struct bb_error e = { 0 };
	CHECK_EQ(btrfs_super_read(fd, &s, &e), BTRFS_SUPER_NONE);
	close(fd);
}
