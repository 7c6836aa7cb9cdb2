/* sysvol_layout - libFuzzer target: any bytes as a sysvol layout file.
 * Nothing may crash; what is accepted must be consistent: every partition
 * named, typed and sized, labels within their format's limit, the data
 * partition a btrfs one when subvolumes exist, and the space it needs at
 * least the sum of its partitions. */
#include "../../applets/sysvol/sysvol.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sv_layout l;
	struct bb_error e = { 0 };
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if (!sv_layout_parse(&l, text, size, &e)) {
		if (!l.nparts || l.nparts > SV_MAX_PARTS || l.nsubs > SV_MAX_SUBVOLS)
			abort();
		uint64_t sum = 0;
		for (size_t i = 0; i < l.nparts; i++) {
			const struct sv_part *p = &l.part[i];
			if (!p->name[0] || !p->type[0] || !p->size)
				abort();
			if (p->format == SV_FMT_VFAT && strlen(p->label) > 11)
				abort();
			sum += p->size / 2; /* a lower bound that cannot overflow */
		}
		if (l.nsubs && (l.data < 0 || l.part[l.data].format != SV_FMT_BTRFS))
			abort();
		if (sv_layout_need(&l, 512) < sum)
			abort();
	} else if (!e.msg[0]) {
		abort(); /* a refusal always says why */
	}
	free(text);
	return 0;
}
