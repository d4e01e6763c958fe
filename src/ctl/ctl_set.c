/*
 * ctl_set.c: `ticketctl set NUMBER FIELD VALUE`: change a ticket's status,
 * priority, assignee, queue, category or tags, with an audit event, as an
 * admin acting on the ticket (which acknowledges it, as an agent's action
 * does). A status change also queues the customer's resolved/closed notice
 * (convo.h).
 */
/* System. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "buf.h"
#include "config.h"
#include "convo.h"
#include "ctl.h"
#include "lifecycle.h"
#include "store.h"
#include "store_ticket.h"

static const char *const fields[] = { "status", "priority", "assignee", "queue", "category",
	                              "tags", NULL };

/* A plain column (queue, category): the old value, the new one, an event. */
static int
set_column(struct store *st, int64_t id, const char *field, const char *value,
           const char *actor, struct tk_err *err)
{
	PGresult *res = NULL;
	char sid[24];
	int rc;

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	/* the column name comes from the static table above, never from input */
	rc = store_exec(st, &res, err, strcmp(field, "queue") == 0 ?
	                "SELECT queue FROM tickets WHERE id = $1::bigint FOR UPDATE" :
	                "SELECT category FROM tickets WHERE id = $1::bigint FOR UPDATE", 1, sid);
	if (rc == 0 && strcmp(PQgetvalue(res, 0, 0), value) != 0) {
		char *old = PQgetisnull(res, 0, 0) ? NULL : PQgetvalue(res, 0, 0);

		rc = store_exec(st, NULL, err, strcmp(field, "queue") == 0 ?
		                "UPDATE tickets SET queue = $2, updated_at = now() WHERE id = $1::bigint" :
		                "UPDATE tickets SET category = $2, updated_at = now() WHERE id = $1::bigint",
		                2, sid, value);
		if (rc == 0)
			rc = store_ticket_event(st, id, actor, field, old, value, NULL, err);
	}
	PQclear(res);
	return rc;
}

/*
 * Tags: "a,b" is the whole list ("" none); "+a,-b" adds a and removes b.
 * The event records the list before and after.
 */
static int
set_tags(struct store *st, int64_t id, const char *value, const char *actor, struct tk_err *err)
{
	struct buf add, del, all;
	bool edit = value[0] == '+' || value[0] == '-';
	PGresult *res = NULL;
	char sid[24], *copy = strdup(value), *save = NULL;
	int rc;

	buf_init(&add, 0);
	buf_init(&del, 0);
	buf_init(&all, 0);
	(void)buf_puts(&add, "{");
	(void)buf_puts(&del, "{");
	(void)buf_puts(&all, "{");
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		struct buf *b = !edit ? &all : *t == '-' ? &del : &add;

		if (edit && (*t == '+' || *t == '-'))
			t++;
		if (*t == '\0')
			continue;
		(void)buf_printf(b, "%s\"", b->len > 1 ? "," : "");
		for (; *t; t++)
			(void)buf_printf(b, "%s%c", *t == '"' || *t == '\\' ? "\\" : "", *t);
		(void)buf_putc(b, '"');
	}
	(void)buf_putc(&add, '}');
	(void)buf_putc(&del, '}');
	(void)buf_putc(&all, '}');
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	rc = store_exec(st, &res, err,
	                "WITH old AS (SELECT tags FROM tickets WHERE id = $1::bigint FOR UPDATE), "
	                "new AS (SELECT CASE WHEN $2::boolean THEN ARRAY(SELECT DISTINCT x FROM "
	                "unnest(old.tags || $3::text[]) x WHERE x <> ALL ($4::text[]) ORDER BY x) "
	                "ELSE ARRAY(SELECT DISTINCT x FROM unnest($5::text[]) x ORDER BY x) END "
	                "AS tags FROM old) UPDATE tickets t SET tags = new.tags, updated_at = now() "
	                "FROM old, new WHERE t.id = $1::bigint AND old.tags IS DISTINCT FROM new.tags "
	                "RETURNING array_to_string(old.tags, ','), array_to_string(new.tags, ',')",
	                5, sid, edit ? "true" : "false", add.data, del.data, all.data);
	if (rc == 0 && PQntuples(res) == 1)
		rc = store_ticket_event(st, id, actor, "tags", PQgetvalue(res, 0, 0),
		                        PQgetvalue(res, 0, 1), NULL, err);
	PQclear(res);
	free(copy);
	buf_fini(&add);
	buf_fini(&del);
	buf_fini(&all);
	return rc;
}

/*
 * A status by the words of email commands and rules (lifecycle.h): "open"
 * on a done ticket reopens it; the customer's notice names the status
 * reached.
 */
