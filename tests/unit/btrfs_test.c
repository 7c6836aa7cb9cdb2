/* core/btrfs.c's checks that need no filesystem: names of subvolumes and
 * the size words of a resize. The ioctls themselves run in the VM
 * (tests/vm/92-btrfs.sh), checked against btrfs-progs. */
#include "btrfs.h"
#include "test.h"

#include <errno.h>

TEST(btrfs_names)
{
	struct bb_error e = { 0 };
	char longest[BTRFS_NAME_LEN + 2];
	memset(longest, 'a', sizeof(longest));
	longest[BTRFS_NAME_LEN] = 0;
	CHECK_EQ(btrfs_name_check(longest, &e), 0);
	CHECK_EQ(btrfs_name_check("snap-2026.03.25 x", &e), 0);
	longest[BTRFS_NAME_LEN] = 'a';
	longest[BTRFS_NAME_LEN + 1] = 0;
	CHECK_EQ(btrfs_name_check(longest, &e), -1);
	CHECK_EQ(e.code, ENAMETOOLONG);
	static const char *const bad[] = { "", ".", "..", "a/b", "/", "a/" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bb_error_clear(&e);
		CHECK_EQ(btrfs_name_check(bad[i], &e), -1);
		CHECK_EQ(e.code, EINVAL);
	}
	CHECK_EQ(btrfs_name_check("...", &e), 0);
	/* the ioctl wrappers check before they call: no fd is touched */
	bb_error_clear(&e);
	CHECK_EQ(btrfs_subvol_create(-1, "a/b", &e), -1);
	CHECK_EQ(e.code, EINVAL);
	CHECK_EQ(btrfs_snapshot(-1, -1, "..", true, &e), -1);
	CHECK_EQ(e.code, EINVAL);
}

TEST(btrfs_resize_words)
{
	struct bb_error e = { 0 };
	static const char *const good[] = { "max", "1", "+1", "-1", "100m", "+64M", "-2g", "3T",
					    "18446744073709551615", "1e" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK_EQ(btrfs_resize_check(good[i], &e), 0);
	static const char *const bad[] = { "", "+", "-", "max1", "1mb", "1x", "m", "1:max",
					   "2:+1g", " 1", "1 ", "+-1", "123456789012345678901" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bb_error_clear(&e);
		if (btrfs_resize_check(bad[i], &e) != -1)
			test_fail(__FILE__, __LINE__, "'%s' accepted", bad[i]);
		CHECK_EQ(e.code, EINVAL);
	}
	CHECK_EQ(btrfs_resize(-1, 0, "max", &e), -1);
	CHECK_EQ(e.code, EINVAL);
	CHECK_EQ(btrfs_subvol_delete_id(-1, 5, &e), -1); /* the top level cannot go */
	CHECK_EQ(e.code, EINVAL);
}

TEST(btrfs_open_refuses_other_filesystems)
{
	struct bb_error e = { 0 };
	/* /proc is never a btrfs */
	CHECK_EQ(btrfs_open("/proc", &e), -1);
	CHECK_EQ(e.code, ENOTTY);
	CHECK(strstr(e.msg, "/proc: not on a btrfs"));
	CHECK_EQ(btrfs_open("/nonexistent/x", &e), -1);
	CHECK_EQ(e.code, ENOENT);
}
