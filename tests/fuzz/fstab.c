/* fstab fuzz target: any bytes as an fstab. Formatting what was read
 * gives the same bytes back; an entry set from the first line's fields
 * (or a fixed one) is found again after a write and a re-read, and
 * removing it leaves no entry for it behind. */
#include "fstab.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_entry(const struct fstab *t, const struct fstab_entry *want)
{
	size_t len;
	char *text = fstab_format(t, &len, NULL);
	struct fstab back;
	if (!text || fstab_parse(text, len, &back, NULL))
		abort();
	ssize_t i = fstab_find(&back, want->spec, !strcmp(want->type, "swap") ? NULL : want->file);
	if (i < 0 || strcmp(back.line[i].e.opts, want->opts) || back.line[i].e.passno != want->passno)
		abort();
	fstab_remove(&back, want->spec, NULL);
	if (fstab_find(&back, want->spec, NULL) >= 0)
		abort();
	fstab_free(&back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fstab t;
	if (fstab_parse((const char *)data, size, &t, NULL))
		return 0;
	size_t len;
	char *text = fstab_format(&t, &len, NULL);
	if (!text || len != size || memcmp(text, data, size))
		abort();
	free(text);

	/* the first entry's own spec with new options, or a new entry */
	struct fstab_entry want = { "UUID=0c0ffee0-0000-4000-8000-000000000000", "/srv/fuzz data",
				    "ext4", "defaults,noatime", 0, 2 };
	for (size_t i = 0; i < t.n; i++)
		if (t.line[i].is_entry && *t.line[i].e.spec && *t.line[i].e.file) {
			want.spec = t.line[i].e.spec;
			want.file = t.line[i].e.file;
			want.type = t.line[i].e.type;
			break;
		}
	struct fstab_entry copy = want; /* fstab_set may free the line want points into */
	char *spec = strdup(copy.spec), *file = strdup(copy.file), *type = strdup(copy.type);
	if (spec && file && type) {
		copy.spec = spec, copy.file = file, copy.type = type;
		if (fstab_set(&t, &copy, NULL) >= 0)
			check_entry(&t, &copy);
	}
	free(spec);
	free(file);
	free(type);
	fstab_free(&t);
	return 0;
}
