/*
 * escalate_timer.c: what waits in the timers table: the levels of an
 * escalation chain (also of a ticket nobody was available to take:
 * escalate_assign.c), the auto-close of resolved tickets, and the runs of
 * scheduled reports (report_send.c). One claim loop
 * (FOR UPDATE SKIP LOCKED on the partial index of pending timers), one
 * transaction per batch: a timer's "fired" and the outbox rows of its
 * notifications commit together, so each level fires exactly once.
 *
 * A timer never waits for a ticket row: it takes the ticket's lock with
 * SKIP LOCKED and, when a worker holds it, tries again a second later.
 * That keeps the escalator from deadlocking with workers and with the
 * ticket side of the escalator, which take the ticket first.
 *
 * A level is skipped when nobody it names is available (agents.available):
 * the next level fires at once and the skip is recorded. Acknowledgement
 * (any agent action: store_ticket_ack) cancels the pending levels; so does
 * the end of the clock the chain watches (resolved, closed, first reply).
 */
/* System. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* Libraries. */
#include <jansson.h>
/* ticketd. */
#include "config.h"
#include "convo.h"
#include "escalate_int.h"
#include "log.h"
#include "metrics.h"
#include "report_send.h"
#include "sla_clock.h"
#include "store_ticket.h"
#include "xalloc.h"

#define ESC_ACTOR "sla"

struct esc_timer {
	int64_t id, ticket_id;
	char *kind, *key;
	int64_t due_at;
	json_t *data;
};

/* Schedule one level (0-based) of chain ch for the ticket's clock; idempotent by key. */
static int
level_insert(struct esc *e, int64_t ticket_id, const struct sla_chain *ch, const char *clock,
             int cycle, int level, int round, int64_t start, int64_t due, struct tk_err *err)
{
	char sid[24], key[192], dues[24], *data;
	json_t *d;
	int rc;

	snprintf(sid, sizeof(sid), "%" PRId64, ticket_id);
	snprintf(key, sizeof(key), "escalate:%" PRId64 ":%s:%d:%d:%d", ticket_id, clock, cycle,
	         level, round);
	snprintf(dues, sizeof(dues), "%" PRId64, due);
	d = json_pack("{ss ss si si si sI}", "chain", ch->name, "clock", clock, "cycle", cycle,
	              "level", level, "round", round, "start", (json_int_t)start);
	data = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	rc = store_exec(e->st, NULL, err,
	                "INSERT INTO timers (kind, ticket_id, key, due_at, data) "
	                "VALUES ('escalate', $1::bigint, $2, to_timestamp($3::bigint), $4::jsonb) "
	                "ON CONFLICT (key) DO NOTHING", 4, sid, key, dues, data);
	free(data);
	return rc;
}

int
esc_chain_start(struct esc *e, int64_t ticket_id, const struct sla_chain *ch, const char *clock,
                int cycle, int64_t start, struct tk_err *err)
{
	return level_insert(e, ticket_id, ch, clock, cycle, 0, 0, start,
	                    start + ch->levels[0].after_s, err);
}

int
esc_timers_cancel(struct esc *e, int64_t ticket_id, const char *kind, const char *clock,
                  const char *why, struct tk_err *err)
{
	char sid[24];

	snprintf(sid, sizeof(sid), "%" PRId64, ticket_id);
	return store_exec(e->st, NULL, err,
	                  "UPDATE timers SET state = 'cancelled', fired_at = now(), detail = $4 "
	                  "WHERE ticket_id = $1::bigint AND state = 'pending' AND kind = $2 "
	                  "AND ($3::text IS NULL OR data->>'clock' = $3::text)",
	                  4, sid, kind, clock, why);
}

int
esc_autoclose_schedule(struct esc *e, int64_t ticket_id, int64_t resolved_at, struct tk_err *err)
{
	char sid[24], key[96], due[24], at[24];

	snprintf(sid, sizeof(sid), "%" PRId64, ticket_id);
	snprintf(key, sizeof(key), "autoclose:%" PRId64 ":%" PRId64, ticket_id, resolved_at);
	snprintf(due, sizeof(due), "%" PRId64, resolved_at + e->cfg->sla->autoclose_s);
	snprintf(at, sizeof(at), "%" PRId64, resolved_at);
	return store_exec(e->st, NULL, err,
	                  "INSERT INTO timers (kind, ticket_id, key, due_at, data) "
	                  "VALUES ('autoclose', $1::bigint, $2, to_timestamp($3::bigint), "
	                  "jsonb_build_object('resolved_at', $4::bigint)) ON CONFLICT (key) DO NOTHING",
	                  4, sid, key, due, at);
}

