/*
 * ctl_outbox.c: `ticketctl outbox list|show|retry`: the notifications.
 * list counts every state, then shows those that need attention (dead,
 * and pending after a failed attempt) or those of --state; show prints
 * one for a person (or --json, or the --raw payload); retry puts dead ones
 * back. Retrying resets the attempt count and keeps the payload, so the
 * mail goes out with the Message-ID it was composed with.
 */
/* System. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "config.h"
#include "ctl.h"
#include "ctl_queue.h"
#include "store.h"

static const char *const outbox_states[] = { "pending", "sending", "dead", "sent", NULL };
static const char *const state_choices[] = { "attention", "pending", "sending", "dead", "sent",
	                                     "all", NULL };

#define OUTBOX_WHERE \
	" WHERE CASE $1 WHEN 'all' THEN true WHEN 'attention' THEN o.state = 'dead' OR " \
	"(o.state = 'pending' AND o.attempts > 0) ELSE o.state = $1 END "
#define TICKET_REF \
	"(SELECT n.ticket_prefix || '-' || t.number FROM tickets t JOIN tenants n ON " \
	"n.id = t.tenant_id WHERE t.id = o.ticket_id)"

static void
print_row(PGresult *res, int r)
{
	struct ctl_queue_head h = { 0 };
	size_t len = 0;
	unsigned char *head = PQunescapeBytea((const unsigned char *)PQgetvalue(res, r, 9), &len);

	if (strcmp(PQgetvalue(res, r, 1), "smtp") == 0)
		ctl_queue_head(head ? (const char *)head : "", head ? len : 0, &h);
	ctl_put_cell(PQgetvalue(res, r, 0), 7);
	ctl_put_cell(PQgetvalue(res, r, 2), 8);
	ctl_put_cell(PQgetvalue(res, r, 1), 6);
	ctl_put_cell(PQgetvalue(res, r, 3), 8);
	ctl_put_cell(PQgetvalue(res, r, 4), 16);
	ctl_put_cell(PQgetvalue(res, r, 5), 10);
	ctl_put_cell(PQgetvalue(res, r, 6), 26);
	ctl_put_cell(h.subject, 30);
	printf("%s%s%s\n", *PQgetvalue(res, r, 7) ? "<" : "-", PQgetvalue(res, r, 7),
	       *PQgetvalue(res, r, 7) ? ">" : "");
	ctl_queue_detail(PQgetvalue(res, r, 8));
	ctl_queue_head_fini(&h);
	PQfreemem(head);
}

static void
show_human(PGresult *res)
{
	struct ctl_queue_head h = { 0 };
	size_t len = 0;
	unsigned char *head = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 12), &len);

	if (strcmp(PQgetvalue(res, 0, 1), "smtp") == 0)
		ctl_queue_head(head ? (const char *)head : "", head ? len : 0, &h);
	printf("outbox %s: %s %s to %s, %s, %s attempt%s\n", PQgetvalue(res, 0, 0),
	       PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 4),
	       PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 5),
	       strcmp(PQgetvalue(res, 0, 5), "1") ? "s" : "");
	printf("  created     %s\n", PQgetvalue(res, 0, 7));
	printf("  sent        %s\n", *PQgetvalue(res, 0, 8) ? PQgetvalue(res, 0, 8) : "-");
	if (strcmp(PQgetvalue(res, 0, 3), "pending") == 0)
		printf("  next try    %s\n", PQgetvalue(res, 0, 9));
	if (*PQgetvalue(res, 0, 6))
		printf("  error       %s\n", PQgetvalue(res, 0, 6));
	printf("  subject     %s\n", h.subject ? h.subject : "-");
	printf("  message-id  %s\n", *PQgetvalue(res, 0, 10) ? PQgetvalue(res, 0, 10) : "-");
	printf("  ticket      %s\n", *PQgetvalue(res, 0, 11) ? PQgetvalue(res, 0, 11) : "-");
	printf("  size        %s bytes\n", PQgetvalue(res, 0, 13));
	if (strcmp(PQgetvalue(res, 0, 3), "dead") == 0)
		printf("  (ticketctl outbox retry %s sends it again)\n", PQgetvalue(res, 0, 0));
	ctl_queue_head_fini(&h);
	PQfreemem(head);
}

static const struct ctl_queue_def outbox = {
	.table = "outbox", .states = outbox_states,
	.list_json_sql =
		"SELECT coalesce(json_agg(x ORDER BY x.id DESC), '[]')::text FROM (SELECT id, channel, "
		"kind, state, recipient, message_id, ticket_id, " TICKET_REF " AS ticket, attempts, "
		"last_error, created_at, next_attempt_at, sent_at FROM outbox o" OUTBOX_WHERE
		"ORDER BY id DESC LIMIT $2::int) x",
	.list_sql =
		"SELECT o.id, o.channel, o.state, o.kind, to_char(o.created_at, 'YYYY-MM-DD HH24:MI'), "
		"coalesce(" TICKET_REF ", ''), o.recipient, coalesce(o.message_id, ''), "
		"coalesce(o.last_error, ''), substring(o.payload from 1 for 16384), count(*) OVER () "
		"FROM outbox o" OUTBOX_WHERE "ORDER BY o.id DESC LIMIT $2::int",
	.heading = "ID      STATE    CHAN   KIND     CREATED          TICKET     RECIPIENT"
	           "                  SUBJECT                        MESSAGE-ID",
	.print_row = print_row, .what = "notifications",
	.show_raw_sql = "SELECT payload FROM outbox WHERE id = $1::bigint",
	.show_json_sql =
		"SELECT row_to_json(x)::text FROM (SELECT id, idempotency_key, channel, kind, state, "
		"recipient, message_id, ticket_id, attempts, last_error, claimed_by, lease_until, "
		"created_at, next_attempt_at, sent_at, length(payload) AS bytes FROM outbox "
		"WHERE id = $1::bigint) x",
	.show_sql =
		"SELECT o.id, o.channel, o.kind, o.state, o.recipient, o.attempts, coalesce("
		"o.last_error, ''), o.created_at, coalesce(o.sent_at::text, ''), o.next_attempt_at, "
		"coalesce(o.message_id, ''), coalesce(" TICKET_REF ", ''), substring(o.payload from 1 "
		"for 16384), length(o.payload) FROM outbox o WHERE o.id = $1::bigint",
	.show_human = show_human,
};

static int
list(const struct ctl_args *a)
{
	return ctl_queue_list(a, &outbox);
}

static int
show(const struct ctl_args *a)
{
	return ctl_queue_show(a, &outbox);
}

static int
retry(const struct ctl_args *a)
{
	bool all = ctl_flag(a, "all");
	const char *what = all ? "--all" : a->n_pos == 1 ? a->pos[0] : "";
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	PGresult *res = NULL;
	int rc, n;

	if (all == (a->n_pos > 0))
		return ctl_usage_error(a->cmd, "name the notification (ID) or --all");
	if (!all && !ctl_is_id(what))
		return ctl_usage_error(a->cmd, "\"%s\" is not an id", what);
	if ((rc = ctl_open(&cfg, &st)) != CTL_OK)
		return rc;
	if (store_exec(st, &res, &err,
	               "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = now(), "
	               "updated_at = now() WHERE state = 'dead' AND ($1 = '--all' OR id = "
	               "CASE WHEN $1 = '--all' THEN 0 ELSE $1::bigint END)", 1, what) < 0) {
		rc = ctl_db_error(&err);
		goto out;
	}
	n = atoi(PQcmdTuples(res));
	printf("requeued: %d\n", n);
	if (n == 0 && !all) {
		fprintf(stderr, "ticketctl: outbox %s is not in state dead\n", what);
		rc = CTL_USAGE;
	}
out:
	PQclear(res);
	store_close(&st);
	config_unref(&cfg);
	return rc;
}

static const struct ctl_opt list_opts[] = {
	{ "state", 0, CTL_STR, "STATE", "the notifications in STATE (default: those that need "
	  "attention)", state_choices },
	{ "limit", 0, CTL_NUM, "N", "at most N notifications (default 50)" },
	{ "json", 0, CTL_FLAG, NULL, "the notifications as a JSON array" },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_outbox_list = {
	.name = "outbox list", .opts = list_opts, .run = list,
	.summary = "count the notifications by state and list those that need attention",
};

static const struct ctl_opt show_opts[] = {
	{ "json", 0, CTL_FLAG, NULL, "the notification as JSON" },
	{ "raw", 0, CTL_FLAG, NULL, "its payload (the mail as it is sent)" },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_outbox_show = {
	.name = "outbox show", .args = "ID", .min_pos = 1, .max_pos = 1, .opts = show_opts,
	.run = show, .summary = "one notification: state, error, recipient, ticket",
};

static const struct ctl_opt retry_opts[] = {
	{ "all", 0, CTL_FLAG, NULL, "every dead notification" },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_outbox_retry = {
	.name = "outbox retry", .args = "ID", .max_pos = 1, .opts = retry_opts, .run = retry,
	.summary = "queue a dead notification again (it keeps its Message-ID)",
};
