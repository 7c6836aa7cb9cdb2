/* gpt.c (fuzz) - the input is a disk image. It is read as a GPT with 512-
 * and with 4096-byte sectors, and everything a reader of an untrusted disk
 * does is done to it (names, types, free gaps). When a copy is readable it
 * is repaired, a partition is added, and the table is written back into
 * the same in-memory file, which must then read back with sound copies
 * and the same partitions: a property, not just "does not crash".
 *
 * The fuzz build defines FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, and
 * under it core/gpt.c does not reject a wrong CRC: the fuzzer cannot forge
 * CRCs, and would otherwise never get past them to the structure checks
 * behind. Bytes of the input also go to the text parsers. */
#include "gpt.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_IMAGE (4u << 20)

static void parse_text(const uint8_t *data, size_t size)
{
	char s[128];
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
	memcpy(s, data, n);
	s[n] = 0;
	uint16_t units[GPT_NAME_UNITS];
	struct gpt_guid g;
	uint64_t attrs;
	const char *why;
	gpt_name_from_utf8(s, units, &why);
	gpt_attr_parse(s, &attrs, &why);
	gpt_type_parse(s, &g);
}

static void look(const struct gpt *g)
{
	char name[GPT_NAME_UTF8_MAX], guid[GPT_GUID_STR];
	for (uint32_t i = 0; i < g->nentries; i++) {
		const struct gpt_part *p = &g->part[i];
		if (!gpt_part_used(p))
			continue;
		gpt_name_to_utf8(p->name, name);
		gpt_guid_fmt(&p->guid, guid);
		gpt_type_name(&p->type);
	}
	struct gpt_gap gaps[64], al;
	size_t n = gpt_gaps(g, gaps, 64);
	for (size_t i = 0; i < n && i < 64; i++)
		gpt_gap_aligned(g, &gaps[i], &al);
}

static void rewrite_and_reread(struct gpt *g, int fd, uint64_t size)
{
	if (gpt_fix(g, true) < 0)
		return;
	struct gpt_new n = { .size = 4096, .name = "fuzz" };
	memset(n.guid.b, 0xA5, sizeof(n.guid.b)); /* no getrandom: stay deterministic */
	if (!gpt_has_problem(g, GPT_P_PART))
		gpt_add(g, &n);
	if (gpt_write(g, fd))
		return;
	struct gpt r;
	int rc = gpt_read(&r, fd, size, g->sector);
	if (rc != 0 || !r.primary_ok || !r.backup_ok || r.nentries != g->nentries)
		abort();
	for (unsigned i = 0; i < r.nproblems; i++)
		if (r.problem[i].kind != GPT_P_PART)
			abort();
	if (memcmp(r.part, g->part, r.nentries * sizeof(*r.part)))
		abort();
	gpt_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_IMAGE)
		return 0;
	parse_text(data, size);
	int fd = memfd_create("gpt-fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	static const unsigned sectors[] = { 512, 4096 };
	for (size_t s = 0; s < 2; s++) {
		if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
			break;
		struct gpt g;
		if (gpt_read(&g, fd, size, sectors[s]) == 0) {
			look(&g);
			rewrite_and_reread(&g, fd, size);
		}
		gpt_free(&g);
	}
	close(fd);
	return 0;
}
