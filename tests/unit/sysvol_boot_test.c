/* sysvol's boot of a provisioned node, the pure parts: the node verdict
 * from member superblocks (svb_decide) over the histories a two-disk
 * mirror goes through, and the degraded and members records. The
 * superblocks are parsed from bytes built here by the md 1.2 layout of
 * linux/raid/md_p.h, so the verdicts rest on what md_sb_compare reads. */
#include "../../applets/sysvol/boot.h"
#include "endian.h"
#include "test.h"

static const enum sv_mirror kinds[3] = { SV_MIRROR_MD090, SV_MIRROR_MD12, SV_MIRROR_BTRFS };

/* An md 1.2 member: device dev, events, the roles it gives devices 0, 1. */
static struct md_sb md_member(uint32_t dev, uint64_t events, uint64_t utime, uint16_t r0, uint16_t r1)
{
	uint8_t b[260] = { 0 };
	put_le32(b, 0xa92b4efc);
	put_le32(b + 4, 1);
	memset(b + 16, 0x5a, 16);
	put_le32(b + 72, 1);
	put_le32(b + 92, 2);
	put_le32(b + 160, dev);
	memset(b + 168, 0x40 + (int)dev, 16); /* device uuid */
	put_le64(b + 192, utime);
	put_le64(b + 200, events);
	put_le32(b + 220, 2);
	put_le16(b + 256, r0);
	put_le16(b + 258, r1);
	uint64_t s = 0;
	for (size_t i = 0; i < sizeof(b); i += 4)
		s += get_le32(b + i);
	put_le32(b + 216, (uint32_t)((s & 0xffffffff) + (s >> 32)));
	struct md_sb sb;
	const char *why;
	CHECK(!md_sb_parse1(b, sizeof(b), &sb, &why));
	return sb;
}

struct half {
	bool there;
	uint64_t events, utime, gen;
	bool sees_other;
};

/* The node's three mirrored volumes (ESP, boot, data) from two halves. */
static void node(struct half a, struct half b, unsigned expected, struct svb_node *out)
{
	struct svb_member m[3][SV_MIRROR];
	memset(m, 0, sizeof(m));
	const struct half h[2] = { a, b };
	for (int p = 0; p < 2; p++) {
		if (!h[p].there)
			continue;
		uint16_t other = h[p].sees_other ? (uint16_t)(1 - p) : MD_ROLE_SPARE;
		for (int v = 0; v < 3; v++) {
			m[v][p].there = true;
			if (kinds[v] == SV_MIRROR_BTRFS) {
				m[v][p].btrfs = true;
				memset(m[v][p].bt.fsid, 7, 16);
				m[v][p].bt.devid = (uint64_t)p + 1;
				m[v][p].bt.generation = h[p].gen;
			} else {
				m[v][p].md = true;
				m[v][p].sb = md_member((uint32_t)p, h[p].events, h[p].utime,
						       p ? other : 0, p ? 1 : other);
			}
		}
	}
	svb_decide((const struct svb_member(*)[SV_MIRROR])m, kinds, 3, expected, out);
}