static void
timers_free(struct esc_timer *t, int n)
{
	for (int i = 0; i < n; i++) {
		xfree(&t[i].kind);
		xfree(&t[i].key);
		json_decref(t[i].data);
	}
	free(t);
}

static int
claim(struct esc *e, struct esc_timer **t_r, int *n_r, struct tk_err *err)
{
	char limit[16];
	PGresult *res = NULL;
	struct esc_timer *t;
	int n;

	snprintf(limit, sizeof(limit), "%d", e->cfg->sla->batch);
	/* sla.enabled: false leaves the SLA's timers alone; scheduled reports still run */
	if (store_exec(e->st, &res, err,
	               "SELECT id, kind, coalesce(ticket_id, 0), key, ceil(extract(epoch FROM due_at))"
	               "::bigint, data::text, extract(epoch FROM now()) FROM timers "
	               "WHERE state = 'pending' AND due_at <= now() AND ($2::boolean OR kind = 'report') "
	               "ORDER BY due_at, id LIMIT $1::int FOR UPDATE SKIP LOCKED",
	               2, limit, e->cfg->sla->enabled ? "true" : "false") < 0)
		return -1;
	n = PQntuples(res);
	t = xcalloc((size_t)n + 1, sizeof(*t));
	for (int i = 0; i < n; i++) {
		t[i].id = store_int(res, i, 0);
		t[i].kind = xstrdup(PQgetvalue(res, i, 1));
		t[i].ticket_id = store_int(res, i, 2);
		t[i].key = xstrdup(PQgetvalue(res, i, 3));
		t[i].due_at = store_int(res, i, 4);
		t[i].data = json_loads(PQgetvalue(res, i, 5), 0, NULL);
		if (t[i].data == NULL)
			t[i].data = json_object();
	}
	if (n > 0) {
		e->now_f = strtod(PQgetvalue(res, 0, 6), NULL);
		e->now = (int64_t)e->now_f;
	}
	PQclear(res);
	*t_r = t;
	*n_r = n;
	return 0;
}

static int
timer_done(struct esc *e, const struct esc_timer *t, const char *state, const char *detail,
           struct tk_err *err)
{
	char sid[24];

	snprintf(sid, sizeof(sid), "%" PRId64, t->id);
	return store_exec(e->st, NULL, err,
	                  "UPDATE timers SET state = $2, fired_at = now(), detail = $3 WHERE id = $1",
	                  3, sid, state, detail);
}

/* Try again in a second (the ticket is busy). */
static int
timer_later(struct esc *e, const struct esc_timer *t, struct tk_err *err)
{
	char sid[24];

	snprintf(sid, sizeof(sid), "%" PRId64, t->id);
	return store_exec(e->st, NULL, err,
	                  "UPDATE timers SET due_at = now() + interval '1 second' WHERE id = $1", 1, sid);
}

/* The ticket's facts a timer needs, its row locked; 0 when busy or gone. */
struct esc_tk {
	char status[24], queue[128], policy[128], acked_by[128];
	int64_t acked_at, first_resp, resolved_at;
	bool assigned;
};

