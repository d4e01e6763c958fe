/*
 * escalate_ticket.c: the escalator's look at a ticket. It claims tickets
 * whose sla_next_at has come (through the partial index on it, FOR UPDATE
 * SKIP LOCKED), recomputes their clocks from the status history
 * (sla_clock.c), fires the warnings and breaches that are due, starts
 * escalation chains, tells the queue's subscribers what happened since the
 * last look (created, assigned, status), and writes back the due times and
 * the instant of the next step. A batch is one transaction: a step's row in
 * sla_steps (its primary key makes it fire once), its ticket event and its
 * outbox rows commit together.
 *
 * Rules (doc/sla.md): only the last of several steps of one clock due at
 * once is notified (the others are recorded as skipped); a warning that
 * comes due outside business hours waits for the next opening; a step due
 * after its clock stopped is recorded, never notified; a breach happens
 * once per clock, whatever the policy changes; a change of targets (priority
 * or policy) starts a new cycle of warnings against the new targets with
 * the business time already used.
 */
/* System. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "buf.h"
#include "config.h"
#include "escalate_int.h"
#include "log.h"
#include "metrics.h"
#include "sla_calendar.h"
#include "sla_clock.h"
#include "store_message.h"
#include "store_ticket.h"
#include "xalloc.h"

#define ESC_ACTOR "sla"
#define ESC_ON_TIME_S 60          /* a step noticed within this is on time */

/* A claimed ticket, as read and as it will be written back. */
struct esc_ticket {
	int64_t id;
	char *tenant, *priority, *queue, *category, *type, *status, *policy, *applied;
	char *seen_status;
	int64_t resp_t, res_t;           /* stored targets (0: none yet) */
	int cycle;
	int64_t created, first_resp, resolved_at;
	bool breached[SLA_CLOCKS];
	int64_t assignee, seen_assignee; /* 0: none */
	bool replied;                    /* a customer replied since the last look */
	struct sla_change *changes;
	size_t n_changes;
	int fired_max[SLA_CLOCKS];       /* highest step (permille) recorded in this cycle */
	/* results */
	const struct sla_policy *p;
	int64_t due[SLA_CLOCKS], left[SLA_CLOCKS], breach_at[SLA_CLOCKS], next_at, paused_s;
	bool has_left[SLA_CLOCKS];
};

static void
tickets_free(struct esc_ticket *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char **strs[] = { &t[i].tenant, &t[i].priority, &t[i].queue, &t[i].category,
		                  &t[i].type, &t[i].status, &t[i].policy, &t[i].applied,
		                  &t[i].seen_status };

		for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
			xfree(strs[k]);
		for (size_t k = 0; k < t[i].n_changes; k++)
			free((char *)t[i].changes[k].status);
		free(t[i].changes);
	}
	free(t);
}

static char *
dup_or_null(const PGresult *res, int row, int col)
{
	const char *v = store_val(res, row, col);

	return v ? xstrdup(v) : NULL;
}

/* Seconds since the epoch, rounded up: a clock never fires early. */
static int64_t
epoch_up(const PGresult *res, int row, int col)
{
	const char *v = store_val(res, row, col);
	double d = v ? strtod(v, NULL) : 0;
	int64_t s = (int64_t)d;

	return d > (double)s ? s + 1 : s;
}

