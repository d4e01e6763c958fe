/*
 * metrics.h: the Prometheus text exposition for GET /metrics.
 *
 * The context is one struct metrics, owned by the HTTP server and reached
 * by the workers through the daemon context (daemon->metrics). Counters and
 * the histogram are atomics, so request threads and workers update them
 * without locks. The intake sources are fixed when the server starts (a
 * last slot counts requests whose source is unknown). Queue depths, the
 * oldest unprocessed age and the mailbox gauges are read from the database
 * on scrape, cached for a second.
 */
#ifndef TK_METRICS_H
#define TK_METRICS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

struct http_config;
struct store;

enum metrics_outcome {
	MO_ACCEPTED, MO_BAD_REQUEST, MO_UNAUTHORIZED, MO_FORBIDDEN, MO_NOT_FOUND, MO_TOO_LARGE,
	MO_UNSUPPORTED, MO_RATE_LIMITED, MO_UNAVAILABLE, MO_COUNT,
};

#define METRICS_MAX_SOURCES 64
#define METRICS_BUCKETS 12
#define METRICS_LAG_BUCKETS 11
#define METRICS_LEVELS 8          /* escalation levels counted apart; deeper ones in the last */

struct metrics {
	char *sources[METRICS_MAX_SOURCES]; /* fixed after metrics_init */
	size_t n_sources;
	atomic_uint_fast64_t intake[METRICS_MAX_SOURCES + 1][MO_COUNT];
	atomic_uint_fast64_t proc_bucket[METRICS_BUCKETS + 1]; /* last: +Inf */
	atomic_uint_fast64_t proc_sum_us, proc_count, proc_failed;
	atomic_uint_fast64_t commits, committed;     /* group commit: transactions, requests */
	atomic_uint_fast64_t sla_warnings, sla_breaches;
	atomic_uint_fast64_t esc_levels[METRICS_LEVELS];
	atomic_uint_fast64_t lag_bucket[METRICS_LAG_BUCKETS + 1]; /* deadline -> notice, seconds */
	atomic_uint_fast64_t lag_sum_us, lag_count;
	atomic_int_fast64_t sla_due_hour;            /* running clocks due within the hour */
	pthread_mutex_t cache_lock;                  /* guards cache, cache_at_ms */
	struct buf cache;
	int64_t cache_at_ms;
};

void metrics_init(struct metrics *m, const struct http_config *hc);
void metrics_fini(struct metrics *m);
/* Count one webhook request of source (NULL or unknown: the "unknown" slot). */
void metrics_intake(struct metrics *m, const char *source, enum metrics_outcome o);
/* Record one processed inbound item; failed when it did not complete. */
void metrics_processing(struct metrics *m, double seconds, int failed);
/* The escalator fired a warning or a breach lag_s seconds after its time. */
void metrics_sla_step(struct metrics *m, int breach, double lag_s);
/* An escalation level (0-based) fired. */
void metrics_escalation(struct metrics *m, int level);
/* Running SLA clocks due within the next hour (from the escalator's self-check). */
void metrics_sla_due(struct metrics *m, int64_t n);
/* One group-commit transaction that carried n requests. */
void metrics_commit(struct metrics *m, int n);
/*
 * Render everything into out. st (may be NULL or down) answers the database
 * gauges; when it fails they are left out and ticketd_metrics_db_up is 0.
 */
void metrics_render(struct metrics *m, struct store *st, struct buf *out);
/* The label value of an outcome ("accepted", ...). */
const char *metrics_outcome_name(enum metrics_outcome o);

#endif
