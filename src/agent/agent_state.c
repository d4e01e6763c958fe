/*
 * agent_state.c: agents' states in the database (agent.h): a change by a
 * person (ticketctl, an email command) with its audit and the hand-off of
 * an absent agent's tickets, and the presence pass that ends `until`
 * states and follows working hours. Each statement that changes agents
 * writes its agent_events rows in the same statement, so two daemons doing
 * the presence pass at once audit each change once (the second one's
 * UPDATE finds nothing left to change).
 */
/* System. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
/* ticketd. */
#include "agent.h"
#include "agent_time.h"
#include "config.h"
#include "sla_calendar.h"
#include "sla_config.h"
#include "store_message.h"
#include "xalloc.h"

static const char *const state_names[AGENT_STATE_COUNT] = {
	"available", "busy", "away", "offline",
};
static const char *const assign_names[AGENT_ASSIGN_COUNT] = {
	"none", "round_robin", "least_loaded", "skill",
};

/* The index of s in names[0..n), or -1. */
static int
name_index(const char *const *names, int n, const char *s)
{
	for (int i = 0; s && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

const char *
agent_state_name(enum agent_state s)
{
	return (unsigned)s < AGENT_STATE_COUNT ? state_names[s] : "?";
}

int
agent_state_parse(const char *s, enum agent_state *s_r)
{
	int i = name_index(state_names, AGENT_STATE_COUNT, s);

	if (i < 0)
		return -1;
	*s_r = (enum agent_state)i;
	return 0;
}

const char *
agent_assign_name(enum agent_assign m)
{
	return (unsigned)m < AGENT_ASSIGN_COUNT ? assign_names[m] : "?";
}

int
agent_assign_parse(const char *s, enum agent_assign *m_r)
{
	int i = name_index(assign_names, AGENT_ASSIGN_COUNT, s);

	if (i < 0)
		return -1;
	*m_r = (enum agent_assign)i;
	return 0;
}

/* The queues whose agents' tickets go back when they leave (on_away: reassign). */
static char *
reassign_queues(const struct config *cfg)
{
	const struct sla_config *sc = cfg->sla;
	const char **names = xcalloc(sc && sc->n_queues ? sc->n_queues : 1, sizeof(*names));
	size_t n = 0;
	char *arr;

	for (size_t i = 0; sc && i < sc->n_queues; i++)
		if (sc->queues[i].on_away_reassign)
			names[n++] = sc->queues[i].name;
	arr = store_text_array(names, n);
	free(names);
	return arr;
}

/* Hand the agent's new and open tickets in on_away: reassign queues back to the assigner. */
static int
hand_off(struct store *st, const struct config *cfg, const struct agent_change *c, int64_t agent_id,
         int *handed_r, struct tk_err *err)
{
	char *queues = reassign_queues(cfg), sid[24], *detail;
	PGresult *res = NULL;
	int rc;

	snprintf(sid, sizeof(sid), "%" PRId64, agent_id);
	detail = xasprintf("handed back to automatic assignment: %s is %s (on_away: reassign)",
	                   c->agent, agent_state_name(c->state));
	rc = store_exec(st, &res, err,
	                "WITH t AS (UPDATE tickets SET assignee_id = NULL, backup_id = NULL, "
	                "assign_state = 'due', updated_at = now() WHERE assignee_id = $1::bigint "
	                "AND status IN ('new', 'open', 'reopened') AND queue = ANY($2::text[]) "
	                "RETURNING id, queue), e AS (INSERT INTO ticket_events (ticket_id, actor, "
	                "action, old_value, new_value, detail) SELECT id, $3, 'assignee', $4, NULL, "
	                "$5 || ' in queue ' || queue FROM t) SELECT count(*) FROM t",
	                5, sid, queues, c->actor, c->agent, detail);
	free(queues);
	free(detail);
	if (rc < 0)
		return -1;
	*handed_r = (int)store_int(res, 0, 0);
	PQclear(res);
	if (*handed_r == 0)
		return 0;
	{
		char n[24];

		snprintf(n, sizeof(n), "%d", *handed_r);
		return store_exec(st, NULL, err,
		                  "INSERT INTO agent_events (agent_id, actor, action, new_value, detail) "
		                  "VALUES ($1::bigint, $2, 'handoff', $3, 'new and open tickets handed "
		                  "back to automatic assignment')", 3, sid, c->actor, n);
	}
}

static void
describe(enum agent_state s, int64_t until, char *buf, size_t len)
{
	char when[40];

	if (until <= 0) {
		snprintf(buf, len, "%s", agent_state_name(s));
		return;
	}
	agent_time_format(until, when, sizeof(when));
	snprintf(buf, len, "%s until %s", agent_state_name(s), when);
}

int
agent_state_set(struct store *st, const struct config *cfg, const struct agent_change *c,
                int *handed_r, struct tk_err *err)
{
	char until[24], newv[96], oldv[96];
	PGresult *res = NULL;
	enum agent_state old = AGENT_AVAILABLE;
	int64_t id, old_until;
	int handed = 0;

	if (handed_r)
		*handed_r = 0;
	if (c->state == AGENT_AVAILABLE && c->until > 0)
		return tk_err_set(err, "available takes no until (an until ends busy, away or offline)");
	snprintf(until, sizeof(until), "%" PRId64, c->until);
	if (store_exec(st, &res, err,
	               "WITH o AS (SELECT id, state, coalesce(extract(epoch FROM state_until)::bigint, "
	               "0) AS until FROM agents WHERE name = $1 FOR UPDATE) "
	               "UPDATE agents a SET state = $2, state_until = CASE WHEN $3::bigint > 0 THEN "
	               "to_timestamp($3::bigint) END, state_at = now(), state_by = $4 FROM o "
	               "WHERE a.id = o.id RETURNING a.id, o.state, o.until",
	               4, c->agent, agent_state_name(c->state), until, c->actor) < 0)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return tk_err_set(err, "no agent named \"%s\" (agents: in the configuration)", c->agent);
	}
	id = store_int(res, 0, 0);
	(void)agent_state_parse(PQgetvalue(res, 0, 1), &old);
	old_until = store_int(res, 0, 2);
	PQclear(res);
	describe(old, old_until, oldv, sizeof(oldv));
	describe(c->state, c->until, newv, sizeof(newv));
	snprintf(until, sizeof(until), "%" PRId64, id);
	if (store_exec(st, NULL, err,
	               "INSERT INTO agent_events (agent_id, actor, action, old_value, new_value, detail) "
	               "VALUES ($1::bigint, $2, 'state', $3, $4, $5)",
	               5, until, c->actor, oldv, newv, c->why) < 0)
		return -1;
	if ((c->state == AGENT_AWAY || c->state == AGENT_OFFLINE) &&
	    hand_off(st, cfg, c, id, &handed, err) < 0)
		return -1;
	if (handed_r)
		*handed_r = handed;
	return 0;
}

int
agent_until(const struct config *cfg, const char *agent, const char *text, int64_t *until_r,
            struct tk_err *err)
{
	const struct sla_calendar *cal = agent_hours(cfg, config_agent_by_name(cfg, agent));

	*until_r = 0;
	if (text == NULL)
		return 0;
	return agent_time_parse(text, (int64_t)time(NULL), cal ? sla_calendar_timezone(cal) : NULL,
	                        until_r, err);
}

int
agent_state_by_mail(struct store *st, const struct config *cfg, const char *agent,
                    const char *state, const char *until, const char *actor, struct tk_err *err)
{
	struct agent_change ch = { .agent = agent, .actor = actor, .why = "by email" };

	if (agent_state_parse(state, &ch.state) < 0)
		return tk_err_set(err, "#%s: not a state", state ? state : "?");
	if (agent_until(cfg, agent, until, &ch.until, err) < 0)
		return -1;
	return agent_state_set(st, cfg, &ch, NULL, err);
}

/* States whose until has passed: available again. */
static int
end_untils(struct store *st, int *n_r, struct tk_err *err)
{
	PGresult *res = NULL;

	if (store_exec(st, &res, err,
	               "WITH x AS (SELECT id, state, state_until FROM agents WHERE state_until <= now() "
	               "FOR UPDATE SKIP LOCKED), u AS (UPDATE agents a SET state = 'available', "
	               "state_until = NULL, state_at = now(), state_by = 'system' FROM x "
	               "WHERE a.id = x.id RETURNING a.id, x.state, x.state_until), "
	               "e AS (INSERT INTO agent_events (agent_id, actor, action, old_value, new_value, "
	               "detail) SELECT id, 'system', 'state', state || ' until ' || to_char(state_until "
	               "AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC', 'available', "
	               "'the time given has passed' FROM u) SELECT count(*) FROM u", 0) < 0)
		return -1;
	*n_r += (int)store_int(res, 0, 0);
	PQclear(res);
	return 0;
}

/* in_hours as each agent's working hours say at now. */
static int
follow_hours(struct store *st, const struct config *cfg, int *n_r, struct tk_err *err)
{
	const char **names = xcalloc(cfg->n_agents + 1, sizeof(*names));
	const char **ins = xcalloc(cfg->n_agents + 1, sizeof(*ins));
	int64_t now = (int64_t)time(NULL);
	char *an, *ai;
	PGresult *res = NULL;
	int rc;

	for (size_t i = 0; i < cfg->n_agents; i++) {
		const struct sla_calendar *cal = agent_hours(cfg, &cfg->agents[i]);

		names[i] = cfg->agents[i].name;
		ins[i] = cal == NULL || sla_calendar_open_at(cal, now) ? "t" : "f";
	}
	an = store_text_array(names, cfg->n_agents);
	ai = store_text_array(ins, cfg->n_agents);
	rc = store_exec(st, &res, err,
	                "WITH u AS (UPDATE agents a SET in_hours = x.v FROM unnest($1::text[], "
	                "$2::boolean[]) AS x(name, v) WHERE a.name = x.name AND a.in_hours <> x.v "
	                "RETURNING a.id, x.v), e AS (INSERT INTO agent_events (agent_id, actor, action, "
	                "old_value, new_value, detail) SELECT id, 'system', 'hours', CASE WHEN v THEN "
	                "'outside' ELSE 'inside' END, CASE WHEN v THEN 'inside' ELSE 'outside' END, "
	                "'working hours (agents[].hours)' FROM u) SELECT count(*) FROM u", 2, an, ai);
	free(an);
	free(ai);
	free(names);
	free(ins);
	if (rc < 0)
		return -1;
	*n_r += (int)store_int(res, 0, 0);
	PQclear(res);
	return 0;
}

int
agent_presence_pass(struct store *st, const struct config *cfg, int *changed_r, struct tk_err *err)
{
	int n = 0;

	if (changed_r)
		*changed_r = 0;
	if (end_untils(st, &n, err) < 0 || follow_hours(st, cfg, &n, err) < 0)
		return -1;
	if (changed_r)
		*changed_r = n;
	return 0;
}
