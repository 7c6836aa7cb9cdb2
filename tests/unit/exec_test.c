#include "error.h"
#include "exec.h"
#include <errno.h>
#include "test.h"

TEST(run_captures_and_reports_status)
{
	struct run_result r;
	const char *const echo[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	CHECK_EQ(run_argv(echo, RUN_OUT | RUN_ERR, NULL, &r, NULL), 3);
	CHECK_STR(r.out, "out\n");
	CHECK_STR(r.err, "err\n");
	run_free(&r);
	const char *const cat[] = { "cat", NULL };
	CHECK_EQ(run_argv(cat, RUN_OUT, "fed through stdin", &r, NULL), 0);
	CHECK_STR(r.out, "fed through stdin");
	run_free(&r);
}

TEST(run_argv_is_not_a_shell)
{
	struct run_result r;
	/* metacharacters reach the program as one literal argument */
	const char *const printf_[] = { "printf", "%s", "$(echo no); `x` | > y", NULL };
	CHECK_EQ(run_argv(printf_, RUN_OUT, NULL, &r, NULL), 0);
	CHECK_STR(r.out, "$(echo no); `x` | > y");
	run_free(&r);
}

TEST(run_missing_tool_names_package)
{
	struct run_result r;
	struct bb_error e;
	const char *const missing[] = { "definitely-not-a-tool-xyz", NULL };
	CHECK_EQ(run_argv(missing, RUN_OUT, NULL, &r, &e), -1);
	CHECK_EQ(e.code, ENOENT);
	CHECK_STR(e.msg, "definitely-not-a-tool-xyz: not found in PATH");
	const char *const mdadm[] = { "/nonexistent/sbin/mdadm", NULL };
	CHECK_EQ(run_argv(mdadm, 0, NULL, &r, &e), -1);
	CHECK_STR(e.msg, "/nonexistent/sbin/mdadm: not found (Debian package mdadm provides it)");
	CHECK_STR(tool_package("mkfs.btrfs"), "btrfs-progs");
	CHECK_STR(tool_package("/sbin/mdadm"), "mdadm");
	CHECK(tool_package("nope") == NULL);
}

TEST(run_large_output_does_not_deadlock)
{
	struct run_result r;
	const char *const big[] = { "sh", "-c", "head -c 1000000 /dev/zero; head -c 300000 /dev/zero >&2", NULL };
	CHECK_EQ(run_argv(big, RUN_OUT | RUN_ERR, NULL, &r, NULL), 0);
	CHECK_EQ(r.out_len, 1000000);
	CHECK_EQ(r.err_len, 300000);
	run_free(&r);
}
