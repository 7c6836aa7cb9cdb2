/* server.c - the daemon's one event loop (epoll, non-blocking).
 *
 * Every connection has its own input and output buffers, so a slow
 * reader, an idle client or a huge request costs only that connection:
 * reads are at most 64 KiB a turn, a line over the size limit gets an
 * error and a close, a connection that stops reading its answers stops
 * being read (its output is capped), and an idle one is closed with an
 * error. A client that half-closes after sending (socat) is answered
 * before its connection is closed.
 */
#include "server.h"
#include "clock.h"
#include "sysfs.h"

#include <errno.h>
#include <limits.h>
#include <linux/netlink.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define READ_CHUNK 65536
#define OUT_HIGH (1u << 20)  /* stop reading a client with this much unsent */
#define OUT_MAX (16u << 20)  /* ... and drop it past this (notifications pile up) */

struct conn {
	int fd;
	struct vm_session s;
	char *in;
	size_t inlen;
	char *out;
	size_t outlen, outoff;
	uint64_t last_ns;
	bool eof, closing;
	unsigned events; /* what epoll watches now */
	struct vm_tls_conn *tls;
	bool tls_want_write;
	struct conn *prev, *next;
};

struct server {
	const struct vm_server_opts *o;
	int ep, lfd, tlsfd, sigfd;
	struct vm_tls *tls;
	struct conn *conns;
	unsigned nconns;
	bool stop;
};

/* Tags for epoll's data of the non-connection fds. */
static char tag_listen, tag_tls, tag_sig, tag_pub, tag_view;

/* ---- vm_publish: any thread -> the loop ------------------------------- */

struct pub {
	char *event, *line;
	struct pub *next;
};
static pthread_mutex_t pub_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pub *pub_head, **pub_tail = &pub_head;
static int pub_pipe[2] = { -1, -1 };

void vm_publish(const char *event, const char *data_json)
{
	char *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);
	struct pub *p = malloc(sizeof(*p));
	if (!f || !p) {
		if (f)
			fclose(f);
		free(p);
		free(line);
		return; /* events are best effort when memory is gone */
	}
	struct jw w;
	jw_init(&w, f, false);
	fputs("{\"jsonrpc\":\"2.0\",\"method\":\"storage.event\",\"params\":{\"event\":", f);
	jw_str(&w, event);
	fprintf(f, ",\"data\":%s}}\n", data_json ? data_json : "null");
	fclose(f);
	p->event = strdup(event);
	p->line = line;
	p->next = NULL;
	pthread_mutex_lock(&pub_lock);
	*pub_tail = p;
	pub_tail = &p->next;
	pthread_mutex_unlock(&pub_lock);
	if (pub_pipe[1] >= 0 && write(pub_pipe[1], "", 1) < 0) {
		/* full pipe: the loop is already going to look */
	}
}

/* ---- connections ----------------------------------------------------- */

static void watch(struct server *sv, struct conn *c)
{
	unsigned ev = 0;
	size_t pending = c->outlen - c->outoff;
	if (!c->eof && !c->closing && pending < OUT_HIGH)
		ev |= EPOLLIN;
	if (pending || c->tls_want_write)
		ev |= EPOLLOUT;
	if (ev == c->events)
		return;
	struct epoll_event e = { .events = ev, .data.ptr = c };
	epoll_ctl(sv->ep, EPOLL_CTL_MOD, c->fd, &e);
	c->events = ev;
}

static void drop(struct server *sv, struct conn *c)
{
	epoll_ctl(sv->ep, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->tls)
		vm_tls_close(c->tls);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		sv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	sv->nconns--;
	free(c->in);
	free(c->out);
	free(c);
}

static int append_out(struct conn *c, const char *buf, size_t n)
{
	if (!n)
		return 0;
	if (c->outoff && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen - c->outoff + n > OUT_MAX)
		return -1;
	if (c->outoff > c->outlen / 2) { /* reclaim what was sent */
		memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
		c->outlen -= c->outoff;
		c->outoff = 0;
	}
	char *o = realloc(c->out, c->outlen + n);
	if (!o)
		return -1;
	memcpy(o + c->outlen, buf, n);
	c->out = o;
	c->outlen += n;
	return 0;
}

