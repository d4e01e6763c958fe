/*
 * imap_tls.c: TLS for the IMAP client with OpenSSL, as a libetpan stream
 * driver (struct mailstream_low_driver).
 *
 * Why not libetpan's own TLS: Debian builds libetpan against GnuTLS and
 * its stream never verifies the server certificate (it runs the handshake
 * with empty credentials and no verify call; the only hook gives the leaf
 * certificate, without the chain). So ticketd runs the handshake itself:
 * SSL_VERIFY_PEER against the system trust store, the host name (or IP
 * address) checked with SSL_set1_host / X509_VERIFY_PARAM_set1_ip_asc,
 * SNI sent, TLS 1.2 at least. Then libetpan's IMAP parser reads and writes
 * through the small driver below. Every wait is a poll() with the
 * session's timeout, so a silent server cannot hang the thread.
 *
 * Also here: a deadline wrapper around any stream (plain or TLS), so a
 * server that drips a message a byte at a time cannot hold a fetch for
 * longer than message_timeout (a per-read timeout alone would not stop it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "imap_int.h"
#include "xalloc.h"

struct imap_deadline {
	mailstream_low *inner;
	int64_t deadline_ms;            /* CLOCK_MONOTONIC ms; 0 for none */
	bool dead;                      /* the deadline passed: every call fails */
};

struct imap_tls {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	int timeout_ms;
};

/* Wait for fd to be readable (want_read) or writable: 1 ready, -1 timeout/error. */
static int
tls_wait(const struct imap_tls *t, bool want_read)
{
	struct pollfd p = { .fd = t->fd, .events = want_read ? POLLIN : POLLOUT };
	int r;

	do {
		r = poll(&p, 1, t->timeout_ms);
	} while (r < 0 && errno == EINTR);
	return r > 0 ? 1 : -1;
}

/* After an SSL_* call returned r: 1 retry, -1 fail. */
static int
tls_retry(const struct imap_tls *t, int r)
{
	switch (SSL_get_error(t->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return tls_wait(t, true);
	case SSL_ERROR_WANT_WRITE:
		return tls_wait(t, false);
	default:
		return -1;
	}
}

static ssize_t
tls_read(mailstream_low *s, void *buf, size_t count)
{
	struct imap_tls *t = s->data;

	for (;;) {
		int r = SSL_read(t->ssl, buf, count > INT32_MAX ? INT32_MAX : (int)count);

		if (r > 0)
			return r;
		if (SSL_get_error(t->ssl, r) == SSL_ERROR_ZERO_RETURN)
			return 0;
		if (tls_retry(t, r) < 0)
			return -1;
	}
}

static ssize_t
tls_write(mailstream_low *s, const void *buf, size_t count)
{
	struct imap_tls *t = s->data;

	for (;;) {
		int r = SSL_write(t->ssl, buf, count > INT32_MAX ? INT32_MAX : (int)count);

		if (r > 0)
			return r;
		if (tls_retry(t, r) < 0)
			return -1;
	}
}

static int
tls_close(mailstream_low *s)
{
	struct imap_tls *t = s->data;

	if (t->ssl != NULL)
		(void)SSL_shutdown(t->ssl); /* one try: a close_notify, no waiting */
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	return 0;
}

static int
tls_get_fd(mailstream_low *s)
{
	struct imap_tls *t = s->data;

	return t->fd;
}

static void
tls_data_free(struct imap_tls *t)
{
	if (t == NULL)
		return;
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	free(t);
}

static void
tls_free(mailstream_low *s)
{
	tls_data_free(s->data);
	s->data = NULL;
	free(s);
}

static void
tls_cancel(mailstream_low *s)
{
	(void)s;
}

static struct mailstream_cancel *
tls_get_cancel(mailstream_low *s)
{
	(void)s;
	return NULL;
}

static mailstream_low_driver tls_driver = {
	.mailstream_read = tls_read,
	.mailstream_write = tls_write,
	.mailstream_close = tls_close,
	.mailstream_get_fd = tls_get_fd,
	.mailstream_free = tls_free,
	.mailstream_cancel = tls_cancel,
	.mailstream_get_cancel = tls_get_cancel,
};

/* The first OpenSSL error (or the verify result) as text into err. */
static void
tls_error(struct imap_tls *t, const char *host, struct tk_err *err)
{
	long vr = t->ssl ? SSL_get_verify_result(t->ssl) : X509_V_OK;
	unsigned long e = ERR_get_error();
	char buf[256] = "handshake failed";

	if (vr != X509_V_OK) {
		tk_err_temp(err, "TLS: certificate of %s not trusted: %s (set tls_verify: false only "
		            "for a server you trust by other means)", host,
		            X509_verify_cert_error_string(vr));
		return;
	}
	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	tk_err_temp(err, "TLS with %s: %s", host, buf);
}

static int
tls_setup(struct imap_tls *t, const char *host, bool verify)
{
	unsigned char addr[16];
	bool is_ip = inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;

	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1)
		return -1;
	if (verify) {
		if (SSL_CTX_set_default_verify_paths(t->ctx) != 1)
			return -1;
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
	}
	if ((t->ssl = SSL_new(t->ctx)) == NULL || SSL_set_fd(t->ssl, t->fd) != 1)
		return -1;
	if (!is_ip && SSL_set_tlsext_host_name(t->ssl, host) != 1)
		return -1;
	if (verify) {
		X509_VERIFY_PARAM *param = SSL_get0_param(t->ssl);

		if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1
		          : SSL_set1_host(t->ssl, host) != 1)
			return -1;
	}
	return 0;
}

