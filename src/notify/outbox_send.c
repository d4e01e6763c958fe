/*
 * outbox_send.c: the outbox sender thread. It owns one PGconn and one
 * sender context per channel (notify.h), opened lazily and reopened when
 * the config snapshot changes. Loop: claim one due row (committed, under a
 * lease), deliver it, record the outcome. Recording is retried (with
 * reconnects) for as long as the lease lasts, because a row left 'sending'
 * is sent again once its lease runs out.
 */
/* System. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
/* Libraries. */
#include <curl/curl.h>
/* ticketd. */
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "outbox.h"
#include "xalloc.h"

static const struct notify_ops *const channels[] = { &notify_smtp_ops, &notify_slack_ops };
#define N_CHANNELS (sizeof(channels) / sizeof(channels[0]))

struct sender {
	struct daemon *daemon;
	struct config *cfg;          /* the snapshot the contexts were opened with */
	struct store *st;
	void *ctx[N_CHANNELS];
	uint64_t seen;
};

void
outbox_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void
sender_close_all(struct sender *s)
{
	for (size_t i = 0; i < N_CHANNELS; i++)
		if (s->ctx[i])
			channels[i]->close(&s->ctx[i]);
}

/* Take the current config; when it changed, reopen the channels lazily. */
static void
sender_refresh(struct sender *s)
{
	struct config *cfg = daemon_config(s->daemon);

	if (cfg == s->cfg) {
		config_unref(&cfg);
		return;
	}
	sender_close_all(s);
	config_unref(&s->cfg);
	s->cfg = cfg;
}

static bool
sender_connect(struct sender *s, int64_t *backoff)
{
	struct tk_err err = { 0 };
	int rc = s->st ? store_check(s->st, &err) : store_open(config_dsn(s->cfg), &s->st, &err);

	if (rc == 0) {
		*backoff = 100;
		return true;
	}
	if (*backoff <= 100 || *backoff >= 5000)
		log_warn("outbox: %s; retrying in %" PRId64 " ms", err.msg, *backoff);
	daemon_wait(s->daemon, *backoff, &s->seen);
	*backoff = *backoff * 2 > 5000 ? 5000 : *backoff * 2;
	return false;
}

/* Record the outcome, retrying while the database is away and the lease lasts. */
static void
sender_record(struct sender *s, const struct outbox_claimed *c, const struct notify_result *r)
{
	struct timespec start, now;
	int64_t wait = 100;
	bool lost = false;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct tk_err err = { 0 };

		if (store_check(s->st, &err) == 0 &&
		    outbox_mark(s->st, s->cfg->outbox, c, s->cfg->instance, r->status == NOTIFY_SENT,
		                r->status == NOTIFY_DEAD, r->retry_after_ms, r->error, &lost, &err) == 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 > s->cfg->outbox->lease_ms) {
			log_err("outbox %" PRId64 ": could not record the outcome (%s): the row will be "
			        "claimed again after its lease", c->id, err.msg);
			return;
		}
		log_warn("outbox %" PRId64 ": recording the outcome failed: %s; retrying", c->id, err.msg);
		daemon_wait(s->daemon, wait, &s->seen);
		wait = wait * 2 > 2000 ? 2000 : wait * 2;
	}
	if (lost)
		log_warn("outbox %" PRId64 ": the claim had expired before the outcome was recorded "
		         "(send slower than the lease?)", c->id);
}

/*
 * Slack: at most one post per webhook per slack.pace across every daemon.
 * Returns true when the row may go now; otherwise it was given back
 * (attempt not counted) to come due when its webhook's slot is free.
 */
static bool
sender_paced(struct sender *s, const struct outbox_claimed *c)
{
	struct tk_err err = { 0 };
	int64_t wait = 0;
	char key[160];
	int rc;

	if (strcmp(c->channel, "slack") != 0 || s->cfg->slack == NULL)
		return true;
	snprintf(key, sizeof(key), "slack:%s", strcmp(c->recipient, "slack") == 0 ? "default" :
	         c->recipient);
	rc = outbox_pace_take(s->st, key, s->cfg->slack->pace_ms, &wait, &err);
	if (rc != 0)
		return true;   /* granted, or the pace could not be read: sending beats waiting */
	if (outbox_defer(s->st, c, s->cfg->instance, wait, &err) < 0)
		log_warn("outbox %" PRId64 ": could not put the row back: %s; it comes back after "
		         "its lease", c->id, err.msg);
	return false;
}

