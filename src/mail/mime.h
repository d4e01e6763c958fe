/*
 * mime.h: parse one raw RFC 5322 message (libetpan) into a struct mime_msg:
 * decoded UTF-8 headers, address lists, the best text body (HTML-only mail
 * turned into text through html.h), and the attachments with their decoded
 * bytes. Hostile input never crashes: broken structure degrades to what a
 * mail client would show.
 *
 * Ownership: mime_parse() returns a message the caller frees with
 * mime_msg_free(); every string and buffer inside belongs to the message.
 * All text is valid UTF-8 (invalid bytes become U+FFFD).
 */
#ifndef TK_MIME_H
#define TK_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "err.h"

/* Largest message mime_parse() accepts (64 MiB). */
#define MIME_MAX_SIZE ((size_t)64 << 20)
/* Multiparts libetpan is allowed to see (fewer over 16 MiB); later ones are leaves. */
#define MIME_MAX_CONTAINERS 64

/*
 * How much MIME structure one parse reads (the message and the forwarded
 * messages inside it together). Parts past max_parts, and what is nested
 * in multiparts deeper than max_depth, are left out: the text ends with a
 * placeholder that says what was, and the message's warning says so too.
 */
struct mime_limits {
	size_t max_parts;
	int max_depth;
};
#define MIME_DEFAULT_MAX_PARTS 1000
#define MIME_DEFAULT_MAX_DEPTH 20
/* The most max_depth can be: the parser's own recursion bound. */
#define MIME_MAX_DEPTH 80

struct mime_addr {
	char *addr;     /* lower-case addr-spec, e.g. "alice@example.com" */
	char *name;     /* decoded display name, or NULL */
};

struct mime_header {
	char *name;     /* as written, e.g. "List-Id" */
	char *value;    /* unfolded, RFC 2047 decoded, UTF-8 */
};

struct mime_attachment {
	char *filename;      /* decoded (RFC 2231, encoded words), or NULL */
	char *content_type;  /* lower-case type/subtype */
	char *disposition;   /* "attachment", "inline" or NULL */
	char *content_id;    /* without <>, or NULL */
	bool is_inline;      /* inline part (e.g. cid: image), not a user attachment */
	bool is_message;     /* a message/rfc822 part kept as a whole */
	bool is_forward;     /* an inline message/rfc822 part (a forwarded mail) listed by us:
	                        named "<Subject>.eml", rendered in forwarded; Python's email
	                        package does not list it */
	unsigned char *data; /* decoded bytes */
	size_t size;         /* decoded size */
	char sha256[65];     /* hex of data */
};

struct mime_msg {
	char *subject;                  /* NULL when there is no Subject */
	struct mime_addr from;          /* from.addr NULL when absent */
	struct mime_addr *to, *cc, *reply_to;
	size_t n_to, n_cc, n_reply_to;
	char *return_path;              /* addr-spec, "" for a null return path <>, NULL when absent */
	char *list_id;                  /* List-Id's <id> without <> (or the bare value), or NULL */
	char *message_id;               /* without <> */
	char *in_reply_to;              /* first id, without <> */
	char **references;              /* ids without <>, in order */
	size_t n_references;
	bool has_date;
	time_t date;                    /* UTC seconds since the epoch */
	bool is_auto_reply;             /* Auto-Submitted != no, Precedence bulk/junk/list,
	                                   X-Autoreply, X-Autorespond, top-level multipart/report */
	bool is_bounce;                 /* DSN (multipart/report delivery-status), MAILER-DAEMON, <> */
	char *text;                     /* best text body, UTF-8; "" when none */
	bool text_from_html;            /* text was made from an HTML-only body */
	char *html;                     /* the HTML body (UTF-8) when there is one, else NULL */
	char *forwarded;                /* inline forwarded mails as a client shows them (headers,
	                                   text), or NULL; see mime_msg_shown_text() */
	char *warning;                  /* what went wrong reading the message ("; "-separated),
	                                   e.g. a non-empty body that gave no text, or NULL */
	char content_sha256[65];        /* hex SHA-256 of From, To, Cc, Date, Subject and the body:
	                                   equal for the same mail through two mailboxes */
	struct mime_header *headers;    /* every top-level header, in order */
	size_t n_headers;
	struct mime_attachment *attachments; /* depth-first */
	size_t n_attachments;
	size_t parts_left_out;          /* MIME parts not read for the limits (struct mime_limits) */
};

/*
 * Parse raw bytes. Returns 0, or -1 with err set (only if nothing usable
 * could be read: empty input, or more than MIME_MAX_SIZE bytes).
 */
int mime_parse(const char *raw, size_t len, struct mime_msg **msg_r, struct tk_err *err);
/* mime_parse() within limits (NULL: MIME_DEFAULT_MAX_PARTS and MIME_DEFAULT_MAX_DEPTH). */
int mime_parse_limited(const char *raw, size_t len, const struct mime_limits *lim,
                       struct mime_msg **msg_r, struct tk_err *err);
void mime_msg_free(struct mime_msg **msg);

/*
 * The text a reader is shown: text (msg->text when NULL) followed by the
 * inline forwarded messages, if any. Caller frees.
 */
char *mime_msg_shown_text(const struct mime_msg *msg, const char *text);

/* Copy of n bytes as valid UTF-8: invalid sequences and NUL become U+FFFD. Caller frees. */
char *mime_utf8_clean(const char *s, size_t n);

/* First header with this name (case-insensitive), or NULL. Borrowed from msg. */
const char *mime_header(const struct mime_msg *msg, const char *name);

#endif
