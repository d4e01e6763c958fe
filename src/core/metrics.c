/*
 * metrics.c: counters, the processing-latency histogram and the database
 * gauges, rendered in the Prometheus text format (version 0.0.4).
 *
 * SLA warnings and breaches are exported as counters that stay 0 until an
 * SLA engine exists (the names are fixed now so dashboards can be built).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_config.h"
#include "metrics.h"
#include "store.h"
#include "xalloc.h"

static const char *const outcome_names[MO_COUNT] = {
	"accepted", "bad_request", "unauthorized", "forbidden", "not_found", "too_large",
	"unsupported_media_type", "rate_limited", "unavailable",
};

/* Upper bounds of the processing histogram, in seconds. */
static const double bucket_le[METRICS_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5,
};

const char *
metrics_outcome_name(enum metrics_outcome o)
{
	return (unsigned)o < MO_COUNT ? outcome_names[o] : "?";
}

void
metrics_init(struct metrics *m, const struct http_config *hc)
{
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; hc && i < hc->n_sources && i < METRICS_MAX_SOURCES; i++)
		m->sources[m->n_sources++] = xstrdup(hc->sources[i].name);
	pthread_mutex_init(&m->cache_lock, NULL);
	buf_init(&m->cache, 0);
}

void
metrics_fini(struct metrics *m)
{
	for (size_t i = 0; i < m->n_sources; i++)
		xfree(&m->sources[i]);
	buf_fini(&m->cache);
	pthread_mutex_destroy(&m->cache_lock);
}

void
metrics_intake(struct metrics *m, const char *source, enum metrics_outcome o)
{
	size_t slot = m->n_sources;

	for (size_t i = 0; source && i < m->n_sources; i++)
		if (strcmp(m->sources[i], source) == 0)
			slot = i;
	atomic_fetch_add_explicit(&m->intake[slot][o], 1, memory_order_relaxed);
}

void
metrics_processing(struct metrics *m, double seconds, int failed)
{
	size_t b = 0;

	while (b < METRICS_BUCKETS && seconds > bucket_le[b])
		b++;
	atomic_fetch_add_explicit(&m->proc_bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->proc_sum_us, (uint_fast64_t)(seconds * 1e6),
	                          memory_order_relaxed);
	atomic_fetch_add_explicit(&m->proc_count, 1, memory_order_relaxed);
	if (failed)
		atomic_fetch_add_explicit(&m->proc_failed, 1, memory_order_relaxed);
}

void
metrics_commit(struct metrics *m, int n)
{
	atomic_fetch_add_explicit(&m->commits, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->committed, (uint_fast64_t)n, memory_order_relaxed);
}

static uint64_t
get(atomic_uint_fast64_t *v)
{
	return (uint64_t)atomic_load_explicit(v, memory_order_relaxed);
}

/* Label values come from our config and the database: escape \ " and newlines. */
static void
put_label(struct buf *out, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			(void)buf_printf(out, "\\%c", *v);
		else if (*v == '\n')
			(void)buf_puts(out, "\\n");
		else
			(void)buf_putc(out, *v);
	}
}

static void
render_intake(struct metrics *m, struct buf *out)
{
	(void)buf_puts(out, "# HELP ticketd_http_requests_total Webhook requests by source and "
	               "outcome.\n# TYPE ticketd_http_requests_total counter\n");
	for (size_t s = 0; s <= m->n_sources; s++) {
		for (int o = 0; o < MO_COUNT; o++) {
			(void)buf_puts(out, "ticketd_http_requests_total{source=\"");
			put_label(out, s < m->n_sources ? m->sources[s] : "unknown");
			(void)buf_printf(out, "\",outcome=\"%s\"} %" PRIu64 "\n", outcome_names[o],
			                 get(&m->intake[s][o]));
		}
	}
	(void)buf_printf(out, "# HELP ticketd_http_commits_total Group-commit transactions.\n"
	                 "# TYPE ticketd_http_commits_total counter\n"
	                 "ticketd_http_commits_total %" PRIu64 "\n"
	                 "# HELP ticketd_http_committed_total Requests committed by them.\n"
	                 "# TYPE ticketd_http_committed_total counter\n"
	                 "ticketd_http_committed_total %" PRIu64 "\n",
	                 get(&m->commits), get(&m->committed));
}

