/* modinfo.h - the .modinfo section of a kernel module.
 *
 * A .ko is an ELF relocatable object. The kernel build writes what a
 * loader needs to know about it into its .modinfo section as NUL-separated
 * "key=value" strings: name=, depends= (comma-separated module names),
 * alias= (shell patterns), softdep= ("pre: a b post: c"), vermagic=, parm=.
 * Reading that section is all that is needed to load modules in the right
 * order without modules.dep or depmod.
 *
 * The parser trusts nothing in the file: every offset is bounds-checked,
 * and values are returned as (pointer, length) because the last string of
 * a damaged section need not be terminated.
 */
#ifndef BB_MODINFO_H
#define BB_MODINFO_H

#include <stdbool.h>
#include <stddef.h>

struct modinfo {
	const char *data; /* the section's bytes, inside the caller's buffer */
	size_t len;
};

/* Find .modinfo in an ELF64 image of len bytes (either byte order).
 * Returns 0, or -1 with a static reason in *why ("not an ELF file").
 * A module without the section yields an empty modinfo, not an error. */
int modinfo_find(const void *elf, size_t len, struct modinfo *mi, const char **why);

/* Step through the values of key: start with *pos = 0; each call returns
 * true with the next value in *val / *vlen, false when there are no more. */
bool modinfo_next(const struct modinfo *mi, const char *key, size_t *pos, const char **val,
		  size_t *vlen);

/* The first value of key copied into buf (truncated to fit); false when
 * the key is absent (buf = ""). */
bool modinfo_get(const struct modinfo *mi, const char *key, char *buf, size_t len);

/* Module names are the same with '-' or '_' ("dm-mod" is "dm_mod"): the
 * kernel's own spelling uses '_'. Copies n bytes of name (or up to its NUL)
 * into out, normalised. */
void modname_norm(char *out, size_t outlen, const char *name, size_t n);

#endif
