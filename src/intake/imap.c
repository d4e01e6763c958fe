/*
 * imap.c: the IMAP intake thread of one mailbox (see imap.h).
 *
 * DESIGN. One thread per IMAP mailbox, with its own PostgreSQL connection.
 * It polls only while it holds the mailbox's lease (lease.c), renewed every
 * third of the TTL, also inside IDLE. A session is: connect, log in, SELECT
 * the folder, load the cursor (mailbox_state: UIDVALIDITY and the last
 * staged UID), acknowledge what a crash left staged but unacknowledged,
 * then rounds of "UID SEARCH UID cursor+1:*, and per batch of up to
 * IMAP_BATCH messages: one RFC822.SIZE fetch, one transaction that stages
 * each message (UID FETCH BODY.PEEK[], chunked, under message_timeout;
 * dedup key UIDVALIDITY:UID) and moves the cursor, commit, THEN one
 * move/flag command for the batch", with IDLE (or NOOP polling) between
 * rounds.
 *
 * Crash safety: a crash before the commit leaves the cursor behind the
 * message, so it is fetched again; one after the commit but before the
 * acknowledgement is repaired by the sweep at the next session start,
 * which acknowledges messages at or below the cursor that the inbound
 * table holds. A message that cannot be fetched IMAP_FETCH_TRIES times in
 * a row, or is larger than IMAP_MAX_MESSAGE, is skipped: the cursor passes
 * it, it stays in the folder untouched, and mailbox_state counts it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "daemon.h"
#include "imap.h"
#include "imap_int.h"
#include "lease.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "store_inbound.h"
#include "xalloc.h"

#define IMAP_FETCH_TRIES 3
#define IMAP_IDLE_MAX_MS (28 * 60 * 1000)   /* re-issue IDLE before the 29-minute limit */
#define IMAP_BACKOFF_MIN_MS 1000
#define IMAP_BACKOFF_MAX_MS (5 * 60 * 1000)
#define IMAP_SLICE_MS 500                   /* how often a wait checks for stop */
#define IMAP_SWEEP_BATCH 500
#define IMAP_BATCH 64                       /* messages per transaction and acknowledgement */
#define IMAP_BYE_MS 1000                    /* time left for DONE/LOGOUT when stopping */

/* The thread's state across sessions. */
struct imap_run {
	struct daemon *d;
	const char *mailbox;
	struct store *st;
	struct config *cfg;                 /* the snapshot of the current attempt */
	const struct config_mailbox *mb;
	int64_t backoff_ms;
	int64_t lease_at;                   /* when the lease was last renewed (monotonic ms) */
	bool leased_elsewhere;              /* last lease answer was "held by another daemon" */
	uint32_t fail_uid;                  /* UID whose fetch failed fail_tries times in a row */
	int fail_tries;
	uint32_t uidvalidity;
	int64_t last_uid;                   /* cursor */
	uint64_t wake_seen;
	uint32_t exists_mark;               /* EXISTS count when the last round began */
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
imap_scan_message_id(const char *raw, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(raw + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - raw) : len, lt, gt;

		if (end == i || (end == i + 1 && raw[i] == '\r'))
			return NULL; /* end of the header section */
		if (end - i < 11 || strncasecmp(raw + i, "Message-ID:", 11) != 0) {
			i = end + 1;
			continue;
		}
		/* The field runs on over folded lines (starting with SP or HT). */
		while (end + 1 < len && (raw[end + 1] == ' ' || raw[end + 1] == '\t')) {
			nl = memchr(raw + end + 1, '\n', len - end - 1);
			end = nl ? (size_t)(nl - raw) : len;
		}
		for (lt = i + 11; lt < end && raw[lt] != '<'; lt++)
			;
		for (gt = lt + 1; gt < end && raw[gt] != '>'; gt++) {
			unsigned char ch = (unsigned char)raw[gt];

			if (ch <= 32 || ch >= 127 || ch == '<')
				return NULL;
		}
		if (lt >= end || gt >= end || gt - lt - 1 == 0 || gt - lt - 1 > 900)
			return NULL;
		return xstrndup(raw + lt + 1, gt - lt - 1);
	}
	return NULL;
}

