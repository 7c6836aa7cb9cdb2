/* volmgr - the storage daemon (JSON-RPC 2.0 on a Unix socket, and TLS
 * for a remote rescue operator) and its CLI, one command per method.
 *
 * The CLI's commands, their options and --help are derived from the
 * method table (volmgr.h) when the program starts, so a method added to
 * a module is a command at once.
 */
#include "bb.h"
#include "cli.h"
#include "server.h"

#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int volmgr_main(int argc, char **argv);

/* Fixed options first; the params' options follow (vm_opts_build). */
static struct bb_opt opts[BB_MAX_OPTS + 1] = {
	[VM_O_JSON] = { "json", 0, NULL, "print the raw JSON result" },
	[VM_O_SOCKET] = { "socket", 0, "PATH", "the daemon's Unix socket (" VM_DEFAULT_SOCKET ")" },
	[VM_O_CONNECT] = { "connect", 0, "HOST:PORT", "a daemon's TLS listener instead" },
	[VM_O_CERT] = { "cert", 0, "FILE", "TLS: own certificate (PEM)" },
	[VM_O_KEY] = { "key", 0, "FILE", "TLS: own private key (PEM)" },
	[VM_O_CA] = { "ca", 0, "FILE",
		      "TLS: the CA the other side must chain to (daemon: clients' CA)" },
	[VM_O_NOWAIT] = { "no-wait", 0, NULL, "print the job's id instead of waiting for it" },
	[VM_O_GROUP] = { "group", 0, "GROUP", "daemon: group of the socket (queries are open to it)" },
	[VM_O_POLICY] = { "policy", 0, "FILE", "daemon: access policy (built in: volmgr-policy.conf)" },
	[VM_O_LISTEN_TLS] = { "listen-tls", 0, "ADDR:PORT",
			      "daemon: also serve TLS (needs --cert, --key, --ca)" },
	[VM_O_IDLE] = { "idle-timeout", 0, "SECONDS", "daemon: close idle connections (300)" },
	[VM_O_MAX_REQUEST] = { "max-request", 0, "BYTES", "daemon: largest request line (1M)" },
	[VM_O_STATE_DIR] = { "state-dir", 0, "DIR", "daemon: persistent state (/var/lib/volmgr)" },
	{ 0 },
};

#define CLIENT_OPTS                                                                        \
	(BB_O(VM_O_JSON) | BB_O(VM_O_SOCKET) | BB_O(VM_O_CONNECT) | BB_O(VM_O_CERT) |       \
	 BB_O(VM_O_KEY) | BB_O(VM_O_CA))
#define DAEMON_OPTS                                                                        \
	(BB_O(VM_O_SOCKET) | BB_O(VM_O_GROUP) | BB_O(VM_O_POLICY) | BB_O(VM_O_LISTEN_TLS) |  \
	 BB_O(VM_O_CERT) | BB_O(VM_O_KEY) | BB_O(VM_O_CA) | BB_O(VM_O_IDLE) |                \
	 BB_O(VM_O_MAX_REQUEST) | BB_O(VM_O_STATE_DIR))

static int daemon_run(void *ctx, const struct bb_args *a);

#define VM_MAX_CMDS 96
static struct bb_cmd cmds[VM_MAX_CMDS + 1] = {
	{ "daemon", NULL, 0, 0, DAEMON_OPTS,
	  "serve JSON-RPC on the socket (also: volmgrd); until SIGTERM", daemon_run },
};

static const char *const aliases[] = { "volmgrd", NULL };

const struct applet applet_volmgr = {
	.name = "volmgr",
	.aliases = aliases,
	.summary = "storage daemon (JSON-RPC 2.0 on a Unix socket) and its CLI",
	.usage = "volmgr COMMAND [ARGS] [OPTIONS]   or   volmgrd [OPTIONS]\n\n"
		 "volmgr daemon (or volmgrd) serves newline-delimited JSON-RPC 2.0 on\n"
		 VM_DEFAULT_SOCKET " (mode 0660, root and --group):\n"
		 "queries for the group, changes for root or the policy's rules.\n"
		 "Every other command calls the method of the same name on the daemon\n"
		 "and prints its result as a table (--json: the raw result). Commands\n"
		 "that start a job wait for it with a progress bar, unless --no-wait.\n"
		 "A daemon error is printed with its code and message; the status is 1.",
	.opts = opts,
	.main = volmgr_main,
	.cmds = cmds,
};

