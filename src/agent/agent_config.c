/*
 * agent_config.c: assignment:, csat:, agents[].hours and the assignment
 * keys of queues (agent_config.h). Names are checked against the rest of
 * the configuration at load, so a typo is an error before it is a ticket
 * nobody was given.
 */
/* System. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "agent.h"
#include "agent_config.h"
#include "config.h"
#include "lifecycle.h"
#include "sla_config.h"
#include "xalloc.h"
#include "ynode.h"

static const char *const assignment_keys[] = { "weights", NULL };
static const char *const csat_keys[] = { "enabled", "url", "link_ttl", NULL };
static const char *const priorities[4] = { "low", "medium", "high", "critical" };

static const char *const all_keys[] = {
	"agents.hours", "assignment.weights", "queues.assign", "queues.on_away", "csat.enabled",
	"csat.url", "csat.link_ttl", NULL,
};

const char *const *
agent_config_keys(void)
{
	return all_keys;
}

void
agent_queue_load(const struct ynode *q, int *assign_r, bool *reassign_r, struct tk_errlist *errs)
{
	const struct ynode *n;
	const char *s;
	enum agent_assign m;

	*assign_r = AGENT_ASSIGN_NONE;
	*reassign_r = false;
	if ((n = ynode_get(q, "assign")) != NULL && ynode_str(n, &s, errs) == 0) {
		if (agent_assign_parse(s, &m) < 0)
			ynode_error(errs, n, "assign: \"%s\" is not one of none, round_robin, "
			            "least_loaded, skill", s);
		else
			*assign_r = (int)m;
	}
	if ((n = ynode_get(q, "on_away")) != NULL && ynode_str(n, &s, errs) == 0) {
		if (strcmp(s, "reassign") == 0)
			*reassign_r = true;
		else if (strcmp(s, "keep") != 0)
			ynode_error(errs, n, "on_away: \"%s\" is not keep or reassign", s);
	}
}

static void
load_weights(struct agent_config *c, const struct ynode *n, struct tk_errlist *errs)
{
	if (n->kind != YNODE_MAP) {
		ynode_error(errs, n, "assignment.weights must map priorities to weights (critical: 3)");
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		const char *p = lc_priority_canonical(n->keys[i]->scalar);
		int64_t w = 1;

		if (p == NULL) {
			ynode_error(errs, n->keys[i], "\"%s\" is not a priority (" LC_PRIORITY_WORDS ")",
			            n->keys[i]->scalar);
			continue;
		}
		if (ynode_int(n->items[i], 0, 1000, &w, errs) < 0)
			continue;
		for (int k = 0; k < 4; k++)
			if (strcmp(priorities[k], p) == 0)
				c->weights[k] = (int)w;
	}
}

static void
load_csat(struct agent_config *c, const struct config *cfg, const struct ynode *n,
          struct tk_errlist *errs)
{
	const struct ynode *t;

	if (ynode_check_keys(n, csat_keys, "csat", errs) && n->kind != YNODE_MAP)
		return;
	ynode_opt_bool(n, "enabled", &c->csat, errs);
	ynode_opt_str(n, "url", &c->csat_url, errs);
	if ((t = ynode_get(n, "link_ttl")) != NULL) {
		int64_t ms = 0;

		if (ynode_duration_ms(t, &ms, errs) == 0 && ms < 60000)
			ynode_error(errs, t, "csat.link_ttl must be at least 1m");
		else
			c->csat_ttl_s = ms / 1000;
	}
	if (c->csat_url && strncmp(c->csat_url, "http://", 7) != 0 &&
	    strncmp(c->csat_url, "https://", 8) != 0)
		ynode_error(errs, ynode_get(n, "url"), "csat.url must start with http:// or https://");
	if (c->csat_url) {   /* no trailing slash: links are URL + /v1/csat/... */
		size_t l = strlen(c->csat_url);

		while (l > 0 && c->csat_url[l - 1] == '/')
			c->csat_url[--l] = '\0';
	}
	if (c->csat && c->csat_url && cfg->http == NULL)
		ynode_error(errs, n, "csat.url names ticketd's HTTP listener: it needs an http: section");
}

/* agents[].hours must name a calendar of sla.calendars. */
static void
check_hours(const struct config *cfg, const struct ynode *agents, struct tk_errlist *errs)
{
	for (size_t i = 0; agents && agents->kind == YNODE_SEQ && i < agents->n; i++) {
		const struct ynode *h = ynode_get(agents->items[i], "hours");
		const char *s;

		if (h == NULL || ynode_str(h, &s, errs) < 0)
			continue;
		if (sla_calendar_named(cfg->sla, s) == NULL)
			ynode_error(errs, h, "hours: no calendar named \"%s\" (sla.calendars)", s);
	}
}

void
agent_config_load(const struct ynode *root, const struct config *cfg, struct agent_config **out_r,
                  struct tk_errlist *errs)
{
	struct agent_config *c = xnew(struct agent_config);
	const struct ynode *n;

	for (int k = 0; k < 4; k++)
		c->weights[k] = 1;
	c->csat = true;
	c->csat_ttl_s = 14 * 86400;
	if ((n = ynode_get(root, "assignment")) != NULL &&
	    !(ynode_check_keys(n, assignment_keys, "assignment", errs) && n->kind != YNODE_MAP) &&
	    ynode_get(n, "weights") != NULL)
		load_weights(c, ynode_get(n, "weights"), errs);
	if ((n = ynode_get(root, "csat")) != NULL)
		load_csat(c, cfg, n, errs);
	if (cfg->sla)
		check_hours(cfg, ynode_get(root, "agents"), errs);
	*out_r = c;
}

void
agent_config_free(struct agent_config **cp)
{
	if (*cp == NULL)
		return;
	xfree(&(*cp)->csat_url);
	xfree(cp);
}

int
agent_weight(const struct config *cfg, const char *priority)
{
	for (int k = 0; k < 4 && priority; k++)
		if (strcmp(priorities[k], priority) == 0)
			return cfg->agent ? cfg->agent->weights[k] : 1;
	return 1;
}

void
agent_weights_params(const struct config *cfg, char buf[4][12])
{
	for (int k = 0; k < 4; k++)
		snprintf(buf[k], 12, "%d", cfg && cfg->agent ? cfg->agent->weights[k] : 1);
}

const struct sla_calendar *
agent_hours(const struct config *cfg, const struct config_agent *a)
{
	return a && a->hours && cfg->sla ? sla_calendar_named(cfg->sla, a->hours) : NULL;
}
