/*
 * escalate_assign.c: automatic assignment, in the escalator's loop
 * (doc/agents.md). A new unassigned ticket is 'due' (a trigger sets it);
 * the assigner takes the most urgent, oldest due ticket's queue, locks
 * the queue's team (a transaction-level advisory lock per team: two
 * daemons assigning to the same agents take turns, other teams go on in
 * parallel), claims that queue's due tickets (FOR UPDATE SKIP LOCKED,
 * most urgent and oldest first), counts the candidates' open workload
 * from committed rows, and assigns each ticket in turn (agent_pick.h),
 * counting each assignment before the next. One transaction per claim:
 * the assignments, their events and notifications commit together.
 *
 * Nobody available: the ticket waits ('waiting'); the first time it is
 * recorded and the queue's escalation hears of it: the queue's chain starts
 * on the clock "unassigned" (its levels fire until someone is assigned or
 * acknowledges) and the queue's notify: unassigned: targets are told. When
 * an agent becomes available a trigger on agents makes every waiting
 * ticket due again, oldest and most urgent first.
 */
/* System. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "agent.h"
#include "agent_pick.h"
#include "config.h"
#include "escalate_int.h"
#include "log.h"
#include "store_message.h"
#include "store_ticket.h"
#include "xalloc.h"

#define ASSIGN_ACTOR "assign"
#define URGENCY \
	"CASE t.priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, " \
	"t.created_at, t.id"

struct asg_ticket {
	int64_t id;
	char priority[16], skill[128];
	int level;
	char mode[16];
	bool waited;                   /* waiting before: the wait was already told */
};

/* The claim's context: its queue, team, and candidates with their workload. */
struct asg {
	struct esc *e;
	const char *queue;
	const struct sla_queue *q;
	const struct sla_team *team;
	struct agent_cand *c;          /* available members */
	size_t n;
	size_t n_members;              /* of the team, available or not */
	double now;
};

/* The most urgent, oldest due ticket's queue (a new string), or NULL. */
static int
next_queue(struct esc *e, char **queue_r, struct tk_err *err)
{
	PGresult *res = NULL;

	*queue_r = NULL;
	if (store_exec(e->st, &res, err,
	               "SELECT t.queue, extract(epoch FROM clock_timestamp()) FROM tickets t "
	               "WHERE t.assign_state = 'due' ORDER BY " URGENCY " LIMIT 1", 0) < 0)
		return -1;
	if (PQntuples(res) > 0) {
		*queue_r = xstrdup(PQgetvalue(res, 0, 0));
		e->now_f = strtod(PQgetvalue(res, 0, 1), NULL);
		e->now = (int64_t)e->now_f;
	}
	PQclear(res);
	return 0;
}

static int
lock_team(struct esc *e, const char *team, struct tk_err *err)
{
	return store_exec(e->st, NULL, err,
	                  "SELECT pg_advisory_xact_lock(hashtext('ticketd-assign'), hashtext($1))", 1,
	                  team);
}

static int
claim(struct asg *a, struct asg_ticket **t_r, int *n_r, struct tk_err *err)
{
	char limit[16];
	PGresult *res = NULL;
	struct asg_ticket *t;
	int n;

	snprintf(limit, sizeof(limit), "%d", a->e->cfg->sla->batch);
	if (store_exec(a->e->st, &res, err,
	               "SELECT t.id, t.priority, coalesce(t.required_skill, ''), "
	               "coalesce(t.required_level, 0), coalesce(t.assign_mode, ''), "
	               "t.assign_waiting_since IS NOT NULL FROM tickets t WHERE t.assign_state = 'due' "
	               "AND t.queue = $1 ORDER BY " URGENCY " LIMIT $2::int FOR UPDATE SKIP LOCKED",
	               2, a->queue, limit) < 0)
		return -1;
	n = PQntuples(res);
	t = xcalloc((size_t)n + 1, sizeof(*t));
	for (int i = 0; i < n; i++) {
		t[i].id = store_int(res, i, 0);
		snprintf(t[i].priority, sizeof(t[i].priority), "%s", PQgetvalue(res, i, 1));
		snprintf(t[i].skill, sizeof(t[i].skill), "%s", PQgetvalue(res, i, 2));
		t[i].level = (int)store_int(res, i, 3);
		snprintf(t[i].mode, sizeof(t[i].mode), "%s", PQgetvalue(res, i, 4));
		t[i].waited = strcmp(PQgetvalue(res, i, 5), "t") == 0;
	}
	PQclear(res);
	*t_r = t;
	*n_r = n;
	return 0;
}

