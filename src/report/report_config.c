/*
 * report_config.c: load reports: (report_config.h). The schedule, the zone
 * and every recipient are checked at load, so a report that could never
 * be sent is an error before its first Monday.
 */
/* System. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* Libraries. */
#include <glib.h>
/* ticketd. */
#include "config.h"
#include "report.h"
#include "report_config.h"
#include "tzone.h"
#include "xalloc.h"
#include "ynode.h"

static const char *const report_keys[] = {
	"name", "report", "schedule", "timezone", "period", "tenant", "queue", "to", NULL,
};
static const char *const all_keys[] = {
	"reports.name", "reports.report", "reports.schedule", "reports.timezone", "reports.period",
	"reports.tenant", "reports.queue", "reports.to", NULL,
};

const char *const *
report_config_keys(void)
{
	return all_keys;
}

/* Recipients: mail goes to agents, teams, leads and addresses (no Slack). */
static void
load_to(struct report_sched *r, const struct config *cfg, const struct ynode *n,
        struct tk_errlist *errs)
{
	size_t count = n->kind == YNODE_SEQ ? n->n : 1;

	if (n->kind == YNODE_MAP) {
		ynode_error(errs, n, "reports.to: a list of agent:NAME, team:NAME, lead:NAME or addresses");
		return;
	}
	r->to.v = xcalloc(count, sizeof(*r->to.v));
	for (size_t i = 0; i < count; i++) {
		const struct ynode *item = n->kind == YNODE_SEQ ? n->items[i] : n;
		struct sla_target *t = &r->to.v[r->to.n];
		const char *s;

		if (ynode_str(item, &s, errs) < 0)
			continue;
		if (sla_target_parse(s, t) < 0 || t->kind == SLA_TGT_SLACK ||
		    t->kind == SLA_TGT_ASSIGNEE || ((t->kind == SLA_TGT_TEAM || t->kind == SLA_TGT_LEAD) &&
		                                   t->name == NULL)) {
			ynode_error(errs, item, "reports.to: \"%s\" is not agent:NAME, team:NAME, "
			            "lead:NAME or a mail address", s);
			free(t->name);
			continue;
		}
		if (t->kind == SLA_TGT_AGENT && config_agent_by_name(cfg, t->name) == NULL)
			ynode_error(errs, item, "reports.to: no agent named \"%s\"", t->name);
		if ((t->kind == SLA_TGT_TEAM || t->kind == SLA_TGT_LEAD) &&
		    sla_team_named(cfg->sla, t->name) == NULL)
			ynode_error(errs, item, "reports.to: no team named \"%s\"", t->name);
		r->to.n++;
	}
	if (r->to.n > 0 && cfg->smtp == NULL)
		ynode_error(errs, n, "reports.to: mail needs an smtp: section");
}

static void
load_one(struct report_config *c, const struct config *cfg, const struct ynode *n,
         struct tk_errlist *errs)
{
	struct report_sched *r = &c->v[c->n];
	const struct ynode *t;
	char why[160];

	if (ynode_check_keys(n, report_keys, "report", errs) && n->kind != YNODE_MAP)
		return;
	memset(r, 0, sizeof(*r));
	c->n++;
	ynode_opt_str(n, "name", &r->name, errs);
	ynode_opt_str(n, "report", &r->report, errs);
	ynode_opt_str(n, "schedule", &r->schedule, errs);
	ynode_opt_str(n, "timezone", &r->timezone, errs);
	ynode_opt_str(n, "tenant", &r->tenant, errs);
	ynode_opt_str(n, "queue", &r->queue, errs);
	if (r->name == NULL || r->report == NULL || r->schedule == NULL) {
		ynode_error(errs, n, "a scheduled report needs name, report and schedule");
		return;
	}
	for (size_t i = 0; i + 1 < c->n; i++)
		if (c->v[i].name && strcmp(c->v[i].name, r->name) == 0)
			ynode_error(errs, n, "report \"%s\" is defined twice", r->name);
	if (report_kind_parse(r->report) < 0)
		ynode_error(errs, ynode_get(n, "report"), "report: \"%s\" is not one of agents, sla, "
		            "backlog, volume, csat", r->report);
	if (report_cron_parse(r->schedule, &r->cron, why, sizeof(why)) < 0)
		ynode_error(errs, ynode_get(n, "schedule"), "schedule: %s", why);
	if (r->timezone == NULL)
		r->timezone = xstrdup("UTC");
	else if (!tzone_known(r->timezone))
		ynode_error(errs, ynode_get(n, "timezone"), "unknown time zone \"%.100s\" (an IANA name "
		            "such as Europe/Berlin)", r->timezone);
	r->period_s = 7 * 86400;
	if ((t = ynode_get(n, "period")) != NULL) {
		int64_t ms = 0;

		if (ynode_duration_ms(t, &ms, errs) == 0 && (ms < 60000 || ms > 400LL * 86400000))
			ynode_error(errs, t, "period: between 1m and 400d");
		else
			r->period_s = ms / 1000;
	}
	if ((t = ynode_get(n, "to")) == NULL)
		ynode_error(errs, n, "report \"%s\" needs recipients (to:)", r->name);
	else
		load_to(r, cfg, t, errs);
}

void
report_config_load(const struct ynode *root, const struct config *cfg,
                   struct report_config **out_r, struct tk_errlist *errs)
{
	struct report_config *c = xnew(struct report_config);
	const struct ynode *n = ynode_get(root, "reports");

	*out_r = c;
	if (n == NULL)
		return;
	if (n->kind != YNODE_SEQ) {
		ynode_error(errs, n, "reports must be a list");
		return;
	}
	c->v = xcalloc(n->n + 1, sizeof(*c->v));
	for (size_t i = 0; i < n->n; i++)
		load_one(c, cfg, n->items[i], errs);
}

void
report_config_free(struct report_config **cp)
{
	struct report_config *c = *cp;

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		struct report_sched *r = &c->v[i];
		char **strs[] = { &r->name, &r->report, &r->schedule, &r->timezone, &r->tenant,
		                  &r->queue };

		for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
			xfree(strs[k]);
		for (size_t k = 0; k < r->to.n; k++)
			xfree(&r->to.v[k].name);
		free(r->to.v);
	}
	free(c->v);
	xfree(cp);
}

const struct report_sched *
report_sched_named(const struct config *cfg, const char *name)
{
	for (size_t i = 0; cfg->reports && name && i < cfg->reports->n; i++)
		if (cfg->reports->v[i].name && strcmp(cfg->reports->v[i].name, name) == 0)
			return &cfg->reports->v[i];
	return NULL;
}
