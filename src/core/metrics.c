/*
 * metrics.c: counters, the processing-latency histogram, the mailbox
 * states, the process_* metrics and the database gauges, rendered in the
 * Prometheus text format (version 0.0.4). Every label value of a counter
 * is rendered from the start (0 until it happens), so rates and alerts
 * work from the first scrape.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

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

static const char *const item_names[MI_COUNT] = {
	"created", "threaded", "dropped", "quarantined", "failed",
};
static const char *const drop_names[MD_COUNT] = {
	"rule", "auto_reply", "bounce", "list", "noreply", "loop", "duplicate",
};
static const char *const scan_names[METRICS_SCAN_RESULTS] = {
	"clean", "infected", "error", "blocked", "unscanned",
};
static const char *const channel_names[METRICS_CHANNELS] = { "smtp", "slack" };
static const char *const send_names[MS_COUNT] = { "sent", "retried", "dead" };
static const char *const mbx_names[MBX_COUNT] = { "up", "down", "standby" };

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
	pthread_mutex_init(&m->mbx_lock, NULL);
	atomic_store(&m->last_reload_ok, 1);
	atomic_store(&m->last_reload_at, (int_fast64_t)time(NULL));
	buf_init(&m->cache, 0);
}

void
metrics_fini(struct metrics *m)
{
	for (size_t i = 0; i < m->n_sources; i++)
		xfree(&m->sources[i]);
	for (size_t i = 0; i < m->n_mbx; i++)
		xfree(&m->mbx_name[i]);
	buf_fini(&m->cache);
	pthread_mutex_destroy(&m->cache_lock);
	pthread_mutex_destroy(&m->mbx_lock);
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
metrics_item(struct metrics *m, enum metrics_item outcome, enum metrics_drop why)
{
	if ((unsigned)outcome >= MI_COUNT)
		return;
	atomic_fetch_add_explicit(&m->items[outcome], 1, memory_order_relaxed);
	if (outcome == MI_DROPPED && (unsigned)why < MD_COUNT)
		atomic_fetch_add_explicit(&m->dropped[why], 1, memory_order_relaxed);
}

/* The index of name in names[n], or -1. */
static int
name_index(const char *const *names, int n, const char *name)
{
	for (int i = 0; name && i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

void
metrics_scan(struct metrics *m, const char *verdict)
{
	int i = name_index(scan_names, METRICS_SCAN_RESULTS, verdict);

	if (i >= 0)
		atomic_fetch_add_explicit(&m->scans[i], 1, memory_order_relaxed);
}

void
metrics_send(struct metrics *m, const char *channel, enum metrics_send how)
{
	int c = name_index(channel_names, METRICS_CHANNELS, channel);

	if (c >= 0 && (unsigned)how < MS_COUNT)
		atomic_fetch_add_explicit(&m->sends[c][how], 1, memory_order_relaxed);
}

void
metrics_reload(struct metrics *m, int ok)
{
	atomic_fetch_add_explicit(ok ? &m->reloads_ok : &m->reloads_failed, 1,
	                          memory_order_relaxed);
	atomic_store(&m->last_reload_ok, ok ? 1 : 0);
	if (ok)
		atomic_store(&m->last_reload_at, (int_fast64_t)time(NULL));
}

void
metrics_mailbox(struct metrics *m, const char *name, enum metrics_mbx state, int success)
{
	size_t i;

	pthread_mutex_lock(&m->mbx_lock);
	for (i = 0; i < m->n_mbx && strcmp(m->mbx_name[i], name) != 0; i++)
		;
	if (i == m->n_mbx && i < METRICS_MAX_MAILBOXES)
		m->mbx_name[m->n_mbx++] = xstrdup(name);
	pthread_mutex_unlock(&m->mbx_lock);
	if (i == METRICS_MAX_MAILBOXES)
		return;
	atomic_store(&m->mbx_state[i], (int)state);
	if (success)
		atomic_store(&m->mbx_ok_at[i], (int_fast64_t)time(NULL));
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

/* A counter with one label, one line per value of names[n]. */
static void
render_labelled(struct buf *out, const char *name, const char *help, const char *label,
                const char *const *names, atomic_uint_fast64_t *v, int n)
{
	(void)buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (int i = 0; i < n; i++)
		(void)buf_printf(out, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label, names[i], get(&v[i]));
}

static void
render_outcomes(struct metrics *m, struct buf *out)
{
	render_labelled(out, "ticketd_items_total", "Inbound items by committed outcome.",
	                "outcome", item_names, m->items, MI_COUNT);
	render_labelled(out, "ticketd_items_dropped_total", "Dropped items by reason.",
	                "reason", drop_names, m->dropped, MD_COUNT);
	render_labelled(out, "ticketd_scan_results_total", "Attachment scans by verdict.",
	                "result", scan_names, m->scans, METRICS_SCAN_RESULTS);
	(void)buf_puts(out, "# HELP ticketd_outbox_messages_total Delivery attempts by channel "
	               "and outcome.\n# TYPE ticketd_outbox_messages_total counter\n");
	for (int c = 0; c < METRICS_CHANNELS; c++)
		for (int h = 0; h < MS_COUNT; h++)
			(void)buf_printf(out, "ticketd_outbox_messages_total{channel=\"%s\",state=\"%s\"} "
			                 "%" PRIu64 "\n", channel_names[c], send_names[h],
			                 get(&m->sends[c][h]));
	(void)buf_printf(out, "# HELP ticketd_config_reloads_total Configuration reloads (SIGHUP).\n"
	                 "# TYPE ticketd_config_reloads_total counter\n"
	                 "ticketd_config_reloads_total{result=\"success\"} %" PRIu64 "\n"
	                 "ticketd_config_reloads_total{result=\"failure\"} %" PRIu64 "\n"
	                 "# HELP ticketd_config_last_reload_successful Whether the last reload "
	                 "was applied.\n# TYPE ticketd_config_last_reload_successful gauge\n"
	                 "ticketd_config_last_reload_successful %d\n"
	                 "# HELP ticketd_config_last_reload_success_timestamp_seconds When the "
	                 "configuration in force was loaded.\n"
	                 "# TYPE ticketd_config_last_reload_success_timestamp_seconds gauge\n"
	                 "ticketd_config_last_reload_success_timestamp_seconds %" PRId64 "\n",
	                 get(&m->reloads_ok), get(&m->reloads_failed), atomic_load(&m->last_reload_ok),
	                 (int64_t)atomic_load(&m->last_reload_at));
}

static void
render_mailboxes(struct metrics *m, struct buf *out)
{
	size_t n;

	pthread_mutex_lock(&m->mbx_lock);
	n = m->n_mbx;
	pthread_mutex_unlock(&m->mbx_lock);  /* slots below n never change */
	(void)buf_puts(out, "# HELP ticketd_mailbox_state Connection state of each mailbox this "
	               "daemon reads.\n# TYPE ticketd_mailbox_state gauge\n");
	for (size_t i = 0; i < n; i++)
		for (int st = 0; st < MBX_COUNT; st++) {
			(void)buf_puts(out, "ticketd_mailbox_state{mailbox=\"");
			put_label(out, m->mbx_name[i]);
			(void)buf_printf(out, "\",state=\"%s\"} %d\n", mbx_names[st],
			                 atomic_load(&m->mbx_state[i]) == st);
		}
	(void)buf_puts(out, "# HELP ticketd_mailbox_last_success_timestamp_seconds Last completed "
	               "poll, IMAP round or Maildir scan.\n"
	               "# TYPE ticketd_mailbox_last_success_timestamp_seconds gauge\n");
	for (size_t i = 0; i < n; i++) {
		int64_t at = (int64_t)atomic_load(&m->mbx_ok_at[i]);

		if (at == 0)
			continue;   /* never yet: ticketd_mailbox_state says why */
		(void)buf_puts(out, "ticketd_mailbox_last_success_timestamp_seconds{mailbox=\"");
		put_label(out, m->mbx_name[i]);
		(void)buf_printf(out, "\"} %" PRId64 "\n", at);
	}
}

/* Entries of /proc/self/fd (the directory's own descriptor not counted). */
static long
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	long n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;
}

/*
 * Start time: boot time (CLOCK_REALTIME - CLOCK_BOOTTIME, as /proc/stat's
 * btime, which ProcSubset=pid hides) plus /proc/self/stat's starttime.
 */
static double
start_time(void)
{
	struct timespec rt, bt;
	unsigned long long ticks = 0;
	char line[1024], *p;
	FILE *fp = fopen("/proc/self/stat", "re");
	int ok = 0;

	if (fp == NULL)
		return 0;
	if (fgets(line, sizeof(line), fp) != NULL && (p = strrchr(line, ')')) != NULL)
		ok = sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
		            "%*d %*d %*d %*d %llu", &ticks) == 1;
	fclose(fp);
	if (!ok)
		return 0;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return (double)(rt.tv_sec - bt.tv_sec) + (double)(rt.tv_nsec - bt.tv_nsec) / 1e9 +
	       (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

static void
render_process(struct buf *out)
{
	unsigned long long vsz = 0, rss = 0;
	long page = sysconf(_SC_PAGESIZE), fds = open_fds();
	struct rusage ru;
	struct rlimit rl;
	FILE *fp = fopen("/proc/self/statm", "re");

	if (fp != NULL) {
		if (fscanf(fp, "%llu %llu", &vsz, &rss) != 2)
			vsz = rss = 0;
		fclose(fp);
	}
	getrusage(RUSAGE_SELF, &ru);
	(void)buf_printf(out, "# HELP process_cpu_seconds_total Total user and system CPU time.\n"
	                 "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.6f\n"
	                 "# HELP process_resident_memory_bytes Resident memory size.\n"
	                 "# TYPE process_resident_memory_bytes gauge\n"
	                 "process_resident_memory_bytes %llu\n"
	                 "# HELP process_virtual_memory_bytes Virtual memory size.\n"
	                 "# TYPE process_virtual_memory_bytes gauge\n"
	                 "process_virtual_memory_bytes %llu\n"
	                 "# HELP process_start_time_seconds Start time since the epoch.\n"
	                 "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.2f\n",
	                 (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	                 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
	                 rss * (unsigned long long)page, vsz * (unsigned long long)page, start_time());
	if (fds >= 0)
		(void)buf_printf(out, "# HELP process_open_fds Open file descriptors.\n"
		                 "# TYPE process_open_fds gauge\nprocess_open_fds %ld\n", fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		(void)buf_printf(out, "# HELP process_max_fds Limit of open file descriptors.\n"
		                 "# TYPE process_max_fds gauge\nprocess_max_fds %llu\n",
		                 (unsigned long long)rl.rlim_cur);
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
	render_outcomes(m, out);
	render_mailboxes(m, out);
	render_process(out);
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
