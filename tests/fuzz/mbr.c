/* mbr.c (fuzz) - the input is a disk image, read as a DOS partition table
 * with 512- and 4096-byte sectors, the chain of logical partitions
 * followed. Properties, not just "does not crash": no more partitions
 * than the limit, every logical one numbered from 5 in chain order, the
 * kind what mbr_classify says of LBA 0, and every partition's type named
 * or not without reading past the table. */
#include "mbr.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_IMAGE (4u << 20)

static void check(const struct mbr *m, const uint8_t *data)
{
	if (m->nparts > MBR_MAX_PARTS || m->nproblems > MBR_MAX_PROBLEMS)
		abort();
	if (m->lbas && m->kind != mbr_classify(data))
		abort();
	unsigned next = 5;
	for (unsigned i = 0; i < m->nparts; i++) {
		const struct mbr_part *p = &m->part[i];
		if (p->role == MBR_LOGICAL ? p->number != next++ : p->number < 1 || p->number > 4)
			abort();
		mbr_type_name(p->type);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_IMAGE)
		return 0;
	int fd = memfd_create("mbr-fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pwrite(fd, data, size, 0) == (ssize_t)size) {
		static const unsigned sectors[] = { 512, 4096 };
		for (size_t s = 0; s < 2; s++) {
			struct mbr *m = malloc(sizeof(*m));
			if (m && mbr_read(m, fd, size, sectors[s], NULL) == 0)
				check(m, data);
			free(m);
		}
	}
	close(fd);
	return 0;
}
