/* rpc.h - inside volmgr's transport: JSON-RPC framing, the OpenRPC
 * document, the policy, the server and the client. The storage modules
 * need only volmgr.h. */
#ifndef BB_VOLMGR_RPC_H
#define BB_VOLMGR_RPC_H

#include "volmgr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define VM_DEFAULT_SOCKET "/run/mos_volmgrd/mos_volmgrd.sock"
#define VM_DEFAULT_DEPTH 32              /* nesting of a request */
#define VM_DEFAULT_MAX_REQUEST (1 << 20) /* bytes of one request line */
#define VM_MAX_BATCH 256                 /* requests in one batch */
#define VM_MAX_EVENTS 16                 /* event names one subscriber picks */

/* One connection's view for the framing layer. */
struct vm_session {
	struct vm_caller who;
	const struct vm_method *methods; /* NULL: the modules' table; tests give their own */
	int max_depth;                   /* 0: VM_DEFAULT_DEPTH */
	FILE *audit;                     /* mutating calls are logged here; NULL: nowhere */
	/* storage.subscribe */
	bool subscribed;
	int nevents; /* 0 with subscribed: every event */
	char events[VM_MAX_EVENTS][32];
};

enum { VM_RPC_KEEP = 0, VM_RPC_CLOSE = 1 };

/* Handle one line: a request, a notification or a batch. Writes the
 * response(s) to out as one line ending in '\n', or nothing (notifications,
 * blank lines, a batch of notifications). Returns VM_RPC_CLOSE when the
 * connection should be closed once out is sent (nesting too deep). */
int vm_rpc_line(struct vm_session *s, const char *line, size_t len, FILE *out);

/* An error response with id null, for errors the server finds before the
 * framing does (a request over the size limit, an idle connection). */
void vm_rpc_error_line(FILE *out, int code, const char *msg);

/* Check params (an object, an array by position, or NULL) against m.
 * Returns the params object to use (params itself, a by-position
 * mapping in *tmp, or an empty object) or NULL with c's error set
 * (VM_E_PARAMS naming the param). Free *tmp with vm_params_free. */
const struct json *vm_params_check(const struct vm_method *m, const struct json *params,
				   struct json *tmp, struct vm_call *c);
void vm_params_free(struct json *tmp);

/* methods.c: may vm_blkdevs keep its view (the server watches changes)? */
extern bool vm_view_watched;

/* openrpc.c: the rpc.discover document, from the method table. */
void vm_openrpc_write(struct jw *w);
/* The JSON Schema of one param or field type. */
void vm_schema_write(struct jw *w, int type, bool nullable);

/* Subscriptions (methods.c calls it; the server delivers). */
int vm_session_subscribe(struct vm_session *s, const struct json *events, struct vm_call *c);
bool vm_session_wants(const struct vm_session *s, const char *event);

/* policy.c: may this caller call this method? Queries: anyone connected.
 * Mutating methods: root, or a rule of the policy file. */
struct vm_policy;
bool vm_policy_allows(const struct vm_caller *who, const struct vm_method *m);
/* Load the policy (path NULL: the built-in config/data/volmgr-policy.conf). */
int vm_policy_load(const char *path, struct bb_error *e);
/* The role a TLS client's certificate subject CN maps to, or NULL. */
const char *vm_policy_role(const char *cn);

#endif
