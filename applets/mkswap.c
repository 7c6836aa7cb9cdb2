/* mkswap - set up a Linux swap area on a device, an image file, or a
 * swap file: the version 1 header with label and UUID, its signature
 * written last. */
#include "bb.h"
#include "error.h"
#include "mkfs.h"
#include "mkswap.h"
#include "num.h"
#include "uuid.h"

#include <stdio.h>
#include <string.h>

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

static int params(const struct bb_args *a, struct mkswap_params *p)
{
	memset(p, 0, sizeof(*p));
	p->label = opt_str(a, O_LABEL, NULL);
	uint64_t ps;
	if (opt_u64(a, O_PAGESIZE, 0, 0, 1 << 20, &ps))
		return 2;
	p->pagesize = (unsigned)ps;
	const char *u = opt_str(a, O_UUID, NULL);
	struct bb_error e = { 0 };
	if (u ? uuid_parse(u, &p->uuid, &e) : uuid_random(&p->uuid, &e)) {
		bb_error_prefix(&e, "%s", u ? "--uuid" : "UUID");
		bb_report(&e);
		return u ? 2 : 1;
	}
	return 0;
}

/* SIZE_KIB, as util-linux takes it: 1 KiB blocks. */
static int size_arg(const char *s, uint64_t *bytes)
{
	struct bb_error e = { 0 };
	uint64_t v;
	if (num_u64(s, 1, UINT64_MAX / 1024, &v, &e)) {
		bb_error_prefix(&e, "SIZE_KIB");
		bb_report(&e);
		return -1;
	}
	*bytes = v * 1024;
	return 0;
}

static void report(const struct mkswap_plan *pl, const struct mkswap_params *p,
		   const struct mkfs_target *t)
{
	char uuid[UUID_STR];
	uuid_fmt(&p->uuid, uuid);
	if (t->found[0])
		printf("overwritten (%s)\n", t->found);
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
	if ((t.found[0] && mkfs_wipe(t.d.fd, t.off, t.size, t.sector, &e)) ||
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
