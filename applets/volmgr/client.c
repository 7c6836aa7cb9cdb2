/* client.c - the CLI's side of the socket: one request line out, its
 * response line back (notifications that arrive meanwhile are skipped). */
#include "client.h"
#include "clock.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define VM_MAX_RESPONSE (64u << 20)

int vm_client_unix(struct vm_client *cl, const char *path, struct bb_error *e)
{
	memset(cl, 0, sizeof(*cl));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return bb_error_set(e, ENAMETOOLONG, "%s: socket path too long", path);
	strcpy(sa.sun_path, path);
	cl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cl->fd < 0)
		return bb_error_errno(e, "socket");
	if (connect(cl->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		bb_error_errno(e, "connect to %s (is the daemon running? "
				  "volmgr daemon, or --socket PATH)", path);
		close(cl->fd);
		cl->fd = -1;
		return -1;
	}
	return 0;
}

static ssize_t cl_write(struct vm_client *cl, const char *buf, size_t n)
{
	if (cl->write)
		return cl->write(cl->io, buf, n);
	return send(cl->fd, buf, n, MSG_NOSIGNAL);
}

static ssize_t cl_read(struct vm_client *cl, char *buf, size_t n)
{
	if (cl->read)
		return cl->read(cl->io, buf, n);
	return recv(cl->fd, buf, n, 0);
}

/* The next line from the daemon, without its newline (malloc'd). */
static char *read_line(struct vm_client *cl, size_t *len, struct bb_error *e)
{
	for (;;) {
		char *nl = cl->buf ? memchr(cl->buf, '\n', cl->len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - cl->buf);
			char *line = malloc(n + 1);
			if (!line) {
				bb_error_set(e, ENOMEM, "out of memory");
				return NULL;
			}
			memcpy(line, cl->buf, n);
			line[n] = 0;
			memmove(cl->buf, nl + 1, cl->len - n - 1);
			cl->len -= n + 1;
			*len = n;
			return line;
		}
		if (cl->len > VM_MAX_RESPONSE) {
			bb_error_set(e, EMSGSIZE, "a response larger than %u bytes", VM_MAX_RESPONSE);
			return NULL;
		}
		char *b = realloc(cl->buf, cl->len + 65536);
		if (!b) {
			bb_error_set(e, ENOMEM, "out of memory");
			return NULL;
		}
		cl->buf = b;
		ssize_t r = cl_read(cl, cl->buf + cl->len, 65536);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				bb_error_set(e, ECONNRESET, "the daemon closed the connection");
			else
				bb_error_errno(e, "reading from the daemon");
			return NULL;
		}
		cl->len += (size_t)r;
	}
}

struct json *vm_client_call(struct vm_client *cl, const char *method, const char *params,
			    struct bb_error *e)
{
	char *req = NULL;
	size_t reqlen = 0;
	FILE *f = open_memstream(&req, &reqlen);
	if (!f) {
		bb_error_set(e, ENOMEM, "out of memory");
		return NULL;
	}
	unsigned id = ++cl->next_id;
	struct jw w;
	jw_init(&w, f, false);
	fputs("{\"jsonrpc\":\"2.0\",\"method\":", f);
	jw_str(&w, method);
	fprintf(f, ",\"params\":%s,\"id\":%u}\n", params && *params ? params : "{}", id);
	fclose(f);
	for (size_t off = 0; off < reqlen;) {
		ssize_t n = cl_write(cl, req + off, reqlen - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			bb_error_errno(e, "sending to the daemon");
			free(req);
			return NULL;
		}
		off += (size_t)n;
	}
	free(req);
	for (;;) {
		size_t len;
		char *line = read_line(cl, &len, e), err[160];
		if (!line)
			return NULL;
		struct json *j = json_parse(line, len, 256, err, sizeof(err));
		free(line);
		if (!j) {
			bb_error_set(e, EPROTO, "the daemon's answer is not JSON: %s", err);
			return NULL;
		}
		uint64_t got;
		if (json_u64(json_get(j, "id"), &got) && got == id)
			return j;
		if (json_get(j, "error") && json_get(j, "id") &&
		    json_get(j, "id")->type == JSON_NULL)
			return j; /* the daemon refused the connection or the request */
		json_free(j); /* a notification */
	}
}

void vm_client_close(struct vm_client *cl)
{
	if (cl->close)
		cl->close(cl->io);
	if (cl->fd >= 0)
		close(cl->fd);
	free(cl->buf);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
}
