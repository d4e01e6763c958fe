/*
 * csat.h: customer satisfaction (doc/agents.md). The resolved notice asks
 * the customer for a rating from 1 to 5 ({{rating}} in resolved.txt): by a
 * reply whose first line is the digit (proven by the reply token, within
 * csat.link_ttl of the resolution), or by a signed link served by
 * ticketd's HTTP server (GET shows a confirmation page, POST records; no
 * login). The rating is stored on the ticket with an optional comment; a 1
 * or 2 is mailed to the queue's team lead.
 *
 * A link's token is "ID-EXPIRES-MAC": the ticket id, the Unix second it
 * expires, and the first 128 bits of HMAC-SHA256(secret, "ticketd-csat-v1"
 * NUL id(8 bytes BE) expires(8 bytes BE)) in hex, with the conversation's
 * reply-token secrets (any of them checks, the first one signs), compared
 * in constant time.
 */
#ifndef TK_CSAT_H
#define TK_CSAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"
#include "token.h"

struct config;

#define CSAT_TOKEN_MAX 96

/* The link token for ticket_id, valid until expires; caller frees. NULL for a bad secret or id. */
char *csat_link_make(const struct token_secret *secret, int64_t ticket_id, int64_t expires);

/*
 * Check a link token at now: 0 and *ticket_id_r; -1 with err: "malformed
 * link" or "forged link" (*expired_r false), "expired link" (*expired_r
 * true; its signature was good).
 */
int csat_link_check(const struct token_secret *secrets, size_t n, const char *tok, int64_t now,
                    int64_t *ticket_id_r, bool *expired_r, struct tk_err *err)
	__attribute__((warn_unused_result));

/*
 * A reply's visible text as a rating: its first non-blank line starts with
 * one digit 1-5 that is not followed by another digit ("4", "5 - thanks",
 * "2/5"). 1 and *score_r, *comment_r (the rest of that line and the lines
 * after, trimmed; NULL when empty; caller frees); 0 when not a rating.
 */
int csat_reply_parse(const char *visible, int *score_r, char **comment_r);

/*
 * Whether a customer's reply is a rating (then as csat_reply_parse): ratings
 * on, the ticket (now in status, done at done_at) resolved or closed within
 * csat.link_ttl. The caller has checked that the reply token proved it.
 */
int csat_reply_rating(const struct config *cfg, const char *status, int64_t done_at,
                      const char *visible, int *score_r, char **comment_r);

/*
 * The {{rating}} block of the resolved notice for ticket_id resolved at
 * resolved_at: how to reply, and the five links when csat.url is set.
 * Caller frees; "" when ratings are off.
 */
char *csat_request_text(const struct config *cfg, int64_t ticket_id, int64_t resolved_at);

/*
 * Record a rating (score 1-5, comment may be NULL) on a resolved or closed
 * ticket, in the caller's transaction: the ticket's csat columns (a later
 * rating replaces an earlier one), a "csat" event by actor, and for 1 or 2
 * a mail to the queue's team lead. via is "mail" or "link". -1 with err
 * when the ticket is gone or open again.
 */
int csat_record(struct store *st, const struct config *cfg, int64_t ticket_id, int score,
                const char *comment, const char *via, const char *actor, struct tk_err *err)
	__attribute__((warn_unused_result));

#endif
