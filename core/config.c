/* config.c - compiled-in data files and their run-time replacements. */
#include "config.h"
#include "error.h"
#include "io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct config_blob {
	const char *name;
	const unsigned char *data;
	size_t len;
};

#include "config-data.inc" /* build/gen: config_blobs[], from config/data/ */

const char *config_builtin(const char *name, size_t *len)
{
	for (const struct config_blob *b = config_blobs; b->name; b++)
		if (!strcmp(b->name, name)) {
			if (len)
				*len = b->len;
			return (const char *)b->data;
		}
	return NULL;
}

const char *config_name(size_t i)
{
	for (size_t k = 0; config_blobs[k].name; k++)
		if (k == i)
			return config_blobs[k].name;
	return NULL;
}

char *config_load(const char *name, const char *path, size_t max, size_t *len,
		  const char **from, struct bb_error *e)
{
	size_t n;
	if (path) {
		if (!*path) {
			bb_error_set(e, EINVAL, "%s: an empty file name", name);
			return NULL;
		}
		char *text = read_file(path, max, &n);
		if (!text) {
			bb_error_errno(e, "%s", path);
			return NULL;
		}
		if (from)
			*from = path;
		if (len)
			*len = n;
		return text;
	}
	const char *data = config_builtin(name, &n);
	if (!data) {
		bb_error_set(e, EINVAL, "%s: not built in", name);
		return NULL;
	}
	char *copy = malloc(n + 1);
	if (!copy) {
		bb_error_set(e, ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	memcpy(copy, data, n + 1);
	if (from)
		*from = "built-in";
	if (len)
		*len = n;
	return copy;
}
