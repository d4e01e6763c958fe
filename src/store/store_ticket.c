/*
 * store_ticket.c: ticket rows, their lifecycle changes and audit events.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "lifecycle.h"
#include "sla_start.h"
#include "store_message.h"
#include "store_ticket.h"
#include "xalloc.h"

int
store_tenant_id(struct store *st, const char *name, int64_t *id_r, struct tk_err *err)
{
	PGresult *res = NULL;
	int rc = -1;

	if (store_cache_get(st, name, id_r))
		return 0;
	if (store_exec(st, &res, err,
	               "WITH ins AS (INSERT INTO tenants (name) VALUES ($1) "
	               "ON CONFLICT (name) DO NOTHING RETURNING id) "
	               "SELECT id, false FROM ins UNION ALL SELECT id, true FROM tenants WHERE name = $1",
	               1, name) < 0)
		return -1;
	if (PQntuples(res) < 1) {
		tk_err_set(err, "tenant \"%s\" could not be created", name);
		goto out;
	}
	*id_r = store_int(res, 0, 0);
	/* Cache only a tenant that was committed before: one created in this
	 * transaction may still roll back. */
	if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
		store_cache_put(st, name, *id_r);
	rc = 0;
out:
	PQclear(res);
	return rc;
}

int
store_ticket_create(struct store *st, const struct ticket_new *tn, int64_t *id_r,
                    int64_t *number_r, struct tk_err *err)
{
	char tenant_id[24], level[16];
	char *tags = store_text_array(tn->tags, tn->n_tags);
	PGresult *res = NULL;
	int64_t tid;
	int rc = -1;

	if (store_tenant_id(st, tn->tenant ? tn->tenant : "default", &tid, err) < 0)
		goto out;
	snprintf(tenant_id, sizeof(tenant_id), "%" PRId64, tid);
	snprintf(level, sizeof(level), "%d", tn->skill_level);
	if (store_exec(st, &res, err,
	               "INSERT INTO tickets (tenant_id, number, subject, priority, category, type, "
	               "impact, queue, assignee_id, required_skill, required_level, requester, "
	               "source_id, sla_policy, tags, alert_key, alert_count, alert_last_seen, "
	               "assign_mode) "
	               "VALUES ($1::bigint, ticketd_next_number($1::bigint), coalesce($2::text, ''), "
	               "coalesce($3::text, 'medium'), $4::text, coalesce($5::text, 'request'), $6::text, "
	               "coalesce($7::text, 'support'), (SELECT id FROM agents WHERE name = $8::text), "
	               "$9::text, CASE WHEN $9::text IS NULL THEN NULL ELSE $10::int END, $11::text, "
	               "(SELECT id FROM sources WHERE name = $12::text), $13::text, $14::text[], "
	               "$15::text, CASE WHEN $15::text IS NULL THEN 0 ELSE 1 END, "
	               "CASE WHEN $15::text IS NULL THEN NULL ELSE now() END, $16::text) "
	               "RETURNING id, number",
	               16, tenant_id, tn->subject, tn->priority, tn->category, tn->type, tn->impact,
	               tn->queue, tn->assignee, tn->skill, level, tn->requester, tn->source,
	               tn->sla_policy, tags, tn->alert_key, tn->assign_mode) < 0)
		goto out;
	*id_r = store_int(res, 0, 0);
	if (number_r)
		*number_r = store_int(res, 0, 1);
	if (store_ticket_event(st, *id_r, tn->actor ? tn->actor : "system", "created", NULL, "new",
	                       NULL, err) < 0)
		goto out;
	if (tn->assignee && store_ticket_event(st, *id_r, tn->actor ? tn->actor : "system",
	                                       "assignee", NULL, tn->assignee, NULL, err) < 0)
		goto out;
	rc = 0;
out:
	PQclear(res);
	free(tags);
	return rc;
}

