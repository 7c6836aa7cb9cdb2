/* uuid.h - RFC 4122 / RFC 9562 UUIDs: text, random, and derived.
 *
 * struct uuid holds the 16 bytes in the order the text reads them (the
 * RFC's big-endian fields), which is how ext4, btrfs, xfs, swap and LVM
 * store them. GPT is the exception: its GUIDs keep their mixed-endian
 * on-disk order in core/gpt.
 *
 * Text: 8-4-4-4-12 hex digits in either case, optionally inside braces
 * ("{...}", as Windows and sgdisk print them); what libuuid, blkid and
 * every mkfs -U accept. Output is lower case, as blkid prints it.
 */
#ifndef BB_UUID_H
#define BB_UUID_H

#include "hash.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UUID_STR 37 /* 36 characters and the NUL */

struct uuid {
	uint8_t b[16];
};
struct bb_error;

/* blockbox's namespace for derived UUIDs (fixed forever: changing it
 * changes every derived identifier). */
extern const struct uuid uuid_ns_blockbox;

/* 0, or -1 with e (EINVAL) when s is not exactly a UUID. */
int uuid_parse(const char *s, struct uuid *u, struct bb_error *e);
char *uuid_fmt(const struct uuid *u, char buf[UUID_STR]);
/* The same with upper-case digits (GPT tools print those). */
char *uuid_fmt_upper(const struct uuid *u, char buf[UUID_STR]);

bool uuid_is_zero(const struct uuid *u);
bool uuid_eq(const struct uuid *a, const struct uuid *b);
/* The version nibble (4 random, 8 derived here, ...). */
static inline unsigned uuid_version(const struct uuid *u) { return u->b[6] >> 4; }

/* n bytes from getrandom(), waiting for the pool at early boot: 0, or -1
 * with e. For anything random: UUIDs, FAT volume ids, GPT GUIDs. */
int uuid_random_bytes(void *buf, size_t n, struct bb_error *e);
/* A version 4 UUID: 0, or -1 with e. */
int uuid_random(struct uuid *u, struct bb_error *e);
/* Stamp version and the RFC 4122 variant on 16 bytes of entropy or hash. */
void uuid_set_version(struct uuid *u, unsigned version);

/* A UUID derived from a name: the same (namespace, name) gives the same
 * UUID on every run, so that a rerun of a provisioning converges on the
 * identifiers it chose the first time. RFC 9562's name-based version 8
 * with SHA-256 (its appendix B.2): SHA-256 of the namespace's 16 bytes
 * then the name, the first 16 bytes of the digest, version 8. ns NULL is
 * uuid_ns_blockbox. Inline so that only its users link SHA-256 (the fuzz
 * builds have no mbedtls). */
static inline void uuid_derive(struct uuid *u, const struct uuid *ns, const void *name, size_t len)
{
	struct sha256 h;
	uint8_t d[32];
	sha256_init(&h);
	sha256_update(&h, (ns ? ns : &uuid_ns_blockbox)->b, 16);
	sha256_update(&h, name, len);
	sha256_final(&h, d);
	for (int i = 0; i < 16; i++)
		u->b[i] = d[i];
	uuid_set_version(u, 8);
}

#endif
