/*
 * http_guard.c: one client cannot starve the others.
 *
 *   per address  at most http.per_address_limit open connections from one
 *                client (an IPv4 address; an IPv6 /64, what one host is
 *                given). One more is shut down as soon as it is accepted.
 *   deadline     a request must arrive whole, headers and body, within
 *                http.request_timeout of the connection's opening (or of the
 *                previous response on a kept-alive connection). Bytes that
 *                trickle in do not extend it, unlike connection_timeout
 *                (libmicrohttpd's idle timeout, restarted by every byte). A
 *                reaper thread shuts such connections down.
 *
 * libmicrohttpd reports each connection (MHD_OPTION_NOTIFY_CONNECTION):
 * STARTED before its first byte is read, CLOSED before its socket is
 * closed. Both take the guard's lock, and so does the reaper around its
 * shutdown(), so it never touches a socket number that was closed and
 * reused. The request handler marks a connection busy once its request is
 * complete (no deadline while it is committed and answered) and idle again
 * when the response is done (http_guard_busy, http_guard_idle).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <search.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "clock.h"
#include "http_int.h"
#include "log.h"
#include "xalloc.h"

#define GUARD_TICK_MS 250

/* Connections counted against one client address (key: family + address or /64). */
struct guard_addr {
	unsigned char key[17];
	int count;
};

struct guard_conn {
	struct http_guard *g;
	struct guard_conn *prev, *next;
	MHD_socket fd;
	struct guard_addr *addr;   /* NULL: not counted (refused, or not IP) */
	char peer[INET6_ADDRSTRLEN];
	int64_t deadline_ms;       /* monotonic; 0: none (the request is being answered) */
	bool cut;                  /* shut down by the guard */
};

struct http_guard {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t reaper;
	bool started, stop;
	int per_address;           /* 0: no cap */
	int64_t timeout_ms;        /* 0: no deadline */
	struct guard_conn *head;
	void *addrs;               /* tsearch tree of struct guard_addr */
};

/* What a client causes at will is logged at most 10 times a minute. */
static struct log_limit cut_log = LOG_LIMIT_INIT(10, 60);
static struct log_limit cap_log = LOG_LIMIT_INIT(10, 60);

static int
addr_cmp(const void *a, const void *b)
{
	return memcmp(((const struct guard_addr *)a)->key, ((const struct guard_addr *)b)->key,
	              sizeof(((const struct guard_addr *)a)->key));
}

/* The counting key and the text of sa; false when it is not an IP address. */
static bool
addr_key(const struct sockaddr *sa, struct guard_addr *k, char *text, size_t textlen)
{
	memset(k, 0, sizeof(*k));
	snprintf(text, textlen, "?");
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		k->key[0] = 4;
		memcpy(k->key + 1, &in->sin_addr, 4);
		inet_ntop(AF_INET, &in->sin_addr, text, (socklen_t)textlen);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, text, (socklen_t)textlen);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) { /* an IPv4 client on a dual socket */
			k->key[0] = 4;
			memcpy(k->key + 1, in6->sin6_addr.s6_addr + 12, 4);
		} else {
			k->key[0] = 6;
			memcpy(k->key + 1, in6->sin6_addr.s6_addr, 8); /* the /64 */
		}
		return true;
	}
	return false;
}

/* Count c against its address; false (not counted) when the address is at its cap. */
static bool
addr_take(struct http_guard *g, struct guard_conn *c, const struct guard_addr *k)
{
	struct guard_addr *a = xnew(struct guard_addr), **found;

	*a = *k;
	found = tsearch(a, &g->addrs, addr_cmp);
	if (*found != a)
		free(a);
	a = *found;
	if (g->per_address > 0 && a->count >= g->per_address)
		return false; /* a->count > 0: the node stays for the connections it counts */
	a->count++;
	c->addr = a;
	return true;
}

static void
addr_drop(struct http_guard *g, struct guard_conn *c)
{
	struct guard_addr *a = c->addr;

	if (a == NULL)
		return;
	c->addr = NULL;
	if (--a->count == 0) {
		tdelete(a, &g->addrs, addr_cmp);
		free(a);
	}
}

/* Shut c's socket down (libmicrohttpd then reads EOF and closes it). Locked. */
static void
conn_cut(struct guard_conn *c)
{
	c->cut = true;
	c->deadline_ms = 0;
	(void)shutdown(c->fd, SHUT_RDWR);
}

