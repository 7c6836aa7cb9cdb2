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
