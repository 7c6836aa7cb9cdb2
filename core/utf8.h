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

#endif
