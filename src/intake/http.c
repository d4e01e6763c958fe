/*
 * http.c: the webhook and health server on libmicrohttpd.
 *
 * MHD runs its own polling thread(s) with a thread pool (http.threads) and
 * keep-alive. For a POST the handler is called with the headers (route,
 * method, Content-Type and Content-Length are checked there, so a body that
 * is too big gets 413 before it is read), then with the body in pieces (kept
 * in a buffer capped at http.body_limit), then once more at the end: then
 * the request is authenticated, parsed and validated, and handed to the
 * group committer (http_commit.c) with the connection suspended. The
 * committer resumes it with the answer, and the last call sends it.
 * Nothing is stored for a request that is refused; a refused credential is
 * logged (rate-limited). Connections are watched by http_guard.c (at most
 * per_address_limit per client address, a whole request within
 * request_timeout).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "http.h"
#include "http_int.h"
#include "log.h"
#include "rules.h"
#include "store.h"
#include "store_inbound.h"
#include "xalloc.h"

enum route { ROUTE_NONE, ROUTE_HOOK, ROUTE_HEALTHZ, ROUTE_READYZ, ROUTE_METRICS, ROUTE_SLACK,
             ROUTE_CSAT };

#define CSAT_PATH "/v1/csat/"
#define CSAT_BODY_LIMIT 16384
#define HTML_TYPE "text/html; charset=utf-8"

void
http_req_answer(struct http_req *r, int status, enum metrics_outcome o, char *reply,
                int retry_after)
{
	free(r->reply);
	r->status = status;
	r->outcome = o;
	r->reply = reply;
	r->retry_after = retry_after;
}

/* "field: why" -> the field; the whole text when there is no ": ". */
static char *
why_field(const char *why)
{
	const char *c = strstr(why, ": ");

	return c ? xstrndup(why, (size_t)(c - why)) : xstrdup("body");
}

char *
http_error_body(const struct http_req *r, int status, const char *why)
{
	char *field = why_field(why), *s;
	json_t *j;

	if (r->pd && status == 400)
		j = json_pack("{s:s,s:s,s:[s]}", "status", "invalid event", "message",
		              "Event object is invalid", "errors", why);
	else if (r->pd && status == 415)
		j = json_pack("{s:s,s:s,s:[s]}", "status", "Unrecognized object", "message",
		              "Event object format is unrecognized", "errors", why);
	else
		j = json_pack("{s:s,s:s,s:s}", "status", "error", "message", why, "field", field);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	free(field);
	return s;
}

static void
answer_error(struct http_req *r, int status, enum metrics_outcome o, const char *why)
{
	http_req_answer(r, status, o, http_error_body(r, status, why), 0);
}

static enum MHD_Result
req_send(struct http_req *r, const char *content_type)
{
	struct MHD_Response *resp;
	const char *body = r->reply ? r->reply : "";
	enum MHD_Result ret;
	char ra[16];

	resp = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        content_type ? content_type : "application/json");
	if (r->retry_after > 0) {
		snprintf(ra, sizeof(ra), "%d", r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	if (r->www_auth)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, r->www_auth);
	if (r->status == 405)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->ops ? "POST" : "GET, HEAD");
	if (r->close)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	http_guard_busy(r->conn);
	ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	if (r->ops)
		metrics_intake(&r->srv->metrics, r->src ? r->src->name : r->name, r->outcome);
	r->state = REQ_ANSWERED;
	r->sent = true;
	return ret;
}

static enum MHD_Result
req_fail(struct http_req *r, int status, enum metrics_outcome o, const char *why)
{
	answer_error(r, status, o, why);
	return req_send(r, NULL);
}

/* ---- GET endpoints ---- */

static bool
aux_ready(struct http_server *srv, struct tk_err *err)
{
	PGresult *res = NULL;

	if (srv->aux == NULL && store_open(config_dsn(srv->cfg), &srv->aux, err) < 0)
		return false;
	if (store_check(srv->aux, err) < 0 || store_exec(srv->aux, &res, err, "SELECT 1", 0) < 0)
		return false;
	PQclear(res);
	return true;
}

