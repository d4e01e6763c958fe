/*
 * metrics.h: the Prometheus text exposition for GET /metrics.
 *
 * The context is one struct metrics, owned by the HTTP server and reached
 * by the workers through the daemon context (daemon->metrics). Counters and
 * the histogram are atomics, so request threads and workers update them
 * without locks. The intake sources are fixed when the server starts (a
 * last slot counts requests whose source is unknown); mailboxes take a
 * slot when their thread first reports (metrics_mailbox). Queue depths,
 * the oldest unprocessed age and the mailbox cursors are read from the
 * database on scrape, cached for a second; the process_* metrics from
 * /proc/self and getrusage() on scrape.
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

/* What became of an inbound item, counted when its outcome is committed. */
enum metrics_item {
	MI_CREATED, MI_THREADED, MI_DROPPED, MI_QUARANTINED, MI_FAILED, MI_COUNT,
};
/* Why an item was dropped (ticketd_items_dropped_total's reason). */
enum metrics_drop {
	MD_RULE, MD_AUTO_REPLY, MD_BOUNCE, MD_LIST, MD_NOREPLY, MD_LOOP, MD_DUPLICATE, MD_COUNT,
};
/* A notification's outcome after one attempt. */
enum metrics_send { MS_SENT, MS_RETRIED, MS_DEAD, MS_COUNT };
/* A mailbox's connection: reading it, failing, or leased by another daemon. */
enum metrics_mbx { MBX_UP, MBX_DOWN, MBX_STANDBY, MBX_COUNT };

#define METRICS_MAX_SOURCES 64
#define METRICS_MAX_MAILBOXES 64
#define METRICS_SCAN_RESULTS 5    /* clean, infected, error, blocked, unscanned */
#define METRICS_CHANNELS 2        /* smtp, slack */
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
	atomic_uint_fast64_t items[MI_COUNT], dropped[MD_COUNT];
	atomic_uint_fast64_t scans[METRICS_SCAN_RESULTS];
	atomic_uint_fast64_t sends[METRICS_CHANNELS][MS_COUNT];
	atomic_uint_fast64_t reloads_ok, reloads_failed;
	atomic_int last_reload_ok;                   /* 1 until a reload is refused */
	atomic_int_fast64_t last_reload_at;          /* epoch seconds of the last good load */
	pthread_mutex_t mbx_lock;                    /* guards mbx_name, n_mbx */
	char *mbx_name[METRICS_MAX_MAILBOXES];
	size_t n_mbx;
	atomic_int mbx_state[METRICS_MAX_MAILBOXES];
	atomic_int_fast64_t mbx_ok_at[METRICS_MAX_MAILBOXES]; /* epoch s; 0: never */
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
/* One inbound item's committed outcome; why (MD_*) when dropped. */
void metrics_item(struct metrics *m, enum metrics_item outcome, enum metrics_drop why);
/* One scan verdict, by its scan_verdict_name() ("clean", "infected", ...). */
void metrics_scan(struct metrics *m, const char *verdict);
/* One delivery attempt of channel ("smtp", "slack") and how it ended. */
void metrics_send(struct metrics *m, const char *channel, enum metrics_send how);
/* A SIGHUP reload was applied (ok) or refused. */
void metrics_reload(struct metrics *m, int ok);
/*
 * Mailbox name's connection state now; success: it just completed a poll,
 * an IMAP round or a Maildir scan (its last-success time becomes now).
 */
void metrics_mailbox(struct metrics *m, const char *name, enum metrics_mbx state, int success);
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