static int
claim(struct esc *e, struct esc_ticket **t_r, size_t *n_r, struct tk_err *err)
{
	char limit[16];
	PGresult *res = NULL;
	struct esc_ticket *t;
	int n;

	snprintf(limit, sizeof(limit), "%d", e->cfg->sla->batch);
	if (store_exec(e->st, &res, err,
	               "SELECT t.id, n.name, t.priority, t.queue, t.category, t.type, t.status, "
	               "t.sla_policy, t.sla_applied, t.sla_seen_status, "
	               "coalesce(t.sla_response_target_s, 0), coalesce(t.sla_resolution_target_s, 0), "
	               "t.sla_cycle, extract(epoch FROM t.created_at), "
	               "extract(epoch FROM t.first_response_at), extract(epoch FROM t.resolved_at), "
	               "t.response_breached, t.resolution_breached, coalesce(t.assignee_id, 0), "
	               "coalesce(t.sla_seen_assignee, 0), extract(epoch FROM now()), "
	               "coalesce(t.customer_replied_at > coalesce(t.sla_seen_reply_at, '-infinity'), "
	               "false) "
	               "FROM tickets t JOIN tenants n ON n.id = t.tenant_id "
	               "WHERE t.sla_next_at <= now() ORDER BY t.sla_next_at "
	               "LIMIT $1::int FOR UPDATE OF t SKIP LOCKED", 1, limit) < 0)
		return -1;
	n = PQntuples(res);
	t = xcalloc((size_t)n + 1, sizeof(*t));
	for (int i = 0; i < n; i++) {
		t[i].id = store_int(res, i, 0);
		t[i].tenant = dup_or_null(res, i, 1);
		t[i].priority = dup_or_null(res, i, 2);
		t[i].queue = dup_or_null(res, i, 3);
		t[i].category = dup_or_null(res, i, 4);
		t[i].type = dup_or_null(res, i, 5);
		t[i].status = dup_or_null(res, i, 6);
		t[i].policy = dup_or_null(res, i, 7);
		t[i].applied = dup_or_null(res, i, 8);
		t[i].seen_status = dup_or_null(res, i, 9);
		t[i].resp_t = store_int(res, i, 10);
		t[i].res_t = store_int(res, i, 11);
		t[i].cycle = (int)store_int(res, i, 12);
		t[i].created = epoch_up(res, i, 13);
		t[i].first_resp = epoch_up(res, i, 14);
		t[i].resolved_at = epoch_up(res, i, 15);
		t[i].breached[SLA_RESPONSE] = strcmp(PQgetvalue(res, i, 16), "t") == 0;
		t[i].breached[SLA_RESOLUTION] = strcmp(PQgetvalue(res, i, 17), "t") == 0;
		t[i].assignee = store_int(res, i, 18);
		t[i].seen_assignee = store_int(res, i, 19);
		t[i].replied = strcmp(PQgetvalue(res, i, 21), "t") == 0;
	}
	if (n > 0) {
		e->now_f = strtod(PQgetvalue(res, 0, 20), NULL);
		e->now = (int64_t)e->now_f;
	}
	PQclear(res);
	*t_r = t;
	*n_r = (size_t)n;
	return 0;
}

static char *
id_array(const struct esc_ticket *t, size_t n)
{
	struct buf b;

	buf_init(&b, 0);
	(void)buf_putc(&b, '{');
	for (size_t i = 0; i < n; i++)
		(void)buf_printf(&b, "%s%" PRId64, i ? "," : "", t[i].id);
	(void)buf_putc(&b, '}');
	return buf_steal(&b, NULL);
}

static struct esc_ticket *
find(struct esc_ticket *t, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].id == id)
			return &t[i];
	return NULL;
}

/* The status history and the steps already recorded, for the whole batch. */
static int
load_history(struct esc *e, struct esc_ticket *t, size_t n, const char *ids, struct tk_err *err)
{
	PGresult *res = NULL;

	if (store_exec(e->st, &res, err,
	               STORE_CUSTOM_PLAN "SELECT ticket_id, extract(epoch FROM created_at), new_value "
	               "FROM ticket_events WHERE ticket_id = ANY($1::bigint[]) AND action = 'status' "
	               "AND new_value IS NOT NULL ORDER BY ticket_id, id", 1, ids) < 0)
		return -1;
	for (int r = 0; r < PQntuples(res); r++) {
		struct esc_ticket *tk = find(t, n, store_int(res, r, 0));

		if (tk == NULL)
			continue;
		tk->changes = xreallocarray(tk->changes, tk->n_changes + 1, sizeof(*tk->changes));
		tk->changes[tk->n_changes].at = epoch_up(res, r, 1);
		tk->changes[tk->n_changes++].status = xstrdup(PQgetvalue(res, r, 2));
	}
	PQclear(res);
	return 0;
}

