/*
 * incident.c: alerts -> incident tickets (see incident.h for the rules).
 *
 * Runs in the worker's transaction, inside the item's savepoint: every
 * statement here commits with the inbound row's "done", or not at all.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "config.h"
#include "hook.h"
#include "http_config.h"
#include "incident.h"
#include "incident_int.h"
#include "incident_lock.h"
#include "notice.h"
#include "log.h"
#include "metrics.h"
#include "rules.h"
#include "store.h"
#include "store_message.h"
#include "store_ticket.h"
#include "xalloc.h"

#define INCIDENT_ACTOR "alert"
#define INCIDENT_SUBJECT_MAX 250

struct incident_ctx {
	struct pipeline_ctx *pc;
	const struct inbound_item *item;
	const struct http_source *src;
	const struct http_config *hc;      /* may be NULL: defaults */
	const struct rules *rules;         /* may be NULL: severity decides */
	bool created;                      /* an alert of the item opened an incident */
	bool lock_pending;                 /* the item's one identity lock is still to take: */
	uint32_t lock_hash;                /* bump_open() or lock_take_pending() takes it */
};

/* One alert's identity and what the rules made of it. */
struct incident_alert {
	const struct hook_alert *a;
	char *key;                         /* tickets.alert_key */
	const char *member;                /* incident_alerts.alert */
	struct rules_result *rr;           /* NULL without rules */
};

const char *
incident_severity_priority(const char *sev)
{
	static const struct { const char *sev, *prio; } map[] = {
		{ "critical", "critical" }, { "crit", "critical" }, { "fatal", "critical" },
		{ "emergency", "critical" }, { "page", "critical" }, { "error", "high" },
		{ "err", "high" }, { "high", "high" }, { "major", "high" }, { "warning", "medium" },
		{ "warn", "medium" }, { "minor", "medium" }, { "info", "low" }, { "low", "low" },
		{ "none", "low" },
	};

	for (size_t i = 0; sev && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(sev, map[i].sev) == 0)
			return map[i].prio;
	return "medium";
}

static const char *
field(const struct incident_alert *ia, size_t off, const char *dflt)
{
	const char *v = ia->rr ? *(char *const *)((const char *)&ia->rr->fields + off) : NULL;

	return v ? v : dflt;
}
#define RULE_FIELD(ia, name, dflt) field((ia), offsetof(struct rules_fields, name), (dflt))

/* The item's one identity lock, when it was left to be taken with the first statement. */
static int
lock_take_pending(struct incident_ctx *ic, struct tk_err *err)
{
	char cls[16], key[16];

	if (!ic->lock_pending)
		return 0;
	snprintf(cls, sizeof(cls), "%d", INCIDENT_LOCK_CLASS);
	snprintf(key, sizeof(key), "%" PRId32, (int32_t)ic->lock_hash);
	if (store_exec(ic->pc->st, NULL, err, "SELECT pg_advisory_xact_lock($1::int, $2::int)", 2,
	               cls, key) < 0)
		return -1;
	ic->lock_pending = false;
	return 0;
}

/* The open incident of key, locked: 1 and *id_r, 0 none, -1 error. */
static int
find_open(struct incident_ctx *ic, const char *key, int64_t *id_r, char **status_r,
          struct tk_err *err)
{
	PGresult *res = NULL;
	int found;

