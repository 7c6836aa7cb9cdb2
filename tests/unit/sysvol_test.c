/* sysvol_test.c - sysvol's layout parser, the choice of disks, partition
 * device names and derived identifiers, without any device. */
#include "../../applets/sysvol/sysvol.h"
#include "test.h"

#include "error.h"

#include <unistd.h>

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

static int parse(struct sv_layout *l, const char *text, struct bb_error *e)
{
	return sv_layout_parse(l, text, strlen(text), e);
}

/* The built-in layout is the original's (seed 000, "Partition Layout"),
 * with mos-bin at /var/cache/bin (issue 11). */
TEST(sysvol_layout_builtin_is_the_original)
{
	static struct sv_layout l;
	struct bb_error e = { 0 };
	CHECK(!sv_layout_load(&l, NULL, &e));
	CHECK_EQ(l.nparts, 5u);
	static const struct {
		const char *name, *type, *label, *mount;
		uint64_t size;
		enum sv_format f;
		enum sv_mirror m;
	} want[] = {
		{ "mosbios", "bios_boot", "", "", MIB, SV_FMT_RAW, SV_MIRROR_NONE },
		{ "mosefi", "esp", "MOSEFI", "/boot/efi", 100 * MIB, SV_FMT_VFAT, SV_MIRROR_MD090 },
		{ "mosboot", "linux", "MOSBOOT", "/boot", GIB, SV_FMT_EXT4, SV_MIRROR_MD12 },
		{ "mosswap", "swap", "MOSSWAP", "", 2 * GIB, SV_FMT_SWAP, SV_MIRROR_NONE },
		{ "mosdata", "linux", "MOSDATA", "", 4 * GIB, SV_FMT_BTRFS, SV_MIRROR_BTRFS },
	};
	for (size_t i = 0; i < 5; i++) {
		CHECK_STR(l.part[i].name, want[i].name);
		CHECK_STR(l.part[i].type, want[i].type);
		CHECK_STR(l.part[i].label, want[i].label);
		CHECK_STR(l.part[i].mount, want[i].mount);
		CHECK_EQ(l.part[i].size, want[i].size);
		CHECK_EQ(l.part[i].format, want[i].f);
		CHECK_EQ(l.part[i].mirror, want[i].m);
	}
	CHECK_STR(l.part[3].size_key, "mosswap");
	CHECK_STR(l.part[4].size_key, "mossize");
	CHECK_EQ(l.data, 4);
	static const char *const subs[][2] = {
		{ "system", "/var/cache/system" }, { "etc", "/var/cache/etc" },
		{ "modules", "/var/cache/modules" }, { "vm-meta", "/var/cache/vm-meta" },
		{ "mos-bin", "/var/cache/bin" },
	};
	CHECK_EQ(l.nsubs, 5u);
	for (size_t i = 0; i < 5; i++) {
		CHECK_STR(l.sub[i].name, subs[i][0]);
		CHECK_STR(l.sub[i].mount, subs[i][1]);
	}
	/* FAT32 needs 65525 clusters: 260 MiB on 4096-byte sectors */
	CHECK_EQ(sv_part_size(&l.part[1], 4096), 260 * MIB);
	CHECK_EQ(sv_part_size(&l.part[1], 512), 100 * MIB);
	/* 1 + 100 + 1024 + 2048 + 4096 MiB and 2 MiB of tables */
	CHECK_EQ(sv_layout_need(&l, 512), (1 + 100 + 1024 + 2048 + 4096 + 2) * MIB);
	CHECK_EQ(sv_layout_need(&l, 4096), (1 + 260 + 1024 + 2048 + 4096 + 2) * MIB);
}

TEST(sysvol_layout_sizes_from_the_command_line)
{
	static struct sv_layout l;
	struct bb_error e = { 0 };
	struct cmdline cl;
	const char *why;
	CHECK(!sv_layout_load(&l, NULL, &e));
	CHECK(!cmdline_parse(&cl, "quiet mossize=10 mosswap=1", &why));
	CHECK(!sv_layout_resolve(&l, &cl, &e));
	CHECK_EQ(l.part[3].size, GIB);
	CHECK_EQ(l.part[4].size, 10 * GIB);
	cmdline_free(&cl);
	static const char *const bad[] = { "mossize=0", "mossize=x", "mosswap=65537", "mosswap=-1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(!sv_layout_load(&l, NULL, &e));
		CHECK(!cmdline_parse(&cl, bad[i], &why));
		bb_error_clear(&e);
		CHECK(sv_layout_resolve(&l, &cl, &e) == -1);
		CHECK(strstr(e.msg, "not a number of GiB"));
		cmdline_free(&cl);
	}
}

