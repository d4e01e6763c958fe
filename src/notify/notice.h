/*
 * notice.h: notices for admins and on-call people (an attachment held back,
 * an incident resolved), queued in the outbox in the caller's transaction
 * and sent by the outbox sender: on "smtp" as a composed mail
 * (Auto-Submitted: auto-generated) from smtp.from, on "slack" as an
 * incoming-webhook message. The idempotency key makes one event one notice.
 */
#ifndef TK_NOTICE_H
#define TK_NOTICE_H

#include <stdint.h>

#include "err.h"

struct config;
struct store;

struct notice {
	const char *channel;          /* "smtp" or "slack" */
	const char *recipient;        /* address (smtp); label (slack) */
	const char *idempotency_key;
	int64_t ticket_id;            /* 0: none */
	const char *subject;          /* UTF-8, one line */
	const char *text;             /* UTF-8 body */
};

/*
 * Queue n. A channel that is not configured (no smtp: or slack: section)
 * is an error naming it. *queued_r (may be NULL): 0 when the key existed.
 */
int notice_enqueue(struct store *st, const struct config *cfg, const struct notice *n,
                   int *queued_r, struct tk_err *err) __attribute__((warn_unused_result));

#endif
