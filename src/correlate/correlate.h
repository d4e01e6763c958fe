/*
 * correlate.h: which ticket a reply belongs to, and what it does to it.
 * Pure decisions: the caller looks the candidates up in the database and
 * applies the answer.
 *
 * Order (the first that answers wins):
 *   1. a signed reply token in an address the mail went to (plus address);
 *   2. In-Reply-To or References naming a Message-ID stored for a ticket;
 *   3. the ticket tag in the subject ("[#TKT-1042]"), only when the sender
 *      already takes part in that ticket;
 *   else a new ticket.
 */
#ifndef TK_CORRELATE_H
#define TK_CORRELATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mime.h"

enum corr_how { CORR_NEW, CORR_TOKEN, CORR_REFERENCES, CORR_SUBJECT };

struct corr_candidates {
	int64_t token_ticket;       /* ticket proven by a valid token, 0: none */
	int64_t ref_ticket;         /* ticket holding a referenced Message-ID, 0: none */
	int64_t tag_ticket;         /* ticket named by the subject tag, 0: none */
	bool tag_sender_participant;/* the sender takes part in tag_ticket */
};

/* Pick the ticket; *ticket_r is 0 for CORR_NEW. */
enum corr_how corr_pick(const struct corr_candidates *c, int64_t *ticket_r);
/* "new", "token", "references", "subject". */
const char *corr_how_name(enum corr_how how);

/*
 * Find the ticket tag in subject: "[#PREFIX-NUMBER]" or "[PREFIX-NUMBER]"
 * (PREFIX letters and digits, up to 16; NUMBER up to 15 digits). Returns 1
 * with the prefix (upper-case) and number, 0 when there is none.
 */
int corr_subject_tag(const char *subject, char *prefix, size_t prefix_len, int64_t *number_r);

/*
 * The token in addr when addr is our address with a plus part:
 * "LOCAL+TOKEN@DOMAIN" where LOCAL@DOMAIN is ours (case-insensitive).
 * Returns a new lower-case string, or NULL.
 */
char *corr_plus_token(const char *addr, const char *our_local, const char *our_domain);

enum corr_action {
	CORR_APPEND,       /* add the message; the status stays */
	CORR_TO_OPEN,      /* pending -> open */
	CORR_REOPEN,       /* resolved/closed -> reopened (within the window) */
	CORR_NEW_LINKED,   /* resolved/closed too long ago: new ticket linked to the old */
	CORR_NOTE,         /* add as an internal note; the status stays */
};

struct corr_reply {
	const char *status;         /* the ticket's status */
	time_t done_at;             /* when it was resolved or closed (0: unknown) */
	time_t now;
	int64_t reopen_window_s;    /* how long after resolution a reply reopens */
	bool auto_reply;            /* machine-written (loop.h): never reopens */
	bool thanks_only;           /* loop_is_thanks_only() of the visible text */
};

/* What a customer's reply does to its ticket. */
enum corr_action corr_customer_reply(const struct corr_reply *r);
const char *corr_action_name(enum corr_action a);

/*
 * Whether the Authentication-Results header stamped by authserv_id says
 * pass for DKIM (when require_dkim) and DMARC (when require_dmarc).
 * Headers naming another authserv-id are ignored (anyone can write them);
 * with several of ours, the first (the topmost, the last one added) counts.
 * No header of ours: false.
 */
bool corr_auth_pass(const struct mime_header *headers, size_t n, const char *authserv_id,
                    bool require_dkim, bool require_dmarc);

/*
 * Message-IDs quoted in a bounce: each "Message-ID: <id>" header line
 * (any case, at the start of a line) in the len bytes of text, without <>,
 * at most max of them. Returns how many were stored in ids (each a new
 * string the caller frees).
 */
size_t corr_quoted_message_ids(const char *text, size_t len, char **ids, size_t max);

/*
 * Recipients a delivery status notification names: the address of each
 * "Final-Recipient:" or "Original-Recipient:" line ("rfc822; addr", any
 * case, at a line start) in text, lower-cased; at most max, each a new
 * string. Returns how many.
 */
size_t corr_dsn_recipients(const char *text, size_t len, char **addrs, size_t max);

/*
 * Plus tokens of our address quoted anywhere in text: each
 * "LOCAL+TOKEN@DOMAIN" (case-insensitive), the token lower-cased; at most
 * max, each a new string. Returns how many.
 */
size_t corr_plus_tokens_in(const char *text, size_t len, const char *local, const char *domain,
                           char **tokens, size_t max);

#endif
