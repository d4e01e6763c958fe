/*
 * outbox.h: the transactional outbox. A notification is a row written in
 * the same transaction as the event that causes it (outbox_enqueue), with
 * an idempotency key so the same event never queues two notifications.
 * Sender threads (any daemon on the database) claim due rows with FOR
 * UPDATE SKIP LOCKED, deliver them through the channel's sender
 * (notify.h), and record the outcome; failures back off exponentially
 * and a row that keeps failing ends 'dead' with its last error.
 *
 * Row states: pending -> sending (claimed, under a lease) -> sent, or back
 * to pending (retry later), or dead. The delivery promise per channel is
 * in doc/delivery.md.
 */
#ifndef TK_OUTBOX_H
#define TK_OUTBOX_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

struct daemon;
struct ynode;
struct tk_errlist;

struct outbox_config {
	int max_attempts;          /* attempts before a row is dead */
	int64_t backoff_ms;        /* delay after the first failure */
	int64_t backoff_max_ms;    /* cap of the doubling delay */
	int64_t lease_ms;          /* how long a claim lasts; longer than any send */
	int64_t poll_interval_ms;  /* idle sleep between looks for due rows */
};

/* The defaults: 8 attempts, 30 s doubling up to 1 h, 10 min lease, 1 s poll. */
void outbox_config_defaults(struct outbox_config *c);
/* Parse the outbox: mapping over the defaults; errors go to errs. */
void outbox_config_load(const struct ynode *n, struct outbox_config *c, struct tk_errlist *errs);

/*
 * Cross-check (after all sections loaded): the lease must outlast the
 * slowest send, or a second sender could claim a row still being sent.
 * send_timeout_ms is the longest channel timeout. Errors name path.
 */
void outbox_config_check(const struct outbox_config *c, int64_t send_timeout_ms, const char *path,
                         struct tk_errlist *errs);

/*
 * Delay before attempt number attempts + 1, after attempts failed ones
 * (attempts >= 1): backoff_ms * 2^(attempts-1), capped at backoff_max_ms,
 * and never shorter than retry_after_ms (a server's Retry-After; 0: none).
 */
int64_t outbox_backoff_ms(const struct outbox_config *c, int attempts, int64_t retry_after_ms);

struct outbox_item {
	const char *idempotency_key;   /* unique per notification, e.g. "ack:<inbound id>" */
	const char *channel;           /* "smtp" or "slack" */
	const char *kind;              /* "ack", "reply", "status", "agent", "error", "slack" */
	int64_t ticket_id;             /* 0: none */
	const char *recipient;         /* address, or the Slack channel's label */
	const char *message_id;        /* the payload's Message-ID (without <>), or NULL */
	const char *payload;
	size_t payload_len;
};

/*
 * Queue one notification inside the caller's transaction. A key already
 * queued is left alone (ON CONFLICT DO NOTHING): *queued_r (may be NULL)
 * is 1 when a row was written, 0 when the key existed.
 */
int outbox_enqueue(struct store *st, const struct outbox_item *it, int *queued_r,
                   struct tk_err *err) __attribute__((warn_unused_result));

/* A claimed row; strings owned by the struct (outbox_claimed_fini). */
struct outbox_claimed {
	int64_t id;
	int attempts;
	char *channel, *recipient, *message_id;
	unsigned char *payload;
	size_t payload_len;
};

/*
 * Claim one due row (pending and due, or sending with an expired lease) for
 * holder, in its own committed transaction: state sending, one more
 * attempt, lease_until = now + lease. Slack rows with an expired lease are
 * made dead first, never sent again (Slack is at most once). Returns 1 with *c_r filled, 0 when
 * nothing is due, -1 on error.
 */
int outbox_claim(struct store *st, const struct outbox_config *cfg, const char *holder,
                 struct outbox_claimed *c_r, struct tk_err *err)
	__attribute__((warn_unused_result));
void outbox_claimed_fini(struct outbox_claimed *c);

/*
 * Record the outcome of a claimed row (autocommit). sent: state sent.
 * Otherwise pending after the backoff, or dead when dead is set or the
 * attempts are used up. Only while the claim is still ours (same holder and
 * attempt): *lost_r (may be NULL) is set when it was not.
 */
int outbox_mark(struct store *st, const struct outbox_config *cfg, const struct outbox_claimed *c,
                const char *holder, bool sent, bool dead, int64_t retry_after_ms,
                const char *error, bool *lost_r, struct tk_err *err)
	__attribute__((warn_unused_result));

/*
 * Pace posts to one destination (a Slack webhook): at most one per pace_ms
 * across every daemon on the database (the slack_pace row). Returns 1 when
 * the caller may send now (the next slot is taken), 0 with *wait_ms_r set
 * when it must wait that long, -1 on error. Autocommit.
 */
int outbox_pace_take(struct store *st, const char *key, int64_t pace_ms, int64_t *wait_ms_r,
                     struct tk_err *err) __attribute__((warn_unused_result));
/* Give a claimed row back unsent, its attempt not counted, due after delay_ms. */
int outbox_defer(struct store *st, const struct outbox_claimed *c, const char *holder,
                 int64_t delay_ms, struct tk_err *err) __attribute__((warn_unused_result));

/* The sender thread: its own PGconn, one sender context per channel. */
struct outbox_sender {
	struct daemon *daemon;
	pthread_t thread;
	int started;
};

/* Initialise libcurl once for the process (before any thread starts). */
void outbox_global_init(void);
int outbox_sender_start(struct outbox_sender *s, struct daemon *d, struct tk_err *err);
/* Wait for the thread (after daemon_stop) until deadline; -1 when it did not end. */
int outbox_sender_join(struct outbox_sender *s, const struct timespec *deadline);

#endif
