/* config.h - data an applet is built with and a user may replace.
 *
 * Every file in config/data/ (the sysvol partition layout, the volmgr
 * topology templates, ...) is compiled into the binary under its file
 * name. At run time an applet reads the built-in copy, or a replacement
 * file the user names (--layout FILE, sysvol.layout=), through the same
 * call, so a node can change its layout without a rebuild.
 */
#ifndef BB_CONFIG_H
#define BB_CONFIG_H

#include <stddef.h>

struct bb_error;

/* The built-in copy of config/data/NAME (NUL-terminated), or NULL. */
const char *config_builtin(const char *name, size_t *len);

/* The data to run with: the file at path when path is non-NULL (a regular
 * file of at most max bytes), else the built-in NAME. Returns a malloc'd,
 * NUL-terminated copy to free(), or NULL with e set (a missing built-in
 * is EINVAL: a build without that data). *from says where it came from:
 * the path, or "built-in NAME". */
char *config_load(const char *name, const char *path, size_t max, size_t *len,
		  const char **from, struct bb_error *e);

/* Names of the built-in files, for a --list of them: i-th, NULL past the end. */
const char *config_name(size_t i);

#endif
