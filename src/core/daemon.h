/*
 * daemon.h: the daemon's context, the one place for state shared between
 * threads. Everything in it is either immutable after start, atomic, or
 * guarded by its mutex:
 *
 *   cfg        current config snapshot (refcounted; swapped on SIGHUP under
 *              lock; a thread takes a reference per unit of work)
 *   scan       the attachment scanner, one per process, set before the
 *              threads start (scan.h is thread-safe and swaps engines)
 *   rules      current routing rules (a rules_slot: same discipline; the
 *              set is NULL when the config names no rules directory)
 *   stopping   set once by the main thread on SIGTERM/SIGINT
 *   wake       condition intake threads signal when they staged work
 */
#ifndef TK_DAEMON_H
#define TK_DAEMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "rules.h"

struct config;
struct metrics;

struct daemon {
	pthread_mutex_t lock;
	struct config *cfg;            /* guarded by lock */
	struct rules_slot rules;       /* its own lock */
	struct scan *scan;             /* set once before the threads start; thread-safe */
	atomic_bool stopping;
	pthread_mutex_t wake_lock;
	pthread_cond_t wake_cond;
	uint64_t wake_seq;             /* guarded by wake_lock */
	atomic_uint_fast64_t processed, failed; /* counters for logs and metrics */
	struct metrics *metrics;       /* set once before workers start (NULL: no http server) */
};

void daemon_init(struct daemon *d, struct config *cfg);
void daemon_fini(struct daemon *d);
/* A new reference to the current config; the caller config_unref()s it. */
struct config *daemon_config(struct daemon *d);
/* Swap in a new config (the daemon takes over the caller's reference). */
void daemon_set_config(struct daemon *d, struct config *cfg);
/* The current rules (a new reference, or NULL when none are configured). */
struct rules *daemon_rules(struct daemon *d);
/* Swap in new rules (takes over the caller's reference; NULL for none). */
void daemon_set_rules(struct daemon *d, struct rules *rules);
bool daemon_stopping(struct daemon *d);
void daemon_stop(struct daemon *d);
/* Wake threads waiting in daemon_wait(). */
void daemon_wake(struct daemon *d);
/*
 * Sleep up to ms or until woken or stopping. seen is the caller's last
 * seen wake sequence (updated). Returns false when the daemon is stopping.
 */
bool daemon_wait(struct daemon *d, int64_t ms, uint64_t *seen);

#endif
