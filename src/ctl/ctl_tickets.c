/*
 * ctl_tickets.c: ticketctl list and show. JSON is built by
 * PostgreSQL itself (json_build_object), so --json output and the table
 * view come from one query each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "convo.h"
#include "ctl.h"
#include "quote.h"
#include "store.h"
#include "store_ticket.h"

#define TICKET_JSON \
	"json_build_object('id', t.id, 'ref', n.ticket_prefix || '-' || t.number, " \
	"'number', t.number, 'tenant', n.name, 'subject', t.subject, 'status', t.status, " \
	"'priority', t.priority, 'category', t.category, 'type', t.type, 'impact', t.impact, " \
	"'queue', t.queue, 'assignee', a.name, 'requester', t.requester, 'source', s.name, " \
	"'required_skill', t.required_skill, 'required_level', t.required_level, " \
	"'sla_policy', t.sla_policy, 'tags', t.tags, 'created_at', t.created_at, " \
	"'opened_at', t.opened_at, 'in_progress_at', t.in_progress_at, 'pending_at', " \
	"t.pending_at, 'resolved_at', t.resolved_at, 'closed_at', t.closed_at, 'reopened_at', " \
	"t.reopened_at, 'updated_at', t.updated_at, 'first_response_at', t.first_response_at, " \
	"'response_due_at', t.response_due_at, 'resolution_due_at', t.resolution_due_at, " \
	"'alert_key', t.alert_key, 'alert_count', t.alert_count, 'linked_ticket', " \
	"t.linked_ticket_id, 'merged_into', (SELECT mn.ticket_prefix || '-' || mt.number FROM " \
	"tickets mt JOIN tenants mn ON mn.id = mt.tenant_id WHERE mt.id = t.merged_into_id), " \
	"'sla', " TICKET_SLA_JSON ")"
#define TICKET_SLA_JSON \
	"json_build_object('policy', t.sla_applied, 'calendar', t.sla_calendar, 'status', " \
	"t.status, 'response_due_at', t.response_due_at, 'resolution_due_at', " \
	"t.resolution_due_at, 'response_breached', t.response_breached, 'resolution_breached', " \
	"t.resolution_breached, 'response_breached_at', t.response_breached_at, " \
	"'resolution_breached_at', t.resolution_breached_at, 'response_left_s', " \
	"t.response_left_s, 'resolution_left_s', t.resolution_left_s, 'paused_s', " \
	"t.sla_paused_s, 'acked_by', t.acked_by, 'acked_at', t.acked_at)"
#define TICKET_FROM \
	" FROM tickets t JOIN tenants n ON n.id = t.tenant_id " \
	"LEFT JOIN agents a ON a.id = t.assignee_id LEFT JOIN sources s ON s.id = t.source_id "

static void
print_table(const struct config *cfg, json_t *list)
{
	size_t i;
	json_t *t;
	char sla[32];

	printf("%-12s %-11s %-8s %-12s %-10s %-14s %s\n", "TICKET", "STATUS", "PRIORITY", "QUEUE",
	       "ASSIGNEE", "SLA", "SUBJECT");
	json_array_foreach(list, i, t) {
		printf("%-12s %-11s %-8s %-12s %-10s %-14s %.60s\n", ctl_jstr(t, "ref"),
		       ctl_jstr(t, "status"), ctl_jstr(t, "priority"), ctl_jstr(t, "queue"),
		       ctl_jstr(t, "assignee"),
		       ctl_sla_column(cfg, t, sla, sizeof(sla)), ctl_jstr(t, "subject"));
	}
}

/* Tickets that match the filters: $1 status ... $12 until ($14: a whole day); $13 limit. */
#define LIST_WHERE \
	"WHERE ($1::text IS NULL OR t.status = $1) AND ($2::text IS NULL OR t.queue = $2) " \
	"AND ($3::text IS NULL OR a.name = $3) AND ($4::text IS NULL OR n.name = $4) " \
	"AND ($5::text IS NULL OR t.response_breached OR t.resolution_breached) " \
	"AND ($6::bigint IS NULL OR (t.response_due_at <= now() + $6::bigint * " \
	"interval '1 second' AND NOT t.response_breached) OR (t.resolution_due_at <= " \
	"now() + $6::bigint * interval '1 second' AND NOT t.resolution_breached)) " \
	"AND ($7::text IS NULL OR lower(t.requester) = lower($7)) " \
	"AND ($8::text IS NULL OR t.tags @> ARRAY[$8::text]) " \
	"AND ($9::text IS NULL OR t.assignee_id IS NULL) " \
	"AND ($10::text IS NULL OR t.category = $10) " \
	"AND ($11::timestamptz IS NULL OR t.created_at >= $11::timestamptz) " \
	"AND ($12::timestamptz IS NULL OR t.created_at < $12::timestamptz + CASE WHEN " \
	"$14::boolean THEN interval '1 day' ELSE interval '0' END) "

