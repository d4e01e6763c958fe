/*
 * mailroute.h: the decision for a mail that would start a ticket, taken by
 * one function for the daemon (mailproc.c) and for `ticketctl rules test`,
 * so the two never disagree. The classifier's verdict (loop.h) is handed to
 * the rules as the auto_class and auto_reason fields, and the rules decide
 * (the shipped rules/10-drop.yaml drops automatic mail; an admin may change
 * that). What stays in code whatever the rules say: our own mail coming
 * back is dropped, and automatic mail is never acknowledged. Pure: no
 * database, no clock.
 */
#ifndef TK_MAILROUTE_H
#define TK_MAILROUTE_H

#include <stdbool.h>

#include "loop.h"
#include "mime.h"
#include "rules.h"

enum mailroute_action {
	MAILROUTE_TICKET,      /* open a ticket with the rules' fields */
	MAILROUTE_DROP,        /* dropped: our own mail, or a rule said drop */
	MAILROUTE_QUARANTINE,  /* a rule held it for review */
};

/* At most this many recipients reach the rules; the rest are left out. */
#define MAILROUTE_MAX_RECIPIENTS 100

/* What the decision looks at; pointers are borrowed. */
struct mailroute_in {
	const struct mime_msg *msg;
	const char *source;     /* the mailbox kind ("imap", "maildir", "pipe", "lmtp"), or NULL */
	const char *mailbox;    /* the mailbox name, or NULL */
	bool sender_is_agent;
	/* The envelope's recipients when the intake knows them (LMTP RCPT TO,
	   `ticketctl ingest --recipient`); none: read from the headers an MTA
	   adds at delivery (mailroute_recipients()). */
	const char *const *recipients;
	size_t n_recipients;
};

struct mailroute {
	struct loop_verdict verdict;  /* the classifier's, as given */
	enum mailroute_action action;
	struct rules_result *rr;      /* the rules' result (owned); NULL without rules or for our own mail */
	bool acknowledge;             /* a ticket may be acknowledged: HUMAN and not suppressed */
	char reason[200];             /* drop or quarantine: "dropped by rule R: why", ... */
	char *recipients[MAILROUTE_MAX_RECIPIENTS]; /* what the rules saw as recipient (owned) */
	size_t n_recipients;
	const char *recipients_from;  /* "envelope", "X-Original-To", "Delivered-To" or NULL (none) */
};

/* Classify a parsed mail (loop_classify() on its headers); instance_id as in loop.h. */
void mailroute_classify(const struct mime_msg *msg, const char *instance_id,
                        struct loop_verdict *v_r);

/*
 * The recipients of a mail for the rules' recipient field, into r (lower
 * case, without <>): the envelope's when in has any; else the X-Original-To
 * headers above the first Received header (an MTA prepends them at
 * delivery: Postfix's pipe with flag O, local and virtual delivery), else
 * the Delivered-To headers there (flag D, Dovecot). Headers below a
 * Received header came with the mail from elsewhere and are not trusted.
 * mailroute_decide() calls it; r->recipients are freed by mailroute_fini().
 */
void mailroute_recipients(const struct mailroute_in *in, struct mailroute *r);

/*
 * Decide for a mail that starts a ticket, given its verdict v. rs may be
 * NULL (no rules loaded): automatic mail is then dropped and human mail
 * opens a ticket. eval_flags go to rules_eval() (RULES_EVAL_TRACE for
 * ticketctl). Release r with mailroute_fini().
 */
void mailroute_decide(const struct rules *rs, const struct mailroute_in *in,
                      const struct loop_verdict *v, unsigned eval_flags, struct mailroute *r);

void mailroute_fini(struct mailroute *r);

#endif