TEST(sysvol_layout_replacement_file)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/layout.conf", test_tmpdir());
	FILE *f = fopen(path, "w");
	CHECK(f);
	fputs("# two partitions\n[partition]\nname = efi\ntype = esp\nsize = 300M\nformat = vfat\n"
	      "label = EFI\nmount = /efi\n\n[partition]\nname=root\ntype=linux\nsize=2G\n"
	      "format=btrfs\nmirror=btrfs-raid1\n[subvolume]\nname=a\nmount=/a\n", f);
	fclose(f);
	static struct sv_layout l;
	struct bb_error e = { 0 };
	CHECK(!sv_layout_load(&l, path, &e));
	CHECK_EQ(l.nparts, 2u);
	CHECK_STR(l.from, path);
	CHECK_EQ(l.part[0].size, 300 * MIB);
	CHECK_EQ(l.part[1].size, 2 * GIB);
	CHECK_EQ(l.data, 1);
	CHECK_EQ(l.nsubs, 1u);
	CHECK(sv_layout_load(&l, "/nonexistent/layout", &e) == -1);
	CHECK(strstr(e.msg, "/nonexistent/layout"));
}

/* Each bad layout is refused with the line and what is wrong. */
TEST(sysvol_layout_refusals)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "", "no [partition]" },
		{ "name = x\n", "line 1: name: a key before the first" },
		{ "[disk]\n", "line 1: '[disk]'" },
		{ "[partition]\nname = a\ntype = linux\n", "line 1: [partition] needs name, type and size" },
		{ "[partition]\nname = a b\n", "line 2: name: 'a b'" },
		{ "[partition]\nname = 0123456789012345678901234567890123456\n", "line 2: name:" },
		{ "[partition]\nname = a\nname = b\n", "line 3: name: given twice" },
		{ "[partition]\ntype = nosuch\n", "line 2: type: 'nosuch'" },
		{ "[partition]\nsize = 1X\n", "line 2: size: '1X'" },
		{ "[partition]\nsize = 4K\n", "line 2: size: '4K': at least 1M" },
		{ "[partition]\nsize = cmdline:k\n", "line 2: size: 'cmdline:k'" },
		{ "[partition]\nsize = cmdline:k:0\n", "the default is a number of GiB" },
		{ "[partition]\nsize = cmdline:a b:1\n", "a command line key" },
		{ "[partition]\nformat = xfs\n", "line 2: format: 'xfs'" },
		{ "[partition]\nmirror = raid5\n", "line 2: mirror: 'raid5'" },
		{ "[partition]\nlabel = A B\n", "line 2: label: 'A B'" },
		{ "[partition]\nmount = relative\n", "line 2: mount: 'relative'" },
		{ "[partition]\nmount = /a/../b\n", "line 2: mount: '/a/../b'" },
		{ "[partition]\nmount = /a//b\n", "line 2: mount:" },
		{ "[partition]\nsize\n", "line 2: 'size': want key = value" },
		{ "[partition]\nsize =\n", "line 2: size: an empty value" },
		{ "[partition]\nwhat = 1\n", "line 2: 'what': not a [partition] key" },
		{ "[partition]\nname=a\ntype=esp\nsize=1G\nformat=vfat\nlabel=TWELVECHARSX\n",
		  "label 'TWELVECHARSX' is too long for vfat" },
		{ "[partition]\nname=a\ntype=linux\nsize=1G\nmirror=md-1.2\n", "a raw partition has nothing" },
		{ "[partition]\nname=a\ntype=linux\nsize=1G\nformat=ext4\nmirror=btrfs-raid1\n",
		  "mirror btrfs-raid1 goes with format btrfs" },
		{ "[partition]\nname=a\ntype=linux\nsize=1G\nformat=btrfs\nmirror=md-1.2\n",
		  "mirror btrfs-raid1 goes with format btrfs" },
		{ "[partition]\nname=a\ntype=swap\nsize=1G\nformat=swap\nmount=/s\n",
		  "a swap partition is not mounted" },
		{ "[partition]\nname=a\ntype=linux\nsize=1G\n[partition]\nname=a\ntype=linux\nsize=1G\n",
		  "partition name a is used twice" },
		{ "[partition]\nname=a\ntype=linux\nsize=1G\nformat=ext4\nlabel=L\n[partition]\nname=b\n"
		  "type=linux\nsize=1G\nformat=ext4\nlabel=L\n", "label L is used twice" },
		{ "[partition]\nname=a\ntype=linux\nsize=1G\n[subvolume]\nname=s\nmount=/s\n",
		  "a subvolume without a btrfs partition" },
		{ "[partition]\nname=a\ntype=linux\nsize=1G\nformat=btrfs\n[subvolume]\nname=s\n",
		  "[subvolume] needs name and mount" },
		{ "[partition]\nname=a\ntype=linux\nsize=1G\nformat=btrfs\n[subvolume]\nname=..\nmount=/s\n",
		  "line 7: name: '..'" },
		{ "[partition]\nname=a\ntype=linux\nsize=1G\nformat=btrfs\n[subvolume]\nname=s\nmount=/s\n"
		  "[subvolume]\nname=s\nmount=/t\n", "subvolume s is defined twice" },
		{ "[partition]\nname=a\ntype=linux\nsize=1G\nformat=ext4\nmount=/s\n[partition]\nname=b\n"
		  "type=linux\nsize=1G\nformat=btrfs\n[subvolume]\nname=s\nmount=/s\n",
		  "mount point /s is used twice" },
		{ "[partition]\nname=a\ntype=linux\nsize=1G\nformat=btrfs\n[partition]\nname=b\ntype=linux\n"
		  "size=1G\nformat=btrfs\n[subvolume]\nname=s\nmount=/s\n",
		  "subvolumes need exactly one btrfs partition" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		static struct sv_layout l;
		struct bb_error e = { 0 };
		if (parse(&l, cases[i].text, &e) != -1)
			test_fail(__FILE__, __LINE__, "case %zu accepted", i);
		if (!strstr(e.msg, cases[i].want))
			test_fail(__FILE__, __LINE__, "case %zu: '%s' lacks '%s'", i, e.msg, cases[i].want);
	}
	/* a NUL inside, a line too long, too many sections */
	static struct sv_layout l;
	struct bb_error e = { 0 };
	CHECK(sv_layout_parse(&l, "[partition]\0x", 13, &e) == -1 && strstr(e.msg, "NUL"));
	char big[1200];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK(parse(&l, big, &e) == -1 && strstr(e.msg, "longer than"));
	char many[17 * 64] = "";
	for (int i = 0; i < 17; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
			 "[partition]\nname=p%d\ntype=linux\nsize=1M\n", i);
	CHECK(parse(&l, many, &e) == -1 && strstr(e.msg, "more than 16 partitions"));
}

