/*
 * convo.h: email conversations. The conversation: config section, the mail
 * ticketd writes (acknowledgements, agents' replies relayed to customers,
 * status notices, notices to agents, command errors; each one a messages
 * row and an outbox row with the same Message-ID, written in the caller's
 * transaction), and what a reply does once the pipeline has parsed it
 * (convo_in.c: find its ticket, apply reopen rules, agent commands,
 * bounces).
 *
 * Every function runs inside the caller's transaction; none commits.
 */
#ifndef TK_CONVO_H
#define TK_CONVO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compose.h"
#include "err.h"
#include "store.h"
#include "token.h"

struct config;
struct ynode;
struct tk_errlist;
struct mime_msg;
struct inbound_item;
struct pipeline_ctx;
struct pipeline_result;

enum convo_tmpl { CT_ACK, CT_REPLY, CT_RESOLVED, CT_CLOSED, CT_AGENT, CT_CMD_ERROR, CT_COUNT };
enum convo_agent_notify { CONVO_NOTIFY_ALL, CONVO_NOTIFY_ASSIGNEE, CONVO_NOTIFY_NONE };

struct convo_config {
	char *address;                 /* support@example.com: replies go to LOCAL+TOKEN@DOMAIN */
	char *local, *domain;          /* parts of address */
	char *msgid_domain;            /* right side of our Message-IDs (default: domain) */
	char *from_name;               /* display name on our mail */
	char *secret_file, *secret_env, *previous_secret_file;
	struct token_secret secrets[2];/* current, previous; keys owned here */
	size_t n_secrets;
	int64_t reopen_window_ms;
	bool acknowledge;
	int64_t ack_interval_ms;
	int ack_burst;
	enum convo_agent_notify agent_notify;
	char *authserv_id;             /* NULL: Authentication-Results not required */
	bool require_dkim, require_dmarc;
	char *templates_dir;
	char *templates[CT_COUNT];     /* the files' text, loaded with the config */
	char *html[CT_COUNT];          /* optional HTML bodies (NAME.html), or NULL */
};

/* Parse the conversation: mapping (templates and secrets are read now). */
void convo_config_load(const struct ynode *n, bool have_smtp, struct convo_config **out_r,
                       struct tk_errlist *errs);
void convo_config_free(struct convo_config **c);
/* Template file name for t ("ack.txt", ...). */
const char *convo_template_file(enum convo_tmpl t);

/* What a ticket looks like to the mail code. */
struct convo_ticket {
	int64_t id;
	char ref[48];                  /* "TKT-1042" */
	char *subject, *requester, *status, *assignee, *assignee_email, *queue;
	int64_t done_at;               /* epoch seconds of resolved/closed, 0 */
	int64_t linked_id;
};
/* Load ticket id; 1 found, 0 not, -1 error. Free with convo_ticket_fini. */
int convo_ticket_load(struct store *st, int64_t id, struct convo_ticket *t, struct tk_err *err)
	__attribute__((warn_unused_result));
void convo_ticket_fini(struct convo_ticket *t);

/* One mail to write. */
struct convo_out {
	enum convo_tmpl tmpl;
	const struct convo_ticket *ticket;
	const char *to, *to_name;
	const char *idem;                  /* idempotency key */
	const char *in_reply_to;           /* the mail this answers, or NULL */
	const char *const *refs;
	size_t n_refs;
	const char *auto_submitted;        /* NULL for mail a person wrote */
	const char *agent;                 /* agent name for the messages row, or NULL */
	const char *text;                  /* {{text}} */
	const char *errors;                /* {{errors}} */
	const char *author_name;           /* {{author}} */
	const char *rating;                /* {{rating}}: how to rate (resolved notices), or NULL */
};

/*
 * Render, compose and queue one mail (messages row, direction out, plus the
 * outbox row), with a reply token bound to o->to in Reply-To. Does nothing
 * when the conversation is not configured or the key was already queued.
 */
int convo_send(struct store *st, const struct config *cfg, const struct convo_out *o,
               struct tk_err *err) __attribute__((warn_unused_result));

/* An agent's public answer, for convo_relay_reply(). */
struct convo_relay {
	const char *key;                   /* idempotency key; ":ADDRESS" is added per mail */
	const char *in_reply_to;           /* the mail it answers, or NULL */
	const char *const *refs;
	size_t n_refs;
	const char *agent;                 /* agent name for the messages rows, or NULL */
	const char *author;                /* {{author}} */
	const char *text;
};

/*
 * Send an agent's public answer on ticket t (an agent's email reply,
 * `ticketctl comment --public`) to the requester and every other
 * participant (never agents or our own addresses), one mail each through
 * convo_send(), then set the ticket's first_response_at if unset (the SLA's
 * first response). In the caller's transaction.
 */
int convo_relay_reply(struct store *st, const struct config *cfg, const struct convo_ticket *t,
                      const struct convo_relay *rl, struct tk_err *err)
	__attribute__((warn_unused_result));