static int
lock_ticket(struct esc *e, int64_t id, struct esc_tk *tk, struct tk_err *err)
{
	char sid[24];
	PGresult *res = NULL;
	int found;

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	if (store_exec(e->st, &res, err,
	               "SELECT status, queue, coalesce(sla_applied, ''), "
	               /* rounded up, as escalate_ticket.c rounds the history */
	               "coalesce(ceil(extract(epoch FROM acked_at))::bigint, 0), coalesce(acked_by, ''), "
	               "coalesce(ceil(extract(epoch FROM first_response_at))::bigint, 0), "
	               "coalesce(ceil(extract(epoch FROM resolved_at))::bigint, 0), "
	               "assignee_id IS NOT NULL FROM tickets WHERE id = $1::bigint "
	               "FOR UPDATE SKIP LOCKED", 1, sid) < 0)
		return -1;
	found = PQntuples(res) > 0;
	if (found) {
		snprintf(tk->status, sizeof(tk->status), "%s", PQgetvalue(res, 0, 0));
		snprintf(tk->queue, sizeof(tk->queue), "%s", PQgetvalue(res, 0, 1));
		snprintf(tk->policy, sizeof(tk->policy), "%s", PQgetvalue(res, 0, 2));
		tk->acked_at = store_int(res, 0, 3);
		snprintf(tk->acked_by, sizeof(tk->acked_by), "%s", PQgetvalue(res, 0, 4));
		tk->first_resp = store_int(res, 0, 5);
		tk->resolved_at = store_int(res, 0, 6);
		tk->assigned = strcmp(PQgetvalue(res, 0, 7), "t") == 0;
	}
	PQclear(res);
	return found;
}

static int
json_int(const json_t *o, const char *key)
{
	return (int)json_integer_value(json_object_get(o, key));
}

/* Schedule the level after `level` (round), or the last level's next round. */
static int
next_level(struct esc *e, const struct esc_timer *t, const struct sla_chain *ch, int level,
           int round, int64_t start, bool now, struct tk_err *err)
{
	const char *clock = json_string_value(json_object_get(t->data, "clock"));
	int64_t due;

	if ((size_t)level + 1 < ch->n_levels) {
		level++;
		due = now ? e->now : start + ch->levels[level].after_s;
	} else if (round < ch->repeat) {
		round++;
		due = e->now + (now ? 0 : ch->every_s);
	} else {
		return 0;   /* the chain is over */
	}
	return level_insert(e, t->ticket_id, ch, clock ? clock : "?", json_int(t->data, "cycle"),
	                    level, round, start, due < e->now ? e->now : due, err);
}

/* Why a pending level should not fire any more, or NULL. */
static const char *
level_moot(const struct esc_timer *t, const struct esc_tk *tk, char *buf, size_t len)
{
	const char *clock = json_string_value(json_object_get(t->data, "clock"));
	int64_t start = json_integer_value(json_object_get(t->data, "start"));

	if (strcmp(tk->status, "resolved") == 0 || strcmp(tk->status, "closed") == 0)
		return "the ticket is done";
	if (clock && strcmp(clock, "response") == 0 && tk->first_resp)
		return "the first response stopped the clock";
	if (clock && strcmp(clock, "unassigned") == 0 && tk->assigned)
		return "someone was assigned";
	if (tk->acked_at && tk->acked_at >= start) {
		snprintf(buf, len, "acknowledged by %s", tk->acked_by);
		return buf;
	}
	return NULL;
}

static int
fire_level(struct esc *e, const struct esc_timer *t, const struct esc_tk *tk, struct tk_err *err)
{
	const struct sla_config *sc = e->cfg->sla;
	const char *chain = json_string_value(json_object_get(t->data, "chain"));
	const struct sla_chain *ch = sla_chain_named(sc, chain);
	int level = json_int(t->data, "level"), round = json_int(t->data, "round");
	int64_t start = json_integer_value(json_object_get(t->data, "start"));
	struct esc_note n = { .ticket_id = t->ticket_id, .ev = SLA_EV_ESCALATION, .clock = -1 };
	const char *clock = json_string_value(json_object_get(t->data, "clock"));
	char detail[192];
	size_t reached = 0;

	if (ch == NULL || ch->n_levels == 0)
		return timer_done(e, t, "cancelled", "the chain is no longer configured", err);
	if ((size_t)level >= ch->n_levels)
		level = (int)ch->n_levels - 1;
	n.clock = clock && strcmp(clock, "response") == 0 ? SLA_RESPONSE :
	          clock && strcmp(clock, "resolution") == 0 ? SLA_RESOLUTION : -1;
	n.level = level;
	n.round = round;
	if (clock && strcmp(clock, "unassigned") == 0) {   /* nobody available (escalate_assign.c) */
		n.ev = SLA_EV_UNASSIGNED;
		snprintf(n.detail, sizeof(n.detail), "nobody available to take it: escalation %s "
		         "level %d", ch->name, level + 1);
	}
	n.due_at = t->due_at;
	n.late_s = e->now_f - (double)t->due_at > 0 ? e->now_f - (double)t->due_at : 0;
	snprintf(n.key, sizeof(n.key), "esc:%" PRId64, t->id);
	if (esc_notify(e, &n, &ch->levels[level].targets, tk->queue, &reached, err) < 0 ||
	    esc_notify(e, &n, sla_notify_targets(sc, tk->queue, SLA_EV_ESCALATION), tk->queue, NULL,
	               err) < 0)
		return -1;
	if (round)
		snprintf(detail, sizeof(detail), "chain %s level %d (repeat %d): %zu recipient%s",
		         ch->name, level + 1, round, reached, reached == 1 ? "" : "s");
	else
		snprintf(detail, sizeof(detail), "chain %s level %d: %zu recipient%s", ch->name,
		         level + 1, reached, reached == 1 ? "" : "s");
	if (store_ticket_event(e->st, t->ticket_id, ESC_ACTOR,
	                       reached ? "escalation" : "escalation-skip", NULL, NULL,
	                       reached ? detail : "nobody at this level is available: the next "
	                       "level fires now", err) < 0)
		return -1;
	if (e->metrics && reached)
		metrics_escalation(e->metrics, level);
	if (timer_done(e, t, "fired", detail, err) < 0)
		return -1;
	return next_level(e, t, ch, level, round, start, reached == 0, err);
}