int
store_ticket_open(struct store *st, const struct ticket_new *tn, const struct message_new *mn,
                  const char *const *addrs, const char *const *roles, size_t n_addrs,
                  int64_t *id_r, int64_t *number_r, int64_t *message_id_r, struct tk_err *err)
{
	char tenant_id[24], level[16], inbound[24];
	char sla_s[5][24];
	const struct sla_start *sla = tn->sla && !tn->sla->look_now ? tn->sla : NULL;
	const char *sla_v[5] = { NULL };
	char *tags = store_text_array(tn->tags, tn->n_tags);
	char *refs = store_text_array(mn->refs, mn->n_refs);
	char *paddrs = store_text_array(addrs, n_addrs);
	char *proles = store_text_array(roles, n_addrs);
	PGresult *res = NULL;
	int64_t tid;
	int rc = -1;

	if (store_tenant_id(st, tn->tenant ? tn->tenant : "default", &tid, err) < 0)
		goto out;
	snprintf(tenant_id, sizeof(tenant_id), "%" PRId64, tid);
	snprintf(level, sizeof(level), "%d", tn->skill_level);
	snprintf(inbound, sizeof(inbound), "%" PRId64, mn->inbound_id);
	if (sla && sla->calendar) {   /* a policy applies: its targets, due times, first step */
		const int64_t v[5] = { sla->response_s, sla->resolution_s, sla->response_in,
		                       sla->resolution_in, sla->next_in };

		for (int i = 0; i < 5; i++) {
			snprintf(sla_s[i], sizeof(sla_s[i]), "%" PRId64, v[i]);
			sla_v[i] = v[i] >= 0 ? sla_s[i] : NULL;
		}
	}
	if (store_exec(st, &res, err,
	               "WITH t AS (INSERT INTO tickets (tenant_id, number, subject, priority, "
	               "category, type, impact, queue, assignee_id, required_skill, required_level, "
	               "requester, source_id, sla_policy, tags, sla_applied, sla_calendar, "
	               "sla_response_target_s, sla_resolution_target_s, response_due_at, "
	               "resolution_due_at, sla_next_at, response_left_s, resolution_left_s, "
	               "sla_seen_status, sla_seen_assignee, sla_computed_at, assign_mode) "
	               "VALUES ($1::bigint, ticketd_next_number($1::bigint), coalesce($2::text, ''), "
	               "coalesce($3::text, 'medium'), $4::text, coalesce($5::text, 'request'), "
	               "$6::text, coalesce($7::text, 'support'), "
	               "(SELECT id FROM agents WHERE name = $8::text), $9::text, "
	               "CASE WHEN $9::text IS NULL THEN NULL ELSE $10::int END, $11::text, "
	               "(SELECT id FROM sources WHERE name = $12::text), $13::text, $14::text[], "
	               /* the SLA at creation (sla_start.h); NULL: the escalator's first look */
	               "$32::text, $33::text, $34::int, $35::int, "
	               "now() + $36::bigint * interval '1 second', "
	               "now() + $37::bigint * interval '1 second', "
	               "now() + $38::bigint * interval '1 second', $34::bigint, $35::bigint, "
	               "CASE WHEN $32::text IS NULL THEN NULL ELSE 'new' END, "
	               "CASE WHEN $32::text IS NULL THEN NULL ELSE "
	               "(SELECT id FROM agents WHERE name = $8::text) END, "
	               "CASE WHEN $32::text IS NULL THEN NULL ELSE now() END, $39::text) "
	               "RETURNING id, number), "
	               "e AS (INSERT INTO ticket_events (ticket_id, actor, action, new_value) "
	               "SELECT id, $15::text, 'created', 'new' FROM t UNION ALL "
	               "SELECT id, $15::text, 'assignee', $8::text FROM t WHERE $8::text IS NOT NULL), "
	               "m AS (INSERT INTO messages (ticket_id, direction, visibility, author, "
	               "message_id, in_reply_to, refs, subject, headers, body_text, visible_text, "
	               "inbound_id, parse_warning, content_sha256, reused_message_id) "
	               "SELECT t.id, $16::text, coalesce($17::text, 'public'), $18::text, "
	               "$19::text, $20::text, $21::text[], $22::text, coalesce($23::text, '[]')::jsonb, "
	               "coalesce($24::text, ''), $25::text, nullif($26::bigint, 0), $29::text, "
	               "$30::text, $31::text FROM t RETURNING id), "
	               "p AS (INSERT INTO ticket_participants (ticket_id, address, role) "
	               "SELECT DISTINCT ON (lower(u.a)) t.id, lower(u.a), u.r FROM t, "
	               "unnest($27::text[], $28::text[]) AS u(a, r) WHERE u.a <> '' "
	               "ORDER BY lower(u.a), u.r = 'requester' DESC ON CONFLICT DO NOTHING) "
	               "SELECT t.id, t.number, m.id FROM t, m",
	               39, tenant_id, tn->subject, tn->priority, tn->category, tn->type, tn->impact,
	               tn->queue, tn->assignee, tn->skill, level, tn->requester, tn->source,
	               tn->sla_policy, tags, tn->actor ? tn->actor : "system", mn->direction,
	               mn->visibility, mn->author, mn->message_id, mn->in_reply_to, refs,
	               mn->subject, mn->headers_json, mn->body_text, mn->visible_text, inbound,
	               paddrs, proles, mn->parse_warning, mn->content_sha256,
	               mn->reused_message_id, sla ? sla->applied : NULL, sla ? sla->calendar : NULL,
	               sla_v[0], sla_v[1], sla_v[2], sla_v[3], sla_v[4], tn->assign_mode) < 0)
		goto out;
	*id_r = store_int(res, 0, 0);
	if (number_r)
		*number_r = store_int(res, 0, 1);
	if (message_id_r)
		*message_id_r = store_int(res, 0, 2);
	rc = 0;
out:
	PQclear(res);
	free(tags);
	free(refs);
	free(paddrs);
	free(proles);
	return rc;
}

