/*
 * http.h: the webhook and health server (libmicrohttpd). Started by main.c
 * when the configuration has an `http:` section; serves
 *
 *   POST /v1/alertmanager, /v1/grafana, /v2/enqueue and /v2/change/enqueue
 *        (PagerDuty Events v2: alert and change events),
 *        /v1/hooks/NAME (generic JSON)
 *   GET  /healthz, /readyz, /metrics
 *
 * A POST is answered 202 only after its body is committed to the inbound
 * stage (group commit: see http_commit.c); 503 with Retry-After when the
 * database cannot take it. See doc/webhooks.md.
 */
#ifndef TK_HTTP_H
#define TK_HTTP_H

#include "err.h"

struct daemon;
struct http_server;

/*
 * Bind every configured address and read the TLS files: what needs root,
 * before the daemon drops to its user (a bound socket refuses connections
 * until http_start). The server keeps the daemon's current config (its http
 * section is not reloadable). -1 with err when an address cannot be bound
 * or a TLS file read; *srv_r is set either way (http_stop frees it).
 */
int http_listen(struct daemon *d, struct http_server **srv_r, struct tk_err *err);
/*
 * Serve: connect to the database (readyz, sources), start the committer and
 * guard threads, listen and log each address with its port (port 0: the
 * one the kernel picked). Sets d->metrics. -1 with err.
 */
int http_start(struct http_server *srv, struct tk_err *err);
/* Stop accepting, answer what is queued, join every thread; NULLs *srv. */
void http_stop(struct http_server **srv);

#endif
