/*
 * lmtp_stage.c: commit one message received over LMTP (lmtp_stage.h)
 * through store_inbound_stage(), the pipe's path: one row, the dedup key
 * "lmtp:<sha256 of the bytes>", the envelope in meta.
 */
/* System. */
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <time.h>
/* Libraries. */
#include <jansson.h>
/* ticketd. */
#include "config.h"
#include "daemon.h"
#include "lmtp_int.h"
#include "lmtp_stage.h"
#include "log.h"
#include "store.h"
#include "store_inbound.h"
#include "xalloc.h"

static struct log_limit db_log = LOG_LIMIT_INIT(5, 60);

static void
log_db(const char *mailbox, const char *what, const struct tk_err *err)
{
	char note[LOG_LIMIT_NOTE];

	if (log_limit_pass(&db_log, time(NULL), note))
		log_warn("lmtp: mailbox=%s %s: %s; answering 451%s", mailbox, what, err->msg, note);
}

bool
lmtp_stage_ready(struct daemon *d, const char *mailbox, struct store **st)
{
	struct config *cfg;
	struct tk_err err = { 0 };
	int rc;

	if (*st != NULL)
		return true;
	cfg = daemon_config(d);
	rc = store_open(config_dsn(cfg), st, &err);
	config_unref(&cfg);
	if (rc < 0)
		log_db(mailbox, "cannot connect to the database", &err);
	return rc == 0;
}

/* The envelope as the meta of the row (caller frees). */
static char *
envelope_json(const struct lmtp_session *s)
{
	json_t *rcpts = json_array(), *meta;
	char *text;

	for (size_t i = 0; i < s->n_rcpt; i++)
		json_array_append_new(rcpts, json_string(s->rcpt[i]));
	meta = json_pack("{s:s, s:o}", "sender", s->sender, "recipients", rcpts);
	text = json_dumps(meta, JSON_COMPACT);
	json_decref(meta);
	return text;
}

static int
stage_once(struct store *st, const char *mailbox, const struct buf *raw, const char *meta,
           int64_t *id_r, bool *dup_r, struct tk_err *err)
{
	char sha[65], key[72];
	struct inbound_stage in = { .source = mailbox, .kind = "mail", .raw = raw->data,
	                            .raw_len = raw->len, .dedup_key = key, .meta = meta };

	store_sha256_hex(raw->data, raw->len, sha);
	snprintf(key, sizeof(key), "lmtp:%s", sha);
	return store_inbound_stage(st, &in, id_r, dup_r, err);
}

void
lmtp_stage(struct daemon *d, const char *mailbox, struct store **st, struct lmtp_session *s,
           const struct buf *raw, struct buf *out)
{
	char *meta = envelope_json(s), line[96];
	struct tk_err err = { 0 };
	bool dup = false, ok = false;
	int64_t id = 0;

	/* Twice at most: a connection idle for long may have been closed under us. */
	for (int attempt = 0; attempt < 2 && !ok; attempt++) {
		if (!lmtp_stage_ready(d, mailbox, st))
			break;
		if (stage_once(*st, mailbox, raw, meta, &id, &dup, &err) == 0) {
			ok = true;
			break;
		}
		store_close(st);
		if (!err.temporary || attempt == 1)
			log_db(mailbox, "cannot stage a message", &err);
	}
	free(meta);
	if (!ok) {
		lmtp_session_replies(s, "451 4.3.0 Database unavailable, try again later", out);
		return;
	}
	log_debug("lmtp: mailbox=%s %s inbound=%" PRId64 " recipients=%zu bytes=%zu", mailbox,
	          dup ? "already staged as" : "staged", id, s->n_rcpt, raw->len);
	snprintf(line, sizeof(line), "250 2.0.0 %s inbound %" PRId64, dup ? "Already staged as" :
	         "Staged as", id);
	lmtp_session_replies(s, line, out);
	if (raw->len >= STORE_RECYCLE_BYTES) {
		/* libpq's buffers grew to the message's size: give that memory back */
		if (store_recycle(*st, &err) < 0)
			store_close(st);
		malloc_trim(0);
	}
}