mailstream_low *
imap_tls_open(int fd, const char *host, bool verify, int timeout_s, struct tk_err *err)
{
	struct imap_tls *t = xnew(struct imap_tls);
	mailstream_low *low;
	int r, flags;

	t->fd = fd;
	t->timeout_ms = timeout_s > 0 ? timeout_s * 1000 : 30000;
	ERR_clear_error();
	if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    tls_setup(t, host, verify) < 0) {
		tls_error(t, host, err);
		goto fail;
	}
	while ((r = SSL_connect(t->ssl)) != 1) {
		if (tls_retry(t, r) < 0) {
			tls_error(t, host, err);
			goto fail;
		}
	}
	if ((low = mailstream_low_new(t, &tls_driver)) == NULL) {
		tk_err_set(err, "TLS with %s: cannot create the stream", host);
		goto fail;
	}
	return low;
fail:
	tls_data_free(t); /* fd stays with the caller */
	return NULL;
}

/* The deadline wrapper: every call goes to the inner driver, reads and writes only before the deadline. */
static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Once the deadline passed the connection is dead for good (it is mid-response). */
static bool
dl_expired(struct imap_deadline *w)
{
	if (!w->dead && w->deadline_ms != 0 && mono_ms() > w->deadline_ms) {
		w->dead = true;
		(void)shutdown(mailstream_low_get_fd(w->inner), SHUT_RDWR);
	}
	return w->dead;
}

static ssize_t
dl_read(mailstream_low *s, void *buf, size_t count)
{
	struct imap_deadline *w = s->data;

	if (dl_expired(w))
		return -1;
	return w->inner->driver->mailstream_read(w->inner, buf, count);
}

static ssize_t
dl_write(mailstream_low *s, const void *buf, size_t count)
{
	struct imap_deadline *w = s->data;

	if (dl_expired(w))
		return -1;
	return w->inner->driver->mailstream_write(w->inner, buf, count);
}

static int
dl_close(mailstream_low *s)
{
	struct imap_deadline *w = s->data;

	return mailstream_low_close(w->inner);
}

static int
dl_get_fd(mailstream_low *s)
{
	struct imap_deadline *w = s->data;

	return mailstream_low_get_fd(w->inner);
}

static void
dl_free(mailstream_low *s)
{
	struct imap_deadline *w = s->data;

	mailstream_low_free(w->inner);
	free(w);
	s->data = NULL;
	free(s);
}

static void
dl_cancel(mailstream_low *s)
{
	struct imap_deadline *w = s->data;

	mailstream_low_cancel(w->inner);
}

static struct mailstream_cancel *
dl_get_cancel(mailstream_low *s)
{
	struct imap_deadline *w = s->data;

	return w->inner->driver->mailstream_get_cancel ? w->inner->driver->mailstream_get_cancel(w->inner)
	                                               : NULL;
}

static mailstream_low_driver deadline_driver = {
	.mailstream_read = dl_read,
	.mailstream_write = dl_write,
	.mailstream_close = dl_close,
	.mailstream_get_fd = dl_get_fd,
	.mailstream_free = dl_free,
	.mailstream_cancel = dl_cancel,
	.mailstream_get_cancel = dl_get_cancel,
};

int
imap_deadline_wrap(mailstream *s)
{
	struct imap_deadline *w = xnew(struct imap_deadline);
	mailstream_low *low;

	w->inner = mailstream_get_low(s);
	if ((low = mailstream_low_new(w, &deadline_driver)) == NULL) {
		free(w);
		return -1;
	}
	mailstream_low_set_timeout(low, w->inner->timeout);
	mailstream_set_low(s, low);
	return 0;
}

void
imap_deadline_set(mailstream *s, int64_t deadline_ms)
{
	mailstream_low *low = s ? mailstream_get_low(s) : NULL;

	if (low != NULL && low->driver == &deadline_driver)
		((struct imap_deadline *)low->data)->deadline_ms = deadline_ms;
}

bool
imap_tls_pending(mailstream_low *low)
{
	struct imap_tls *t;

	if (low != NULL && low->driver == &deadline_driver)
		low = ((struct imap_deadline *)low->data)->inner;
	if (low == NULL || low->driver != &tls_driver)
		return false;
	t = low->data;
	return t->ssl != NULL && SSL_pending(t->ssl) > 0;
}