static const double lag_le[METRICS_LAG_BUCKETS] = {
	0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600,
};

void
metrics_sla_step(struct metrics *m, int breach, double lag_s)
{
	int b = 0;

	atomic_fetch_add_explicit(breach ? &m->sla_breaches : &m->sla_warnings, 1,
	                          memory_order_relaxed);
	while (b < METRICS_LAG_BUCKETS && lag_s > lag_le[b])
		b++;
	atomic_fetch_add_explicit(&m->lag_bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->lag_sum_us, (uint64_t)(lag_s * 1e6), memory_order_relaxed);
	atomic_fetch_add_explicit(&m->lag_count, 1, memory_order_relaxed);
}

void
metrics_escalation(struct metrics *m, int level)
{
	int l = level < 0 ? 0 : level >= METRICS_LEVELS ? METRICS_LEVELS - 1 : level;

	atomic_fetch_add_explicit(&m->esc_levels[l], 1, memory_order_relaxed);
}

void
metrics_sla_due(struct metrics *m, int64_t n)
{
	atomic_store_explicit(&m->sla_due_hour, n, memory_order_relaxed);
}

static void
render_sla(struct metrics *m, struct buf *out)
{
	uint64_t cum = 0;

	(void)buf_printf(out, "# HELP ticketd_sla_warnings_total SLA warnings fired.\n"
	                 "# TYPE ticketd_sla_warnings_total counter\n"
	                 "ticketd_sla_warnings_total %" PRIu64 "\n"
	                 "# HELP ticketd_sla_breaches_total SLA breaches recorded.\n"
	                 "# TYPE ticketd_sla_breaches_total counter\n"
	                 "ticketd_sla_breaches_total %" PRIu64 "\n"
	                 "# HELP ticketd_sla_escalations_total Escalation steps fired, per level.\n"
	                 "# TYPE ticketd_sla_escalations_total counter\n",
	                 get(&m->sla_warnings), get(&m->sla_breaches));
	for (int l = 0; l < METRICS_LEVELS; l++)
		(void)buf_printf(out, "ticketd_sla_escalations_total{level=\"%d%s\"} %" PRIu64 "\n",
		                 l + 1, l == METRICS_LEVELS - 1 ? "+" : "", get(&m->esc_levels[l]));
	(void)buf_printf(out, "# HELP ticketd_sla_due_within_hour Running SLA clocks due within "
	                 "the next hour.\n# TYPE ticketd_sla_due_within_hour gauge\n"
	                 "ticketd_sla_due_within_hour %" PRId64 "\n"
	                 "# HELP ticketd_sla_lag_seconds Delay between a deadline and its notice.\n"
	                 "# TYPE ticketd_sla_lag_seconds histogram\n",
	                 (int64_t)atomic_load_explicit(&m->sla_due_hour, memory_order_relaxed));
	for (int b = 0; b < METRICS_LAG_BUCKETS; b++) {
		cum += get(&m->lag_bucket[b]);
		(void)buf_printf(out, "ticketd_sla_lag_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
		                 lag_le[b], cum);
	}
	cum += get(&m->lag_bucket[METRICS_LAG_BUCKETS]);
	(void)buf_printf(out, "ticketd_sla_lag_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
	                 "ticketd_sla_lag_seconds_sum %.6f\nticketd_sla_lag_seconds_count %" PRIu64
	                 "\n", cum, (double)get(&m->lag_sum_us) / 1e6, get(&m->lag_count));
}