static ssize_t conn_read(struct conn *c, void *buf, size_t n)
{
	if (c->tls)
		return vm_tls_read(c->tls, buf, n, &c->tls_want_write);
	return recv(c->fd, buf, n, 0);
}

static ssize_t conn_write(struct conn *c, const void *buf, size_t n)
{
	if (c->tls)
		return vm_tls_write(c->tls, buf, n, &c->tls_want_write);
	return send(c->fd, buf, n, MSG_NOSIGNAL);
}

/* Send what can be sent. Returns -1 when the connection is finished. */
static int flush_out(struct conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t w = conn_write(c, c->out + c->outoff, c->outlen - c->outoff);
		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->outoff += (size_t)w;
		c->last_ns = clock_ns(); /* reading its answers is activity too */
	}
	if (c->tls && c->tls_want_write) /* a handshake waiting to write */
		conn_write(c, "", 0);
	return c->closing || (c->eof && !c->inlen) ? -1 : 0;
}

static void reply_error(struct conn *c, int code, const char *msg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f) {
		vm_rpc_error_line(f, code, msg);
		fclose(f);
		append_out(c, buf, len);
	}
	free(buf);
}

static void handle_line(struct server *sv, struct conn *c, const char *line, size_t len)
{
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	if (!f) {
		c->closing = true;
		return;
	}
	c->s.max_depth = sv->o->max_depth;
	if (vm_rpc_line(&c->s, line, len, f) == VM_RPC_CLOSE)
		c->closing = true;
	fclose(f);
	if (append_out(c, buf, blen))
		c->closing = true;
	free(buf);
}

/* Answer the complete lines in c->in (and at end of input, the last one
 * even without its newline), while the client keeps reading answers. */
static void work(struct server *sv, struct conn *c)
{
	size_t start = 0;
	while (!c->closing && c->outlen - c->outoff < OUT_HIGH) {
		char *nl = memchr(c->in + start, '\n', c->inlen - start);
		size_t end = nl ? (size_t)(nl - c->in) : c->inlen;
		if (!nl && !(c->eof && end > start))
			break;
		if (end - start > sv->o->max_request) {
			char msg[96];
			snprintf(msg, sizeof(msg), "Invalid Request: larger than %zu bytes",
				 sv->o->max_request);
			reply_error(c, VM_E_REQUEST, msg);
			c->closing = true;
			break;
		}
		handle_line(sv, c, c->in + start, end - start);
		start = nl ? end + 1 : end;
	}
	memmove(c->in, c->in + start, c->inlen - start);
	c->inlen -= start;
	/* Only a line still without its end counts against the limit: lines
	 * held back for a client that does not read are not one request. */
	if (!c->closing && c->inlen > sv->o->max_request && !memchr(c->in, '\n', c->inlen)) {
		char msg[96];
		snprintf(msg, sizeof(msg), "Invalid Request: larger than %zu bytes",
			 sv->o->max_request);
		reply_error(c, VM_E_REQUEST, msg);
		c->closing = true;
	}
	if (!c->inlen) {
		free(c->in);
		c->in = NULL;
	}
}

/* After the handshake: who the certificate names, and the role the
 * policy gives it. A client with no role is told so and closed. */
static void tls_identify(struct conn *c)
{
	char cn[96];
	if (c->s.who.role[0] || !vm_tls_peer(c->tls, cn, sizeof(cn)))
		return;
	const char *role = vm_policy_role(cn);
	snprintf(c->s.who.name, sizeof(c->s.who.name), "tls cn=%s role=%s", cn,
		 role ? role : "(none)");
	if (!role) {
		char msg[200];
		snprintf(msg, sizeof(msg), "certificate CN '%s' has no role in the policy", cn);
		reply_error(c, VM_E_VALIDATION, msg);
		c->closing = true;
		return;
	}
	snprintf(c->s.who.role, sizeof(c->s.who.role), "%s", role);
}