TEST(sysvol_partition_device_names)
{
	struct sv_disk d = { .path = "/dev/vda" };
	char p[SV_DEV];
	sv_part_dev(&d, 2, p, sizeof(p));
	CHECK_STR(p, "/dev/vda2");
	snprintf(d.path, sizeof(d.path), "/dev/nvme0n1");
	sv_part_dev(&d, 1, p, sizeof(p));
	CHECK_STR(p, "/dev/nvme0n1p1");
	snprintf(d.path, sizeof(d.path), "/dev/mmcblk0");
	sv_part_dev(&d, 5, p, sizeof(p));
	CHECK_STR(p, "/dev/mmcblk0p5");
}

static struct sv_ctx *ctx_with(const char *spec)
{
	/* "id:size_gib:rot ..." blank disks */
	static struct sv_ctx c;
	memset(&c, 0, sizeof(c));
	c.node[0] = c.node[1] = -1;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *t = strtok(buf, " "); t; t = strtok(NULL, " ")) {
		struct sv_disk *d = &c.disk[c.ndisks++];
		unsigned gib, rot;
		char id[32];
		CHECK(sscanf(t, "%31[^:]:%u:%u", id, &gib, &rot) == 3);
		snprintf(d->name, sizeof(d->name), "%s", id);
		snprintf(d->id, sizeof(d->id), "%s", id);
		d->size = gib * GIB;
		d->rotational = rot;
		d->kind = SV_DISK_BLANK;
	}
	return &c;
}

static const char *chosen(struct sv_ctx *c)
{
	static char out[64];
	struct bb_error e = { 0 };
	CHECK(!sv_choose(c, &e));
	out[0] = 0;
	for (unsigned k = 0; k < c->nnode; k++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", k ? "," : "",
			 c->disk[c->node[k]].id);
	return out;
}