static int
list(const struct ctl_args *a)
{
	char within[24] = "", limit[24];
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	PGresult *res = NULL;
	int rc;
	const char *assignee = ctl_str(a, "assignee");
	bool unassigned = assignee && strcmp(assignee, "none") == 0;

	if (ctl_str(a, "due-within"))
		snprintf(within, sizeof(within), "%lld", ctl_num(a, "due-within", 0));
	snprintf(limit, sizeof(limit), "%lld", ctl_num(a, "limit", 100));
	if ((rc = ctl_open_args(a, &cfg, &st)) != CTL_OK)
		return rc;
	if (store_exec(st, &res, &err,
	               "SELECT coalesce(json_agg(x.j ORDER BY x.id DESC), '[]')::text, "
	               "(SELECT count(*) FROM tickets t JOIN tenants n ON n.id = t.tenant_id "
	               "LEFT JOIN agents a ON a.id = t.assignee_id " LIST_WHERE ") FROM "
	               "(SELECT t.id, " TICKET_JSON " AS j" TICKET_FROM LIST_WHERE
	               "ORDER BY t.id DESC LIMIT $13::int) x",
	               14, ctl_str(a, "status"), ctl_str(a, "queue"), unassigned ? NULL : assignee,
	               ctl_str(a, "tenant"), ctl_flag(a, "breached") ? "t" : NULL,
	               within[0] ? within : NULL, ctl_str(a, "requester"), ctl_str(a, "tag"),
	               unassigned ? "t" : NULL, ctl_str(a, "category"), ctl_str(a, "since"),
	               ctl_str(a, "until"), limit,
	               ctl_str(a, "until") && strlen(ctl_str(a, "until")) == 10 ? "t" : "f") < 0) {
		rc = ctl_db_error(&err);
	} else if (ctl_flag(a, "json")) {
		printf("%s\n", PQgetvalue(res, 0, 0));
	} else {
		json_t *tickets = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
		long long total = atoll(PQgetvalue(res, 0, 1));

		print_table(cfg, tickets);
		if (total > (long long)json_array_size(tickets))
			printf("... %lld more (%lld tickets in all; --limit N shows more)\n",
			       total - (long long)json_array_size(tickets), total);
		else
			printf("%lld ticket%s\n", total, total == 1 ? "" : "s");
		json_decref(tickets);
	}
	PQclear(res);
	store_close(&st);
	config_unref(&cfg);
	return rc;
}

/* Attachments, with a placeholder for what the scanner held back. */
static void
print_attachments(json_t *list)
{
	size_t i;
	json_t *a;

	json_array_foreach(list, i, a) {
		long long id = (long long)json_integer_value(json_object_get(a, "id"));

		if (json_is_true(json_object_get(a, "stored")))
			printf("  [attachment %lld: %s (%s, %lld bytes, %s)]\n", id, ctl_jstr(a, "filename"),
			       ctl_jstr(a, "content_type"),
			       (long long)json_integer_value(json_object_get(a, "size")),
			       ctl_jstr(a, "scan_status"));
		else
			printf("  [attachment %lld: %s held back: %s: %s]\n", id, ctl_jstr(a, "filename"),
			       ctl_jstr(a, "scan_status"), ctl_jstr(a, "scan_detail"));
	}
}

