/*
 * lmtp.h: the LMTP listener (RFC 2033), the fast path for an MTA: Postfix's
 * lmtp: transport delivers straight into the daemon, one process and its
 * database connections instead of a `ticketctl ingest` process per mail.
 *
 * A mailbox of type lmtp listens on Unix sockets and/or TCP addresses
 * (listen:). max_connections threads each accept one connection at a time
 * and keep one PGconn; further connections wait in the listen backlog.
 * Each message is staged through store_inbound_stage() like the pipe's:
 * one inbound row (source = the mailbox), the envelope in meta (sender,
 * recipients: the rules' recipient field), a Return-Path header prepended
 * (RFC 5321 4.4: the final delivery adds it), and the dedup key
 * "lmtp:<sha256 of the stored bytes>", so an MTA that retries after losing
 * our reply stages nothing twice. Every accepted recipient is answered 250
 * only after the commit, 451 4.3.0 when the database cannot take it (the
 * MTA keeps the mail and retries), 552 5.3.4 over max_message_size (the
 * SIZE announced at LHLO).
 *
 * Limits: command lines of 2,048 bytes, 100 recipients per message, 20
 * refused commands per connection; command_timeout for each command line,
 * message_timeout from MAIL to the end of DATA. The end of DATA is only
 * CRLF "." CRLF (a bare LF before the dot does not end it).
 *
 * The sockets are bound by lmtp_bind() before the daemon drops its
 * privileges (a port under 1024, a socket's group), and accept
 * connections from lmtp_start() on; lmtp_stop() answers 421 to idle
 * clients, lets a commit in progress finish and removes the Unix sockets.
 * The section is read at start: a reload keeps the listeners.
 */
#ifndef TK_LMTP_H
#define TK_LMTP_H

#include <time.h>

#include "err.h"

struct config_mailbox;
struct daemon;
struct lmtp_server;

/*
 * Bind mb's listen addresses (an existing socket file nobody listens on is
 * replaced; one in use is an error). Nothing is accepted yet. 0 with
 * *srv_r, or -1 with err (nothing left open).
 */
int lmtp_bind(struct daemon *d, const struct config_mailbox *mb, struct lmtp_server **srv_r,
              struct tk_err *err) __attribute__((warn_unused_result));
/* Listen and start the connection threads (logs "lmtp: mailbox=M listening on A"). */
int lmtp_start(struct lmtp_server *srv, struct tk_err *err) __attribute__((warn_unused_result));
/*
 * Stop accepting, close connections at their next command (421), join the
 * threads until deadline (CLOCK_REALTIME) and free the server. -1 when a
 * thread was late (its memory is then left alone). NULL is fine.
 */
int lmtp_stop(struct lmtp_server **srv, const struct timespec *deadline);

#endif
