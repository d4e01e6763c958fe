/*
 * config.h: ticketd.conf (YAML) loaded into an immutable, refcounted
 * struct config. A reload builds a new one, validates it, and the daemon
 * swaps it in only when it has no errors (the old one stays otherwise).
 *
 * Every key is documented in doc/ticketd.conf.5; tests/integration check
 * that the page names each key of config_keys().
 */
#ifndef TK_CONFIG_H
#define TK_CONFIG_H

#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>

#include "err.h"
#include "log.h"
#include "scan.h"

struct smtp_config;
struct slack_config;
struct outbox_config;
struct convo_config;
struct sla_config;
struct agent_config;
struct report_config;

enum mailbox_kind { MAILBOX_MAILDIR, MAILBOX_IMAP, MAILBOX_PIPE, MAILBOX_LMTP };
enum imap_tls { IMAP_TLS, IMAP_STARTTLS, IMAP_PLAIN };
enum imap_after { IMAP_AFTER_MOVE, IMAP_AFTER_SEEN };

struct config_mailbox {
	char *name;
	enum mailbox_kind kind;
	char *tenant, *queue, *priority;  /* defaults for new tickets */
	/* maildir */
	char *path;                       /* Maildir root (new/, cur/) */
	char *processed;                  /* Maildir that processed mail moves to */
	/* imap */
	char *host;
	int port;
	enum imap_tls tls;
	bool tls_verify;
	char *user;
	char *password_file, *password_env, *xoauth2_token_file;
	char *folder;
	enum imap_after after;
	char *move_to;
	bool idle;
	int64_t poll_interval_ms;
	int64_t message_timeout_ms;       /* imap: one FETCH; lmtp: MAIL to the end of DATA */
	/* lmtp (intake/lmtp.h) */
	char **listen;                    /* "/path" (a Unix socket) or "ADDRESS:PORT" */
	size_t n_listen;
	int socket_mode;                  /* permissions of a Unix socket (default 0660) */
	char *socket_group;               /* group of a Unix socket; NULL: the daemon's */
	int max_connections;              /* connections served at once (threads) */
	int64_t max_message_size;         /* bytes, announced as SIZE */
	int64_t command_timeout_ms;       /* waiting for one command line */
};

struct http_config;

struct config_agent {
	char *name, *email, *display_name;
	char *slack_id;                   /* Slack user id (U012AB3CD), for Slack buttons */
	char *hours;                      /* working hours: a calendar of sla.calendars, or NULL */
	char **skills;                    /* parallel to levels */
	int *levels;
	size_t n_skills;
};

struct config {
	char *path;
	char *instance;                   /* this daemon's name in leases and logs */
	char *user;                       /* started as root: run as this user (priv.h) */
	char *dsn;                        /* TICKETD_DSN overrides */
	bool prepared_statements;         /* database.prepared_statements (default true) */
	enum log_level log_level;
	int workers;
	int batch;
	int64_t batch_bytes;              /* workers.batch_bytes: raw bytes per batch (first item always) */
	int64_t poll_interval_ms;
	int max_attempts;
	int64_t shutdown_timeout_ms;
	int64_t lease_ttl_ms;
	int max_parts;                    /* workers.max_parts: MIME parts read per message */
	int max_depth;                    /* workers.max_depth: multipart nesting read */
	int64_t item_budget_ms;           /* workers.item_budget: processing time per item; 0: none */
	char **categories;
	size_t n_categories;
	char *default_tenant;
	struct config_mailbox *mailboxes;
	size_t n_mailboxes;
	struct config_agent *agents;
	size_t n_agents;
	char *rules_dir;                  /* NULL: no routing rules */
	struct scan_config scan;          /* attachment scanning (scan.h) */
	struct http_config *http;         /* NULL: no webhook server (http_config.h) */
	struct smtp_config *smtp;         /* NULL: no smtp: section (notify.h) */
	struct slack_config *slack;       /* NULL: no slack: section (notify.h) */
	struct outbox_config *outbox;     /* never NULL: defaults (outbox.h) */
	struct convo_config *convo;       /* NULL: no conversation: section (convo.h) */
	struct sla_config *sla;           /* never NULL after a load: defaults (sla_config.h) */
	struct agent_config *agent;       /* never NULL after a load: assignment, csat (agent_config.h) */
	struct report_config *reports;    /* never NULL after a load: scheduled reports (report_config.h) */
	atomic_int refs;                  /* refcount */
};

/*
 * Load and validate path. On success *cfg_r holds a config with one
 * reference. On failure every error is in errs as FILE:LINE:COL: message.
 */
int config_load(const char *path, struct config **cfg_r, struct tk_errlist *errs);
struct config *config_ref(struct config *cfg);
void config_unref(struct config **cfg);

const struct config_mailbox *config_mailbox(const struct config *cfg, const char *name);
/* "maildir", "imap", "pipe" or "lmtp" (the sources table's kind, the rules' source field). */
const char *config_mailbox_kind_name(enum mailbox_kind kind);
const struct config_agent *config_agent_by_email(const struct config *cfg, const char *email);
const struct config_agent *config_agent_by_name(const struct config *cfg, const char *name);
const struct config_agent *config_agent_by_slack_id(const struct config *cfg, const char *slack_id);
bool config_category_ok(const struct config *cfg, const char *category);

/* The DSN to use: $TICKETD_DSN if set, else cfg->dsn (cfg may be NULL). Borrowed. */
const char *config_dsn(const struct config *cfg);

/* NULL-terminated list of every documented key path (for the docs test). */
const char *const *config_keys(void);

#endif
