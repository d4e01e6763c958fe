/*
 * ctl.h: ticketctl subcommands. Each lives in its own file (ctl_<name>.c)
 * and is listed in the command table of ticketctl.c.
 *
 * A command is a struct ctl_cmd (ctl_opt.h: its options, usage and value
 * checks); its run function gets the parsed arguments and returns the
 * process exit code: CTL_OK, CTL_USAGE (usage
 * or input error), CTL_DATAERR (ingest: a message that can never be
 * accepted, EX_DATAERR, so the MTA bounces it), CTL_TEMPFAIL (database
 * unreachable, EX_TEMPFAIL, so the MTA tries again later).
 *
 * The global option -c FILE is passed to subcommands as the environment
 * variable TICKETD_CONFIG (the process's own context); ctl_load_config()
 * reads it.
 */
#ifndef TK_CTL_H
#define TK_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_opt.h"

#define CTL_OK 0
#define CTL_USAGE 1
#define CTL_DATAERR 65
#define CTL_TEMPFAIL 75

struct config;
struct store;
struct tk_err;

/*
 * Load the config named by $TICKETD_CONFIG or the default path. When no
 * file was named and the default does not exist, *cfg_r is NULL and this
 * still succeeds if $TICKETD_DSN is set. Errors are printed; CTL_OK or CTL_USAGE.
 */
int ctl_load_config(struct config **cfg_r);
/* The configuration file ticketctl reads (-c FILE, TICKETD_CONFIG, or the
 * default file when it exists), or NULL when there is none. */
const char *ctl_config_path(void);
/* Connect with the config's DSN ($TICKETD_DSN wins); CTL_OK or CTL_TEMPFAIL (printed). */
int ctl_connect(const struct config *cfg, struct store **st_r);
/* Config and connection in one step; on failure nothing is left to free. */
int ctl_open(struct config **cfg_r, struct store **st_r);
/* The actor named in audit events for ticketctl changes ("ticketctl:$USER"). */
const char *ctl_actor(char *buf, unsigned len);

/* Print "ticketctl: " and err's message; CTL_TEMPFAIL when temporary, else CTL_USAGE. */
int ctl_db_error(const struct tk_err *err);
/* The string member key of a JSON object, or "-" (borrowed from o). */
struct json_t;
const char *ctl_jstr(struct json_t *o, const char *key);
/* Find ticket NUMBER ("1042" or "TKT-1042") of tenant; CTL_OK with *id_r, or an
 * exit code (printed: no such ticket, database error). */
int ctl_ticket_find(struct store *st, const char *tenant, const char *number, int64_t *id_r);

/*
 * The commands (struct ctl_cmd, ctl_opt.h), each declared beside its code;
 * ticketctl.c lists them in the order `ticketctl help` shows them.
 */
struct ctl_cmd;
extern const struct ctl_cmd ctl_cmd_migrate;        /* ctl_db.c */
extern const struct ctl_cmd ctl_cmd_ingest;         /* ctl_db.c */
extern const struct ctl_cmd ctl_cmd_inbound_list;   /* ctl_inbound.c */
extern const struct ctl_cmd ctl_cmd_inbound_show;
extern const struct ctl_cmd ctl_cmd_inbound_retry;
extern const struct ctl_cmd ctl_cmd_outbox_list;    /* ctl_outbox.c */
extern const struct ctl_cmd ctl_cmd_outbox_show;
extern const struct ctl_cmd ctl_cmd_outbox_retry;
extern const struct ctl_cmd ctl_cmd_list;           /* ctl_tickets.c */
extern const struct ctl_cmd ctl_cmd_show;
extern const struct ctl_cmd ctl_cmd_search;         /* ctl_search.c */
extern const struct ctl_cmd ctl_cmd_set;            /* ctl_set.c */
extern const struct ctl_cmd ctl_cmd_comment;        /* ctl_comment.c */
extern const struct ctl_cmd ctl_cmd_merge;          /* ctl_merge.c */
extern const struct ctl_cmd ctl_cmd_ack;            /* ctl_sla.c */
extern const struct ctl_cmd ctl_cmd_agent_list;     /* ctl_agent.c */
extern const struct ctl_cmd ctl_cmd_agent_status;
extern const struct ctl_cmd ctl_cmd_agent_log;
extern const struct ctl_cmd ctl_cmd_report;         /* ctl_report.c */
extern const struct ctl_cmd ctl_cmd_attachment_get; /* ctl_attach.c */
extern const struct ctl_cmd ctl_cmd_parse;          /* ctl_parse.c */
extern const struct ctl_cmd ctl_cmd_rules_test;     /* ctl_rules.c */
extern const struct ctl_cmd ctl_cmd_rules_check;

/* ctl_sla.c: the SLA lines of `show` and the SLA column of `list` (t: a ticket's JSON). */
struct json_t;
void ctl_sla_print(const struct config *cfg, struct json_t *t);
const char *ctl_sla_column(const struct config *cfg, struct json_t *t, char *buf, size_t len);

/*
 * ctl_incident.c: the members `show` adds for a PagerDuty incident
 * ("context": client, client_url, links, images; "changes": the change
 * events on its timeline), a SQL fragment for the jsonb_build_object of the
 * show query (t is the ticket), and their text view (nothing when absent).
 */
#define CTL_INCIDENT_JSON \
	"'context', (SELECT jsonb_build_object('client', c.client, 'client_url', c.client_url, " \
	"'links', c.links, 'images', c.images) FROM incident_context c WHERE c.ticket_id = t.id), " \
	"'changes', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', ch.id, 'source', " \
	"ch.source, 'summary', ch.summary, 'origin', ch.origin, 'sent_at', ch.sent_at, " \
	"'received_at', ch.received_at, 'links', ch.links, 'images', ch.images, " \
	"'custom_details', ch.custom_details) ORDER BY ch.id), '[]') FROM change_events ch " \
	"WHERE ch.id IN (SELECT e.new_value::bigint FROM ticket_events e WHERE e.ticket_id = t.id " \
	"AND e.action = 'change' AND e.new_value ~ '^[0-9]{1,18}$')), "
void ctl_incident_print(const struct json_t *t);

#endif