TEST(sysvol_boot_decide)
{
	struct svb_node n;
	const struct half gone = { 0 };
	/* provisioned, both there, in step */
	node((struct half){ true, 20, 100, 9, true }, (struct half){ true, 20, 100, 9, true }, 2, &n);
	CHECK_EQ(n.action, SVB_BOTH);
	CHECK_EQ(n.use, -1);
	/* disk 2 missing, then disk 1 missing: each time the other one alone */
	node((struct half){ true, 20, 100, 9, true }, gone, 2, &n);
	CHECK_EQ(n.action, SVB_ALONE);
	CHECK_EQ(n.use, 0);
	node(gone, (struct half){ true, 20, 100, 9, true }, 2, &n);
	CHECK_EQ(n.action, SVB_ALONE);
	CHECK_EQ(n.use, 1);
	/* disk 2 returns after disk 1 ran alone: rejoin, disk 2 stale */
	node((struct half){ true, 31, 200, 15, false }, (struct half){ true, 20, 100, 9, true }, 2, &n);
	CHECK_EQ(n.action, SVB_REJOIN);
	CHECK_EQ(n.use, 0);
	CHECK_EQ(n.stale, 1);
	CHECK(n.md_stale);
	/* the same seen from the other side */
	node((struct half){ true, 20, 100, 9, true }, (struct half){ true, 31, 200, 15, false }, 2, &n);
	CHECK_EQ(n.action, SVB_REJOIN);
	CHECK_EQ(n.stale, 0);
	/* each ran alone: split brain; the half updated last is kept */
	node((struct half){ true, 31, 200, 15, false }, (struct half){ true, 25, 300, 11, false }, 2, &n);
	CHECK_EQ(n.action, SVB_SPLIT);
	CHECK_EQ(n.use, 1);
	CHECK(strstr(n.why, "each half ran without the other"));
	/* md says disk 1 went on, btrfs says disk 2 did: no history explains it */
	node((struct half){ true, 31, 200, 5, false }, (struct half){ true, 20, 100, 9, true }, 2, &n);
	CHECK_EQ(n.action, SVB_SPLIT);
	/* md in step, btrfs one generation behind on disk 2 (a commit cut
	 * short): btrfs alone lags, md is left as it is */
	node((struct half){ true, 20, 100, 10, true }, (struct half){ true, 20, 100, 9, true }, 2, &n);
	CHECK_EQ(n.action, SVB_REJOIN);
	CHECK(!n.md_stale);
	/* a single-disk node */
	node((struct half){ true, 20, 100, 9, true }, gone, 1, &n);
	CHECK_EQ(n.action, SVB_BOTH);
	/* nothing carries a superblock yet */
	struct svb_member empty[3][SV_MIRROR];
	memset(empty, 0, sizeof(empty));
	empty[0][0].there = empty[0][1].there = true;
	svb_decide((const struct svb_member(*)[SV_MIRROR])empty, kinds, 3, 2, &n);
	CHECK_EQ(n.action, SVB_NEW);
	CHECK_STR(svb_action_name(SVB_SPLIT), "split brain");
}

TEST(sysvol_boot_records)
{
	struct svb_record r = { 0 }, back;
	snprintf(r.since, sizeof(r.since), "2026-12-06T16:50:00Z");
	snprintf(r.missing, sizeof(r.missing), "disk2");
	snprintf(r.present, sizeof(r.present), "disk1");
	char text[512];
	CHECK(!svb_record_format(&r, "degraded", text, sizeof(text)));
	CHECK(strstr(text, "\nstate=degraded\n"));
	const char *why = NULL;
	CHECK(!svb_record_parse(text, &back, &why));
	CHECK_STR(back.since, r.since);
	CHECK_STR(back.missing, "disk2");
	CHECK_STR(back.present, "disk1");
	CHECK(svb_record_format(&r, "degraded", text, 40) == -1);
	/* damaged or foreign records are refused, not half-read */
	CHECK(svb_record_parse("since=2026\n", &back, &why) == -1 && why);
	CHECK(svb_record_parse("since=a b\nmissing=x\n", &back, &why) == -1);
	CHECK(svb_record_parse("since=\nmissing=x\n", &back, &why) == -1);
	char longv[200];
	memset(longv, 'x', sizeof(longv));
	snprintf(longv, sizeof(longv), "since=1\nmissing=%0120d\n", 0);
	CHECK(svb_record_parse(longv, &back, &why) == -1);
	CHECK(!svb_record_parse("# hand-written\nother=1\nmissing=d2\nsince=t", &back, &why));
	CHECK_STR(back.missing, "d2");
	CHECK_STR(back.since, "t");

	char s[80];
	const char *members = "# x\nSER-1 btrfs_devid=1\nSER-2  btrfs_devid=2\nbad btrfs_devid=22\n";
	CHECK(!svb_members_serial(members, 1, s, sizeof(s)));
	CHECK_STR(s, "SER-1");
	CHECK(!svb_members_serial(members, 2, s, sizeof(s)));
	CHECK_STR(s, "SER-2");
	CHECK(!svb_members_serial(members, 22, s, sizeof(s)));
	CHECK_STR(s, "bad");
	CHECK(svb_members_serial(members, 3, s, sizeof(s)) == -1);
	CHECK(svb_members_serial("btrfs_devid=1\n", 1, s, sizeof(s)) == -1);
}
