/* spaceblock - the SpaceOS block storage layout (space-block): superblock,
 * parameter store, event ring and data products on a disk or image file,
 * and a QEMU launcher that attaches it as a virtio-blk drive. */
#include "cli.h"
#include "error.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>

static int spaceblock_main(int argc, char **argv);

static const struct bb_opt spaceblock_opts[] = {
	[OPT_FILE] = { "file", 'f', "PATH", "image file or block device holding the layout" },
	[OPT_BLOCKS] = { "blocks", 0, "N", "init/launch: size in blocks (a new file needs it; launch makes 8192)" },
	[OPT_SECTOR] = { "sector-size", 0, "512|4096", "init/launch: block size (default 512, or the "
						     "device's sector size)" },
	[OPT_TENANT] = { "tenant", 0, "ID", "init/launch: tenant id (u16, default 0)" },
	[OPT_UUID] = { "uuid", 0, "UUID", "init/launch: volume UUID (default random)" },
	[OPT_EPOCH] = { "epoch", 0, "N", "init/launch: epoch (u64, default 0)" },
	[OPT_FORCE] = { "force", 0, NULL, "init: overwrite a device or file that is not blank" },
	[OPT_JSON] = { "json", 0, NULL, "machine-readable output" },
	[OPT_NOSYNC] = { "no-sync", 0, NULL, "do not flush to stable storage after the write" },
	[OPT_KERNEL] = { "kernel", 0, "FILE", "launch: kernel image" },
	[OPT_INITRD] = { "initrd", 0, "FILE", "launch: initramfs" },
	[OPT_MEMORY] = { "memory", 'm', "SIZE", "launch: guest memory (default 512M)" },
	[OPT_APPEND] = { "append", 0, "ARGS", "launch: kernel command line after console=ttyS0" },
	[OPT_QEMU] = { "qemu", 0, "PATH", "launch: QEMU binary (default qemu-system-x86_64)" },
	[OPT_KVM] = { "kvm", 0, NULL, "launch: use KVM instead of TCG emulation" },
	[OPT_SEVERITY] = { "severity", 0, "LEVEL", "event write: debug|info|warning|error|critical "
						 "(default info)" },
	[OPT_CODE] = { "code", 0, "N", "event write: event code (u32, default 0)" },
	[OPT_TIME] = { "timestamp", 0, "SECONDS", "event/dp write: time stamp (default now)" },
	[OPT_CLASS] = { "class", 0, "N", "dp write: data-product class (u16, default 0)" },
	[OPT_PRIORITY] = { "priority", 0, "N", "dp write: priority (u8, default 0)" },
	[OPT_OUTPUT] = { "output", 'o', "FILE", "dp read: write to FILE (replaced only when the CRC "
					      "matches) instead of stdout" },
	[OPT_COUNT] = { "count", 'n', "N", "event list: only the newest N" },
	[OPT_QUICK] = { "quick", 0, NULL, "inspect: do not read the data products to check CRCs" },
	{ 0 },
};

static int run_sb_cmd_init(void *c, const struct bb_args *a);
static int run_sb_cmd_inspect(void *c, const struct bb_args *a);
static int run_sb_cmd_launch(void *c, const struct bb_args *a);
static int run_sb_cmd_param_set(void *c, const struct bb_args *a);
static int run_sb_cmd_param_get(void *c, const struct bb_args *a);
static int run_sb_cmd_param_list(void *c, const struct bb_args *a);
static int run_sb_cmd_event_write(void *c, const struct bb_args *a);
static int run_sb_cmd_event_list(void *c, const struct bb_args *a);
static int run_sb_cmd_event_count(void *c, const struct bb_args *a);
static int run_sb_cmd_dp_write(void *c, const struct bb_args *a);
static int run_sb_cmd_dp_read(void *c, const struct bb_args *a);
static int run_sb_cmd_dp_list(void *c, const struct bb_args *a);
static int run_sb_cmd_dp_delete(void *c, const struct bb_args *a);

/* --file goes with every command. */
#define F BB_O(OPT_FILE)
#define GEOMETRY (F | BB_O(OPT_BLOCKS) | BB_O(OPT_SECTOR) | BB_O(OPT_TENANT) | BB_O(OPT_UUID) | \
		  BB_O(OPT_EPOCH))
#define LAUNCH (BB_O(OPT_KERNEL) | BB_O(OPT_INITRD) | BB_O(OPT_MEMORY) | BB_O(OPT_APPEND) | \
		BB_O(OPT_QEMU) | BB_O(OPT_KVM))