static int
set_status(struct store *st, const struct config *cfg, int64_t id, const char *value,
           const char *actor, const char *reason, struct tk_err *err)
{
	const char *want = lc_status_canonical(value);
	PGresult *res = NULL;
	char sid[24], *now;
	int changed = 0, rc;

	if (want == NULL)
		return tk_err_set(err, "\"%s\" is not a status (" LC_STATUS_WORDS ")", value);
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	if (store_ticket_set_status(st, id, want, actor, reason, &changed, err) < 0 ||
	    store_exec(st, &res, err, "SELECT status FROM tickets WHERE id = $1::bigint", 1, sid) < 0)
		return -1;
	now = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	rc = changed && cfg ? convo_notify_status(st, cfg, id, now, NULL, err) : 0;
	free(now);
	return rc;
}

static int
apply_set(struct store *st, const struct config *cfg, int64_t id, const char *field,
          const char *value, const char *reason, struct tk_err *err)
{
	char actor[128], why[256];

	ctl_actor(actor, sizeof(actor));
	/* an admin acting on the ticket acknowledges it, as an agent's action does */
	if (store_ticket_ack(st, id, actor, "ticketctl set", false, NULL, err) < 0)
		return -1;
	if (strcmp(field, "status") == 0)
		return set_status(st, cfg, id, value, actor, reason, err);
	if (strcmp(field, "priority") == 0)
		return store_ticket_set_priority(st, id, value, actor, err);
	snprintf(why, sizeof(why), "ticketctl set%s%s", reason ? ": " : "", reason ? reason : "");
	if (strcmp(field, "assignee") == 0)   /* who and why (doc/agents.md); auto: the assigner */
		return store_ticket_set_assignee(st, id, value, actor, why, err);
	if (strcmp(field, "tags") == 0)
		return set_tags(st, id, value, actor, err);
	return set_column(st, id, field, value, actor, err);
}

/* A category must be one the configuration lists (when it lists any). */
static int
check_category(const struct ctl_cmd *cmd, const struct config *cfg, const char *value)
{
	for (size_t i = 0; cfg && i < cfg->n_categories; i++)
		if (strcmp(cfg->categories[i], value) == 0)
			return CTL_OK;
	if (cfg == NULL || cfg->n_categories == 0)
		return CTL_OK;
	fprintf(stderr, "ticketctl %s: \"%s\" is not a category of %s\n", cmd->name, value,
	        cfg->path);
	return CTL_USAGE;
}

static int
set(const struct ctl_args *a)
{
	const char *tenant = ctl_str(a, "tenant") ? ctl_str(a, "tenant") : "default";
	const char *field = a->pos[1], *value = a->pos[2];
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	int64_t id = 0;
	size_t f = 0;
	int rc;

	while (fields[f] && strcmp(fields[f], field) != 0)
		f++;
	if (fields[f] == NULL)
		return ctl_usage_error(a->cmd, "\"%s\" is not a field (status, priority, assignee, "
		                       "queue, category, tags)", field);
	if (strcmp(field, "tags") != 0 && *value == '\0')
		return ctl_usage_error(a->cmd, "the %s is empty", field);
	if ((rc = ctl_open_args(a, &cfg, &st)) != CTL_OK)
		return rc;
	if (strcmp(field, "category") == 0)
		rc = check_category(a->cmd, cfg, value);
	if (rc == CTL_OK && store_begin(st, &err) < 0)
		rc = ctl_db_error(&err);
	if (rc == CTL_OK)
		rc = ctl_ticket_find(st, tenant, a->pos[0], &id);
	if (rc == CTL_OK && (apply_set(st, cfg, id, field, value, ctl_str(a, "reason"), &err) < 0 ||
	                     store_commit(st, &err) < 0))
		rc = ctl_db_error(&err);
	if (rc == CTL_OK)
		printf("%s %s: %s\n", a->pos[0], field, value);
	store_rollback(st);
	store_close(&st);
	config_unref(&cfg);
	return rc;
}

static const struct ctl_opt set_opts[] = {
	{ "tenant", 0, CTL_STR, "T", "the ticket's tenant (default: default)", NULL,
	  CTL_CHECK_TENANT },
	{ "reason", 0, CTL_STR, "TEXT", "why, for the audit (an assignee, a status)", NULL,
	  CTL_CHECK_NONE },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_set = {
	.name = "set", .args = "NUMBER status|priority|assignee|queue|category|tags VALUE",
	.min_pos = 3, .max_pos = 3, .opts = set_opts, .run = set,
	.summary = "change a ticket (the words of email commands and rules: urgent, in-progress; "
	           "assignee NAME, none or auto; tags: a,b sets the list; +a,-b adds and removes)",
};