static enum MHD_Result
get_readyz(struct http_req *r)
{
	struct http_server *srv = r->srv;
	struct tk_err err = { 0 };
	bool db;
	json_t *j;

	pthread_mutex_lock(&srv->aux_lock);
	db = aux_ready(srv, &err);
	pthread_mutex_unlock(&srv->aux_lock);
	j = json_pack("{s:s,s:s,s:s}", "status", db && srv->rules_ok ? "ready" : "not ready",
	              "database", db ? "ok" : "unreachable", "rules", srv->rules_ok ? "ok" : "failed");
	http_req_answer(r, db && srv->rules_ok ? 200 : 503, MO_ACCEPTED, json_dumps(j, JSON_COMPACT),
	                db ? 0 : 5);
	json_decref(j);
	return req_send(r, NULL);
}

static enum MHD_Result
get_metrics(struct http_req *r)
{
	struct http_server *srv = r->srv;
	struct buf out;
	struct tk_err err = { 0 };

	buf_init(&out, 0);
	pthread_mutex_lock(&srv->aux_lock);
	if (srv->aux == NULL && store_open(config_dsn(srv->cfg), &srv->aux, &err) < 0)
		log_debug("http: metrics: %s", err.msg);
	metrics_render(&srv->metrics, srv->aux, &out);
	pthread_mutex_unlock(&srv->aux_lock);
	http_req_answer(r, 200, MO_ACCEPTED, buf_steal(&out, NULL), 0);
	buf_fini(&out);
	return req_send(r, "text/plain; version=0.0.4; charset=utf-8");
}

static enum MHD_Result
get_endpoint(struct http_req *r, enum route route, const char *method)
{
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return req_fail(r, 405, MO_BAD_REQUEST, "method: use GET");
	if (route == ROUTE_READYZ)
		return get_readyz(r);
	if (route == ROUTE_METRICS)
		return get_metrics(r);
	http_req_answer(r, 200, MO_ACCEPTED, xstrdup("{\"status\":\"ok\"}"), 0);
	return req_send(r, NULL);
}

/* ---- POST endpoints ---- */

static enum route
route_of(struct http_req *r, const char *url)
{
	static const struct { const char *path; enum route route; const struct hook_ops *ops; } t[] = {
		{ "/v1/alertmanager", ROUTE_HOOK, &hook_alertmanager_ops },
		{ "/v1/grafana", ROUTE_HOOK, &hook_grafana_ops },
		{ "/v2/enqueue", ROUTE_HOOK, &hook_pagerduty_ops },
		{ "/v2/change/enqueue", ROUTE_HOOK, &hook_pagerduty_change_ops },
		{ "/healthz", ROUTE_HEALTHZ, NULL },
		{ "/readyz", ROUTE_READYZ, NULL },
		{ "/metrics", ROUTE_METRICS, NULL },
		{ "/v1/slack/actions", ROUTE_SLACK, NULL },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(url, t[i].path) == 0) {
			r->ops = t[i].ops;
			r->pd = t[i].ops && t[i].ops->kind == HOOK_PAGERDUTY;
			return t[i].route;
		}
	}
	if (strncmp(url, CSAT_PATH, strlen(CSAT_PATH)) == 0 && strchr(url + strlen(CSAT_PATH), '/') == NULL) {
		r->name = xstrndup(url + strlen(CSAT_PATH), 200);   /* the link's token (http_csat.c) */
		return ROUTE_CSAT;
	}
	if (strncmp(url, "/v1/hooks/", 10) == 0 && url[10] != '\0' && strchr(url + 10, '/') == NULL) {
		r->ops = &hook_generic_ops;
		r->name = xstrdup(url + 10);
		return ROUTE_HOOK;
	}
	return ROUTE_NONE;
}

static bool
json_content_type(const char *ct)
{
	size_t n = strlen("application/json");

	return ct != NULL && strncasecmp(ct, "application/json", n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

struct framing {
	const char *length;      /* the first Content-Length */
	bool conflict;           /* another one with a different value */
	bool chunked;            /* Transfer-Encoding present */
};

static enum MHD_Result
framing_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct framing *f = cls;

	(void)kind;
	value = value ? value : "";
	if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		f->chunked = true;
	else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) != 0)
		return MHD_YES;
	else if (f->length == NULL)
		f->length = value;
	else if (strcmp(f->length, value) != 0)
		f->conflict = true;
	return MHD_YES;
}

/*
 * Where the body ends must be unambiguous (RFC 9112 6.3): several
 * Content-Length headers that differ, or one beside Transfer-Encoding, are
 * how requests are smuggled past a proxy that reads them the other way.
 * NULL when the framing is sound, else why (MHD itself refuses a single
 * malformed value, "5, 6" included).
 */
