/*
 * worker.c: claim staged inbound items and run them through the pipeline.
 *
 * Two transactions per batch. (1) Claim: one UPDATE ... RETURNING takes up
 * to `batch` pending rows (SKIP LOCKED), counts an attempt and pushes
 * next_attempt_at one lease into the future, and commits. (2) Process:
 * lock the claimed rows again, run each through pipeline_process(),
 * record done/failed for all of them, commit. Step (2) first runs without
 * savepoints (two round trips fewer per item); only when an item fails is
 * the batch rolled back and run again with a savepoint per item, so the
 * failing item is recorded and the others still commit. A crash in (2)
 * leaves the rows pending with one more attempt; they come back after the
 * lease, and an item that used up its attempts is marked failed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "rules.h"
#include "metrics.h"
#include "store.h"
#include "worker.h"
#include "xalloc.h"

struct claimed {
	int64_t id;
	int attempts;
	char *source, *kind, *meta;
	unsigned char *raw;
	size_t raw_len;
	bool done, dropped, quarantined;
	int64_t ticket_id;
	char reason[200];
};

static void
claimed_free(struct claimed *c, int n)
{
	for (int i = 0; i < n; i++) {
		xfree(&c[i].source);
		xfree(&c[i].kind);
		xfree(&c[i].meta);
		PQfreemem(c[i].raw);
	}
	free(c);
}

static int
batch_claim(struct pipeline_ctx *pc, struct claimed **items_r, int *n_r, struct tk_err *err)
{
	char limit[16], lease[24];
	PGresult *res = NULL;
	struct claimed *items;
	int n;

	snprintf(limit, sizeof(limit), "%d", pc->cfg->batch);
	snprintf(lease, sizeof(lease), "%" PRId64, pc->cfg->lease_ttl_ms);
	if (store_exec(pc->st, &res, err,
	               STORE_CUSTOM_PLAN "UPDATE inbound SET attempts = attempts + 1, "
	               "next_attempt_at = now() + $2::bigint * interval '1 millisecond' "
	               "WHERE id IN (SELECT id FROM inbound WHERE state = 'pending' "
	               "AND next_attempt_at <= now() ORDER BY next_attempt_at, id LIMIT $1::int "
	               "FOR UPDATE SKIP LOCKED) "
	               "RETURNING id, attempts, source, kind, raw, meta::text",
	               2, limit, lease) < 0)
		return -1;
	n = PQntuples(res);
	items = xcalloc((size_t)n + 1, sizeof(*items));
	for (int i = 0; i < n; i++) {
		items[i].id = store_int(res, i, 0);
		items[i].attempts = (int)store_int(res, i, 1);
		items[i].source = xstrdup(PQgetvalue(res, i, 2));
		items[i].kind = xstrdup(PQgetvalue(res, i, 3));
		items[i].raw = PQunescapeBytea((const unsigned char *)PQgetvalue(res, i, 4),
		                               &items[i].raw_len);
		items[i].meta = xstrdup(PQgetvalue(res, i, 5));
	}
	PQclear(res);
	*items_r = items;
	*n_r = n;
	return 0;
}

/* Seconds to wait before the next attempt: 2^attempts, capped at an hour. */
static int
retry_delay_s(int attempts)
{
	return attempts >= 12 ? 3600 : (1 << attempts) < 3600 ? (1 << attempts) : 3600;
}

/*
 * A failure whose kind says the item itself can never be processed ("parse":
 * empty, over the size limit, not JSON; "limit": over a processing limit)
 * fails at once; the same bytes would fail the same way on every retry.
 */
static bool
kind_permanent(const char *kind)
{
	return strcmp(kind, "parse") == 0 || strcmp(kind, "limit") == 0;
}

static int
item_failed(struct pipeline_ctx *pc, const struct claimed *c, const char *kind, const char *msg,
            struct tk_err *err)
{
	char sid[24], max[16], delay[16];
	int last = kind_permanent(kind) ? c->attempts : pc->cfg->max_attempts;

