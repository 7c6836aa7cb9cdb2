/* fstab: real-world files read and written back byte for byte, entries
 * changed field by field, the file replaced aside; libmount (findmnt)
 * reads what is written. */
#include "error.h"
#include "fstab.h"
#include "io.h"
#include "test.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

/* As Debian's installer writes it, then edited by hand: tabs and spaces,
 * a mount point with a blank, LABEL= and PARTUUID=, a swap line, a
 * bind mount with missing fields, a broken line, CRLF, no final newline. */
static const char debian[] =
	"# /etc/fstab: static file system information.\n"
	"#\n"
	"# <file system> <mount point>   <type>  <options>       <dump>  <pass>\n"
	"# / was on /dev/sda2 during installation\n"
	"UUID=6d3c2b1a-0f4e-4c8b-9a7d-5e6f7a8b9c0d /               ext4    errors=remount-ro 0       1\n"
	"# /boot/efi was on /dev/sda1 during installation\n"
	"UUID=4A1B-2C3D  /boot/efi       vfat    umask=0077      0       1\n"
	"# swap was on /dev/sda3 during installation\n"
	"UUID=0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0 none            swap    sw              0       0\n"
	"/dev/sr0        /media/cdrom0   udf,iso9660 user,noauto     0       0\n"
	"\n"
	"LABEL=data\t/srv/my\\040data\txfs\tdefaults,nofail\t0\t2\n"
	"PARTUUID=8c2f1e0a-01 /mnt/usb auto noauto,x-systemd.automount 0 0\n"
	"   # an indented comment\n"
	"/srv/export /export none bind\n"
	"tmpfs /tmp tmpfs\n"
	"this-line-is-broken\n"
	"UUID=1111 /x ext4 defaults zero 2\n"
	"UUID=2222 /crlf ext4 defaults 0 0\r\n"
	"UUID=3333 /last btrfs subvol=@,compress=zstd 0 0";

static void parse(const char *text, struct fstab *t)
{
	CHECK(fstab_parse(text, strlen(text), t, NULL) == 0);
}

static char *format(const struct fstab *t)
{
	size_t len;
	char *s = fstab_format(t, &len, NULL);
	CHECK(s && strlen(s) == len);
	return s;
}

TEST(fstab_reads_real_world_lines)
{
	struct fstab t;
	parse(debian, &t);
	CHECK_EQ(t.bad, 2); /* the one-field line and "zero" as dump */
	CHECK(t.no_final_newline);
	ssize_t i = fstab_find(&t, "UUID=4a1b-2c3d", "/boot/efi/"); /* case and slash aside */
	CHECK(i >= 0);
	CHECK_STR(t.line[i].e.type, "vfat");
	CHECK_STR(t.line[i].e.opts, "umask=0077");
	CHECK(t.line[i].e.freq == 0 && t.line[i].e.passno == 1);
	i = fstab_find_file(&t, "/srv/my data");
	CHECK(i >= 0);
	CHECK_STR(t.line[i].e.spec, "LABEL=data");
	CHECK_STR(t.line[i].e.opts, "defaults,nofail");
	CHECK(t.line[i].e.passno == 2);
	i = fstab_find_file(&t, "/export");
	CHECK(i >= 0);
	CHECK(t.line[i].e.freq == 0 && t.line[i].e.passno == 0);
	i = fstab_find_file(&t, "/tmp");
	CHECK(i >= 0);
	CHECK_STR(t.line[i].e.opts, "defaults"); /* missing fields */
	i = fstab_find(&t, "UUID=2222", NULL);
	CHECK(i >= 0);
	CHECK_STR(t.line[i].e.file, "/crlf"); /* the \r is no part of a field */
	CHECK(fstab_find_file(&t, "none") < 0); /* swap is mounted nowhere */
	CHECK(fstab_find(&t, "UUID=0B1C2D3E-4F50-6172-8394-A5B6C7D8E9F0", NULL) >= 0);
	CHECK(fstab_find(&t, "PARTUUID=8C2F1E0A-01", "/mnt/usb") >= 0);
	CHECK(fstab_find(&t, "LABEL=DATA", NULL) < 0); /* labels are case-sensitive */
	CHECK(fstab_find(&t, "UUID=1111", NULL) < 0);  /* a broken line is no entry */
	fstab_free(&t);
}

TEST(fstab_round_trip_is_byte_for_byte)
{
#define S(x) { x, sizeof(x) - 1 }
	static const struct {
		const char *text;
		size_t len;
	} files[] = {
		S(debian), S(""), S("\n"), S("# only a comment"), S("a b\n\n\n"), S("\t\t\n  # x\r\n"),
		S("UUID=x / ext4 defaults 0 1\n"), S("bad\0line\n/dev/a /b c d 0 0\n"),
	};
	for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
		struct fstab t;
		size_t len;
		CHECK(fstab_parse(files[k].text, files[k].len, &t, NULL) == 0);
		char *out = fstab_format(&t, &len, NULL);
		CHECK(out && len == files[k].len && !memcmp(out, files[k].text, len));
		free(out);
		fstab_free(&t);
	}
}

