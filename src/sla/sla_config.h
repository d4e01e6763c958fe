/*
 * sla_config.h: the configuration of the SLA escalator: the sla: section
 * (policies, calendars, warnings, escalation chains, auto-close, the
 * escalator's pace), teams: (agents with a lead) and queues: (a queue's
 * team, chain, who hears of which event, and how its tickets are assigned:
 * agent_config.c reads those keys). Loaded with the rest of the
 * configuration (config.c) into an immutable struct; every error is
 * reported as FILE:LINE:COL: message. doc/sla.md explains the model,
 * doc/ticketd.conf.5 every key.
 */
#ifndef TK_SLA_CONFIG_H
#define TK_SLA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct config;
struct ynode;
struct sla_calendar;

/* Who a notification or an escalation level reaches. */
enum sla_target_kind {
	SLA_TGT_ASSIGNEE,   /* the ticket's assignee (unassigned: the queue's team) */
	SLA_TGT_AGENT,      /* agent:NAME */
	SLA_TGT_TEAM,       /* team (the queue's) or team:NAME: every member */
	SLA_TGT_LEAD,       /* lead (the queue's team) or lead:NAME: the team's lead */
	SLA_TGT_MAIL,       /* mail:ADDRESS, or a bare address */
	SLA_TGT_SLACK,      /* slack (the default webhook) or slack:NAME */
};

struct sla_target {
	enum sla_target_kind kind;
	char *name;         /* agent, team, address or webhook; NULL: the queue's team / default */
};

struct sla_targets {
	struct sla_target *v;
	size_t n;
};

/* The events a queue's notify: map names. */
enum sla_event {
	SLA_EV_CREATED, SLA_EV_ASSIGNED, SLA_EV_STATUS, SLA_EV_CUSTOMER_REPLY, SLA_EV_WARNING,
	SLA_EV_BREACH, SLA_EV_ESCALATION, SLA_EV_RESOLVED, SLA_EV_CLOSED,
	SLA_EV_UNASSIGNED,   /* nobody available to take a new ticket (automatic assignment) */
	SLA_EV_COUNT,
};

struct sla_match {
	char *tenant, *priority, *queue, *category, *type;   /* NULL: any */
};

struct sla_policy {
	char *name;
	struct sla_match match;
	int64_t response_s, resolution_s;      /* business seconds */
	const struct sla_calendar *calendar;   /* borrowed from sla_config (or the 24x7 one) */
	char *chain;                           /* NULL: the queue's chain, else "default" */
	bool notify_on_create;                 /* start the chain when the ticket is created */
};

struct sla_level {
	int64_t after_s;                       /* from the chain's start */
	struct sla_targets targets;
};

enum sla_chain_start { SLA_START_BREACH, SLA_START_WARNING };

struct sla_chain {
	char *name;
	enum sla_chain_start start;
	struct sla_level *levels;
	size_t n_levels;
	int repeat;                            /* extra rounds of the last level */
	int64_t every_s;                       /* between those rounds */
};

struct sla_team {
	char *name, *lead;                     /* agent names */
	char **members;
	size_t n_members;
};

struct sla_queue {
	char *name, *team, *chain;             /* team, chain: NULL for none */
	int assign;                            /* enum agent_assign (agent.h): how new tickets are assigned */
	bool on_away_reassign;                 /* an agent going away: their new and open tickets go back */
	struct sla_targets notify[SLA_EV_COUNT];
	bool notify_set[SLA_EV_COUNT];         /* false: the default for the event */
};

/* The mail templates of SLA notices (escalate_notify.c renders them). */
enum sla_tmpl { SLA_TMPL_WARNING, SLA_TMPL_ESCALATION, SLA_TMPL_EVENT, SLA_TMPL_DIGEST,
                SLA_TMPL_COUNT };

struct sla_config {
	bool enabled;
	int warn_permille[8];                  /* ascending, each below 1000 */
	size_t n_warn;
	int64_t autoclose_s;                   /* resolved -> closed after this quiet time; 0: never */
	int64_t digest_after_s;                /* steps this late go out as one digest per recipient */
	int64_t poll_interval_ms;              /* longest sleep without a NOTIFY */
	int batch;                             /* tickets or timers claimed per transaction */
	struct sla_calendar **calendars;
	size_t n_calendars;
	struct sla_policy *policies;
	size_t n_policies;
	struct sla_chain *chains;
	size_t n_chains;
	struct sla_team *teams;
	size_t n_teams;
	struct sla_queue *queues;
	size_t n_queues;
	char *tmpl[SLA_TMPL_COUNT];            /* conversation.templates/sla-*.txt, else built in */
};

/*
 * Load the sla:, teams: and queues: sections of root (any may be absent:
 * defaults) into *out_r, checking names against the rest of cfg (agents,
 * smtp, slack webhooks): load it after those. Errors go to errs.
 */
void sla_config_load(const struct ynode *root, const struct config *cfg,
                     struct sla_config **out_r, struct tk_errlist *errs);
void sla_config_free(struct sla_config **c);

/* The keys sla_config_load accepts, for the documentation test (NULL-terminated). */
const char *const *sla_config_keys(void);

/* What a ticket looks like to policy selection. Strings borrowed. */
struct sla_ticket_facts {
	const char *tenant, *priority, *queue, *category, *type;
	const char *policy;                    /* a rule's sla_policy, or NULL */
};

/*
 * The policy for a ticket: the one its rule named, else the first whose
 * match fits; NULL when none applies (then the ticket has no SLA).
 * *unknown_r (may be NULL) is set when the rule named a policy that does
 * not exist (the match then decides). Borrowed from c.
 */
const struct sla_policy *sla_policy_for(const struct sla_config *c,
                                        const struct sla_ticket_facts *f, bool *unknown_r);

/* Lookups by name; NULL when absent. Borrowed. */
const struct sla_chain *sla_chain_named(const struct sla_config *c, const char *name);
const struct sla_team *sla_team_named(const struct sla_config *c, const char *name);
const struct sla_queue *sla_queue_named(const struct sla_config *c, const char *name);
const struct sla_calendar *sla_calendar_named(const struct sla_config *c, const char *name);

/* The chain for a ticket of queue under policy p (queue's, else policy's, else "default"). */
const struct sla_chain *sla_chain_for(const struct sla_config *c, const struct sla_policy *p,
                                      const char *queue);

/* Who hears of event ev for a ticket of queue (the queue's map, else the default). */
const struct sla_targets *sla_notify_targets(const struct sla_config *c, const char *queue,
                                             enum sla_event ev);

/* The template's file name ("sla-warning.txt", ...). */
const char *sla_template_file(enum sla_tmpl t);
/* The placeholders SLA templates may use (NULL-terminated). */
const char *const *sla_template_placeholders(void);

/*
 * Whether the queue says who hears of event ev (queues.notify); for
 * customer_reply that replaces conversation.agent_notify for the queue.
 */
bool sla_notify_configured(const struct sla_config *c, const char *queue, enum sla_event ev);

/* "created", "assigned", ... */
const char *sla_event_name(enum sla_event ev);

/* Parse one target ("assignee", "agent:alice", "ops@example.com", "slack:ops"); -1 if bad. */
int sla_target_parse(const char *s, struct sla_target *t_r);

#endif
