/* spaceblock - the SpaceOS block storage layout (space-block): superblock,
 * parameter store, event ring and data products on a disk or image file,
 * and a QEMU launcher that attaches it as a virtio-blk drive. */
#include "cli.h"
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

const struct applet applet_spaceblock = {
	.name = "spaceblock",
	.summary = "SpaceOS block layout: parameters, event ring, data products; QEMU launch",
	.usage =
		"spaceblock COMMAND --file PATH [OPTIONS] [ARGS]\n\n"
		"The space-block layout on an image file or block device: a superblock,\n"
		"a parameter store (newest generation of each id wins), an event ring and\n"
		"data products, every record protected by CRC-32C. Writes never overwrite\n"
		"what a reader still needs, so a power cut loses at most the write in\n"
		"progress. Commands:\n\n"
		"  init --blocks N               create the layout (refuses non-blank data\n"
		"                                without --force)\n"
		"  inspect [--json] [--quick]    superblock, areas, parameters, events,\n"
		"                                products, CRC failures (exit 1 if any)\n"
		"  launch --kernel K --initrd I  init PATH if it does not exist, then run\n"
		"                                QEMU (TCG unless --kvm) with PATH as a\n"
		"                                virtio-blk drive and the console on stdio\n"
		"  param set ID VALUE|-          store a value (at most 240 bytes; - reads stdin)\n"
		"  param get ID                  print the newest value, exactly as stored\n"
		"  param list                    every parameter with its generation\n"
		"  event write [MESSAGE]         append to the ring (message at most 48 bytes)\n"
		"  event list [-n N]             the events still in the ring, oldest first\n"
		"  event count                   events ever written, including those the\n"
		"                                ring has since overwritten\n"
		"  dp write NAME [FILE|-]        store a data product (stdin by default)\n"
		"  dp read NAME [-o FILE]        its data, checked against its CRC-32C\n"
		"  dp list                       the catalog\n"
		"  dp delete NAME                remove it and free its blocks\n\n"
		"Names are 1-64 bytes. Exit 0 on success, 1 on failure, 2 on usage errors.",
	.opts = spaceblock_opts,
	.main = spaceblock_main,
};

enum open_mode { NO_OPEN, OPEN_READ, OPEN_WRITE };

struct command {
	const char *group, *name;
	int min_args, max_args; /* positionals after the command words */
	unsigned opts;          /* allowed besides --file */
	enum open_mode open;
	int (*run)(struct sbcli *c);
};

#define GEOMETRY (OPTBIT(OPT_BLOCKS) | OPTBIT(OPT_SECTOR) | OPTBIT(OPT_TENANT) | OPTBIT(OPT_UUID) | OPTBIT(OPT_EPOCH))

static const struct command commands[] = {
	{ NULL, "init", 0, 0, GEOMETRY | OPTBIT(OPT_FORCE), NO_OPEN, cmd_init },
	{ NULL, "inspect", 0, 0, OPTBIT(OPT_JSON) | OPTBIT(OPT_QUICK), OPEN_READ, cmd_inspect },
	{ NULL, "launch", 0, 0,
	  GEOMETRY | OPTBIT(OPT_KERNEL) | OPTBIT(OPT_INITRD) | OPTBIT(OPT_MEMORY) | OPTBIT(OPT_APPEND) | OPTBIT(OPT_QEMU) |
		  OPTBIT(OPT_KVM),
	  NO_OPEN, cmd_launch },
	{ "param", "set", 1, 2, OPTBIT(OPT_NOSYNC), OPEN_WRITE, cmd_param_set },
	{ "param", "get", 1, 1, OPTBIT(OPT_JSON), OPEN_READ, cmd_param_get },
	{ "param", "list", 0, 0, OPTBIT(OPT_JSON), OPEN_READ, cmd_param_list },
	{ "event", "write", 0, 1, OPTBIT(OPT_NOSYNC) | OPTBIT(OPT_SEVERITY) | OPTBIT(OPT_CODE) | OPTBIT(OPT_TIME),
	  OPEN_WRITE, cmd_event_write },
	{ "event", "list", 0, 0, OPTBIT(OPT_JSON) | OPTBIT(OPT_COUNT), OPEN_READ, cmd_event_list },
	{ "event", "count", 0, 0, OPTBIT(OPT_JSON), OPEN_READ, cmd_event_count },
	{ "dp", "write", 1, 2,
	  OPTBIT(OPT_NOSYNC) | OPTBIT(OPT_CLASS) | OPTBIT(OPT_PRIORITY) | OPTBIT(OPT_TIME), OPEN_WRITE, cmd_dp_write },
	{ "dp", "read", 1, 1, OPTBIT(OPT_OUTPUT), OPEN_READ, cmd_dp_read },
	{ "dp", "list", 0, 0, OPTBIT(OPT_JSON), OPEN_READ, cmd_dp_list },
	{ "dp", "delete", 1, 1, OPTBIT(OPT_NOSYNC), OPEN_WRITE, cmd_dp_delete },
};

