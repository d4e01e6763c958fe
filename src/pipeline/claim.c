/*
 * claim.c: claim, lock, fetch and settle batches of inbound items (see
 * claim.h). Every statement here takes the whole batch at once (id arrays),
 * so a batch costs the same few round trips whatever its size; they are
 * planned per call (STORE_CUSTOM_PLAN, doc/schema.md).
 */
#include <endian.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "claim.h"
#include "log.h"
#include "store.h"
#include "xalloc.h"

/*
 * Candidates in queue order, locked while the statement runs; a window over
 * them keeps the first one always, the others while the bytes so far stay
 * within the limit and no item so far is a retry (attempts > 0: claimed
 * before, and failed or never finished), so a retry runs alone.
 * octet_length() of a TOASTed value reads its header, not the value.
 */
static const char claim_sql[] =
	STORE_CUSTOM_PLAN
	"WITH c AS (SELECT id, attempts, next_attempt_at, octet_length(raw) AS len FROM inbound "
	"WHERE state = 'pending' AND next_attempt_at <= now() ORDER BY next_attempt_at, id "
	"LIMIT $1::int FOR UPDATE SKIP LOCKED), "
	"w AS (SELECT id, row_number() OVER o AS rn, sum(len) OVER o AS upto, "
	"bool_or(attempts > 0) OVER o AS retry FROM c WINDOW o AS (ORDER BY next_attempt_at, id)) "
	"UPDATE inbound i SET attempts = i.attempts + 1, "
	"next_attempt_at = now() + $2::bigint * interval '1 millisecond' FROM w "
	"WHERE i.id = w.id AND (w.rn = 1 OR (w.upto <= $3::bigint AND NOT w.retry)) "
	"RETURNING i.id, i.attempts, i.source, i.kind, i.meta::text, octet_length(i.raw)";

int
claim_batch(struct store *st, const struct claim_limits *lim, struct claim_batch *b,
            struct tk_err *err)
{
	char count[16], lease[24], bytes[24];
	PGresult *res = NULL;

	memset(b, 0, sizeof(*b));
	snprintf(count, sizeof(count), "%d", lim->count);
	snprintf(lease, sizeof(lease), "%" PRId64, lim->lease_ms);
	snprintf(bytes, sizeof(bytes), "%" PRId64, lim->bytes);
	if (store_exec(st, &res, err, claim_sql, 3, count, lease, bytes) < 0)
		return -1;
	b->n = PQntuples(res);
	b->items = xcalloc((size_t)b->n + 1, sizeof(*b->items));
	for (int i = 0; i < b->n; i++) {
		struct claim_item *c = &b->items[i];

		c->id = store_int(res, i, 0);
		c->attempts = (int)store_int(res, i, 1);
		c->source = xstrdup(PQgetvalue(res, i, 2));
		c->kind = xstrdup(PQgetvalue(res, i, 3));
		c->meta = xstrdup(PQgetvalue(res, i, 4));
		c->raw_len = (size_t)store_int(res, i, 5);
		b->bytes += c->raw_len;
		if (c->raw_len > b->largest)
			b->largest = c->raw_len;
	}
	PQclear(res);
	return 0;
}

/* "{id,id,...}" of the batch's items (only those that are mine when asked). */
static void
ids_array(const struct claim_batch *b, bool only_mine, struct buf *ids)
{
	int count = 0;

	buf_init(ids, 0);
	(void)buf_putc(ids, '{');
	for (int i = 0; i < b->n; i++)
		if (!only_mine || b->items[i].mine)
			(void)buf_printf(ids, "%s%" PRId64, count++ ? "," : "", b->items[i].id);
	(void)buf_putc(ids, '}');
}

