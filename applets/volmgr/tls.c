/* tls.c - JSON-RPC over TLS for a remote rescue operator (mbedtls).
 *
 * The daemon asks every client for a certificate and accepts only one
 * that chains to --ca; the policy then maps its subject CN to a role.
 * Connections are non-blocking: the event loop drives the handshake
 * through vm_tls_read/vm_tls_write like any other reads and writes.
 */
#include "client.h"
#include "server.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

struct vm_tls {
	mbedtls_ssl_config conf;
	mbedtls_x509_crt cert, ca;
	mbedtls_pk_context key;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
};

struct vm_tls_conn {
	mbedtls_ssl_context ssl;
	int fd;
	bool done; /* handshake finished */
};

static int tls_fail(struct bb_error *e, int rc, const char *what)
{
	char buf[160];
	mbedtls_strerror(rc, buf, sizeof(buf));
	return bb_error_set(e, EPROTO, "%s: %s", what, buf);
}

static int send_cb(void *ctx, const unsigned char *buf, size_t n)
{
	ssize_t w = send(*(int *)ctx, buf, n, MSG_NOSIGNAL);
	if (w >= 0)
		return (int)w;
	return errno == EAGAIN || errno == EINTR ? MBEDTLS_ERR_SSL_WANT_WRITE
						 : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int recv_cb(void *ctx, unsigned char *buf, size_t n)
{
	ssize_t r = recv(*(int *)ctx, buf, n, 0);
	if (r >= 0)
		return (int)r;
	return errno == EAGAIN || errno == EINTR ? MBEDTLS_ERR_SSL_WANT_READ
						 : MBEDTLS_ERR_NET_RECV_FAILED;
}

/* Certificates, key, CA and a seeded generator, for either side. */
static int load(struct vm_tls *t, int endpoint, const char *cert, const char *key,
		const char *ca, struct bb_error *e)
{
	static const char pers[] = "blockbox volmgr";
	int rc;
	mbedtls_ssl_config_init(&t->conf);
	mbedtls_x509_crt_init(&t->cert);
	mbedtls_x509_crt_init(&t->ca);
	mbedtls_pk_init(&t->key);
	mbedtls_entropy_init(&t->entropy);
	mbedtls_ctr_drbg_init(&t->drbg);
	if ((rc = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
					(const unsigned char *)pers, sizeof(pers))))
		return tls_fail(e, rc, "random generator");
	if (ca && (rc = mbedtls_x509_crt_parse_file(&t->ca, ca)))
		return tls_fail(e, rc, ca);
	if (cert && (rc = mbedtls_x509_crt_parse_file(&t->cert, cert)))
		return tls_fail(e, rc, cert);
	if (key && (rc = mbedtls_pk_parse_keyfile(&t->key, key, NULL)))
		return tls_fail(e, rc, key);
	if ((rc = mbedtls_ssl_config_defaults(&t->conf, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
					      MBEDTLS_SSL_PRESET_DEFAULT)))
		return tls_fail(e, rc, "TLS configuration");
	mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3); /* TLS 1.2 at least */
	mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
	mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
	if (cert && key && (rc = mbedtls_ssl_conf_own_cert(&t->conf, &t->cert, &t->key)))
		return tls_fail(e, rc, "certificate and key");
	return 0;
}

static void unload(struct vm_tls *t)
{
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_x509_crt_free(&t->cert);
	mbedtls_x509_crt_free(&t->ca);
	mbedtls_pk_free(&t->key);
	mbedtls_ctr_drbg_free(&t->drbg);
	mbedtls_entropy_free(&t->entropy);
}

int vm_tls_setup(struct vm_tls **tp, const char *cert, const char *key, const char *ca,
		 struct bb_error *e)
{
	struct vm_tls *t = calloc(1, sizeof(*t));
	if (!t)
		return bb_error_set(e, ENOMEM, "out of memory");
	if (load(t, MBEDTLS_SSL_IS_SERVER, cert, key, ca, e)) {
		unload(t);
		free(t);
		return -1;
	}
	*tp = t;
	return 0;
}

void vm_tls_free(struct vm_tls *t)
{
	unload(t);
	free(t);
}

/* "ADDR:PORT", "[V6]:PORT" or ":PORT" (every address). */
static struct addrinfo *resolve(const char *hostport, bool passive, struct bb_error *e)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	if (!colon || !colon[1] || (size_t)(colon - hostport) >= sizeof(host)) {
		bb_error_set(e, EINVAL, "'%s': expected ADDR:PORT", hostport);
		return NULL;
	}
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = 0;
	char *h = host;
	size_t hl = strlen(h);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h[hl - 1] = 0;
		h++;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = passive ? AI_PASSIVE | AI_NUMERICHOST : 0 };
	struct addrinfo *ai;
	int rc = getaddrinfo(*h ? h : NULL, colon + 1, &hints, &ai);
	if (rc) {
		bb_error_set(e, EINVAL, "'%s': %s", hostport, gai_strerror(rc));
		return NULL;
	}
	return ai;
}

int vm_tls_listen(const char *addr, struct bb_error *e)
{
	struct addrinfo *ai = resolve(addr, true, e);
	if (!ai)
		return -1;
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 128)) {
		bb_error_errno(e, "--listen-tls %s", addr);
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

struct vm_tls_conn *vm_tls_accept(struct vm_tls *t, int fd)
{
	struct vm_tls_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fd = fd;
	mbedtls_ssl_init(&c->ssl);
	if (mbedtls_ssl_setup(&c->ssl, &t->conf)) {
		mbedtls_ssl_free(&c->ssl);
		free(c);
		return NULL;
	}
	mbedtls_ssl_set_bio(&c->ssl, &c->fd, send_cb, recv_cb, NULL);
	return c;
}

/* mbedtls's answer as read/write's: -1 with EAGAIN (and which way it
 * waits), EACCES for a refused handshake, EPROTO otherwise. */
static ssize_t as_errno(int rc, bool *want_write)
{
	if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
		*want_write = rc == MBEDTLS_ERR_SSL_WANT_WRITE;
		errno = EAGAIN;
	} else {
		errno = rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED ||
				rc == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE ||
				rc == MBEDTLS_ERR_SSL_PEER_VERIFY_FAILED
			? EACCES : EPROTO;
	}
	return -1;
}

