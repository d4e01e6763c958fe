/*
 * ctl_tickets.c: ticketctl list, show and set. JSON is built by
 * PostgreSQL itself (json_build_object), so --json output and the table
 * view come from one query each.
 */
#include <getopt.h>
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
#include "ynode.h"

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
	"t.linked_ticket_id, 'sla', " TICKET_SLA_JSON ")"
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

static int
db_fail(const struct tk_err *err)
{
	fprintf(stderr, "ticketctl: %s\n", err->msg);
	return err->temporary ? CTL_TEMPFAIL : CTL_USAGE;
}

static const char *
jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static void
print_table(const struct config *cfg, json_t *list)
{
	size_t i;
	json_t *t;
	char sla[32];

	printf("%-12s %-11s %-8s %-12s %-10s %-14s %s\n", "TICKET", "STATUS", "PRIORITY", "QUEUE",
	       "ASSIGNEE", "SLA", "SUBJECT");
	json_array_foreach(list, i, t) {
		printf("%-12s %-11s %-8s %-12s %-10s %-14s %.60s\n", jstr(t, "ref"), jstr(t, "status"),
		       jstr(t, "priority"), jstr(t, "queue"), jstr(t, "assignee"),
		       ctl_sla_column(cfg, t, sla, sizeof(sla)), jstr(t, "subject"));
	}
}

int
ctl_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "status", required_argument, NULL, 's' },
		{ "queue", required_argument, NULL, 'q' }, { "assignee", required_argument, NULL, 'a' },
		{ "tenant", required_argument, NULL, 't' }, { "limit", required_argument, NULL, 'l' },
		{ "breached", no_argument, NULL, 'b' }, { "due-within", required_argument, NULL, 'd' },
		{ 0 },
	};
	const char *status = NULL, *queue = NULL, *assignee = NULL, *tenant = NULL, *limit = "100";
	const char *breached = NULL;
	char within[24] = "";
	int64_t within_ms = 0;
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	PGresult *res = NULL;
	int opt, json = 0, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'j': json = 1; break;
		case 's': status = optarg; break;
		case 'q': queue = optarg; break;
		case 'a': assignee = optarg; break;
		case 't': tenant = optarg; break;
		case 'l': limit = optarg; break;
		case 'b': breached = "t"; break;
		case 'd':
			if (ynode_parse_duration_ms(optarg, &within_ms) < 0 || within_ms < 0) {
				fprintf(stderr, "ticketctl: --due-within: \"%s\" is not a duration "
				        "(30m, 2h, 1d)\n", optarg);
				return CTL_USAGE;
			}
			snprintf(within, sizeof(within), "%lld", (long long)(within_ms / 1000));
			break;
		default: return CTL_USAGE;
		}
	}
	if (optind != argc || atoi(limit) <= 0) {
		fprintf(stderr, "usage: ticketctl list [--json] [--status S] [--queue Q] "
		                "[--assignee A] [--tenant T] [--breached] [--due-within DURATION] "
		                "[--limit N]\n");
		return CTL_USAGE;
	}
	if ((rc = ctl_open(&cfg, &st)) != CTL_OK)
		return rc;
	if (store_exec(st, &res, &err,
	               "SELECT coalesce(json_agg(x.j ORDER BY x.id DESC), '[]')::text FROM "
	               "(SELECT t.id, " TICKET_JSON " AS j" TICKET_FROM
	               "WHERE ($1::text IS NULL OR t.status = $1) AND ($2::text IS NULL OR t.queue = $2) "
	               "AND ($3::text IS NULL OR a.name = $3) AND ($4::text IS NULL OR n.name = $4) "
	               "AND ($6::text IS NULL OR t.response_breached OR t.resolution_breached) "
	               "AND ($7::bigint IS NULL OR (t.response_due_at <= now() + $7::bigint * "
	               "interval '1 second' AND NOT t.response_breached) OR (t.resolution_due_at <= "
	               "now() + $7::bigint * interval '1 second' AND NOT t.resolution_breached)) "
	               "ORDER BY t.id DESC LIMIT $5::int) x",
	               7, status, queue, assignee, tenant, limit, breached,
	               within[0] ? within : NULL) < 0) {
		rc = db_fail(&err);
	} else if (json) {
		printf("%s\n", PQgetvalue(res, 0, 0));
	} else {
		json_t *list = json_loads(PQgetvalue(res, 0, 0), 0, NULL);

		print_table(cfg, list);
		json_decref(list);
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
			printf("  [attachment %lld: %s (%s, %lld bytes, %s)]\n", id, jstr(a, "filename"),
			       jstr(a, "content_type"),
			       (long long)json_integer_value(json_object_get(a, "size")),
			       jstr(a, "scan_status"));
		else
			printf("  [attachment %lld: %s held back: %s: %s]\n", id, jstr(a, "filename"),
			       jstr(a, "scan_status"), jstr(a, "scan_detail"));
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
	const char *body = jstr(m, "body_text");
	const char *stored = json_string_value(json_object_get(m, "visible_text"));
	char *visible = NULL, *quoted = NULL;
	size_t hidden;

	/* ticketd's own mail is shown as it was sent. */
	if (full || strcmp(jstr(m, "direction"), "in") != 0 ||
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

	printf("%s  %s\n", jstr(t, "ref"), jstr(t, "subject"));
	printf("  status %s, priority %s, queue %s, assignee %s, requester %s\n", jstr(t, "status"),
	       jstr(t, "priority"), jstr(t, "queue"), jstr(t, "assignee"), jstr(t, "requester"));
	printf("  category %s, type %s, created %s\n", jstr(t, "category"), jstr(t, "type"),
	       jstr(t, "created_at"));
	ctl_sla_print(cfg, t);
	ctl_incident_print(t);
	json_array_foreach(json_object_get(t, "messages"), i, m) {
		printf("\n--- message %lld (%s, %s) from %s at %s\n",
		       (long long)json_integer_value(json_object_get(m, "id")), jstr(m, "direction"),
		       jstr(m, "visibility"), jstr(m, "author"), jstr(m, "created_at"));
		if (json_is_string(json_object_get(m, "parse_warning")))
			printf("  [warning: %s]\n", jstr(m, "parse_warning"));
		print_text(m, full);
		print_attachments(json_object_get(m, "attachments"));
	}
	printf("\nevents:\n");
	json_array_foreach(json_object_get(t, "events"), i, e) {
		printf("  %s %s %s: %s -> %s%s%s\n", jstr(e, "created_at"), jstr(e, "actor"),
		       jstr(e, "action"), jstr(e, "old_value"), jstr(e, "new_value"),
		       json_is_string(json_object_get(e, "detail")) ? " " : "",
		       json_is_string(json_object_get(e, "detail")) ? jstr(e, "detail") : "");
	}
}

static int
parse_tenant_opt(int argc, char **argv, const char **tenant, int *json, int *full)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "tenant", required_argument, NULL, 't' },
		{ "full", no_argument, NULL, 'f' }, { 0 },
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (opt == 'j' && json)
			*json = 1;
		else if (opt == 'f' && full)
			*full = 1;
		else if (opt == 't')
			*tenant = optarg;
		else
			return -1;
	}
	return 0;
}

