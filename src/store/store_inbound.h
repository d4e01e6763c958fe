/*
 * store_inbound.h: the durable inbound stage. Intake (IMAP, Maildir, MTA
 * pipe, HTTP) commits raw bytes here before it acknowledges its source;
 * workers claim rows with FOR UPDATE SKIP LOCKED.
 */
#ifndef TK_STORE_INBOUND_H
#define TK_STORE_INBOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

struct inbound_stage {
	const char *source;        /* mailbox/source name */
	const char *kind;          /* "mail" or "alert" */
	const void *raw;
	size_t raw_len;
	const char *dedup_key;     /* e.g. "uidvalidity:uid"; NULL for none */
	const char *message_id;    /* NULL for none */
	const char *meta;          /* JSON object text or NULL */
};

/*
 * Insert one item (in the caller's transaction, or autocommit when none is
 * open). *dup_r is true when (source, dedup_key) was staged before, in which
 * case nothing is inserted and *id_r is the earlier row's id.
 */
int store_inbound_stage(struct store *st, const struct inbound_stage *in, int64_t *id_r,
                        bool *dup_r, struct tk_err *err) __attribute__((warn_unused_result));

/*
 * Stage n items in one statement (in the caller's transaction). Items whose
 * (source, dedup_key) was staged before are skipped. *staged_r gets the
 * number of new rows. n is at most STORE_INBOUND_BATCH.
 */
#define STORE_INBOUND_BATCH 64
int store_inbound_stage_many(struct store *st, const struct inbound_stage *in, size_t n,
                             int *staged_r, struct tk_err *err) __attribute__((warn_unused_result));

/*
 * Record an item an intake refused to stage (a file that is not a regular
 * one, empty, too large) as failed at once, error kind "intake", with why
 * and meta (JSON object text) and no raw bytes, so `ticketctl inbound list`
 * shows it. A (source, dedup_key) recorded before is left as it is.
 */
int store_inbound_refuse(struct store *st, const char *source, const char *dedup_key,
                         const char *why, const char *meta, struct tk_err *err)
	__attribute__((warn_unused_result));

/*
 * Put failed items back to pending (all failed ones when id is 0), except
 * those an intake refused (nothing to process); with force, dropped, done
 * and quarantined ones too (processing them again is idempotent: a
 * Message-ID stored with the same content is a replay). *n_r: how many.
 */
int store_inbound_retry(struct store *st, int64_t id, bool force, int *n_r, struct tk_err *err)
	__attribute__((warn_unused_result));

/* Hex sha256 of data into out[65]. */
void store_sha256_hex(const void *data, size_t len, char out[65]);

#endif
