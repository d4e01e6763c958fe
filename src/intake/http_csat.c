/*
 * http_csat.c: /v1/csat/TOKEN, the customer's rating link from the
 * resolved notice (csat.h). GET shows a small confirmation page with the
 * score chosen in the link (?score=N) and room for a comment, and records
 * nothing (mail scanners open links); POST (the page's form) records the
 * rating. No login: the signed, expiring token is the credential. A
 * forged link is refused with 403, an expired one with 410, both logged
 * (rate-limited, with the source address).
 *
 * Served in the request thread on the server's auxiliary connection, as
 * Slack's clicks are: a rating is rare and its answer says what happened.
 */
/* System. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
/* ticketd. */
#include "buf.h"
#include "compose.h"
#include "config.h"
#include "convo.h"
#include "csat.h"
#include "daemon.h"
#include "http_int.h"
#include "log.h"
#include "urlform.h"
#include "xalloc.h"

static const char page_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	"<meta name=\"robots\" content=\"noindex\"><title>%s</title>"
	"<style>body{font-family:sans-serif;max-width:32em;margin:2em auto;padding:0 1em}"
	"label{margin-right:1em}textarea{width:100%%;height:6em}</style></head><body>\n";

/* Answer with a page: title (plain text) and body (HTML, already escaped). */
static void
page(struct http_req *r, int status, enum metrics_outcome o, const char *title, const char *body)
{
	char *t = compose_html_escape(title);
	struct buf b;

	buf_init(&b, 0);
	(void)buf_printf(&b, page_head, t);
	(void)buf_printf(&b, "<h1>%s</h1>\n%s\n</body></html>\n", t, body);
	http_req_answer(r, status, o, buf_steal(&b, NULL), 0);
	buf_fini(&b);
	free(t);
}

static void
refuse(struct http_req *r, bool expired, const char *why)
{
	static struct log_limit limit = LOG_LIMIT_INIT(10, 60);
	char note[LOG_LIMIT_NOTE];

	if (log_limit_pass(&limit, time(NULL), note))
		log_warn("http: rating link from %s refused: %s%s", http_guard_peer(r->conn), why, note);
	if (expired)
		page(r, 410, MO_FORBIDDEN, "This link has expired",
		     "<p>Ratings are taken for a while after a request is resolved. To tell us more, "
		     "reply to our last mail.</p>");
	else
		page(r, 403, MO_FORBIDDEN, "This link is not valid",
		     "<p>Please use the link from our mail as it is.</p>");
}

/* The token's ticket: its reference and subject, and whether it is resolved or closed. */
struct rated {
	char ref[48];
	char *subject;
	bool done;
};

static int
load_ticket(struct http_req *r, const struct config *cfg, int64_t id, struct rated *t,
            struct tk_err *err)
{
	struct http_server *srv = r->srv;
	char sid[24];
	PGresult *res = NULL;
	int rc = -1;

	snprintf(sid, sizeof(sid), "%lld", (long long)id);
	pthread_mutex_lock(&srv->aux_lock);
	if ((srv->aux != NULL || store_open(config_dsn(cfg), &srv->aux, err) == 0) &&
	    store_check(srv->aux, err) == 0 &&
	    store_exec(srv->aux, &res, err, "SELECT n.ticket_prefix || '-' || t.number, t.subject, "
	               "t.status IN ('resolved', 'closed') FROM tickets t JOIN tenants n ON "
	               "n.id = t.tenant_id WHERE t.id = $1::bigint", 1, sid) == 0) {
		rc = PQntuples(res);
		if (rc > 0) {
			snprintf(t->ref, sizeof(t->ref), "%s", PQgetvalue(res, 0, 0));
			t->subject = xstrdup(PQgetvalue(res, 0, 1));
			t->done = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
		}
		PQclear(res);
	}
	pthread_mutex_unlock(&srv->aux_lock);
	return rc;
}

static int
record(struct http_req *r, const struct config *cfg, int64_t id, int score, const char *comment,
       struct tk_err *err)
{
	struct http_server *srv = r->srv;
	int rc = -1;

