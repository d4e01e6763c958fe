/*
 * worker.c: claim staged inbound items and run them through the pipeline.
 *
 * A batch (claim.h): (1) claim, one short committed statement that returns
 * ids and sizes, not raw bytes: up to workers.batch items and
 * workers.batch_bytes bytes (the first item always), an item being retried
 * alone. (2) In one transaction: lock the rows still ours, fetch their raw
 * bytes (binary, one statement), run each through pipeline_process(),
 * record done/failed for all, commit. The committed lease only has to cover
 * the moment between (1) and the lock; from the lock on, the row locks keep
 * other workers off the items however long fetching and processing take
 * (their claims skip locked rows), and they end with the transaction or
 * the connection.
 *
 * The items run in the order pipeline_order() gives (alerts by their
 * identity locks, so batches never deadlock on them: incident_lock.h).
 *
 * Step (2) first runs without savepoints (two round trips fewer per item);
 * when an item fails, the batch is rolled back and run again with a
 * savepoint per item, the failed item's error recorded without running it
 * again, so it is recorded and the others still commit. A crash in (2)
 * leaves the rows pending with one more attempt; they come back after the
 * lease one at a time, and an item that used up its attempts is marked
 * failed alone.
 *
 * A batch that runs longer than workers.lease_ttl is a stall: the main
 * thread's worker_watch() logs it while it lasts (what the worker is on,
 * for how long), and the worker logs when the batch ends.
 */
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claim.h"
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "rules.h"
#include "metrics.h"
#include "store.h"
#include "store_search.h"
#include "store_ticket.h"
#include "worker.h"
#include "xalloc.h"

/* Publish what the worker is doing (w may be NULL outside the daemon). */
static void
busy(struct worker *w, enum worker_phase phase, int64_t item)
{
	if (w == NULL)
		return;
	atomic_store(&w->item, item);
	atomic_store(&w->item_since_ms, clock_mono_ms());
	atomic_store(&w->phase, (int)phase);
}

static void
busy_batch(struct worker *w, const struct claim_batch *b)
{
	if (w == NULL)
		return;
	atomic_store(&w->batch_n, b->n);
	atomic_store(&w->batch_bytes, (int64_t)b->bytes);
}

static struct inbound_item
item_of(const struct claim_item *c)
{
	return (struct inbound_item){
		.id = c->id, .source = c->source, .kind = c->kind, .raw = c->raw,
		.raw_len = c->raw_len, .attempts = c->attempts, .meta = c->meta,
	};
}

