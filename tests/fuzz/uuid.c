/* UUID and number text fuzz target: any bytes as a UUID and as a number.
 * What is accepted must format back to the same text (case aside) and
 * parse again to the same value. */
#include "num.h"
#include "uuid.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[80];
	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = 0;

	struct uuid u, back;
	char t[UUID_STR];
	if (!uuid_parse(s, &u, NULL)) {
		uuid_fmt(&u, t);
		const char *plain = s[0] == '{' ? s + 1 : s;
		if (strncasecmp(t, plain, 36) || uuid_parse(t, &back, NULL) || !uuid_eq(&u, &back))
			abort();
	}

	uint64_t v, w;
	if (!num_u64(s, 0, UINT64_MAX, &v, NULL)) {
		char d[32];
		bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
		/* what strtoull reads the same way must agree */
		if (strtoull(hex ? s + 2 : s, NULL, hex ? 16 : 10) != v)
			abort();
		snprintf(d, sizeof(d), "%llu", (unsigned long long)v);
		if (num_dec_u64(d, v, v, &w, NULL) || w != v)
			abort();
	}
	return 0;
}
