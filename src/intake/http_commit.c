/*
 * http_commit.c: group commit for the webhook server.
 *
 * Request threads validate and authenticate a POST, then hand it here and
 * suspend the connection. A committer thread (http.committers of them, each
 * with its own PGconn) takes everything waiting (up to http.commit_batch),
 * and in ONE transaction: takes the rate-limit tokens of each limited
 * source (ticketd_rate_take, shared by every daemon on the database),
 * inserts every admitted body into the inbound stage with one multi-row
 * INSERT, and commits. A batch without rate-limited sources is the INSERT
 * alone, in autocommit: one statement is atomic, one round trip. Only then is each request answered (202, or 429 for
 * those over the limit) and its connection resumed; when the transaction
 * fails they all get 503 with Retry-After, and nothing of them is stored.
 * While one committer waits on PostgreSQL the queue fills for the next, so
 * the batch grows with the load and the commit cost is shared. A committer
 * whose connection died (PostgreSQL restarted) tries the batch once more
 * on a new connection before it answers 503.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "daemon.h"
#include "http_int.h"
#include "log.h"
#include "store.h"
#include "xalloc.h"

#define COMMIT_RETRY_AFTER 5     /* seconds a sender waits after a 503 */
#define COMMIT_COLS 5

struct committer_ctx {
	struct http_server *srv;
	struct store *st;
	int index;
};

/* Take up to max requests off the queue; waits while it is empty. NULL when stopping. */
static struct http_req *
queue_take(struct http_server *srv, int max, int *n_r)
{
	struct http_req *head, *r;
	int n = 1;

	pthread_mutex_lock(&srv->qlock);
	while (srv->qhead == NULL && !srv->qstop)
		pthread_cond_wait(&srv->qcond, &srv->qlock);
	head = srv->qhead;
	if (head == NULL) {
		pthread_mutex_unlock(&srv->qlock);
		*n_r = 0;
		return NULL;
	}
	for (r = head; r->next != NULL && n < max; r = r->next)
		n++;
	srv->qhead = r->next;
	if (srv->qhead == NULL)
		srv->qtail = NULL;
	r->next = NULL;
	pthread_mutex_unlock(&srv->qlock);
	*n_r = n;
	return head;
}

void
http_commit_submit(struct http_server *srv, struct http_req *r)
{
	r->next = NULL;
	pthread_mutex_lock(&srv->qlock);
	if (srv->qstop) { /* stopping: nobody would commit it */
		pthread_mutex_unlock(&srv->qlock);
		http_req_answer(r, 503, MO_UNAVAILABLE,
		                http_error_body(r, 503, "server: shutting down"), COMMIT_RETRY_AFTER);
		r->state = REQ_ANSWERED;
		MHD_resume_connection(r->conn);
		return;
	}
	if (srv->qtail)
		srv->qtail->next = r;
	else
		srv->qhead = r;
	srv->qtail = r;
	pthread_cond_signal(&srv->qcond);
	pthread_mutex_unlock(&srv->qlock);
}