static const char *
framing_problem(struct MHD_Connection *conn)
{
	struct framing f = { 0 };

	MHD_get_connection_values(conn, MHD_HEADER_KIND, framing_header, &f);
	if (f.conflict)
		return "Content-Length: several headers with different values";
	if (f.chunked && f.length)
		return "Transfer-Encoding: not allowed together with Content-Length";
	return NULL;
}

/* Slack's interactivity requests: a form body, served by http_slack.c. */
static enum MHD_Result
slack_begin(struct http_req *r, const char *method)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	                                             MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	                                             MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (strcmp(method, "POST") != 0)
		return req_fail(r, 405, MO_BAD_REQUEST, "method: use POST");
	if (ct == NULL || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
		return req_fail(r, 415, MO_UNSUPPORTED,
		                "Content-Type: must be application/x-www-form-urlencoded");
	if (cl != NULL && strtoll(cl, NULL, 10) > r->srv->hc->body_limit)
		return req_fail(r, 413, MO_TOO_LARGE, "body: larger than the limit");
	r->slack = true;
	buf_init(&r->body, (size_t)r->srv->hc->body_limit);
	return MHD_YES;
}

/* The rating link (http_csat.c): GET answers now; POST reads its small form body first. */
static enum MHD_Result
csat_begin(struct http_req *r, const char *method)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	                                             MHD_HTTP_HEADER_CONTENT_TYPE);

	r->csat = true;
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
		http_csat_serve(r, false);
		return req_send(r, HTML_TYPE);
	}
	if (strcmp(method, "POST") != 0)
		return req_fail(r, 405, MO_BAD_REQUEST, "method: use GET or POST");
	if (ct == NULL || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
		return req_fail(r, 415, MO_UNSUPPORTED,
		                "Content-Type: must be application/x-www-form-urlencoded");
	buf_init(&r->body, CSAT_BODY_LIMIT);
	return MHD_YES;
}

/* The first call: headers only. */
static enum MHD_Result
req_begin(struct http_req *r, const char *url, const char *method)
{
	const struct http_config *hc = r->srv->hc;
	enum route route = route_of(r, url);
	const char *ct, *cl, *bad;

	if ((bad = framing_problem(r->conn)) != NULL) {
		r->close = true; /* the rest of the stream cannot be trusted */
		return req_fail(r, 400, MO_BAD_REQUEST, bad);
	}
	if (route == ROUTE_NONE || (route == ROUTE_SLACK && r->srv->slack_secret == NULL))
		return req_fail(r, 404, MO_NOT_FOUND, "path: no such endpoint");
	if (route == ROUTE_SLACK)
		return slack_begin(r, method);
	if (route == ROUTE_CSAT)
		return csat_begin(r, method);
	if (route != ROUTE_HOOK)
		return get_endpoint(r, route, method);
	if (r->name && (r->src = http_config_source(hc, r->name)) != NULL &&
	    r->src->kind != HOOK_GENERIC)
		r->src = NULL;
	if (r->name && r->src == NULL)
		return req_fail(r, 404, MO_NOT_FOUND, "path: no generic hook of that name");
	if (strcmp(method, "POST") != 0)
		return req_fail(r, 405, MO_BAD_REQUEST, "method: use POST");
	ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!json_content_type(ct))
		return req_fail(r, 415, MO_UNSUPPORTED, "Content-Type: must be application/json");
	cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL && strtoll(cl, NULL, 10) > hc->body_limit)
		return req_fail(r, 413, MO_TOO_LARGE, "body: larger than the limit");
	buf_init(&r->body, (size_t)hc->body_limit);
	return MHD_YES;
}

static void
req_body(struct http_req *r, const char *data, size_t len)
{
	if (r->too_large)
		return;
	if (buf_append(&r->body, data, len) < 0) {
		r->too_large = true;
		buf_fini(&r->body);
	}
}

/* The auth of one source against this request. */
static enum hook_auth
auth_one(struct http_req *r, const struct http_source *src)
{
	const char *authz = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	                                                MHD_HTTP_HEADER_AUTHORIZATION);
	const char *sig = src->sig_header ?
	                  MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, src->sig_header) : NULL;
	const char *ts = src->ts_header && *src->ts_header ?
	                 MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, src->ts_header) : NULL;

	return hook_auth_check(src, authz, sig, ts, r->body.data ? r->body.data : "", r->body.len,
	                       time(NULL));
}

/*
 * Pick the source (Alertmanager and Grafana: ?source=NAME, or the one source
 * of that kind, or the first whose credentials match) and authenticate.
 */
