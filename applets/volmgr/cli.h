/* cli.h - volmgr's CLI: commands and options from the method table, and
 * the rendering of results. */
#ifndef BB_VOLMGR_CLI_H
#define BB_VOLMGR_CLI_H

#include "bb.h"
#include "rpc.h"

/* The fixed options of main.c's table; the params' options follow. */
enum {
	VM_O_JSON,
	VM_O_SOCKET,
	VM_O_CONNECT,
	VM_O_CERT,
	VM_O_KEY,
	VM_O_CA,
	VM_O_NOWAIT,
	VM_O_GROUP,
	VM_O_POLICY,
	VM_O_LISTEN_TLS,
	VM_O_IDLE,
	VM_O_MAX_REQUEST,
	VM_O_STATE_DIR,
	VM_O_FIRST_PARAM
};

/* Fill opts[first..max) with one option per distinct CLI option of the
 * methods' params (and --dry-run), and cmds[0..ncmds) with one command
 * per method that has a CLI name, each taking client_opts and its
 * params' options. Methods that do not fit are left out (and counted in
 * vm_cli_dropped, which a unit test keeps at 0). */
void vm_cli_build(struct bb_opt *opts, int first, int max, struct bb_cmd *cmds, int ncmds,
		  uint64_t client_opts);
extern int vm_cli_dropped;

/* Render a result for people: a table for lists, KEY: VALUE for objects. */
void vm_cli_show(const struct vm_method *m, const struct json *result, FILE *f);

#endif