int
claim_lock(struct store *st, struct claim_batch *b, struct tk_err *err)
{
	struct buf ids;
	PGresult *res = NULL;
	int rc;

	ids_array(b, false, &ids);
	rc = store_exec(st, &res, err,
	                STORE_CUSTOM_PLAN "SELECT id, attempts FROM inbound WHERE id = ANY($1::bigint[]) "
	                "AND state = 'pending' ORDER BY id FOR UPDATE", 1, ids.data);
	buf_fini(&ids);
	if (rc < 0)
		return -1;
	for (int i = 0; i < b->n; i++) {
		struct claim_item *c = &b->items[i];

		c->mine = false;
		for (int r = 0; r < PQntuples(res); r++)
			if (store_int(res, r, 0) == c->id && store_int(res, r, 1) == c->attempts)
				c->mine = true;
		if (!c->mine)
			log_info("worker: inbound %" PRId64 " was claimed again elsewhere; left to that claim",
			         c->id);
	}
	PQclear(res);
	return 0;
}

static int64_t
binary_int8(const PGresult *res, int row, int col)
{
	uint64_t v = 0;

	if (PQgetlength(res, row, col) == 8)
		memcpy(&v, PQgetvalue(res, row, col), 8);
	return (int64_t)be64toh(v);
}

int
claim_fetch(struct store *st, struct claim_batch *b, struct tk_err *err)
{
	struct buf ids;
	int rc;

	PQclear(b->raws);
	b->raws = NULL;
	ids_array(b, true, &ids);
	rc = store_exec_binary(st, &b->raws, err,
	                       STORE_CUSTOM_PLAN "SELECT id, raw FROM inbound WHERE id = ANY($1::bigint[])",
	                       ids.data);
	buf_fini(&ids);
	if (rc < 0)
		return -1;
	for (int r = 0; r < PQntuples(b->raws); r++) {
		int64_t id = binary_int8(b->raws, r, 0);

		for (int i = 0; i < b->n; i++) {
			if (b->items[i].id == id) {
				b->items[i].raw = PQgetvalue(b->raws, r, 1);
				b->items[i].raw_len = (size_t)PQgetlength(b->raws, r, 1);
			}
		}
	}
	for (int i = 0; i < b->n; i++)
		if (b->items[i].mine && b->items[i].raw == NULL)
			return tk_err_temp(err, "inbound %" PRId64 " vanished while locked", b->items[i].id);
	return 0;
}

/* The deferred items that are mine: their attempt back, at the head of the queue. */
static int
claim_requeue(struct store *st, const struct claim_batch *b, struct tk_err *err)
{
	struct buf ids;
	int count = 0, rc = 0;

	buf_init(&ids, 0);
	for (int i = 0; i < b->n; i++)
		if (b->items[i].deferred && b->items[i].mine)
			(void)buf_printf(&ids, "%s%" PRId64, count++ ? "," : "{", b->items[i].id);
	if (count > 0) {
		(void)buf_putc(&ids, '}');
		rc = store_exec(st, NULL, err,
		                STORE_CUSTOM_PLAN "UPDATE inbound SET attempts = attempts - 1, "
		                "next_attempt_at = received_at WHERE id = ANY($1::bigint[]) "
		                "AND state = 'pending'", 1, ids.data);
	}
	buf_fini(&ids);
	return rc;
}

