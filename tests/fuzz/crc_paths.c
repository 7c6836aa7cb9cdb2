/* CRC paths fuzz target: every usable path's CRC-32 and CRC-32C against
 * the portable tables, on any bytes at any start value, misalignment and
 * length. The input is a header (start value, misalignment, extra length)
 * and a pattern, repeated out to the length so that short inputs still
 * reach the paths' steps at 1, 4 and 64 KiB. */
#include "crc.h"
#include "endian.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { HDR = 7, MAX_EXTRA = 0xffff, MAX_MIS = 63 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size <= HDR)
		return 0;
	uint32_t start = get_le32(data);
	size_t mis = data[4] & MAX_MIS, extra = get_le16(data + 5);
	const uint8_t *pat = data + HDR;
	size_t npat = size - HDR, len = npat + extra;
	/* exactly the bytes asked for, so ASan sees a read past the end */
	uint8_t *raw = malloc(mis + len);
	if (!raw)
		return 0;
	uint8_t *buf = raw + mis;
	for (size_t i = 0; i < len; i++)
		buf[i] = pat[i % npat];
	uint32_t want_ieee = crc32_ieee_sw(start, buf, len), want_c = crc32c_sw(start, buf, len);
	for (int p = 0; p < CRC_PATHS; p++) {
		if (!crc_path_usable((enum crc_path)p))
			continue;
		if (crc32_ieee_path((enum crc_path)p, start, buf, len) != want_ieee ||
		    crc32c_path((enum crc_path)p, start, buf, len) != want_c)
			abort();
	}
	free(raw);
	return 0;
}
