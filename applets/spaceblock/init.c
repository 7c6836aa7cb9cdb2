/* init.c - spaceblock init and launch: lay out a file or device, and boot
 * QEMU with it as a virtio-blk drive. */
#include "cli.h"
#include "error.h"

#include "exec.h"
#include "io.h"
#include "probe.h"
#include "size.h"
#include "uuid.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LAUNCH_BLOCKS 8192 /* 4 MiB of 512-byte blocks when launch creates the file */

/* --uuid, or a random one (version 4). */
static int get_uuid(const char *s, uint8_t out[16])
{
	struct uuid u;
	struct bb_error e;
	int rc = s ? uuid_parse(s, &u, &e) : uuid_random(&u, &e);
	if (rc) {
		if (s)
			bb_error_prefix(&e, "--uuid");
		bb_report(&e);
		return -1;
	}
	memcpy(out, u.b, 16);
	return 0;
}

/* The options that describe the new layout. Blocks and block size stay 0
 * when not given: the device decides. */
static int parse_init(struct sbcli *c, struct sb_init *in)
{
	uint64_t bs, blocks, tenant;
	memset(in, 0, sizeof(*in));
	if (opt_u64(&c->a, OPT_SECTOR, 0, 512, 4096, &bs) ||
	    opt_u64(&c->a, OPT_BLOCKS, 0, SB_MIN_BLOCKS, UINT32_MAX, &blocks) ||
	    opt_u64(&c->a, OPT_TENANT, 0, 0, UINT16_MAX, &tenant) ||
	    opt_u64(&c->a, OPT_EPOCH, 0, 0, UINT64_MAX, &in->epoch))
		return -1;
	if (bs && bs != 512 && bs != 4096) {
		opt_bad_value("--sector-size: %llu is not 512 or 4096", (unsigned long long)bs);
		return -1;
	}
	in->block_size = (unsigned)bs;
	in->total_blocks = (uint32_t)blocks;
	in->tenant_id = (uint16_t)tenant;
	return get_uuid(opt_str(&c->a, OPT_UUID, NULL), in->uuid);
}

static int format(struct sbcli *c, int *fd, uint64_t size, const struct sb_init *in)
{
	struct sb_io io;
	char why[SB_WHY];
	sb_io_fd(&io, fd, size);
	if (sb_format(&io, in, why, sizeof(why))) {
		bb_err("%s: %s", c->path, why);
		return -1;
	}
	return 0;
}

/* A new file is built under a temporary name and renamed into place:
 * an interrupted init leaves nothing at PATH. */
static int init_new_file(struct sbcli *c, struct sb_init *in, uint32_t default_blocks)
{
	if (!in->total_blocks)
		in->total_blocks = default_blocks;
	if (!in->total_blocks) {
		bb_err("%s does not exist: give --blocks N to create it", c->path);
		return -1;
	}
	if (!in->block_size)
		in->block_size = 512;
	uint64_t size = (uint64_t)in->total_blocks * in->block_size;
	struct aside as;
	if (aside_open(&as, c->path, 0644)) {
		bb_perr("%s", c->path);
		return -1;
	}
	if (ftruncate(as.fd, (off_t)size)) {
		bb_perr("%s: setting the size to %llu", c->path, (unsigned long long)size);
		aside_abort(&as);
		return -1;
	}
	if (format(c, &as.fd, size, in)) {
		aside_abort(&as);
		return -1;
	}
	if (aside_commit_new(&as)) {
		bb_perr("%s", c->path);
		return -1;
	}
	return 0;
}

/* Block size and count for an existing file or device. */
static int fit_existing(struct sbcli *c, struct sb_init *in)
{
	struct disk *d = &c->disk;
	if (!in->block_size)
		in->block_size = d->lsec > 512 ? d->lsec : 512;
	if (d->is_blockdev && in->block_size < d->lsec) {
		bb_err("%s: %u-byte blocks are smaller than the device's %u-byte sectors", c->path,
		       in->block_size, d->lsec);
		return -1;
	}
	uint64_t have = d->size / in->block_size;
	if (in->total_blocks > have && d->is_blockdev) {
		bb_err("%s holds %llu blocks of %u bytes, not %u", c->path, (unsigned long long)have,
		       in->block_size, in->total_blocks);
		return -1;
	}
	if (!in->total_blocks) {
		if (!have && !d->is_blockdev) {
			bb_err("%s is empty: give --blocks N", c->path);
			return -1;
		}
		if (have > UINT32_MAX) {
			bb_err("%s holds %llu blocks; the layout addresses at most %u: give --blocks",
			       c->path, (unsigned long long)have, UINT32_MAX);
			return -1;
		}
		in->total_blocks = (uint32_t)have;
	}
	return 0;
}

