/*
 * http_slack.c: POST /v1/slack/actions, the Slack app's interactivity
 * endpoint for the Acknowledge and Resolve buttons on ticketd's messages.
 *
 * Served in the request thread, not through the group committer: a click
 * is rare, must be answered within Slack's 3 s, and its answer says what
 * happened. The request is checked (signature, five-minute window) and
 * read (slack_action.c), the Slack user is mapped to an agent by the
 * agent's slack_id, and the action is applied in one transaction on the
 * server's auxiliary connection. A bad signature, a stale timestamp or an
 * unknown user is refused with a JSON error and logged (rate-limited, with
 * the source address and the reason; never the secret).
 */
/* System. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
/* Libraries. */
#include <jansson.h>
/* ticketd. */
#include "config.h"
#include "daemon.h"
#include "http_int.h"
#include "log.h"
#include "notify.h"
#include "slack_action.h"
#include "xalloc.h"

int
http_slack_init(struct http_server *srv, struct tk_err *err)
{
	const struct slack_config *sc = srv->cfg->slack;

	if (!slack_buttons(sc))
		return 0;
	srv->slack_secret = notify_read_secret(sc->signing_secret_file, sc->signing_secret_env, err);
	if (srv->slack_secret == NULL) {
		tk_err_prefix(err, "slack signing secret");
		return -1;
	}
	return 0;
}

void
http_slack_fini(struct http_server *srv)
{
	if (srv->slack_secret) {
		explicit_bzero(srv->slack_secret, strlen(srv->slack_secret));
		xfree(&srv->slack_secret);
	}
}

/* Refuse and log (rate-limited: a flood of forgeries must not flood the journal). */
static void
refuse(struct http_req *r, int status, enum metrics_outcome o, const char *why)
{
	static struct log_limit limit = LOG_LIMIT_INIT(10, 60);
	char note[LOG_LIMIT_NOTE];

	if (log_limit_pass(&limit, time(NULL), note))
		log_warn("http: slack action from %s refused: %s%s", http_guard_peer(r->conn), why,
		         note);
	http_req_answer(r, status, o, http_error_body(r, status, why), 0);
}

static void
answer_text(struct http_req *r, const char *text)
{
	json_t *j = json_pack("{s:s,s:b,s:s}", "response_type", "ephemeral", "replace_original", 0,
	                      "text", text);

	http_req_answer(r, 200, MO_ACCEPTED, json_dumps(j, JSON_COMPACT), 0);
	json_decref(j);
}

static int
apply(struct http_req *r, const struct config *cfg, const struct slack_action *a,
      const char *agent, char *ref, struct tk_err *err)
{
	struct http_server *srv = r->srv;
	int rc = -1;

	pthread_mutex_lock(&srv->aux_lock);
	if ((srv->aux != NULL || store_open(config_dsn(cfg), &srv->aux, err) == 0) &&
	    store_check(srv->aux, err) == 0)
		rc = slack_action_apply(srv->aux, cfg, a, agent, ref, err);
	pthread_mutex_unlock(&srv->aux_lock);
	return rc;
}

void
http_slack_serve(struct http_req *r)
{
	const char *ts = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	                                             "X-Slack-Request-Timestamp");
	const char *sig = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Slack-Signature");
	const char *body = r->body.data ? r->body.data : "";
	struct config *cfg = daemon_config(r->srv->daemon);
	const struct config_agent *agent;
	struct slack_action a;
	struct tk_err err = { 0 };
	enum slack_verdict v;
	char ref[48] = "", text[256];

	v = slack_action_verify(r->srv->slack_secret, ts, sig, body, r->body.len, time(NULL));
	if (v != SLACK_OK) {
		refuse(r, 401, MO_UNAUTHORIZED, slack_verdict_text(v));
		goto out;
	}
	if (slack_action_parse(body, r->body.len, &a, &err) < 0) {
		refuse(r, 400, MO_BAD_REQUEST, err.msg);
		goto out;
	}
	if ((agent = config_agent_by_slack_id(cfg, a.user_id)) == NULL) {
		snprintf(text, sizeof(text), "user: Slack user %s (%.60s) is not an agent (agents.slack_id)",
		         a.user_id, a.user_name);
		refuse(r, 403, MO_FORBIDDEN, text);
		goto out;
	}
	if (apply(r, cfg, &a, agent->name, ref, &err) < 0) {
		if (ref[0])
			log_warn("http: slack action by %s on %s: %s", agent->name, ref, err.msg);
		else
			log_warn("http: slack action by %s on ticket id %lld (not found): %s",
			         agent->name, (long long)a.ticket_id, err.msg);
		http_req_answer(r, err.temporary ? 503 : 400, err.temporary ? MO_UNAVAILABLE :
		                MO_BAD_REQUEST, http_error_body(r, err.temporary ? 503 : 400, err.msg),
		                err.temporary ? 5 : 0);
		goto out;
	}
	log_info("http: slack: %s %s %s", ref, a.verb == SLACK_ACK ? "acknowledged by" :
	         "resolved by", agent->name);
	snprintf(text, sizeof(text), "%s %s by %s", ref, a.verb == SLACK_ACK ? "acknowledged" :
	         "resolved", agent->display_name && *agent->display_name ? agent->display_name :
	         agent->name);
	answer_text(r, text);
out:
	config_unref(&cfg);
}