/* The 429 body in the request's shape. */
static char *
throttle_body(const struct http_req *r)
{
	json_t *j;
	char *s;

	if (r->pd)
		j = json_pack("{s:s,s:s,s:[s]}", "status", "throttle exceeded", "message",
		              "Requests for this service are arriving too quickly. Please retry later.",
		              "errors", "Too many requests");
	else
		j = json_pack("{s:s,s:s}", "status", "error", "message",
		              "rate limit exceeded for this source; retry later");
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

/* Rate limits: mark the requests over their source's limit with 429. */
static int
apply_limits(struct committer_ctx *cc, struct http_req **v, int n, bool *admit,
             struct tk_err *err)
{
	for (int i = 0; i < n; i++) {
		const struct http_source *src = v[i]->src;
		int64_t now = (int64_t)time(NULL), win_s, win;
		char s_win[24], s_n[16], s_lim[16];
		PGresult *res = NULL;
		int want = 0, granted;

		bool first = true;

		for (int p = 0; p < i; p++) /* each limited source once per batch */
			first = first && v[p]->src != src;
		if (src->rate_count == 0 || !first)
			continue;
		for (int k = i; k < n; k++) /* every request of this source in the batch */
			want += v[k]->src == src;
		win_s = src->rate_window_ms / 1000;
		win = now / win_s;
		snprintf(s_win, sizeof(s_win), "%" PRId64, win);
		snprintf(s_n, sizeof(s_n), "%d", want);
		snprintf(s_lim, sizeof(s_lim), "%d", src->rate_count);
		if (store_exec(cc->st, &res, err, "SELECT ticketd_rate_take($1, $2::bigint, $3::int, "
		               "$4::int)", 4, src->name, s_win, s_n, s_lim) < 0)
			return -1;
		granted = (int)store_int(res, 0, 0);
		PQclear(res);
		for (int k = i; k < n; k++) {
			if (v[k]->src != src)
				continue;
			if (granted > 0) {
				granted--;
			} else {
				admit[k] = false;
				http_req_answer(v[k], 429, MO_RATE_LIMITED, throttle_body(v[k]),
				                (int)((win + 1) * win_s - now));
			}
		}
	}
	return 0;
}

/* One multi-row INSERT of the admitted bodies (raw as binary parameters). */
static int
insert_batch(struct committer_ctx *cc, struct http_req **v, int n, const bool *admit,
             struct tk_err *err)
{
	struct buf sql;
	const char **values = xcalloc((size_t)n * COMMIT_COLS, sizeof(*values));
	int *lengths = xcalloc((size_t)n * COMMIT_COLS, sizeof(*lengths));
	int *formats = xcalloc((size_t)n * COMMIT_COLS, sizeof(*formats));
	int p = 0, rc = 0;

	buf_init(&sql, 0);
	(void)buf_puts(&sql, "INSERT INTO inbound (source, kind, raw, raw_sha256, meta) VALUES ");
	for (int i = 0; i < n; i++) {
		if (!admit[i])
			continue;
		(void)buf_printf(&sql, "%s($%d, 'alert', $%d, $%d, $%d::jsonb)", p ? "," : "",
		                 p + 1, p + 2, p + 3, p + 4);
		values[p] = v[i]->src->name;
		values[p + 1] = v[i]->body.data;
		lengths[p + 1] = (int)v[i]->body.len;
		formats[p + 1] = 1;
		values[p + 2] = v[i]->sha;
		values[p + 3] = v[i]->meta;
		p += 4;
	}
	if (p > 0)
		rc = store_execv(cc->st, NULL, err, sql.data, p, values, lengths, formats);
	buf_fini(&sql);
	free(values);
	free(lengths);
	free(formats);
	return rc;
}

static int
commit_batch(struct committer_ctx *cc, struct http_req **v, int n, bool *admit,
             struct tk_err *err)
{
	struct config *cfg = cc->srv->cfg;

	bool limited = false;

	for (int i = 0; i < n; i++)
		limited = limited || v[i]->src->rate_count > 0;
	if (cc->st == NULL && store_open(config_dsn(cfg), &cc->st, err) < 0)
		return -1;
	if (store_check(cc->st, err) < 0)
		return -1;
	if (!limited) /* one statement is atomic by itself: one round trip */
		return insert_batch(cc, v, n, admit, err);
	if (store_begin(cc->st, err) < 0)
		return -1;
	if (apply_limits(cc, v, n, admit, err) < 0 || insert_batch(cc, v, n, admit, err) < 0 ||
	    store_commit(cc->st, err) < 0) {
		store_rollback(cc->st);
		return -1;
	}
	return 0;
}

/*
 * The batch, tried once more on a fresh connection when the committer's
 * connection turns out dead: PostgreSQL restarted since it was last used
 * (a committer learns it only now, while /readyz, which connects anew, may
 * already say ready). Not when PostgreSQL refused the batch, nor when no
 * connection could be made: then the senders get their 503. When the
 * connection broke while the commit was on its way, the first attempt may
 * have been stored and the retry stores the requests again, as the
 * senders' own retries after a 503 would.
 */
static int
commit_retry(struct committer_ctx *cc, struct http_req **v, int n, bool *admit,
             struct tk_err *err)
{
	bool had = cc->st != NULL && PQstatus(store_conn(cc->st)) == CONNECTION_OK;

	if (commit_batch(cc, v, n, admit, err) == 0)
		return 0;
	if (!had || PQstatus(store_conn(cc->st)) == CONNECTION_OK)
		return -1;
	log_info("http: committer %d: the database connection was lost (%s); trying again on a "
	         "new one", cc->index, err->msg);
	for (int i = 0; i < n; i++)
		admit[i] = true;
	memset(err, 0, sizeof(*err));
	return commit_batch(cc, v, n, admit, err);
}

static void
run_batch(struct committer_ctx *cc, struct http_req *head, int n)
{
	struct http_req **v = xcalloc((size_t)n, sizeof(*v));
	bool *admit = xcalloc((size_t)n, sizeof(*admit));
	struct tk_err err = { 0 };
	int i = 0, ok, admitted = 0;

	for (struct http_req *r = head; r; r = r->next)
		v[i++] = r;
	for (i = 0; i < n; i++)
		admit[i] = true;
	ok = commit_retry(cc, v, n, admit, &err) == 0;
	if (!ok)
		log_warn("http: committer %d: %d requests not stored (answered 503): %s", cc->index, n,
		         err.msg);
	for (i = 0; i < n; i++) {
		struct http_req *r = v[i];

		if (!ok)
			http_req_answer(r, 503, MO_UNAVAILABLE,
			                http_error_body(r, 503, "database: cannot store the request now"),
			                COMMIT_RETRY_AFTER);
		else if (admit[i]) {
			http_req_answer(r, 202, MO_ACCEPTED, r->ok_reply, 0);
			r->ok_reply = NULL;
			admitted++;
		}
	}
	if (ok && admitted) {
		metrics_commit(&cc->srv->metrics, admitted);
		daemon_wake(cc->srv->daemon);
	}
	for (i = 0; i < n; i++) { /* the connection may be freed once resumed: touch nothing after */
		struct MHD_Connection *conn = v[i]->conn;

		v[i]->next = NULL;
		v[i]->state = REQ_ANSWERED;
		MHD_resume_connection(conn);
	}
	free(v);
	free(admit);
}

static void *
committer_main(void *arg)
{
	struct committer_ctx *cc = arg;
	int n;
	struct http_req *batch;

	while ((batch = queue_take(cc->srv, cc->srv->hc->commit_batch, &n)) != NULL)
		run_batch(cc, batch, n);
	store_close(&cc->st);
	free(cc);
	return NULL;
}

int
http_commit_start(struct http_server *srv, struct tk_err *err)
{
	int n = srv->hc->committers;

	for (int i = 0; i < n && i < HTTP_MAX_COMMITTERS; i++) {
		struct committer_ctx *cc = xnew(struct committer_ctx);
		int rc;

		cc->srv = srv;
		cc->index = i;
		rc = pthread_create(&srv->committers[i], NULL, committer_main, cc);
		if (rc != 0) {
			free(cc);
			return tk_err_set(err, "http: cannot start committer thread: %s", strerror(rc));
		}
		srv->n_committers++;
	}
	return 0;
}

void
http_commit_stop(struct http_server *srv)
{
	pthread_mutex_lock(&srv->qlock);
	srv->qstop = true;
	pthread_cond_broadcast(&srv->qcond);
	pthread_mutex_unlock(&srv->qlock);
	/* queue_take hands out what is left before it reports the stop: all is answered */
	for (int i = 0; i < srv->n_committers; i++)
		pthread_join(srv->committers[i], NULL);
	srv->n_committers = 0;
}