static enum hook_auth
req_authenticate(struct http_req *r)
{
	const struct http_config *hc = r->srv->hc;
	const char *want = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "source");
	enum hook_auth worst = HOOK_AUTH_MISSING, a;

	if (r->src != NULL)
		return auth_one(r, r->src);
	for (size_t i = 0; i < hc->n_sources; i++) {
		const struct http_source *s = &hc->sources[i];

		if (s->kind != r->ops->kind || (want && strcmp(want, s->name) != 0))
			continue;
		if ((a = auth_one(r, s)) == HOOK_AUTH_OK) {
			r->src = s;
			return a;
		}
		if (a != HOOK_AUTH_MISSING)
			worst = a;
		if (r->name == NULL)
			r->name = xstrdup(s->name); /* counted under the first candidate */
	}
	return worst;
}

/* Whether any configured source can take this endpoint (and ?source=). */
static bool
has_candidate(struct http_req *r)
{
	const char *want = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "source");

	for (size_t i = 0; i < r->srv->hc->n_sources; i++) {
		const struct http_source *s = &r->srv->hc->sources[i];

		if (s->kind == r->ops->kind && (want == NULL || strcmp(want, s->name) == 0))
			return true;
	}
	return false;
}

/*
 * Say in the log who was refused and why (rate-limited: a client causes it
 * at will). The credentials presented are never logged, nor the secret.
 */
static void
log_refused(const struct http_req *r, const char *why)
{
	static struct log_limit limit = LOG_LIMIT_INIT(10, 60);
	const char *src = r->src ? r->src->name : r->name;
	char note[LOG_LIMIT_NOTE], clip[256];

	if (log_limit_pass(&limit, time(NULL), note))
		log_warn("http: request refused from=%s endpoint=%s source=%s: %s%s",
		         http_guard_peer(r->conn), r->ops->name,
		         src ? log_clip(clip, sizeof(clip), src) : "-", why, note);
}

static enum MHD_Result
auth_failed(struct http_req *r, enum hook_auth a)
{
	log_refused(r, a == HOOK_AUTH_BAD ? "wrong token or signature" :
	            a == HOOK_AUTH_STALE ? "HMAC timestamp missing or outside the tolerance" :
	            "no credentials");
	r->www_auth = "Bearer";
	if (a == HOOK_AUTH_BAD)
		return req_fail(r, 403, MO_FORBIDDEN, "credentials: wrong token or signature");
	if (a == HOOK_AUTH_STALE)
		return req_fail(r, 401, MO_UNAUTHORIZED, "timestamp: missing or outside the tolerance");
	return req_fail(r, 401, MO_UNAUTHORIZED, "credentials: missing");
}

/* Meta for the inbound row and the 202 body. */
static void
req_prepare(struct http_req *r, const struct hook_info *info)
{
	const char *ua = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	                                             MHD_HTTP_HEADER_USER_AGENT);
	json_t *meta = json_pack("{s:s}", "endpoint", r->ops->name), *ok;

	if (ua)
		json_object_set_new(meta, "user_agent", json_stringn(ua, strnlen(ua, 200)));
	if (r->ops == &hook_pagerduty_change_ops) {
		ok = json_pack("{s:s,s:s}", "status", "success", "message", "Change event processed");
	} else if (r->pd) {
		json_object_set_new(meta, "dedup_key", json_string(info->dedup_key));
		ok = json_pack("{s:s,s:s,s:s}", "status", "success", "message", "Event processed",
		               "dedup_key", info->dedup_key);
	} else {
		ok = json_pack("{s:s,s:s,s:i}", "status", "success", "message", "accepted", "alerts",
		               info->n_alerts);
	}
	r->meta = json_dumps(meta, JSON_COMPACT);
	r->ok_reply = json_dumps(ok, JSON_COMPACT);
	json_decref(meta);
	json_decref(ok);
	store_sha256_hex(r->body.data, r->body.len, r->sha);
}