/* What init would overwrite, described, or NULL when it is all zero. */
static const char *occupant(struct sbcli *c, uint32_t blocks, unsigned bs, char *buf, size_t len)
{
	size_t n = (size_t)(SB_DP_START + SB_CATALOG_BLOCKS) * bs;
	if (n > (uint64_t)blocks * bs)
		n = (size_t)blocks * bs;
	uint8_t *p = calloc(1, n);
	if (!p)
		return "unreadable (out of memory)";
	ssize_t got = pread_full(c->disk.fd, p, n, 0);
	bool blank = got >= 0;
	for (ssize_t i = 0; blank && i < got; i++)
		blank = !p[i];
	free(p);
	if (blank)
		return NULL;
	struct sb_io io;
	sb_io_fd(&io, &c->disk.fd, c->disk.size);
	if (!sb_open(&c->sb, &io)) {
		sb_close(&c->sb);
		return "already holds a space-block layout";
	}
	struct probe_info pi;
	if (!probe_path(c->path, &pi, NULL) && (pi.type[0] || pi.pttype[0])) {
		snprintf(buf, len, "holds %s", pi.type[0] ? pi.type : pi.pttype);
		return buf;
	}
	return "is not blank where the layout goes";
}

static int init_existing(struct sbcli *c, struct sb_init *in)
{
	struct bb_error e;
	if (disk_open(&c->disk, c->path, DISK_WRITE | DISK_EXCL, 0, &e)) {
		bb_report(&e);
		return -1;
	}
	int rc = -1;
	if (sb_cli_lock(c, true))
		goto out;
	if (fit_existing(c, in))
		goto out;
	char what[96];
	const char *there = occupant(c, in->total_blocks, in->block_size, what, sizeof(what));
	if (there && !opt_on(&c->a, OPT_FORCE)) {
		bb_err("%s %s; --force to overwrite it", c->path, there);
		goto out;
	}
	/* A file grows to --blocks only once it is clear init may write it. */
	uint64_t want = (uint64_t)in->total_blocks * in->block_size;
	if (want > c->disk.size) {
		if (ftruncate(c->disk.fd, (off_t)want)) {
			bb_perr("%s: growing to %llu bytes", c->path, (unsigned long long)want);
			goto out;
		}
		c->disk.size = want;
	}
	rc = format(c, &c->disk.fd, c->disk.size, in);
out:
	disk_close(&c->disk);
	return rc;
}

/* default_blocks: the size of a new file when --blocks is not given (0:
 * --blocks is required). */
static int init_layout(struct sbcli *c, struct sb_init *in, uint32_t default_blocks)
{
	if (parse_init(c, in))
		return -1;
	if (!path_exists(c->path))
		return init_new_file(c, in, default_blocks);
	return init_existing(c, in);
}

int sb_cmd_init(struct sbcli *c)
{
	struct sb_init in;
	if (init_layout(c, &in, 0))
		return 1;
	printf("%s: space-block layout, %u blocks of %u bytes\n", c->path, in.total_blocks,
	       in.block_size);
	return 0;
}

/* ---- launch ---------------------------------------------------------------------- */

/* QEMU's option syntax doubles commas inside a value. */
static char *qemu_escape(const char *s)
{
	char *out = malloc(2 * strlen(s) + 1), *p = out;
	for (; out && *s; s++) {
		*p++ = *s;
		if (*s == ',')
			*p++ = ',';
	}
	if (out)
		*p = 0;
	return out;
}

static int readable(const char *what, const char *path)
{
	if (!path) {
		bb_err("launch needs %s", what);
		return -1;
	}
	if (access(path, R_OK)) {
		bb_perr("%s %s", what, path);
		return -1;
	}
	return 0;
}

/* The existing layout must open, or the file is created: launch never
 * boots a guest on something it could not read back. */
static int launch_storage(struct sbcli *c, unsigned *bs)
{
	if (!path_exists(c->path)) {
		struct sb_init in;
		if (init_layout(c, &in, LAUNCH_BLOCKS))
			return -1;
		bb_info("%s: created, %u blocks of %u bytes", c->path, in.total_blocks, in.block_size);
	}
	if (sb_cli_open(c, false))
		return -1;
	*bs = c->sb.bs;
	sb_cli_close(c);
	return 0;
}

struct qemu_cmd {
	const char *argv[40];
	int n;
	char mem[32], append[4096], drive[8192], device[160];
};