/* Record an error for the metrics (best effort: the database may be the problem). */
static void
note_error(struct imap_run *r, const char *what)
{
	struct tk_err err = { 0 };

	if (r->st == NULL)
		return;
	if (store_exec(r->st, NULL, &err,
	               "INSERT INTO mailbox_state (mailbox, errors, last_error, last_error_at) "
	               "VALUES ($1, 1, $2, now()) ON CONFLICT (mailbox) DO UPDATE SET "
	               "errors = mailbox_state.errors + 1, last_error = $2, last_error_at = now()",
	               2, r->mailbox, what) < 0)
		log_debug("imap: mailbox=%s cannot record the error: %s", r->mailbox, err.msg);
}

/* Load the cursor for this UIDVALIDITY; a changed UIDVALIDITY resets it. */
static int
cursor_load(struct imap_run *r, uint32_t uidvalidity, struct tk_err *err)
{
	char uv[16];
	PGresult *res = NULL;
	const char *stored;

	snprintf(uv, sizeof(uv), "%" PRIu32, uidvalidity);
	if (store_exec(r->st, NULL, err,
	               "INSERT INTO mailbox_state (mailbox, uidvalidity) VALUES ($1, $2) "
	               "ON CONFLICT (mailbox) DO NOTHING", 2, r->mailbox, uv) < 0 ||
	    store_exec(r->st, &res, err,
	               "SELECT uidvalidity, last_uid FROM mailbox_state WHERE mailbox = $1", 1,
	               r->mailbox) < 0)
		return -1;
	stored = PQntuples(res) == 1 ? store_val(res, 0, 0) : NULL;
	r->last_uid = PQntuples(res) == 1 ? store_int(res, 0, 1) : 0;
	if (stored == NULL || strcmp(stored, uv) != 0) {
		if (stored != NULL)
			log_warn("imap: mailbox=%s UIDVALIDITY changed from %s to %s: cursor reset to 0; "
			         "messages are fetched again and Message-ID dedup keeps them from "
			         "becoming second tickets", r->mailbox, stored, uv);
		r->last_uid = 0;
		PQclear(res);
		res = NULL;
		if (store_exec(r->st, NULL, err,
		               "UPDATE mailbox_state SET uidvalidity = $2, last_uid = 0, "
		               "uidvalidity_resets = uidvalidity_resets + CASE WHEN uidvalidity IS NULL "
		               "THEN 0 ELSE 1 END WHERE mailbox = $1", 2, r->mailbox, uv) < 0)
			return -1;
	}
	PQclear(res);
	r->uidvalidity = uidvalidity;
	return 0;
}

/* Move the cursor to uid (in the open transaction, or on its own). 0 rows: UIDVALIDITY moved on. */
static int
cursor_set(struct imap_run *r, uint32_t uid, const char *skip_why, struct tk_err *err)
{
	char u[16], uv[16];
	PGresult *res = NULL;
	int n;

	snprintf(u, sizeof(u), "%" PRIu32, uid);
	snprintf(uv, sizeof(uv), "%" PRIu32, r->uidvalidity);
	if (store_exec(r->st, &res, err,
	               "UPDATE mailbox_state SET last_uid = GREATEST(last_uid, $2::bigint), "
	               "last_poll = now(), skipped = skipped + CASE WHEN $4::text IS NULL THEN 0 "
	               "ELSE 1 END, errors = errors + CASE WHEN $4::text IS NULL THEN 0 ELSE 1 END, "
	               "last_error = COALESCE($4, last_error), "
	               "last_error_at = CASE WHEN $4::text IS NULL THEN last_error_at ELSE now() END "
	               "WHERE mailbox = $1 AND uidvalidity = $3::bigint",
	               4, r->mailbox, u, uv, skip_why) < 0)
		return -1;
	n = atoi(PQcmdTuples(res));
	PQclear(res);
	if (n != 1)
		return tk_err_temp(err, "mailbox_state changed under us (another daemon?)");
	r->last_uid = uid;
	return 0;
}