/* The last call: the whole body is in. */
static enum MHD_Result
req_complete(struct http_req *r)
{
	struct hook_info info = { { 0 } };
	char why[HOOK_WHY_MAX];
	json_error_t jerr;
	json_t *doc = NULL;
	enum hook_auth a;

	if (r->too_large)
		return req_fail(r, 413, MO_TOO_LARGE, "body: larger than the limit");
	if (r->slack) {
		http_slack_serve(r);
		return req_send(r, NULL);
	}
	if (r->csat) {
		http_csat_serve(r, true);
		return req_send(r, HTML_TYPE);
	}
	if (!r->pd && r->src == NULL && !has_candidate(r))
		return req_fail(r, 404, MO_NOT_FOUND, "source: no source of this type (or of the "
		                "?source= name) is configured");
	if (!r->pd && (a = req_authenticate(r)) != HOOK_AUTH_OK)
		return auth_failed(r, a);
	doc = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, &jerr);
	if (doc == NULL) {
		snprintf(why, sizeof(why), "body: invalid JSON at line %d column %d: %s", jerr.line,
		         jerr.column, jerr.text);
		return req_fail(r, 400, MO_BAD_REQUEST, why);
	}
	if (r->ops->validate(doc, r->src, &info, why, sizeof(why)) < 0) {
		json_decref(doc);
		return req_fail(r, 400, MO_BAD_REQUEST, why);
	}
	json_decref(doc);
	if (r->pd) {
		r->src = http_config_routing_key(r->srv->hc, info.routing_key);
		if (r->src == NULL) {
			log_refused(r, "unknown routing_key");
			return req_fail(r, 400, MO_FORBIDDEN, "routing_key: not a configured integration key");
		}
		if ((a = auth_one(r, r->src)) != HOOK_AUTH_OK)
			return auth_failed(r, a);
	}
	req_prepare(r, &info);
	r->state = REQ_QUEUED;
	http_guard_busy(r->conn);
	MHD_suspend_connection(r->conn);
	http_commit_submit(r->srv, r);
	return MHD_YES;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
        const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct http_req *r = *con_cls;

	(void)version;
	if (r == NULL) {
		r = xnew(struct http_req);
		r->srv = cls;
		r->conn = conn;
		*con_cls = r;
		return req_begin(r, url, method);
	}
	if (r->sent) { /* answered early; the rest of the body is dropped */
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->state == REQ_ANSWERED)
		return req_send(r, NULL);
	if (*upload_size > 0) {
		req_body(r, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->state == REQ_QUEUED)
		return MHD_YES; /* not expected: resumed before answered */
	return req_complete(r);
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode t)
{
	struct http_req *r = *con_cls;

	(void)cls;
	(void)t;
	http_guard_idle(conn);
	if (r == NULL)
		return;
	buf_fini(&r->body);
	free(r->name);
	free(r->meta);
	free(r->reply);
	free(r->ok_reply);
	free(r);
	*con_cls = NULL;
}

/* libmicrohttpd's messages; clients cause most of them, so they are rate-limited. */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	static struct log_limit limit = LOG_LIMIT_INIT(20, 60);
	char msg[512], note[LOG_LIMIT_NOTE];

	(void)cls;
	if (!log_limit_pass(&limit, time(NULL), note))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_warn("http: %s%s", msg, note);
}

/* ---- start and stop ---- */

/* Serve listening socket i with libmicrohttpd, which owns it from now on. */
static int
start_one(struct http_server *srv, size_t i, struct tk_err *err)
{
	const struct http_config *hc = srv->hc;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
	                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	bool tls = hc->tls_cert != NULL;
	struct MHD_Daemon *d;
	int fd = http_listen_open(srv, i, err);

	if (fd < 0)
		return -1;
	srv->listen_fd[i] = -1; /* libmicrohttpd's, even if it fails to start */
	if (srv->listen_v6[i])
		flags |= MHD_USE_IPv6;
	if (tls)
		flags |= MHD_USE_TLS;
	d = MHD_start_daemon(flags, 0, NULL, NULL, handler, srv,
	                     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
	                     MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	                     MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)hc->threads,
	                     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)hc->connection_limit,
	                     MHD_OPTION_CONNECTION_TIMEOUT,
	                     (unsigned int)(hc->connection_timeout_ms / 1000),
	                     MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
	                     MHD_OPTION_NOTIFY_CONNECTION, http_guard_notify, srv,
	                     tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
	                     srv->tls_cert.data, MHD_OPTION_HTTPS_MEM_KEY, srv->tls_key.data,
	                     MHD_OPTION_END);
	if (d == NULL)
		return tk_err_set(err, "http: cannot serve %s (bad TLS files?)", hc->listen[i]);
	srv->mhd[srv->n_mhd++] = d;
	return 0;
}