static int usage_error(const char *fmt, const char *what)
{
	char msg[256];
	snprintf(msg, sizeof(msg), fmt, what);
	bb_err("%s", msg);
	fputs("Try 'spaceblock --help'.\n", stderr);
	return 2;
}

/* Match the command words; on success the positionals after them are
 * left at a->argv[0..]. */
static const struct command *find_command(struct bb_args *a)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		const struct command *cmd = &commands[i];
		int words = cmd->group ? 2 : 1;
		if (a->argc < words)
			continue;
		if (cmd->group && strcmp(a->argv[0], cmd->group))
			continue;
		if (strcmp(a->argv[words - 1], cmd->name))
			continue;
		a->argv += words;
		a->argc -= words;
		return cmd;
	}
	return NULL;
}

static int check_usage(const struct command *cmd, const struct bb_args *a)
{
	for (int o = 0; o < OPT_NOPTS; o++)
		if (opt_on(a, o) && o != OPT_FILE && !(cmd->opts & OPTBIT(o)))
			return usage_error("%s does not apply to this command",
					   opt_name(&applet_spaceblock, o));
	if (!opt_on(a, OPT_FILE))
		return usage_error("%s", "--file PATH is required");
	if (a->argc < cmd->min_args)
		return usage_error("missing argument for '%s'", cmd->name);
	if (a->argc > cmd->max_args)
		return usage_error("unexpected argument '%s'", a->argv[cmd->max_args]);
	return 0;
}

static int spaceblock_main(int argc, char **argv)
{
	struct sbcli c;
	memset(&c, 0, sizeof(c));
	c.disk.fd = -1;
	int rc = bb_getopt(&applet_spaceblock, argc, argv, &c.a);
	if (rc != BB_CONTINUE)
		return rc;
	if (!c.a.argc)
		return usage_error("%s", "which command? (init, inspect, launch, param, event, dp)");
	const struct command *cmd = find_command(&c.a);
	if (!cmd)
		return usage_error("unknown command '%s'", c.a.argv[0]);
	rc = check_usage(cmd, &c.a);
	if (rc)
		return rc;
	c.path = opt_str(&c.a, OPT_FILE, NULL);
	c.json = opt_on(&c.a, OPT_JSON);
	if (cmd->open != NO_OPEN && cli_open(&c, cmd->open == OPEN_WRITE))
		return 1;
	rc = cmd->run(&c);
	cli_close(&c);
	return rc;
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

int cli_lock(struct sbcli *c, bool write)
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

int cli_open(struct sbcli *c, bool write)
{
	if (disk_open(&c->disk, c->path, write ? DISK_WRITE | DISK_EXCL : 0, 0))
		return -1;
	if (cli_lock(c, write)) {
		disk_close(&c->disk);
		return -1;
	}
	struct sb_io io;
	sb_io_fd(&io, &c->disk.fd, c->disk.size);
	if (sb_open(&c->sb, &io)) {
		cli_store_error(c);
		disk_close(&c->disk);
		return -1;
	}
	c->sb.sync = !opt_on(&c->a, OPT_NOSYNC);
	return 0;
}

void cli_close(struct sbcli *c)
{
	sb_close(&c->sb);
	disk_close(&c->disk);
}

int cli_store_error(struct sbcli *c)
{
	bb_err("%s: %s", c->path, c->sb.why);
	return 1;
}

uint64_t cli_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec > 0 ? (uint64_t)ts.tv_sec : 0;
}

int cli_timestamp(struct sbcli *c, uint64_t *out)
{
	return opt_u64(&c->a, OPT_TIME, cli_now(), 0, UINT64_MAX, out);
}

void cli_print_escaped(const uint8_t *p, size_t n, size_t width)
{
	char shown[4 * SB_PARAM_MAX + 8];
	size_t len = width && width + 1 < sizeof(shown) ? width + 1 : sizeof(shown);
	fputs(utf8_printable(p, n, shown, len), stdout);
}
