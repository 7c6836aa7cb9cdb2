/* mkfs.vfat fuzz target: the text it takes (labels, volume ids) and the
 * geometry search over any size, sector size, FAT type and cluster size.
 * Whatever layout is accepted must hold together: the cluster count in
 * the FAT type's range, the FATs long enough for every cluster, the data
 * area inside the filesystem, the filesystem inside the area; and a plan
 * must never write past the area. */
#include "endian.h"
#include "vfat.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static void check_layout(const struct vfat_params *p)
{
	struct vfat_layout l;
	if (vfat_layout(p, &l, NULL))
		return;
	uint64_t fat_entries = (uint64_t)l.fat_sectors * l.sector * 8 / l.fat_bits;
	if (l.clusters + 2 > fat_entries)
		abort();
	if (l.fat_bits == 12 && l.clusters > VFAT_MAX_CLUST_12)
		abort();
	if (l.fat_bits == 16 && (l.clusters < VFAT_MIN_CLUST_16 || l.clusters > VFAT_MAX_CLUST_16))
		abort();
	if (l.fat_bits == 32 && (l.clusters < VFAT_MIN_CLUST_32 || l.clusters > VFAT_MAX_CLUST_32))
		abort();
	if ((uint64_t)l.data_start + (uint64_t)l.clusters * l.cluster > l.sectors)
		abort();
	if ((uint64_t)l.sectors * l.sector > p->size)
		abort();
	if (p->fat_bits && l.fat_bits != p->fat_bits)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[40];
	if (size < 12) {
		memcpy(s, data, size);
		s[size] = 0;
	}
	if (size >= 12 && size < sizeof(s) + 12) {
		struct vfat_params p = { 0 };
		static const unsigned sectors[] = { 512, 1024, 2048, 4096 };
		static const unsigned bits[] = { 0, 12, 16, 32 };
		p.size = get_le64(data) & ((1ull << 46) - 1); /* to 64 TiB */
		p.sector = sectors[data[8] & 3];
		p.fat_bits = bits[data[8] >> 2 & 3];
		p.cluster = data[9] & 0x80 ? 1u << (data[9] & 7) : 0;
		p.floppy = data[10] & 1;
		memcpy(s, data + 12, size - 12);
		s[size - 12] = 0;
		bool lower;
		if (vfat_label(s, p.label, &lower, NULL))
			memcpy(p.label, "NO NAME    ", VFAT_LABEL_LEN);
		check_layout(&p);
	}
	char label[VFAT_LABEL_LEN];
	bool lower;
	if (!vfat_label(s, label, &lower, NULL)) {
		for (int i = 0; i < VFAT_LABEL_LEN; i++)
			if (label[i] < 0x20 || label[i] > 0x7e)
				abort();
		if (label[0] == ' ')
			abort();
	}
	uint32_t v, w;
	if (!vfat_volid_parse(s, &v, NULL)) {
		char t[16];
		snprintf(t, sizeof(t), "%04X-%04X", v >> 16, v & 0xffff);
		if (vfat_volid_parse(t, &w, NULL) || w != v)
			abort();
	}
	return 0;
}