/* Close a ticket resolved long enough ago, with a last notice to the customer. */
static int
fire_autoclose(struct esc *e, const struct esc_timer *t, const struct esc_tk *tk,
               struct tk_err *err)
{
	int64_t resolved_at = json_integer_value(json_object_get(t->data, "resolved_at"));
	char suffix[48];
	int changed = 0;

	if (strcmp(tk->status, "resolved") != 0 || (resolved_at && tk->resolved_at != resolved_at))
		return timer_done(e, t, "cancelled", "no longer resolved since then", err);
	snprintf(suffix, sizeof(suffix), "autoclose%" PRId64, t->id);
	if (store_ticket_set_status(e->st, t->ticket_id, "closed", "sla:autoclose",
	                            "closed after the quiet time (sla.autoclose)", &changed, err) < 0 ||
	    (changed && convo_notify_status(e->st, e->cfg, t->ticket_id, "closed", suffix, err) < 0))
		return -1;
	return timer_done(e, t, "fired", "closed", err);
}

/* A scheduled report's run (report_send.h): no ticket to lock. */
static int
fire_report(struct esc *e, const struct esc_timer *t, struct tk_err *err)
{
	const char *name = json_string_value(json_object_get(t->data, "report"));
	char detail[192];
	int rc = report_send_run(e->st, e->cfg, name, t->due_at, detail, sizeof(detail), err);

	if (rc < 0)
		return -1;
	return timer_done(e, t, rc ? "fired" : "cancelled", detail, err);
}

static int
run_timer(struct esc *e, const struct esc_timer *t, struct tk_err *err)
{
	struct esc_tk tk;
	char why[192];
	const char *moot;
	int found;

	if (strcmp(t->kind, "report") == 0)
		return fire_report(e, t, err);
	found = lock_ticket(e, t->ticket_id, &tk, err);
	if (found < 0)
		return -1;
	if (found == 0)
		return timer_later(e, t, err);
	if (strcmp(t->kind, "autoclose") == 0)
		return fire_autoclose(e, t, &tk, err);
	if ((moot = level_moot(t, &tk, why, sizeof(why))) != NULL)
		return timer_done(e, t, "cancelled", moot, err);
	return fire_level(e, t, &tk, err);
}

int
esc_timers_tick(struct esc *e, int *n_r, struct tk_err *err)
{
	struct esc_timer *t = NULL;
	int n = 0, rc = -1;

	*n_r = 0;
	if (store_begin(e->st, err) < 0)
		return -1;
	if (claim(e, &t, &n, err) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		if (run_timer(e, &t[i], err) < 0) {
			tk_err_prefix(err, "timer %s", t[i].key);
			goto out;
		}
	}
	if (esc_flush(e, err) < 0 || store_commit(e->st, err) < 0)
		goto out;
	*n_r = n;
	rc = 0;
out:
	if (rc < 0)
		{
		store_rollback(e->st);
		esc_out_reset(e->out);
	}
	timers_free(t, n);
	return rc;
}
