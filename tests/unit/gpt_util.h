/* gpt_util.h - image files and raw header surgery for the GPT tests.
 * CRCs here are recomputed with crc32_ieee_sw, the portable reference,
 * not the accelerated path core/gpt.c uses. */
#ifndef GPT_UTIL_H
#define GPT_UTIL_H

#include "gpt.h"

#include <stdint.h>

/* Header field offsets, from the UEFI specification (table 5-5). */
enum {
	GH_REVISION = 8, GH_SIZE = 12, GH_CRC = 16, GH_MY = 24, GH_ALT = 32, GH_FIRST = 40,
	GH_LAST = 48, GH_GUID = 56, GH_ENTRIES = 72, GH_NENTRIES = 80, GH_ENTRY_SIZE = 84,
	GH_ENTRIES_CRC = 88,
};

/* A sparse image of size bytes in the test's directory; returns an fd. */
int img_new(const char *name, uint64_t size);
/* gpt_init + gpt_write, checked; g stays usable. */
void img_table(int fd, uint64_t size, unsigned sector, struct gpt *g);
/* A table with two partitions, 1 MiB at 1 MiB and 2 MiB at 2 MiB. */
void img_two_parts(int fd, uint64_t size, unsigned sector);
/* gpt_add with a size in MiB and a name; returns the number. */
int img_add(struct gpt *g, const char *type, uint64_t mib, const char *name);

uint64_t hdr_get(int fd, unsigned sector, uint64_t lba, int off, int width);
void hdr_set(int fd, unsigned sector, uint64_t lba, int off, int width, uint64_t v);
/* Recompute the header's CRC (over its stated size, clamped to a sector). */
void hdr_reseal(int fd, unsigned sector, uint64_t lba);
/* Recompute the entry array CRC from the array the header points at,
 * then the header CRC. */
void entries_reseal(int fd, unsigned sector, uint64_t lba);

/* Read, expecting rc; returns whether some problem of kind says `has`. */
int read_expect(int fd, uint64_t size, unsigned sector, struct gpt *g, int rc);
int has_problem(const struct gpt *g, enum gpt_problem_kind kind, const char *has);

/* Whole-file copies and comparison. */
void *img_snapshot(int fd, uint64_t size);
int img_same(int fd, const void *snap, uint64_t size);

#endif