	if (store_exec(ic->pc->st, &res, err,
	               "SELECT id, status FROM tickets WHERE alert_key = $1 "
	               "AND status NOT IN ('resolved', 'closed') FOR UPDATE", 1, key) < 0)
		return -1;
	found = PQntuples(res) > 0;
	if (found) {
		*id_r = store_int(res, 0, 0);
		if (status_r)
			*status_r = xstrdup(PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return found;
}

/* The incident of key resolved within the reopen window, locked. */
static int
find_recent(struct incident_ctx *ic, const char *key, int64_t *id_r, struct tk_err *err)
{
	char win[24];
	PGresult *res = NULL;
	int found;

	snprintf(win, sizeof(win), "%" PRId64, ic->hc ? ic->hc->reopen_window_ms : 3600000);
	if (store_exec(ic->pc->st, &res, err,
	               "SELECT id FROM tickets WHERE alert_key = $1 AND status = 'resolved' "
	               "AND resolved_at > now() - $2::bigint * interval '1 millisecond' "
	               "ORDER BY resolved_at DESC LIMIT 1 FOR UPDATE", 2, key, win) < 0)
		return -1;
	found = PQntuples(res) > 0;
	if (found)
		*id_r = store_int(res, 0, 0);
	PQclear(res);
	return found;
}

static int
bump(struct incident_ctx *ic, int64_t id, struct tk_err *err)
{
	char sid[24];

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	return store_exec(ic->pc->st, NULL, err,
	                  "UPDATE tickets SET alert_count = alert_count + 1, alert_last_seen = now(), "
	                  "updated_at = now() WHERE id = $1", 1, sid);
}

static int
member_set(struct incident_ctx *ic, int64_t id, const char *member, const char *status,
           struct tk_err *err)
{
	char sid[24];

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	return store_exec(ic->pc->st, NULL, err,
	                  "INSERT INTO incident_alerts (ticket_id, alert, status) VALUES ($1, $2, $3) "
	                  "ON CONFLICT (ticket_id, alert) DO UPDATE SET status = EXCLUDED.status, "
	                  "count = incident_alerts.count + 1, last_seen = now()", 3, sid, member, status);
}

/* Reopenings within the flap window: 1 flapping, 0 not, -1 error. */
static int
is_flapping(struct incident_ctx *ic, int64_t id, struct tk_err *err)
{
	char sid[24], win[24];
	PGresult *res = NULL;
	int64_t n;

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	snprintf(win, sizeof(win), "%" PRId64, ic->hc ? ic->hc->flap_window_ms : 3600000);
	if (store_exec(ic->pc->st, &res, err,
	               "SELECT count(*) FROM ticket_events WHERE ticket_id = $1 AND action = 'status' "
	               "AND new_value = 'reopened' "
	               "AND created_at > now() - $2::bigint * interval '1 millisecond'", 2, sid, win) < 0)
		return -1;
	n = store_int(res, 0, 0);
	PQclear(res);
	return n >= (ic->hc ? ic->hc->flap_count : 4);
}

/* Tag a flapping incident (once) and record the trigger that did not reopen it. */
static int
mark_flapping(struct incident_ctx *ic, int64_t id, const char *member, struct tk_err *err)
{
	char sid[24];
	PGresult *res = NULL;
	bool tagged;

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	if (store_exec(ic->pc->st, &res, err,
	               "UPDATE tickets SET tags = array_append(tags, 'flapping'), updated_at = now() "
	               "WHERE id = $1 AND NOT ('flapping' = ANY (tags))", 1, sid) < 0)
		return -1;
	tagged = strcmp(PQcmdTuples(res), "1") == 0;
	PQclear(res);
	if (tagged && store_ticket_event(ic->pc->st, id, INCIDENT_ACTOR, "flapping", NULL, "true",
	                                 "resolved and triggered again too often: not reopened",
	                                 err) < 0)
		return -1;
	return bump(ic, id, err) < 0 ? -1 : member_set(ic, id, member, "firing", err);
}

static char *
ticket_body(const struct hook_alert *a)
{
	const json_t *labels = json_object_get(a->obj, "labels");
	char *lab = json_is_object(labels) ? json_dumps(labels, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	char *s = xasprintf("%s%s%s%s", a->description ? a->description : a->summary,
	                    lab ? "\n\nLabels:\n" : "", lab ? lab : "", lab ? "\n" : "");

	free(lab);
	return s;
}

/* Insert a new incident, or bump the open one a concurrent worker just made. */
static int
insert_new(struct incident_ctx *ic, const struct incident_alert *ia, int64_t *id_r,
           struct tk_err *err)
{
	const struct rules_fields *f = ia->rr ? &ia->rr->fields : NULL;
	const char *tenant = RULE_FIELD(ia, tenant, ic->src->tenant ? ic->src->tenant :
	                                ic->pc->cfg->default_tenant);
	const char *prio = RULE_FIELD(ia, priority, incident_severity_priority(ia->a->severity));
	char subject[INCIDENT_SUBJECT_MAX + 1], tid[24], level[16];
	char *tags = store_text_array(f ? (const char *const *)f->tags : NULL, f ? f->n_tags : 0);
	PGresult *res = NULL;
	int64_t tenant_id;
	bool inserted;
	int rc = -1;

	snprintf(subject, sizeof(subject), "%s", ia->a->summary);
	snprintf(level, sizeof(level), "%d", f ? f->min_level : 0);
	if (store_tenant_id(ic->pc->st, tenant, &tenant_id, err) < 0)
		goto out;
	snprintf(tid, sizeof(tid), "%" PRId64, tenant_id);
	if (store_exec(ic->pc->st, &res, err,
	               "INSERT INTO tickets (tenant_id, number, subject, priority, category, type, impact, "
	               "queue, assignee_id, required_skill, required_level, source_id, sla_policy, tags, "
	               "alert_key, alert_count, alert_last_seen, assign_mode) VALUES ($1::bigint, "
	               "ticketd_next_number($1::bigint), $2, $3, $4, 'incident', $5, $6, "
	               "(SELECT id FROM agents WHERE name = $7), $8, CASE WHEN $8::text IS NULL THEN NULL "
	               "ELSE $9::int END, (SELECT id FROM sources WHERE name = $10), $11, $12::text[], "
	               "$13, 1, now(), $14) "
	               "ON CONFLICT (alert_key) WHERE alert_key IS NOT NULL AND status NOT IN "
	               "('resolved', 'closed') DO UPDATE SET alert_count = tickets.alert_count + 1, "
	               "alert_last_seen = now(), updated_at = now() "
	               "RETURNING id, (xmax = 0)",
	               14, tid, subject, prio, RULE_FIELD(ia, category, NULL),
	               RULE_FIELD(ia, impact, NULL), RULE_FIELD(ia, queue, ic->src->queue),
	               RULE_FIELD(ia, assignee, NULL), RULE_FIELD(ia, skill, NULL), level,
	               ic->src->name, RULE_FIELD(ia, sla_policy, NULL), tags, ia->key,
	               RULE_FIELD(ia, assign_mode, NULL)) < 0)
		goto out;
	*id_r = store_int(res, 0, 0);
	inserted = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	ic->created |= inserted;
	if (inserted && store_ticket_event(ic->pc->st, *id_r, INCIDENT_ACTOR, "created", NULL, "new",
	                                   ia->key, err) < 0)
		goto out;
	if (inserted) {
		char *body = ticket_body(ia->a);
		struct message_new mn = {
			.ticket_id = *id_r, .direction = "in", .visibility = "public",
			.author = ic->src->name, .subject = subject, .body_text = body,
			.inbound_id = ic->item->id,
		};
		int64_t mid;

		rc = store_message_insert(ic->pc->st, &mn, &mid, err);
		free(body);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	rc = member_set(ic, *id_r, ia->member, "firing", err);
out:
	PQclear(res);
	free(tags);
	return rc;
}

/*
 * The hot path, one round trip: take the item's identity lock when it is
 * pending, bump the open incident of key (locking its row) and mark the
 * member alert firing. 1 and *id_r, 0 none, -1 error. When nothing was
 * found the lock may not have been taken (the planner may skip the
 * subquery): it stays pending for the caller.
 */
static int
bump_open(struct incident_ctx *ic, const struct incident_alert *ia, int64_t *id_r,
          struct tk_err *err)
{
	char cls[16], keys[24];
	PGresult *res = NULL;
	int found;

	snprintf(cls, sizeof(cls), "%d", INCIDENT_LOCK_CLASS);
	if (ic->lock_pending)
		snprintf(keys, sizeof(keys), "{%" PRId32 "}", (int32_t)ic->lock_hash);
	else
		snprintf(keys, sizeof(keys), "{}");
	if (store_exec(ic->pc->st, &res, err,
	               "WITH l AS MATERIALIZED (SELECT pg_advisory_xact_lock($3::int, k) "
	               "FROM unnest($4::int[]) k), "
	               "t AS (UPDATE tickets SET alert_count = alert_count + 1, "
	               "alert_last_seen = now(), updated_at = now() WHERE alert_key = $1 "
	               "AND status NOT IN ('resolved', 'closed') AND (SELECT count(*) FROM l) >= 0 "
	               "RETURNING id), "
	               "m AS (INSERT INTO incident_alerts (ticket_id, alert, status) "
	               "SELECT id, $2, 'firing' FROM t ON CONFLICT (ticket_id, alert) DO UPDATE "
	               "SET status = 'firing', count = incident_alerts.count + 1, last_seen = now() "
	               "RETURNING ticket_id) "
	               "SELECT id FROM t", 4, ia->key, ia->member, cls, keys) < 0)
		return -1;
	found = PQntuples(res) > 0;
	if (found) {
		*id_r = store_int(res, 0, 0);
		ic->lock_pending = false;
	}
	PQclear(res);
	return found;
}

static int
on_trigger(struct incident_ctx *ic, const struct incident_alert *ia, int64_t *id_r,
           struct tk_err *err)
{
	int found = bump_open(ic, ia, id_r, err), flap;

	if (found != 0)
		return found < 0 ? -1 : 0;
	if (lock_take_pending(ic, err) < 0 || (found = find_recent(ic, ia->key, id_r, err)) < 0)
		return -1;
	if (!found)
		return insert_new(ic, ia, id_r, err);
	if ((flap = is_flapping(ic, *id_r, err)) < 0)
		return -1;
	if (flap)
		return mark_flapping(ic, *id_r, ia->member, err);
	if (store_ticket_set_status(ic->pc->st, *id_r, "reopened", INCIDENT_ACTOR,
	                            "the alert fired again within the reopen window", NULL, err) < 0)
		return -1;
	return bump(ic, *id_r, err) < 0 ? -1 : member_set(ic, *id_r, ia->member, "firing", err);
}

static int
on_acknowledge(struct incident_ctx *ic, const struct incident_alert *ia, int64_t *id_r,
               struct tk_err *err)
{
	char *status = NULL;
	int found = lock_take_pending(ic, err) < 0 ? -1 : find_open(ic, ia->key, id_r, &status, err);
	int rc = -1;

	if (found <= 0) {
		char clip[256];

		if (found == 0)
			log_info("incident: acknowledge for %s: no open incident; ignored",
			         log_clip(clip, sizeof(clip), ia->key));
		return found;
	}
	if (member_set(ic, *id_r, ia->member, "acknowledged", err) < 0)
		goto out;
	if (strcmp(status, "pending") != 0 &&
	    store_ticket_set_status(ic->pc->st, *id_r, "in_progress", INCIDENT_ACTOR,
	                            "acknowledged by the alert source", NULL, err) < 0)
		goto out;
	rc = 0;
out:
	free(status);
	return rc;
}

/* Queue the resolution notice (idempotent per ticket and resolution). */
static int
notify_resolved(struct incident_ctx *ic, int64_t id, struct tk_err *err)
{
	char sid[24], *key = NULL, *subject = NULL, *text = NULL;
	PGresult *res = NULL;
	int rc = -1;

	if (ic->hc == NULL || ic->hc->notify_channel == NULL)
		return 0;
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	if (store_exec(ic->pc->st, &res, err,
	               "SELECT n.ticket_prefix || '-' || t.number, t.subject, coalesce(t.alert_key, ''), "
	               "t.alert_count, (SELECT count(*) FROM ticket_events e WHERE e.ticket_id = t.id "
	               "AND e.action = 'status' AND e.new_value = 'resolved') FROM tickets t "
	               "JOIN tenants n ON n.id = t.tenant_id WHERE t.id = $1::bigint", 1, sid) < 0)
		return -1;
	if (PQntuples(res) == 1) {
		struct notice n = { .channel = ic->hc->notify_channel,
		                    .recipient = ic->hc->notify_recipient, .ticket_id = id };

		key = xasprintf("incident-resolved:%s:%s", sid, PQgetvalue(res, 0, 4));
		subject = xasprintf("[%s] resolved: %s", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
		text = xasprintf("Incident %s is resolved.\nAlert: %s (seen %s times)\n",
		                 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3));
		n.idempotency_key = key;
		n.subject = subject;
		n.text = text;
		rc = notice_enqueue(ic->pc->st, ic->pc->cfg, &n, NULL, err);
	} else {
		rc = 0;
	}
	PQclear(res);
	free(key);
	free(subject);
	free(text);
	return rc;
}

static int
on_resolve(struct incident_ctx *ic, const struct incident_alert *ia, int64_t *id_r,
           struct tk_err *err)
{
	char sid[24];
	PGresult *res = NULL;
	int found = lock_take_pending(ic, err) < 0 ? -1 : find_open(ic, ia->key, id_r, NULL, err);
	int64_t firing;

	if (found <= 0)
		return found; /* nothing open: a late or repeated resolve */
	if (member_set(ic, *id_r, ia->member, "resolved", err) < 0)
		return -1;
	snprintf(sid, sizeof(sid), "%" PRId64, *id_r);
	if (store_exec(ic->pc->st, &res, err, "SELECT count(*) FROM incident_alerts WHERE "
	               "ticket_id = $1 AND status <> 'resolved'", 1, sid) < 0)
		return -1;
	firing = store_int(res, 0, 0);
	PQclear(res);
	if (firing > 0)
		return store_ticket_event(ic->pc->st, *id_r, INCIDENT_ACTOR, "alert_resolved", NULL,
		                          ia->member, "other alerts of the group still fire", err);
	if (store_ticket_set_status(ic->pc->st, *id_r, "resolved", INCIDENT_ACTOR,
	                            "the alert resolved", NULL, err) < 0)
		return -1;
	return notify_resolved(ic, *id_r, err);
}

/* tickets.alert_key of an alert: source + identity, or source + group with group_by_group. */
static char *
alert_key(const struct incident_ctx *ic, const struct hook_alert *a)
{
	if (ic->src->group_by_group && a->group)
		return xasprintf("%s:group:%s", ic->src->name, a->group);
	return xasprintf("%s:%s", ic->src->name, a->key);
}

static int
apply_one(struct incident_ctx *ic, const struct hook_alert *a, int64_t *id_r, bool *dropped_r,
          struct tk_err *err)
{
	struct incident_alert ia = { .a = a, .member = a->key };
	struct rules_input in;
	int rc = 0;

	*dropped_r = false;
	if (a->action == HOOK_CHANGE) /* no identity, no ticket of its own: the rules have no say */
		return incident_pd_change(ic->pc->st, ic->src->name, ic->item->id, a, id_r, err);
	ia.key = alert_key(ic, a);
	if (ic->rules) {
		rules_input_alert(&in, a->obj, ic->src->name);
		ia.rr = rules_eval(ic->rules, &in, 0);
		if (ia.rr->dropped) {
			char clip[256];

			log_info("incident: inbound=%" PRId64 " alert %s dropped by a rule: %s",
			         ic->item->id, log_clip(clip, sizeof(clip), ia.key),
			         ia.rr->drop_reason ? ia.rr->drop_reason : "");
			*dropped_r = true;
			goto out;
		}
	}
	if (a->action == HOOK_TRIGGER) {
		rc = on_trigger(ic, &ia, id_r, err);
		if (rc == 0 && ic->src->kind == HOOK_PAGERDUTY) /* links, images, client */
			rc = incident_pd_context(ic->pc->st, *id_r, a->obj, err);
	} else if (a->action == HOOK_ACKNOWLEDGE)
		rc = on_acknowledge(ic, &ia, id_r, err);
	else
		rc = on_resolve(ic, &ia, id_r, err);
out:
	rules_result_free(&ia.rr);
	free(ia.key);
	return rc < 0 ? -1 : 0;
}


/* "{h,h,...}" of n lock hashes, as PostgreSQL's signed int. */
static char *
hash_array(const uint32_t *h, size_t n)
{
	struct buf b;

	buf_init(&b, 0);
	(void)buf_putc(&b, '{');
	for (size_t i = 0; i < n; i++)
		(void)buf_printf(&b, "%s%" PRId32, i ? "," : "", (int32_t)h[i]);
	(void)buf_putc(&b, '}');
	return buf_steal(&b, NULL);
}

/*
 * One round trip: try the locks of try_h; only when all were had, wait for
 * those of wait_h, in their (ascending) order. *ok_r false: a try failed.
 */
static int
locks_take(struct incident_ctx *ic, const uint32_t *try_h, size_t n_try, const uint32_t *wait_h,
           size_t n_wait, bool *ok_r, struct tk_err *err)
{
	char cls[16], *tries = hash_array(try_h, n_try), *waits = hash_array(wait_h, n_wait);
	PGresult *res = NULL;
	int rc;

	snprintf(cls, sizeof(cls), "%d", INCIDENT_LOCK_CLASS);
	rc = store_exec(ic->pc->st, &res, err,
	                "SELECT CASE WHEN (SELECT coalesce(bool_and(pg_try_advisory_xact_lock($1::int, k)), "
	                "true) FROM unnest($2::int[]) k) THEN (SELECT count(*) FROM unnest($3::int[]) w, "
	                "LATERAL pg_advisory_xact_lock($1::int, w) x) >= 0 ELSE false END",
	                3, cls, tries, waits);
	if (rc == 0)
		*ok_r = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	free(tries);
	free(waits);
	return rc;
}

/* The lock hashes of the alerts' identities (change events have none) into h; how many. */
static size_t
item_hashes(const struct incident_ctx *ic, const struct hook_alert *alerts, size_t n, uint32_t *h)
{
	size_t nh = 0;

	for (size_t i = 0; i < n; i++) {
		if (alerts[i].action != HOOK_CHANGE) {
			char *key = alert_key(ic, &alerts[i]);

			h[nh++] = incident_lock_hash(key);
			free(key);
		}
	}
	return nh;
}

/*
 * Take the identity locks of an item's alerts (incident_lock.h), before it
 * writes anything. *deferred_r: the item must wait for a later transaction.
 * A single lock that may be waited for is left pending for bump_open(),
 * which takes it in the same round trip as the bump.
 */
static int
lock_item(struct incident_ctx *ic, const struct hook_alert *alerts, size_t n, bool *deferred_r,
          struct tk_err *err)
{
	struct incident_locks *l = &ic->pc->ilocks;
	uint32_t *h = xcalloc(n + 1, sizeof(*h));
	size_t nh = item_hashes(ic, alerts, n, h), n_try;
	bool ok = true;
	int rc = 0;

	*deferred_r = incident_lock_plan(l, h, &nh, &n_try);
	if (*deferred_r) {
		ok = false;
	} else if (nh == 1 && n_try == 0) {
		ic->lock_pending = true;
		ic->lock_hash = h[0];
	} else if (nh > 0) {
		rc = locks_take(ic, h, n_try, h + n_try, nh - n_try, &ok, err);
		*deferred_r = rc == 0 && !ok;
	}
	if (rc == 0)
		incident_lock_note(l, h, nh, ok);
	if (*deferred_r)
		log_debug("incident: inbound=%" PRId64 " deferred: another transaction holds one of "
		          "its %zu identities", ic->item->id, nh);
	free(h);
	return rc;
}

static int
process_alerts(struct incident_ctx *ic, struct hook_alert *alerts, size_t n,
               struct pipeline_result *res, struct tk_err *err)
{
	size_t dropped = 0;
	bool deferred;

	if (lock_item(ic, alerts, n, &deferred, err) < 0) {
		res->error_kind = "database";
		return -1;
	}
	if (deferred) {
		res->deferred = true;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t id = 0;
		bool drop = false;

		if (apply_one(ic, &alerts[i], &id, &drop, err) < 0) {
			res->error_kind = "database";
			return -1;
		}
		dropped += drop;
		if (id)
			res->ticket_id = id;
	}
	res->created = ic->created;
	if (dropped == n) {
		res->dropped = true;
		res->drop_why = MD_RULE;
		snprintf(res->drop_reason, sizeof(res->drop_reason), "every alert dropped by the rules");
	}
	return 0;
}

/* The alerts of a staged item, ic->src set (fallback when the source is gone). -1 with err. */
static int
load_alerts(struct incident_ctx *ic, struct http_source *fallback, struct hook_alert **alerts_r,
            size_t *n_r, struct tk_err *err)
{
	const struct inbound_item *item = ic->item;
	json_t *meta = json_loads(item->meta ? item->meta : "{}", 0, NULL), *doc = NULL;
	const struct hook_ops *ops = hook_ops_find(hook_str(meta, "endpoint"));
	int rc = -1;

	ic->src = http_config_source(ic->hc, item->source);
	if (ic->src == NULL)
		ic->src = fallback;
	if (ops == NULL)
		tk_err_set(err, "alert inbound %" PRId64 ": meta names no known endpoint", item->id);
	else if ((doc = json_loadb(item->raw, item->raw_len, 0, NULL)) == NULL)
		tk_err_set(err, "alert inbound %" PRId64 ": the body is not JSON", item->id);
	else if (ops->kind == HOOK_GENERIC && ic->src == fallback)
		tk_err_set(err, "generic hook \"%s\" is no longer configured", item->source);
	else
		rc = ops->alerts(doc, meta, ic->src, alerts_r, n_r, err);
	json_decref(doc);
	json_decref(meta);
	return rc;
}

int
incident_process(struct pipeline_ctx *pc, const struct inbound_item *item,
                 struct pipeline_result *res, struct tk_err *err)
{
	struct http_source fallback = { .name = (char *)item->source, .queue = (char *)"operations" };
	struct incident_ctx ic = { .pc = pc, .item = item, .hc = pc->cfg->http };
	struct hook_alert *alerts = NULL;
	size_t n = 0;
	int rc = -1;

	res->error_kind = "parse";
	if (load_alerts(&ic, &fallback, &alerts, &n, err) == 0) {
		ic.rules = pc->rules; /* the daemon's set (swapped on SIGHUP); NULL: severity decides */
		rc = process_alerts(&ic, alerts, n, res, err);
	}
	hook_alerts_free(&alerts, n);
	return rc;
}

uint32_t
incident_lock_order(struct pipeline_ctx *pc, const struct inbound_item *item)
{
	struct http_source fallback = { .name = (char *)item->source, .queue = (char *)"operations" };
	struct incident_ctx ic = { .pc = pc, .item = item, .hc = pc->cfg->http };
	struct hook_alert *alerts = NULL;
	struct tk_err err = { 0 };
	size_t n = 0, nh = 0;
	uint32_t *h, order = 0;

	if (load_alerts(&ic, &fallback, &alerts, &n, &err) < 0)
		return 0; /* it fails when processed */
	h = xcalloc(n + 1, sizeof(*h));
	nh = item_hashes(&ic, alerts, n, h);
	for (size_t i = 0; i < nh; i++)
		if (i == 0 || h[i] < order)
			order = h[i];
	free(h);
	hook_alerts_free(&alerts, n);
	return order;
}
