/*
 * mime_int.h: helpers shared by mime.c (structure walk), mime_hdr.c
 * (header fields: encoded words, addresses, ids, dates, parameters) and
 * mime_text.c (transfer encodings, charsets, UTF-8 repair). Not public.
 */
#ifndef TK_MIME_INT_H
#define TK_MIME_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "mime.h"

/* One raw header field inside a header block; pointers into the message. */
struct mime_field {
	const char *name;
	size_t name_len;
	const char *value;   /* raw, still folded, without the trailing line end */
	size_t value_len;
};

/*
 * Iterate the header fields of [*p, end): fills f and advances *p; returns
 * false at the blank line (or the first line that is not a header, like
 * Python's feedparser) and leaves *p at the start of the body.
 */
bool mime_field_next(const char **p, const char *end, struct mime_field *f);
/* First field called name (case-insensitive) in [p, end), or false. */
bool mime_field_find(const char *p, const char *end, const char *name, struct mime_field *f);
/* Unfolded copy of a raw value: CR/LF removed, leading blanks dropped. Caller frees. */
char *mime_unfold(const char *v, size_t n);

/* Decode RFC 2047 encoded words the way an unstructured header is read (UTF-8). */
char *mime_hdr_decode(const char *v, size_t n);
/* Addresses of an address-list value (groups flattened). Appends to *list_r. */
void mime_hdr_addrs(const char *v, size_t n, struct mime_addr **list_r, size_t *n_r);
void mime_addrs_free(struct mime_addr *list, size_t n);
/* First <id> of v without brackets and whitespace, or NULL. bare: accept a bare token. */
char *mime_hdr_msgid(const char *v, size_t n, bool bare);
/* Every <id> of v, in order. */
void mime_hdr_msgids(const char *v, size_t n, char ***ids_r, size_t *n_r);
/* RFC 5322 (and obsolete) date, read like Python's parsedate_to_datetime. */
bool mime_hdr_date(const char *v, size_t n, time_t *t_r);

/* A parsed Content-Type / Content-Disposition value. */
struct mime_ctype {
	char *value;          /* lower-case text before ';' ("text/plain", "attachment") */
	char *params;         /* unfolded parameter text after the first ';', or NULL */
};
void mime_ctype_parse(const char *v, size_t n, struct mime_ctype *ct);
void mime_ctype_fini(struct mime_ctype *ct);
/* Parameter value (RFC 2231 continuations and charsets, quoted strings,
 * encoded words decoded, UTF-8), or NULL. Caller frees. */
char *mime_param(const struct mime_ctype *ct, const char *name);

/* Decode transfer encodings into out (never fails; garbage is skipped). */
void mime_base64_decode(const char *in, size_t n, struct buf *out);
void mime_qp_decode(const char *in, size_t n, bool header, struct buf *out);

/*
 * Convert bytes in charset (NULL: unknown) into valid UTF-8 in out.
 * Without a charset, or with an ASCII one, the bytes are read as UTF-8
 * when valid and as windows-1252 otherwise; unknown charsets likewise.
 * Invalid bytes become U+FFFD; NUL becomes U+FFFD.
 */
void mime_to_utf8(const char *charset, const char *in, size_t n, struct buf *out);
/* Append bytes as UTF-8: kept when valid UTF-8, else read as windows-1252. */
void mime_utf8_or_1252(const char *in, size_t n, struct buf *out);
/* Whether [in, in+n) is valid UTF-8. */
bool mime_utf8_valid(const char *in, size_t n);

/*
 * libetpan's header parsers grow their buffers word by word, quadratic on
 * one field of 100,000 encoded words; no honest field comes near this
 * size, so longer ones never reach them (mime.c guard, mime_hdr_addrs).
 */
#define MIME_FIELD_MAX (64 * 1024)

/* Make room for item n of an array holding n items (capacity doubles at powers of two). */
#define MIME_GROW(arr, n) \
	do { \
		if (((n) & ((n) - 1)) == 0) \
			(arr) = xreallocarray((arr), (n) ? 2 * (n) : 1, sizeof(*(arr))); \
	} while (0)

/* Unfolded value without trailing blanks. Caller frees. */
char *mime_trimmed(const char *v, size_t n);
/* Read the message's own header block [p, end) into m (mime_top.c); returns where the body starts. */
const char *mime_top_headers(struct mime_msg *m, const char *p, const char *end);
/* Bounce flags from the sender: MAILER-DAEMON@, postmaster@, a null return path. */
void mime_sender_checks(struct mime_msg *m);

/* What a parse may still read, shared with the forwarded messages inside it (mime_limits). */
struct mime_budget {
	size_t parts_left;       /* MIME parts that may still be read */
	size_t max_parts;
	int max_depth;
	size_t parts_left_out;   /* parts not read for the limits */
	bool too_deep;           /* a multipart deeper than max_depth was not entered */
};

/* mime_parse() for a message nested depth forwards deep (mime_fwd.c renders them). */
int mime_parse_depth(const char *raw, size_t len, int depth, struct mime_budget *budget,
                     struct mime_msg **msg_r, struct tk_err *err);
/* Name and render the inline forwarded messages of m (is_forward attachments). */
void mime_fwd_all(struct mime_msg *m, int depth, struct mime_budget *budget);
/* Add a parse warning to m->warning. */
void mime_warn(struct mime_msg *m, const char *what);
/* Warn when a non-empty body [body, +body_len) gave no text and no attachment. */
void mime_fwd_checks(struct mime_msg *m, const char *body, size_t body_len);
/* Set m->content_sha256 from the top headers of m and the body bytes. */
void mime_fingerprint(struct mime_msg *m, const char *body, size_t body_len);
/* Lower-case hex SHA-256 of data. */
void mime_sha256_hex(const unsigned char *data, size_t n, char hex[65]);

/*
 * format=flowed text (RFC 3676) with its soft line breaks joined; delsp:
 * the DelSp=yes parameter. Caller frees.
 */
char *mime_unflow(const char *text, bool delsp);

/* Append without a cap check (buffers here are uncapped). */
void mime_buf_add(struct buf *b, const void *p, size_t n);

#endif