	pthread_mutex_lock(&srv->aux_lock);
	if ((srv->aux != NULL || store_open(config_dsn(cfg), &srv->aux, err) == 0) &&
	    store_check(srv->aux, err) == 0 && store_begin(srv->aux, err) == 0) {
		rc = csat_record(srv->aux, cfg, id, score, comment, "link", "customer:link", err) < 0 ||
		     store_commit(srv->aux, err) < 0 ? -1 : 0;
		if (rc < 0)
			store_rollback(srv->aux);
	}
	pthread_mutex_unlock(&srv->aux_lock);
	return rc;
}

/* A score "1".."5"; 0 otherwise. */
static int
score_of(const char *s)
{
	return s && s[0] >= '1' && s[0] <= '5' && s[1] == '\0' ? s[0] - '0' : 0;
}

static void
form(struct http_req *r, const struct rated *t, int score)
{
	char *subject = compose_html_escape(t->subject), *title;
	struct buf b;

	buf_init(&b, 0);
	(void)buf_printf(&b, "<p>%s &ldquo;%s&rdquo;</p>\n<form method=\"post\">\n<p>", t->ref,
	                 subject);
	for (int s = 1; s <= 5; s++)
		(void)buf_printf(&b, "<label><input type=\"radio\" name=\"score\" value=\"%d\"%s> %d"
		                 "</label>", s, s == score ? " checked" : "", s);
	(void)buf_puts(&b, "</p>\n<p>(1 poor, 5 excellent)</p>\n<p><label for=\"c\">A comment "
	               "(optional):</label></p><textarea id=\"c\" name=\"comment\" maxlength=\"2000\">"
	               "</textarea>\n<p><button type=\"submit\">Send my rating</button></p>\n</form>");
	title = xasprintf("How did we do with %s?", t->ref);
	page(r, 200, MO_ACCEPTED, title, b.data);
	free(title);
	free(subject);
	buf_fini(&b);
}

void
http_csat_serve(struct http_req *r, bool post)
{
	struct config *cfg = daemon_config(r->srv->daemon);
	const char *q = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "score");
	const struct convo_config *c = cfg->convo;
	struct rated t = { .subject = NULL };
	struct tk_err err = { 0 };
	char *score_s = NULL, *comment = NULL, *msg;
	int64_t id = 0;
	bool expired = false;
	int found, score;

	if (c == NULL || csat_link_check(c->secrets, c->n_secrets, r->name, (int64_t)time(NULL), &id,
	                                 &expired, &err) < 0) {
		refuse(r, expired, c ? err.msg : "ratings need the conversation: section");
		goto out;
	}
	if ((found = load_ticket(r, cfg, id, &t, &err)) <= 0 || !t.done) {
		if (found < 0)
			log_warn("http: rating of ticket %lld: %s", (long long)id, err.msg);
		page(r, found < 0 ? 503 : 409, found < 0 ? MO_UNAVAILABLE : MO_BAD_REQUEST,
		     found < 0 ? "Please try again in a minute" : "This request is open again",
		     found < 0 ? "" : "<p>It is being worked on; reply to our last mail to tell us more.</p>");
		goto out;
	}
	if (!post) {
		form(r, &t, score_of(q));
		goto out;
	}
	score_s = urlform_field(r->body.data ? r->body.data : "", r->body.len, "score");
	comment = urlform_field(r->body.data ? r->body.data : "", r->body.len, "comment");
	if ((score = score_of(score_s)) == 0) {
		page(r, 400, MO_BAD_REQUEST, "Please choose a score from 1 to 5", "");
		goto out;
	}
	if (record(r, cfg, id, score, comment, &err) < 0) {
		log_warn("http: rating of ticket %lld: %s", (long long)id, err.msg);
		page(r, err.temporary ? 503 : 409, err.temporary ? MO_UNAVAILABLE : MO_BAD_REQUEST,
		     "The rating could not be recorded", "<p>Please try again in a minute.</p>");
		goto out;
	}
	log_info("http: ticket %s rated %d by link", t.ref, score);
	msg = xasprintf("Thank you: you rated %s %d of 5", t.ref, score);
	page(r, 200, MO_ACCEPTED, msg, "<p>Your rating has been recorded.</p>");
	free(msg);
out:
	free(t.subject);
	free(score_s);
	free(comment);
	config_unref(&cfg);
}