/* The team's available members with their open workload (committed rows: after the lock). */
static int
load_candidates(struct asg *a, struct tk_err *err)
{
	char *names = store_text_array((const char *const *)a->team->members, a->team->n_members);
	char w[4][12];
	PGresult *res = NULL;
	int rc;

	agent_weights_params(a->e->cfg, w);
	a->n_members = a->team->n_members;
	rc = store_exec(a->e->st, &res, err,
	                STORE_CUSTOM_PLAN "SELECT a.id, a.name, coalesce(extract(epoch FROM "
	                "a.last_assigned_at), 0), (SELECT count(*) FROM tickets t WHERE t.assignee_id = "
	                "a.id AND t.status IN " AGENT_OPEN_STATUSES "), (SELECT coalesce(sum("
	                AGENT_WEIGHT_SQL("t", "$2", "$3", "$4", "$5") "), 0) FROM tickets t WHERE "
	                "t.assignee_id = a.id AND t.status IN " AGENT_OPEN_STATUSES ") FROM agents a "
	                "WHERE a.name = ANY($1::text[]) AND a.available", 5, names, w[0], w[1], w[2],
	                w[3]);
	free(names);
	if (rc < 0)
		return -1;
	a->n = (size_t)PQntuples(res);
	a->c = xcalloc(a->n + 1, sizeof(*a->c));
	for (size_t i = 0; i < a->n; i++) {
		struct agent_cand *c = &a->c[i];

		c->id = store_int(res, (int)i, 0);
		for (size_t m = 0; m < a->team->n_members; m++)
			if (strcmp(a->team->members[m], PQgetvalue(res, (int)i, 1)) == 0) {
				c->name = a->team->members[m];   /* borrowed from the config */
				c->order = (int)m;
			}
		c->last_assigned = strtod(PQgetvalue(res, (int)i, 2), NULL);
		c->count = store_int(res, (int)i, 3);
		c->load = store_int(res, (int)i, 4);
	}
	PQclear(res);
	return 0;
}

/* A member's level in a skill (0: not held). */
static int
skill_level(const struct config *cfg, const char *agent, const char *skill)
{
	const struct config_agent *ca = config_agent_by_name(cfg, agent);

	for (size_t i = 0; ca && skill[0] && i < ca->n_skills; i++)
		if (strcmp(ca->skills[i], skill) == 0)
			return ca->levels[i];
	return 0;
}

static enum agent_assign
mode_of(const struct asg *a, const struct asg_ticket *t)
{
	enum agent_assign m = AGENT_ASSIGN_NONE;

	if (t->mode[0] && agent_assign_parse(t->mode, &m) == 0)
		return m;   /* the rule's */
	return a->q ? (enum agent_assign)a->q->assign : AGENT_ASSIGN_NONE;
}

static int
leave(struct asg *a, const struct asg_ticket *t, const char *why, struct tk_err *err)
{
	char sid[24];

	snprintf(sid, sizeof(sid), "%" PRId64, t->id);
	if (store_exec(a->e->st, NULL, err, "UPDATE tickets SET assign_state = NULL, "
	               "assign_waiting_since = NULL WHERE id = $1::bigint", 1, sid) < 0)
		return -1;
	return why ? store_ticket_event(a->e->st, t->id, ASSIGN_ACTOR, "assign-skip", NULL, NULL, why,
	                                err) : 0;
}

