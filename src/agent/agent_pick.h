/*
 * agent_pick.h: whom the assigner gives a ticket (pure; the assigner in
 * src/sla/escalate_assign.c reads the candidates from the database).
 *
 *   round_robin   the fewest open tickets (each counts 1), ties to whoever
 *                 was assigned least recently (never first): a rotation
 *                 among agents with the same load
 *   least_loaded  the least open workload, each ticket weighted by its
 *                 priority (assignment.weights), ties as above
 *   skill         agents with the required skill at min_level or above,
 *                 highest level first, then least workload, then least
 *                 recently assigned; the second is the backup engineer
 *
 * Candidates are the available members of the queue's team; the last
 * tie-break is the order of the team's members in the configuration, so a
 * decision never depends on the database's row order.
 */
#ifndef TK_AGENT_PICK_H
#define TK_AGENT_PICK_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"

struct agent_cand {
	const char *name;        /* borrowed */
	int64_t id;              /* agents.id */
	int level;               /* the required skill's level; 0: not held */
	int64_t count;           /* open tickets */
	int64_t load;            /* open workload, weighted */
	double last_assigned;    /* Unix seconds with fractions; 0: never */
	int order;               /* position among the team's members */
};

/*
 * Sort c (n entries) into the order of preference for mode and return how
 * many lead it as eligible (for skill: level >= min_level; others: all).
 * c[0] is the pick and, for skill, c[1] the backup when the result is 2 or
 * more. Skill without a skill asked for (min_level 0) sorts as least_loaded.
 */
size_t agent_pick_order(struct agent_cand *c, size_t n, enum agent_assign mode, int min_level);

/* What an assignment did to the pick, for the next ticket of the same batch. */
void agent_pick_took(struct agent_cand *c, int weight, double now);

#endif