/* Derive the commands and their options from the method table. Run
 * before main, because `volmgr --help` is answered before main is. */
__attribute__((constructor)) static void volmgr_tables(void)
{
	vm_cli_build(opts, VM_O_FIRST_PARAM, BB_MAX_OPTS, cmds + 1, VM_MAX_CMDS - 1,
		     CLIENT_OPTS);
}

static int daemon_run(void *ctx, const struct bb_args *a)
{
	(void)ctx;
	struct vm_server_opts o = {
		.socket = opt_str(a, VM_O_SOCKET, VM_DEFAULT_SOCKET),
		.gid = (gid_t)-1,
		.mode = 0660,
		.max_depth = VM_DEFAULT_DEPTH,
		.max_conns = 4096,
		.audit = stderr,
		.tls_listen = opt_str(a, VM_O_LISTEN_TLS, NULL),
		.cert = opt_str(a, VM_O_CERT, NULL),
		.key = opt_str(a, VM_O_KEY, NULL),
		.client_ca = opt_str(a, VM_O_CA, NULL),
		.ready_fd = -1,
	};
	uint64_t idle, maxreq;
	if (opt_u64(a, VM_O_IDLE, 300, 1, 86400, &idle) ||
	    opt_size(a, VM_O_MAX_REQUEST, VM_DEFAULT_MAX_REQUEST, 0, &maxreq))
		return 2;
	if (maxreq < 64 || maxreq > (256u << 20)) {
		opt_bad_value("--max-request: between 64 bytes and 256M");
		return 2;
	}
	o.idle_s = (unsigned)idle;
	o.max_request = (size_t)maxreq;
	if (o.tls_listen && (!o.cert || !o.key || !o.client_ca)) {
		bb_err("--listen-tls needs --cert, --key and --ca (the clients' CA)");
		return 2;
	}
	const char *group = opt_str(a, VM_O_GROUP, NULL);
	if (group) {
		struct group *g = getgrnam(group);
		char *end;
		unsigned long n = strtoul(group, &end, 10);
		if (!g && (*end || end == group)) {
			bb_err("--group: %s: no such group", group);
			return 2;
		}
		o.gid = g ? g->gr_gid : (gid_t)n;
	}
	vm_cfg.state_dir = opt_str(a, VM_O_STATE_DIR, vm_cfg.state_dir);
	struct bb_error e = { 0 };
	if (vm_policy_load(opt_str(a, VM_O_POLICY, NULL), &e)) {
		bb_report(&e);
		return 1;
	}
	const char *ready = getenv("VOLMGR_READY_FD"); /* tests, benchmarks */
	if (ready)
		o.ready_fd = atoi(ready);
	if (vm_server_run(&o, &e)) {
		bb_report(&e);
		return 1;
	}
	return 0;
}

static int volmgr_main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	char **dargv = NULL;
	if (!strcmp(base, "volmgrd")) { /* volmgrd [OPTIONS]: the daemon */
		dargv = calloc((size_t)argc + 2, sizeof(*dargv));
		if (!dargv) {
			bb_perr("volmgrd");
			return 1;
		}
		dargv[0] = argv[0];
		dargv[1] = "daemon";
		memcpy(dargv + 2, argv + 1, (size_t)argc * sizeof(*argv));
		argv = dargv;
		argc++;
	}
	struct bb_args a;
	int rc = bb_getopt(&applet_volmgr, argc, argv, &a);
	if (rc != BB_CONTINUE)
		return rc;
	if (!a.cmd) {
		bb_err("a command is needed (try 'volmgr --help')");
		return 2;
	}
	rc = a.cmd->run(NULL, &a);
	free(dargv);
	return rc;
}
