/* needle_fsck - libFuzzer target: arbitrary .dat and .idx bytes through
 * the check and the repair. Nothing may crash, and a repair that says it
 * corrected everything must leave a volume a second check finds clean. */
#include "../../applets/needle-fsck/fsck.h"
#include "io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char base[64];

/* Leave no files behind when the fuzzer exits. */
static void cleanup(void)
{
	static const char *const ext[] = { ".dat", ".idx", ".dat.tail", ".idx.bak", ".idx.bak.1" };
	char path[96];
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", base, ext[i]);
		unlink(path);
	}
	*strrchr(base, '/') = 0;
	rmdir(base);
}

static void put(const char *ext, const uint8_t *b, size_t n)
{
	char path[96];
	snprintf(path, sizeof(path), "%s%s", base, ext);
	if (n == SIZE_MAX)
		unlink(path);
	else if (write_file_atomic(path, b, n, 0644))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!base[0]) {
		/* tmpfs when there is one: the repair fsyncs */
		char dir[] = "/dev/shm/nf-fuzz.XXXXXX";
		if (!mkdtemp(dir) && !mkdtemp(strcpy(dir, "/tmp/nf-fuzz.XXXXXX")))
			abort();
		snprintf(base, sizeof(base), "%s/7", dir);
		atexit(cleanup);
	}
	if (size < 3)
		return 0;
	/* mode: version 1 + (bits 0-1) % 3, bit 2 five-byte offsets, bit 3
	 * no .idx, bit 4 repair, bits 5-7 bytes of a partial index row */
	uint8_t mode = data[0];
	size_t idx_len = (size_t)data[1] * 16 + (mode >> 5);
	data += 2, size -= 2;
	if (idx_len > size)
		idx_len = size;
	/* a superblock the fuzzer need not find, for most inputs */
	uint8_t *dat = malloc(size - idx_len + 8);
	memcpy(dat, (const uint8_t[]){ (uint8_t)(1 + (mode & 3) % 3), 0, 0, 0, 0, 0, 0, 0 }, 8);
	memcpy(dat + 8, data + idx_len, size - idx_len);
	put(".dat", dat, size - idx_len + 8);
	put(".idx", data, mode & 8 ? SIZE_MAX : idx_len);
	put(".dat.tail", NULL, SIZE_MAX);
	put(".idx.bak", NULL, SIZE_MAX);
	free(dat);

	struct nf_opts o = { .repair = mode & 16, .offset_bytes = mode & 4 ? 5 : 0,
			     .chunk = 4096 };
	struct nf_report r;
	int first = nf_check_volume(&o, base, &r);
	nf_report_free(&r);
	if (o.repair && first == 1) {
		o.repair = false;
		int again = nf_check_volume(&o, base, &r);
		if (again != 0) {
			fprintf(stderr, "repair left status %d: %s\n", again,
				r.nmsgs ? r.msgs[0].text : "");
			abort();
		}
		nf_report_free(&r);
	}
	return 0;
}
