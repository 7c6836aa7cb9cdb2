/* mountinfo, option strings and root paths; no mount(2) on the host. */
#include "error.h"
#include "mount.h"
#include "test.h"

#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>

/* Lines as a 6.1 kernel writes them: optional fields, a mount point with
 * a blank and a backslash, a btrfs subvolume (0:N), a line cut short. */
static const char mountinfo[] =
	"22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
	"25 1 253:1 / / rw,relatime shared:1 - ext4 /dev/mapper/vg-root rw,errors=remount-ro\n"
	"30 25 8:2 / /mnt/my\\040disk\\134x rw,noatime - vfat /dev/sda2 rw,fmask=0022\n"
	"31 25 0:45 /@home /home rw,relatime shared:40 master:3 - btrfs /dev/vdb rw,space_cache=v2\n"
	"32 25 8:3 / /broken rw\n"
	"x 25 8:3 / /bad rw - ext4 /dev/sda3 rw\n"
	"33 25 8:17 / /data rw - xfs /dev/sdb1\n"
	"34 25 8:2 / /mnt/my\\040disk\\134x ro - vfat /dev/sda2 ro\n";

TEST(mount_table_parses_kernel_lines)
{
	struct mount_table t;
	char *text = strdup(mountinfo);
	CHECK(mount_table_parse(text, &t, NULL) == 0);
	CHECK_EQ(t.n, 6); /* the cut and the junk line are skipped */
	CHECK_STR(t.m[0].target, "/proc");
	CHECK_STR(t.m[0].opts, "rw,nosuid,nodev,noexec,relatime");
	CHECK(t.m[1].major == 253 && t.m[1].minor == 1 && t.m[1].parent == 1 && t.m[1].id == 25);
	CHECK_STR(t.m[1].source, "/dev/mapper/vg-root");
	CHECK_STR(t.m[1].super_opts, "rw,errors=remount-ro");
	CHECK_STR(t.m[2].target, "/mnt/my disk\\x");
	CHECK_STR(t.m[2].fstype, "vfat");
	CHECK_STR(t.m[3].root, "/@home");
	CHECK_STR(t.m[3].fstype, "btrfs");
	CHECK(t.m[3].major == 0 && t.m[3].minor == 45);
	CHECK_STR(t.m[4].source, "/dev/sdb1");
	CHECK_STR(t.m[4].super_opts, "");
	const struct mount_entry *m = mount_table_find(&t, "/mnt/my disk\\x");
	CHECK(m && m->id == 34); /* the topmost of two */
	CHECK(mount_table_find(&t, "/mnt/my") == NULL);
	mount_table_free(&t);
}

TEST(mount_table_reads_own_mountinfo)
{
	struct mount_table t;
	struct bb_error e;
	CHECK(mount_table_read(NULL, &t, &e) == 0);
	CHECK(mount_table_find(&t, "/") != NULL);
	mount_table_free(&t);
	CHECK(mount_table_read("/nonexistent/mountinfo", &t, &e) == -1 && e.code == ENOENT);
}

TEST(mount_escape_round_trip)
{
	const char *s = "a b\tc\nd\\e";
	char esc[64], back[64];
	CHECK_STR(mount_escape(s, esc), "a\\040b\\011c\\012d\\134e");
	strcpy(back, esc);
	mount_unescape(back);
	CHECK_STR(back, s);
	strcpy(back, "\\04x\\400\\0401"); /* not escapes, the last one is */
	mount_unescape(back);
	CHECK_STR(back, "\\04x\\400 1");
}

TEST(mount_opts_flags_and_data)
{
	struct mount_opts o;
	CHECK(mount_opts_parse("ro,noatime,compress=zstd", &o, NULL) == 0);
	CHECK_EQ(o.flags, MS_RDONLY | MS_NOATIME);
	CHECK_STR(o.data, "compress=zstd");
	CHECK(mount_opts_parse("defaults,nofail,x-systemd.device-timeout=5,noauto,_netdev,"
			       "comment=cloudconfig,subvol=@home,,user_xattr",
			       &o, NULL) == 0);
	CHECK_EQ(o.flags, 0);
	CHECK(o.nofail && o.noauto);
	CHECK_STR(o.data, "subvol=@home,user_xattr");
	CHECK(mount_opts_parse("ro,rw,nosuid,suid,nodev,noexec,sync,relatime,rbind", &o, NULL) == 0);
	CHECK_EQ(o.flags, MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_RELATIME | MS_BIND | MS_REC);
	CHECK(mount_opts_parse("context=\"system_u:object_r:tmp_t:s0:c127,c456\",ro", &o, NULL) == 0);
	CHECK_STR(o.data, "context=\"system_u:object_r:tmp_t:s0:c127,c456\"");
	CHECK_EQ(o.flags, MS_RDONLY);
	/* names are whole words: "rox" and "ro=1" are the filesystem's */
	CHECK(mount_opts_parse("rox,ro=1,noatimes", &o, NULL) == 0);
	CHECK_EQ(o.flags, 0);
	CHECK_STR(o.data, "rox,ro=1,noatimes");
	CHECK(mount_opts_parse(NULL, &o, NULL) == 0 && !o.flags && !o.data[0]);
	struct bb_error e;
	CHECK(mount_opts_parse("context=\"a,b", &o, &e) == -1 && e.code == EINVAL);
	char big[MOUNT_DATA_MAX + 8];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK(mount_opts_parse(big, &o, &e) == -1);
	big[MOUNT_DATA_MAX - 1] = 0; /* 4095 bytes fit */
	CHECK(mount_opts_parse(big, &o, NULL) == 0 && strlen(o.data) == MOUNT_DATA_MAX - 1);
}

