/*
 * escalate.c: the escalator thread (escalate.h): connect, LISTEN, then
 * loop: a pass over due tickets and due timers (escalate_ticket.c,
 * escalate_timer.c), and a sleep until the next due time, the next
 * NOTIFY ticketd_sla (a ticket changed), or sla.poll_interval, whichever
 * comes first. Finding the next due time reads the first entry of two
 * partial indexes, so a tick costs the same with ten or a million open
 * tickets. Behind PgBouncer in transaction pooling NOTIFY does not reach a
 * LISTENer; due times are still met (they are known in advance) and
 * changes are noticed within sla.poll_interval.
 */
/* System. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
/* ticketd. */
#include "agent.h"
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "escalate.h"
#include "escalate_int.h"
#include "log.h"
#include "metrics.h"
#include "report_send.h"
#include "xalloc.h"

#define ESC_CHECK_EVERY_S 60       /* self-check */
#define ESC_GAUGE_EVERY_S 15       /* "due within the hour" */
#define ESC_STOP_CHECK_MS 500      /* longest sleep without looking at the stop flag */
#define ESC_BUSY_RETRY_MS 50       /* due rows held by another transaction: look again */

struct esc_thread {
	struct daemon *daemon;
	struct store *st;
	int listen_pid;                /* backend that LISTENs (a new one after a reconnect) */
	struct esc_out *out;
	int64_t backoff_ms;
	uint64_t seen;
	struct config *seen_cfg;       /* the snapshot last prepared for (a reference) */
	double last_presence;          /* monotonic seconds of the last presence pass */
};

int
escalate_self_check(struct store *st, struct escalate_check *c, struct tk_err *err)
{
	PGresult *res = NULL;
	int64_t t0 = clock_mono_ms();

	memset(c, 0, sizeof(*c));
	if (store_exec(st, &res, err,
	               "SELECT (SELECT count(*) FROM tickets WHERE sla_next_at < now() - interval "
	               "'5 seconds'), (SELECT count(*) FROM timers WHERE state = 'pending' AND due_at "
	               "< now() - interval '5 seconds'), coalesce(extract(epoch FROM now() - least("
	               "(SELECT min(sla_next_at) FROM tickets WHERE sla_next_at IS NOT NULL), "
	               "(SELECT min(due_at) FROM timers WHERE state = 'pending'))), 0)", 0) < 0)
		return -1;
	c->tickets_overdue = store_int(res, 0, 0);
	c->timers_overdue = store_int(res, 0, 1);
	c->oldest_s = strtod(PQgetvalue(res, 0, 2), NULL);
	PQclear(res);
	/* A running clock past its due time with neither a breach nor a next look. */
	if (store_exec(st, &res, err,
	               "WITH r AS (UPDATE tickets SET sla_next_at = now() WHERE id IN ("
	               "SELECT id FROM tickets WHERE response_due_at < now() - interval '5 seconds' "
	               "AND NOT response_breached UNION SELECT id FROM tickets WHERE resolution_due_at "
	               "< now() - interval '5 seconds' AND NOT resolution_breached) "
	               "AND sla_next_at IS NULL RETURNING 1) SELECT count(*) FROM r", 0) < 0)
		return -1;
	c->repaired = store_int(res, 0, 0);
	PQclear(res);
	if (store_exec(st, &res, err,
	               "SELECT (SELECT count(*) FROM tickets WHERE response_due_at BETWEEN now() AND "
	               "now() + interval '1 hour' AND NOT response_breached) + (SELECT count(*) FROM "
	               "tickets WHERE resolution_due_at BETWEEN now() AND now() + interval '1 hour' "
	               "AND NOT resolution_breached)", 0) < 0)
		return -1;
	c->due_within_hour = store_int(res, 0, 0);
	PQclear(res);
	c->took_s = (double)(clock_mono_ms() - t0) / 1000;
	return 0;
}

static void
report_check(const struct escalate_check *c, bool at_start)
{
	if (c->tickets_overdue || c->timers_overdue)
		log_warn("sla: self-check%s: %" PRId64 " tickets and %" PRId64 " timers are overdue "
		         "(the oldest by %.0f s); they fire now, late, and say so (several for one "
		         "recipient go out as one digest)", at_start ? " at start" : "",
		         c->tickets_overdue, c->timers_overdue, c->oldest_s);
	if (c->repaired)
		log_warn("sla: self-check: %" PRId64 " running clocks were past due with no step "
		         "scheduled; they are recomputed now", c->repaired);
	log_debug("sla: self-check took %.3f s; %" PRId64 " clocks due within the hour", c->took_s,
	          c->due_within_hour);
}

