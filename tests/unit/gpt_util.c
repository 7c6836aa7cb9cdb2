/* gpt_util.c - helpers shared by the gpt_*.c tests. */
#include "gpt_util.h"
#include "crc.h"
#include "endian.h"
#include "io.h"
#include "test.h"

#include <fcntl.h>
#include <unistd.h>

int img_new(const char *name, uint64_t size)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, (off_t)size) == 0);
	return fd;
}

void img_table(int fd, uint64_t size, unsigned sector, struct gpt *g)
{
	CHECK(gpt_init(g, size, sector, 0) == 0);
	CHECK(gpt_write(g, fd) == 0);
}

int img_add(struct gpt *g, const char *type, uint64_t mib, const char *name)
{
	struct gpt_new n = { .size = mib << 20, .name = name };
	CHECK(gpt_type_parse(type, &n.type) == 0);
	int num = gpt_add(g, &n);
	if (num < 0)
		test_fail(__FILE__, __LINE__, "gpt_add: %s", g->err.msg);
	return num;
}

void img_two_parts(int fd, uint64_t size, unsigned sector)
{
	struct gpt g;
	img_table(fd, size, sector, &g);
	img_add(&g, "esp", 1, "efi");
	img_add(&g, "linux", 2, "root");
	CHECK(gpt_write(&g, fd) == 0);
	gpt_free(&g);
}

static uint8_t *sector_at(int fd, unsigned sector, uint64_t lba)
{
	uint8_t *b = malloc(sector);
	CHECK(b && pread_full(fd, b, sector, lba * sector) == (ssize_t)sector);
	return b;
}

static void sector_put(int fd, unsigned sector, uint64_t lba, uint8_t *b)
{
	CHECK(pwrite_full(fd, b, sector, lba * sector) == 0);
	free(b);
}

uint64_t hdr_get(int fd, unsigned sector, uint64_t lba, int off, int width)
{
	uint8_t *b = sector_at(fd, sector, lba);
	uint64_t v = width == 8 ? get_le64(b + off) : width == 4 ? get_le32(b + off) : b[off];
	free(b);
	return v;
}

void hdr_set(int fd, unsigned sector, uint64_t lba, int off, int width, uint64_t v)
{
	uint8_t *b = sector_at(fd, sector, lba);
	if (width == 8)
		put_le64(b + off, v);
	else if (width == 4)
		put_le32(b + off, (uint32_t)v);
	else
		b[off] = (uint8_t)v;
	sector_put(fd, sector, lba, b);
}

void hdr_reseal(int fd, unsigned sector, uint64_t lba)
{
	uint8_t *b = sector_at(fd, sector, lba);
	uint32_t size = get_le32(b + GH_SIZE);
	if (size < 92 || size > sector)
		size = 92;
	put_le32(b + GH_CRC, 0);
	put_le32(b + GH_CRC, crc32_ieee_sw(0, b, size));
	sector_put(fd, sector, lba, b);
}

void entries_reseal(int fd, unsigned sector, uint64_t lba)
{
	uint64_t at = hdr_get(fd, sector, lba, GH_ENTRIES, 8);
	size_t len = (size_t)hdr_get(fd, sector, lba, GH_NENTRIES, 4) *
		     hdr_get(fd, sector, lba, GH_ENTRY_SIZE, 4);
	uint8_t *a = malloc(len);
	CHECK(a && pread_full(fd, a, len, at * sector) == (ssize_t)len);
	hdr_set(fd, sector, lba, GH_ENTRIES_CRC, 4, crc32_ieee_sw(0, a, len));
	free(a);
	hdr_reseal(fd, sector, lba);
}

int read_expect(int fd, uint64_t size, unsigned sector, struct gpt *g, int rc)
{
	int got = gpt_read(g, fd, size, sector);
	if (got != rc)
		test_fail(__FILE__, __LINE__, "gpt_read returned %d, wanted %d (%s)", got, rc, g->err.msg);
	return got;
}

int has_problem(const struct gpt *g, enum gpt_problem_kind kind, const char *has)
{
	for (unsigned i = 0; i < g->nproblems; i++)
		if (g->problem[i].kind == kind && strstr(g->problem[i].msg, has))
			return 1;
	printf("problems (%u):\n", g->nproblems);
	for (unsigned i = 0; i < g->nproblems; i++)
		printf("  %s: %s\n", gpt_problem_kind_name(g->problem[i].kind), g->problem[i].msg);
	return 0;
}

void *img_snapshot(int fd, uint64_t size)
{
	void *b = malloc(size);
	CHECK(b && pread_full(fd, b, size, 0) == (ssize_t)size);
	return b;
}

int img_same(int fd, const void *snap, uint64_t size)
{
	void *now = img_snapshot(fd, size);
	int same = !memcmp(now, snap, size);
	free(now);
	return same;
}
