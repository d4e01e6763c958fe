/*
 * lmtp_int.h: shared by lmtp.c (sockets, threads, staging) and
 * lmtp_proto.c (the protocol: commands, replies, DATA). Not for other
 * subsystems.
 *
 * The protocol side is pure: a struct lmtp_session takes one command line
 * at a time and appends its replies to a buffer, and a struct lmtp_data
 * turns the bytes after DATA into the message (dot-unstuffed, CRLF to LF,
 * capped) until the line "." ends it. lmtp.c does the I/O, the deadlines
 * and the commit, then lmtp_session_replies() answers each recipient.
 */
#ifndef TK_LMTP_INT_H
#define TK_LMTP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define LMTP_LINE_MAX 2048       /* a command line with its CRLF (RFC 5321: 512 + parameters) */
#define LMTP_MAX_RCPT 100        /* recipients per transaction (RFC 5321 4.5.3.1.8) */
#define LMTP_MAX_ERRORS 20       /* bad commands before the connection is closed */
#define LMTP_ADDR_MAX 254        /* an address without <> (RFC 5321 4.5.3.1.3: a path of 256) */

enum lmtp_next {
	LMTP_NEXT_COMMAND,       /* read the next command */
	LMTP_NEXT_DATA,          /* 354 sent: read the message (struct lmtp_data) */
	LMTP_NEXT_CLOSE,         /* reply, then close (QUIT, too many errors) */
};

struct lmtp_session {
	const char *hostname;    /* ours, for the greeting and LHLO (borrowed) */
	int64_t max_size;        /* announced as SIZE */
	bool lhlo;               /* LHLO was said */
	bool mail;               /* a transaction is open (MAIL accepted) */
	char *sender;            /* MAIL FROM, "" for <> (owned) */
	char *rcpt[LMTP_MAX_RCPT]; /* accepted RCPT TO addresses (owned) */
	size_t n_rcpt;
	int errors;
};

void lmtp_session_init(struct lmtp_session *s, const char *hostname, int64_t max_size);
void lmtp_session_fini(struct lmtp_session *s);
/* Forget the transaction (after RSET, a reply to DATA, or a new LHLO). */
void lmtp_session_reset(struct lmtp_session *s);
/* The greeting line (with CRLF) into out. */
void lmtp_session_greeting(const struct lmtp_session *s, struct buf *out);
/*
 * One command line (without its line end; len bytes, no NUL needed); its
 * reply goes to out. What to do next.
 */
enum lmtp_next lmtp_session_command(struct lmtp_session *s, const char *line, size_t len,
                                    struct buf *out);
/* The same reply for every accepted recipient (RFC 2033: one each after DATA), then reset. */
void lmtp_session_replies(struct lmtp_session *s, const char *reply, struct buf *out);

/* The message after DATA, read from any cut of the stream. */
struct lmtp_data {
	struct buf msg;          /* the message as stored: LF line ends, dots unstuffed */
	int64_t max_size;
	bool too_big;            /* more than max_size: the rest was read and dropped */
	int state;               /* where in a line (lmtp_proto.c) */
	bool crlf;               /* the line before ended with CRLF (a "." after it ends) */
};

void lmtp_data_init(struct lmtp_data *d, int64_t max_size);
void lmtp_data_fini(struct lmtp_data *d);
/*
 * Read n bytes of the stream. Returns how many were used: all of them
 * while the message goes on, fewer once *done_r says the line "." (after a
 * CRLF) ended it; the rest belongs to the next command.
 */
size_t lmtp_data_feed(struct lmtp_data *d, const char *p, size_t n, bool *done_r);

/* ---- lmtp_proto.c helpers exposed for the unit tests ---- */

/*
 * The address of "FROM:<a@b> PARAMS" (keyword "FROM:" or "TO:"): 0 with
 * *addr_r (caller frees; "" for <> when allow_null) and *params_r
 * (borrowed, "" when none), or -1 with *reply_r (a static reply line).
 */
int lmtp_path_parse(const char *arg, const char *keyword, bool allow_null, char **addr_r,
                    const char **params_r, const char **reply_r);

#endif
