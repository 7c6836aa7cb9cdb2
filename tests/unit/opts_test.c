#include "bb.h"
#include "test.h"

enum { O_JSON, O_FORCE, O_SIZE, O_NAME, O_VERBOSE };
static const struct bb_opt t_opts[] = {
	[O_JSON] = { "json", 0, NULL, "json" },
	[O_FORCE] = { "force", 'f', NULL, "force" },
	[O_SIZE] = { "size", 's', "SIZE", "size" },
	[O_NAME] = { "name", 'n', "NAME", "name" },
	[O_VERBOSE] = { "verbose", 'v', NULL, "more" },
	{ 0 },
};
static int t_main(int argc, char **argv)
{
	(void)argc, (void)argv;
	return 0;
}
static const struct applet t_applet = { .name = "t", .usage = "t", .opts = t_opts,
					.main = t_main };

static int parse(struct bb_args *a, char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	return bb_getopt(&t_applet, argc, argv, a);
}

TEST(opts_mixed_with_positionals)
{
	char *argv[] = { "t", "create", "--json", "disk.img", "-fvv", "-s", "10G", "--name=a b",
			 "--", "-notanopt", NULL };
	struct bb_args a;
	CHECK_EQ(parse(&a, argv), BB_CONTINUE);
	CHECK_EQ(a.argc, 3);
	CHECK_STR(a.argv[0], "create");
	CHECK_STR(a.argv[1], "disk.img");
	CHECK_STR(a.argv[2], "-notanopt");
	CHECK(a.argv[3] == NULL);
	CHECK(opt_on(&a, O_JSON) && opt_on(&a, O_FORCE));
	CHECK_EQ(a.v[O_VERBOSE].seen, 2);
	CHECK_STR(opt_str(&a, O_SIZE, NULL), "10G");
	CHECK_STR(opt_str(&a, O_NAME, NULL), "a b");
	uint64_t sz;
	CHECK_EQ(opt_size(&a, O_SIZE, 0, 0, &sz), 0);
	CHECK_EQ(sz, 10ull << 30);
}

TEST(opts_attached_short_value)
{
	char *argv[] = { "t", "-fs512M", "-nfoo", NULL };
	struct bb_args a;
	CHECK_EQ(parse(&a, argv), BB_CONTINUE);
	CHECK_STR(opt_str(&a, O_SIZE, NULL), "512M");
	CHECK_STR(opt_str(&a, O_NAME, NULL), "foo");
	CHECK(opt_on(&a, O_FORCE));
	CHECK_EQ(a.argc, 0);
}

TEST(opts_errors_are_usage_errors)
{
	struct bb_args a;
	char *unknown[] = { "t", "--bogus", NULL };
	CHECK_EQ(parse(&a, unknown), 2);
	char *unknown_short[] = { "t", "-x", NULL };
	CHECK_EQ(parse(&a, unknown_short), 2);
	char *missing[] = { "t", "--size", NULL };
	CHECK_EQ(parse(&a, missing), 2);
	char *flag_value[] = { "t", "--json=yes", NULL };
	CHECK_EQ(parse(&a, flag_value), 2);
	char *help[] = { "t", "--help", NULL };
	CHECK_EQ(parse(&a, help), 0);
}

TEST(opts_number_ranges)
{
	char *argv[] = { "t", "--size", "70", "--name", "0x10", NULL };
	struct bb_args a;
	CHECK_EQ(parse(&a, argv), BB_CONTINUE);
	uint64_t v;
	CHECK_EQ(opt_u64(&a, O_SIZE, 0, 1, 64, &v), -1);
	CHECK_EQ(opt_u64(&a, O_SIZE, 0, 1, 100, &v), 0);
	CHECK_EQ(v, 70);
	CHECK_EQ(opt_u64(&a, O_NAME, 0, 0, 100, &v), 0);
	CHECK_EQ(v, 16);
	CHECK_EQ(opt_u64(&a, O_JSON, 7, 0, 100, &v), 0);
	CHECK_EQ(v, 7);
	char *neg[] = { "t", "--size", "-3", NULL };
	CHECK_EQ(parse(&a, neg), BB_CONTINUE);
	CHECK_EQ(opt_u64(&a, O_SIZE, 0, 0, 100, &v), -1);
}

TEST(opts_numbers_are_decimal_or_0x)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t v;
	} cases[] = {
		{ "010", 0, 10 }, /* not octal 8: "--number 010" is partition 10 */
		{ "0", 0, 0 },	   { "0x1F", 0, 31 }, { "0X10", 0, 16 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "18446744073709551616", -1, 0 },    { "0x", -1, 0 },
		{ " 5", -1, 0 },   { "+5", -1, 0 },    { " -1", -1, 0 },
		{ "0x-1", -1, 0 }, { "0x 1", -1, 0 },  { "5 ", -1, 0 },
		{ "", -1, 0 },     { "1e3", -1, 0 },   { "0b1", -1, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { "t", "--size", (char *)cases[i].s, NULL };
		struct bb_args a;
		uint64_t v = 12345;
		CHECK_EQ(parse(&a, argv), BB_CONTINUE);
		printf("'%s'\n", cases[i].s);
		CHECK_EQ(opt_u64(&a, O_SIZE, 0, 0, UINT64_MAX, &v), cases[i].rc);
		if (!cases[i].rc)
			CHECK_EQ(v, cases[i].v);
	}
}

/* ---- command tables and repeatable options ---------------------------- */

