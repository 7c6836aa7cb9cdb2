/* smart fuzz target: any bytes as an NVMe SMART log, an ATA SMART data
 * page and the sense data of an ATA RETURN STATUS. */
#include "smart.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smart_nvme s;
	char w[128];
	if (smart_nvme_parse(data, size, &s, NULL) == 0)
		smart_nvme_warning_words(s.critical_warning, w, sizeof(w));
	struct smart_ata_attr a[SMART_ATA_MAX_ATTRS];
	size_t n;
	if (smart_ata_attrs_parse(data, size, a, &n, NULL) == 0)
		for (size_t i = 0; i < n; i++)
			if (n > SMART_ATA_MAX_ATTRS || a[i].id == 0 || a[i].id > 255 ||
			    a[i].raw >> 48)
				abort();
	int st = smart_ata_status_parse(data, size);
	if (st < -1 || st > 1)
		abort();
	return 0;
}