static int on_readable(struct server *sv, struct conn *c)
{
	char buf[READ_CHUNK];
	ssize_t r = conn_read(c, buf, sizeof(buf));
	if (c->tls) {
		int saved = errno;
		tls_identify(c);
		errno = saved;
		if (c->closing)
			return 0;
	}
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r <= 0) { /* end of input or a reset: answer what came, then go */
		c->eof = true;
		if (r < 0)
			return -1;
	} else {
		char *in = realloc(c->in, c->inlen + (size_t)r);
		if (!in)
			return -1;
		memcpy(in + c->inlen, buf, (size_t)r);
		c->in = in;
		c->inlen += (size_t)r;
		c->last_ns = clock_ns();
	}
	work(sv, c);
	return 0;
}

static void fill_caller(struct conn *c)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0) {
		c->s.who.uid = cr.uid;
		c->s.who.gid = cr.gid;
		c->s.who.pid = cr.pid;
	} else { /* unknown: the least trusted caller */
		c->s.who.uid = c->s.who.gid = (uid_t)-1;
	}
	snprintf(c->s.who.name, sizeof(c->s.who.name), "uid %u gid %u pid %d",
		 (unsigned)c->s.who.uid, (unsigned)c->s.who.gid, (int)c->s.who.pid);
}

static void on_accept(struct server *sv, int lfd, bool tls)
{
	for (int i = 0; i < 64; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct conn *c = sv->nconns < sv->o->max_conns ? calloc(1, sizeof(*c)) : NULL;
		if (!c) { /* too many: say so, without waiting for it to be read */
			static const char full[] = "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32603,"
						    "\"message\":\"too many connections\","
						    "\"data\":{}},\"id\":null}\n";
			if (send(fd, full, sizeof(full) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			}
			close(fd);
			continue;
		}
		c->fd = fd;
		c->s.audit = sv->o->audit;
		c->last_ns = clock_ns();
		if (tls) {
			c->tls = vm_tls_accept(sv->tls, fd);
			c->s.who.tls = true;
			c->s.who.uid = c->s.who.gid = (uid_t)-1;
			snprintf(c->s.who.name, sizeof(c->s.who.name), "tls client (handshake)");
			if (!c->tls) {
				close(fd);
				free(c);
				continue;
			}
		} else {
			fill_caller(c);
		}
		c->events = EPOLLIN;
		struct epoll_event e = { .events = EPOLLIN, .data.ptr = c };
		if (epoll_ctl(sv->ep, EPOLL_CTL_ADD, fd, &e)) {
			if (c->tls)
				vm_tls_close(c->tls);
			close(fd);
			free(c);
			continue;
		}
		c->next = sv->conns;
		if (sv->conns)
			sv->conns->prev = c;
		sv->conns = c;
		sv->nconns++;
	}
}

static void deliver_events(struct server *sv)
{
	char sink[256];
	while (read(pub_pipe[0], sink, sizeof(sink)) > 0)
		;
	pthread_mutex_lock(&pub_lock);
	struct pub *p = pub_head;
	pub_head = NULL;
	pub_tail = &pub_head;
	pthread_mutex_unlock(&pub_lock);
	while (p) {
		struct pub *next = p->next;
		for (struct conn *c = sv->conns; c; c = c->next)
			if (!c->closing && vm_session_wants(&c->s, p->event)) {
				if (append_out(c, p->line, strlen(p->line)))
					c->closing = true; /* a subscriber that never reads */
				if (flush_out(c) == 0)
					watch(sv, c);
			}
		free(p->event);
		free(p->line);
		free(p);
		p = next;
	}
}

/* ---- watching for device changes --------------------------------------- */

/* Kernel uevents (a disk or partition added, removed, resized), and
 * mountinfo and swaps, which signal a change with POLLPRI: each makes
 * the kept view of block devices stale. Without them (no netlink in a
 * sandbox), vm_blkdevs scans every time. */
static int view_fds[3] = { -1, -1, -1 };

static void watch_view(struct server *sv)
{
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			NETLINK_KOBJECT_UEVENT);
	if (fd < 0 || bind(fd, (struct sockaddr *)&nl, sizeof(nl))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	view_fds[0] = fd;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/self/mountinfo", vm_cfg.root->proc);
	view_fds[1] = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/swaps", vm_cfg.root->proc);
	view_fds[2] = open(path, O_RDONLY | O_CLOEXEC);
	for (int i = 0; i < 3; i++) {
		struct epoll_event ev = { .events = i ? EPOLLPRI : EPOLLIN, .data.ptr = &tag_view };
		if (view_fds[i] < 0 || epoll_ctl(sv->ep, EPOLL_CTL_ADD, view_fds[i], &ev))
			return; /* half watched is not watched */
	}
	vm_view_watched = true;
}

static void view_changed(void)
{
	char buf[8192];
	while (recv(view_fds[0], buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	vm_blkdevs_changed();
}

static void unwatch_view(void)
{
	vm_view_watched = false;
	for (int i = 0; i < 3; i++)
		if (view_fds[i] >= 0) {
			close(view_fds[i]);
			view_fds[i] = -1;
		}
}

/* Close connections idle past the limit (subscribers wait on purpose). */
static void reap_idle(struct server *sv, uint64_t now)
{
	uint64_t limit = (uint64_t)sv->o->idle_s * 1000000000ull;
	for (struct conn *c = sv->conns, *next; c; c = next) {
		next = c->next;
		if (c->s.subscribed || now - c->last_ns < limit)
			continue;
		char msg[96];
		snprintf(msg, sizeof(msg), "Invalid Request: idle for %u s; closing",
			 sv->o->idle_s);
		reply_error(c, VM_E_REQUEST, msg);
		c->closing = true;
		flush_out(c);
		drop(sv, c); /* idle: it gets no more time to read it */
	}
}

static void on_conn(struct server *sv, struct conn *c, unsigned ev)
{
	int rc = 0;
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))
		rc = on_readable(sv, c);
	if (rc == 0 && c->inlen && !c->closing)
		work(sv, c); /* lines held back while the output was full */
	if (rc == 0)
		rc = flush_out(c);
	if (rc < 0 || ((ev & EPOLLERR) && !(ev & EPOLLIN))) {
		drop(sv, c);
		return;
	}
	watch(sv, c);
}

/* ---- setup ----------------------------------------------------------- */

static int mkdir_parent(const char *path, struct bb_error *e)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(dir, 0755) && errno != EEXIST)
			return bb_error_errno(e, "mkdir %s", dir);
		*p = '/';
	}
	if (mkdir(dir, 0755) && errno != EEXIST)
		return bb_error_errno(e, "mkdir %s", dir);
	return 0;
}

