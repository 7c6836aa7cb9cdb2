/* ini.c - see ini.h. */
#include "ini.h"

#include "error.h"

#include <errno.h>
#include <string.h>

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

/* One line, already copied out and NUL-terminated; *section holds the
 * current header's name (empty before the first). */
static int one_line(char *line, unsigned lineno, char *section, ini_fn fn, void *ctx,
		    struct bb_error *e)
{
	char *s = trim(line);
	if (!*s || *s == '#' || *s == ';')
		return 0;
	struct ini_item it = { .line = lineno, .section = section };
	size_t n = strlen(s);
	if (*s == '[') {
		if (s[n - 1] != ']' || n < 2)
			return bb_error_set(e, EINVAL, "line %u: '%s': want [section]", lineno, s);
		s[n - 1] = 0;
		char *name = trim(s + 1);
		if (!*name)
			return bb_error_set(e, EINVAL, "line %u: '[%s]': want [section]", lineno, name);
		memmove(section, name, strlen(name) + 1); /* shorter than a line: fits */
		it.section = section;
		return fn(ctx, &it, e);
	}
	char *eq = strchr(s, '=');
	if (!eq)
		return bb_error_set(e, EINVAL, "line %u: '%s': want key = value", lineno, s);
	*eq = 0;
	it.key = trim(s);
	it.value = trim(eq + 1);
	if (!section[0])
		return bb_error_set(e, EINVAL, "line %u: %s: a key before the first section",
				    lineno, it.key);
	return fn(ctx, &it, e);
}

int ini_parse(const char *text, size_t len, ini_fn fn, void *ctx, struct bb_error *e)
{
	char line[INI_LINE_MAX + 1], section[INI_LINE_MAX + 1] = "";
	unsigned lineno = 0;
	size_t pos = 0;
	while (pos < len) {
		size_t n = 0;
		lineno++;
		for (; pos < len && text[pos] != '\n'; pos++) {
			if (!text[pos])
				return bb_error_set(e, EINVAL, "line %u: a NUL byte", lineno);
			if (n == INI_LINE_MAX)
				return bb_error_set(e, EINVAL, "line %u: longer than %d bytes",
						    lineno, INI_LINE_MAX);
			line[n++] = text[pos];
		}
		pos++; /* the newline */
		line[n] = 0;
		if (one_line(line, lineno, section, fn, ctx, e))
			return -1;
	}
	return 0;
}
