/* cli.h - what the spaceblock subcommands share: options, the open store. */
#ifndef SPACEBLOCK_CLI_H
#define SPACEBLOCK_CLI_H

#include "bb.h"
#include "blkdev.h"
#include "store.h"

enum {
	OPT_FILE,
	OPT_BLOCKS,
	OPT_SECTOR,
	OPT_TENANT,
	OPT_UUID,
	OPT_EPOCH,
	OPT_FORCE,
	OPT_JSON,
	OPT_NOSYNC,
	OPT_KERNEL,
	OPT_INITRD,
	OPT_MEMORY,
	OPT_APPEND,
	OPT_QEMU,
	OPT_KVM,
	OPT_SEVERITY,
	OPT_CODE,
	OPT_TIME,
	OPT_CLASS,
	OPT_PRIORITY,
	OPT_OUTPUT,
	OPT_COUNT,
	OPT_QUICK,
	OPT_NOPTS
};

struct sbcli {
	struct bb_args a;
	const char *path;
	struct disk disk;
	struct spaceblock sb;
	bool json;
};

extern const struct applet applet_spaceblock;

/* Lock c->disk for reading (shared) or writing (exclusive, also of a
 * QEMU that has it open for writing). Reports. */
int sb_cli_lock(struct sbcli *c, bool write);
/* Open --file as a store, shared (read) or exclusive (write). Reports. */
int sb_cli_open(struct sbcli *c, bool write);
void sb_cli_close(struct sbcli *c);
/* Report sb->why for the file; returns 1. */
int sb_cli_store_error(struct sbcli *c);
/* The current time, for records the user did not time-stamp. */
uint64_t sb_cli_now(void);
/* --timestamp, or now; -1 (reported) on a bad value. */
int sb_cli_timestamp(struct sbcli *c, uint64_t *out);
/* Bytes shown as text: printable ASCII as is, the rest as \xNN. */
void sb_cli_print_escaped(const uint8_t *p, size_t n, size_t width);

struct jw;
/* The events still in the ring, oldest first: a table, or a JSON array. */
void sb_cli_events(struct sbcli *c, struct jw *w, size_t max);
void sb_cli_json_param(struct jw *w, const struct sb_param *p);
void sb_cli_print_params(const struct sb_param *p, size_t n); /* a table */
void sb_cli_json_dp(struct jw *w, const struct sb_dp *d);
void sb_cli_print_dp_header(void);
void sb_cli_print_dp(const struct sb_dp *d); /* one row, no newline */

int sb_cmd_init(struct sbcli *c);
int sb_cmd_launch(struct sbcli *c);
int sb_cmd_inspect(struct sbcli *c);
int sb_cmd_param_set(struct sbcli *c);
int sb_cmd_param_get(struct sbcli *c);
int sb_cmd_param_list(struct sbcli *c);
int sb_cmd_event_write(struct sbcli *c);
int sb_cmd_event_list(struct sbcli *c);
int sb_cmd_event_count(struct sbcli *c);
int sb_cmd_dp_write(struct sbcli *c);
int sb_cmd_dp_read(struct sbcli *c);
int sb_cmd_dp_list(struct sbcli *c);
int sb_cmd_dp_delete(struct sbcli *c);

#endif
