/* cmdline.h - the kernel command line, as init and boot-time applets read
 * it: words separated by blanks, "key=value" or bare flags, double quotes
 * to keep blanks inside a value (key="a b"). */
#ifndef BB_CMDLINE_H
#define BB_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMDLINE_MAX_ARGS 128

struct cmdline {
	char *buf; /* owned copy, split in place */
	struct {
		const char *key;
		const char *val; /* NULL for a bare flag */
	} arg[CMDLINE_MAX_ARGS];
	size_t n;
};

/* Parse text. Returns 0, or -1 with *why for an unterminated quote or too
 * many words. */
int cmdline_parse(struct cmdline *c, const char *text, const char **why);
/* Read and parse /proc/cmdline (or another file, for tests). */
int cmdline_read(struct cmdline *c, const char *path, const char **why);
void cmdline_free(struct cmdline *c);

/* The last value of key (later words win, as in the kernel), or NULL. */
const char *cmdline_get(const struct cmdline *c, const char *key);
bool cmdline_has(const struct cmdline *c, const char *key);
/* key's value as an unsigned number, decimal or 0x hex (core/num.h): 0 ok
 * (def when absent), -1 when the value is not a number or outside min..max. */
int cmdline_u64(const struct cmdline *c, const char *key, uint64_t def, uint64_t min,
		uint64_t max, uint64_t *out);

#endif
