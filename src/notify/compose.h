/*
 * compose.h: outgoing mail, written with libetpan's MIME writer, and the
 * admin-editable templates its text comes from.
 *
 * A composed message has Date, From, To, Reply-To (the plus address with
 * the signed reply token), Subject and display names encoded as RFC 2047
 * words when they are not plain ASCII, the Message-ID ticketd stores for
 * threading, In-Reply-To and References, `Auto-Submitted: auto-replied` (or
 * auto-generated) on automatic mail (RFC 3834), the loop header (loop.h) and a UTF-8 text part
 * in quoted-printable, encoded here (multipart/alternative with an HTML part when one is
 * given). Header values are cleaned of control characters, so untrusted
 * text (a customer's subject) cannot add header lines.
 *
 * Templates: "Subject: ..." on the first line, a blank line, the body.
 * {{name}} is replaced by the value of name; substituted text is not
 * scanned again, and nothing else happens (no code, no conditionals).
 */
#ifndef TK_COMPOSE_H
#define TK_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "err.h"

struct compose_addr {
	const char *addr;          /* addr-spec */
	const char *name;          /* display name (UTF-8) or NULL */
};

struct compose_msg {
	struct compose_addr from, to, reply_to;   /* reply_to.addr NULL: none */
	const char *subject;                      /* UTF-8 */
	const char *message_id;                   /* without <> */
	const char *in_reply_to;                  /* without <>, or NULL */
	const char *const *refs;                  /* without <>, oldest first */
	size_t n_refs;
	const char *auto_submitted;               /* "auto-replied", "auto-generated", or NULL */
	const char *loop_id;                      /* X-Ticketd-Loop value, or NULL */
	const char *text;                         /* UTF-8 body */
	const char *html;                         /* optional HTML alternative */
	time_t date;
	/* optional attachment (base64): multipart/mixed around the text */
	const char *attach_name;                  /* file name, or NULL: none */
	const char *attach_type;                  /* "text/csv; charset=utf-8", ... */
	const char *attach_data;
	size_t attach_len;
};

/*
 * Write m as an RFC 5322 message with CRLF line ends. Returns 0 and a new
 * buffer in *out_r (caller frees) with its length, or -1 with err set
 * (missing from/to/message_id, an address with control characters, or a
 * libetpan failure).
 */
int compose_write(const struct compose_msg *m, char **out_r, size_t *len_r, struct tk_err *err)
	__attribute__((warn_unused_result));

/*
 * s as header text: control characters become spaces, and text that is not
 * plain printable ASCII becomes RFC 2047 "=?UTF-8?B?...?=" words of at most
 * 75 characters, split on UTF-8 character boundaries. Caller frees.
 */
char *compose_encode_header(const char *s);

/* A new Message-ID (without <>) for ticket_id: "tkd.ID.RANDOM@domain". Caller frees. */
char *compose_message_id(const char *domain, int64_t ticket_id);

struct compose_var {
	const char *name;
	const char *value;         /* NULL renders as "" */
};

/*
 * Render tmpl: each {{name}} (spaces inside the braces allowed) becomes its
 * value; unknown names render as "". Caller frees.
 */
char *compose_render(const char *tmpl, const struct compose_var *vars, size_t n);

/*
 * Check a template: it starts with a "Subject:" line followed by a blank
 * line, and every {{name}} is one of the NULL-terminated allowed names.
 * Returns 0, or -1 with err saying what and on which line.
 */
int compose_template_check(const char *tmpl, const char *const *allowed, struct tk_err *err);

/* Only the placeholder part of compose_template_check (for HTML bodies). */
int compose_placeholders_check(const char *tmpl, const char *const *allowed, struct tk_err *err);

/* s with & < > " ' as HTML entities (for values put into HTML templates). Caller frees. */
char *compose_html_escape(const char *s);

/*
 * Split a rendered template into its subject (the "Subject:" line, trimmed)
 * and its body (after the blank line). Both new strings; returns -1 with err
 * when the shape is wrong.
 */
int compose_template_split(const char *rendered, char **subject_r, char **body_r,
                           struct tk_err *err) __attribute__((warn_unused_result));

/*
 * Append text as quoted-printable (RFC 2045) to out, with CRLF line ends:
 * blanks at a line's end encoded (so "-- " stays a signature separator),
 * soft line breaks at 76 characters.
 */
void compose_qp_encode(const char *text, struct buf *out);

#endif