TEST(fstab_set_changes_one_line_only)
{
	struct fstab t;
	parse(debian, &t);
	/* the vfat entry, named in lower case: the same one, options changed */
	struct fstab_entry want = { "UUID=4a1b-2c3d", "/boot/efi", "vfat", "umask=0022", 0, 2 };
	CHECK(fstab_set(&t, &want, NULL) == 1);
	CHECK(fstab_set(&t, &want, NULL) == 0); /* already so */
	char *out = format(&t);
	const char *old = "UUID=4A1B-2C3D  /boot/efi       vfat    umask=0077      0       1\n";
	const char *now = "UUID=4a1b-2c3d /boot/efi vfat umask=0022 0 2\n";
	char *at = strstr(debian, old);
	CHECK(at);
	size_t head = (size_t)(at - debian);
	CHECK(!memcmp(out, debian, head));
	CHECK(!strncmp(out + head, now, strlen(now)));
	CHECK_STR(out + head + strlen(now), at + strlen(old));
	free(out);
	fstab_free(&t);
}

TEST(fstab_set_appends_escaped)
{
	struct fstab t;
	parse(debian, &t);
	struct fstab_entry want = { "UUID=aaaaaaaa-0000-4000-8000-000000000001", "/var/lib/my app",
				    "xfs", "defaults", 0, 2 };
	CHECK(fstab_set(&t, &want, NULL) == 1);
	char *out = format(&t);
	/* the old last line gets its newline, then the new entry */
	size_t n = strlen(debian);
	CHECK(!memcmp(out, debian, n));
	CHECK_STR(out + n, "\nUUID=aaaaaaaa-0000-4000-8000-000000000001 /var/lib/my\\040app xfs "
			   "defaults 0 2\n");
	struct fstab back;
	parse(out, &back);
	ssize_t i = fstab_find_file(&back, "/var/lib/my app");
	CHECK(i >= 0);
	CHECK_STR(back.line[i].e.spec, want.spec);
	free(out);
	fstab_free(&back);
	fstab_free(&t);
}

TEST(fstab_matches_fields_never_substrings)
{
	struct fstab t;
	parse("UUID=abc /a ext4 defaults 0 0\nUUID=abcd /ab ext4 defaults 0 0\n"
	      "UUID=\"ab\" /quoted ext4 defaults 0 0\n/dev/sda1 /b ext4 defaults 0 0\n",
	      &t);
	CHECK(fstab_find(&t, "UUID=ab", NULL) == 2); /* only the quoted one */
	CHECK(fstab_find(&t, "UUID=abc", "/ab") < 0);
	CHECK(fstab_find(&t, "LABEL=abc", NULL) < 0);
	CHECK(fstab_find(&t, "/dev/sda", NULL) < 0);
	CHECK(fstab_find(&t, "/dev/sda1", NULL) == 3);
	CHECK(fstab_find_file(&t, "/") < 0);
	CHECK(fstab_find_file(&t, "/a/") == 0);
	CHECK(!fstab_spec_eq("UUID=abc", "PARTUUID=abc"));
	CHECK(!fstab_spec_eq("LABEL=x", "x"));
	CHECK(fstab_spec_eq("PARTLABEL=\"my disk\"", "PARTLABEL=my disk"));
	CHECK(!fstab_file_eq("/a", "/a/b"));
	CHECK(fstab_file_eq("/", "//"));
	CHECK_EQ(fstab_remove(&t, "UUID=ABC", NULL), 1);
	CHECK(fstab_find(&t, "UUID=abcd", "/ab") == 0);
	fstab_free(&t);
}