static int
load_steps(struct esc *e, struct esc_ticket *t, size_t n, const char *ids, struct tk_err *err)
{
	PGresult *res = NULL;

	if (store_exec(e->st, &res, err,
	               STORE_CUSTOM_PLAN "SELECT ticket_id, clock, cycle, max(permille) FROM sla_steps "
	               "WHERE ticket_id = ANY($1::bigint[]) GROUP BY 1, 2, 3", 1, ids) < 0)
		return -1;
	for (int r = 0; r < PQntuples(res); r++) {
		struct esc_ticket *tk = find(t, n, store_int(res, r, 0));
		int clock = strcmp(PQgetvalue(res, r, 1), "response") == 0 ? SLA_RESPONSE : SLA_RESOLUTION;

		/* cycles are compared after a possible bump: remember the stored cycle's */
		if (tk && store_int(res, r, 2) == tk->cycle)
			tk->fired_max[clock] = (int)store_int(res, r, 3);
	}
	PQclear(res);
	return 0;
}

static const char *
step_name(int permille, char *buf, size_t len)
{
	if (permille >= 1000)
		return "breach";
	if (permille % 10 == 0)
		snprintf(buf, len, "warn%d%%", permille / 10);
	else
		snprintf(buf, len, "warn%d.%d%%", permille / 10, permille % 10);
	return buf;
}

/* Record one step in sla_steps; 1 when recorded now, 0 when it already was. */
static int
record_step(struct esc *e, const struct esc_ticket *t, int clock, int permille, int64_t due,
            bool skipped, struct tk_err *err)
{
	char sid[24], cyc[16], pm[16], due_s[24], late[32], name[24];
	PGresult *res = NULL;
	int rc;

	snprintf(sid, sizeof(sid), "%" PRId64, t->id);
	snprintf(cyc, sizeof(cyc), "%d", t->cycle);
	snprintf(pm, sizeof(pm), "%d", permille);
	snprintf(due_s, sizeof(due_s), "%" PRId64, due);
	snprintf(late, sizeof(late), "%.3f", e->now_f - (double)due > 0 ? e->now_f - (double)due : 0);
	if (store_exec(e->st, &res, err,
	               "INSERT INTO sla_steps (ticket_id, clock, cycle, step, permille, due_at, late_s, "
	               "skipped, instance) VALUES ($1::bigint, $2, $3::int, $4, $5::int, "
	               "to_timestamp($6::bigint), $7::float8, $8::boolean, $9) "
	               "ON CONFLICT DO NOTHING RETURNING 1",
	               9, sid, sla_clock_name((enum sla_clock_kind)clock), cyc,
	               step_name(permille, name, sizeof(name)), pm, due_s, late,
	               skipped ? "true" : "false", e->instance) < 0)
		return -1;
	rc = PQntuples(res) > 0;
	PQclear(res);
	return rc;
}