int
store_ticket_find(struct store *st, const char *tenant, const char *ref, int64_t *id_r,
                  struct tk_err *err)
{
	const char *num = strrchr(ref, '-');
	PGresult *res = NULL;
	char *end;
	int rc;

	num = num ? num + 1 : ref;
	if (*num == '#')
		num++;
	if (*num == '\0' || (strtoll(num, &end, 10), *end != '\0'))
		return tk_err_set(err, "\"%s\" is not a ticket number (NUMBER or PREFIX-NUMBER)", ref);
	if (store_exec(st, &res, err,
	               "SELECT t.id FROM tickets t JOIN tenants n ON n.id = t.tenant_id "
	               "WHERE n.name = $1 AND t.number = $2::bigint",
	               2, tenant, num) < 0)
		return -1;
	rc = PQntuples(res) > 0;
	if (rc)
		*id_r = store_int(res, 0, 0);
	PQclear(res);
	return rc;
}

int
store_ticket_event(struct store *st, int64_t id, const char *actor, const char *action,
                   const char *old_value, const char *new_value, const char *detail,
                   struct tk_err *err)
{
	char sid[24];

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	return store_exec(st, NULL, err,
	                  "INSERT INTO ticket_events (ticket_id, actor, action, old_value, new_value, "
	                  "detail) VALUES ($1, $2, $3, $4, $5, $6)",
	                  6, sid, actor, action, old_value, new_value, detail);
}

int
store_ticket_ack(struct store *st, int64_t id, const char *actor, const char *how, bool explicit,
                 int *cancelled_r, struct tk_err *err)
{
	char sid[24], detail[200];
	PGresult *res = NULL;
	int n;

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	if (store_exec(st, &res, err,
	               "WITH t AS (UPDATE tickets SET acked_at = now(), acked_by = $2 "
	               "WHERE id = $1::bigint RETURNING id), "
	               "c AS (UPDATE timers SET state = 'cancelled', fired_at = now(), "
	               "detail = 'acknowledged by ' || $2 WHERE ticket_id = $1::bigint "
	               "AND kind = 'escalate' AND state = 'pending' RETURNING 1) "
	               "SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM c)", 2, sid, actor) < 0)
		return -1;
	if (store_int(res, 0, 0) == 0) {
		PQclear(res);
		return tk_err_set(err, "ticket %" PRId64 " does not exist", id);
	}
	n = (int)store_int(res, 0, 1);
	PQclear(res);
	if (cancelled_r)
		*cancelled_r = n;
	if (!explicit && n == 0)
		return 0;
	snprintf(detail, sizeof(detail), "%s; %d pending escalation level%s cancelled", how, n,
	         n == 1 ? "" : "s");
	return store_ticket_event(st, id, actor, "ack", NULL, NULL, detail, err);
}

