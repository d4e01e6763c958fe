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

/* What the decision looks at; pointers are borrowed. */
struct mailroute_in {
	const struct mime_msg *msg;
	const char *source;     /* the mailbox kind ("imap", "maildir", "pipe"), or NULL */
	const char *mailbox;    /* the mailbox name, or NULL */
	bool sender_is_agent;
};

struct mailroute {
	struct loop_verdict verdict;  /* the classifier's, as given */
	enum mailroute_action action;
	struct rules_result *rr;      /* the rules' result (owned); NULL without rules or for our own mail */
	bool acknowledge;             /* a ticket may be acknowledged: HUMAN and not suppressed */
	char reason[200];             /* drop or quarantine: "dropped by rule R: why", ... */
};

/* Classify a parsed mail (loop_classify() on its headers); instance_id as in loop.h. */
void mailroute_classify(const struct mime_msg *msg, const char *instance_id,
                        struct loop_verdict *v_r);

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
