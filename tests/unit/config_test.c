/* config_test.c - compiled-in data files and their replacements. */
#include "config.h"
#include "error.h"
#include "io.h"
#include "test.h"

#include <errno.h>

/* Every built-in copy is the file in config/data/, byte for byte (the
 * tests run from the top of the tree). */
TEST(config_builtin_is_the_file)
{
	size_t n = 0;
	for (size_t i = 0; config_name(i); i++, n++) {
		char path[256];
		size_t flen, blen;
		snprintf(path, sizeof(path), "config/data/%s", config_name(i));
		char *file = read_file(path, 1 << 20, &flen);
		const char *built = config_builtin(config_name(i), &blen);
		CHECK(file && built);
		CHECK_EQ(flen, blen);
		CHECK(!memcmp(file, built, blen));
		CHECK_EQ(built[blen], 0);
		free(file);
	}
	CHECK(n >= 1);
	CHECK(config_builtin("no-such-data", NULL) == NULL);
}

TEST(config_load_prefers_the_named_file)
{
	struct bb_error e = { 0 };
	char path[512];
	snprintf(path, sizeof(path), "%s/layout", test_tmpdir());
	CHECK_EQ(write_file_atomic(path, "[partition]\n", 12, 0644), 0);
	size_t len;
	const char *from;
	char *text = config_load("sysvol-layout.conf", path, 4096, &len, &from, &e);
	CHECK(text);
	CHECK_EQ(len, 12);
	CHECK_STR(text, "[partition]\n");
	CHECK_STR(from, path);
	free(text);
	text = config_load("sysvol-layout.conf", NULL, 0, &len, &from, &e);
	CHECK(text && len > 100 && strstr(text, "mosdata"));
	CHECK_STR(from, "built-in");
	free(text);
}

TEST(config_load_errors_say_why)
{
	struct bb_error e = { 0 };
	char path[512];
	snprintf(path, sizeof(path), "%s/missing", test_tmpdir());
	CHECK(!config_load("sysvol-layout.conf", path, 4096, NULL, NULL, &e));
	CHECK_EQ(e.code, ENOENT);
	CHECK(strstr(e.msg, path));
	CHECK(!config_load("sysvol-layout.conf", "", 4096, NULL, NULL, &e));
	CHECK_EQ(e.code, EINVAL);
	CHECK(!config_load("nothing-built-in", NULL, 4096, NULL, NULL, &e));
	CHECK(strstr(e.msg, "not built in"));
	snprintf(path, sizeof(path), "%s/big", test_tmpdir());
	CHECK_EQ(write_file_atomic(path, "0123456789", 10, 0644), 0);
	CHECK(!config_load("x", path, 4, NULL, NULL, &e)); /* bounded */
	CHECK_EQ(e.code, EFBIG);
}
