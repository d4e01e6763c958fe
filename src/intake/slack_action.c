/*
 * slack_action.c: Slack's interactivity requests for ticketd's buttons:
 * verify the signature, read the click, apply it (slack_action.h).
 */
/* System. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* Libraries. */
#include <jansson.h>
#include <openssl/crypto.h>
/* ticketd. */
#include "buf.h"
#include "convo.h"
#include "hook.h"
#include "slack_action.h"
#include "store_ticket.h"
#include "urlform.h"
#include "xalloc.h"

const char *
slack_verdict_text(enum slack_verdict v)
{
	switch (v) {
	case SLACK_OK: return "ok";
	case SLACK_MISSING: return "missing X-Slack-Signature or X-Slack-Request-Timestamp";
	case SLACK_STALE: return "stale timestamp (more than five minutes off)";
	case SLACK_BAD_SIGNATURE: return "bad signature";
	}
	return "?";
}

static long long
parse_ts(const char *s)
{
	char *end;
	long long t;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	t = strtoll(s, &end, 10);
	return *end == '\0' && t > 0 ? t : -1;
}

enum slack_verdict
slack_action_verify(const char *secret, const char *ts_header, const char *sig_header,
                    const void *body, size_t len, time_t now)
{
	long long ts = parse_ts(ts_header), skew;
	char want[65], got[65];
	struct buf signed_text;
	int rc;

	if (ts_header == NULL || sig_header == NULL || *sig_header == '\0')
		return SLACK_MISSING;
	skew = (long long)now - ts;
	if (ts < 0 || skew > SLACK_ACTION_WINDOW_S || skew < -SLACK_ACTION_WINDOW_S)
		return SLACK_STALE;
	if (strncmp(sig_header, "v0=", 3) != 0 || strlen(sig_header) != 67)
		return SLACK_BAD_SIGNATURE;
	for (size_t i = 0; i < 64; i++)
		got[i] = (char)tolower((unsigned char)sig_header[3 + i]);
	got[64] = '\0';
	/* Slack signs "v0:" TIMESTAMP ":" BODY */
	buf_init(&signed_text, 0);
	(void)buf_printf(&signed_text, "v0:%s:", ts_header);
	(void)buf_append(&signed_text, body, len);
	rc = hook_auth_sign(secret, NULL, signed_text.data, signed_text.len, want);
	buf_fini(&signed_text);
	if (rc < 0)
		return SLACK_BAD_SIGNATURE;
	return CRYPTO_memcmp(want, got, 64) == 0 ? SLACK_OK : SLACK_BAD_SIGNATURE;
}

static int
parse_json(json_t *p, struct slack_action *a, struct tk_err *err)
{
	json_t *user = json_object_get(p, "user"), *act = json_array_get(json_object_get(p, "actions"), 0);
	const char *type = json_string_value(json_object_get(p, "type"));
	const char *id = json_string_value(json_object_get(user, "id"));
	const char *name = json_string_value(json_object_get(user, "username"));
	const char *action = json_string_value(json_object_get(act, "action_id"));
	const char *value = json_string_value(json_object_get(act, "value"));
	char *end;
	long long tid;

	if (type == NULL || strcmp(type, "block_actions") != 0)
		return tk_err_set(err, "payload.type: expected \"block_actions\"");
	if (id == NULL || *id == '\0' || strlen(id) >= sizeof(a->user_id))
		return tk_err_set(err, "payload.user.id: missing or too long");
	if (action == NULL || (strcmp(action, "ticketd_ack") != 0 &&
	                       strcmp(action, "ticketd_resolve") != 0))
		return tk_err_set(err, "payload.actions[0].action_id: expected ticketd_ack or "
		                  "ticketd_resolve");
	if (value == NULL || (tid = strtoll(value, &end, 10)) <= 0 || *end != '\0')
		return tk_err_set(err, "payload.actions[0].value: expected a ticket id");
	a->verb = strcmp(action, "ticketd_ack") == 0 ? SLACK_ACK : SLACK_RESOLVE;
	a->ticket_id = (int64_t)tid;
	snprintf(a->user_id, sizeof(a->user_id), "%s", id);
	snprintf(a->user_name, sizeof(a->user_name), "%s", name ? name : "");
	return 0;
}

int
slack_action_parse(const char *body, size_t len, struct slack_action *a, struct tk_err *err)
{
	char *payload = urlform_field(body, len, "payload");
	json_error_t jerr;
	json_t *p;
	int rc;

	memset(a, 0, sizeof(*a));
	if (payload == NULL)
		return tk_err_set(err, "payload: missing (expected a form field payload=JSON)");
	p = json_loads(payload, JSON_REJECT_DUPLICATES, &jerr);
	free(payload);
	if (p == NULL)
		return tk_err_set(err, "payload: not JSON: %s at %d:%d", jerr.text, jerr.line,
		                  jerr.column);
	rc = parse_json(p, a, err);
	json_decref(p);
	return rc;
}

static int
ticket_ref(struct store *st, int64_t id, char *ref_r, struct tk_err *err)
{
	char sid[24];
	PGresult *res = NULL;
	int found;

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	if (store_exec(st, &res, err,
	               "SELECT n.ticket_prefix || '-' || t.number FROM tickets t "
	               "JOIN tenants n ON n.id = t.tenant_id WHERE t.id = $1::bigint", 1, sid) < 0)
		return -1;
	found = PQntuples(res) > 0;
	if (found)
		snprintf(ref_r, 48, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return found ? 0 : tk_err_set(err, "ticket %" PRId64 " does not exist", id);
}

int
slack_action_apply(struct store *st, const struct config *cfg, const struct slack_action *a,
                   const char *agent, char *ref_r, struct tk_err *err)
{
	char *actor = xasprintf("slack:%s", agent);
	int changed = 0, rc = -1;

	if (store_begin(st, err) < 0)
		goto out;
	if (ticket_ref(st, a->ticket_id, ref_r, err) < 0 ||
	    store_ticket_ack(st, a->ticket_id, actor, a->verb == SLACK_ACK ? "Slack: Acknowledge" :
	                     "Slack: Resolve", true, NULL, err) < 0)
		goto out;
	if (a->verb == SLACK_RESOLVE &&
	    (store_ticket_set_status(st, a->ticket_id, "resolved", actor, "from Slack", &changed,
	                             err) < 0 ||
	     (changed && convo_notify_status(st, cfg, a->ticket_id, "resolved", NULL, err) < 0)))
		goto out;
	rc = store_commit(st, err);
out:
	if (rc < 0)
		store_rollback(st);
	free(actor);
	return rc;
}
