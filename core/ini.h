/* ini.h - the line format of the files in config/data: "[section]"
 * lines, "key = value" lines, blank lines and comments (# or ;).
 *
 * The reader only splits lines; what a section or key means is the
 * caller's. One reader for every such file, so that sysvol's layout and
 * volmgr's topologies agree on what a comment or a blank is.
 */
#ifndef BB_INI_H
#define BB_INI_H

#include <stddef.h>

struct bb_error;

/* One line that says something: a section header (key and value NULL,
 * section the name between the brackets) or a key = value pair under
 * the current section. Text is trimmed of blanks at both ends. */
struct ini_item {
	unsigned line;
	const char *section;
	const char *key;
	const char *value;
};

/* fn returns 0 to go on, or -1 with e set to stop the walk. */
typedef int (*ini_fn)(void *ctx, const struct ini_item *it, struct bb_error *e);

/* Calls fn for each header and each pair of text (len bytes, NUL bytes
 * refused), in order. A line longer than INI_LINE_MAX, one that is
 * neither, or a pair before the first header is an EINVAL error
 * "line N: why". Returns 0, or -1 with e set. */
#define INI_LINE_MAX 1023
int ini_parse(const char *text, size_t len, ini_fn fn, void *ctx, struct bb_error *e);

#endif
