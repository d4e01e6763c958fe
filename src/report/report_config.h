/*
 * report_config.h: scheduled reports (reports: in ticketd.yaml). Each one
 * names a report (agents, sla, backlog, volume, csat), a cron-style
 * schedule in a time zone, the period it covers (the time before the run),
 * optional tenant and queue filters, and its recipients (agent:NAME,
 * team:NAME, lead:NAME, or mail addresses). The escalator runs them from
 * the timers table (kind report), once per run across restarts and
 * daemons; doc/agents.md, keys in ticketd.conf(5).
 */
#ifndef TK_REPORT_CONFIG_H
#define TK_REPORT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "report_cron.h"
#include "sla_config.h"

struct config;
struct ynode;

struct report_sched {
	char *name;
	char *report;            /* agents, sla, backlog, volume, csat */
	char *schedule;          /* as written */
	struct report_cron cron;
	char *timezone;          /* IANA name; "UTC" by default */
	int64_t period_s;        /* the run covers [run - period, run) */
	char *tenant, *queue;    /* filters, NULL: all */
	struct sla_targets to;   /* recipients */
};

struct report_config {
	struct report_sched *v;
	size_t n;
};

/* Load reports: (absent: none) into *out_r (never NULL after); load after sla_config. */
void report_config_load(const struct ynode *root, const struct config *cfg,
                        struct report_config **out_r, struct tk_errlist *errs);
void report_config_free(struct report_config **c);
const char *const *report_config_keys(void);
/* The scheduled report of that name, or NULL. Borrowed. */
const struct report_sched *report_sched_named(const struct config *cfg, const char *name);

#endif
