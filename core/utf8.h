/* utf8.h - strict UTF-8, decoded and encoded in one place for the JSON
 * parser and writer and for GPT partition names: no overlong forms, no
 * surrogates, nothing past U+10FFFF. */
#ifndef BB_UTF8_H
#define BB_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The code point at s, which has n >= 1 bytes: returns how many bytes it
 * takes, or 0 when they are not valid UTF-8 (a sequence cut short by n
 * included). */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* cp (at most U+10FFFF) as UTF-8 at o: returns the bytes written, 1-4. */
size_t utf8_encode(char *o, uint32_t cp);

/* n bytes of text from a disk (a label, a partition or product name),
 * made safe to print on a terminal into out (len >= 8): valid UTF-8 is
 * kept, but control characters (C0, DEL, C1), bytes that are not UTF-8
 * and the backslash become \xNN, so that no escape sequence reaches the
 * terminal. Cut at a character boundary with "..." when out is too
 * small. Returns out. */
char *utf8_printable(const void *s, size_t n, char *out, size_t len);

#endif
