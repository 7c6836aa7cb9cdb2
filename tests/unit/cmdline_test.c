#include "cmdline.h"
#include "test.h"

TEST(cmdline_words_quotes_last_wins)
{
	struct cmdline c;
	const char *why = NULL;
	CHECK_EQ(cmdline_parse(&c, "BOOT_IMAGE=/vmlinuz quiet mossize=8 \"blockbox.run=sysvol --x\" "
				   "label=\"a b\" mossize=16 console=ttyS0,115200\n",
			       &why),
		 0);
	CHECK_EQ(c.n, 7);
	CHECK(cmdline_has(&c, "quiet"));
	CHECK(cmdline_get(&c, "quiet") == NULL);
	CHECK_STR(cmdline_get(&c, "blockbox.run"), "sysvol --x");
	CHECK_STR(cmdline_get(&c, "label"), "a b");
	CHECK_STR(cmdline_get(&c, "console"), "ttyS0,115200");
	uint64_t gb;
	CHECK_EQ(cmdline_u64(&c, "mossize", 4, 1, 1 << 20, &gb), 0);
	CHECK_EQ(gb, 16);
	CHECK_EQ(cmdline_u64(&c, "mosswap", 2, 0, 1 << 20, &gb), 0);
	CHECK_EQ(gb, 2);
	CHECK_EQ(cmdline_u64(&c, "console", 2, 0, 1 << 20, &gb), -1);
	cmdline_free(&c);
}

TEST(cmdline_value_with_equals)
{
	struct cmdline c;
	const char *why;
	CHECK_EQ(cmdline_parse(&c, "root=UUID=abcd-1234 x=", &why), 0);
	CHECK_STR(cmdline_get(&c, "root"), "UUID=abcd-1234");
	CHECK_STR(cmdline_get(&c, "x"), "");
	cmdline_free(&c);
}

TEST(cmdline_rejects_garbled)
{
	struct cmdline c;
	const char *why = NULL;
	CHECK_EQ(cmdline_parse(&c, "a=\"unterminated b", &why), -1);
	CHECK_STR(why, "unterminated quote");
	cmdline_free(&c);
	char big[CMDLINE_MAX_ARGS * 3 + 10];
	size_t o = 0;
	for (int i = 0; i <= CMDLINE_MAX_ARGS; i++) {
		big[o++] = 'x';
		big[o++] = ' ';
	}
	big[o] = 0;
	CHECK_EQ(cmdline_parse(&c, big, &why), -1);
	CHECK_STR(why, "too many words");
	cmdline_free(&c);
}

TEST(cmdline_reads_file)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/cmdline", test_tmpdir());
	FILE *f = fopen(path, "w");
	fputs("console=ttyS0 blockbox.run=probe\n", f);
	fclose(f);
	struct cmdline c;
	const char *why;
	CHECK_EQ(cmdline_read(&c, path, &why), 0);
	CHECK_STR(cmdline_get(&c, "blockbox.run"), "probe");
	cmdline_free(&c);
	CHECK_EQ(cmdline_read(&c, "/nonexistent/cmdline", &why), -1);
}