static const struct bb_cmd spaceblock_cmds[] = {
	{ "init", "--blocks N", 0, 0, GEOMETRY | BB_O(OPT_FORCE),
	  "create the layout (refuses non-blank data without --force)", run_sb_cmd_init },
	{ "inspect", NULL, 0, 0, F | BB_O(OPT_JSON) | BB_O(OPT_QUICK),
	  "superblock, areas, parameters, events, products, CRC failures (exit 1 if any)",
	  run_sb_cmd_inspect },
	{ "launch", "--kernel K --initrd I", 0, 0, GEOMETRY | LAUNCH,
	  "init PATH if it does not exist, then run QEMU (TCG unless --kvm) with PATH as a "
	  "virtio-blk drive and the console on stdio",
	  run_sb_cmd_launch },
	{ "param set", "ID VALUE|-", 1, 2, F | BB_O(OPT_NOSYNC),
	  "store a value (at most 240 bytes; - reads stdin)", run_sb_cmd_param_set },
	{ "param get", "ID", 1, 1, F | BB_O(OPT_JSON), "print the newest value, exactly as stored",
	  run_sb_cmd_param_get },
	{ "param list", NULL, 0, 0, F | BB_O(OPT_JSON), "every parameter with its generation",
	  run_sb_cmd_param_list },
	{ "event write", "[MESSAGE]", 0, 1,
	  F | BB_O(OPT_NOSYNC) | BB_O(OPT_SEVERITY) | BB_O(OPT_CODE) | BB_O(OPT_TIME),
	  "append to the ring (message at most 48 bytes)", run_sb_cmd_event_write },
	{ "event list", "[-n N]", 0, 0, F | BB_O(OPT_JSON) | BB_O(OPT_COUNT),
	  "the events still in the ring, oldest first", run_sb_cmd_event_list },
	{ "event count", NULL, 0, 0, F | BB_O(OPT_JSON),
	  "events ever written, including those the ring has since overwritten",
	  run_sb_cmd_event_count },
	{ "dp write", "NAME [FILE|-]", 1, 2,
	  F | BB_O(OPT_NOSYNC) | BB_O(OPT_CLASS) | BB_O(OPT_PRIORITY) | BB_O(OPT_TIME),
	  "store a data product (stdin by default)", run_sb_cmd_dp_write },
	{ "dp read", "NAME [-o FILE]", 1, 1, F | BB_O(OPT_OUTPUT),
	  "its data, checked against its CRC-32C", run_sb_cmd_dp_read },
	{ "dp list", NULL, 0, 0, F | BB_O(OPT_JSON), "the catalog", run_sb_cmd_dp_list },
	{ "dp delete", "NAME", 1, 1, F | BB_O(OPT_NOSYNC), "remove it and free its blocks",
	  run_sb_cmd_dp_delete },
	{ 0 },
};
#undef F

const struct applet applet_spaceblock = {
	.name = "spaceblock",
	.summary = "SpaceOS block layout: parameters, event ring, data products; QEMU launch",
	.usage =
		"spaceblock COMMAND --file PATH [OPTIONS] [ARGS]\n\n"
		"The space-block layout on an image file or block device: a superblock,\n"
		"a parameter store (newest generation of each id wins), an event ring and\n"
		"data products, every record protected by CRC-32C. Writes never overwrite\n"
		"what a reader still needs, so a power cut loses at most the write in\n"
		"progress.\n\n"
		"Names are 1-64 bytes. Exit 0 on success, 1 on failure, 2 on usage errors.",
	.opts = spaceblock_opts,
	.main = spaceblock_main,
	.cmds = spaceblock_cmds,
};

enum open_mode { NO_OPEN, OPEN_READ, OPEN_WRITE };

/* Open --file as the command needs it, run the command, close. */
static int run_opened(void *vc, enum open_mode mode, int (*fn)(struct sbcli *c))
{
	struct sbcli *c = vc;
	if (mode != NO_OPEN && sb_cli_open(c, mode == OPEN_WRITE))
		return 1;
	int rc = fn(c);
	sb_cli_close(c);
	return rc;
}

/* One adapter per command: the table's run function, with how it opens. */
#define SB_RUN(fn, mode)                                                      \
	static int run_##fn(void *c, const struct bb_args *a)                 \
	{                                                                     \
		(void)a;                                                      \
		return run_opened(c, mode, fn);                               \
	}
