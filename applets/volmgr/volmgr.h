/* volmgr.h - the seam between volmgr's transport and CLI (main, rpc,
 * server, client, cli, methods, openrpc, tls, policy) and its storage
 * methods (query, ops, jobs, stats, smart, health).
 *
 * ONE table describes every method: its JSON-RPC name, its CLI command,
 * its params (name, type, required, help), its result schema, whether it
 * changes anything and whether it starts a job. Dispatch, -32602 param
 * validation, the OpenRPC document of rpc.discover, the CLI's commands,
 * their options and --help, and the CLI's human tables all read it, so
 * they cannot drift apart.
 *
 * A storage file adds its methods by defining one module descriptor,
 * e.g. in query.c:
 *
 *	static int list_partitions(struct vm_call *c) { ... }
 *	static const struct vm_method methods[] = {
 *		{ .name = "storage.list_partitions", .cli = "partitions",
 *		  .help = "All partitions with label, UUID, fstype",
 *		  .result = { VM_R_LIST, part_fields }, .fn = list_partitions },
 *		{ 0 },
 *	};
 *	const struct vm_module vm_mod_query = { "query", methods, NULL, NULL };
 *
 * The module descriptors are declared weak below, so a module that is
 * not written yet is simply absent: no table to edit elsewhere.
 *
 * Handlers run on the daemon's event loop thread: a query must be quick
 * (sysfs, ioctls that answer at once). Anything slow is a job: the
 * handler validates, starts the work in its own thread and answers
 * {"job": ID} at once; completion reaches subscribers through
 * vm_publish(), which any thread may call.
 */
#ifndef BB_VOLMGR_H
#define BB_VOLMGR_H

#include "error.h"
#include "json.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* ---- error codes (the seed's table) ------------------------------------ */

enum {
	VM_E_PARSE = -32700,      /* malformed JSON */
	VM_E_REQUEST = -32600,    /* not a valid request object (or too big, too deep) */
	VM_E_METHOD = -32601,     /* no such method */
	VM_E_PARAMS = -32602,     /* unknown, missing or ill-typed param (named) */
	VM_E_INTERNAL = -32603,   /* a bug or resource exhaustion in the daemon */
	VM_E_STORAGE = -32000,    /* the storage operation failed (also: tool missing) */
	VM_E_VALIDATION = -32001, /* a value is wrong or refused (in use, core subvolume, ..) */
	VM_E_NODEV = -32002,      /* the device or path named does not exist */
	/* A caller the policy does not allow is VM_E_VALIDATION, errno EACCES. */
};

/* ---- params -------------------------------------------------------------- */

enum vm_type {
	VM_T_STR = 1, /* a string */
	VM_T_PATH,    /* an absolute path: starts with '/', no ".." component */
	VM_T_U64,     /* a non-negative integer (CLI: 10G, 512M accepted) */
	VM_T_BOOL,    /* true/false (CLI: a flag without a value) */
	VM_T_OBJ,     /* any object (not settable from the CLI) */
	VM_T_ARR,     /* any array (CLI: values separated by commas, as strings) */
};

enum {
	VM_REQ = 1 << 0, /* required */
	VM_POS = 1 << 1, /* CLI: taken as the next positional argument, not an option */
};

struct vm_param {
	const char *name;  /* JSON key, snake_case */
	enum vm_type type;
	unsigned flags;    /* VM_REQ | VM_POS */
	const char *help;  /* one line, for OpenRPC and --help */
	const char *opt;   /* CLI option name when not name with '-' for '_'
			    * ("size" for size_bytes); the metavariable of a
			    * positional */
};

/* ---- results ------------------------------------------------------------- */

/* A field of a result object, for the OpenRPC result schema and the CLI's
 * table (scalar fields are columns, in this order, unless VM_F_HIDE). */
