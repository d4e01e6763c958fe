/*
 * store_message.h: messages on tickets (inbound and outbound, public and
 * internal), their attachments (bodies content-addressed in blobs), and
 * the participants of a ticket. Like store_ticket.h, these run inside the
 * caller's transaction; strings in the structs are borrowed for the call.
 */
#ifndef TK_STORE_MESSAGE_H
#define TK_STORE_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

struct message_new {
	int64_t ticket_id;
	const char *direction;      /* "in" or "out" */
	const char *visibility;     /* "public" or "internal" */
	const char *author;         /* address or agent name */
	const char *agent;          /* agent name when an agent wrote it, else NULL */
	const char *message_id;     /* without <>, or NULL */
	const char *in_reply_to;
	const char *const *refs;
	size_t n_refs;
	const char *subject;
	const char *headers_json;   /* JSON array of [name, value], or NULL */
	const char *body_text;
	const char *visible_text;   /* reply without quotes, or NULL */
	int64_t inbound_id;         /* 0: none */
	const char *parse_warning;  /* what intake noticed (shown to agents), or NULL */
	const char *content_sha256; /* the parser's content fingerprint, or NULL */
	const char *reused_message_id; /* Message-ID another stored mail has (message_id NULL), or NULL */
};

struct attachment_new {
	int64_t message_id;
	const char *filename, *content_type, *disposition, *content_id;
	const void *data;
	size_t size;
	const char *sha256;         /* hex */
	const char *scan_status;    /* clean, infected, error, unscanned, blocked */
	const char *scan_detail;
	bool store_body;            /* false: held back (quarantined/blocked), metadata only */
};

int store_message_insert(struct store *st, const struct message_new *m, int64_t *id_r,
                         struct tk_err *err) __attribute__((warn_unused_result));
/*
 * Has a mail with this Message-ID been stored (as its message_id, or as the
 * reused_message_id of a later mail under the same ID)? Returns 0 (no),
 * 1 (yes, with this content fingerprint, or one stored before fingerprints
 * existed: a replay), 2 (only with other content: the ID is being reused),
 * or -1 with err. On 1 and 2 *ticket_id_r is the ticket of that message.
 */
int store_message_seen(struct store *st, const char *message_id, const char *content_sha256,
                       int64_t *ticket_id_r, struct tk_err *err) __attribute__((warn_unused_result));
int store_attachment_insert(struct store *st, const struct attachment_new *a, int64_t *id_r,
                            struct tk_err *err) __attribute__((warn_unused_result));
/* Add address (lower-case) to the ticket's participants; no-op when present. */
int store_participant_add(struct store *st, int64_t ticket_id, const char *address,
                          const char *role, struct tk_err *err) __attribute__((warn_unused_result));

/* Postgres text[] literal for a list of strings, NULL elements as NULL (caller frees). */
char *store_text_array(const char *const *v, size_t n);

#endif
