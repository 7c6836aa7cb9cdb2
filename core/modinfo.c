/* modinfo.c - find and read a kernel module's .modinfo section. */
#include "modinfo.h"
#include "endian.h"

#include <stdint.h>
#include <string.h>

/* The few ELF64 fields we need, at their fixed offsets (System V ABI). */
enum {
	EI_CLASS = 4,
	EI_DATA = 5,
	ELFCLASS64 = 2,
	ELFDATA2LSB = 1,
	ELFDATA2MSB = 2,
	EHDR64_SIZE = 64,
	E_SHOFF = 0x28,
	E_SHENTSIZE = 0x3a,
	E_SHNUM = 0x3c,
	E_SHSTRNDX = 0x3e,
	SHDR64_SIZE = 64,
	SH_NAME = 0,
	SH_LINK = 40,
	SH_OFFSET = 24,
	SH_SIZE = 32,
	SHN_XINDEX = 0xffff,
	SHT_NOBITS = 8,
	SH_TYPE = 4,
};

struct elf {
	const uint8_t *b;
	size_t len;
	bool be;
	uint64_t shoff;
	uint64_t shnum, shstrndx;
};

static uint16_t e16(const struct elf *e, const uint8_t *p) { return e->be ? get_be16(p) : get_le16(p); }
static uint32_t e32(const struct elf *e, const uint8_t *p) { return e->be ? get_be32(p) : get_le32(p); }
static uint64_t e64(const struct elf *e, const uint8_t *p) { return e->be ? get_be64(p) : get_le64(p); }

/* Section header i, or NULL when it lies outside the file. */
static const uint8_t *shdr(const struct elf *e, uint64_t i)
{
	if (i >= e->shnum || i > (UINT64_MAX - e->shoff) / SHDR64_SIZE)
		return NULL;
	uint64_t off = e->shoff + i * SHDR64_SIZE;
	if (off > e->len || e->len - off < SHDR64_SIZE)
		return NULL;
	return e->b + off;
}

/* A section's bytes, checked against the file. */
static bool section(const struct elf *e, const uint8_t *sh, const uint8_t **p, uint64_t *n)
{
	uint64_t off = e64(e, sh + SH_OFFSET), size = e64(e, sh + SH_SIZE);
	if (e32(e, sh + SH_TYPE) == SHT_NOBITS)
		size = 0;
	if (off > e->len || size > e->len - off)
		return false;
	*p = e->b + off;
	*n = size;
	return true;
}

static int elf_open(struct elf *e, const void *buf, size_t len, const char **why)
{
	memset(e, 0, sizeof(*e));
	e->b = buf;
	e->len = len;
	if (len < EHDR64_SIZE || memcmp(e->b, "\177ELF", 4)) {
		*why = "not an ELF file";
		return -1;
	}
	if (e->b[EI_CLASS] != ELFCLASS64) {
		*why = "not a 64-bit ELF file";
		return -1;
	}
	if (e->b[EI_DATA] != ELFDATA2LSB && e->b[EI_DATA] != ELFDATA2MSB) {
		*why = "unknown ELF byte order";
		return -1;
	}
	e->be = e->b[EI_DATA] == ELFDATA2MSB;
	e->shoff = e64(e, e->b + E_SHOFF);
	if (e16(e, e->b + E_SHENTSIZE) != SHDR64_SIZE) {
		*why = "unexpected ELF section header size";
		return -1;
	}
	/* Past 0xff00 sections, the real count and string table index live
	 * in section header 0 (ELF extended numbering). */
	e->shnum = e16(e, e->b + E_SHNUM);
	e->shstrndx = e16(e, e->b + E_SHSTRNDX);
	if (e->shnum == 0 || e->shstrndx == SHN_XINDEX) {
		uint64_t want = e->shnum;
		e->shnum = 1;
		const uint8_t *s0 = shdr(e, 0);
		if (!s0) {
			*why = "ELF section headers outside the file";
			return -1;
		}
		e->shnum = want ? want : e64(e, s0 + SH_SIZE);
		if (e->shstrndx == SHN_XINDEX)
			e->shstrndx = e32(e, s0 + SH_LINK);
	}
	return 0;
}

int modinfo_find(const void *buf, size_t len, struct modinfo *mi, const char **why)
{
	struct elf e;
	mi->data = NULL;
	mi->len = 0;
	if (elf_open(&e, buf, len, why))
		return -1;
	const uint8_t *strsh = shdr(&e, e.shstrndx), *names;
	uint64_t names_len;
	if (!strsh || !section(&e, strsh, &names, &names_len)) {
		*why = "ELF section name table outside the file";
		return -1;
	}
	static const char want[] = ".modinfo";
	for (uint64_t i = 1; i < e.shnum; i++) {
		const uint8_t *sh = shdr(&e, i);
		if (!sh) {
			*why = "ELF section headers outside the file";
			return -1;
		}
		uint64_t at = e32(&e, sh + SH_NAME);
		if (at >= names_len || names_len - at < sizeof(want) ||
		    memcmp(names + at, want, sizeof(want)))
			continue;
		const uint8_t *p;
		uint64_t n;
		if (!section(&e, sh, &p, &n)) {
			*why = ".modinfo section outside the file";
			return -1;
		}
		mi->data = (const char *)p;
		mi->len = n;
		return 0;
	}
	return 0;
}

bool modinfo_next(const struct modinfo *mi, const char *key, size_t *pos, const char **val,
		  size_t *vlen)
{
	size_t klen = strlen(key);
	while (*pos < mi->len) {
		const char *s = mi->data + *pos;
		size_t room = mi->len - *pos;
		const char *nul = memchr(s, 0, room);
		size_t n = nul ? (size_t)(nul - s) : room;
		*pos += n + 1;
		if (n > klen && !memcmp(s, key, klen) && s[klen] == '=') {
			*val = s + klen + 1;
			*vlen = n - klen - 1;
			return true;
		}
	}
	return false;
}

bool modinfo_get(const struct modinfo *mi, const char *key, char *buf, size_t len)
{
	size_t pos = 0, n;
	const char *v;
	if (len)
		buf[0] = 0;
	if (!modinfo_next(mi, key, &pos, &v, &n))
		return false;
	if (len) {
		if (n >= len)
			n = len - 1;
		memcpy(buf, v, n);
		buf[n] = 0;
	}
	return true;
}

void modname_norm(char *out, size_t outlen, const char *name, size_t n)
{
	size_t i = 0;
	if (!outlen)
		return;
	for (; i < n && name[i] && i + 1 < outlen; i++)
		out[i] = name[i] == '-' ? '_' : name[i];
	out[i] = 0;
}