/* A socket file left by a daemon that died is replaced; one that answers
 * belongs to a running daemon and is left alone. */
static int clear_stale(const struct sockaddr_un *sa, struct bb_error *e)
{
	struct stat st;
	if (lstat(sa->sun_path, &st))
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return bb_error_set(e, EEXIST, "%s: exists and is not a socket", sa->sun_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return bb_error_errno(e, "socket");
	int rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (rc == 0)
		return bb_error_set(e, EADDRINUSE, "%s: a daemon is already listening there",
				    sa->sun_path);
	if (unlink(sa->sun_path))
		return bb_error_errno(e, "remove stale %s", sa->sun_path);
	return 0;
}

static int listen_unix(const struct vm_server_opts *o, struct bb_error *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(o->socket) >= sizeof(sa.sun_path))
		return bb_error_set(e, ENAMETOOLONG, "%s: socket path too long", o->socket);
	strcpy(sa.sun_path, o->socket);
	if (mkdir_parent(o->socket, e) || clear_stale(&sa, e))
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return bb_error_errno(e, "socket");
	/* Born with no access beyond the final mode: no window in which
	 * anyone else could connect. */
	mode_t old = umask(0177);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc) {
		bb_error_errno(e, "bind %s", o->socket);
		close(fd);
		return -1;
	}
	if ((o->gid != (gid_t)-1 && chown(o->socket, (uid_t)-1, o->gid)) ||
	    chmod(o->socket, o->mode) || listen(fd, 512)) {
		bb_error_errno(e, "%s", o->socket);
		unlink(o->socket);
		close(fd);
		return -1;
	}
	return fd;
}