static void add(struct qemu_cmd *q, const char *a)
{
	if (q->n < (int)ARRAY_SIZE(q->argv) - 1)
		q->argv[q->n++] = a;
}

static void cannot_run(const char *qemu)
{
	const char *pkg = tool_package(qemu);
	bb_perr("cannot run %s%s%s%s", qemu, pkg ? " (Debian package " : "", pkg ? pkg : "",
		pkg ? ")" : "");
}

/* Every option and tool, before anything is created: a launch that
 * cannot happen leaves no image behind. */
static int launch_checks(struct sbcli *c, uint64_t *mem)
{
	char found[4096];
	const char *qemu = opt_str(&c->a, OPT_QEMU, "qemu-system-x86_64");
	if (opt_size(&c->a, OPT_MEMORY, 512ull << 20, 0, mem))
		return -1;
	if (*mem < (32ull << 20)) {
		opt_bad_value("--memory: at least 32M");
		return -1;
	}
	if (strlen(opt_str(&c->a, OPT_APPEND, "")) + sizeof("console=ttyS0 ") >
	    sizeof(((struct qemu_cmd *)0)->append)) {
		bb_err("--append: longer than the %zu bytes a command line here takes",
		       sizeof(((struct qemu_cmd *)0)->append) - sizeof("console=ttyS0 "));
		return -1;
	}
	if (2 * strlen(c->path) + 64 > sizeof(((struct qemu_cmd *)0)->drive)) {
		bb_err("%s: path too long for QEMU's -drive", c->path);
		return -1;
	}
	if (strchr(qemu, '/') ? access(qemu, X_OK) : !which(qemu, found, sizeof(found))) {
		if (!strchr(qemu, '/'))
			errno = ENOENT;
		cannot_run(qemu);
		return -1;
	}
	return 0;
}

static int build_qemu(struct sbcli *c, unsigned bs, uint64_t mem, struct qemu_cmd *q)
{
	char *file = qemu_escape(c->path);
	if (!file) {
		bb_err("out of memory");
		return -1;
	}
	snprintf(q->mem, sizeof(q->mem), "%lluM", (unsigned long long)(mem >> 20));
	snprintf(q->append, sizeof(q->append), "console=ttyS0%s%s",
		 opt_on(&c->a, OPT_APPEND) ? " " : "", opt_str(&c->a, OPT_APPEND, ""));
	/* A relative path goes as ./PATH: QEMU reads "nbd:...", "json:..." and
	 * the like as protocols, but not after a slash. */
	snprintf(q->drive, sizeof(q->drive), "file=%s%s,if=none,id=spaceblock,format=raw",
		 c->path[0] == '/' ? "" : "./", file);
	free(file);
	snprintf(q->device, sizeof(q->device),
		 "virtio-blk-pci,drive=spaceblock,logical_block_size=%u,physical_block_size=%u", bs,
		 bs);
	bool kvm = opt_on(&c->a, OPT_KVM);
	const char *args[] = {
		opt_str(&c->a, OPT_QEMU, "qemu-system-x86_64"),
		"-accel", kvm ? "kvm" : "tcg", "-cpu", kvm ? "host" : "max",
		"-m", q->mem, "-nodefaults", "-display", "none", "-serial", "stdio", "-no-reboot",
		"-kernel", opt_str(&c->a, OPT_KERNEL, NULL), "-initrd", opt_str(&c->a, OPT_INITRD, NULL),
		"-append", q->append, "-drive", q->drive, "-device", q->device,
		/* lets the guest end QEMU with an exit status */
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
	};
	for (size_t i = 0; i < ARRAY_SIZE(args); i++)
		add(q, args[i]);
	q->argv[q->n] = NULL;
	return 0;
}

int sb_cmd_launch(struct sbcli *c)
{
	const char *kernel = opt_str(&c->a, OPT_KERNEL, NULL);
	const char *initrd = opt_str(&c->a, OPT_INITRD, NULL);
	unsigned bs;
	uint64_t mem;
	struct qemu_cmd q = { .n = 0 };
	if (readable("--kernel", kernel) || readable("--initrd", initrd) ||
	    launch_checks(c, &mem) || launch_storage(c, &bs) || build_qemu(c, bs, mem, &q))
		return 1;
	fprintf(stderr, "spaceblock: launching:");
	for (int i = 0; i < q.n; i++)
		fprintf(stderr, " %s", q.argv[i]);
	fputc('\n', stderr);
	fflush(NULL);
	execvp(q.argv[0], (char *const *)q.argv);
	cannot_run(q.argv[0]);
	return 1;
}
