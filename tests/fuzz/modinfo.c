/* modinfo fuzz target: any bytes as a kernel module. */
#include "modinfo.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct modinfo mi;
	const char *why;
	if (modinfo_find(data, size, &mi, &why))
		return 0;
	static const char *const keys[] = { "name", "depends", "alias", "softdep", "vermagic" };
	char buf[64];
	unsigned sum = 0;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		size_t pos = 0, n;
		const char *v;
		/* Read every byte of every value: ASan checks the bounds. */
		while (modinfo_next(&mi, keys[k], &pos, &v, &n))
			for (size_t i = 0; i < n; i++)
				sum += (unsigned char)v[i];
		modinfo_get(&mi, keys[k], buf, sizeof(buf));
	}
	return (int)(sum & 0); /* libFuzzer wants 0; sum keeps the reads */
}
