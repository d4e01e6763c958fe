/*
 * slack_action.h: the buttons on ticketd's Slack messages (Acknowledge,
 * Resolve). Slack posts a click to POST /v1/slack/actions (the Slack app's
 * interactivity request URL) as application/x-www-form-urlencoded with one
 * field, payload, holding JSON; the request is signed with the app's
 * signing secret (v0: HMAC-SHA256 over "v0:TIMESTAMP:BODY", hex, in
 * X-Slack-Signature; TIMESTAMP in X-Slack-Request-Timestamp). These are
 * the pure parts, checked by tests/unit/test_slack_action.c: the signature
 * (constant-time compare, five-minute window) and the payload. http.c
 * serves the endpoint and applies the action (slack_action_apply).
 */
#ifndef TK_SLACK_ACTION_H
#define TK_SLACK_ACTION_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"
#include "store.h"

struct config;

#define SLACK_ACTION_WINDOW_S 300   /* a signed request older (or newer) than this is refused */

enum slack_verdict { SLACK_OK, SLACK_MISSING, SLACK_STALE, SLACK_BAD_SIGNATURE };

/* Check Slack's signature of body; what is wrong, never why the secret is. */
enum slack_verdict slack_action_verify(const char *secret, const char *ts_header,
                                       const char *sig_header, const void *body, size_t len,
                                       time_t now);
/* "missing signature headers", "stale timestamp", "bad signature". */
const char *slack_verdict_text(enum slack_verdict v);

enum slack_verb { SLACK_ACK, SLACK_RESOLVE };

struct slack_action {
	enum slack_verb verb;
	int64_t ticket_id;
	char user_id[64];              /* Slack's user id, e.g. U012AB3CD */
	char user_name[128];           /* as Slack sent it, for logs */
};

/*
 * Parse a form body "payload=<url-encoded JSON>" of type block_actions
 * whose first action is ticketd_ack or ticketd_resolve with a ticket id as
 * its value. 0, or -1 with err naming the field that is wrong.
 */
int slack_action_parse(const char *body, size_t len, struct slack_action *a, struct tk_err *err)
	__attribute__((warn_unused_result));

/*
 * Apply a parsed action for the agent (a configured agent's name) in one
 * transaction on st: acknowledge (and for Resolve, resolve the ticket with
 * the customer's notice). *ref_r (len >= 48) gets "TKT-1042". 0, or -1
 * with err (err->temporary when the database is away).
 */
int slack_action_apply(struct store *st, const struct config *cfg, const struct slack_action *a,
                       const char *agent, char *ref_r, struct tk_err *err)
	__attribute__((warn_unused_result));

#endif
