/*
 * claim.h: the inbound queue as the workers use it (doc/schema.md,
 * "Claiming work"). A batch goes through:
 *
 *   claim_batch()  one short statement, committed at once: takes pending
 *                  rows (SKIP LOCKED), counts an attempt, sets a lease, and
 *                  returns ids and sizes, never raw bytes, so the lease
 *                  never depends on how long a fetch takes. A batch is
 *                  bounded by count and by bytes (the first item always
 *                  fits), and an item that was claimed before without
 *                  finishing is claimed alone, so a crash on it never
 *                  costs other items their attempts.
 *   claim_lock()   in the worker's transaction: row locks on the items that
 *                  are still ours (same attempts). From here on the locks,
 *                  not the lease, keep other workers off them for as long
 *                  as the transaction lives, however slow the work.
 *   claim_fetch()  their raw bytes, in binary, in one statement.
 *   claim_done() / claim_failed()  the outcome, committed with the work.
 *   claim_unclaim()  after a temporary failure: the attempts back.
 */
#ifndef TK_CLAIM_H
#define TK_CLAIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "err.h"

struct store;

struct claim_item {
	int64_t id;
	int attempts;                /* counting this claim */
	char *source, *kind, *meta;
	size_t raw_len;
	const char *raw;             /* after claim_fetch(): borrowed from the batch */
	bool mine;                   /* locked by claim_lock() with this claim's attempts */
	/* outcome */
	bool done, dropped, quarantined;
	bool created;                /* a new ticket or incident (else threaded onto one) */
	int drop_why;                /* dropped or a replay: enum metrics_drop; -1 otherwise */
	bool failed_for_good;        /* claim_failed() failed it for good (metrics) */
	bool deferred;               /* put back at the head of the queue (pipeline.h) */
	int64_t ticket_id;
	char reason[200];            /* why dropped or quarantined */
	char outcome[256];           /* what happened (struct pipeline_result), for the log */
	const char *fail_kind;       /* a failure to record without running it again (static) */
	char fail_msg[TK_ERR_MAX];
};

struct claim_batch {
	struct claim_item *items;
	int n;
	size_t bytes;                /* raw bytes of all items */
	size_t largest;              /* raw bytes of the largest */
	PGresult *raws;              /* claim_fetch()'s result; the items' raw point into it */
	int *seq;                    /* the order the worker runs the items in (indexes) */
};

struct claim_limits {
	int count;                   /* workers.batch */
	int64_t bytes;               /* workers.batch_bytes */
	int64_t lease_ms;            /* workers.lease_ttl */
};

/* Claim a batch (autocommit); b->n is 0 when nothing is due. */
int claim_batch(struct store *st, const struct claim_limits *lim, struct claim_batch *b,
                struct tk_err *err) __attribute__((warn_unused_result));
/* Lock the items still ours in the open transaction; sets each item's mine. */
int claim_lock(struct store *st, struct claim_batch *b, struct tk_err *err)
	__attribute__((warn_unused_result));
/* Read the raw bytes of the items that are mine (binary, one statement). */
int claim_fetch(struct store *st, struct claim_batch *b, struct tk_err *err)
	__attribute__((warn_unused_result));
/*
 * Mark every item that is mine and done as done, dropped or quarantined (one
 * statement); give a deferred item its attempt back and put it at the head
 * of the queue (next_attempt_at = received_at), before the later items of
 * its alert identities.
 */
int claim_done(struct store *st, const struct claim_batch *b, struct tk_err *err)
	__attribute__((warn_unused_result));
/*
 * Record a failure of kind (static string) with msg: permanent kinds
 * ("parse", "limit") fail the item now; others come back after a backoff
 * until max_attempts. Sets c->failed_for_good when this was its end.
 */
int claim_failed(struct store *st, struct claim_item *c, const char *kind, const char *msg,
                 int max_attempts, struct tk_err *err) __attribute__((warn_unused_result));
/* Best effort, after a temporary failure: give back the attempts the claim counted. */
void claim_unclaim(struct store *st, const struct claim_batch *b);
void claim_batch_fini(struct claim_batch *b);

#endif