static void
fmt_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* Fire one step: its record, its event, its notifications, its chain. */
static int
fire_step(struct esc *e, struct esc_ticket *t, int clock, int permille, int64_t due, bool notify,
          const char *why, struct tk_err *err)
{
	const char *cname = sla_clock_name((enum sla_clock_kind)clock);
	bool breach = permille >= 1000;
	double late = e->now_f - (double)due > 0 ? e->now_f - (double)due : 0;
	char detail[256], when[40], name[24];
	int rec = record_step(e, t, clock, permille, due, !notify && !breach, err);

	if (rec <= 0)
		return rec;
	fmt_time(due, when, sizeof(when));
	snprintf(detail, sizeof(detail), "%s target %s at %s%s%s%s", cname,
	         breach ? "missed" : "nearly used", when, late >= 2 ? " (noticed late)" : "",
	         why ? ": " : "", why ? why : "");
	if (late >= 2 && notify) {
		char ref[64];

		log_warn("sla: %s: %s of the %s clock fires %.0f s late (due %s)",
		         store_ticket_ref(e->st, t->id, ref, sizeof(ref)),
		         step_name(permille, name, sizeof(name)), cname, late, when);
	}
	if (store_ticket_event(e->st, t->id, ESC_ACTOR, breach ? "sla-breach" : "sla-warning", cname,
	                       step_name(permille, name, sizeof(name)), detail, err) < 0)
		return -1;
	if (e->metrics)
		metrics_sla_step(e->metrics, breach, late);
	if (breach) {
		t->breached[clock] = true;
		t->breach_at[clock] = due;
	}
	if (!notify)
		return 0;
	{
		struct esc_note n = {
			.ticket_id = t->id, .ev = breach ? SLA_EV_BREACH : SLA_EV_WARNING, .clock = clock,
			.permille = permille, .due_at = due, .late_s = late, .level = -1,
		};
		const struct sla_chain *ch = sla_chain_for(e->cfg->sla, t->p, t->queue);

		snprintf(n.key, sizeof(n.key), "sla:%" PRId64 ":%s:%d:%d", t->id, cname, t->cycle,
		         permille);
		if (esc_notify(e, &n, sla_notify_targets(e->cfg->sla, t->queue, n.ev), t->queue, NULL,
		               err) < 0)
			return -1;
		/* The chain starts at the breach, or at the clock's first warning
		 * (starting it again is harmless: its first timer's key exists). */
		if (ch && (breach ? ch->start == SLA_START_BREACH : ch->start == SLA_START_WARNING))
			return esc_chain_start(e, t->id, ch, cname, t->cycle, due, err);
	}
	return 0;
}

/*
 * The steps of one clock: fire what is due (the last one notified, earlier
 * ones recorded as skipped), and return when the next one is due (0: none).
 */
static int
clock_steps(struct esc *e, struct esc_ticket *t, int clock, const struct sla_clock *c,
            int64_t target, int64_t *next_r, struct tk_err *err)
{
	const struct sla_config *sc = e->cfg->sla;
	const struct sla_calendar *cal = t->p->calendar;
	int due_pm[9];
	int64_t due_at[9];
	size_t n_due = 0;

	*next_r = 0;
	for (size_t i = 0; i <= sc->n_warn; i++) {
		int pm = i < sc->n_warn ? sc->warn_permille[i] : 1000;
		int64_t at;

		if (pm <= t->fired_max[clock] || (pm == 1000 && t->breached[clock]))
			continue;
		at = sla_clock_reach(c, cal, target * pm / 1000);
		if (at == 0)
			break;                      /* not reached, and the clock does not run */
		if (at > e->now) {
			*next_r = at;
			break;
		}
		due_pm[n_due] = pm;
		due_at[n_due++] = at;
	}
	if (n_due == 0)
		return 0;
	/*
	 * A warning that would go out while the calendar is closed waits for the
	 * opening. One noticed on time is sent: on a business calendar a share is
	 * reached in business hours, at the latest as they end (17:00:00 sharp).
	 */
	if (due_pm[n_due - 1] < 1000 && c->state != SLA_STOPPED &&
	    e->now - due_at[n_due - 1] > ESC_ON_TIME_S && !sla_calendar_open_at(cal, e->now)) {
		*next_r = sla_calendar_next_open(cal, e->now);
		return 0;
	}
	for (size_t i = 0; i < n_due; i++) {
		bool last = i + 1 == n_due;
		bool notify = last && c->state != SLA_STOPPED;
		const char *why = !last ? "superseded by a later step due at the same time" :
		                  !notify ? "the clock had stopped: recorded, not notified" : NULL;

		if (fire_step(e, t, clock, due_pm[i], due_at[i], notify, why, err) < 0)
			return -1;
		t->fired_max[clock] = due_pm[i];
	}
	return 0;
}

/* The facts that choose a policy. */
static const struct sla_policy *
pick_policy(struct esc *e, const struct esc_ticket *t)
{
	struct sla_ticket_facts f = {
		.tenant = t->tenant, .priority = t->priority, .queue = t->queue,
		.category = t->category, .type = t->type, .policy = t->policy,
	};
	bool unknown = false;
	const struct sla_policy *p = sla_policy_for(e->cfg->sla, &f, &unknown);

	if (unknown) {
		char ref[64];

		log_warn("sla: %s: its rule names sla_policy \"%s\", which is not configured; the "
		         "policies' match decides", store_ticket_ref(e->st, t->id, ref, sizeof(ref)),
		         t->policy);
	}
	return p;
}

