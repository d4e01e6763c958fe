/*
 * ctl_inbound.c: `ticketctl inbound list|show|retry`: the staged items.
 * list counts every state, then shows the items that need attention
 * (failed, quarantined, pending after a failed attempt) or those of
 * --state; show prints one item for a person (or --json, or --raw bytes);
 * retry puts failed items back, and with --force dropped, done and
 * quarantined ones too, e.g. after the rules that dropped them are fixed.
 */
/* System. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "config.h"
#include "ctl.h"
#include "ctl_queue.h"
#include "store.h"
#include "store_inbound.h"

static const char *const inbound_states[] = { "pending", "failed", "quarantined", "dropped",
	                                      "done", NULL };
static const char *const state_choices[] = { "attention", "pending", "failed", "quarantined",
	                                     "dropped", "done", "all", NULL };

/* Which rows: $1 is a state, "attention" or "all". */
#define INBOUND_WHERE \
	" WHERE CASE $1 WHEN 'all' THEN true WHEN 'attention' THEN i.state IN ('failed', " \
	"'quarantined') OR (i.state = 'pending' AND i.attempts > 0) ELSE i.state = $1 END "
#define TICKET_REF \
	"(SELECT n.ticket_prefix || '-' || t.number FROM tickets t JOIN tenants n ON " \
	"n.id = t.tenant_id WHERE t.id = i.ticket_id)"

static void
print_row(PGresult *res, int r)
{
	struct ctl_queue_head h;
	size_t len = 0;
	unsigned char *head = PQunescapeBytea((const unsigned char *)PQgetvalue(res, r, 8), &len);
	const char *msgid = PQgetvalue(res, r, 6);

	ctl_queue_head(head ? (const char *)head : "", head ? len : 0, &h);
	if (strcmp(PQgetvalue(res, r, 9), "mail") != 0)
		ctl_queue_head_fini(&h);  /* an alert's payload has no header */
	ctl_put_cell(PQgetvalue(res, r, 0), 7);
	ctl_put_cell(PQgetvalue(res, r, 1), 11);
	ctl_put_cell(PQgetvalue(res, r, 2), 8);
	ctl_put_cell(PQgetvalue(res, r, 3), 16);
	ctl_put_cell(PQgetvalue(res, r, 4), 12);
	ctl_put_cell(PQgetvalue(res, r, 5), 10);
	ctl_put_cell(h.from, 24);
	ctl_put_cell(h.subject, 30);
	printf("%s%s%s\n", *msgid || h.message_id ? "<" : "-", *msgid ? msgid :
	       h.message_id ? h.message_id : "", *msgid || h.message_id ? ">" : "");
	ctl_queue_detail(PQgetvalue(res, r, 7));
	ctl_queue_head_fini(&h);
	PQfreemem(head);
}

static void
show_human(PGresult *res)
{
	struct ctl_queue_head h = { 0 };
	size_t len = 0;
	unsigned char *head = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 14), &len);

	if (strcmp(PQgetvalue(res, 0, 2), "mail") == 0)
		ctl_queue_head(head ? (const char *)head : "", head ? len : 0, &h);
	printf("inbound %s: %s from %s, %s, %s attempt%s\n", PQgetvalue(res, 0, 0),
	       PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 3),
	       PQgetvalue(res, 0, 4), strcmp(PQgetvalue(res, 0, 4), "1") ? "s" : "");
	printf("  received    %s\n", PQgetvalue(res, 0, 7));
	printf("  processed   %s\n", *PQgetvalue(res, 0, 8) ? PQgetvalue(res, 0, 8) : "-");
	if (strcmp(PQgetvalue(res, 0, 3), "pending") == 0)
		printf("  next try    %s\n", PQgetvalue(res, 0, 9));
	if (*PQgetvalue(res, 0, 5) || *PQgetvalue(res, 0, 6))
		printf("  %-11s %s%s%s\n", strcmp(PQgetvalue(res, 0, 3), "failed") == 0 ||
		       strcmp(PQgetvalue(res, 0, 3), "pending") == 0 ? "error" : "why",
		       PQgetvalue(res, 0, 5), *PQgetvalue(res, 0, 5) ? ": " : "", PQgetvalue(res, 0, 6));
	printf("  from        %s\n", h.from ? h.from : "-");
	printf("  subject     %s\n", h.subject ? h.subject : "-");
	printf("  message-id  %s\n", *PQgetvalue(res, 0, 10) ? PQgetvalue(res, 0, 10) :
	                              h.message_id ? h.message_id : "-");
	printf("  ticket      %s\n", *PQgetvalue(res, 0, 11) ? PQgetvalue(res, 0, 11) : "-");
	printf("  size        %s bytes, sha256 %s\n", PQgetvalue(res, 0, 12), PQgetvalue(res, 0, 13));
	if (strcmp(PQgetvalue(res, 0, 3), "failed") == 0)
		printf("  (ticketctl inbound retry %s runs it again)\n", PQgetvalue(res, 0, 0));
	else if (strcmp(PQgetvalue(res, 0, 3), "pending") != 0)
		printf("  (ticketctl inbound retry --force %s runs it again)\n", PQgetvalue(res, 0, 0));
	ctl_queue_head_fini(&h);
	PQfreemem(head);
}