static int
give(struct asg *a, const struct asg_ticket *t, enum agent_assign m, const struct agent_cand *pick,
     const struct agent_cand *backup, struct tk_err *err)
{
	char sid[24], aid[24], bid[24], detail[256];

	snprintf(sid, sizeof(sid), "%" PRId64, t->id);
	snprintf(aid, sizeof(aid), "%" PRId64, pick->id);
	snprintf(bid, sizeof(bid), "%" PRId64, backup ? backup->id : 0);
	if (m == AGENT_ASSIGN_SKILL && t->skill[0])
		snprintf(detail, sizeof(detail), "automatic (skill): %s level %d (%s %d or more asked), "
		         "workload %" PRId64 "%s%s", t->skill, pick->level, t->skill, t->level,
		         pick->load, backup ? "; backup " : "", backup ? backup->name : "");
	else
		snprintf(detail, sizeof(detail), "automatic (%s): %s %" PRId64 " in team %s (by %s)",
		         agent_assign_name(m), m == AGENT_ASSIGN_ROUND_ROBIN ? "open tickets" :
		         "workload", m == AGENT_ASSIGN_ROUND_ROBIN ? pick->count : pick->load,
		         a->team->name, a->e->instance);
	if (store_exec(a->e->st, NULL, err,
	               "UPDATE tickets SET assignee_id = $2::bigint, backup_id = nullif($3::bigint, 0), "
	               "assign_state = NULL, assign_waiting_since = NULL, updated_at = now() "
	               "WHERE id = $1::bigint", 3, sid, aid, bid) < 0 ||
	    store_exec(a->e->st, NULL, err, "UPDATE agents SET last_assigned_at = clock_timestamp() "
	               "WHERE id = $1::bigint", 1, aid) < 0 ||
	    store_ticket_event(a->e->st, t->id, ASSIGN_ACTOR, "assignee", NULL, pick->name, detail,
	                       err) < 0 ||
	    (t->waited && esc_timers_cancel(a->e, t->id, "escalate", "unassigned", "assigned",
	                                    err) < 0))
		return -1;
	if (backup && store_ticket_event(a->e->st, t->id, ASSIGN_ACTOR, "backup", NULL, backup->name,
	                                 "the next best engineer for the skill", err) < 0)
		return -1;
	return 0;
}

/* Nobody can take it: wait; the first time, say so and start the queue's escalation. */
static int
wait_for_someone(struct asg *a, const struct asg_ticket *t, enum agent_assign m,
                 struct tk_err *err)
{
	const struct sla_config *sc = a->e->cfg->sla;
	char sid[24], detail[200];
	PGresult *res = NULL;
	int cycle;

	snprintf(sid, sizeof(sid), "%" PRId64, t->id);
	if (store_exec(a->e->st, NULL, err, "UPDATE tickets SET assign_state = 'waiting', "
	               "assign_waiting_since = coalesce(assign_waiting_since, now()) "
	               "WHERE id = $1::bigint", 1, sid) < 0)
		return -1;
	if (t->waited)
		return 0;
	if (m == AGENT_ASSIGN_SKILL && t->skill[0])
		snprintf(detail, sizeof(detail), "nobody in team %s with %s %d or more is available: "
		         "waiting", a->team->name, t->skill, t->level);
	else
		snprintf(detail, sizeof(detail), "nobody in team %s is available (%zu member%s): waiting",
		         a->team->name, a->n_members, a->n_members == 1 ? "" : "s");
	/* each wait its own chain cycle: the count of earlier waits */
	if (store_exec(a->e->st, &res, err, "SELECT count(*) FROM ticket_events WHERE ticket_id = "
	               "$1::bigint AND action = 'assign-wait'", 1, sid) < 0)
		return -1;
	cycle = (int)store_int(res, 0, 0);
	PQclear(res);
	if (store_ticket_event(a->e->st, t->id, ASSIGN_ACTOR, "assign-wait", NULL, NULL, detail,
	                       err) < 0)
		return -1;
	log_info("assign: ticket %" PRId64 ": %s", t->id, detail);
	if (!sc->enabled)
		return 0;
	{
		struct esc_note n = { .ticket_id = t->id, .ev = SLA_EV_UNASSIGNED, .clock = -1,
		                      .level = -1 };
		const struct sla_chain *ch = sla_chain_for(sc, NULL, a->queue);

		snprintf(n.key, sizeof(n.key), "unassigned:%" PRId64 ":%d", t->id, cycle);
		snprintf(n.detail, sizeof(n.detail), "%s", detail);
		if (esc_notify(a->e, &n, sla_notify_targets(sc, a->queue, SLA_EV_UNASSIGNED), a->queue,
		               NULL, err) < 0)
			return -1;
		return ch ? esc_chain_start(a->e, t->id, ch, "unassigned", cycle, a->e->now, err) : 0;
	}
}

