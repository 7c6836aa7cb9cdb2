/* sysvol records fuzz target: any bytes as a degraded record and as a
 * members file. What parses must hold only printable values that fit,
 * and format back into a record that parses to the same values. */
#include "../../applets/sysvol/boot.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	struct svb_record r, back;
	const char *why;
	if (!svb_record_parse(text, &r, &why)) {
		char out[512];
		if (strlen(r.since) >= sizeof(r.since) || strlen(r.missing) >= sizeof(r.missing))
			abort();
		if (!svb_record_format(&r, "degraded", out, sizeof(out)) &&
		    (svb_record_parse(out, &back, &why) || strcmp(back.since, r.since) ||
		     strcmp(back.missing, r.missing)))
			abort();
	}
	char serial[80];
	for (uint64_t id = 0; id < 4; id++)
		if (!svb_members_serial(text, id, serial, sizeof(serial)) && strlen(serial) >= sizeof(serial))
			abort();
	free(text);
	return 0;
}