/* Skip uid for good: the cursor passes it, the message stays in the folder. */
static int
skip_message(struct imap_run *r, uint32_t uid, const char *why, struct tk_err *err)
{
	log_err("imap: mailbox=%s uid=%" PRIu32 " skipped: %s; left in folder %s untouched",
	        r->mailbox, uid, why, r->mb->folder);
	r->fail_uid = 0;
	r->fail_tries = 0;
	return cursor_set(r, uid, why, err);
}

/* Stage the raw bytes (in the batch's transaction). */
static int
stage_message(struct imap_run *r, uint32_t uid, const struct buf *raw, struct tk_err *err)
{
	char key[32];
	char *mid = imap_scan_message_id(raw->data, raw->len);
	struct inbound_stage in = {
		.source = r->mailbox, .kind = "mail", .raw = raw->data ? raw->data : "",
		.raw_len = raw->len, .dedup_key = key, .message_id = mid,
	};
	int64_t id;
	bool dup;
	int rc;

	snprintf(key, sizeof(key), "%" PRIu32 ":%" PRIu32, r->uidvalidity, uid);
	rc = store_inbound_stage(r->st, &in, &id, &dup, err);
	if (rc == 0)
		log_debug("imap: mailbox=%s uid=%" PRIu32 " staged inbound=%" PRId64 "%s", r->mailbox,
		          uid, id, dup ? " (already staged)" : "");
	free(mid);
	return rc;
}

/* One message of a batch, in its open transaction: 1 staged, 0 nothing to stage, -1 error. */
static int
batch_one(struct imap_run *r, struct imap_client *c, uint32_t uid, int64_t size, struct buf *raw,
          struct tk_err *err)
{
	char why[TK_ERR_MAX + 64];
	int got;

	if (size < 0)
		return 0; /* expunged meanwhile: nothing to do */
	if (size > IMAP_MAX_MESSAGE) {
		snprintf(why, sizeof(why), "message of %" PRId64 " bytes is larger than the %d-byte limit",
		         size, IMAP_MAX_MESSAGE);
		return skip_message(r, uid, why, err);
	}
	if (uid == r->fail_uid && r->fail_tries >= IMAP_FETCH_TRIES) {
		snprintf(why, sizeof(why), "fetch failed %d times in a row", r->fail_tries);
		return skip_message(r, uid, why, err);
	}
	got = imap_client_fetch(c, uid, now_ms() + r->mb->message_timeout_ms, raw, err);
	if (got < 0) {
		r->fail_tries = uid == r->fail_uid ? r->fail_tries + 1 : 1;
		r->fail_uid = uid;
		tk_err_prefix(err, "uid=%" PRIu32 " fetch (try %d of %d)", uid, r->fail_tries,
		              IMAP_FETCH_TRIES);
		return -1;
	}
	if (got == 0)
		return 0;
	log_debug("imap: mailbox=%s uid=%" PRIu32 " fetched %zu bytes", r->mailbox, uid, raw->len);
	if (stage_message(r, uid, raw, err) < 0)
		return -1;
	r->fail_uid = 0;
	r->fail_tries = 0;
	return 1;
}

/*
 * End a batch: move the cursor and commit what was staged (also after an
 * error in the middle: what was fetched is kept), THEN acknowledge it.
 * rc is the batch's result so far; err keeps its first error.
 */
static int
batch_end(struct imap_run *r, struct imap_client *c, const uint32_t *staged, size_t k, int rc,
          struct tk_err *err)
{
	struct tk_err e2 = { 0 };

	if ((k > 0 && cursor_set(r, staged[k - 1], NULL, &e2) < 0) || store_commit(r->st, &e2) < 0) {
		store_rollback(r->st);
		if (rc >= 0)
			*err = e2;
		return -1;
	}
	if (k == 0)
		return rc;
	daemon_wake(r->d);
	if (imap_client_ack(c, staged, k, &e2) < 0) {
		tk_err_prefix(&e2, "%zu message(s) staged, acknowledgement deferred", k);
		if (rc >= 0)
			*err = e2;
		return -1;
	}
	return rc;
}

/*
 * Up to n messages in one transaction, ending early when the lease is due
 * for renewal (*used_r: how many were handled). 1 stopping, 0, -1 error.
 */
