/*
 * lmtp_stage.h: the commit of one LMTP message (lmtp_stage.c), for lmtp.c.
 * Each connection thread owns one store (PGconn), opened when a MAIL
 * comes and kept across connections.
 */
#ifndef TK_LMTP_STAGE_H
#define TK_LMTP_STAGE_H

#include <stdbool.h>

#include "buf.h"

struct daemon;
struct lmtp_session;
struct store;

/* Whether *st is connected, connecting when it is not (a failure is logged, rate-limited). */
bool lmtp_stage_ready(struct daemon *d, const char *mailbox, struct store **st);
/*
 * Stage raw (the Return-Path line and the message) as one inbound row of
 * source mailbox with s's envelope in meta, and answer each recipient of s
 * into out: 250 after the commit (also for bytes staged before: an MTA's
 * retry), else 451 4.3.0. A connection that failed is retried once on a
 * new one (the row's dedup key makes the retry safe). Resets s's
 * transaction.
 */
void lmtp_stage(struct daemon *d, const char *mailbox, struct store **st,
                struct lmtp_session *s, const struct buf *raw, struct buf *out);

#endif