static void
conn_started(struct http_guard *g, struct MHD_Connection *conn, void **ctx)
{
	const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn,
	                                                             MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *ca =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct guard_conn *c = xnew(struct guard_conn);
	struct guard_addr k;
	char note[LOG_LIMIT_NOTE];
	bool ip;

	c->g = g;
	c->fd = fd ? fd->connect_fd : MHD_INVALID_SOCKET;
	ip = addr_key(ca ? ca->client_addr : NULL, &k, c->peer, sizeof(c->peer));
	pthread_mutex_lock(&g->lock);
	c->next = g->head;
	if (g->head)
		g->head->prev = c;
	g->head = c;
	if (g->timeout_ms > 0)
		c->deadline_ms = clock_mono_ms() + g->timeout_ms;
	if (ip && !addr_take(g, c, &k)) {
		conn_cut(c);
		if (log_limit_pass(&cap_log, time(NULL), note))
			log_warn("http: refused a connection from %s: it has %d open already "
			         "(http.per_address_limit)%s", c->peer, g->per_address, note);
	}
	pthread_mutex_unlock(&g->lock);
	*ctx = c;
}

static void
conn_closed(struct http_guard *g, void **ctx)
{
	struct guard_conn *c = *ctx;

	if (c == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	addr_drop(g, c);
	pthread_mutex_unlock(&g->lock);
	free(c);
	*ctx = NULL;
}

void
http_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		conn_started(srv->guard, conn, socket_context);
	else
		conn_closed(srv->guard, socket_context);
}

static struct guard_conn *
conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *i =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return i ? i->socket_context : NULL;
}

void
http_guard_busy(struct MHD_Connection *conn)
{
	struct guard_conn *c = conn_of(conn);

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->g->lock);
	c->deadline_ms = 0;
	pthread_mutex_unlock(&c->g->lock);
}

void
http_guard_idle(struct MHD_Connection *conn)
{
	struct guard_conn *c = conn_of(conn);

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->g->lock);
	if (!c->cut && c->g->timeout_ms > 0)
		c->deadline_ms = clock_mono_ms() + c->g->timeout_ms;
	pthread_mutex_unlock(&c->g->lock);
}

const char *
http_guard_peer(struct MHD_Connection *conn)
{
	struct guard_conn *c = conn_of(conn);

	return c ? c->peer : "?"; /* set before the connection's first request; never changes */
}

/* Cut every connection past its deadline. Locked. */
static void
reap(struct http_guard *g, int64_t now)
{
	char note[LOG_LIMIT_NOTE];

	for (struct guard_conn *c = g->head; c; c = c->next) {
		if (c->cut || c->deadline_ms == 0 || now < c->deadline_ms)
			continue;
		conn_cut(c);
		if (log_limit_pass(&cut_log, time(NULL), note))
			log_warn("http: closed the connection from %s: no complete request within %lld ms "
			         "(http.request_timeout)%s", c->peer, (long long)g->timeout_ms, note);
	}
}

static void *
reaper_main(void *arg)
{
	struct http_guard *g = arg;
	int64_t tick = g->timeout_ms / 4 < GUARD_TICK_MS ? g->timeout_ms / 4 : GUARD_TICK_MS;

	if (tick < 10)
		tick = 10;
	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		struct timespec until;

		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += (long)(tick % 1000) * 1000000L;
		until.tv_sec += (time_t)(tick / 1000) + until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&g->cond, &g->lock, &until);
		reap(g, clock_mono_ms());
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int
http_guard_start(struct http_server *srv, struct tk_err *err)
{
	struct http_guard *g = xnew(struct http_guard);
	pthread_condattr_t ca;
	int rc;

	srv->guard = g;
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cond, &ca);
	pthread_condattr_destroy(&ca);
	g->per_address = srv->hc->per_address_limit;
	g->timeout_ms = srv->hc->request_timeout_ms;
	if (g->timeout_ms == 0)
		return 0;
	rc = pthread_create(&g->reaper, NULL, reaper_main, g);
	if (rc != 0)
		return tk_err_set(err, "http: cannot start the request deadline thread: %s",
		                  strerror(rc));
	g->started = true;
	return 0;
}

void
http_guard_stop(struct http_server *srv)
{
	struct http_guard *g = srv->guard;

	if (g == NULL || !g->started)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = true;
	pthread_cond_signal(&g->cond);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->reaper, NULL);
	g->started = false;
}

void
http_guard_free(struct http_server *srv)
{
	struct http_guard *g = srv->guard;

	if (g == NULL)
		return;
	http_guard_stop(srv);
	srv->guard = NULL;
	/* every connection was closed (and reported) by MHD_stop_daemon: nothing is left */
	tdestroy(g->addrs, free);
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	pthread_mutex_destroy(&cut_log.lock);
	pthread_mutex_destroy(&cap_log.lock);
	free(g);
}
