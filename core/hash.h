/* hash.h - SHA-256 (mbedtls underneath), for content fingerprints. */
#ifndef BB_HASH_H
#define BB_HASH_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	/* opaque: room for mbedtls_sha256_context, aligned for it too */
	_Alignas(max_align_t) unsigned char ctx[128];
};

void sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *data, size_t len);
void sha256_final(struct sha256 *h, uint8_t out[32]);
void sha256(const void *data, size_t len, uint8_t out[32]);
/* SHA-256 of a whole regular file, read in large chunks. 0, or -1 with
 * *why (open, read, or not a regular file). */
int sha256_file(const char *path, uint8_t out[32], const char **why);
/* lowercase hex of n bytes into out (2n+1 bytes) */
char *hex(const uint8_t *bytes, size_t n, char *out);

#endif