int
claim_done(struct store *st, const struct claim_batch *b, struct tk_err *err)
{
	struct buf ids, tickets, states;
	int count = 0, rc;

	buf_init(&ids, 0);
	buf_init(&tickets, 0);
	buf_init(&states, 0);
	for (int i = 0; i < b->n; i++) {
		const struct claim_item *c = &b->items[i];

		if (!c->done || !c->mine)   /* done in a first pass, then claimed again elsewhere */
			continue;
		(void)buf_printf(&ids, "%s%" PRId64, count ? "," : "{", c->id);
		if (c->ticket_id)
			(void)buf_printf(&tickets, "%s%" PRId64, count ? "," : "{", c->ticket_id);
		else
			(void)buf_printf(&tickets, "%sNULL", count ? "," : "{");
		(void)buf_printf(&states, "%s%s", count ? "," : "{",
		                 c->quarantined ? "quarantined" : c->dropped ? "dropped" : "done");
		count++;
	}
	rc = 0;
	if (count > 0) {
		(void)buf_putc(&ids, '}');
		(void)buf_putc(&tickets, '}');
		(void)buf_putc(&states, '}');
		rc = store_exec(st, NULL, err,
		                STORE_CUSTOM_PLAN "UPDATE inbound i SET state = u.state, ticket_id = u.ticket, "
		                "processed_at = now(), last_error = NULL, error_kind = NULL "
		                "FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS u(id, ticket, state) "
		                "WHERE i.id = u.id", 3, ids.data, tickets.data, states.data);
	}
	if (rc == 0)
		rc = claim_requeue(st, b, err);
	for (int i = 0; rc == 0 && i < b->n; i++) {
		const struct claim_item *c = &b->items[i];
		char sid[24];

		if (!c->done || !c->mine || !(c->dropped || c->quarantined))
			continue;
		snprintf(sid, sizeof(sid), "%" PRId64, c->id);
		rc = store_exec(st, NULL, err, "UPDATE inbound SET last_error = $2 WHERE id = $1",
		                2, sid, c->reason);
	}
	buf_fini(&ids);
	buf_fini(&tickets);
	buf_fini(&states);
	return rc;
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

int
claim_failed(struct store *st, struct claim_item *c, const char *kind, const char *msg,
             int max_attempts, struct tk_err *err)
{
	char sid[24], max[16], delay[16];
	int last = kind_permanent(kind) ? c->attempts : max_attempts;

	snprintf(sid, sizeof(sid), "%" PRId64, c->id);
	snprintf(max, sizeof(max), "%d", last);
	snprintf(delay, sizeof(delay), "%d", retry_delay_s(c->attempts));
	c->failed_for_good = c->attempts >= last;
	if (kind_permanent(kind))
		log_warn("worker: inbound %" PRId64 " failed for good (%s error, not retried): %s "
		         "(ticketctl inbound show %" PRId64 ")", c->id, kind, msg, c->id);
	else if (c->attempts >= last)
		log_warn("worker: inbound %" PRId64 " failed for good after %d attempts: %s "
		         "(ticketctl inbound show %" PRId64 ")", c->id, c->attempts, msg, c->id);
	else
		log_warn("worker: inbound %" PRId64 " failed (attempt %d of %d), will retry: %s",
		         c->id, c->attempts, last, msg);
	return store_exec(st, NULL, err,
	                  "UPDATE inbound SET state = CASE WHEN attempts >= $2::int THEN 'failed' "
	                  "ELSE 'pending' END, error_kind = $3, last_error = $4, "
	                  "next_attempt_at = now() + $5::int * interval '1 second' WHERE id = $1",
	                  5, sid, max, kind, msg, delay);
}

/*
 * The batch failed for a temporary reason (deadlock, lost connection): give
 * back the attempts its claim counted, so transient trouble never uses up
 * an item's attempts, and let the items come back soon. Best effort: if the
 * database is gone, the lease brings them back later with the attempt
 * counted.
 */
void
claim_unclaim(struct store *st, const struct claim_batch *b)
{
	struct buf ids, attempts;
	struct tk_err err = { 0 };

	if (store_check(st, &err) < 0)
		return;
	buf_init(&ids, 0);
	buf_init(&attempts, 0);
	for (int i = 0; i < b->n; i++) {
		(void)buf_printf(&ids, "%s%" PRId64, i ? "," : "{", b->items[i].id);
		(void)buf_printf(&attempts, "%s%d", i ? "," : "{", b->items[i].attempts);
	}
	(void)buf_putc(&ids, '}');
	(void)buf_putc(&attempts, '}');
	if (store_exec(st, NULL, &err,
	               STORE_CUSTOM_PLAN "UPDATE inbound i SET attempts = i.attempts - 1, "
	               "next_attempt_at = now() + interval '1 second' "
	               "FROM unnest($1::bigint[], $2::int[]) AS u(id, attempts) "
	               "WHERE i.id = u.id AND i.attempts = u.attempts AND i.state = 'pending'",
	               2, ids.data, attempts.data) < 0)
		log_debug("worker: could not give back the batch's attempts: %s", err.msg);
	buf_fini(&ids);
	buf_fini(&attempts);
}

void
claim_batch_fini(struct claim_batch *b)
{
	for (int i = 0; i < b->n; i++) {
		xfree(&b->items[i].source);
		xfree(&b->items[i].kind);
		xfree(&b->items[i].meta);
	}
	free(b->items);
	free(b->seq);
	PQclear(b->raws);
	memset(b, 0, sizeof(*b));
}