TEST(sysvol_choice_of_disks)
{
	CHECK_STR(chosen(ctx_with("a:8:1")), "a");
	CHECK_STR(chosen(ctx_with("a:8:1 b:8:1")), "a,b");
	/* non-rotational before rotational */
	CHECK_STR(chosen(ctx_with("a:8:1 b:8:1 c:8:0 d:8:0")), "c,d");
	/* a tier with one disk cannot mirror: the other tier's pair */
	CHECK_STR(chosen(ctx_with("a:8:1 b:8:1 c:8:0")), "a,b");
	/* equal sizes preferred, then the larger pair */
	CHECK_STR(chosen(ctx_with("a:8:1 b:9:1 c:16:1 d:8:1")), "a,d");
	CHECK_STR(chosen(ctx_with("a:8:1 b:8:1 c:16:1 d:16:1")), "c,d");
	/* one of each tier: single on the non-rotational one */
	struct sv_ctx *c = ctx_with("a:8:1 b:8:0");
	CHECK_STR(chosen(c), "b");
	CHECK(strstr(c->disk[0].why, "not used"));
	/* none blank: diskless */
	c = ctx_with("a:8:1");
	c->disk[0].kind = SV_DISK_FOREIGN;
	CHECK_STR(chosen(c), "");
	CHECK_EQ(c->nnode, 0u);
	/* the node's order follows the ids, not the kernel's names */
	c = ctx_with("z:8:1 y:8:1");
	CHECK_STR(chosen(c), "y,z");
	CHECK_STR(c->rep.mode, "mirror");
}

TEST(sysvol_derived_ids_follow_the_disks)
{
	struct sv_ctx *c = ctx_with("a:8:1 b:8:1");
	chosen(c);
	struct uuid u1, u2, u3;
	sv_derive(c, "fs:mosdata", &u1);
	sv_derive(c, "fs:mosdata", &u2);
	CHECK(uuid_eq(&u1, &u2));
	sv_derive(c, "fs:mosboot", &u3);
	CHECK(!uuid_eq(&u1, &u3));
	CHECK_EQ(uuid_version(&u1), 8u);
	c = ctx_with("b:8:1 a:8:1"); /* the same disks, found the other way round */
	chosen(c);
	sv_derive(c, "fs:mosdata", &u2);
	CHECK(uuid_eq(&u1, &u2));
	c = ctx_with("a:8:1 c:8:1");
	chosen(c);
	sv_derive(c, "fs:mosdata", &u2);
	CHECK(!uuid_eq(&u1, &u2));
}

/* The partition table of a blank disk, written to an image file: the
 * layout's names, types and sizes, 1 MiB-aligned, GUIDs derived from
 * the serial; planned again, the same table. */
TEST(sysvol_table_of_a_blank_disk)
{
	static struct sv_ctx c;
	memset(&c, 0, sizeof(c));
	struct bb_error e = { 0 };
	CHECK(!sv_layout_load(&c.layout, NULL, &e));
	char path[512];
	snprintf(path, sizeof(path), "%s/disk.img", test_tmpdir());
	FILE *f = fopen(path, "w");
	CHECK(f && !ftruncate(fileno(f), 8 * GIB));
	fclose(f);
	struct sv_disk *d = &c.disk[c.ndisks++];
	snprintf(d->path, sizeof(d->path), "%s", path);
	snprintf(d->name, sizeof(d->name), "img");
	snprintf(d->id, sizeof(d->id), "serial-1");
	d->size = 8 * GIB;
	d->lsec = 512;
	d->kind = SV_DISK_BLANK;
	c.node[0] = 0;
	c.nnode = 1;
	sv_vols_members(&c);
	CHECK_STR(c.vol[4].dev, strcat(strcpy((char[600]){ 0 }, path), "5"));
	CHECK(!sv_plan_tables(&c, &e));
	CHECK_EQ(c.nsteps, 1u);
	CHECK_EQ(c.step[0].kind, SV_STEP_GPT);
	if (sv_run_steps(&c, &e))
		test_fail(__FILE__, __LINE__, "%s", e.msg);
	sv_steps_free(&c);
}

static void blank_node(struct sv_ctx *c, unsigned ndisks, unsigned lsec)
{
	for (unsigned k = 0; k < ndisks; k++) {
		struct sv_disk *d = &c->disk[c->ndisks++];
		snprintf(d->path, sizeof(d->path), "/dev/vd%c", 'a' + k);
		snprintf(d->id, sizeof(d->id), "disk%u", k + 1);
		d->size = 16 * GIB;
		d->lsec = lsec;
		d->kind = SV_DISK_BLANK;
		c->node[k] = (int)k;
	}
	c->nnode = ndisks;
	c->dry_run = true;
	sv_vols_members(c);
}

/* A FAT32 ESP on 4096-byte sectors needs 65525 clusters of 4 KiB: a
 * layout without min-size-4k is refused before anything is planned to
 * be written; the built-in one (260 MiB) is not, on one disk or on a
 * mirror whose md 0.90 superblock takes the last 64 KiB. */