/* A change of targets starts a new cycle (doc/sla.md: "Changing the targets"). */
static int
new_targets(struct esc *e, struct esc_ticket *t, struct tk_err *err)
{
	char old[96], new[96];

	if (t->resp_t == 0 || (t->resp_t == t->p->response_s && t->res_t == t->p->resolution_s))
		return 0;
	snprintf(old, sizeof(old), "%s: response %" PRId64 "s, resolution %" PRId64 "s",
	         t->applied ? t->applied : "-", t->resp_t, t->res_t);
	snprintf(new, sizeof(new), "%s: response %" PRId64 "s, resolution %" PRId64 "s",
	         t->p->name, t->p->response_s, t->p->resolution_s);
	t->cycle++;
	t->fired_max[SLA_RESPONSE] = t->fired_max[SLA_RESOLUTION] = 0;
	return store_ticket_event(e->st, t->id, ESC_ACTOR, "sla-targets", old, new,
	                          "due times recomputed: the business time already used counts "
	                          "against the new targets", err);
}

static int
run_clocks(struct esc *e, struct esc_ticket *t, struct tk_err *err)
{
	/* History times are whole seconds rounded up (a clock never fires early),
	 * so "now" is too, or a change of this very second would look future. */
	struct sla_history h = {
		.created_at = t->created, .changes = t->changes, .n_changes = t->n_changes,
		.first_response_at = t->first_resp,
		.now = e->now_f > (double)e->now ? e->now + 1 : e->now,
	};
	struct sla_clocks cl;
	int64_t targets[SLA_CLOCKS] = { t->p->response_s, t->p->resolution_s };

	if (new_targets(e, t, err) < 0)
		return -1;
	sla_clock_compute(&h, t->p->calendar, &cl);
	t->paused_s = cl.paused_s;
	t->next_at = 0;
	for (int k = 0; k < SLA_CLOCKS; k++) {
		const struct sla_clock *c = &cl.c[k];
		int64_t next = 0;

		if (clock_steps(e, t, k, c, targets[k], &next, err) < 0)
			return -1;
		if (next && (t->next_at == 0 || next < t->next_at))
			t->next_at = next;
		t->due[k] = c->state == SLA_RUNNING ? sla_clock_reach(c, t->p->calendar, targets[k]) : 0;
		t->left[k] = sla_clock_left(c, targets[k]);   /* stopped: what was left then */
		t->has_left[k] = true;
	}
	return 0;
}

/* Tell the queue's subscribers what happened since the last look. */
static int
ticket_events(struct esc *e, struct esc_ticket *t, bool first, struct tk_err *err)
{
	struct esc_note n = { .ticket_id = t->id, .clock = -1, .level = -1 };
	bool status_changed = !first && t->seen_status && strcmp(t->seen_status, t->status) != 0;
	enum sla_event evs[4];
	size_t k = 0;

	if (first)
		evs[k++] = SLA_EV_CREATED;
	if (t->replied && !first)
		evs[k++] = SLA_EV_CUSTOMER_REPLY;
	if (t->assignee != 0 && t->assignee != t->seen_assignee)
		evs[k++] = SLA_EV_ASSIGNED;
	if (status_changed)
		evs[k++] = strcmp(t->status, "resolved") == 0 ? SLA_EV_RESOLVED :
		           strcmp(t->status, "closed") == 0 ? SLA_EV_CLOSED : SLA_EV_STATUS;
	for (size_t i = 0; i < k; i++) {
		n.ev = evs[i];
		if (n.ev == SLA_EV_CUSTOMER_REPLY)
			snprintf(n.detail, sizeof(n.detail), "(the customer wrote again)");
		else
			snprintf(n.detail, sizeof(n.detail), "%s%s%s", status_changed ? t->seen_status :
			         "", status_changed ? " -> " : "", status_changed ? t->status : "");
		snprintf(n.key, sizeof(n.key), "ev:%" PRId64 ":%s:%s:%" PRId64 ":%zu:%.0f", t->id,
		         sla_event_name(n.ev), t->status, t->assignee, t->n_changes,
		         n.ev == SLA_EV_CUSTOMER_REPLY ? e->now_f * 1000 : 0);
		if (esc_notify(e, &n, sla_notify_targets(e->cfg->sla, t->queue, n.ev), t->queue, NULL,
		               err) < 0)
			return -1;
	}
	return 0;
}