int
escalate_pass(struct store *st, const struct config *cfg, int *n_r, struct tk_err *err)
{
	struct esc e = { .cfg = cfg, .st = st, .instance = cfg->instance, .out = esc_out_new() };
	int a = 0, b = 0, rc;

	rc = esc_tickets_tick(&e, &a, err);
	if (rc == 0)
		rc = esc_timers_tick(&e, &b, err);
	esc_out_free(&e.out);
	*n_r = a + b;
	return rc;
}

/* Connect (or check) and LISTEN on every new backend. */
static bool
esc_connect(struct esc_thread *x, const struct config *cfg)
{
	struct tk_err err = { 0 };
	int rc = x->st ? store_check(x->st, &err) : store_open(config_dsn(cfg), &x->st, &err);

	if (rc == 0 && PQbackendPID(store_conn(x->st)) != x->listen_pid) {
		rc = store_exec(x->st, NULL, &err, "LISTEN ticketd_sla", 0);
		if (rc == 0)
			x->listen_pid = PQbackendPID(store_conn(x->st));
	}
	if (rc == 0) {
		if (x->backoff_ms > 100)
			log_info("sla: database connection restored");
		x->backoff_ms = 100;
		return true;
	}
	if (x->backoff_ms <= 100 || x->backoff_ms >= 5000)
		log_warn("sla: %s; retrying in %" PRId64 " ms", err.msg, x->backoff_ms);
	daemon_wait(x->daemon, x->backoff_ms, &x->seen);
	x->backoff_ms = x->backoff_ms * 2 > 5000 ? 5000 : x->backoff_ms * 2;
	return false;
}

/* Milliseconds until the next due ticket or timer (capped at cap_ms; 0: now). */
static int64_t
next_due_ms(struct esc_thread *x, bool sla, int64_t cap_ms)
{
	struct tk_err err = { 0 };
	PGresult *res = NULL;
	int64_t ms = cap_ms;

	if (store_exec(x->st, &res, &err,
	               "SELECT ceil(extract(epoch FROM least(CASE WHEN $1::boolean THEN (SELECT "
	               "min(sla_next_at) FROM tickets WHERE sla_next_at IS NOT NULL) END, (SELECT "
	               "min(due_at) FROM timers WHERE state = 'pending' AND ($1::boolean OR kind = "
	               "'report'))) - clock_timestamp()) * 1000)::bigint", 1, sla ? "true" : "false") < 0)
		return ESC_STOP_CHECK_MS;
	if (store_val(res, 0, 0) != NULL) {
		ms = store_int(res, 0, 0);
		ms = ms < 0 ? 0 : ms > cap_ms ? cap_ms : ms;
	}
	PQclear(res);
	return ms;
}

/* Sleep up to ms, or until a NOTIFY arrives. */
static void
esc_sleep(struct esc_thread *x, int64_t ms)
{
	PGconn *conn = store_conn(x->st);
	struct pollfd pfd = { .fd = PQsocket(conn), .events = POLLIN };
	PGnotify *n;
	bool woken = false;

	while ((n = PQnotifies(conn)) != NULL) {   /* already read with a result */
		PQfreemem(n);
		woken = true;
	}
	if (woken || ms <= 0 || pfd.fd < 0)
		return;
	if (poll(&pfd, 1, (int)(ms > ESC_STOP_CHECK_MS ? ESC_STOP_CHECK_MS : ms)) > 0 &&
	    PQconsumeInput(conn)) {
		while ((n = PQnotifies(conn)) != NULL)
			PQfreemem(n);
	}
}

static void
esc_periodic(struct esc_thread *x, double *last_check, double *last_gauge)
{
	struct escalate_check c;
	struct tk_err err = { 0 };
	double now = (double)clock_mono_ms() / 1000;
	bool check = now - *last_check >= ESC_CHECK_EVERY_S;

	if (!check && now - *last_gauge < ESC_GAUGE_EVERY_S)
		return;
	if (escalate_self_check(x->st, &c, &err) < 0) {
		log_warn("sla: self-check failed: %s", err.msg);
		return;
	}
	if (check)
		report_check(&c, *last_check == 0);
	if (x->daemon->metrics)
		metrics_sla_due(x->daemon->metrics, c.due_within_hour);
	*last_gauge = now;
	if (check)
		*last_check = now;
}