static int add_fd(struct server *sv, int fd, void *tag, struct bb_error *e)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };
	if (epoll_ctl(sv->ep, EPOLL_CTL_ADD, fd, &ev))
		return bb_error_errno(e, "epoll_ctl");
	return 0;
}

/* A thousand clients need a thousand descriptors: take the hard limit. */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int setup(struct server *sv, struct bb_error *e)
{
	const struct vm_server_opts *o = sv->o;
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	pthread_sigmask(SIG_BLOCK, &ss, NULL); /* job threads inherit the block */
	sv->sigfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	sv->ep = epoll_create1(EPOLL_CLOEXEC);
	if (sv->sigfd < 0 || sv->ep < 0)
		return bb_error_errno(e, "epoll/signalfd");
	if (pipe2(pub_pipe, O_NONBLOCK | O_CLOEXEC))
		return bb_error_errno(e, "pipe");
	if ((sv->lfd = listen_unix(o, e)) < 0)
		return -1;
	if (o->tls_listen) {
		if (!vm_tls_setup)
			return bb_error_set(e, ENOTSUP, "--listen-tls: built without TLS");
		if (vm_tls_setup(&sv->tls, o->cert, o->key, o->client_ca, e) ||
		    (sv->tlsfd = vm_tls_listen(o->tls_listen, e)) < 0)
			return -1;
		if (add_fd(sv, sv->tlsfd, &tag_tls, e))
			return -1;
	}
	if (add_fd(sv, sv->lfd, &tag_listen, e) || add_fd(sv, sv->sigfd, &tag_sig, e) ||
	    add_fd(sv, pub_pipe[0], &tag_pub, e))
		return -1;
	watch_view(sv);
	return 0;
}

static int start_modules(struct bb_error *e)
{
	for (const struct vm_module *const *m = vm_modules(); *m; m++)
		if ((*m)->start && (*m)->start(e))
			return bb_error_prefix(e, "%s: ", (*m)->name);
	return 0;
}

static void stop_modules(void)
{
	for (const struct vm_module *const *m = vm_modules(); *m; m++)
		if ((*m)->stop)
			(*m)->stop();
}

static void loop(struct server *sv)
{
	struct epoll_event evs[64];
	uint64_t reaped = clock_ns();
	while (!sv->stop) {
		int n = epoll_wait(sv->ep, evs, 64, 1000);
		/* Device changes first: a client that changed a disk and then
		 * asks must not get the view from before. */
		for (int i = 0; i < n; i++)
			if (evs[i].data.ptr == &tag_view)
				view_changed();
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			if (p == &tag_view)
				continue;
			if (p == &tag_listen)
				on_accept(sv, sv->lfd, false);
			else if (p == &tag_tls)
				on_accept(sv, sv->tlsfd, true);
			else if (p == &tag_sig)
				sv->stop = true;
			else if (p == &tag_pub)
				deliver_events(sv);
			else
				on_conn(sv, p, evs[i].events);
		}
		uint64_t now = clock_ns();
		if (now - reaped >= 200000000ull) { /* a walk of all connections, 5 a second */
			reap_idle(sv, now);
			reaped = now;
		}
	}
}

int vm_server_run(const struct vm_server_opts *o, struct bb_error *e)
{
	struct server sv = { .o = o, .ep = -1, .lfd = -1, .tlsfd = -1, .sigfd = -1 };
	int rc = -1;
	if (setup(&sv, e) || start_modules(e))
		goto out;
	if (o->ready_fd >= 0 && write(o->ready_fd, "ready\n", 6) != 6) {
		/* the waiting side finds out by itself */
	}
	loop(&sv);
	rc = 0;
	stop_modules();
out:
	while (sv.conns)
		drop(&sv, sv.conns);
	if (sv.lfd >= 0) {
		close(sv.lfd);
		unlink(o->socket);
	}
	if (sv.tlsfd >= 0)
		close(sv.tlsfd);
	if (sv.tls)
		vm_tls_free(sv.tls);
	unwatch_view();
	if (sv.ep >= 0)
		close(sv.ep);
	return rc;
}