static int
round_batch(struct imap_run *r, struct imap_client *c, const uint32_t *uids, size_t n,
            size_t *used_r, struct buf *raw, struct tk_err *err)
{
	int64_t *sizes = xcalloc(n, sizeof(*sizes));
	uint32_t *staged = xcalloc(n, sizeof(*staged));
	size_t i, k = 0;
	int rc = 0;

	*used_r = 0;
	if (imap_client_sizes(c, uids, n, sizes, err) < 0 || store_begin(r->st, err) < 0) {
		rc = -1;
		goto out;
	}
	for (i = 0; i < n && rc == 0; i++) {
		int s;

		if (daemon_stopping(r->d))
			rc = 1;
		else if (i > 0 && now_ms() - r->lease_at >= r->cfg->lease_ttl_ms / 3)
			break; /* commit now; the caller renews the lease */
		else if ((s = batch_one(r, c, uids[i], sizes[i], raw, err)) < 0)
			rc = -1;
		else if (s == 1)
			staged[k++] = uids[i];
	}
	*used_r = i;
	rc = batch_end(r, c, staged, k, rc, err);
out:
	free(sizes);
	free(staged);
	return rc;
}

/* Renew the lease when a third of its TTL has passed. 1 held, 0 lost, -1 error. */
static int
lease_renew(struct imap_run *r, bool force, struct tk_err *err)
{
	int64_t now = now_ms();
	int held;

	if (!force && now - r->lease_at < r->cfg->lease_ttl_ms / 3)
		return 1;
	if (store_check(r->st, err) < 0)
		return -1;
	held = lease_acquire(r->st, r->mailbox, r->cfg->instance, r->cfg->lease_ttl_ms, err);
	if (held == 0 && !force)
		log_warn("imap: mailbox=%s lost its lease to another daemon; disconnecting", r->mailbox);
	if (held == 1) {
		r->lease_at = now;
		if (store_exec(r->st, NULL, err,
		               "UPDATE mailbox_state SET last_poll = now() WHERE mailbox = $1", 1,
		               r->mailbox) < 0)
			return -1;
	}
	return held;
}

