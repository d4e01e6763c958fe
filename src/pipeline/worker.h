/*
 * worker.h: pipeline worker threads. Each owns one database connection and
 * loops: claim a batch of pending inbound rows (claim.h: a lease and an
 * attempt count committed first, so a crash while processing neither loses
 * an item nor retries a poison item forever), then lock, fetch and process
 * them in one transaction, a failing item set aside by a savepoint, commit.
 */
#ifndef TK_WORKER_H
#define TK_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "pipeline.h"

struct daemon;

enum worker_phase {
	WORKER_IDLE, WORKER_CLAIMING, WORKER_LOCKING, WORKER_FETCHING, WORKER_PROCESSING,
	WORKER_COMMITTING,
};

struct worker {
	struct daemon *daemon;
	pthread_t thread;
	int index;
	int started;
	/* What the worker is doing, written by it, read by worker_watch(). */
	atomic_int_fast64_t batch_since_ms;  /* CLOCK_MONOTONIC ms; 0 between batches */
	atomic_int batch_n;
	atomic_int_fast64_t batch_bytes;
	atomic_int phase;                    /* enum worker_phase */
	atomic_int_fast64_t item;            /* inbound id being processed, 0 for none */
	atomic_int_fast64_t item_since_ms;   /* since this phase or item */
	atomic_bool stall_logged;
};

/* Start worker index on d. */
int worker_start(struct worker *w, struct daemon *d, int index, struct tk_err *err);
/* Wait for the thread to end (after daemon_stop). */
void worker_join(struct worker *w);
/*
 * From another thread (main, every tick): when w's batch has run longer
 * than lease_ms, log once that it stalled, what it is doing and how long.
 */
void worker_watch(struct worker *w, int64_t lease_ms);

/*
 * Claim and process one batch with pc (pc->st connected, pc->cfg set); w
 * (may be NULL) gets what the worker is doing. *n_r gets the number of
 * items claimed. -1 with a temporary err when the database failed (the
 * caller backs off and reconnects).
 */
int worker_run_batch(struct worker *w, struct pipeline_ctx *pc, int *n_r, struct tk_err *err);

#endif
