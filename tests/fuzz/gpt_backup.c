/* gpt_backup.c (fuzz) - the input is a gpt backup file. It is decoded as
 * it is, and again with a checksum that holds appended (the fuzzer cannot
 * forge CRCs; this way it reaches the checks behind). A file that decodes
 * must encode back to the same bytes, and the table it holds is read as
 * a restore reads it; when that succeeds, the restore plan is built and
 * must write each sector range once, inside the disk. */
#include "crc.h"
#include "gpt.h"

#include <stdlib.h>
#include <string.h>

static void check(const uint8_t *data, size_t size)
{
	struct gpt_backup b;
	if (gpt_backup_decode(data, size, &b, NULL))
		return;
	size_t len;
	uint8_t *again = gpt_backup_encode(&b, &len, NULL);
	if (!again || len != size || memcmp(again, data, size))
		abort();
	free(again);
	struct gpt g;
	if (gpt_read_backup(&g, &b) == 0) {
		struct gpt_plan p;
		if (gpt_backup_plan(&b, g.primary_ok, &p, NULL) == 0) {
			if (p.n != GPT_BACKUP_EXTENTS)
				abort();
			for (unsigned i = 0; i < p.n; i++)
				if (p.io[i].lba >= b.lbas || p.io[i].count > b.lbas - p.io[i].lba)
					abort();
			gpt_plan_free(&p);
		}
	}
	gpt_free(&g);
	gpt_backup_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > GPT_BACKUP_MAX)
		return 0;
	check(data, size);
	uint8_t *sealed = malloc(size + 4);
	if (!sealed)
		return 0;
	memcpy(sealed, data, size);
	uint32_t crc = crc32_ieee(0, data, size);
	for (int i = 0; i < 4; i++)
		sealed[size + (size_t)i] = (uint8_t)(crc >> 8 * i);
	check(sealed, size + 4);
	free(sealed);
	return 0;
}