/*
 * Agents' presence (about once a second: ends of `until`, working hours),
 * and what a new configuration changes: every waiting ticket is looked at
 * again (teams and modes may differ) and each scheduled report gets its
 * next run.
 */
static int
esc_agents(struct esc_thread *x, struct esc *e, struct tk_err *err)
{
	double now = (double)clock_mono_ms() / 1000;
	int changed = 0;

	if (now - x->last_presence >= 1.0) {
		if (agent_presence_pass(x->st, e->cfg, &changed, err) < 0)
			return -1;
		if (changed)
			log_info("agents: %d agent%s changed availability (until passed, working hours)",
			         changed, changed == 1 ? "" : "s");
		x->last_presence = now;
	}
	if (x->seen_cfg == e->cfg)
		return 0;
	if (esc_assign_wake(e, err) < 0 || report_schedule_all(x->st, e->cfg, err) < 0)
		return -1;
	config_unref(&x->seen_cfg);
	x->seen_cfg = config_ref((struct config *)e->cfg);
	return 0;
}

/* One round: a pass, then a sleep when there is nothing more to do now. */
static void
esc_round(struct esc_thread *x, struct config *cfg, double *last_check, double *last_gauge)
{
	struct esc e = {
		.daemon = x->daemon, .cfg = cfg, .st = x->st, .metrics = x->daemon->metrics,
		.instance = cfg->instance, .out = x->out,
	};
	struct tk_err err = { 0 };
	bool sla = cfg->sla->enabled;
	int a = 0, b = 0, c = 0;
	int64_t ms;

	if (sla)
		esc_periodic(x, last_check, last_gauge);
	if (esc_agents(x, &e, &err) < 0 || esc_assign_tick(&e, &c, &err) < 0 ||
	    (sla && esc_tickets_tick(&e, &a, &err) < 0) || esc_timers_tick(&e, &b, &err) < 0) {
		log_warn("sla: %s; trying again in %" PRId64 " ms", err.msg, x->backoff_ms);
		daemon_wait(x->daemon, x->backoff_ms, &x->seen);
		x->backoff_ms = x->backoff_ms * 2 > 5000 ? 5000 : x->backoff_ms * 2;
		return;
	}
	x->backoff_ms = 100;
	if (a >= cfg->sla->batch || b >= cfg->sla->batch || c > 0)
		return;   /* more is due: no sleep */
	ms = next_due_ms(x, sla, cfg->sla->poll_interval_ms);
	/* Due but nothing claimed: a worker holds those rows (SKIP LOCKED passed
	 * them over). Look again shortly rather than spin. */
	if (a == 0 && b == 0 && ms < ESC_BUSY_RETRY_MS)
		ms = ESC_BUSY_RETRY_MS;
	esc_sleep(x, ms);
}

static void *
esc_main(void *arg)
{
	struct escalator *xa = arg;
	struct esc_thread x = { .daemon = xa->daemon, .backoff_ms = 100, .out = esc_out_new() };
	double last_check = 0, last_gauge = 0;

	log_info("sla: escalator started");
	while (!daemon_stopping(x.daemon)) {
		struct config *cfg = daemon_config(x.daemon);

		if (esc_connect(&x, cfg))
			esc_round(&x, cfg, &last_check, &last_gauge);
		config_unref(&cfg);
	}
	config_unref(&x.seen_cfg);
	esc_out_free(&x.out);
	store_close(&x.st);
	log_info("sla: escalator stopped");
	return NULL;
}

int
escalate_start(struct escalator *x, struct daemon *d, struct tk_err *err)
{
	int rc;

	x->daemon = d;
	rc = pthread_create(&x->thread, NULL, esc_main, x);
	if (rc != 0)
		return tk_err_set(err, "sla: cannot start the escalator thread: %s", strerror(rc));
	x->started = 1;
	return 0;
}

int
escalate_join(struct escalator *x, const struct timespec *deadline)
{
	if (!x->started)
		return 0;
	if (pthread_timedjoin_np(x->thread, NULL, deadline) != 0)
		return -1;
	x->started = 0;
	return 0;
}
