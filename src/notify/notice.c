/*
 * notice.c: compose an admin notice for its channel and queue it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "compose.h"
#include "config.h"
#include "notice.h"
#include "notify.h"
#include "outbox.h"
#include "xalloc.h"

static int
notice_slack(struct store *st, const struct notice *n, int *queued_r, struct tk_err *err)
{
	char *text = xasprintf("%s\n%s", n->subject, n->text);
	json_t *body = json_pack("{ss}", "text", text);
	char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct outbox_item it = {
		.idempotency_key = n->idempotency_key, .channel = "slack", .kind = "notice",
		.ticket_id = n->ticket_id, .recipient = n->recipient ? n->recipient : "slack",
		.payload = payload, .payload_len = payload ? strlen(payload) : 0,
	};
	int rc = payload ? outbox_enqueue(st, &it, queued_r, err)
	                 : tk_err_set(err, "notice: cannot encode the Slack message");

	free(payload);
	json_decref(body);
	free(text);
	return rc;
}

static int
notice_smtp(struct store *st, const struct config *cfg, const struct notice *n, int *queued_r,
            struct tk_err *err)
{
	const char *at = strrchr(cfg->smtp->from, '@');
	char *mid = compose_message_id(at ? at + 1 : "ticketd.invalid", n->ticket_id);
	struct compose_msg m = {
		.from = { cfg->smtp->from, cfg->smtp->from_name }, .to = { n->recipient, NULL },
		.subject = n->subject, .message_id = mid, .auto_submitted = "auto-generated",
		.loop_id = cfg->instance, .text = n->text, .date = time(NULL),
	};
	struct outbox_item it = {
		.idempotency_key = n->idempotency_key, .channel = "smtp", .kind = "notice",
		.ticket_id = n->ticket_id, .recipient = n->recipient, .message_id = mid,
	};
	char *payload = NULL;
	size_t len = 0;
	int rc = -1;

	if (compose_write(&m, &payload, &len, err) == 0) {
		it.payload = payload;
		it.payload_len = len;
		rc = outbox_enqueue(st, &it, queued_r, err);
	}
	free(payload);
	free(mid);
	return rc;
}

int
notice_enqueue(struct store *st, const struct config *cfg, const struct notice *n, int *queued_r,
               struct tk_err *err)
{
	if (strcmp(n->channel, "slack") == 0) {
		if (cfg->slack == NULL)
			return tk_err_set(err, "notice: channel slack is not configured (no slack: section)");
		return notice_slack(st, n, queued_r, err);
	}
	if (strcmp(n->channel, "smtp") == 0) {
		if (cfg->smtp == NULL)
			return tk_err_set(err, "notice: channel smtp is not configured (no smtp: section)");
		if (n->recipient == NULL || strchr(n->recipient, '@') == NULL)
			return tk_err_set(err, "notice: smtp needs a recipient address");
		return notice_smtp(st, cfg, n, queued_r, err);
	}
	return tk_err_set(err, "notice: unknown channel \"%s\"", n->channel);
}
