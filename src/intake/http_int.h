/*
 * http_int.h: shared by http.c (requests), http_commit.c (the group
 * committer), http_guard.c (slow and greedy clients) and http_listen.c (the
 * sockets). Not for other subsystems.
 *
 * A request's life: READING (body streams into a capped buffer) ->
 * validated and authenticated in the request thread -> QUEUED (the
 * connection is suspended, the request sits on the commit queue) ->
 * ANSWERED (the committer set status and reply, then resumed the
 * connection) -> the response is sent and the request freed when MHD
 * reports the connection's request complete.
 */
#ifndef TK_HTTP_INT_H
#define TK_HTTP_INT_H

#include <pthread.h>
#include <stdbool.h>

#include <microhttpd.h>

#include "buf.h"
#include "hook.h"
#include "metrics.h"

#define HTTP_MAX_LISTEN 8
#define HTTP_MAX_COMMITTERS 16

struct config;
struct daemon;
struct http_guard;
struct store;

enum req_state { REQ_READING, REQ_QUEUED, REQ_ANSWERED };

struct http_req {
	struct http_server *srv;
	struct MHD_Connection *conn;
	const struct hook_ops *ops;
	const struct http_source *src;
	char *name;              /* generic hook name from the path, or ?source= */
	enum req_state state;
	struct buf body;
	bool too_large;
	bool sent;               /* a response was queued */
	bool pd;                 /* answer in PagerDuty's shapes */
	bool slack;              /* POST /v1/slack/actions (http_slack.c) */
	bool csat;               /* /v1/csat/TOKEN, a rating link (http_csat.c); the token in name */
	bool close;              /* close the connection after the answer */
	/* what to stage (set before QUEUED) */
	char *meta;
	char sha[65];
	char *ok_reply;          /* the 202 body, built before queueing */
	/* the answer (set before ANSWERED) */
	int status;
	char *reply;             /* JSON text, owned */
	int retry_after;         /* seconds; 0: no header */
	const char *www_auth;    /* WWW-Authenticate value or NULL */
	enum metrics_outcome outcome;
	struct http_req *next;   /* commit queue link */
};

struct http_server {
	struct daemon *daemon;
	struct config *cfg;      /* reference held while the server runs */
	const struct http_config *hc;
	int listen_fd[HTTP_MAX_LISTEN]; /* bound (http_listen.c); -1 once libmicrohttpd's */
	bool listen_v6[HTTP_MAX_LISTEN];
	size_t n_listen;
	struct MHD_Daemon *mhd[HTTP_MAX_LISTEN];
	size_t n_mhd;
	bool started;            /* http_start ran: metrics and threads to stop */
	struct metrics metrics;
	/* commit queue: guarded by qlock */
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct http_req *qhead, *qtail;
	bool qstop;
	pthread_t committers[HTTP_MAX_COMMITTERS];
	int n_committers;
	/* readyz, metrics and source sync: one connection, one user at a time */
	pthread_mutex_t aux_lock;
	struct store *aux;
	bool rules_ok;           /* set at start, read-only after */
	struct http_guard *guard; /* per-address cap and request deadline (http_guard.c) */
	struct buf tls_cert, tls_key; /* PEM, kept while the daemons run */
	char *slack_secret;      /* the Slack app's signing secret, or NULL: no /v1/slack/actions */
};

/* Queue r (state QUEUED, connection suspended by the caller). */
void http_commit_submit(struct http_server *srv, struct http_req *r);
/* Start srv->hc->committers threads. */
int http_commit_start(struct http_server *srv, struct tk_err *err);
/* Answer everything still queued with 503 and join the threads. */
void http_commit_stop(struct http_server *srv);

/*
 * The sockets (http_listen.c): bind every configured address, not listening
 * yet (-1 with err); listen on socket i and log its address and port (the
 * socket, or -1 with err); close those not handed to libmicrohttpd.
 */
int http_listen_bind(struct http_server *srv, struct tk_err *err);
int http_listen_open(struct http_server *srv, size_t i, struct tk_err *err);
void http_listen_close(struct http_server *srv);

/*
 * The guard (http_guard.c): start it (before the MHD daemons: it gets their
 * connection notifications), stop its thread, free it (after the daemons).
 */
int http_guard_start(struct http_server *srv, struct tk_err *err);
void http_guard_stop(struct http_server *srv);
void http_guard_free(struct http_server *srv);
/* MHD_OPTION_NOTIFY_CONNECTION callback; cls is the server. */
void http_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                       enum MHD_ConnectionNotificationCode code);
/* conn's request is complete (or answered): no deadline until the response is done. */
void http_guard_busy(struct MHD_Connection *conn);
/* conn's response is done: the deadline of its next request starts now. */
void http_guard_idle(struct MHD_Connection *conn);
/* The client's address as text, for logs ("?" when unknown). Borrowed for the connection's life. */
const char *http_guard_peer(struct MHD_Connection *conn);

/* Set r's answer: status, outcome, reply (taken over), Retry-After seconds. */
void http_req_answer(struct http_req *r, int status, enum metrics_outcome o, char *reply,
                     int retry_after);
/* A JSON error body: {"status":"error","message":why,"field":...} or PagerDuty's. */
char *http_error_body(const struct http_req *r, int status, const char *why);

/* http_csat.c: answer GET (the confirmation page) or POST (record) of /v1/csat/TOKEN. */
void http_csat_serve(struct http_req *r, bool post);

/* http_slack.c: read the signing secret at start (none configured: nothing). */
int http_slack_init(struct http_server *srv, struct tk_err *err);
void http_slack_fini(struct http_server *srv);
/* Answer POST /v1/slack/actions, its whole body in r->body (sets r's answer). */
void http_slack_serve(struct http_req *r);

#endif
