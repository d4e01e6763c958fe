/*
 * escalate.h: the SLA escalator, one thread per daemon with its own
 * PGconn. It sleeps until the next due time (a warning, a breach, an
 * escalation level, an auto-close), woken early by NOTIFY ticketd_sla when
 * a ticket changes, and shares the work with the escalators of other
 * daemons on the database through FOR UPDATE SKIP LOCKED claims. At start
 * and every minute a self-check reports what is overdue (it fires late,
 * grouped in digests) and repairs clocks that lost their next look.
 * doc/sla.md describes the model; escalate_int.h the files behind it.
 */
#ifndef TK_ESCALATE_H
#define TK_ESCALATE_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "err.h"
#include "store.h"

struct config;
struct daemon;

struct escalator {
	struct daemon *daemon;
	pthread_t thread;
	int started;
};

int escalate_start(struct escalator *x, struct daemon *d, struct tk_err *err)
	__attribute__((warn_unused_result));
/* Wait for the thread (after daemon_stop) until deadline; -1 when it did not end. */
int escalate_join(struct escalator *x, const struct timespec *deadline);

/* What a self-check found. */
struct escalate_check {
	int64_t tickets_overdue, timers_overdue;   /* due more than 5 s ago */
	double oldest_s;                           /* how long the oldest has waited */
	int64_t repaired;                          /* running clocks past due with no next look */
	int64_t due_within_hour;                   /* running clocks due in the next hour */
	double took_s;
};

/*
 * The self-check (autocommit): count overdue work, give clocks that are past
 * due without a recorded breach and without a next look one now, count
 * what is due within the hour. Used by the thread and by bench/sla.
 */
int escalate_self_check(struct store *st, struct escalate_check *c, struct tk_err *err)
	__attribute__((warn_unused_result));

/*
 * One pass of the escalator's work on st with cfg (tickets, then timers):
 * *n_r gets how many tickets and timers it handled. For tools and
 * benchmarks; the thread does the same in its loop.
 */
int escalate_pass(struct store *st, const struct config *cfg, int *n_r, struct tk_err *err)
	__attribute__((warn_unused_result));

#endif
