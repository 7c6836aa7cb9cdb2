/* mount fuzz target: any bytes as a mount option string, as mountinfo,
 * as /proc/swaps, and through the fstab field escapes and back. */
#include "mount.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void options(const char *s)
{
	struct mount_opts o;
	if (mount_opts_parse(s, &o, NULL))
		return;
	size_t n = strlen(o.data);
	if (n >= sizeof(o.data) || (n && (o.data[0] == ',' || o.data[n - 1] == ',')))
		abort();
	if (n > strlen(s)) /* data is a subset of the input */
		abort();
}

static void table(const char *s, size_t len)
{
	struct mount_table t;
	char *text = malloc(len + 1);
	if (!text)
		return;
	memcpy(text, s, len + 1);
	if (mount_table_parse(text, &t, NULL))
		return;
	for (size_t i = 0; i < t.n; i++) {
		const struct mount_entry *m = &t.m[i];
		if (!m->root || !m->target || !m->opts || !m->fstype || !m->source || !m->super_opts)
			abort();
		if (mount_table_find(&t, m->target) == NULL)
			abort();
	}
	mount_table_free(&t);
}

static void swaps(const char *s, size_t len)
{
	struct mount_swaps w;
	char *text = malloc(len + 1);
	if (!text)
		return;
	memcpy(text, s, len + 1);
	if (mount_swaps_parse(text, &w, NULL))
		return;
	/* a path may hold any byte but NUL once unescaped: the kernel writes
	 * a newline in a swap file's name as \012 */
	for (size_t i = 0; i < w.n; i++)
		if (w.path[i][0] != '/')
			abort();
	mount_swaps_free(&w);
}

static void escapes(const char *s, size_t len)
{
	char *esc = malloc(4 * len + 1), *back = malloc(4 * len + 1);
	if (esc && back) {
		mount_escape(s, esc);
		if (strpbrk(esc, " \t\n"))
			abort();
		strcpy(back, esc);
		mount_unescape(back);
		if (strcmp(back, s))
			abort();
	}
	free(esc);
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	size_t len = strlen(s); /* up to the first NUL, as C strings go */
	options(s);
	table(s, len);
	swaps(s, len);
	escapes(s, len);
	char path[64]; /* root paths never write past the buffer */
	mount_root_path("/sysroot", s, path, sizeof(path), NULL);
	free(s);
	return 0;
}
