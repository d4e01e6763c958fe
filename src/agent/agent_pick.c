/*
 * agent_pick.c: order the candidates for a ticket (agent_pick.h). A
 * stable comparison with a total order (the members' configured order
 * last), so two daemons given the same facts pick the same agent.
 */
/* System. */
#include <stdlib.h>
/* ticketd. */
#include "agent_pick.h"

static int
cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int
cmp_tail(const struct agent_cand *a, const struct agent_cand *b)
{
	if (a->last_assigned != b->last_assigned)
		return a->last_assigned < b->last_assigned ? -1 : 1;
	return a->order - b->order;
}

static int
cmp_count(const void *pa, const void *pb)
{
	const struct agent_cand *a = pa, *b = pb;
	int c = cmp_i64(a->count, b->count);

	return c ? c : cmp_tail(a, b);
}

static int
cmp_load(const void *pa, const void *pb)
{
	const struct agent_cand *a = pa, *b = pb;
	int c = cmp_i64(a->load, b->load);

	return c ? c : cmp_tail(a, b);
}

static int
cmp_skill(const void *pa, const void *pb)
{
	const struct agent_cand *a = pa, *b = pb;

	if (a->level != b->level)
		return b->level - a->level;
	return cmp_load(pa, pb);
}

size_t
agent_pick_order(struct agent_cand *c, size_t n, enum agent_assign mode, int min_level)
{
	size_t eligible = 0;

	if (n == 0)
		return 0;
	if (mode == AGENT_ASSIGN_SKILL && min_level > 0) {
		qsort(c, n, sizeof(*c), cmp_skill);
		while (eligible < n && c[eligible].level >= min_level)
			eligible++;
		return eligible;
	}
	qsort(c, n, sizeof(*c), mode == AGENT_ASSIGN_ROUND_ROBIN ? cmp_count : cmp_load);
	return mode == AGENT_ASSIGN_NONE ? 0 : n;
}

void
agent_pick_took(struct agent_cand *c, int weight, double now)
{
	c->count++;
	c->load += weight;
	c->last_assigned = now;
}
