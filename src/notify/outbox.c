/*
 * outbox.c: outbox rows: queue (in the caller's transaction), claim under a
 * lease, record the outcome, and the backoff arithmetic. The sender thread
 * that drives these is outbox_send.c.
 *
 * Why a lease rather than a lock held while sending: the claim commits
 * (state 'sending') before the message leaves, so no transaction stays
 * open across a network call, and a sender that dies leaves a row whose
 * lease runs out and which is claimed again. That second claim is the one
 * resend allowed: the daemon died after the server may have accepted the
 * message and before its acceptance was recorded. The payload is stored
 * whole, so the resend carries the same Message-ID. See doc/delivery.md.
 */
/* System. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "buf.h"
#include "log.h"
#include "notify.h"
#include "outbox.h"
#include "xalloc.h"
#include "ynode.h"

static const char *const outbox_keys[] = {
	"max_attempts", "backoff", "backoff_max", "lease", "poll_interval", NULL,
};

void
outbox_config_defaults(struct outbox_config *c)
{
	c->max_attempts = 8;
	c->backoff_ms = 30000;
	c->backoff_max_ms = 3600000;
	c->lease_ms = 600000;
	c->poll_interval_ms = 1000;
}

void
outbox_config_load(const struct ynode *n, struct outbox_config *c, struct tk_errlist *errs)
{
	const struct ynode *t;
	int64_t v;

	if (ynode_check_keys(n, outbox_keys, "outbox", errs) && n->kind != YNODE_MAP)
		return;
	if ((t = ynode_get(n, "max_attempts")) != NULL && ynode_int(t, 1, 1000, &v, errs) == 0)
		c->max_attempts = (int)v;
	if ((t = ynode_get(n, "backoff")) != NULL)
		ynode_duration_ms(t, &c->backoff_ms, errs);
	if ((t = ynode_get(n, "backoff_max")) != NULL)
		ynode_duration_ms(t, &c->backoff_max_ms, errs);
	if ((t = ynode_get(n, "lease")) != NULL)
		ynode_duration_ms(t, &c->lease_ms, errs);
	if ((t = ynode_get(n, "poll_interval")) != NULL)
		ynode_duration_ms(t, &c->poll_interval_ms, errs);
	if (c->backoff_ms < 1)
		ynode_error(errs, ynode_get(n, "backoff") ? ynode_get(n, "backoff") : n,
		            "outbox: backoff must be positive");
	if (c->backoff_max_ms < c->backoff_ms)
		ynode_error(errs, n, "outbox: backoff_max must not be below backoff");
	if (c->lease_ms < 1000)
		ynode_error(errs, ynode_get(n, "lease") ? ynode_get(n, "lease") : n,
		            "outbox: lease must be at least 1s (longer than a send takes)");
	if (c->poll_interval_ms < 1)
		ynode_error(errs, n, "outbox: poll_interval must be positive");
}

void
outbox_config_check(const struct outbox_config *c, int64_t send_timeout_ms, const char *path,
                    struct tk_errlist *errs)
{
	if (c->lease_ms < 2 * send_timeout_ms)
		tk_errlist_add(errs, path, 0, 0, "outbox.lease (%" PRId64 " ms) must be at least twice "
		               "the longest send timeout (%" PRId64 " ms), or a mail still being sent "
		               "could be claimed and sent again", c->lease_ms, send_timeout_ms);
}

int64_t
outbox_backoff_ms(const struct outbox_config *c, int attempts, int64_t retry_after_ms)
{
	int64_t d = c->backoff_ms;

	for (int i = 1; i < attempts && d < c->backoff_max_ms; i++)
		d = d > INT64_MAX / 2 ? INT64_MAX : d * 2;
	if (d > c->backoff_max_ms)
		d = c->backoff_max_ms;
	if (retry_after_ms > d)
		d = retry_after_ms;
	return d;
}

int
outbox_enqueue(struct store *st, const struct outbox_item *it, int *queued_r, struct tk_err *err)
{
	char tid[24];
	const char *v[8];
	int len[8] = { 0 }, fmt[8] = { 0 };
	PGresult *res = NULL;

	if (queued_r)
		*queued_r = 0;
	snprintf(tid, sizeof(tid), "%" PRId64, it->ticket_id);
	v[0] = it->idempotency_key;
	v[1] = it->channel;
	v[2] = it->kind ? it->kind : "notice";
	v[3] = tid;
	v[4] = it->recipient;
	v[5] = it->message_id;
	v[6] = it->payload;
	len[6] = (int)it->payload_len;
	fmt[6] = 1;
	if (store_execv(st, &res, err,
	                "INSERT INTO outbox (idempotency_key, channel, kind, ticket_id, recipient, "
	                "message_id, payload) VALUES ($1, $2, $3, nullif($4::bigint, 0), $5, $6, $7) "
	                "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
	                7, v, len, fmt) < 0)
		return -1;
	if (queued_r)
		*queued_r = PQntuples(res) > 0;
	PQclear(res);
	return 0;
}

void
outbox_claimed_fini(struct outbox_claimed *c)
{
	xfree(&c->channel);
	xfree(&c->recipient);
	xfree(&c->message_id);
	if (c->payload)
		PQfreemem(c->payload);
	c->payload = NULL;
}

int
outbox_claim(struct store *st, const struct outbox_config *cfg, const char *holder,
             struct outbox_claimed *c_r, struct tk_err *err)
{
	char lease[24];
	PGresult *res = NULL;

	memset(c_r, 0, sizeof(*c_r));
	snprintf(lease, sizeof(lease), "%" PRId64, cfg->lease_ms);
	/* Slack is at most once: a post whose sender died mid-request may have
	 * gone out, and a webhook cannot tell a resend from a new post. */
	if (store_exec(st, NULL, err,
	               STORE_CUSTOM_PLAN "UPDATE outbox SET state = 'dead', updated_at = now(), "
	               "lease_until = NULL, last_error = 'the sender stopped during the request; "
	               "Slack may have posted it, so it is not sent again (at most once)' "
	               "WHERE state = 'sending' AND lease_until < now() AND channel = 'slack'", 0) < 0)
		return -1;
	if (store_exec(st, &res, err,
	               STORE_CUSTOM_PLAN "UPDATE outbox SET state = 'sending', attempts = attempts + 1, "
	               "claimed_by = $1, updated_at = now(), "
	               "lease_until = now() + $2::bigint * interval '1 millisecond' "
	               "WHERE id = (SELECT id FROM outbox WHERE "
	               "(state = 'pending' AND next_attempt_at <= now()) OR "
	               "(state = 'sending' AND lease_until < now()) "
	               "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) "
	               "RETURNING id, attempts, channel, recipient, message_id, payload",
	               2, holder, lease) < 0)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	c_r->id = store_int(res, 0, 0);
	c_r->attempts = (int)store_int(res, 0, 1);
	c_r->channel = xstrdup(PQgetvalue(res, 0, 2));
	c_r->recipient = xstrdup(PQgetvalue(res, 0, 3));
	c_r->message_id = store_val(res, 0, 4) ? xstrdup(store_val(res, 0, 4)) : NULL;
	c_r->payload = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 5), &c_r->payload_len);
	PQclear(res);
	if (c_r->payload == NULL) {
		outbox_claimed_fini(c_r);
		return tk_err_set(err, "outbox %" PRId64 ": cannot decode the payload", c_r->id);
	}
	return 1;
}