static int
cmp_order(const void *a, const void *b)
{
	const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The order the batch's items run in (b->seq): by pipeline_order(), ties in
 * claim order, so alerts take their identity locks in ascending order and
 * the items of one identity keep theirs.
 */
static void
batch_order(struct pipeline_ctx *pc, struct claim_batch *b)
{
	uint64_t *keys = xcalloc((size_t)b->n + 1, sizeof(*keys));

	for (int i = 0; i < b->n; i++) {
		struct inbound_item item = item_of(&b->items[i]);

		keys[i] = (uint64_t)(b->items[i].mine ? pipeline_order(pc, &item) : 0) << 32 | (uint32_t)i;
	}
	qsort(keys, (size_t)b->n, sizeof(*keys), cmp_order);
	free(b->seq);
	b->seq = xcalloc((size_t)b->n + 1, sizeof(*b->seq));
	for (int i = 0; i < b->n; i++)
		b->seq[i] = (int)(keys[i] & 0xffffffffu);
	free(keys);
}

/*
 * Process one item. With savepoints, a failure is rolled back to the item's
 * savepoint and recorded; without, it is kept in the item (fail_kind) and
 * 1 is returned so the caller reruns the batch with savepoints.
 */
static int
process_one(struct pipeline_ctx *pc, struct claim_item *c, bool savepoints, struct tk_err *err)
{
	struct inbound_item item = item_of(c);
	struct pipeline_result res = { .drop_why = -1 };
	struct tk_err perr = { 0 };
	int64_t t0;
	int rc;

	if (c->attempts > pc->cfg->max_attempts)
		return claim_failed(pc->st, c, "internal",
		                    "processing never finished (the daemon may have crashed on it)",
		                    pc->cfg->max_attempts, err);
	if (c->fail_kind)   /* failed in the first pass: recorded, not run again */
		return claim_failed(pc->st, c, c->fail_kind, c->fail_msg, pc->cfg->max_attempts, err);
	c->done = false;
	c->deferred = false;
	if (savepoints && store_savepoint(pc->st, err) < 0)
		return -1;
	t0 = clock_mono_ms();
	pc->deadline_ms = pc->cfg->item_budget_ms ? t0 + pc->cfg->item_budget_ms : 0;
	pc->over_budget = false;
	rc = pipeline_process(pc, &item, &res, &perr);
	pc->deadline_ms = 0;
	if (pc->daemon && pc->daemon->metrics)
		metrics_processing(pc->daemon->metrics, (double)(clock_mono_ms() - t0) / 1000, rc < 0);
	if (rc == 0 && res.deferred) {
		c->deferred = true;
		return savepoints ? store_release(pc->st, err) : 0;
	}
	if (rc == 0) {
		c->done = true;
		c->dropped = res.dropped;
		c->quarantined = res.quarantined;
		c->created = res.created;
		c->drop_why = res.drop_why;
		c->ticket_id = res.ticket_id;
		snprintf(c->reason, sizeof(c->reason), "%s", res.drop_reason);
		snprintf(c->outcome, sizeof(c->outcome), "%s", res.outcome);
		return savepoints ? store_release(pc->st, err) : 0;
	}
	if (perr.temporary) {
		*err = perr;
		return -1;
	}
	c->fail_kind = pc->over_budget ? "limit" : res.error_kind ? res.error_kind : "internal";
	snprintf(c->fail_msg, sizeof(c->fail_msg), "%s", perr.msg);
	if (!savepoints)
		return 1;
	store_rollback_to(pc->st);
	return claim_failed(pc->st, c, c->fail_kind, c->fail_msg, pc->cfg->max_attempts, err);
}

/*
 * After a large item: a new connection (libpq's buffers grew to the item's
 * size and never shrink), and the free memory of every malloc arena back to
 * the system (glibc keeps it for reuse otherwise).
 */
static void
give_back_memory(struct pipeline_ctx *pc)
{
	struct tk_err err = { 0 };

	if (store_recycle(pc->st, &err) < 0)
		log_debug("worker: reconnect after a large item: %s", err.msg);
	malloc_trim(0);
}

/* After the commit: what became of each item, for the metrics. */
static void
count_outcomes(struct pipeline_ctx *pc, const struct claim_batch *b)
{
	struct metrics *m = pc->daemon ? pc->daemon->metrics : NULL;

	for (int i = 0; m != NULL && i < b->n; i++) {
		const struct claim_item *c = &b->items[i];

		if (!c->mine)
			continue;
		if (!c->done && c->failed_for_good)
			metrics_item(m, MI_FAILED, 0);
		else if (!c->done)
			continue;   /* it comes back for another attempt */
		else if (c->dropped || (c->drop_why == MD_DUPLICATE && !c->quarantined))
			metrics_item(m, MI_DROPPED, c->drop_why < 0 ? MD_RULE : (enum metrics_drop)c->drop_why);
		else if (c->quarantined)
			metrics_item(m, MI_QUARANTINED, 0);
		else if (c->ticket_id)
			metrics_item(m, c->created ? MI_CREATED : MI_THREADED, 0);
	}
}

/*
 * The one info line per processed item, after its commit, in the words a
 * user sees: "inbound 123 (maildir support): created TKT-1042, queue
 * billing, priority high". Failures have their own lines (claim.c).
 */
static void
log_outcome(struct pipeline_ctx *pc, const struct claim_item *c)
{
	const struct config_mailbox *mb = config_mailbox(pc->cfg, c->source);
	char ref[64], what[300], clip[256];

	if (c->outcome[0])
		snprintf(what, sizeof(what), "%s", c->outcome);
	else if (c->dropped || c->quarantined)
		snprintf(what, sizeof(what), "%s: %s", c->dropped ? "dropped" : "quarantined",
		         log_clip(clip, sizeof(clip), c->reason));
	else if (c->ticket_id)
		snprintf(what, sizeof(what), "%s %s", strcmp(c->kind, "alert") == 0 ? "incident" :
		         "ticket", store_ticket_ref(pc->st, c->ticket_id, ref, sizeof(ref)));
	else
		snprintf(what, sizeof(what), "done, nothing to store");
	log_info("inbound %" PRId64 " (%s %s): %s", c->id,
	         mb ? config_mailbox_kind_name(mb->kind) : strcmp(c->kind, "alert") == 0 ? "webhook" :
	         c->kind,
	         log_clip(clip, sizeof(clip), c->source), what);
}

/*
 * One pass over the batch in one transaction: lock, fetch (once), process,
 * settle, commit. 0 when committed, 1 when an item failed without
 * savepoints (rolled back: run again with them), -1 on error.
 */
static int
batch_pass(struct worker *w, struct pipeline_ctx *pc, struct claim_batch *b, bool savepoints,
           struct tk_err *err)
{
	int failed = 0;

	busy(w, WORKER_LOCKING, 0);
	memset(&pc->ilocks, 0, sizeof(pc->ilocks));
	if (store_begin(pc->st, err) < 0 || claim_lock(pc->st, b, err) < 0)
		return -1;
	busy(w, WORKER_FETCHING, 0);
	if (b->raws == NULL) {
		if (claim_fetch(pc->st, b, err) < 0)
			return -1;
		batch_order(pc, b);
	}
	for (int k = 0; k < b->n && !failed; k++) {
		int i = b->seq[k], r;

		if (!b->items[i].mine)
			continue;
		busy(w, WORKER_PROCESSING, b->items[i].id);
		log_debug("worker: inbound %" PRId64 " (%zu bytes, attempt %d): processing", b->items[i].id,
		          b->items[i].raw_len, b->items[i].attempts);
		if ((r = process_one(pc, &b->items[i], savepoints, err)) < 0)
			return -1;
		failed = r > 0;
	}
	if (failed) {
		store_rollback(pc->st);
		return 1;
	}
	busy(w, WORKER_COMMITTING, 0);
	if (claim_done(pc->st, b, err) < 0 || store_commit(pc->st, err) < 0)
		return -1;
	count_outcomes(pc, b);
	for (int i = 0; i < b->n; i++)
		if (b->items[i].mine && b->items[i].done)
			log_outcome(pc, &b->items[i]);
	return 0;
}

int
worker_run_batch(struct worker *w, struct pipeline_ctx *pc, int *n_r, struct tk_err *err)
{
	struct claim_limits lim = {
		.count = pc->cfg->batch, .bytes = pc->cfg->batch_bytes, .lease_ms = pc->cfg->lease_ttl_ms,
	};
	struct claim_batch b;
	bool large;
	int rc = -1;

	*n_r = 0;
	busy(w, WORKER_CLAIMING, 0);
	if (claim_batch(pc->st, &lim, &b, err) < 0)
		return -1;
	*n_r = b.n;
	busy_batch(w, &b);
	for (int pass = 0; pass < 2 && b.n > 0 && rc != 0; pass++) {
		rc = batch_pass(w, pc, &b, pass == 1, err);
		if (rc < 0)
			break;
	}
	if (b.n == 0)
		rc = 0;
	if (rc < 0) {
		store_rollback(pc->st);
		if (err->temporary)
			claim_unclaim(pc->st, &b);
	}
	large = b.largest >= STORE_RECYCLE_BYTES;
	claim_batch_fini(&b);
	if (large)
		give_back_memory(pc);
	return rc < 0 ? -1 : 0;
}

static const char *const phase_names[] = {
	[WORKER_IDLE] = "idle", [WORKER_CLAIMING] = "claiming", [WORKER_LOCKING] = "locking its rows",
	[WORKER_FETCHING] = "fetching raw bytes", [WORKER_PROCESSING] = "processing",
	[WORKER_COMMITTING] = "committing",
};

void
worker_watch(struct worker *w, int64_t lease_ms)
{
	int64_t since = atomic_load(&w->batch_since_ms), now = clock_mono_ms(), item;
	char doing[64];

	if (since == 0 || now - since <= lease_ms || atomic_load(&w->stall_logged))
		return;
	atomic_store(&w->stall_logged, true);
	item = atomic_load(&w->item);
	if (item)
		snprintf(doing, sizeof(doing), "processing inbound %" PRId64, item);
	else
		snprintf(doing, sizeof(doing), "%s", phase_names[atomic_load(&w->phase)]);
	log_warn("worker %d: stalled: a batch of %d items (%" PRId64 " bytes) has run for %.1f s, "
	         "longer than workers.lease_ttl (%.1f s); %s for %.1f s", w->index,
	         atomic_load(&w->batch_n), atomic_load(&w->batch_bytes), (double)(now - since) / 1000,
	         (double)lease_ms / 1000, doing, (double)(now - atomic_load(&w->item_since_ms)) / 1000);
}

/* Around one batch: the stall watch's start, and the end of a stall said in the log. */
static int
watched_batch(struct worker *w, struct pipeline_ctx *pc, int *n_r, struct tk_err *err)
{
	int64_t t0 = clock_mono_ms();
	int rc;

	atomic_store(&w->stall_logged, false);
	atomic_store(&w->batch_since_ms, t0);
	rc = worker_run_batch(w, pc, n_r, err);
	atomic_store(&w->batch_since_ms, 0);
	busy(w, WORKER_IDLE, 0);
	if (atomic_load(&w->stall_logged))
		log_info("worker %d: the stalled batch of %d items ended after %.1f s (%s)", w->index,
		         *n_r, (double)(clock_mono_ms() - t0) / 1000, rc == 0 ? "committed" : "failed");
	else if (clock_mono_ms() - t0 > pc->cfg->lease_ttl_ms)   /* between two of the watch's looks */
		log_warn("worker %d: stalled: a batch of %d items took %.1f s, longer than "
		         "workers.lease_ttl (%.1f s)", w->index, *n_r, (double)(clock_mono_ms() - t0) / 1000,
		         (double)pc->cfg->lease_ttl_ms / 1000);
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

/*
 * Idle: a batch of the messages' search words (store_search.c). True when
 * a whole batch was done, so the worker looks for items again at once and
 * then goes on indexing, instead of sleeping.
 */
static bool
index_search(struct worker *w, struct pipeline_ctx *pc)
{
	struct tk_err err = { 0 };
	int n = 0;

	if (store_search_index(pc->st, &n, &err) < 0)
		log_warn("worker %d: %s", w->index, err.msg);
	else if (n > 0)
		log_debug("worker %d: %d messages indexed for search", w->index, n);
	return n == STORE_SEARCH_BATCH;
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
			if (watched_batch(w, &pc, &n, &err) < 0) {
				log_warn("worker %d: batch failed: %s", w->index, err.msg);
				daemon_wait(w->daemon, backoff, &seen);
				backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
			} else if (n == 0 && !index_search(w, &pc)) {
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