/* Acknowledge messages at or below the cursor that were staged but not acknowledged. */
static int
sweep(struct imap_run *r, struct imap_client *c, struct tk_err *err)
{
	bool flag_only = r->mb->after == IMAP_AFTER_SEEN || (!c->has_move && !c->has_uidplus);
	uint32_t *uids = NULL;
	size_t n = 0, done = 0;
	int rc = -1;

	if (r->last_uid <= 0)
		return 0;
	if (imap_client_search(c, 1, (uint32_t)r->last_uid, flag_only, &uids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i += IMAP_SWEEP_BATCH) {
		size_t m = n - i < IMAP_SWEEP_BATCH ? n - i : IMAP_SWEEP_BATCH, k = 0;
		struct buf keys;
		PGresult *res = NULL;

		buf_init(&keys, 0);
		(void)buf_putc(&keys, '{');
		for (size_t j = 0; j < m; j++)
			(void)buf_printf(&keys, "%s\"%" PRIu32 ":%" PRIu32 "\"", j ? "," : "",
			                 r->uidvalidity, uids[i + j]);
		(void)buf_putc(&keys, '}');
		if (store_exec(r->st, &res, err,
		               STORE_CUSTOM_PLAN "SELECT split_part(dedup_key, ':', 2)::bigint FROM inbound "
		               "WHERE source = $1 AND dedup_key = ANY($2::text[])",
		               2, r->mailbox, keys.data) < 0) {
			buf_fini(&keys);
			goto out;
		}
		buf_fini(&keys);
		for (int row = 0; row < PQntuples(res); row++)
			uids[i + k++] = (uint32_t)store_int(res, row, 0);
		PQclear(res);
		if (k > 0 && imap_client_ack(c, uids + i, k, err) < 0)
			goto out;
		done += k;
	}
	if (done > 0)
		log_info("imap: mailbox=%s acknowledged %zu message(s) staged before a restart",
		         r->mailbox, done);
	rc = 0;
out:
	free(uids);
	return rc;
}

/* Fetch everything above the cursor, in batches. 1 lease lost or stopping, 0 done, -1 error. */
static int
round_new(struct imap_run *r, struct imap_client *c, struct buf *raw, struct tk_err *err)
{
	uint32_t *uids = NULL;
	size_t n = 0, used = 0;
	int rc = 0;

	r->exists_mark = imap_client_exists(c);
	if (r->last_uid >= UINT32_MAX)
		return 0; /* the UID space is used up: only a UIDVALIDITY change helps */
	if (imap_client_search(c, (uint32_t)r->last_uid + 1, 0, false, &uids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i += used) {
		int held = lease_renew(r, false, err);

		if (held <= 0)
			rc = held < 0 ? -1 : 1;
		else
			rc = round_batch(r, c, uids + i, n - i < IMAP_BATCH ? n - i : IMAP_BATCH, &used,
			                 raw, err);
	}
	free(uids);
	return rc;
}

/* Inside IDLE until news, stop, lease loss or the 28 minutes. 1 stop/lease lost, 0, -1 error. */
static int
idle_loop(struct imap_run *r, struct imap_client *c, struct tk_err *err)
{
	int64_t start = now_ms();

	for (;;) {
		int held, w;

		if (daemon_stopping(r->d))
			return 1;
		if (now_ms() - start >= IMAP_IDLE_MAX_MS)
			return 0;
		if ((held = lease_renew(r, false, err)) <= 0)
			return held < 0 ? -1 : 1;
		if ((w = imap_client_idle_wait(c, IMAP_SLICE_MS)) != 0)
			return w < 0 ? tk_err_temp(err, "IDLE: connection lost") : 0;
	}
}

/* Wait for new mail in IDLE. 1 lease lost or stopping, 0 go on, -1 error. */
static int
wait_idle(struct imap_run *r, struct imap_client *c, struct tk_err *err)
{
	int rc = 0;

	if (imap_client_idle_begin(c, err) < 0)
		return -1;
	/* Mail reported during the last round (or with IDLE's first reply): look again at once. */
	if (imap_client_exists(c) == r->exists_mark)
		rc = idle_loop(r, c, err);
	if (rc == 1) /* stopping or lease lost: DONE and LOGOUT get a second, no more */
		imap_deadline_set(c->imap->imap_stream, now_ms() + IMAP_BYE_MS);
	if (rc >= 0 && imap_client_idle_end(c, err) < 0)
		return -1;
	return rc;
}

/* Wait poll_interval, then NOOP. 1 lease lost or stopping, 0 go on, -1 error. */
static int
wait_poll(struct imap_run *r, struct imap_client *c, struct tk_err *err)
{
	int64_t end = now_ms() + r->mb->poll_interval_ms;

	for (;;) {
		int64_t left = end - now_ms();
		int held;

		if (daemon_stopping(r->d))
			return 1;
		if ((held = lease_renew(r, false, err)) <= 0)
			return held < 0 ? -1 : 1;
		if (left <= 0)
			break;
		daemon_wait(r->d, left < IMAP_SLICE_MS ? left : IMAP_SLICE_MS, &r->wake_seen);
	}
	return imap_client_noop(c, err);
}

/* The mailbox's state for the metrics (success: a round went through now). */
static void
mailbox_metric(struct imap_run *r, enum metrics_mbx state, int success)
{
	if (r->d->metrics != NULL)
		metrics_mailbox(r->d->metrics, r->mailbox, state, success);
}

/* One session: connect, sweep, rounds until stop or lease loss. 0 ended well, -1 error. */
static int
session(struct imap_run *r, struct tk_err *err)
{
	const struct config_mailbox *mb = r->mb;
	int timeout_s = (int)(mb->message_timeout_ms / 1000);
	struct imap_client c;
	struct buf raw;
	int rc = -1;

	if (timeout_s < 1)
		timeout_s = 1;
	if (imap_client_open(&c, mb, timeout_s, err) < 0)
		return -1;
	log_info("imap: mailbox=%s connected to %s:%d folder=%s uidvalidity=%" PRIu32
	         " idle=%s after=%s", r->mailbox, mb->host, mb->port, mb->folder, c.uidvalidity,
	         mb->idle && c.has_idle ? "yes" : "no",
	         mb->after == IMAP_AFTER_SEEN ? "seen"
	         : c.has_move ? "move" : c.has_uidplus ? "copy+expunge" : "seen (no MOVE/UIDPLUS)");
	if (mb->tls != IMAP_PLAIN && !mb->tls_verify)
		log_warn("imap: mailbox=%s tls_verify is off: the server's certificate was NOT checked",
		         r->mailbox);
	buf_init(&raw, IMAP_MAX_MESSAGE);
	if (cursor_load(r, c.uidvalidity, err) < 0 || sweep(r, &c, err) < 0)
		goto out;
	for (;;) {
		int w = round_new(r, &c, &raw, err);

		if (w == 0) {
			r->backoff_ms = IMAP_BACKOFF_MIN_MS; /* a whole round went through */
			mailbox_metric(r, MBX_UP, 1);
			w = mb->idle && c.has_idle ? wait_idle(r, &c, err) : wait_poll(r, &c, err);
		}
		if (w < 0)
			goto out;
		if (w > 0)
			break;
	}
	rc = 0;
out:
	buf_fini(&raw);
	if (daemon_stopping(r->d))
		imap_deadline_set(c.imap->imap_stream, now_ms() + IMAP_BYE_MS);
	imap_client_close(&c, rc == 0);
	return rc;
}

/* One attempt: take the lease and run a session. Returns the wait before the next. */
static int64_t
attempt(struct imap_run *r)
{
	struct tk_err err = { 0 };
	int64_t wait = 0;
	int held;

	r->cfg = daemon_config(r->d);
	if ((r->mb = config_mailbox(r->cfg, r->mailbox)) == NULL) {
		log_warn("imap: mailbox=%s is no longer configured; idle until restart", r->mailbox);
		wait = 60000;
		goto out;
	}
	if ((r->st == NULL && store_open(config_dsn(r->cfg), &r->st, &err) < 0) ||
	    (held = lease_renew(r, true, &err)) < 0)
		goto fail;
	if (held == 0) {
		mailbox_metric(r, MBX_STANDBY, 0);
		if (!r->leased_elsewhere)
			log_info("imap: mailbox=%s is leased by another daemon; standing by", r->mailbox);
		r->leased_elsewhere = true;
		wait = r->cfg->lease_ttl_ms / 2 > 0 ? r->cfg->lease_ttl_ms / 2 : 500;
		goto out;
	}
	if (r->leased_elsewhere)
		log_info("imap: mailbox=%s lease taken over by %s", r->mailbox, r->cfg->instance);
	r->leased_elsewhere = false;
	if (session(r, &err) == 0)
		goto out;
fail:
	log_warn("imap: mailbox=%s %s; reconnecting in %" PRId64 " ms", r->mailbox, err.msg,
	         r->backoff_ms);
	note_error(r, err.msg);
	mailbox_metric(r, MBX_DOWN, 0);
	wait = r->backoff_ms;
	r->backoff_ms = r->backoff_ms * 2 > IMAP_BACKOFF_MAX_MS ? IMAP_BACKOFF_MAX_MS : r->backoff_ms * 2;
out:
	r->mb = NULL;
	config_unref(&r->cfg);
	return wait;
}

void
imap_run(struct daemon *d, const char *mailbox)
{
	struct imap_run r = { .d = d, .mailbox = mailbox, .backoff_ms = IMAP_BACKOFF_MIN_MS };

	log_info("imap: mailbox=%s starting", mailbox);
	while (!daemon_stopping(d)) {
		int64_t wait = attempt(&r);
		int64_t end = now_ms() + wait;

		while (!daemon_stopping(d) && now_ms() < end) {
			int64_t left = end - now_ms();

			daemon_wait(d, left < IMAP_SLICE_MS ? left : IMAP_SLICE_MS, &r.wake_seen);
		}
	}
	if (r.st != NULL) {
		struct config *cfg = daemon_config(d);
		struct tk_err err = { 0 };

		if (lease_release(r.st, mailbox, cfg->instance, &err) < 0)
			log_warn("imap: mailbox=%s cannot release the lease: %s", mailbox, err.msg);
		config_unref(&cfg);
	}
	store_close(&r.st);
	log_info("imap: mailbox=%s stopped", mailbox);
}