TEST(sysvol_esp_on_4k_sectors)
{
	static struct sv_ctx c;
	struct bb_error e = { 0 };
	static const char small[] = "[partition]\nname=mosefi\ntype=esp\nsize=100M\nformat=vfat\n"
				    "label=MOSEFI\nmirror=md-0.90\nmount=/boot/efi\n";
	for (unsigned n = 1; n <= 2; n++) {
		memset(&c, 0, sizeof(c));
		CHECK(!sv_layout_parse(&c.layout, small, strlen(small), &e));
		blank_node(&c, n, 4096);
		bb_error_clear(&e);
		CHECK(sv_complete(&c, &e) == -1);
		CHECK(strstr(e.msg, "mosefi on 4096-byte sectors"));
		CHECK(strstr(e.msg, "min-size-4k"));
		CHECK_EQ(c.nsteps, 0u);
		memset(&c, 0, sizeof(c));
		CHECK(!sv_layout_parse(&c.layout, small, strlen(small), &e));
		blank_node(&c, n, 512);
		CHECK(!sv_complete(&c, &e));
		memset(&c, 0, sizeof(c));
		CHECK(!sv_layout_load(&c.layout, NULL, &e));
		blank_node(&c, n, 4096);
		if (sv_complete(&c, &e))
			test_fail(__FILE__, __LINE__, "%s", e.msg);
		sv_steps_free(&c);
	}
}

/* The plan of a blank mirror: the arrays with their metadata, the btrfs
 * raid1 over both data partitions, a swap area on each disk, and the
 * identifiers derived; ext4 and btrfs made without a label, checked, then
 * labelled. */
TEST(sysvol_plan_of_a_mirror)
{
	static struct sv_ctx c;
	struct bb_error e = { 0 };
	memset(&c, 0, sizeof(c));
	CHECK(!sv_layout_load(&c.layout, NULL, &e));
	blank_node(&c, 2, 512);
	CHECK(!sv_complete(&c, &e));
	char all[4096] = "";
	for (size_t i = 0; i < c.nsteps; i++) {
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s|", c.step[i].what);
		if (c.step[i].kind == SV_STEP_EXEC && !strcmp(c.step[i].argv[0], "mdadm")) {
			size_t n = 0;
			while (c.step[i].argv[n])
				n++;
			CHECK(!strncmp(c.step[i].argv[n - 2], "/dev/vda", 8));
			CHECK(!strncmp(c.step[i].argv[n - 1], "/dev/vdb", 8));
		}
	}
	CHECK_STR(all, "md RAID1 /dev/md/mosefi (metadata 0.90) from /dev/vda2 and /dev/vdb2|"
		       "FAT32 MOSEFI on /dev/md/mosefi|"
		       "md RAID1 /dev/md/mosboot (metadata 1.2) from /dev/vda3 and /dev/vdb3|"
		       "ext4 on /dev/md/mosboot|check the ext4 on /dev/md/mosboot|"
		       "label MOSBOOT on /dev/md/mosboot, the mark of a whole one|"
		       "swap MOSSWAP on /dev/vda4|swap MOSSWAP on /dev/vdb4|"
		       "btrfs (raid1 data and metadata) on /dev/vda5 and /dev/vdb5|"
		       "check the btrfs on /dev/vda5|"
		       "label MOSDATA on /dev/vda5, the mark of a whole one|");
	/* the label is the last step of each: made without one, checked first */
	for (size_t i = 0; i < c.nsteps; i++)
		if (c.step[i].kind == SV_STEP_EXEC && (!strcmp(c.step[i].argv[0], "mke2fs") ||
							!strcmp(c.step[i].argv[0], "mkfs.btrfs")))
			for (char **a = c.step[i].argv; *a; a++)
				CHECK(strcmp(*a, "-L"));
	struct uuid u;
	char s[UUID_STR];
	sv_derive(&c, "md:mosboot", &u);
	char want[64];
	snprintf(want, sizeof(want), "--uuid=%s", uuid_fmt(&u, s));
	CHECK_STR(c.step[2].argv[7], want);
	CHECK_STR(c.step[2].argv[6], "--metadata=1.2");
	CHECK_STR(c.step[0].argv[6], "--metadata=0.90");
	/* the two swap areas have identities of their own */
	CHECK(c.step[6].kind == SV_STEP_MKSWAP && c.step[7].kind == SV_STEP_MKSWAP);
	CHECK(!uuid_eq(&c.step[6].uuid, &c.step[7].uuid));
	sv_steps_free(&c);
}
