/* core/ini: the line format shared by the files in config/data. */
#include "error.h"
#include "ini.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Each item as "L:section" or "L:section:key=value", joined by '|'. */
struct seen {
	char text[512];
	int stop_at; /* fail on this line, 0: never */
};

static int collect(void *ctx, const struct ini_item *it, struct bb_error *e)
{
	struct seen *s = ctx;
	size_t n = strlen(s->text);
	if (it->key)
		snprintf(s->text + n, sizeof(s->text) - n, "%u:%s:%s=%s|", it->line, it->section,
			 it->key, it->value);
	else
		snprintf(s->text + n, sizeof(s->text) - n, "%u:%s|", it->line, it->section);
	if (s->stop_at && it->line == (unsigned)s->stop_at)
		return bb_error_set(e, EINVAL, "stopped");
	return 0;
}

static int run(const char *text, struct seen *s, struct bb_error *e)
{
	memset(s->text, 0, sizeof(s->text));
	return ini_parse(text, strlen(text), collect, s, e);
}

TEST(ini_items_in_order_trimmed)
{
	struct seen s = { 0 };
	struct bb_error e = { 0 };
	const char *text = "# a comment\n\n ; another\n[ one ]\n  a = 1 \r\nb=two words\n"
			   "c =\n[two]\nd = x = y";
	CHECK_EQ(run(text, &s, &e), 0);
	CHECK_STR(s.text, "4:one|5:one:a=1|6:one:b=two words|7:one:c=|8:two|9:two:d=x = y|");
}

TEST(ini_refuses_what_is_neither)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "a = 1\n", "line 1: a: a key before the first section" },
		{ "[s]\njust words\n", "line 2: 'just words': want key = value" },
		{ "[s\n", "line 1: '[s': want [section]" },
		{ "[]\n", "line 1: '[]': want [section]" },
		{ "[s]\na = 1\0\n", "line 2: a NUL byte" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct seen s = { 0 };
		struct bb_error e = { 0 };
		size_t len = strlen(bad[i].text);
		if (strstr(bad[i].why, "NUL"))
			len += 2; /* past the NUL, to the newline */
		memset(s.text, 0, sizeof(s.text));
		CHECK_EQ(ini_parse(bad[i].text, len, collect, &s, &e), -1);
		CHECK_STR(e.msg, bad[i].why);
	}
}

TEST(ini_long_line_and_caller_stop)
{
	char text[INI_LINE_MAX + 16];
	memset(text, 'x', sizeof(text));
	memcpy(text, "[s]\n", 4);
	struct seen s = { 0 };
	struct bb_error e = { 0 };
	CHECK_EQ(ini_parse(text, sizeof(text), collect, &s, &e), -1);
	CHECK_STR(e.msg, "line 2: longer than 1023 bytes");
	/* exactly INI_LINE_MAX bytes is fine */
	text[4] = 'k';
	text[5] = '=';
	CHECK_EQ(ini_parse(text, 4 + INI_LINE_MAX, collect, &s, &e), 0);
	s.stop_at = 3;
	CHECK_EQ(run("[s]\na=1\nb=2\nc=3\n", &s, &e), -1);
	CHECK_STR(e.msg, "stopped");
	CHECK_STR(s.text, "1:s|2:s:a=1|3:s:b=2|");
}
