/* crc.h - CRC-32 (IEEE 802.3, as zlib) and CRC-32C (Castagnoli, as iSCSI).
 *
 * Both take and return the finished CRC value, like zlib's crc32(): start
 * from 0 and feed the previous result back in to continue a stream.
 *   crc32_ieee(0, "123456789", 9) == 0xCBF43926
 *   crc32c(0, "123456789", 9)     == 0xE3069283
 * The fastest path this CPU can run is picked once, at start-up; the
 * others stay callable by name so tests and benchmarks can compare them.
 */
#ifndef BB_CRC_H
#define BB_CRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint32_t crc32_ieee(uint32_t crc, const void *buf, size_t len);
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

/* The portable reference (slice-by-8 tables) the tests compare against. */
uint32_t crc32_ieee_sw(uint32_t crc, const void *buf, size_t len);
uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len);

/* Every implementation, slowest first. The folding paths need PCLMULQDQ
 * and SSE4.2; AVX means the same 128-bit folding VEX-encoded (no penalty
 * when the caller left the upper vector halves dirty); VPCLMUL256 and
 * VPCLMUL512 fold 32 and 64 bytes per instruction (AVX2 or AVX-512F);
 * VPCLMUL512's CRC-32C also feeds a third of a long buffer to the crc32
 * instruction meanwhile (about 1.4x the folding alone, in cache). GFNI is
 * VPCLMUL512 whose CRC-32 also folds a sixth of the bytes with GFNI
 * affine transforms and VPERMB (AVX512-VBMI) beside the multiplies
 * (about 1.2x, in cache); its CRC-32C is VPCLMUL512's. The default is the
 * last usable path, except GFNI off AMD Zen 4 and 5 (measured on Zen 5). */
enum crc_path {
	CRC_PATH_SW,
	CRC_PATH_SSE,
	CRC_PATH_AVX,
	CRC_PATH_VPCLMUL256,
	CRC_PATH_VPCLMUL512,
	CRC_PATH_GFNI,
	CRC_PATHS
};

bool crc_path_usable(enum crc_path path);
const char *crc_path_name(enum crc_path path);
enum crc_path crc_path_default(void); /* what crc32_ieee() and crc32c() use */

/* One path by name; an unusable path falls back to the portable one. */
uint32_t crc32_ieee_path(enum crc_path path, uint32_t crc, const void *buf, size_t len);
uint32_t crc32c_path(enum crc_path path, uint32_t crc, const void *buf, size_t len);

#endif