struct vm_field {
	const char *name;
	enum vm_type type; /* VM_T_STR/PATH/U64/BOOL/OBJ/ARR; VM_T_NUM below */
	const char *help;
	unsigned flags;    /* VM_F_* */
};
#define VM_T_NUM 100 /* a number that need not be an integer (percent, rate) */
enum {
	VM_F_HIDE = 1 << 0,     /* not a column of the CLI's table */
	VM_F_NULLABLE = 1 << 1, /* may be null */
	VM_F_BYTES = 1 << 2,    /* a size in bytes: the table shows 10.0G */
};

enum vm_result_kind {
	VM_R_OBJECT = 0, /* one object with these fields (CLI: KEY VALUE lines) */
	VM_R_LIST,       /* an array of such objects (CLI: a table) */
	VM_R_JOB,        /* {"job": ID}: the method started a job */
	VM_R_ANY,        /* anything (rpc.discover); fields may be NULL */
};

struct vm_result {
	enum vm_result_kind kind;
	const struct vm_field *fields; /* ends with { 0 }; may be NULL */
};

/* ---- a call -------------------------------------------------------------- */

struct vm_method;
struct vm_session; /* the connection a call came on (transport-private) */

/* Who is calling: from SO_PEERCRED, or a TLS client certificate. */
struct vm_caller {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	bool tls;           /* TLS client: uid/gid meaningless, role from the policy */
	char role[64];      /* policy role of a TLS client, "" for the Unix socket */
	char name[128];     /* for logs: "uid 0 pid 123" or the certificate's CN */
};

struct vm_call {
	const struct vm_method *m;
	const struct json *params;  /* the params object, already validated
				     * against m->params; never NULL */
	struct jw *out;             /* write exactly one JSON value: the result */
	const struct vm_caller *who;
	struct vm_session *session;
	bool dry_run;               /* mutating methods: "dry_run": true */
	/* The error, set through vm_fail*(); code 0 while none. */
	int code;
	char msg[BB_ERROR_MSG];
	int err_errno;              /* data.errno when non-zero */
	char device[128];           /* data.device when non-empty */
	char param[64];             /* data.param when non-empty (-32602) */
};

/* The handler of a method: write the result to c->out and return 0, or
 * set an error with vm_fail*() and return -1 (whatever it wrote to
 * c->out is then dropped). */
typedef int (*vm_handler)(struct vm_call *c);

enum {
	VM_MUTATING = 1 << 0, /* changes something: root or a policy rule, logged
			       * with the caller's uid; "dry_run" is accepted */
	VM_JOB = 1 << 1,      /* answers {"job": ID}; the CLI waits for it
			       * (storage.job_status) unless --no-wait */
	VM_NO_CLI = 1 << 2,   /* no CLI command (storage.subscribe) */
};

struct vm_method {
	const char *name;     /* "storage.list_disks" */
	const char *cli;      /* CLI command: "disks"; NULL: none */
	const char *help;     /* one line, for OpenRPC summary and --help */
	const struct vm_param *params; /* ends with { 0 }; NULL: none */
	struct vm_result result;
	unsigned flags;       /* VM_MUTATING | VM_JOB | VM_NO_CLI */
	vm_handler fn;
	/* The CLI's rendering of the result when the default (a table of
	 * the result fields, or KEY VALUE lines) does not fit. May be NULL. */
	void (*show)(const struct json *result, FILE *f);
};

/* Getters for validated params: absent params give NULL / def. */
const char *vm_str(const struct vm_call *c, const char *name);
uint64_t vm_u64(const struct vm_call *c, const char *name, uint64_t def);
bool vm_bool(const struct vm_call *c, const char *name, bool def);
bool vm_has(const struct vm_call *c, const char *name);

