/* md sysfs fuzz target: the input becomes a fake /sys/block/md0 tree
 * (array attributes, then dev-NAME members with state, slot, errors and a
 * block link), read back with md_read and md_list; every field also goes
 * straight to the value parsers. Fields are separated by 0xff bytes:
 *   level array_state raid_disks degraded sync_action sync_completed
 *   mismatch_cnt metadata_version sync_speed size
 *   then per member: name state slot errors link-target */
#include "md.h"
#include "num.h"

#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const array_attrs[] = {
	"md/level", "md/array_state", "md/raid_disks", "md/degraded", "md/sync_action",
	"md/sync_completed", "md/mismatch_cnt", "md/metadata_version", "md/sync_speed", "size",
};
static const char *const member_attrs[] = { "state", "slot", "errors" };

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void put(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fwrite(p, 1, n, f);
		fclose(f);
	}
}

/* The next field: [*pos, separator or end). */
static int field(const uint8_t *data, size_t size, size_t *pos, const uint8_t **p, size_t *n)
{
	if (*pos > size)
		return 0;
	const uint8_t *end = memchr(data + *pos, 0xff, size - *pos);
	*p = data + *pos;
	*n = end ? (size_t)(end - *p) : size - *pos;
	*pos += *n + 1;
	return 1;
}

static void parse_alone(const uint8_t *p, size_t n)
{
	char s[256], w[MD_WORD];
	uint64_t a, b;
	if (n >= sizeof(s))
		n = sizeof(s) - 1;
	memcpy(s, p, n);
	s[n] = 0;
	num_dec_u64(s, 0, UINT64_MAX, &a, NULL);
	md_parse_sync_completed(s, &a, &b);
	md_parse_word(s, w, sizeof(w));
	char words[40];
	md_member_state_str(md_parse_member_state(s), words, sizeof(words));
}

static void add_member(const char *md, const uint8_t *data, size_t size, size_t *pos)
{
	const uint8_t *p;
	size_t n;
	char name[64], dir[PATH_MAX], path[PATH_MAX + 16];
	if (!field(data, size, pos, &p, &n))
		return;
	/* a directory name: no slash or NUL, and dev- in front */
	if (n > 40)
		n = 40;
	memcpy(name, p, n);
	name[n] = 0;
	if (!n || strchr(name, '/') || strlen(name) != n)
		snprintf(name, sizeof(name), "vd%zu", *pos % 26);
	snprintf(dir, sizeof(dir), "%s/dev-%s", md, name);
	mkdir(dir, 0755);
	for (size_t i = 0; i < sizeof(member_attrs) / sizeof(member_attrs[0]); i++) {
		if (!field(data, size, pos, &p, &n))
			return;
		parse_alone(p, n);
		snprintf(path, sizeof(path), "%s/%s", dir, member_attrs[i]);
		put(path, p, n);
	}
	if (!field(data, size, pos, &p, &n))
		return;
	char target[256];
	if (n >= sizeof(target))
		n = sizeof(target) - 1;
	memcpy(target, p, n);
	target[n] = 0;
	snprintf(path, sizeof(path), "%s/block", dir);
	if (target[0])
		symlink(target, path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A fresh tree per input, removed after: nothing is left behind when
	 * libFuzzer ends the run. tmpfs when there is one: on a loaded disk
	 * each input's mkdirs take ~40 ms. */
	char base[PATH_MAX];
	const char *t = getenv("TMPDIR");
	if (access("/dev/shm", W_OK) == 0)
		t = "/dev/shm";
	snprintf(base, sizeof(base), "%s/md_fuzz.XXXXXX", t ? t : "/tmp");
	if (!mkdtemp(base))
		abort();
	char sys[PATH_MAX], md[PATH_MAX + 32], path[PATH_MAX + 64];
	snprintf(sys, sizeof(sys), "%s/sys", base);
	snprintf(md, sizeof(md), "%s/block", sys);
	mkdir(sys, 0755);
	mkdir(md, 0755);
	snprintf(md, sizeof(md), "%s/block/md0", sys);
	mkdir(md, 0755);
	snprintf(path, sizeof(path), "%s/md", md);
	mkdir(path, 0755);

	size_t pos = 0;
	const uint8_t *p;
	size_t n;
	for (size_t i = 0; i < sizeof(array_attrs) / sizeof(array_attrs[0]); i++) {
		if (!field(data, size, &pos, &p, &n))
			break;
		parse_alone(p, n);
		snprintf(path, sizeof(path), "%s/%s", md, array_attrs[i]);
		put(path, p, n);
	}
	snprintf(path, sizeof(path), "%s/md", md);
	for (int m = 0; m < 16 && pos < size; m++)
		add_member(path, data, size, &pos);

	struct sysroot root = { sys, "/nonexistent", "/dev" };
	struct md_array a, *l;
	size_t count;
	if (!md_read(&root, "md0", &a, NULL)) {
		char words[80];
		for (size_t i = 0; i < a.nmembers; i++)
			md_member_state_str(a.members[i].state, words, sizeof(words));
		md_sync_permille(&a);
		md_array_free(&a);
	}
	if (!md_list(&root, &l, &count, NULL))
		md_list_free(l, count);
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