/* Chains and auto-close follow the status (a new ticket has nothing to cancel). */
static int
follow_status(struct esc *e, struct esc_ticket *t, bool first, struct tk_err *err)
{
	bool done = strcmp(t->status, "resolved") == 0 || strcmp(t->status, "closed") == 0;
	bool resolved = strcmp(t->status, "resolved") == 0;
	bool changed = first || !t->seen_status || strcmp(t->seen_status, t->status) != 0;

	if (first && t->p && t->p->notify_on_create) {
		const struct sla_chain *ch = sla_chain_for(e->cfg->sla, t->p, t->queue);

		if (ch && esc_chain_start(e, t->id, ch, "created", 0, t->created, err) < 0)
			return -1;
	}
	if (!first && t->first_resp &&
	    esc_timers_cancel(e, t->id, "escalate", "response", "the first response stopped the clock",
	                      err) < 0)
		return -1;
	if (!changed)
		return 0;
	if (!first && done && esc_timers_cancel(e, t->id, "escalate", NULL, "the ticket is done",
	                                        err) < 0)
		return -1;
	if (!first && !resolved &&
	    esc_timers_cancel(e, t->id, "autoclose", NULL, "no longer resolved", err) < 0)
		return -1;
	if (resolved && e->cfg->sla->autoclose_s > 0 && t->resolved_at)
		return esc_autoclose_schedule(e, t->id, t->resolved_at, err);
	return 0;
}

static int
process(struct esc *e, struct esc_ticket *t, struct tk_err *err)
{
	/* The first look: nothing seen yet (a ticket whose SLA was computed at
	 * creation, sla_start.h, has been seen new by then). */
	bool first = t->seen_status == NULL;

	t->p = pick_policy(e, t);
	if (t->p && run_clocks(e, t, err) < 0)
		return -1;
	if (ticket_events(e, t, first, err) < 0)
		return -1;
	return follow_status(e, t, first, err);
}

static void
put_time(struct buf *b, int64_t t, bool first)
{
	if (t > 0)
		(void)buf_printf(b, "%s%" PRId64, first ? "" : ",", t);
	else
		(void)buf_printf(b, "%sNULL", first ? "" : ",");
}

