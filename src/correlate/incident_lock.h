/*
 * incident_lock.h: the locks that keep alert processing correct without a
 * global lock. Every alert identity (tickets.alert_key) has a
 * transaction-scoped advisory lock, keyed by a 32-bit hash of the key in a
 * class of its own (safe behind PgBouncer in transaction pooling): whoever
 * holds it may look up, open, reopen, bump, acknowledge or resolve that
 * identity's incident, so one identity is processed by one transaction at a
 * time (one open incident per identity, the reopen and flapping decisions
 * made on what the last holder committed), and different identities in
 * parallel.
 *
 * A worker's batch keeps every lock it took until its commit, so two
 * batches taking hot identities in different orders could deadlock. They
 * cannot: a transaction waits for an identity lock only when its hash is
 * above every identity lock it holds (locks are taken in ascending hash
 * order, so the waits-for graph has no cycle); a lock at or below that is
 * only tried, and when the try fails the item is deferred: it writes
 * nothing, the rest of the batch commits, and the item goes back to the
 * head of the queue, where its next batch takes it first and waits. Once an
 * identity is deferred in a transaction, every later item of it in that
 * transaction is deferred too, so the alerts of one identity keep their
 * order.
 */
#ifndef TK_INCIDENT_LOCK_H
#define TK_INCIDENT_LOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INCIDENT_LOCK_CLASS 1953196388 /* 'tkid': pg_advisory_xact_lock(class, hash) */
#define INCIDENT_DEFER_MAX 64

/* The identity locks of the open transaction (zeroed at each BEGIN by the worker). */
struct incident_locks {
	bool any;                          /* some identity lock is held (or was tried) */
	uint32_t max;                      /* the highest such hash */
	bool defer_all;                    /* the deferred set overflowed: defer every alert item */
	size_t n_deferred;
	uint32_t deferred[INCIDENT_DEFER_MAX];
};

/* The lock hash of an identity (32-bit FNV-1a of the key's bytes). */
uint32_t incident_lock_hash(const char *key);

/*
 * Plan the locks of one item whose identities hash to h[0..*n): sorts h
 * and drops repeats (*n shrinks). Returns true when the item must be
 * deferred without trying (one of its identities was deferred earlier in
 * this transaction); otherwise *n_try is how many of the first hashes may
 * only be tried, the rest (ascending, all above every held lock) may be
 * waited for.
 */
bool incident_lock_plan(const struct incident_locks *l, uint32_t *h, size_t *n, size_t *n_try);

/* After the item's locks were taken (ok) or a try failed (!ok): record it in l. */
void incident_lock_note(struct incident_locks *l, const uint32_t *h, size_t n, bool ok);

#endif
