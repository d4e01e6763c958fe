/*
 * agent_config.h: the configuration of agents' work beyond the agents:
 * list itself: agents[].hours (working hours, a calendar of
 * sla.calendars), assignment: (workload weights per priority),
 * queues[].assign and queues[].on_away (read for sla_config.c's queues),
 * and csat: (customer satisfaction ratings). Keys in ticketd.conf(5),
 * the model in doc/agents.md.
 */
#ifndef TK_AGENT_CONFIG_H
#define TK_AGENT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct config;
struct ynode;

struct agent_config {
	int weights[4];          /* an open ticket's weight by priority: low, medium, high, critical */
	bool csat;               /* the resolved notice asks the customer for a rating */
	char *csat_url;          /* public base URL of ticketd's HTTP listener; NULL: by reply only */
	int64_t csat_ttl_s;      /* how long after the resolution a rating counts (links expire) */
};

/*
 * Load assignment: and csat: and check agents[].hours against the
 * calendars of cfg->sla (load after sla_config_load). *out_r is never
 * NULL afterwards (defaults); errors go to errs as FILE:LINE:COL: message.
 */
void agent_config_load(const struct ynode *root, const struct config *cfg,
                       struct agent_config **out_r, struct tk_errlist *errs);
void agent_config_free(struct agent_config **c);

/* The keys this file documents (NULL-terminated), for the documentation test. */
const char *const *agent_config_keys(void);

/*
 * A queue's assign: (none, round_robin, least_loaded, skill; default none)
 * and on_away: (keep, reassign; default keep) from its mapping q.
 */
void agent_queue_load(const struct ynode *q, int *assign_r, bool *reassign_r,
                      struct tk_errlist *errs);

#endif
