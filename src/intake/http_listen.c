/*
 * http_listen.c: the webhook server's sockets, in two steps.
 *
 *   bind    at start, before ticketd drops its privileges (priv.c): a port
 *           under 1024 needs root. A bound socket that does not listen yet
 *           refuses connections, as before the server existed.
 *   listen  once the database is up and the server starts (http_start):
 *           the socket is handed to libmicrohttpd, and the address is
 *           logged with the port it got, so `listen: HOST:0` takes any free
 *           port and says which ("http: listening on 127.0.0.1:PORT").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_int.h"
#include "log.h"

static int
parse_listen(const char *spec, struct sockaddr_storage *ss, bool *v6_r, struct tk_err *err)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
	                          .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	const char *colon = strrchr(spec, ':');
	char host[128];
	size_t hl;
	int rc;

	if (colon == NULL)
		return tk_err_set(err, "http: listen \"%s\" is not ADDRESS:PORT", spec);
	hl = (size_t)(colon - spec);
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return tk_err_set(err, "http: listen address too long");
	memcpy(host, spec, hl);
	host[hl] = '\0';
	rc = getaddrinfo(hl && strcmp(host, "*") != 0 ? host : NULL, colon + 1, &hints, &ai);
	if (rc != 0)
		return tk_err_set(err, "http: listen \"%s\": %s", spec, gai_strerror(rc));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*v6_r = ai->ai_family == AF_INET6;
	freeaddrinfo(ai);
	return 0;
}

/* A socket bound to spec (not listening), or -1 with err. */
static int
bind_one(const char *spec, bool *v6_r, struct tk_err *err)
{
	struct sockaddr_storage ss;
	int fd, on = 1;

	if (parse_listen(spec, &ss, v6_r, err) < 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return tk_err_set(err, "http: cannot listen on %s: %s", spec, strerror(errno));
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (*v6_r)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, *v6_r ? sizeof(struct sockaddr_in6) :
	         sizeof(struct sockaddr_in)) < 0) {
		tk_err_set(err, "http: cannot listen on %s: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
http_listen_bind(struct http_server *srv, struct tk_err *err)
{
	const struct http_config *hc = srv->hc;

	if (hc->n_listen > HTTP_MAX_LISTEN)
		return tk_err_set(err, "http: at most %d listen addresses", HTTP_MAX_LISTEN);
	for (size_t i = 0; i < hc->n_listen; i++) {
		int fd = bind_one(hc->listen[i], &srv->listen_v6[i], err);

		if (fd < 0)
			return -1;
		srv->listen_fd[srv->n_listen++] = fd;
	}
	return 0;
}

int
http_listen_open(struct http_server *srv, size_t i, struct tk_err *err)
{
	const char *spec = srv->hc->listen[i];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = srv->listen_fd[i];

	if (listen(fd, SOMAXCONN) < 0 || getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return tk_err_set(err, "http: cannot listen on %s: %s", spec, strerror(errno));
	log_info("http: listening on %.*s:%u%s", (int)(strrchr(spec, ':') - spec), spec,
	         ntohs(srv->listen_v6[i] ? ((struct sockaddr_in6 *)&ss)->sin6_port :
	               ((struct sockaddr_in *)&ss)->sin_port),
	         srv->hc->tls_cert ? " (TLS)" : "");
	return fd;
}

void
http_listen_close(struct http_server *srv)
{
	for (size_t i = 0; i < srv->n_listen; i++)
		if (srv->listen_fd[i] >= 0)
			close(srv->listen_fd[i]);
	srv->n_listen = 0;
}