int
ctl_show(int argc, char **argv)
{
	const char *tenant = "default";
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	PGresult *res = NULL;
	int64_t id = 0;
	int json = 0, full = 0, rc, found;
	char sid[24];

	if (parse_tenant_opt(argc, argv, &tenant, &json, &full) < 0 || optind + 1 != argc) {
		fprintf(stderr, "usage: ticketctl show [--json] [--full] [--tenant T] NUMBER\n");
		return CTL_USAGE;
	}
	if ((rc = ctl_open(&cfg, &st)) != CTL_OK)
		return rc;
	found = store_ticket_find(st, tenant, argv[optind], &id, &err);
	if (found <= 0) {
		if (found == 0)
			fprintf(stderr, "ticketctl: no ticket %s in tenant %s\n", argv[optind], tenant);
		rc = found < 0 ? db_fail(&err) : CTL_USAGE;
		goto out;
	}
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
		rc = db_fail(&err);
		goto out;
	}
	if (json) {
		printf("%s\n", PQgetvalue(res, 0, 0));
	} else {
		json_t *t = json_loads(PQgetvalue(res, 0, 0), 0, NULL);

		print_ticket(cfg, t, full);
		json_decref(t);
	}
out:
	PQclear(res);
	store_close(&st);
	config_unref(&cfg);
	return rc;
}

/* A status change also queues the customer's resolved/closed notice (convo.h). */
static int
apply_set(struct store *st, const struct config *cfg, int64_t id, const char *field,
          const char *value, struct tk_err *err)
{
	char actor[128];
	int changed = 0;

	ctl_actor(actor, sizeof(actor));
	/* an admin acting on the ticket acknowledges it, as an agent's action does */
	if (store_ticket_ack(st, id, actor, "ticketctl set", false, NULL, err) < 0)
		return -1;
	if (strcmp(field, "status") == 0)
		return store_ticket_set_status(st, id, value, actor, NULL, &changed, err) < 0 ? -1 :
		       changed && cfg ? convo_notify_status(st, cfg, id, value, NULL, err) : 0;
	if (strcmp(field, "priority") == 0)
		return store_ticket_set_priority(st, id, value, actor, err);
	return store_ticket_set_assignee(st, id, value, actor, err);
}

int
ctl_set(int argc, char **argv)
{
	const char *tenant = "default", *field, *value;
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	int64_t id = 0;
	int rc, found;

	if (parse_tenant_opt(argc, argv, &tenant, NULL, NULL) < 0 || optind + 3 != argc)
		goto usage;
	field = argv[optind + 1];
	value = argv[optind + 2];
	if (strcmp(field, "status") != 0 && strcmp(field, "priority") != 0 &&
	    strcmp(field, "assignee") != 0)
		goto usage;
	if ((rc = ctl_open(&cfg, &st)) != CTL_OK)
		return rc;
	if (store_begin(st, &err) < 0 ||
	    (found = store_ticket_find(st, tenant, argv[optind], &id, &err)) < 0) {
		rc = db_fail(&err);
	} else if (found == 0) {
		fprintf(stderr, "ticketctl: no ticket %s in tenant %s\n", argv[optind], tenant);
		rc = CTL_USAGE;
	} else if (apply_set(st, cfg, id, field, value, &err) < 0 || store_commit(st, &err) < 0) {
		rc = db_fail(&err);
	} else {
		printf("%s %s: %s\n", argv[optind], field, value);
	}
	store_rollback(st);
	store_close(&st);
	config_unref(&cfg);
	return rc;
usage:
	fprintf(stderr, "usage: ticketctl set [--tenant T] NUMBER status|priority|assignee VALUE\n");
	return CTL_USAGE;
}
