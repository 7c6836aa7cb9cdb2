/* size.h - sizes as people write them and as tables print them. */
#ifndef BB_SIZE_H
#define BB_SIZE_H

#include <stdint.h>

/* Parse "4096", "4096B", "512K", "512KiB", "1.5G", "10T", or "NN%" of
 * pct_of (only when pct_of != 0). Suffixes K M G T P E are powers of 1024,
 * with optional "iB"/"B". Returns 0, or -1 with *why set (overflow, junk,
 * a fraction of a byte, a percentage where none is allowed, ...). */
int parse_size(const char *s, uint64_t pct_of, uint64_t *out, const char **why);

/* "0 B", "512 B", "1.5 GiB": at most 3 significant digits; buf >= 16. */
char *fmt_size(uint64_t v, char *buf, unsigned long len);

#endif