/* A mail already written (the SLA escalator's notices), to queue as is. */
struct convo_mail {
	int64_t ticket_id;
	const char *to, *to_name;
	const char *idem;                  /* idempotency key */
	const char *kind;                  /* the outbox row's kind */
	const char *subject, *body;
	const char *in_reply_to;           /* threading in the recipient's client */
	const char *const *refs;
	size_t n_refs;
	const char *auto_submitted;
};

/*
 * Compose and queue m (outbox row only: no messages row, it is a notice
 * and not part of the conversation), with a reply token bound to m->to in
 * Reply-To, so that an agent's answer to it is proven like any other.
 * Does nothing when the conversation is not configured.
 */
int convo_queue_mail(struct store *st, const struct config *cfg, const struct convo_mail *m,
                     struct tk_err *err) __attribute__((warn_unused_result));

/* Text for Slack: &, < and > escaped, so user text cannot ping or forge links. Caller frees. */
char *convo_slack_escape(const char *s);

/* The Slack notice for a new ticket (when slack.on_new_ticket). */
int convo_slack_new_ticket(struct store *st, const struct config *cfg,
                           const struct convo_ticket *t, struct tk_err *err)
	__attribute__((warn_unused_result));

/*
 * Notify the requester of a status change to resolved or closed (other
 * statuses: nothing). idem_suffix makes the key unique per change; NULL
 * uses the ticket's latest status event (call it right after the change).
 */
int convo_notify_status(struct store *st, const struct config *cfg, int64_t ticket_id,
                        const char *status, const char *idem_suffix, struct tk_err *err)
	__attribute__((warn_unused_result));

/*
 * Per-sender acknowledgement limit (ack_rate table, GCRA in loop.h).
 * *allowed_r is set; the sender's state is updated when allowed.
 */
int convo_ack_allowed(struct store *st, const struct config *cfg, const char *address,
                      bool *allowed_r, struct tk_err *err) __attribute__((warn_unused_result));

/* What the sender of an inbound mail proved (convo_in.c). */
struct convo_match {
	int how;                       /* enum corr_how */
	int64_t ticket_id;             /* 0: a new ticket */
	bool from_agent;               /* From is a configured agent's address */
	bool agent_trusted;            /* ... and a valid token bound to it (and auth passed) */
	const char *agent;             /* the agent's name (borrowed from the config) */
	bool token_proven;             /* a reply token bound to From names this ticket */
	char why[160];                 /* for the audit log when an agent is not trusted */
};

/* Find the ticket an inbound mail belongs to (correlate.h order). */
int convo_match(struct pipeline_ctx *pc, const struct mime_msg *msg, struct convo_match *m,
                struct tk_err *err) __attribute__((warn_unused_result));

/* What a reply does, decided before its message is stored. */
struct convo_reply {
	int action;                    /* enum corr_action */
	const char *visibility;        /* "public" or "internal" */
	char *text;                    /* the text for customers (agent commands removed) */
	struct convo_ticket t;
	bool cmd_error;                /* an agent's commands were invalid: none applied */
	char *errors;                  /* the errors, one per line */
	int rating;                    /* a customer's rating of a resolved ticket (csat.h), 0: none */
	char *rating_comment;
	void *cmds;                    /* struct agentcmd_list * (agent replies) */
};

int convo_reply_decide(struct pipeline_ctx *pc, const struct mime_msg *msg,
                       const struct convo_match *m, const char *visible, bool machine,
                       struct convo_reply *r, struct tk_err *err)
	__attribute__((warn_unused_result));
/* Apply a decided reply (status, commands, mail out); message_id is the stored message. */
int convo_reply_apply(struct pipeline_ctx *pc, const struct inbound_item *item,
                      const struct mime_msg *msg, const struct convo_match *m,
                      struct convo_reply *r, struct tk_err *err) __attribute__((warn_unused_result));
void convo_reply_fini(struct convo_reply *r);

/*
 * After a new ticket from mail: acknowledgement (when may_ack), notices to
 * agents carrying text (the mail as shown: its body and inline forwards),
 * Slack.
 */
int convo_new_ticket(struct pipeline_ctx *pc, const struct inbound_item *item,
                     const struct mime_msg *msg, const char *text, int64_t ticket_id,
                     bool may_ack, struct tk_err *err) __attribute__((warn_unused_result));

/*
 * A bounce: record it on the ticket of the message it returns (matched by
 * the Message-IDs it quotes against the outbox). Returns 0; *recorded_r
 * says whether one of ours was found.
 */
int convo_bounce(struct pipeline_ctx *pc, const struct inbound_item *item,
                 const struct mime_msg *msg, bool *recorded_r, struct tk_err *err)
	__attribute__((warn_unused_result));

/* Whether addr is ours (the conversation address, with or without a plus part). */
bool convo_is_our_address(const struct config *cfg, const char *addr);

#endif