/* Register the webhook sources in the sources table (tickets.source_id). */
static void
sync_sources(struct http_server *srv)
{
	static const char *const kinds[] = { "alertmanager", "grafana", "pagerduty", "webhook" };
	struct tk_err err = { 0 };

	pthread_mutex_lock(&srv->aux_lock);
	for (size_t i = 0; i < srv->hc->n_sources && aux_ready(srv, &err); i++) {
		const struct http_source *s = &srv->hc->sources[i];

		if (store_exec(srv->aux, NULL, &err, "INSERT INTO sources (name, kind) VALUES ($1, $2) "
		               "ON CONFLICT (name) DO UPDATE SET kind = $2", 2, s->name,
		               kinds[s->kind]) < 0)
			break;
	}
	pthread_mutex_unlock(&srv->aux_lock);
	if (err.msg[0])
		log_warn("http: cannot register the webhook sources: %s", err.msg);
}

static bool
rules_check(const struct config *cfg)
{
	struct tk_errlist errs;
	struct rules *rules = NULL;
	bool ok = true;

	if (cfg->rules_dir == NULL)
		return true;
	tk_errlist_init(&errs);
	if (rules_load_dir(cfg->rules_dir, NULL, &rules, &errs) < 0) {
		for (size_t i = 0; i < errs.n; i++)
			log_err("http: readyz: rules: %s", errs.items[i]);
		ok = false;
	}
	rules_unref(&rules);
	tk_errlist_fini(&errs);
	return ok;
}

static int
load_tls(struct http_server *srv, const struct http_config *hc, struct tk_err *err)
{
	if (buf_read_file(&srv->tls_cert, hc->tls_cert) < 0)
		return tk_err_set(err, "http: cannot read tls.cert %s", hc->tls_cert);
	if (buf_read_file(&srv->tls_key, hc->tls_key) < 0)
		return tk_err_set(err, "http: cannot read tls.key %s", hc->tls_key);
	return 0;
}

int
http_listen(struct daemon *d, struct http_server **srv_r, struct tk_err *err)
{
	struct http_server *srv = xnew(struct http_server);

	*srv_r = srv;
	srv->daemon = d;
	srv->cfg = daemon_config(d);
	srv->hc = srv->cfg->http;
	pthread_mutex_init(&srv->qlock, NULL);
	pthread_cond_init(&srv->qcond, NULL);
	pthread_mutex_init(&srv->aux_lock, NULL);
	buf_init(&srv->tls_cert, 1024 * 1024);
	buf_init(&srv->tls_key, 1024 * 1024);
	if (srv->hc->tls_cert != NULL && load_tls(srv, srv->hc, err) < 0)
		return -1;
	if (http_slack_init(srv, err) < 0) /* its signing secret */
		return -1;
	return http_listen_bind(srv, err);
}

int
http_start(struct http_server *srv, struct tk_err *err)
{
	metrics_init(&srv->metrics, srv->hc);
	srv->daemon->metrics = &srv->metrics;
	srv->started = true;
	srv->rules_ok = rules_check(srv->cfg);
	sync_sources(srv);
	if (http_commit_start(srv, err) < 0 || http_guard_start(srv, err) < 0)
		return -1;
	for (size_t i = 0; i < srv->n_listen; i++)
		if (start_one(srv, i, err) < 0)
			return -1;
	return 0;
}

void
http_stop(struct http_server **srvp)
{
	struct http_server *srv = *srvp;

	if (srv == NULL)
		return;
	*srvp = NULL;
	for (size_t i = 0; i < srv->n_mhd; i++) { /* stop accepting; the socket is ours now */
		MHD_socket s = MHD_quiesce_daemon(srv->mhd[i]);

		if (s != MHD_INVALID_SOCKET)
			close(s);
	}
	http_commit_stop(srv); /* answers and resumes every queued request */
	http_guard_stop(srv);
	for (size_t i = 0; i < srv->n_mhd; i++)
		MHD_stop_daemon(srv->mhd[i]);
	http_guard_free(srv); /* after the daemons: they report every connection closed */
	http_listen_close(srv); /* the sockets never handed to them */
	store_close(&srv->aux);
	http_slack_fini(srv);
	buf_fini(&srv->tls_cert);
	buf_fini(&srv->tls_key);
	if (srv->started) {
		srv->daemon->metrics = NULL;
		metrics_fini(&srv->metrics);
	}
	pthread_mutex_destroy(&srv->qlock);
	pthread_cond_destroy(&srv->qcond);
	pthread_mutex_destroy(&srv->aux_lock);
	config_unref(&srv->cfg);
	free(srv);
}