static struct agent_cand *
cand_by_id(struct asg *a, int64_t id)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->c[i].id == id)
			return &a->c[i];
	return NULL;
}

static int
assign_one(struct asg *a, const struct asg_ticket *t, struct tk_err *err)
{
	enum agent_assign m = mode_of(a, t);
	struct agent_cand *order;
	size_t eligible;
	int rc;

	if (m == AGENT_ASSIGN_NONE)
		return leave(a, t, NULL, err);
	if (a->team == NULL)
		return leave(a, t, "its queue has no team: not assigned automatically", err);
	order = xcalloc(a->n + 1, sizeof(*order));
	memcpy(order, a->c, a->n * sizeof(*order));
	for (size_t i = 0; i < a->n; i++)
		order[i].level = skill_level(a->e->cfg, order[i].name, t->skill);
	eligible = agent_pick_order(order, a->n, m, m == AGENT_ASSIGN_SKILL && t->skill[0] ?
	                            (t->level > 0 ? t->level : 1) : 0);
	if (eligible == 0) {
		rc = wait_for_someone(a, t, m, err);
	} else {
		rc = give(a, t, m, &order[0], m == AGENT_ASSIGN_SKILL && eligible > 1 ? &order[1] : NULL,
		          err);
		if (rc == 0) {
			a->now += 1e-6;   /* the next pick sees this one as the most recent */
			agent_pick_took(cand_by_id(a, order[0].id), agent_weight(a->e->cfg, t->priority),
			                a->now);
		}
	}
	free(order);
	return rc;
}

/* One claim: a queue's due tickets under its team's lock. */
static int
assign_queue(struct esc *e, const char *queue, int *n_r, struct tk_err *err)
{
	struct asg a = { .e = e, .queue = queue, .q = sla_queue_named(e->cfg->sla, queue) };
	struct asg_ticket *t = NULL;
	int n = 0, rc = -1;

	a.team = a.q && a.q->team ? sla_team_named(e->cfg->sla, a.q->team) : NULL;
	a.now = e->now_f;
	if (claim(&a, &t, &n, err) < 0)
		goto out;
	/* The team's lock, then the workloads it guards, only when a ticket is to be
	 * assigned (a queue assigning none costs no lock); the claimed rows are ours
	 * meanwhile (SKIP LOCKED: nobody waits on them while we wait for the lock). */
	for (int i = 0; i < n && a.c == NULL; i++) {
		if (mode_of(&a, &t[i]) != AGENT_ASSIGN_NONE && a.team &&
		    (lock_team(e, a.team->name, err) < 0 || load_candidates(&a, err) < 0))
			goto out;
	}
	for (int i = 0; i < n; i++) {
		if (assign_one(&a, &t[i], err) < 0) {
			tk_err_prefix(err, "assigning ticket %" PRId64, t[i].id);
			goto out;
		}
	}
	*n_r = n;
	rc = 0;
out:
	free(t);
	free(a.c);
	return rc;
}

int
esc_assign_tick(struct esc *e, int *n_r, struct tk_err *err)
{
	char *queue = NULL;
	int rc = -1;

	*n_r = 0;
	if (store_begin(e->st, err) < 0)
		return -1;
	if (next_queue(e, &queue, err) < 0)
		goto out;
	if (queue && assign_queue(e, queue, n_r, err) < 0)
		goto out;
	if (esc_flush(e, err) < 0 || store_commit(e->st, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		store_rollback(e->st);
		esc_out_reset(e->out);
		*n_r = 0;
	}
	free(queue);
	return rc;
}

int
esc_assign_wake(struct esc *e, struct tk_err *err)
{
	return store_exec(e->st, NULL, err, "UPDATE tickets SET assign_state = 'due' "
	                  "WHERE assign_state = 'waiting'", 0);
}