static int handshake(struct vm_tls_conn *c, bool *want_write)
{
	if (c->done)
		return 0;
	int rc = mbedtls_ssl_handshake(&c->ssl);
	if (rc)
		return (int)as_errno(rc, want_write);
	c->done = true;
	*want_write = false;
	return 0;
}

ssize_t vm_tls_read(struct vm_tls_conn *c, void *buf, size_t n, bool *want_write)
{
	if (handshake(c, want_write))
		return -1;
	int rc = mbedtls_ssl_read(&c->ssl, buf, n);
	if (rc >= 0)
		return rc;
	if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
		return 0;
	return as_errno(rc, want_write);
}

ssize_t vm_tls_write(struct vm_tls_conn *c, const void *buf, size_t n, bool *want_write)
{
	if (handshake(c, want_write))
		return -1;
	if (!n)
		return 0;
	int rc = mbedtls_ssl_write(&c->ssl, buf, n);
	return rc >= 0 ? rc : as_errno(rc, want_write);
}

bool vm_tls_peer(struct vm_tls_conn *c, char *cn, size_t len)
{
	const mbedtls_x509_crt *crt = c->done ? mbedtls_ssl_get_peer_cert(&c->ssl) : NULL;
	for (const mbedtls_x509_name *n = crt ? &crt->subject : NULL; n; n = n->next)
		if (n->oid.p && !MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid)) {
			snprintf(cn, len, "%.*s", (int)n->val.len, (const char *)n->val.p);
			return true;
		}
	return false;
}

void vm_tls_close(struct vm_tls_conn *c)
{
	if (c->done)
		mbedtls_ssl_close_notify(&c->ssl);
	mbedtls_ssl_free(&c->ssl);
	free(c);
}

/* ---- the CLI's side: --connect HOST:PORT ------------------------------ */

struct client_tls {
	struct vm_tls t;
	struct vm_tls_conn c;
};

static ssize_t cl_read(void *io, char *buf, size_t n)
{
	struct client_tls *ct = io;
	for (;;) {
		int rc = mbedtls_ssl_read(&ct->c.ssl, (unsigned char *)buf, n);
		if (rc >= 0)
			return rc;
		if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
			return 0;
		if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) {
			errno = EPROTO;
			return -1;
		}
	}
}

static ssize_t cl_write(void *io, const char *buf, size_t n)
{
	struct client_tls *ct = io;
	for (;;) {
		int rc = mbedtls_ssl_write(&ct->c.ssl, (const unsigned char *)buf, n);
		if (rc >= 0)
			return rc;
		if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) {
			errno = EPROTO;
			return -1;
		}
	}
}

static void cl_close(void *io)
{
	struct client_tls *ct = io;
	mbedtls_ssl_close_notify(&ct->c.ssl);
	mbedtls_ssl_free(&ct->c.ssl);
	unload(&ct->t);
	free(ct);
}

static int tcp_connect(const char *hostport, struct bb_error *e)
{
	struct addrinfo *ai = resolve(hostport, false, e), *p;
	if (!ai)
		return -1;
	int fd = -1;
	for (p = ai; p && fd < 0; p = p->ai_next) {
		fd = socket(p->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, p->ai_addr, p->ai_addrlen)) {
			bb_error_errno(e, "connect to %s", hostport);
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	return fd;
}

/* The daemon must chain to ca; its name is not checked against the
 * address (an operator reaches a rescue node by whatever IP it has), so
 * ca should be a CA made for these daemons. */
int vm_client_tls(struct vm_client *cl, const char *hostport, const char *cert,
		  const char *key, const char *ca, struct bb_error *e)
{
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
	if (!cert || !key || !ca)
		return bb_error_set(e, EINVAL, "--connect needs --cert, --key and --ca");
	struct client_tls *ct = calloc(1, sizeof(*ct));
	if (!ct)
		return bb_error_set(e, ENOMEM, "out of memory");
	int rc = -1;
	mbedtls_ssl_init(&ct->c.ssl);
	if (load(&ct->t, MBEDTLS_SSL_IS_CLIENT, cert, key, ca, e))
		goto fail;
	if ((ct->c.fd = tcp_connect(hostport, e)) < 0)
		goto fail;
	if ((rc = mbedtls_ssl_setup(&ct->c.ssl, &ct->t.conf))) {
		tls_fail(e, rc, "TLS setup");
		goto fail;
	}
	mbedtls_ssl_set_bio(&ct->c.ssl, &ct->c.fd, send_cb, recv_cb, NULL);
	while ((rc = mbedtls_ssl_handshake(&ct->c.ssl)))
		if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) {
			tls_fail(e, rc, hostport);
			goto fail;
		}
	ct->c.done = true;
	cl->fd = ct->c.fd;
	cl->io = ct;
	cl->read = cl_read;
	cl->write = cl_write;
	cl->close = cl_close;
	return 0;
fail:
	if (ct->c.fd > 0)
		close(ct->c.fd);
	mbedtls_ssl_free(&ct->c.ssl);
	unload(&ct->t);
	free(ct);
	return -1;
}
