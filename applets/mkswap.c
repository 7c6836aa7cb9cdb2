/* mkswap - set up a Linux swap area on a device, an image file, or a
 * swap file: the version 1 header with label and UUID, its signature
 * written last. */
#include "bb.h"
#include "error.h"
#include "mkfs.h"
#include "mkswap.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static int mkswap_main(int argc, char **argv);

enum { O_LABEL, O_UUID, O_PAGESIZE, O_FORCE };
static const struct bb_opt mkswap_opts[] = {
	[O_LABEL] = { "label", 'L', "LABEL", "label of the area (at most 15 bytes)" },
	[O_UUID] = { "uuid", 'U', "UUID", "UUID of the area (default: random)" },
	[O_PAGESIZE] = { "pagesize", 'p', "SIZE", "page size in bytes (default: the system's)" },
	[O_FORCE] = { "force", 'f', NULL, "overwrite a filesystem, RAID/LVM member or partition table" },
	{ 0 },
};

const struct applet applet_mkswap = {
	.name = "mkswap",
	.summary = "set up a Linux swap area",
	.usage =
	"mkswap [OPTIONS] TARGET [SIZE_KIB]\n"
	"\n"
	"Writes a version 1 swap header (util-linux's layout, empty bad-page list) at\n"
	"the start of TARGET, a block device or a file. SIZE_KIB limits the area to\n"
	"that many KiB. The header goes down first and its signature after a flush,\n"
	"so an interrupted run leaves nothing that swapon would accept.\n"
	"\n"
	"A target in use (mounted, swap, held by RAID/LVM/dm) is always refused. One\n"
	"holding any signature (a filesystem, a RAID/LVM member, a partition table)\n"
	"is refused unless --force, which erases those signatures first.",
	.opts = mkswap_opts,
	.main = mkswap_main,
};

/* TODO(uuid): core/uuid.h once it lands. 8-4-4-4-12 hex digits. */
static int parse_uuid(const char *s, uint8_t out[16])
{
	static const int dash[] = { 8, 13, 18, 23 };
	if (strlen(s) != 36)
		return -1;
	for (int i = 0, d = 0, n = 0; i < 36; i++) {
		if (d < 4 && i == dash[d]) {
			if (s[i] != '-')
				return -1;
			d++;
			continue;
		}
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		int v = isdigit((unsigned char)s[i]) ? s[i] - '0' : (tolower((unsigned char)s[i]) - 'a' + 10);
		out[n / 2] = (uint8_t)(n % 2 ? out[n / 2] | v : v << 4);
		n++;
	}
	return 0;
}

static void fmt_uuid(const uint8_t u[16], char buf[37])
{
	char *p = buf;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		p += sprintf(p, "%02x", u[i]);
	}
}

static int random_uuid(uint8_t u[16])
{
	if (getrandom(u, 16, 0) != 16)
		return -1;
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	return 0;
}

static int params(const struct bb_args *a, struct mkswap_params *p)
{
	memset(p, 0, sizeof(*p));
	p->label = opt_str(a, O_LABEL, NULL);
	uint64_t ps;
	if (opt_u64(a, O_PAGESIZE, 0, 0, 1 << 20, &ps))
		return 2;
	p->pagesize = (unsigned)ps;
	const char *u = opt_str(a, O_UUID, NULL);
	if (u && parse_uuid(u, p->uuid)) {
		bb_err("--uuid: '%s' is not a UUID (8-4-4-4-12 hex digits)", u);
		return 2;
	}
	if (!u && random_uuid(p->uuid)) {
		bb_perr("random UUID");
		return 1;
	}
	return 0;
}

/* SIZE_KIB, as util-linux takes it: 1 KiB blocks. */
static int size_arg(const char *s, uint64_t *bytes)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!isdigit((unsigned char)s[0]) || *end || errno || v > UINT64_MAX / 1024) {
		bb_err("size '%s': not a number of KiB", s);
		return -1;
	}
	*bytes = v * 1024;
	return 0;
}

static void report(const struct mkswap_plan *pl, const struct mkswap_params *p,
		   const struct mkfs_target *t)
{
	char uuid[37];
	fmt_uuid(p->uuid, uuid);
	if (t->found[0])
		printf("erased: %s\n", t->found);
	uint64_t b = mkswap_usable_bytes(pl);
	printf("Setting up swapspace version 1, size = %llu KiB (%llu bytes)\n",
	       (unsigned long long)(b / 1024), (unsigned long long)b);
	if (p->label && p->label[0])
		printf("LABEL=%s, UUID=%s\n", p->label, uuid);
	else
		printf("no label, UUID=%s\n", uuid);
}

static int mkswap_main(int argc, char **argv)
{
	struct bb_args a;
	int rc = bb_getopt(&applet_mkswap, argc, argv, &a);
	if (rc != BB_CONTINUE)
		return rc;
	if (a.argc < 1 || a.argc > 2) {
		bb_err("expected TARGET [SIZE_KIB]");
		return 2;
	}
	struct mkswap_params p;
	if ((rc = params(&a, &p)))
		return rc;
	uint64_t limit = 0;
	if (a.argc == 2 && size_arg(a.argv[1], &limit))
		return 2;

	struct bb_error e = { 0 };
	struct mkfs_target t;
	if (mkfs_target_open(&t, a.argv[0], 0, 0, opt_on(&a, O_FORCE), &e)) {
		bb_report(&e);
		return 1;
	}
	p.size = t.size;
	if (limit && limit > t.size) {
		bb_err("%s: size %llu KiB is larger than the target (%llu KiB)", a.argv[0],
		       (unsigned long long)(limit / 1024), (unsigned long long)(t.size / 1024));
		mkfs_target_close(&t);
		return 1;
	}
	if (limit)
		p.size = limit;
	struct mkswap_plan pl;
	rc = 1;
	if (mkswap_plan(&p, &pl, &e)) {
		bb_error_prefix(&e, "%s", a.argv[0]);
		goto out;
	}
	if ((t.found[0] && mkfs_wipe(t.d.fd, t.off, t.size, t.d.lsec, &e)) ||
	    mkswap_apply(&pl, t.d.fd, t.off, &e))
		bb_error_prefix(&e, "%s", a.argv[0]);
	else
		rc = 0;
	if (!rc)
		report(&pl, &p, &t);
	mkswap_plan_free(&pl);
out:
	if (rc)
		bb_report(&e);
	mkfs_target_close(&t);
	return rc;
}
