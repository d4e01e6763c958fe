/*
 * worker.h: pipeline worker threads. Each owns one database connection and
 * loops: claim a batch of pending inbound rows (FOR UPDATE SKIP LOCKED,
 * with a lease and an attempt count committed first, so a crash while
 * processing neither loses an item nor retries a poison item forever),
 * process them in one transaction with a savepoint per item, commit.
 */
#ifndef TK_WORKER_H
#define TK_WORKER_H

#include <pthread.h>
#include <stdint.h>

#include "err.h"
#include "pipeline.h"

struct daemon;

struct worker {
	struct daemon *daemon;
	pthread_t thread;
	int index;
	int started;
};

/* Start worker index on d. */
int worker_start(struct worker *w, struct daemon *d, int index, struct tk_err *err);
/* Wait for the thread to end (after daemon_stop). */
void worker_join(struct worker *w);

/*
 * Claim and process one batch with pc (pc->st connected, pc->cfg set).
 * *n_r gets the number of items claimed. -1 with a temporary err when the
 * database failed (the caller backs off and reconnects).
 */
int worker_run_batch(struct pipeline_ctx *pc, int *n_r, struct tk_err *err);

#endif
