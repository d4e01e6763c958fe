/*
 * sla_start.h: the SLA of a ticket being created, computed by the worker
 * that creates it and written with the ticket in the same INSERT. Without
 * it the escalator would look at every new ticket once more (a claim and
 * an UPDATE per ticket) only to find what is known at creation: the
 * policy, the due times and the first step. When the escalator must look
 * at once anyway (the queue wants to hear of new tickets, or the policy
 * pages at creation), look_now says so and nothing else is set.
 */
#ifndef TK_SLA_START_H
#define TK_SLA_START_H

#include <stdbool.h>
#include <stdint.h>

struct sla_config;
struct sla_ticket_facts;

struct sla_start {
	bool look_now;                 /* leave it all to the escalator's first look */
	const char *applied;           /* the policy's name, "" when none applies (borrowed) */
	const char *calendar;          /* its calendar's name (borrowed), NULL without policy */
	int64_t response_s, resolution_s;          /* the targets */
	int64_t response_in, resolution_in, next_in; /* seconds from now: due times, first step */
};

/*
 * Fill *s for a new ticket with facts f (its defaults resolved: tenant,
 * priority, queue, type as the ticket will have them), created at now
 * (Unix seconds).
 */
void sla_start_compute(const struct sla_config *c, const struct sla_ticket_facts *f, int64_t now,
                       struct sla_start *s);

#endif