static void
sender_deliver(struct sender *s, const struct outbox_claimed *c)
{
	struct notify_msg m = {
		.id = c->id, .channel = c->channel, .recipient = c->recipient,
		.message_id = c->message_id, .payload = (const char *)c->payload,
		.payload_len = c->payload_len,
	};
	struct notify_result r = { .status = NOTIFY_DEAD };
	struct tk_err err = { 0 };
	size_t i;

	for (i = 0; i < N_CHANNELS && strcmp(channels[i]->channel, c->channel) != 0; i++)
		;
	if (i == N_CHANNELS) {
		snprintf(r.error, sizeof(r.error), "unknown channel \"%s\"", c->channel);
	} else if (s->ctx[i] == NULL && (s->ctx[i] = channels[i]->open(s->cfg, &err)) == NULL) {
		r.status = NOTIFY_RETRY;   /* a config fix and a reload can make it work */
		snprintf(r.error, sizeof(r.error), "%s", err.msg);
	} else {
		channels[i]->send(s->ctx[i], &m, &r);
	}
	if (s->daemon->metrics != NULL)
		metrics_send(s->daemon->metrics, c->channel, r.status == NOTIFY_SENT ? MS_SENT :
		             r.status == NOTIFY_DEAD || c->attempts >= s->cfg->outbox->max_attempts ?
		             MS_DEAD : MS_RETRIED);
	if (r.status == NOTIFY_SENT)
		log_info("outbox %" PRId64 ": sent via %s (attempt %d)", c->id, c->channel, c->attempts);
	else
		log_warn("outbox %" PRId64 ": %s (attempt %d of %d)%s", c->id, r.error, c->attempts,
		         s->cfg->outbox->max_attempts,
		         r.status == NOTIFY_DEAD || c->attempts >= s->cfg->outbox->max_attempts ?
		         ": dead (ticketctl outbox show)" : "");
	sender_record(s, c, &r);
}

/* One round: claim and deliver one row. Returns 1 when a row was handled. */
static int
sender_round(struct sender *s)
{
	struct outbox_claimed c;
	struct tk_err err = { 0 };
	int rc = outbox_claim(s->st, s->cfg->outbox, s->cfg->instance, &c, &err);

	if (rc < 0) {
		log_warn("outbox: claim failed: %s", err.msg);
		daemon_wait(s->daemon, 1000, &s->seen);
		return 0;
	}
	if (rc == 0)
		return 0;
	if (sender_paced(s, &c))
		sender_deliver(s, &c);
	outbox_claimed_fini(&c);
	return 1;
}

static void *
sender_main(void *arg)
{
	struct outbox_sender *os = arg;
	struct sender s = { .daemon = os->daemon };
	int64_t backoff = 100;

	log_info("outbox: sender started");
	while (!daemon_stopping(s.daemon)) {
		sender_refresh(&s);
		if (!sender_connect(&s, &backoff))
			continue;
		if (sender_round(&s) == 0)
			daemon_wait(s.daemon, s.cfg->outbox->poll_interval_ms, &s.seen);
	}
	sender_close_all(&s);
	store_close(&s.st);
	config_unref(&s.cfg);
	log_info("outbox: sender stopped");
	return NULL;
}

int
outbox_sender_start(struct outbox_sender *os, struct daemon *d, struct tk_err *err)
{
	int rc;

	os->daemon = d;
	rc = pthread_create(&os->thread, NULL, sender_main, os);
	if (rc != 0)
		return tk_err_set(err, "outbox: cannot start the sender thread: %s", strerror(rc));
	os->started = 1;
	return 0;
}

int
outbox_sender_join(struct outbox_sender *os, const struct timespec *deadline)
{
	if (!os->started)
		return 0;
	if (pthread_timedjoin_np(os->thread, NULL, deadline) != 0)
		return -1;
	os->started = 0;
	return 0;
}
