/* num.h - strict unsigned numbers, the one parser for options, the kernel
 * command line, sysfs attributes and configuration values.
 *
 * Accepted: decimal digits, or 0x/0X followed by hex digits. Refused: an
 * empty string, a sign, blanks anywhere, "0x" alone, trailing junk, and a
 * value past 2^64-1 (strtoull would clamp or wrap "-1"). A leading 0 is
 * still decimal: "010" is ten, never eight.
 */
#ifndef BB_NUM_H
#define BB_NUM_H

#include <stdint.h>

struct bb_error;

/* s as a number from min to max: 0, or -1 with e ("'12x' is not a number",
 * "'300' is out of range (0..255)"); *out is left alone on failure. */
int num_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, struct bb_error *e);
/* The same, decimal only: for formats that never write hex (sysfs,
 * /proc, protojson's 64-bit strings). */
int num_dec_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, struct bb_error *e);
/* Hex digits only, with or without 0x: where a format is always hex
 * (mkfs.fat's -i volume id "1234ABCD", bit masks). */
int num_hex_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, struct bb_error *e);
/* num_u64 into an unsigned int, max capped at UINT_MAX. */
int num_uint(const char *s, unsigned min, unsigned max, unsigned *out, struct bb_error *e);

#endif