static const struct ctl_queue_def inbound = {
	.table = "inbound", .states = inbound_states,
	.list_json_sql =
		"SELECT coalesce(json_agg(x ORDER BY x.id DESC), '[]')::text FROM (SELECT id, source, "
		"kind, state, attempts, error_kind, last_error, message_id, ticket_id, " TICKET_REF
		" AS ticket, received_at, processed_at, length(raw) AS bytes FROM inbound i"
		INBOUND_WHERE "ORDER BY id DESC LIMIT $2::int) x",
	.list_sql =
		"SELECT i.id, i.state, coalesce(i.error_kind, ''), to_char(i.received_at, "
		"'YYYY-MM-DD HH24:MI'), i.source, coalesce(" TICKET_REF ", ''), coalesce(i.message_id, "
		"''), coalesce(i.last_error, ''), substring(i.raw from 1 for 16384), i.kind, "
		"count(*) OVER () FROM inbound i" INBOUND_WHERE "ORDER BY i.id DESC LIMIT $2::int",
	.heading = "ID      STATE       ERROR    RECEIVED         SOURCE       TICKET     FROM"
	           "                     SUBJECT                        MESSAGE-ID",
	.print_row = print_row, .what = "items",
	.show_raw_sql = "SELECT raw FROM inbound WHERE id = $1::bigint",
	.show_json_sql =
		"SELECT row_to_json(x)::text FROM (SELECT id, source, kind, state, attempts, "
		"error_kind, last_error, message_id, dedup_key, meta, ticket_id, received_at, "
		"processed_at, next_attempt_at, raw_sha256, length(raw) AS bytes FROM inbound "
		"WHERE id = $1::bigint) x",
	.show_sql =
		"SELECT i.id, i.source, i.kind, i.state, i.attempts, coalesce(i.error_kind, ''), "
		"coalesce(i.last_error, ''), i.received_at, coalesce(i.processed_at::text, ''), "
		"i.next_attempt_at, coalesce(i.message_id, ''), coalesce(" TICKET_REF ", ''), "
		"length(i.raw), i.raw_sha256, substring(i.raw from 1 for 16384) FROM inbound i "
		"WHERE i.id = $1::bigint",
	.show_human = show_human,
};

static int
list(const struct ctl_args *a)
{
	return ctl_queue_list(a, &inbound);
}

static int
show(const struct ctl_args *a)
{
	return ctl_queue_show(a, &inbound);
}

static int
retry(const struct ctl_args *a)
{
	bool all = ctl_flag(a, "all"), force = ctl_flag(a, "force");
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	int rc, total = 0;

	if (all == (a->n_pos > 0))
		return ctl_usage_error(a->cmd, "name the items (ID...) or --all");
	if (all && force)
		return ctl_usage_error(a->cmd, "--force takes the items by id, not --all");
	for (int i = 0; i < a->n_pos; i++)
		if (!ctl_is_id(a->pos[i]))
			return ctl_usage_error(a->cmd, "\"%s\" is not an id", a->pos[i]);
	if ((rc = ctl_open(&cfg, &st)) != CTL_OK)
		return rc;
	for (int i = 0; rc == CTL_OK && i < (all ? 1 : a->n_pos); i++) {
		int64_t id = all ? 0 : strtoll(a->pos[i], NULL, 10);
		int n = 0;

		if (store_inbound_retry(st, id, force, &n, &err) < 0) {
			rc = ctl_db_error(&err);
		} else if (n == 0 && !all) {
			fprintf(stderr, "ticketctl: inbound %s is not in state failed%s, or was refused "
			        "at intake (nothing to process)\n", a->pos[i],
			        force ? ", dropped, done or quarantined" : " (--force takes dropped and "
			        "done ones)");
			rc = CTL_USAGE;
		}
		total += n;
	}
	printf("requeued: %d\n", total);
	store_close(&st);
	config_unref(&cfg);
	return rc;
}

static const struct ctl_opt list_opts[] = {
	{ "state", 0, CTL_STR, "STATE", "the items in STATE (default: those that need attention)",
	  state_choices },
	{ "limit", 0, CTL_NUM, "N", "at most N items (default 50)" },
	{ "json", 0, CTL_FLAG, NULL, "the items as a JSON array" },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_inbound_list = {
	.name = "inbound list", .opts = list_opts, .run = list,
	.summary = "count the staged items by state and list those that need attention",
};

static const struct ctl_opt show_opts[] = {
	{ "json", 0, CTL_FLAG, NULL, "the item as JSON" },
	{ "raw", 0, CTL_FLAG, NULL, "the item's bytes as they were received" },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_inbound_show = {
	.name = "inbound show", .args = "ID", .min_pos = 1, .max_pos = 1, .opts = show_opts,
	.run = show, .summary = "one staged item: state, error, sender, subject, ticket",
};

static const struct ctl_opt retry_opts[] = {
	{ "all", 0, CTL_FLAG, NULL, "every failed item" },
	{ "force", 0, CTL_FLAG, NULL, "dropped, done and quarantined items too" },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_inbound_retry = {
	.name = "inbound retry", .args = "ID...", .max_pos = 64, .opts = retry_opts, .run = retry,
	.summary = "process failed items again (--force: dropped and done ones too)",
};
