/* error_test.c - struct bb_error: set, errno, prefix, NULL tolerated. */
#include "error.h"
#include "test.h"

#include <errno.h>

TEST(error_set_and_prefix)
{
	struct bb_error e = { 0 };
	CHECK(!bb_error_is_set(&e));
	CHECK_EQ(bb_error_set(&e, EBUSY, "%s: in use", "/dev/sda"), -1);
	CHECK_EQ(e.code, EBUSY);
	CHECK_STR(e.msg, "/dev/sda: in use");
	CHECK_EQ(bb_error_prefix(&e, "claim %d", 2), -1);
	CHECK_STR(e.msg, "claim 2: /dev/sda: in use");
	bb_error_clear(&e);
	CHECK(!bb_error_is_set(&e));
	bb_error_prefix(&e, "alone");
	CHECK_STR(e.msg, "alone");
	CHECK_EQ(e.code, EIO);
}

TEST(error_errno_keeps_errno)
{
	struct bb_error e;
	errno = ENOENT;
	CHECK_EQ(bb_error_errno(&e, "open %s", "x"), -1);
	CHECK_EQ(errno, ENOENT);
	CHECK_EQ(e.code, ENOENT);
	CHECK_STR(e.msg, "open x: No such file or directory");
	errno = 0;
	bb_error_errno(&e, "odd");
	CHECK_EQ(e.code, EIO);
	CHECK_EQ(bb_error_set(NULL, EINVAL, "nobody listens"), -1);
	CHECK_EQ(bb_error_errno(NULL, "nobody"), -1);
}

TEST(error_long_message_is_cut_not_overrun)
{
	struct bb_error e;
	char big[2 * BB_ERROR_MSG];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	bb_error_set(&e, EINVAL, "%s", big);
	CHECK_EQ(strlen(e.msg), BB_ERROR_MSG - 1);
	bb_error_prefix(&e, "%s", big);
	CHECK_EQ(strlen(e.msg), BB_ERROR_MSG - 1);
}