enum { C_JSON, C_PV, C_SIZE };
static const struct bb_opt c_opts[] = {
	[C_JSON] = { "json", 0, NULL, "json" },
	[C_PV] = { "pv", 0, "DEV", "a device", BB_OPT_MULTI },
	[C_SIZE] = { "size", 's', "SIZE", "size" },
	{ 0 },
};
static int c_run(void *ctx, const struct bb_args *a)
{
	(void)ctx, (void)a;
	return 0;
}
static const struct bb_cmd c_cmds[] = {
	{ "show", "DISK", 1, 1, BB_O(C_JSON), "show it", c_run },
	{ "add", "DISK [N]", 1, 2, BB_O(C_SIZE) | BB_O(C_PV), "add one", c_run },
	{ "param set", "ID VALUE", 2, 2, 0, "store", c_run },
	{ "param list", NULL, 0, 0, BB_O(C_JSON), "list", c_run },
	{ "many", "X...", 1, BB_MANY, 0, "any number", c_run },
	{ 0 },
};
static const struct applet c_applet = { .name = "c", .usage = "c COMMAND\n\nText.",
					.opts = c_opts, .main = t_main, .cmds = c_cmds };

static int cparse(const struct applet *ap, struct bb_args *a, char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	fflush(stdout);
	return bb_getopt(ap, argc, argv, a);
}

TEST(cmds_dispatch_from_the_table)
{
	struct bb_args a;
	char *show[] = { "c", "--json", "show", "d.img", NULL };
	CHECK_EQ(cparse(&c_applet, &a, show), BB_CONTINUE);
	CHECK(a.cmd == &c_cmds[0]);
	CHECK_EQ(a.argc, 1);
	CHECK_STR(a.argv[0], "d.img");
	char *set[] = { "c", "param", "set", "7", "v", NULL };
	CHECK_EQ(cparse(&c_applet, &a, set), BB_CONTINUE);
	CHECK(a.cmd == &c_cmds[2]);
	CHECK_EQ(a.argc, 2);
	CHECK_STR(a.argv[0], "7");
	char *many[] = { "c", "many", "1", "2", "3", "4", "5", NULL };
	CHECK_EQ(cparse(&c_applet, &a, many), BB_CONTINUE);
	CHECK_EQ(a.argc, 5);
}

TEST(cmds_usage_errors_are_exit_2)
{
	struct bb_args a;
	char *none[] = { "c", NULL };
	char *unknown[] = { "c", "shw", "x", NULL };
	char *group_only[] = { "c", "param", NULL };
	char *group_bad[] = { "c", "param", "sat", NULL };
	char *too_many[] = { "c", "show", "a", "b", NULL };
	char *too_few[] = { "c", "add", NULL };
	char *foreign_opt[] = { "c", "show", "d", "--size", "1", NULL };
	char *foreign_multi[] = { "c", "param", "list", "--pv", "x", NULL };
	char **bad[] = { none, unknown, group_only, group_bad, too_many, too_few, foreign_opt,
			 foreign_multi };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(cparse(&c_applet, &a, bad[i]), 2);
}

TEST(cmds_default_command)
{
	struct applet ap = c_applet;
	ap.default_cmd = "many";
	struct bb_args a;
	char *argv[] = { "c", "dir/7", "dir/8", NULL };
	CHECK_EQ(cparse(&ap, &a, argv), BB_CONTINUE);
	CHECK(a.cmd == &c_cmds[4]);
	CHECK_EQ(a.argc, 2);
	CHECK_STR(a.argv[0], "dir/7");
}

TEST(cmds_help_of_one_command)
{
	struct bb_args a;
	char *argv[] = { "c", "add", "--help", NULL };
	char path[512];
	snprintf(path, sizeof(path), "%s/help", test_tmpdir());
	CHECK(freopen(path, "w", stdout));
	CHECK_EQ(cparse(&c_applet, &a, argv), 0);
	fflush(stdout);
	FILE *f = fopen(path, "r");
	char text[2048] = "";
	CHECK(f && fread(text, 1, sizeof(text) - 1, f) > 0);
	fclose(f);
	CHECK(strstr(text, "Usage: c add DISK [N] [OPTIONS]"));
	CHECK(strstr(text, "--size"));
	CHECK(strstr(text, "--pv DEV") && strstr(text, "(repeatable)"));
	CHECK(!strstr(text, "--json")); /* not an option of add */
}

TEST(opts_repeatable_keep_every_value)
{
	struct bb_args a;
	char *argv[] = { "c", "add", "--pv", "/dev/a:/dev/b", "d", "--pv=/dev/c", "-s", "1G",
			 "--pv", "/dev/d", NULL };
	CHECK_EQ(cparse(&c_applet, &a, argv), BB_CONTINUE);
	CHECK_EQ(a.v[C_PV].seen, 3);
	CHECK_STR(opt_value(&a, C_PV, 0), "/dev/a:/dev/b");
	CHECK_STR(opt_value(&a, C_PV, 1), "/dev/c");
	CHECK_STR(opt_value(&a, C_PV, 2), "/dev/d");
	CHECK(opt_value(&a, C_PV, 3) == NULL);
	CHECK(opt_value(&a, C_SIZE, 0) == NULL); /* not repeatable: no list */
	CHECK_STR(opt_str(&a, C_SIZE, NULL), "1G");
}

TEST(opts_repeatable_bounded)
{
	static char *argv[2 * BB_MAX_VALUES + 8];
	int n = 0;
	argv[n++] = "c";
	argv[n++] = "add";
	argv[n++] = "d";
	for (int i = 0; i <= BB_MAX_VALUES; i++) {
		argv[n++] = "--pv";
		argv[n++] = "x";
	}
	argv[n] = NULL;
	struct bb_args a;
	CHECK_EQ(cparse(&c_applet, &a, argv), 2);
}
