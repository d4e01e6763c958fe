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
/* Ticket holding a message with this Message-ID: 1 and *ticket_id_r, 0 none, -1 error. */
int store_message_ticket(struct store *st, const char *message_id, int64_t *ticket_id_r,
                         struct tk_err *err) __attribute__((warn_unused_result));
int store_attachment_insert(struct store *st, const struct attachment_new *a, int64_t *id_r,
                            struct tk_err *err) __attribute__((warn_unused_result));
/* Add address (lower-case) to the ticket's participants; no-op when present. */
int store_participant_add(struct store *st, int64_t ticket_id, const char *address,
                          const char *role, struct tk_err *err) __attribute__((warn_unused_result));

/* Postgres text[] literal for a list of strings (caller frees). */
char *store_text_array(const char *const *v, size_t n);

#endif