/* Set the call's error; each returns -1. device may be NULL. */
int vm_fail(struct vm_call *c, int code, const char *device, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same with data.errno = err (0: none). */
int vm_fail_errno(struct vm_call *c, int code, int err, const char *device, const char *fmt,
		  ...) __attribute__((format(printf, 5, 6)));
/* From a core error: its message, data.errno = e->code. The code is
 * VM_E_NODEV for ENOENT/ENODEV/ENXIO, VM_E_VALIDATION for EBUSY/EINVAL/
 * EEXIST/EPERM/EACCES (a refusal), else VM_E_STORAGE. */
int vm_fail_bb(struct vm_call *c, const struct bb_error *e, const char *device);

/* ---- the daemon: what modules may use -------------------------------- */

struct sysroot;

/* Settings of the running daemon (or of in-process tests). */
struct vm_config {
	const struct sysroot *root; /* sysfs/proc/dev roots (tests: a fake tree) */
	const char *state_dir;      /* persistent state: /var/lib/volmgr */
	const char *run_dir;        /* /run/mos_volmgrd */
};
extern struct vm_config vm_cfg;

/* The block devices as blkdev_scan sees them, kept by the daemon between
 * calls and read again after the kernel reports a change (a uevent, a
 * mount or swap change) or 2 s at most: a query answers without walking
 * sysfs each time. Valid until the handler returns; NULL with e set.
 * Outside the daemon (tests) it scans every time. */
struct blkdev_list;
const struct blkdev_list *vm_blkdevs(struct bb_error *e);
/* Forget the kept view: a handler or job that changed devices calls it
 * (any thread). */
void vm_blkdevs_changed(void);
/* vm_blkdevs for a handler: NULL with c's error set. */
const struct blkdev_list *vm_view(struct vm_call *c);
/* The same for a handler that lists devices: the result array is opened
 * on c->out (the handler closes it). */
const struct blkdev_list *vm_view_list(struct vm_call *c);

/* Send a notification to every connection that called storage.subscribe
 * (for this event, or for all): {"jsonrpc":"2.0","method":"storage.event",
 * "params":{"event":EVENT,"data":DATA}}. data_json is one JSON value as
 * text (an object), or NULL. Safe from any thread; never blocks on a
 * client. */
void vm_publish(const char *event, const char *data_json);

/* A module of methods, with optional start/stop hooks run when the daemon
 * starts (after the socket is bound, before it accepts) and stops. start
 * returns 0, or -1 with e set, which stops the daemon. */
struct vm_module {
	const char *name;
	const struct vm_method *methods; /* ends with { 0 } */
	int (*start)(struct bb_error *e);
	void (*stop)(void);
};

/* Weak: a module whose file does not exist yet is absent. */
#define VM_WEAK __attribute__((weak))
extern const struct vm_module vm_mod_core;   /* methods.c: rpc.discover, subscribe, list_disks */
extern const struct vm_module vm_mod_query VM_WEAK;  /* query.c */
extern const struct vm_module vm_mod_ops VM_WEAK;    /* ops.c */
extern const struct vm_module vm_mod_jobs VM_WEAK;   /* jobs.c */
extern const struct vm_module vm_mod_stats VM_WEAK;  /* stats.c */
extern const struct vm_module vm_mod_smart VM_WEAK;  /* smart.c */
extern const struct vm_module vm_mod_health VM_WEAK; /* health.c */

/* The modules present, in this order; NULL-terminated. */
const struct vm_module *const *vm_modules(void);
/* Find a method by JSON-RPC name, or by CLI command name. */
const struct vm_method *vm_method_find(const char *name);
const struct vm_method *vm_method_by_cli(const char *cli);
/* Call fn for every method of every module, in order. */
void vm_each_method(void (*fn)(const struct vm_method *m, void *ctx), void *ctx);

/* ---- jobs: the contract between jobs.c and the CLI ---------------------- *
 *
 * A VM_JOB method answers {"job": ID} (ID a positive integer). The CLI
 * then calls storage.job_status {"job": ID} until "state" is no longer
 * "running" and expects at least:
 *	job        the ID
 *	method     the method that started it
 *	state      "running" | "done" | "failed" | "cancelled"
 *	progress   0..100 (a number), or null when unknown
 *	rate, eta_seconds   numbers or null
 *	result     the job's result (any JSON) when done
 *	error      {"code", "message", "data"} when failed
 * storage.job_cancel {"job": ID} stops it; storage.list_jobs lists them.
 * When a job ends, jobs.c calls vm_publish("job_end", {job,method,state}).
 */

#endif