int
store_ticket_customer_replied(struct store *st, int64_t id, struct tk_err *err)
{
	char sid[24];

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	return store_exec(st, NULL, err, "UPDATE tickets SET customer_replied_at = now() "
	                  "WHERE id = $1::bigint", 1, sid);
}

/* Lock the ticket row and read one column. */
static int
ticket_lock_get(struct store *st, int64_t id, const char *select, char **value_r,
                struct tk_err *err)
{
	char sid[24], sql[256];
	PGresult *res = NULL;

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	snprintf(sql, sizeof(sql), "SELECT %s FROM tickets t WHERE t.id = $1 FOR UPDATE", select);
	if (store_exec(st, &res, err, sql, 1, sid) < 0)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return tk_err_set(err, "ticket %" PRId64 " does not exist", id);
	}
	*value_r = store_val(res, 0, 0) ? xstrdup(store_val(res, 0, 0)) : NULL;
	PQclear(res);
	return 0;
}

int
store_ticket_set_status(struct store *st, int64_t id, const char *status, const char *actor,
                        const char *detail, int *changed_r, struct tk_err *err)
{
	enum lc_status from, to;
	char *old = NULL, sid[24], sql[256], allowed[128];
	int rc = -1;

	if (changed_r)
		*changed_r = 0;
	if (lc_status_canonical(status) == NULL)
		return tk_err_set(err, "\"%s\" is not a status (" LC_STATUS_WORDS ")", status);
	if (ticket_lock_get(st, id, "status", &old, err) < 0)
		return -1;
	/* one vocabulary (lifecycle.h): aliases, and "open" on a done ticket reopens it */
	status = lc_status_requested(lc_status_canonical(status), old);
	(void)lc_status_parse(status, &to);
	if (lc_status_parse(old, &from) < 0) {
		tk_err_set(err, "ticket %" PRId64 " has unknown status \"%s\"", id, old);
		goto out;
	}
	if (from == to) {
		rc = 0;
		goto out;
	}
	if (!lc_allowed(from, to)) {
		lc_allowed_list(from, allowed, sizeof(allowed));
		tk_err_set(err, "a %s ticket cannot become %s (allowed: %s)", old, status,
		           allowed[0] ? allowed : "none");
		goto out;
	}
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	snprintf(sql, sizeof(sql),
	         "UPDATE tickets SET status = $2, %s = now(), updated_at = now() WHERE id = $1",
	         lc_stamp_column(to));
	if (store_exec(st, NULL, err, sql, 2, sid, status) < 0 ||
	    store_ticket_event(st, id, actor, "status", old, status, detail, err) < 0)
		goto out;
	if (changed_r)
		*changed_r = 1;
	rc = 0;
out:
	xfree(&old);
	return rc;
}

int
store_ticket_set_priority(struct store *st, int64_t id, const char *priority, const char *actor,
                          struct tk_err *err)
{
	char *old = NULL, sid[24];
	int rc = -1;

	if (lc_priority_canonical(priority) == NULL)
		return tk_err_set(err, "\"%s\" is not a priority (" LC_PRIORITY_WORDS ")", priority);
	priority = lc_priority_canonical(priority);
	if (ticket_lock_get(st, id, "priority", &old, err) < 0)
		return -1;
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	if (old && strcmp(old, priority) == 0) {
		rc = 0;
		goto out;
	}
	if (store_exec(st, NULL, err,
	               "UPDATE tickets SET priority = $2, updated_at = now() WHERE id = $1",
	               2, sid, priority) < 0 ||
	    store_ticket_event(st, id, actor, "priority", old, priority, NULL, err) < 0)
		goto out;
	rc = 0;
out:
	xfree(&old);
	return rc;
}