int
outbox_mark(struct store *st, const struct outbox_config *cfg, const struct outbox_claimed *c,
            const char *holder, bool sent, bool dead, int64_t retry_after_ms, const char *error,
            bool *lost_r, struct tk_err *err)
{
	char sid[24], att[16], max[16], delay[24];
	PGresult *res = NULL;

	snprintf(sid, sizeof(sid), "%" PRId64, c->id);
	snprintf(att, sizeof(att), "%d", c->attempts);
	snprintf(max, sizeof(max), "%d", dead ? 0 : cfg->max_attempts);
	snprintf(delay, sizeof(delay), "%" PRId64, outbox_backoff_ms(cfg, c->attempts, retry_after_ms));
	if (sent) {
		if (store_exec(st, &res, err,
		               "UPDATE outbox SET state = 'sent', sent_at = now(), updated_at = now(), "
		               "lease_until = NULL, last_error = NULL WHERE id = $1 AND state = 'sending' "
		               "AND claimed_by = $2 AND attempts = $3::int",
		               3, sid, holder, att) < 0)
			return -1;
	} else if (store_exec(st, &res, err,
	                      "UPDATE outbox SET state = CASE WHEN attempts >= $4::int "
	                      "THEN 'dead' ELSE 'pending' END, last_error = $5, updated_at = now(), "
	                      "lease_until = NULL, "
	                      "next_attempt_at = now() + $6::bigint * interval '1 millisecond' "
	                      "WHERE id = $1 AND state = 'sending' AND claimed_by = $2 "
	                      "AND attempts = $3::int",
	                      6, sid, holder, att, max, error ? error : "", delay) < 0) {
		return -1;
	}
	if (lost_r)
		*lost_r = atoi(PQcmdTuples(res)) == 0;
	PQclear(res);
	return 0;
}

