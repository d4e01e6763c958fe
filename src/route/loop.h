/*
 * loop.h: loop protection. Classify incoming mail as written by a human
 * or by a machine (auto-reply, bounce, mailing list, or ticketd's own mail
 * coming back), spot "thanks-only" replies, and rate-limit acknowledgements
 * per sender with pure arithmetic the caller can back with a table.
 * Pure logic: no database, no clock (the caller passes the time). Rules and
 * their order: doc/loops.md.
 */
#ifndef TK_LOOP_H
#define TK_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mime.h"

/* The header ticketd puts on all its mail; its value is the instance id. */
#define LOOP_HEADER "X-Ticketd-Loop"

enum loop_class {
	LOOP_HUMAN,      /* a person wrote it */
	LOOP_AUTO_REPLY, /* vacation notice, autoresponder, bulk mail */
	LOOP_BOUNCE,     /* delivery status notification */
	LOOP_LIST,       /* mailing list traffic */
	LOOP_OWN_LOOP,   /* carries our own LOOP_HEADER: our mail came back */
	LOOP_NOREPLY,    /* from a no-reply address (noreply@, do-not-reply@, ...) */
};

/* What loop_classify() looks at; any pointer may be NULL (absent). */
struct loop_input {
	const struct mime_header *headers; /* all top-level headers, decoded */
	size_t n_headers;
	const char *from;          /* From addr-spec */
	const char *return_path;   /* addr-spec, "" for a null return path <> */
	const char *content_type;  /* top-level, e.g. "multipart/report; report-type=...";
	                              NULL: taken from a Content-Type header */
	const char *instance_id;   /* our LOOP_HEADER value; NULL: any value is ours */
};

struct loop_verdict {
	enum loop_class cls;
	bool no_autoreply;  /* never answer automatically (true unless HUMAN, and
	                       for HUMAN mail that asks so: X-Auto-Response-Suppress) */
	char reason[192];   /* e.g. "Auto-Submitted: auto-replied"; untrusted parts clipped */
};

/*
 * Fill in from a parsed message (borrowed pointers: in lives as long as
 * msg); content_type comes from the Content-Type header.
 */
void loop_input_from_msg(const struct mime_msg *msg, const char *instance_id,
                         struct loop_input *in_r);

/* Classify one message. The first matching rule wins (order in doc/loops.md). */
void loop_classify(const struct loop_input *in, struct loop_verdict *verdict_r);

/*
 * The class as the rules' auto_class field spells it: "human", "auto_reply",
 * "bounce", "list", "noreply", "own_loop".
 */
const char *loop_class_name(enum loop_class cls);

/*
 * Whether the visible text of a reply only says thanks (in several
 * languages): no attachment, no question mark, at most a dozen words, all
 * thanks words or polite filler, with at most a short sign-off line.
 */
bool loop_is_thanks_only(const char *visible_text, size_t n_attachments);

/*
 * Per-sender rate limit as GCRA (a token bucket kept as one timestamp):
 * burst acknowledgements at once, then one per interval seconds.
 */
struct loop_limit {
	int64_t interval; /* seconds between acknowledgements, > 0 */
	unsigned burst;   /* at least 1 */
};

/*
 * Decide for one event at time now (seconds). *tat is the sender's stored
 * state (0 for an unknown sender). Returns true and advances *tat when the
 * event is allowed; returns false and leaves *tat alone when it is not.
 */
bool loop_rate_allow(const struct loop_limit *limit, int64_t now, int64_t *tat);

#endif