/* What an assignment value asks for: 0 a named agent, 1 nobody, 2 automatic assignment. */
static int
assign_kind(const char *agent)
{
	if (agent == NULL || agent[0] == '\0' || strcmp(agent, "none") == 0)
		return 1;
	return strcmp(agent, "auto") == 0 ? 2 : 0;
}

int
store_ticket_set_assignee(struct store *st, int64_t id, const char *agent, const char *actor,
                          const char *why, struct tk_err *err)
{
	char *old = NULL, sid[24];
	PGresult *res = NULL;
	int kind = assign_kind(agent), rc = -1;

	if (kind == 0) {
		if (store_exec(st, &res, err, "SELECT id FROM agents WHERE name = $1", 1, agent) < 0)
			return -1;
		rc = PQntuples(res);
		PQclear(res);
		if (rc == 0)
			return tk_err_set(err, "no agent named \"%s\"", agent);
		rc = -1;
	}
	if (ticket_lock_get(st, id, "(SELECT name FROM agents a WHERE a.id = t.assignee_id)", &old,
	                    err) < 0)
		return -1;
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	/* auto: back to the assigner (escalate_assign.c), which picks someone now */
	if (store_exec(st, NULL, err,
	               "UPDATE tickets SET assignee_id = (SELECT id FROM agents WHERE name = $2), "
	               "backup_id = CASE WHEN $2::text IS NULL THEN NULL ELSE backup_id END, "
	               "assign_state = CASE WHEN $3::boolean THEN 'due' ELSE assign_state END, "
	               "updated_at = now() WHERE id = $1",
	               3, sid, kind == 0 ? agent : NULL, kind == 2 ? "true" : "false") < 0 ||
	    (kind == 0 && store_exec(st, NULL, err, "UPDATE agents SET last_assigned_at = now() "
	                             "WHERE name = $1", 1, agent) < 0) ||
	    store_ticket_event(st, id, actor, "assignee", old, kind == 0 ? agent : NULL,
	                       kind == 2 ? (why ? why : "back to automatic assignment") : why,
	                       err) < 0)
		goto out;
	rc = 0;
out:
	xfree(&old);
	return rc;
}

int
store_sync_agents(struct store *st, const struct config *cfg, struct tk_err *err)
{
	for (size_t i = 0; i < cfg->n_agents; i++) {
		const struct config_agent *a = &cfg->agents[i];

		if (store_exec(st, NULL, err,
		               "INSERT INTO agents (name, email, display_name) VALUES ($1, $2, "
		               "coalesce($3, '')) ON CONFLICT (name) DO UPDATE SET email = $2, "
		               "display_name = coalesce($3, '')",
		               3, a->name, a->email, a->display_name) < 0 ||
		    store_exec(st, NULL, err,
		               "DELETE FROM agent_skills WHERE agent_id = "
		               "(SELECT id FROM agents WHERE name = $1)", 1, a->name) < 0)
			return -1;
		for (size_t k = 0; k < a->n_skills; k++) {
			char lvl[16];

			snprintf(lvl, sizeof(lvl), "%d", a->levels[k]);
			if (store_exec(st, NULL, err,
			               "INSERT INTO agent_skills (agent_id, skill, level) "
			               "SELECT id, $2, $3::int FROM agents WHERE name = $1",
			               3, a->name, a->skills[k], lvl) < 0)
				return -1;
		}
	}
	return 0;
}

const char *
store_ticket_ref(struct store *st, int64_t id, char *buf, size_t len)
{
	struct tk_err err = { 0 };
	PGresult *res = NULL;
	char sid[24];

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	if (store_exec(st, &res, &err,
	               "SELECT n.ticket_prefix || '-' || t.number FROM tickets t JOIN tenants n "
	               "ON n.id = t.tenant_id WHERE t.id = $1::bigint", 1, sid) == 0 &&
	    PQntuples(res) == 1)
		snprintf(buf, len, "%s", PQgetvalue(res, 0, 0));
	else
		snprintf(buf, len, "ticket id %" PRId64, id);
	PQclear(res);
	return buf;
}