	snprintf(sid, sizeof(sid), "%" PRId64, c->id);
	snprintf(max, sizeof(max), "%d", last);
	snprintf(delay, sizeof(delay), "%d", retry_delay_s(c->attempts));
	if (kind_permanent(kind))
		log_warn("worker: inbound %" PRId64 " failed for good (%s error, not retried): %s "
		         "(ticketctl inbound show %" PRId64 ")", c->id, kind, msg, c->id);
	else if (c->attempts >= last)
		log_warn("worker: inbound %" PRId64 " failed for good after %d attempts: %s "
		         "(ticketctl inbound show %" PRId64 ")", c->id, c->attempts, msg, c->id);
	else
		log_warn("worker: inbound %" PRId64 " failed (attempt %d of %d), will retry: %s",
		         c->id, c->attempts, last, msg);
	return store_exec(pc->st, NULL, err,
	                  "UPDATE inbound SET state = CASE WHEN attempts >= $2::int THEN 'failed' "
	                  "ELSE 'pending' END, error_kind = $3, last_error = $4, "
	                  "next_attempt_at = now() + $5::int * interval '1 second' WHERE id = $1",
	                  5, sid, max, kind, msg, delay);
}

/* Lock the claimed rows; an item whose attempts changed was re-claimed elsewhere. */
static int
batch_lock(struct pipeline_ctx *pc, struct claimed *items, int n, bool *mine, struct tk_err *err)
{
	struct buf ids;
	PGresult *res = NULL;

	buf_init(&ids, 0);
	(void)buf_putc(&ids, '{');
	for (int i = 0; i < n; i++)
		(void)buf_printf(&ids, "%s%" PRId64, i ? "," : "", items[i].id);
	(void)buf_putc(&ids, '}');
	if (store_exec(pc->st, &res, err,
	               STORE_CUSTOM_PLAN "SELECT id, attempts FROM inbound WHERE id = ANY($1::bigint[]) "
	               "AND state = 'pending' ORDER BY id FOR UPDATE", 1, ids.data) < 0) {
		buf_fini(&ids);
		return -1;
	}
	buf_fini(&ids);
	for (int i = 0; i < n; i++) {
		mine[i] = false;
		for (int r = 0; r < PQntuples(res); r++)
			if (store_int(res, r, 0) == items[i].id && store_int(res, r, 1) == items[i].attempts)
				mine[i] = true;
	}
	PQclear(res);
	return 0;
}

/* Mark every processed item done (or dropped) in one statement. */
static int
batch_mark_done(struct pipeline_ctx *pc, struct claimed *items, int n, struct tk_err *err)
{
	struct buf ids, tickets, states;
	int count = 0, rc;

	buf_init(&ids, 0);
	buf_init(&tickets, 0);
	buf_init(&states, 0);
	for (int i = 0; i < n; i++) {
		if (!items[i].done)
			continue;
		(void)buf_printf(&ids, "%s%" PRId64, count ? "," : "{", items[i].id);
		if (items[i].ticket_id)
			(void)buf_printf(&tickets, "%s%" PRId64, count ? "," : "{", items[i].ticket_id);
		else
			(void)buf_printf(&tickets, "%sNULL", count ? "," : "{");
		(void)buf_printf(&states, "%s%s", count ? "," : "{",
		                 items[i].quarantined ? "quarantined" : items[i].dropped ? "dropped" : "done");
		count++;
	}
	if (count == 0)
		return 0;
	(void)buf_putc(&ids, '}');
	(void)buf_putc(&tickets, '}');
	(void)buf_putc(&states, '}');
	rc = store_exec(pc->st, NULL, err,
	                STORE_CUSTOM_PLAN "UPDATE inbound i SET state = u.state, ticket_id = u.ticket, "
	                "processed_at = now(), last_error = NULL, error_kind = NULL "
	                "FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS u(id, ticket, state) "
	                "WHERE i.id = u.id", 3, ids.data, tickets.data, states.data);
	for (int i = 0; rc == 0 && i < n; i++) {
		char sid[24];

		if (!items[i].done || !(items[i].dropped || items[i].quarantined))
			continue;
		snprintf(sid, sizeof(sid), "%" PRId64, items[i].id);
		rc = store_exec(pc->st, NULL, err, "UPDATE inbound SET last_error = $2 WHERE id = $1",
		                2, sid, items[i].reason);
	}
	buf_fini(&ids);
	buf_fini(&tickets);
	buf_fini(&states);
	return rc;
}