SB_RUN(sb_cmd_init, NO_OPEN)
SB_RUN(sb_cmd_inspect, NO_OPEN) /* it opens what block 0 damage leaves */
SB_RUN(sb_cmd_launch, NO_OPEN)
SB_RUN(sb_cmd_param_set, OPEN_WRITE)
SB_RUN(sb_cmd_param_get, OPEN_READ)
SB_RUN(sb_cmd_param_list, OPEN_READ)
SB_RUN(sb_cmd_event_write, OPEN_WRITE)
SB_RUN(sb_cmd_event_list, OPEN_READ)
SB_RUN(sb_cmd_event_count, OPEN_READ)
SB_RUN(sb_cmd_dp_write, OPEN_WRITE)
SB_RUN(sb_cmd_dp_read, OPEN_READ)
SB_RUN(sb_cmd_dp_list, OPEN_READ)
SB_RUN(sb_cmd_dp_delete, OPEN_WRITE)

static int spaceblock_main(int argc, char **argv)
{
	struct sbcli c;
	memset(&c, 0, sizeof(c));
	c.disk.fd = -1;
	int rc = bb_getopt(&applet_spaceblock, argc, argv, &c.a);
	if (rc != BB_CONTINUE)
		return rc;
	if (!opt_on(&c.a, OPT_FILE)) {
		bb_err("--file PATH is required");
		fputs("Try 'spaceblock --help'.\n", stderr);
		return 2;
	}
	c.path = opt_str(&c.a, OPT_FILE, NULL);
	c.json = opt_on(&c.a, OPT_JSON);
	return c.a.cmd->run(&c, &c.a);
}

/* ---- shared helpers ------------------------------------------------------- */

/* QEMU locks its images with OFD locks: a read lock on byte 100 + p while
 * it holds permission p, and on 200 + p while it lets no one else hold
 * it; p = 1 is write. A writer here does as a QEMU writer does (locks
 * first, then looks for anyone else's), so that the two never write the
 * image at once: the host's copy of a block would undo the guest's. Where
 * the locks are not supported, only flock protects. */
static int exclude_qemu(struct sbcli *c)
{
	static const off_t bytes[] = { 101, 201 };
	for (size_t i = 0; i < ARRAY_SIZE(bytes); i++) {
		struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = bytes[i], .l_len = 1 };
		if (fcntl(c->disk.fd, F_OFD_SETLK, &fl))
			return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(bytes); i++) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = bytes[i], .l_len = 1 };
		if (!fcntl(c->disk.fd, F_OFD_GETLK, &fl) && fl.l_type != F_UNLCK) {
			bb_err("%s: in use by a program that writes it (a running QEMU?); not written",
			       c->path);
			return -1;
		}
	}
	return 0;
}

int sb_cli_lock(struct sbcli *c, bool write)
{
	/* One writer at a time, and no reader sees a write half-way. */
	while (flock(c->disk.fd, write ? LOCK_EX : LOCK_SH)) {
		if (errno != EINTR) {
			bb_perr("%s: lock", c->path);
			return -1;
		}
	}
	return write ? exclude_qemu(c) : 0;
}

int sb_cli_open(struct sbcli *c, bool write)
{
	struct bb_error e;
	if (disk_open(&c->disk, c->path, write ? DISK_WRITE | DISK_EXCL : 0, 0, &e)) {
		bb_report(&e);
		return -1;
	}
	if (sb_cli_lock(c, write)) {
		disk_close(&c->disk);
		return -1;
	}
	struct sb_io io;
	sb_io_fd(&io, &c->disk.fd, c->disk.size);
	if (sb_open(&c->sb, &io)) {
		sb_cli_store_error(c);
		disk_close(&c->disk);
		return -1;
	}
	c->sb.sync = !opt_on(&c->a, OPT_NOSYNC);
	return 0;
}

void sb_cli_close(struct sbcli *c)
{
	sb_close(&c->sb);
	disk_close(&c->disk);
}

int sb_cli_store_error(struct sbcli *c)
{
	bb_err("%s: %s", c->path, c->sb.why);
	return 1;
}

uint64_t sb_cli_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec > 0 ? (uint64_t)ts.tv_sec : 0;
}

int sb_cli_timestamp(struct sbcli *c, uint64_t *out)
{
	return opt_u64(&c->a, OPT_TIME, sb_cli_now(), 0, UINT64_MAX, out);
}

void sb_cli_print_escaped(const uint8_t *p, size_t n, size_t width)
{
	char shown[4 * SB_PARAM_MAX + 8];
	size_t len = width && width + 1 < sizeof(shown) ? width + 1 : sizeof(shown);
	fputs(utf8_printable(p, n, shown, len), stdout);
}
