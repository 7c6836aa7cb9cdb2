/* hash.c - SHA-256 over mbedtls, behind a header that does not leak it. */
#include "hash.h"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

_Static_assert(sizeof(mbedtls_sha256_context) <= sizeof(((struct sha256 *)0)->ctx),
	       "struct sha256 too small for mbedtls");
_Static_assert(_Alignof(struct sha256) >= _Alignof(mbedtls_sha256_context),
	       "struct sha256 not aligned for mbedtls");

void sha256_init(struct sha256 *h)
{
	mbedtls_sha256_context *c = (mbedtls_sha256_context *)(void *)h->ctx;
	mbedtls_sha256_init(c);
	mbedtls_sha256_starts_ret(c, 0);
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
	mbedtls_sha256_update_ret((mbedtls_sha256_context *)(void *)h->ctx, data, len);
}

void sha256_final(struct sha256 *h, uint8_t out[32])
{
	mbedtls_sha256_context *c = (mbedtls_sha256_context *)(void *)h->ctx;
	mbedtls_sha256_finish_ret(c, out);
	mbedtls_sha256_free(c);
}

void sha256(const void *data, size_t len, uint8_t out[32])
{
	struct sha256 h;
	sha256_init(&h);
	sha256_update(&h, data, len);
	sha256_final(&h, out);
}

int sha256_file(const char *path, uint8_t out[32], const char **why)
{
	struct stat st;
	int fd = open_regular(path, O_RDONLY, &st, why);
	if (fd < 0)
		return -1;
	enum { CHUNK = 1 << 20 };
	uint8_t *buf = malloc(CHUNK);
	struct sha256 h;
	sha256_init(&h);
	ssize_t n = -1;
	while (buf && (n = read_full(fd, buf, CHUNK)) > 0)
		sha256_update(&h, buf, (size_t)n);
	int e = buf ? errno : ENOMEM;
	free(buf);
	close(fd);
	sha256_final(&h, out);
	if (n < 0) {
		*why = strerror(e);
		errno = e;
		return -1;
	}
	return 0;
}

char *hex(const uint8_t *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = 0;
	return out;
}