TEST(fstab_subvolumes_swap_and_collisions)
{
	struct fstab t;
	parse("UUID=b1 / btrfs subvol=@ 0 0\nUUID=b1 /home btrfs subvol=@home 0 0\n"
	      "/dev/vg/swap none swap sw 0 0\n",
	      &t);
	struct fstab_entry home = { "UUID=b1", "/home", "btrfs", "subvol=@home,compress=zstd", 0, 0 };
	CHECK(fstab_set(&t, &home, NULL) == 1);
	CHECK_STR(t.line[0].e.opts, "subvol=@"); /* the other subvolume is untouched */
	CHECK_STR(t.line[1].e.opts, "subvol=@home,compress=zstd");
	struct fstab_entry swap = { "/dev/vg/swap", "swap", "swap", "sw,pri=5", 0, 0 };
	CHECK(fstab_set(&t, &swap, NULL) == 1);
	CHECK_EQ(t.n, 3); /* replaced, whatever its mount point field said */
	CHECK_STR(t.line[2].e.opts, "sw,pri=5");
	struct bb_error e;
	struct fstab_entry clash = { "UUID=other", "/home/", "ext4", "defaults", 0, 2 };
	CHECK(fstab_set(&t, &clash, &e) == -1 && e.code == EEXIST);
	CHECK(strstr(e.msg, "/home/ is already the mount point of UUID=b1"));
	struct fstab_entry empty = { "", "/x", "ext4", "defaults", 0, 0 };
	CHECK(fstab_set(&t, &empty, &e) == -1 && e.code == EINVAL);
	CHECK_EQ(t.n, 3);
	CHECK_EQ(fstab_remove(&t, "UUID=b1", "/"), 1);
	CHECK_EQ(fstab_remove(&t, "UUID=b1", "/"), 0);
	CHECK_EQ(t.n, 2);
	fstab_free(&t);
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	CHECK(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

TEST(fstab_update_under_a_root)
{
	char root[4096], etc[4096], path[4096];
	snprintf(root, sizeof(root), "%s/sysroot", test_tmpdir());
	snprintf(etc, sizeof(etc), "%s/etc", root);
	CHECK(mkdir(root, 0755) == 0 && mkdir(etc, 0755) == 0);
	CHECK(fstab_path(root, path, sizeof(path), NULL) == 0);
	CHECK(!strcmp(path + strlen(root), "/etc/fstab"));
	/* no fstab yet: created */
	struct fstab_entry data = { "UUID=11111111-2222-4333-8444-555555555555", "/srv/data", "ext4",
				    "defaults,noatime", 0, 2 };
	CHECK(fstab_update(root, &data, NULL) == 1);
	CHECK(fstab_update(root, &data, NULL) == 0);
	write_text(path, "# kept\nLABEL=root / ext4 defaults 0 1\n", 0600);
	CHECK(fstab_update(root, &data, NULL) == 1);
	char *text = read_file(path, 1 << 20, NULL);
	CHECK_STR(text, "# kept\nLABEL=root / ext4 defaults 0 1\n"
			"UUID=11111111-2222-4333-8444-555555555555 /srv/data ext4 defaults,noatime 0 2\n");
	free(text);
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600); /* mode kept */
	CHECK_EQ(fstab_remove_at(root, "UUID=11111111-2222-4333-8444-555555555555", NULL, NULL), 1);
	CHECK_EQ(fstab_remove_at(root, "UUID=11111111-2222-4333-8444-555555555555", NULL, NULL), 0);
	text = read_file(path, 1 << 20, NULL);
	CHECK_STR(text, "# kept\nLABEL=root / ext4 defaults 0 1\n");
	free(text);
	/* nothing left beside it */
	char cmd[8300];
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", etc);
	FILE *p = popen(cmd, "r");
	int files = -1;
	CHECK(p && fscanf(p, "%d", &files) == 1);
	pclose(p);
	CHECK_EQ(files, 1);
	struct bb_error e;
	CHECK(fstab_update("/nonexistent-root", &data, &e) == -1 && e.code == ENOENT);
	CHECK(fstab_update(root, &(struct fstab_entry){ "x", "rel", "ext4", "d", 0, 0 }, NULL) == 1);
}

/* libmount reads back what was written: escapes, fields, numbers. */
TEST(fstab_findmnt_reads_what_is_written)
{
	if (system("findmnt --version >/dev/null 2>&1"))
		test_skip("no findmnt");
	char path[4096];
	snprintf(path, sizeof(path), "%s/fstab", test_tmpdir());
	write_text(path, debian, 0644);
	struct fstab t;
	CHECK(fstab_read(path, &t, NULL) == 0);
	struct fstab_entry add[] = {
		{ "UUID=aaaaaaaa-0000-4000-8000-000000000001", "/var/lib/my app", "xfs", "defaults", 0, 2 },
		{ "LABEL=with\ttab", "/mnt/back\\slash", "ext4", "ro,noatime", 1, 0 },
		{ "UUID=4A1B-2C3D", "/boot/efi", "vfat", "umask=0022", 0, 2 },
	};
	for (size_t i = 0; i < sizeof(add) / sizeof(add[0]); i++)
		CHECK(fstab_set(&t, &add[i], NULL) == 1);
	CHECK(fstab_write(path, &t, NULL) == 0);
	char cmd[4200];
	snprintf(cmd, sizeof(cmd),
		 "findmnt --tab-file '%s' -n -r -o SOURCE,TARGET,FSTYPE,OPTIONS,FREQ,PASSNO", path);
	for (size_t i = 0; i < sizeof(add) / sizeof(add[0]); i++) {
		FILE *p = popen(cmd, "r");
		char line[512], want[512], src[128], dst[128];
		/* -r output escapes blanks, tabs and backslashes as \x20 \x09 \x5c */
		const char *f[2] = { add[i].spec, add[i].file };
		char *o[2] = { src, dst };
		for (int k = 0; k < 2; k++) {
			char *w = o[k];
			for (const char *c = f[k]; *c; c++)
				w += strchr(" \t\\", *c) ? sprintf(w, "\\x%02x", *c) : sprintf(w, "%c", *c);
		}
		snprintf(want, sizeof(want), "%s %s %s %s %u %u\n", src, dst, add[i].type, add[i].opts,
			 add[i].freq, add[i].passno);
		bool found = false;
		while (p && fgets(line, sizeof(line), p))
			found |= !strcmp(line, want);
		pclose(p);
		if (!found)
			test_fail(__FILE__, __LINE__, "findmnt does not list: %s", want);
	}
	fstab_free(&t);
}