/* Write every ticket's results back in one statement. */
static int
write_back(struct esc *e, struct esc_ticket *t, size_t n, struct tk_err *err)
{
	struct buf a[12];
	const char *applied[n ? n : 1], *cal[n ? n : 1];
	char *applied_arr, *cal_arr;
	int rc;

	for (size_t k = 0; k < 12; k++) {
		buf_init(&a[k], 0);
		(void)buf_putc(&a[k], '{');
	}
	for (size_t i = 0; i < n; i++) {
		const struct esc_ticket *x = &t[i];
		bool f = i == 0;

		applied[i] = x->p ? x->p->name : "";
		cal[i] = x->p ? sla_calendar_name(x->p->calendar) : NULL;
		(void)buf_printf(&a[0], "%s%" PRId64, f ? "" : ",", x->id);
		put_time(&a[1], x->p ? x->p->response_s : 0, f);
		put_time(&a[2], x->p ? x->p->resolution_s : 0, f);
		(void)buf_printf(&a[3], "%s%d", f ? "" : ",", x->cycle);
		put_time(&a[4], x->next_at, f);
		(void)buf_printf(&a[5], "%s%" PRId64, f ? "" : ",", x->paused_s);
		put_time(&a[6], x->due[SLA_RESPONSE], f);
		put_time(&a[7], x->due[SLA_RESOLUTION], f);
		if (x->p && x->has_left[SLA_RESPONSE])
			(void)buf_printf(&a[8], "%s%" PRId64, f ? "" : ",", x->left[SLA_RESPONSE]);
		else
			(void)buf_printf(&a[8], "%sNULL", f ? "" : ",");
		if (x->p && x->has_left[SLA_RESOLUTION])
			(void)buf_printf(&a[9], "%s%" PRId64, f ? "" : ",", x->left[SLA_RESOLUTION]);
		else
			(void)buf_printf(&a[9], "%sNULL", f ? "" : ",");
		put_time(&a[10], x->breach_at[SLA_RESPONSE], f);
		put_time(&a[11], x->breach_at[SLA_RESOLUTION], f);
	}
	for (size_t k = 0; k < 12; k++)
		(void)buf_putc(&a[k], '}');
	applied_arr = store_text_array(applied, n);
	cal_arr = store_text_array(cal, n);
	rc = store_exec(e->st, NULL, err,
	                STORE_CUSTOM_PLAN "UPDATE tickets t SET sla_applied = u.applied, "
	                "sla_calendar = u.cal, sla_response_target_s = u.rt, "
	                "sla_resolution_target_s = u.st, sla_cycle = u.cycle, "
	                "sla_next_at = to_timestamp(u.next), sla_paused_s = u.paused, "
	                "response_due_at = to_timestamp(u.rdue), resolution_due_at = to_timestamp(u.sdue), "
	                "response_left_s = u.rleft, resolution_left_s = u.sleft, sla_computed_at = now(), "
	                "response_breached = t.response_breached OR u.rb IS NOT NULL, "
	                "resolution_breached = t.resolution_breached OR u.sb IS NOT NULL, "
	                "response_breached_at = coalesce(t.response_breached_at, to_timestamp(u.rb)), "
	                "resolution_breached_at = coalesce(t.resolution_breached_at, to_timestamp(u.sb)), "
	                "sla_seen_status = t.status, sla_seen_assignee = t.assignee_id, "
	                "sla_seen_reply_at = t.customer_replied_at "
	                "FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::int[], "
	                "$6::int[], $7::float8[], $8::bigint[], $9::float8[], $10::float8[], "
	                "$11::bigint[], $12::bigint[], $13::float8[], $14::float8[]) "
	                "AS u(id, applied, cal, rt, st, cycle, next, paused, rdue, sdue, rleft, sleft, "
	                "rb, sb) WHERE t.id = u.id",
	                14, a[0].data, applied_arr, cal_arr, a[1].data, a[2].data, a[3].data, a[4].data,
	                a[5].data, a[6].data, a[7].data, a[8].data, a[9].data, a[10].data, a[11].data);
	for (size_t k = 0; k < 12; k++)
		buf_fini(&a[k]);
	free(applied_arr);
	free(cal_arr);
	return rc;
}

int
esc_tickets_tick(struct esc *e, int *n_r, struct tk_err *err)
{
	struct esc_ticket *t = NULL;
	size_t n = 0;
	char *ids = NULL;
	int rc = -1;

	*n_r = 0;
	if (store_begin(e->st, err) < 0)
		return -1;
	if (claim(e, &t, &n, err) < 0)
		goto out;
	if (n == 0) {
		rc = store_commit(e->st, err);
		goto out;
	}
	ids = id_array(t, n);
	if (load_history(e, t, n, ids, err) < 0 || load_steps(e, t, n, ids, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (process(e, &t[i], err) < 0) {
			tk_err_prefix(err, "ticket %" PRId64, t[i].id);
			goto out;
		}
	}
	if (write_back(e, t, n, err) < 0 || esc_flush(e, err) < 0 || store_commit(e->st, err) < 0)
		goto out;
	*n_r = (int)n;
	rc = 0;
out:
	if (rc < 0)
		{
		store_rollback(e->st);
		esc_out_reset(e->out);
	}
	free(ids);
	tickets_free(t, n);
	return rc;
}
