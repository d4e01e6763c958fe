/*
 * imap_int.h: shared between imap.c (the intake thread), imap_client.c
 * (the IMAP commands through libetpan) and imap_tls.c (TLS with OpenSSL
 * under libetpan's stream). Not for other subsystems.
 */
#ifndef TK_IMAP_INT_H
#define TK_IMAP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libetpan/libetpan.h>

#include "buf.h"
#include "err.h"

struct config_mailbox;

/* Largest message fetched (RFC822.SIZE pre-check and fetch cap). */
#define IMAP_MAX_MESSAGE (64 * 1024 * 1024)
/* Bytes asked for per partial fetch (BODY.PEEK[]<offset.len>). */
#define IMAP_CHUNK (1024 * 1024)

/* One logged-in session with its folder selected. */
struct imap_client {
	mailimap *imap;
	const struct config_mailbox *mb;   /* borrowed from the session's config */
	uint32_t uidvalidity;
	bool has_move, has_uidplus, has_idle;
};

/*
 * Connect (TLS, STARTTLS or plain as mb->tls says, certificates verified
 * unless mb->tls_verify is false), log in (password or XOAUTH2), create
 * mb->move_to when after: move and it is missing, and SELECT mb->folder.
 * Network timeouts are timeout_s seconds. On failure c is cleaned up and
 * err says what failed (temporary for network errors).
 */
int imap_client_open(struct imap_client *c, const struct config_mailbox *mb, int timeout_s,
                     struct tk_err *err) __attribute__((warn_unused_result));
/*
 * Free the session, after a LOGOUT (best effort) when logout is true. After
 * an error the connection may be mid-response: close it without a word.
 */
void imap_client_close(struct imap_client *c, bool logout);

/*
 * UIDs in [first, last] (last 0 for "*") of the selected folder, ascending,
 * only those >= first (the server answers n:* with the last message even
 * when its UID is lower). unseen_only adds UNSEEN. *uids_r is the caller's.
 */
int imap_client_search(struct imap_client *c, uint32_t first, uint32_t last, bool unseen_only,
                       uint32_t **uids_r, size_t *n_r, struct tk_err *err)
	__attribute__((warn_unused_result));
/*
 * RFC822.SIZE of each of uids[0..n) (ascending) in one UID FETCH: sizes_r[i]
 * is the size, or -1 when the server returned nothing for it (expunged).
 */
int imap_client_sizes(struct imap_client *c, const uint32_t *uids, size_t n, int64_t *sizes_r,
                      struct tk_err *err) __attribute__((warn_unused_result));
/*
 * Fetch the raw message with BODY.PEEK[] in IMAP_CHUNK pieces (never sets
 * \Seen) into out (capped). Gives up with an error once deadline_ms
 * (CLOCK_MONOTONIC ms) has passed. 1 fetched, 0 gone, -1 error.
 */
int imap_client_fetch(struct imap_client *c, uint32_t uid, int64_t deadline_ms, struct buf *out,
                      struct tk_err *err) __attribute__((warn_unused_result));
/*
 * Acknowledge uids after their commit: UID MOVE to mb->move_to, or UID
 * COPY + \Deleted + UID EXPUNGE with UIDPLUS, or set \Seen (after: seen,
 * or after: move on a server with neither MOVE nor UIDPLUS, which is
 * logged: ticketd never expunges without UIDPLUS).
 */
int imap_client_ack(struct imap_client *c, const uint32_t *uids, size_t n, struct tk_err *err)
	__attribute__((warn_unused_result));
/* NOOP (lets the server report new mail when polling). */
int imap_client_noop(struct imap_client *c, struct tk_err *err) __attribute__((warn_unused_result));
/* The message count the server last reported (EXISTS), 0 when unknown. */
uint32_t imap_client_exists(const struct imap_client *c);
/* Enter IDLE. */
int imap_client_idle_begin(struct imap_client *c, struct tk_err *err)
	__attribute__((warn_unused_result));
/* Wait up to ms for the server to say something in IDLE: 1 data, 0 timeout, -1 error. */
int imap_client_idle_wait(struct imap_client *c, int ms);
/* Leave IDLE (DONE) and read the server's updates. */
int imap_client_idle_end(struct imap_client *c, struct tk_err *err)
	__attribute__((warn_unused_result));

/* libetpan's error code as text. Static string. */
const char *imap_strerror(int r);

/*
 * TLS under libetpan (imap_tls.c). Handshake over connected socket fd
 * (which the new stream owns on success; on failure, NULL with err set,
 * the caller still owns fd), verifying the server's chain against the
 * system trust store (OpenSSL default paths; SSL_CERT_FILE/SSL_CERT_DIR
 * override) and its name against host unless verify is false.
 */
mailstream_low *imap_tls_open(int fd, const char *host, bool verify, int timeout_s,
                              struct tk_err *err);
/*
 * Put a deadline wrapper under stream s (after connect and STARTTLS): reads
 * and writes fail once the deadline set with imap_deadline_set() passed.
 * -1 when out of memory (s unchanged).
 */
int imap_deadline_wrap(mailstream *s);
/* Set (CLOCK_MONOTONIC ms) or clear (0) the deadline of a wrapped stream. */
void imap_deadline_set(mailstream *s, int64_t deadline_ms);
/* Whether decrypted bytes wait inside the TLS layer of low (false for plain sockets). */
bool imap_tls_pending(mailstream_low *low);

/*
 * The Message-ID of raw (a quick scan of the header section, without angle
 * brackets; NULL when missing or unusable). Caller frees.
 */
char *imap_scan_message_id(const char *raw, size_t len);

#endif
