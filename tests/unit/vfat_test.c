/* core/vfat and core/mkswap: the order of the writes. A format stopped
 * before its last write (the boot sector, the swap signature) must leave
 * nothing that libblkid takes for a filesystem, even over an old one of
 * the same kind; the last write makes it one. Shapes and contents are
 * checked against dosfstools and util-linux in tests/unit/mkfs-vfat.sh
 * and mkswap.sh. */
#include "error.h"
#include "mkswap.h"
#include "probe.h"
#include "test.h"
#include "vfat.h"

#include <fcntl.h>
#include <unistd.h>

static int image(const char *name, uint64_t size, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", test_tmpdir(), name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, (off_t)size) == 0);
	return fd;
}

static void probe_type(const char *path, char *type, size_t len)
{
	struct probe_info pi;
	struct bb_error e = { 0 };
	CHECK(probe_path(path, &pi, &e) == 0);
	snprintf(type, len, "%s", pi.type);
}

static void params(struct vfat_params *p, uint64_t size, unsigned sector, uint32_t volid)
{
	memset(p, 0, sizeof(*p));
	p->size = size;
	p->sector = sector;
	p->volid = volid;
	bool lower;
	CHECK(vfat_label("TEST", p->label, &lower, NULL) == 0);
}

static void interrupted_vfat(uint64_t size, unsigned sector, unsigned want_bits)
{
	char path[512], type[32];
	int fd = image("fat.img", size, path, sizeof(path));
	struct vfat_params p;
	struct vfat_plan old, pl;
	struct bb_error e = { 0 };
	params(&p, size, sector, 0x11111111);
	CHECK(vfat_plan(&p, &old, &e) == 0);
	CHECK(vfat_apply(&old, fd, 0, &e) == 0);
	probe_type(path, type, sizeof(type));
	CHECK_STR(type, "vfat");

	params(&p, size, sector, 0x22222222);
	CHECK(vfat_plan(&p, &pl, &e) == 0);
	CHECK_EQ(pl.l.fat_bits, want_bits);
	/* the old boot sector goes first, flushed; the new one last, after a flush */
	CHECK(pl.n >= 3);
	CHECK(pl.io[0].off == 0 && pl.io[0].buf == NULL && pl.io[0].sync_after);
	CHECK(pl.io[pl.n - 1].off == 0 && pl.io[pl.n - 1].buf && pl.io[pl.n - 1].sync_after);
	CHECK(pl.io[pl.n - 2].sync_after);
	for (unsigned i = 1; i + 1 < pl.n; i++)
		CHECK(pl.io[i].off >= sector); /* nothing else touches sector 0 */
	struct vfat_plan cut = pl;
	cut.n = pl.n - 1;
	CHECK(vfat_apply(&cut, fd, 0, &e) == 0);
	probe_type(path, type, sizeof(type));
	CHECK_STR(type, "");
	CHECK(vfat_apply(&pl, fd, 0, &e) == 0);
	probe_type(path, type, sizeof(type));
	CHECK_STR(type, "vfat");
	vfat_plan_free(&old);
	vfat_plan_free(&pl);
	close(fd);
}

TEST(vfat_interrupted_fat16_leaves_nothing) { interrupted_vfat(64 << 20, 512, 16); }
TEST(vfat_interrupted_fat12_4k_leaves_nothing) { interrupted_vfat(16 << 20, 4096, 12); }
TEST(vfat_interrupted_fat32_leaves_nothing) { interrupted_vfat(600 << 20, 512, 32); }
TEST(vfat_interrupted_fat32_4k_leaves_nothing) { interrupted_vfat(1ull << 30, 4096, 32); }

TEST(vfat_plan_stays_inside_the_area)
{
	static const uint64_t sizes[] = { 51200, 1474560, 8 << 20, 300 << 20, 2ull << 30, 40ull << 30 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (unsigned s = 512; s <= 4096; s *= 8) {
			struct vfat_params p;
			struct vfat_plan pl;
			params(&p, sizes[i], s, 1);
			if (vfat_plan(&p, &pl, NULL))
				continue; /* too small at 4096: refusals are tested in the .sh */
			for (unsigned k = 0; k < pl.n; k++)
				CHECK(pl.io[k].off + pl.io[k].len <= (uint64_t)pl.l.sectors * s);
			vfat_plan_free(&pl);
		}
	}
}

TEST(mkswap_signature_is_the_only_difference)
{
	/* Over an old swap area: stopped after the header, no swap is found. */
	char path[512], type[32];
	int fd = image("swap.img", 1 << 20, path, sizeof(path));
	struct mkswap_params p = { .size = 1 << 20, .pagesize = 4096 };
	struct mkswap_plan pl;
	struct bb_error e = { 0 };
	CHECK(mkswap_plan(&p, &pl, &e) == 0);
	CHECK(mkswap_apply(&pl, fd, 0, &e) == 0);
	probe_type(path, type, sizeof(type));
	CHECK_STR(type, "swap");
	CHECK_EQ(pl.last_page, 255);
	CHECK(!memcmp(pl.page + 4096 - 10, "SWAPSPACE2", 10));
	/* what mkswap_apply writes before its flush: the page, signature zeroed */
	uint8_t first[4096];
	memcpy(first, pl.page, sizeof(first));
	memset(first + 4096 - 10, 0, 10);
	CHECK(pwrite(fd, first, sizeof(first), 0) == (ssize_t)sizeof(first));
	probe_type(path, type, sizeof(type));
	CHECK_STR(type, "");
	mkswap_plan_free(&pl);
	close(fd);
}