/*
 * Process one item. With savepoints, a failure is rolled back to the item's
 * savepoint and recorded; without, 1 is returned so the caller reruns the
 * batch with savepoints.
 */
static double
elapsed_s(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static int
process_one(struct pipeline_ctx *pc, struct claimed *c, bool savepoints, struct tk_err *err)
{
	struct inbound_item item = {
		.id = c->id, .source = c->source, .kind = c->kind, .raw = (const char *)c->raw,
		.raw_len = c->raw_len, .attempts = c->attempts, .meta = c->meta,
	};
	struct pipeline_result res = { 0 };
	struct tk_err perr = { 0 };
	struct timespec t0;
	int rc;

	if (c->attempts > pc->cfg->max_attempts)
		return item_failed(pc, c, "internal",
		                   "processing never finished (the daemon may have crashed on it)", err);
	c->done = false;
	if (savepoints && store_savepoint(pc->st, err) < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = pipeline_process(pc, &item, &res, &perr);
	if (pc->daemon && pc->daemon->metrics)
		metrics_processing(pc->daemon->metrics, elapsed_s(&t0), rc < 0);
	if (rc == 0) {
		c->done = true;
		c->dropped = res.dropped;
		c->quarantined = res.quarantined;
		c->ticket_id = res.ticket_id;
		snprintf(c->reason, sizeof(c->reason), "%s", res.drop_reason);
		return savepoints ? store_release(pc->st, err) : 0;
	}
	if (perr.temporary) {
		*err = perr;
		return -1;
	}
	if (!savepoints)
		return 1;
	store_rollback_to(pc->st);
	return item_failed(pc, c, res.error_kind ? res.error_kind : "internal", perr.msg, err);
}

/*
 * The batch failed for a temporary reason (deadlock, lost connection): give
 * back the attempts its claim counted, so transient trouble never uses up
 * an item's attempts, and let the items come back soon. Best effort: if the
 * database is gone, the lease brings them back later with the attempt
 * counted.
 */
static void
batch_unclaim(struct pipeline_ctx *pc, const struct claimed *items, int n)
{
	struct buf ids, attempts;
	struct tk_err err = { 0 };

	if (store_check(pc->st, &err) < 0)
		return;
	buf_init(&ids, 0);
	buf_init(&attempts, 0);
	for (int i = 0; i < n; i++) {
		(void)buf_printf(&ids, "%s%" PRId64, i ? "," : "{", items[i].id);
		(void)buf_printf(&attempts, "%s%d", i ? "," : "{", items[i].attempts);
	}
	(void)buf_putc(&ids, '}');
	(void)buf_putc(&attempts, '}');
	if (store_exec(pc->st, NULL, &err,
	               STORE_CUSTOM_PLAN "UPDATE inbound i SET attempts = i.attempts - 1, "
	               "next_attempt_at = now() + interval '1 second' "
	               "FROM unnest($1::bigint[], $2::int[]) AS u(id, attempts) "
	               "WHERE i.id = u.id AND i.attempts = u.attempts AND i.state = 'pending'",
	               2, ids.data, attempts.data) < 0)
		log_debug("worker: could not give back the batch's attempts: %s", err.msg);
	buf_fini(&ids);
	buf_fini(&attempts);
}

int
worker_run_batch(struct pipeline_ctx *pc, int *n_r, struct tk_err *err)
{
	struct claimed *items = NULL;
	bool *mine = NULL;
	int n = 0, rc = -1;

	*n_r = 0;
	if (batch_claim(pc, &items, &n, err) < 0)
		return -1;
	*n_r = n;
	if (n == 0) {
		claimed_free(items, n);
		return 0;
	}
	mine = xcalloc((size_t)n, sizeof(*mine));
	for (int pass = 0; pass < 2 && rc < 0; pass++) {
		int failed = 0;

		if (store_begin(pc->st, err) < 0 || batch_lock(pc, items, n, mine, err) < 0)
			goto out;
		for (int i = 0; i < n && !failed; i++) {
			int r = mine[i] ? process_one(pc, &items[i], pass == 1, err) : 0;

			if (r < 0)
				goto out;
			failed = r > 0;
		}
		if (failed) {
			store_rollback(pc->st); /* rerun with a savepoint per item */
			continue;
		}
		if (batch_mark_done(pc, items, n, err) < 0 || store_commit(pc->st, err) < 0)
			goto out;
		rc = 0;
	}
out:
	if (rc < 0) {
		store_rollback(pc->st);
		if (err->temporary)
			batch_unclaim(pc, items, n);
	}
	free(mine);
	claimed_free(items, n);
	return rc;
}

/* Open or re-check the connection, backing off while the database is down. */
static bool
worker_connect(struct worker *w, struct pipeline_ctx *pc, int64_t *backoff_ms, uint64_t *seen)
{
	struct tk_err err = { 0 };
	int rc = pc->st ? store_check(pc->st, &err) : store_open(config_dsn(pc->cfg), &pc->st, &err);

	if (rc == 0) {
		if (*backoff_ms > 100)
			log_info("worker %d: database connection restored", w->index);
		*backoff_ms = 100;
		return true;
	}
	if (*backoff_ms <= 100 || *backoff_ms >= 5000)
		log_warn("worker %d: %s; retrying in %" PRId64 " ms", w->index, err.msg, *backoff_ms);
	daemon_wait(w->daemon, *backoff_ms, seen);
	*backoff_ms = *backoff_ms * 2 > 5000 ? 5000 : *backoff_ms * 2;
	return false;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct pipeline_ctx pc = { .daemon = w->daemon };
	int64_t backoff = 100;
	uint64_t seen = 0;

	log_info("worker %d: started", w->index);
	while (!daemon_stopping(w->daemon)) {
		struct tk_err err = { 0 };
		int n = 0;

		pc.cfg = daemon_config(w->daemon);
		pc.rules = daemon_rules(w->daemon);
		pc.scan = w->daemon->scan;
		if (worker_connect(w, &pc, &backoff, &seen)) {
			if (worker_run_batch(&pc, &n, &err) < 0) {
				log_warn("worker %d: batch failed: %s", w->index, err.msg);
				daemon_wait(w->daemon, backoff, &seen);
				backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
			} else if (n == 0) {
				daemon_wait(w->daemon, pc.cfg->poll_interval_ms, &seen);
			}
		}
		rules_unref(&pc.rules);
		config_unref(&pc.cfg);
	}
	store_close(&pc.st);
	log_info("worker %d: stopped", w->index);
	return NULL;
}

int
worker_start(struct worker *w, struct daemon *d, int index, struct tk_err *err)
{
	int rc;

	w->daemon = d;
	w->index = index;
	rc = pthread_create(&w->thread, NULL, worker_main, w);
	if (rc != 0)
		return tk_err_set(err, "worker %d: cannot start thread: %s", index, strerror(rc));
	w->started = 1;
	return 0;
}

void
worker_join(struct worker *w)
{
	if (w->started)
		pthread_join(w->thread, NULL);
	w->started = 0;
}