/* Lines of s (a last line without its newline counts). */
static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (const char *p = s; p && *p; p++)
		n += *p == '\n' || p[1] == '\0';
	return n;
}

/*
 * A message's text: by default what the author of an inbound mail wrote
 * (the stored visible text, else the body without its quote), the quote
 * and signature folded into one line saying how much was hidden; with
 * full, and for ticketd's own mail, the whole body.
 */
static void
print_text(json_t *m, bool full)
{
	const char *body = ctl_jstr(m, "body_text");
	const char *stored = json_string_value(json_object_get(m, "visible_text"));
	char *visible = NULL, *quoted = NULL;
	size_t hidden;

	/* ticketd's own mail is shown as it was sent. */
	if (full || strcmp(ctl_jstr(m, "direction"), "in") != 0 ||
	    quote_split(body, &visible, &quoted) < 0) {
		printf("%s\n", body);
		goto out;
	}
	hidden = count_lines(quoted);
	if (hidden == 0) {
		printf("%s\n", body);
		goto out;
	}
	printf("%s\n", stored ? stored : visible ? visible : "");
	printf("  [... %zu line%s of quote or signature hidden; ticketctl show --full shows them]\n",
	       hidden, hidden == 1 ? "" : "s");
out:
	free(visible);
	free(quoted);
}

static void
print_ticket(const struct config *cfg, json_t *t, bool full)
{
	size_t i;
	json_t *m, *e;

	printf("%s  %s\n", ctl_jstr(t, "ref"), ctl_jstr(t, "subject"));
	printf("  status %s, priority %s, queue %s, assignee %s, requester %s\n",
	       ctl_jstr(t, "status"), ctl_jstr(t, "priority"), ctl_jstr(t, "queue"),
	       ctl_jstr(t, "assignee"), ctl_jstr(t, "requester"));
	printf("  category %s, type %s, created %s\n", ctl_jstr(t, "category"), ctl_jstr(t, "type"),
	       ctl_jstr(t, "created_at"));
	if (json_is_string(json_object_get(t, "merged_into")))
		printf("  merged into %s (ticketctl merge)\n", ctl_jstr(t, "merged_into"));
	ctl_sla_print(cfg, t);
	ctl_incident_print(t);
	json_array_foreach(json_object_get(t, "messages"), i, m) {
		printf("\n--- message %lld (%s, %s) from %s at %s\n",
		       (long long)json_integer_value(json_object_get(m, "id")), ctl_jstr(m, "direction"),
		       ctl_jstr(m, "visibility"), ctl_jstr(m, "author"), ctl_jstr(m, "created_at"));
		if (json_is_string(json_object_get(m, "parse_warning")))
			printf("  [warning: %s]\n", ctl_jstr(m, "parse_warning"));
		print_text(m, full);
		print_attachments(json_object_get(m, "attachments"));
	}
	printf("\nevents:\n");
	json_array_foreach(json_object_get(t, "events"), i, e) {
		printf("  %s %s %s: %s -> %s%s%s\n", ctl_jstr(e, "created_at"), ctl_jstr(e, "actor"),
		       ctl_jstr(e, "action"), ctl_jstr(e, "old_value"), ctl_jstr(e, "new_value"),
		       json_is_string(json_object_get(e, "detail")) ? " " : "",
		       json_is_string(json_object_get(e, "detail")) ? ctl_jstr(e, "detail") : "");
	}
}

