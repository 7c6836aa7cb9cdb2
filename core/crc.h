/* crc.h - CRC-32 (IEEE 802.3, as zlib) and CRC-32C (Castagnoli, as iSCSI).
 *
 * Both take and return the finished CRC value, like zlib's crc32(): start
 * from 0 and feed the previous result back in to continue a stream.
 *   crc32_ieee(0, "123456789", 9) == 0xCBF43926
 *   crc32c(0, "123456789", 9)     == 0xE3069283
 * The hardware path (PCLMULQDQ folding, SSE4.2 crc32) is picked at run time;
 * the _sw variants are the portable reference the tests compare against.
 */
#ifndef BB_CRC_H
#define BB_CRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint32_t crc32_ieee(uint32_t crc, const void *buf, size_t len);
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

uint32_t crc32_ieee_sw(uint32_t crc, const void *buf, size_t len);
uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len);

/* The accelerated paths, callable only when crc_hw_available(). */
bool crc_hw_available(void);
uint32_t crc32_ieee_hw(uint32_t crc, const void *buf, size_t len);
uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len);

#endif