TEST(mount_root_paths)
{
	char p[64];
	struct bb_error e;
	CHECK(mount_root_path("/sysroot", "/var/log/app", p, sizeof(p), NULL) == 0);
	CHECK_STR(p, "/sysroot/var/log/app");
	CHECK(mount_root_path("/sysroot/", "/", p, sizeof(p), NULL) == 0);
	CHECK_STR(p, "/sysroot");
	CHECK(mount_root_path(NULL, "/etc/fstab", p, sizeof(p), NULL) == 0);
	CHECK_STR(p, "/etc/fstab");
	CHECK(mount_root_path("/", "/etc/fstab", p, sizeof(p), NULL) == 0);
	CHECK_STR(p, "/etc/fstab");
	CHECK(mount_root_path("", "/", p, sizeof(p), NULL) == 0);
	CHECK_STR(p, "/");
	CHECK(mount_root_path("/sysroot", "/mnt/../../etc", p, sizeof(p), &e) == -1);
	CHECK(mount_root_path("/sysroot", "/..", p, sizeof(p), &e) == -1);
	CHECK(mount_root_path("/sysroot", "/a..b/..c/d..", p, sizeof(p), NULL) == 0);
	CHECK(mount_root_path("/sysroot", "relative", p, sizeof(p), &e) == -1 && e.code == EINVAL);
	CHECK(mount_root_path("sysroot", "/x", p, sizeof(p), &e) == -1);
	CHECK(mount_root_path("/sysroot", "/a/very/long/path/that/does/not/fit/in/sixty-four/bytes/at/all",
			      p, sizeof(p), &e) == -1 && e.code == ENAMETOOLONG);
}

TEST(mount_mkdir_p_makes_the_chain)
{
	char dir[4096], file[4096];
	struct bb_error e;
	snprintf(dir, sizeof(dir), "%s/a/b c/d", test_tmpdir());
	CHECK(mount_mkdir_p(dir, 0755, NULL) == 0);
	struct stat st;
	CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(mount_mkdir_p(dir, 0755, NULL) == 0); /* again: nothing to do */
	snprintf(file, sizeof(file), "%s/a/f", test_tmpdir());
	fclose(fopen(file, "w"));
	snprintf(dir, sizeof(dir), "%s/a/f/g", test_tmpdir());
	CHECK(mount_mkdir_p(dir, 0755, &e) == -1 && e.code == ENOTDIR);
	CHECK(strstr(e.msg, "/a/f"));
}

TEST(mount_fs_refuses_before_mounting)
{
	struct bb_error e;
	CHECK(mount_fs("/sysroot", "/dev/null", "../x", "ext4", NULL, &e) == -1 && e.code == EINVAL);
	CHECK(mount_fs(NULL, "/dev/null", "/tmp/x", "ext4", "a=\"b", &e) == -1 && e.code == EINVAL);
	CHECK(mount_umount("/nonexistent/not-mounted", 0, &e) == -1);
	CHECK(strstr(e.msg, "unmount /nonexistent/not-mounted: "));
	CHECK(mount_umount("/nonexistent/not-mounted", MOUNT_UMOUNT_RDONLY, &e) == -1);
	CHECK(strstr(e.msg, "remount /nonexistent/not-mounted read-only"));
}

TEST(mount_swaps_list)
{
	struct mount_swaps s;
	char *text = strdup("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
			    "/dev/dm-1                               partition\t1048572\t\t0\t\t-2\n"
			    "/swap\\040file                          file\t\t65532\t\t0\t\t-3\n"
			    "junk\n");
	CHECK(mount_swaps_parse(text, &s, NULL) == 0);
	CHECK_EQ(s.n, 2);
	CHECK_STR(s.path[0], "/dev/dm-1");
	CHECK_STR(s.path[1], "/swap file");
	mount_swaps_free(&s);
	CHECK(mount_swaps_read("/nonexistent/swaps", &s, NULL) == 0 && s.n == 0); /* no swap support */
	mount_swaps_free(&s);
	struct bb_error e;
	CHECK(mount_swaps_read("/", &s, &e) == -1); /* a directory */
}
