/*
 * agent.h: agents' availability and their work (doc/agents.md).
 *
 * An agent is available, busy, away or offline, optionally until a time
 * (then available again); set by `ticketctl agent status` and by an
 * agent's email command (#available, #busy, #away until ...). With working
 * hours (agents[].hours: a calendar, as for SLA business hours) an agent
 * counts as offline outside them. agents.available (a generated column:
 * state available and inside the hours) is what every reader uses: the
 * assigner and the escalator's skip of agents who are not available.
 * Every change is written to agent_events.
 *
 * The functions that write run inside the caller's transaction.
 */
#ifndef TK_AGENT_H
#define TK_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

struct config;
struct config_agent;

enum agent_state { AGENT_AVAILABLE, AGENT_BUSY, AGENT_AWAY, AGENT_OFFLINE, AGENT_STATE_COUNT };

/* How a queue (or a rule) assigns its new tickets. */
enum agent_assign {
	AGENT_ASSIGN_NONE, AGENT_ASSIGN_ROUND_ROBIN, AGENT_ASSIGN_LEAST_LOADED, AGENT_ASSIGN_SKILL,
	AGENT_ASSIGN_COUNT
};

/*
 * An agent's open workload: tickets in these statuses (the partial index
 * tickets_workload holds exactly them), each weighted by priority. The
 * weight expression reads the weights of low, medium, high and critical
 * from parameters $W1..$W4 of the statement that uses it.
 */
#define AGENT_OPEN_STATUSES "('new', 'open', 'in_progress', 'pending', 'reopened')"
#define AGENT_WEIGHT_SQL(t, w1, w2, w3, w4) \
	"CASE " t ".priority WHEN 'low' THEN " w1 "::int WHEN 'medium' THEN " w2 "::int " \
	"WHEN 'high' THEN " w3 "::int ELSE " w4 "::int END"

/* The weights of low, medium, high and critical as parameter strings (buf: 4 x 12 bytes). */
void agent_weights_params(const struct config *cfg, char buf[4][12]);

/* "available", ... (static); parse: 0, or -1 when s is not a state. */
const char *agent_state_name(enum agent_state s);
int agent_state_parse(const char *s, enum agent_state *s_r);
/* "none", "round_robin", "least_loaded", "skill" (static); parse: 0 or -1. */
const char *agent_assign_name(enum agent_assign m);
int agent_assign_parse(const char *s, enum agent_assign *m_r);

/* A change of state. */
struct agent_change {
	const char *agent;            /* the agent's name */
	enum agent_state state;
	int64_t until;                /* Unix seconds, 0: no end (busy/away/offline only) */
	const char *actor;            /* "ticketctl:root", "agent:alice", ... */
	const char *why;              /* for the audit (may be NULL) */
};

/*
 * Set an agent's state and audit it (agent_events). Going away or offline
 * hands the agent's new and open tickets of queues with on_away: reassign
 * back to automatic assignment, each audited on its ticket; *handed_r (may
 * be NULL) gets how many. Unknown agent: -1 with err.
 */
int agent_state_set(struct store *st, const struct config *cfg, const struct agent_change *c,
                    int *handed_r, struct tk_err *err) __attribute__((warn_unused_result));

/*
 * The end of a "#busy until TIME" an agent wrote (agent_time.h), in the
 * zone of the agent's working hours, else UTC. 0, or -1 with err.
 */
int agent_until(const struct config *cfg, const char *agent, const char *text, int64_t *until_r,
                struct tk_err *err) __attribute__((warn_unused_result));

/*
 * An agent's own email command (#available, #busy, #away, #offline: state
 * is its name) with its "until" text or NULL, proven by the reply token:
 * agent_state_set() by actor with why "by email".
 */
int agent_state_by_mail(struct store *st, const struct config *cfg, const char *agent,
                        const char *state, const char *until, const char *actor,
                        struct tk_err *err) __attribute__((warn_unused_result));

/*
 * The presence pass (the escalator, about once a second): states whose
 * `until` has passed become available again, and in_hours follows each
 * agent's working hours at now; both audited. *changed_r (may be NULL)
 * gets how many agents changed. Autocommit or the caller's transaction.
 */
int agent_presence_pass(struct store *st, const struct config *cfg, int *changed_r,
                        struct tk_err *err) __attribute__((warn_unused_result));

/* The working-hours calendar of an agent, or NULL for none (always in hours). Borrowed. */
const struct sla_calendar *agent_hours(const struct config *cfg, const struct config_agent *a);

/* The weight of one open ticket of priority p in a workload (assignment.weights; 1 by default). */
int agent_weight(const struct config *cfg, const char *priority);

#endif