static int
show(const struct ctl_args *a)
{
	const char *tenant = ctl_str(a, "tenant") ? ctl_str(a, "tenant") : "default";
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	PGresult *res = NULL;
	int64_t id = 0;
	int rc;
	char sid[24];

	if ((rc = ctl_open_args(a, &cfg, &st)) != CTL_OK)
		return rc;
	if ((rc = ctl_ticket_find(st, tenant, a->pos[0], &id)) != CTL_OK)
		goto out;
	snprintf(sid, sizeof(sid), "%lld", (long long)id);
	if (store_exec(st, &res, &err,
	               "SELECT (" TICKET_JSON "::jsonb || jsonb_build_object("
	               "'messages', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', m.id, "
	               "'direction', m.direction, 'visibility', m.visibility, 'author', m.author, "
	               "'message_id', m.message_id, 'subject', m.subject, 'body_text', m.body_text, "
	               "'visible_text', m.visible_text, 'parse_warning', m.parse_warning, "
	               "'reused_message_id', m.reused_message_id, 'created_at', m.created_at, "
	               "'attachments', "
	               "(SELECT coalesce(jsonb_agg(jsonb_build_object('id', x.id, 'filename', "
	               "x.filename, 'content_type', x.content_type, 'size', x.size, 'sha256', "
	               "x.sha256, 'scan_status', x.scan_status, 'scan_detail', x.scan_detail, "
	               "'stored', x.stored) ORDER BY x.id), '[]') FROM attachments x "
	               "WHERE x.message_id = m.id)) ORDER BY m.id), '[]') FROM messages m "
	               "WHERE m.ticket_id = t.id), "
	               CTL_INCIDENT_JSON
	               "'events', (SELECT coalesce(jsonb_agg(jsonb_build_object('actor', e.actor, "
	               "'action', e.action, 'old_value', e.old_value, 'new_value', e.new_value, "
	               "'detail', e.detail, 'created_at', e.created_at) ORDER BY e.id), '[]') "
	               "FROM ticket_events e WHERE e.ticket_id = t.id)))::text" TICKET_FROM
	               "WHERE t.id = $1::bigint", 1, sid) < 0) {
		rc = ctl_db_error(&err);
		goto out;
	}
	if (ctl_flag(a, "json")) {
		printf("%s\n", PQgetvalue(res, 0, 0));
	} else {
		json_t *t = json_loads(PQgetvalue(res, 0, 0), 0, NULL);

		print_ticket(cfg, t, ctl_flag(a, "full"));
		json_decref(t);
	}
out:
	PQclear(res);
	store_close(&st);
	config_unref(&cfg);
	return rc;
}

static const char *const status_choices[] = { "new", "open", "in_progress", "pending",
	                                      "resolved", "closed", "reopened", NULL };
static const struct ctl_opt list_opts[] = {
	{ "status", 0, CTL_STR, "S", "in status S", status_choices },
	{ "queue", 0, CTL_STR, "Q", "in queue Q", NULL, CTL_CHECK_QUEUE },
	{ "assignee", 0, CTL_STR, "A", "assigned to agent A (none: unassigned)" },
	{ "requester", 0, CTL_STR, "ADDR", "asked by ADDR" },
	{ "tag", 0, CTL_STR, "TAG", "tagged TAG" },
	{ "category", 0, CTL_STR, "C", "of category C" },
	{ "since", 0, CTL_DATE, "DATE", "created on or after DATE (2026-12-01, 2026-12-01T09:00)" },
	{ "until", 0, CTL_DATE, "DATE", "created before DATE (a day: up to its end)" },
	{ "tenant", 0, CTL_STR, "T", "of tenant T", NULL, CTL_CHECK_TENANT },
	{ "breached", 0, CTL_FLAG, NULL, "whose response or resolution target was missed" },
	{ "due-within", 0, CTL_DURATION, "DURATION", "with an SLA clock due within DURATION (4h)" },
	{ "limit", 0, CTL_NUM, "N", "at most N tickets (default 100)" },
	{ "json", 0, CTL_FLAG, NULL, "the tickets as a JSON array" },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_list = {
	.name = "list", .opts = list_opts, .run = list,
	.summary = "list tickets, newest first, with the SLA time left",
};

static const struct ctl_opt show_opts[] = {
	{ "json", 0, CTL_FLAG, NULL, "everything as JSON" },
	{ "full", 0, CTL_FLAG, NULL, "every message whole, quotes included" },
	{ "tenant", 0, CTL_STR, "T", "the ticket's tenant (default: default)", NULL,
	  CTL_CHECK_TENANT },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_show = {
	.name = "show", .args = "NUMBER", .min_pos = 1, .max_pos = 1, .opts = show_opts,
	.run = show, .summary = "a ticket with its messages, attachments and events",
};