int
outbox_pace_take(struct store *st, const char *key, int64_t pace_ms, int64_t *wait_ms_r,
                 struct tk_err *err)
{
	char pace[24];
	PGresult *res = NULL;

	*wait_ms_r = 0;
	snprintf(pace, sizeof(pace), "%" PRId64, pace_ms);
	if (store_exec(st, &res, err,
	               "WITH take AS (INSERT INTO slack_pace AS p (webhook, next_at) VALUES ($1, "
	               "clock_timestamp() + $2::bigint * interval '1 millisecond') "
	               "ON CONFLICT (webhook) DO UPDATE SET next_at = clock_timestamp() + "
	               "$2::bigint * interval '1 millisecond' WHERE p.next_at <= clock_timestamp() "
	               "RETURNING 0::bigint AS wait) "
	               "SELECT wait FROM take UNION ALL "
	               "SELECT greatest(1, ceil(extract(epoch FROM next_at - clock_timestamp()) * 1000))"
	               "::bigint FROM slack_pace WHERE webhook = $1 AND NOT EXISTS (SELECT 1 FROM take)",
	               2, key, pace) < 0)
		return -1;
	if (PQntuples(res) > 0)
		*wait_ms_r = store_int(res, 0, 0);
	PQclear(res);
	return *wait_ms_r == 0 ? 1 : 0;
}

int
outbox_defer(struct store *st, const struct outbox_claimed *c, const char *holder,
             int64_t delay_ms, struct tk_err *err)
{
	char sid[24], att[16], delay[24];

	snprintf(sid, sizeof(sid), "%" PRId64, c->id);
	snprintf(att, sizeof(att), "%d", c->attempts);
	snprintf(delay, sizeof(delay), "%" PRId64, delay_ms);
	return store_exec(st, NULL, err,
	                  "UPDATE outbox SET state = 'pending', attempts = attempts - 1, "
	                  "lease_until = NULL, updated_at = now(), "
	                  "next_attempt_at = now() + $4::bigint * interval '1 millisecond' "
	                  "WHERE id = $1 AND state = 'sending' AND claimed_by = $2 "
	                  "AND attempts = $3::int", 4, sid, holder, att, delay);
}

char *
notify_read_secret(const char *file, const char *env, struct tk_err *err)
{
	struct buf b;
	char *s;

	if (file == NULL) {
		const char *v = env ? getenv(env) : NULL;

		if (v == NULL || *v == '\0') {
			tk_err_set(err, "environment variable %s is not set", env ? env : "(none)");
			return NULL;
		}
		return xstrdup(v);
	}
	buf_init(&b, 65536);
	if (buf_read_file(&b, file) < 0) {
		tk_err_set(err, "cannot read secret file %s: %s", file, strerror(errno));
		buf_fini(&b);
		return NULL;
	}
	s = buf_steal(&b, NULL);
	s[strcspn(s, "\r\n")] = '\0';
	for (size_t n = strlen(s); n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'); n--)
		s[n - 1] = '\0';
	if (*s == '\0') {
		free(s);
		tk_err_set(err, "secret file %s is empty", file);
		return NULL;
	}
	return s;
}
