/* server.h - volmgr's daemon: the event loop and its listeners. */
#ifndef BB_VOLMGR_SERVER_H
#define BB_VOLMGR_SERVER_H

#include "rpc.h"

#include <sys/types.h>

struct vm_server_opts {
	const char *socket;   /* Unix socket path */
	gid_t gid;            /* group of the socket; (gid_t)-1: leave it */
	unsigned mode;        /* of the socket: 0660 */
	unsigned idle_s;      /* close connections idle this long (not subscribers) */
	size_t max_request;   /* bytes of one request line */
	int max_depth;        /* nesting of a request */
	unsigned max_conns;   /* connections at once; more are refused */
	FILE *audit;          /* log of mutating calls */
	/* TLS: all four or none */
	const char *tls_listen; /* ADDR:PORT */
	const char *cert, *key, *client_ca;
	/* Tests and benchmarks: write a line to this fd once accepting. */
	int ready_fd;
};

/* Bind, start the modules, serve until SIGTERM/SIGINT. Returns 0, or -1
 * with e set when it could not start. */
int vm_server_run(const struct vm_server_opts *o, struct bb_error *e);

/* tls.c: a TLS listener's state and a connection's. Weak, so that a
 * build without tls.c serves the Unix socket only. */
struct vm_tls;
struct vm_tls_conn;
#define VM_TLS_WEAK __attribute__((weak))
int vm_tls_setup(struct vm_tls **t, const char *cert, const char *key, const char *ca,
		 struct bb_error *e) VM_TLS_WEAK;
void vm_tls_free(struct vm_tls *t) VM_TLS_WEAK;
/* Listen on ADDR:PORT (IPv4 or [IPv6]); returns the fd or -1. */
int vm_tls_listen(const char *addr, struct bb_error *e) VM_TLS_WEAK;
/* A fresh connection on fd (non-blocking); NULL when out of memory. */
struct vm_tls_conn *vm_tls_accept(struct vm_tls *t, int fd) VM_TLS_WEAK;
/* Like read/write: -1 with errno EAGAIN when it must wait for the socket
 * (*want_write tells which way), -1 with another errno on failure
 * (EACCES: the handshake refused the client). After the handshake,
 * vm_tls_peer gives the certificate subject's CN. */
ssize_t vm_tls_read(struct vm_tls_conn *c, void *buf, size_t n, bool *want_write) VM_TLS_WEAK;
ssize_t vm_tls_write(struct vm_tls_conn *c, const void *buf, size_t n,
		     bool *want_write) VM_TLS_WEAK;
bool vm_tls_peer(struct vm_tls_conn *c, char *cn, size_t len) VM_TLS_WEAK;
void vm_tls_close(struct vm_tls_conn *c) VM_TLS_WEAK;

#endif