static void
render_processing(struct metrics *m, struct buf *out)
{
	uint64_t cum = 0;

	(void)buf_puts(out, "# HELP ticketd_processing_seconds Time to process one inbound item "
	               "in a worker.\n# TYPE ticketd_processing_seconds histogram\n");
	for (int b = 0; b < METRICS_BUCKETS; b++) {
		cum += get(&m->proc_bucket[b]);
		(void)buf_printf(out, "ticketd_processing_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
		                 bucket_le[b], cum);
	}
	cum += get(&m->proc_bucket[METRICS_BUCKETS]);
	(void)buf_printf(out, "ticketd_processing_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
	                 "ticketd_processing_seconds_sum %.6f\n"
	                 "ticketd_processing_seconds_count %" PRIu64 "\n"
	                 "# HELP ticketd_processing_failures_total Items that failed an attempt.\n"
	                 "# TYPE ticketd_processing_failures_total counter\n"
	                 "ticketd_processing_failures_total %" PRIu64 "\n",
	                 cum, (double)get(&m->proc_sum_us) / 1e6, get(&m->proc_count),
	                 get(&m->proc_failed));
	render_sla(m, out);
	(void)buf_puts(out, "# HELP ticketd_build_info Build information.\n"
	               "# TYPE ticketd_build_info gauge\n"
	               "ticketd_build_info{version=\"" PACKAGE_VERSION "\"} 1\n");
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One query; each row is (labels, value) rendered as name{labels} value. */
static int
render_query(struct store *st, struct buf *out, const char *name, const char *help,
             const char *type, const char *sql)
{
	struct tk_err err = { 0 };
	PGresult *res = NULL;

	if (store_exec(st, &res, &err, sql, 0) < 0)
		return -1;
	(void)buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	for (int r = 0; r < PQntuples(res); r++) {
		const char *label = store_val(res, r, 0);

		(void)buf_puts(out, name);
		if (label && *label) {
			(void)buf_puts(out, "{");
			(void)buf_puts(out, label);
			(void)buf_puts(out, "}");
		}
		(void)buf_printf(out, " %s\n", store_val(res, r, 1) ? store_val(res, r, 1) : "0");
	}
	PQclear(res);
	return 0;
}

static int
render_db(struct store *st, struct buf *out)
{
	static const char *const q[][4] = {
		{ "ticketd_inbound_depth", "Inbound items by state.", "gauge",
		  "SELECT 'state=\"' || s || '\"', (SELECT count(*) FROM inbound WHERE state = s) "
		  "FROM unnest(ARRAY['pending','failed']) s" },
		{ "ticketd_inbound_oldest_pending_seconds", "Age of the oldest unprocessed item.",
		  "gauge", "SELECT '', coalesce(extract(epoch FROM now() - min(received_at)), 0) "
		  "FROM inbound WHERE state = 'pending'" },
		{ "ticketd_outbox_depth", "Outbox notifications by state.", "gauge",
		  "SELECT 'state=\"' || s || '\"', (SELECT count(*) FROM outbox WHERE state = s) "
		  "FROM unnest(ARRAY['pending','dead']) s" },
		{ "ticketd_mailbox_last_poll_timestamp_seconds", "Last poll of each mailbox.", "gauge",
		  "SELECT 'mailbox=\"' || replace(replace(mailbox, '\\', '\\\\'), '\"', '\\\"') || "
		  "'\"', coalesce(extract(epoch FROM last_poll), 0) FROM mailbox_state" },
		{ "ticketd_mailbox_last_uid", "Last IMAP UID staged per mailbox.", "gauge",
		  "SELECT 'mailbox=\"' || replace(replace(mailbox, '\\', '\\\\'), '\"', '\\\"') || "
		  "'\"', last_uid FROM mailbox_state" },
		{ "ticketd_inbound_failed_by_source", "Items failed for good, per mailbox or source.",
		  "gauge", "SELECT 'source=\"' || replace(replace(source, '\\', '\\\\'), '\"', '\\\"') "
		  "|| '\"', count(*) FROM inbound WHERE state = 'failed' GROUP BY source" },
	};

	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		if (render_query(st, out, q[i][0], q[i][1], q[i][2], q[i][3]) < 0)
			return -1;
	return 0;
}

void
metrics_render(struct metrics *m, struct store *st, struct buf *out)
{
	int64_t now = now_ms();
	int up = 1;

	render_intake(m, out);
	render_processing(m, out);
	pthread_mutex_lock(&m->cache_lock);
	if (m->cache_at_ms == 0 || now - m->cache_at_ms >= 1000) {
		struct tk_err err = { 0 };

		buf_reset(&m->cache);
		if (st == NULL || store_check(st, &err) < 0 || render_db(st, &m->cache) < 0) {
			buf_reset(&m->cache);
			up = 0;
		} else {
			m->cache_at_ms = now;
		}
	}
	(void)buf_append(out, m->cache.data ? m->cache.data : "", m->cache.len);
	pthread_mutex_unlock(&m->cache_lock);
	(void)buf_printf(out, "# HELP ticketd_metrics_db_up Whether the database answered the last "
	                 "scrape.\n# TYPE ticketd_metrics_db_up gauge\nticketd_metrics_db_up %d\n", up);
}
