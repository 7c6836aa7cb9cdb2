/* client.h - a connection to the daemon, over its Unix socket or TLS. */
#ifndef BB_VOLMGR_CLIENT_H
#define BB_VOLMGR_CLIENT_H

#include "rpc.h"

#include <sys/types.h>

struct vm_client {
	int fd;
	unsigned next_id;
	char *buf; /* what was read past the last line */
	size_t len;
	/* TLS: set by vm_client_tls; NULL for the Unix socket */
	void *io;
	ssize_t (*read)(void *io, char *buf, size_t n);
	ssize_t (*write)(void *io, const char *buf, size_t n);
	void (*close)(void *io);
};

int vm_client_unix(struct vm_client *cl, const char *path, struct bb_error *e);
/* --connect HOST:PORT with a client certificate; the server must chain to ca. */
int vm_client_tls(struct vm_client *cl, const char *hostport, const char *cert,
		  const char *key, const char *ca, struct bb_error *e) __attribute__((weak));
/* One call: params is a JSON object as text (NULL: {}). Returns the whole
 * response object (json_free it), or NULL with e set. */
struct json *vm_client_call(struct vm_client *cl, const char *method, const char *params,
			    struct bb_error *e);
void vm_client_close(struct vm_client *cl);

#endif
