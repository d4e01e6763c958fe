/*
 * ctl_comment.c: `ticketctl comment NUMBER --public|--internal [FILE]`: an
 * admin answers or notes from the shell. The text (FILE, or standard
 * input) is stored as a message of the ticket; a public one goes out to
 * the requester and the other participants exactly as an agent's email
 * reply does (convo_relay_reply(): one mail each, threaded under the
 * customer's last mail, and the SLA's first response); either one
 * acknowledges the ticket. One transaction: all of it or nothing.
 */
/* System. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* ticketd. */
#include "buf.h"
#include "config.h"
#include "convo.h"
#include "ctl.h"
#include "store.h"
#include "store_message.h"
#include "store_ticket.h"
#include "xalloc.h"

#define COMMENT_MAX (1024 * 1024)

/* The text, without trailing blank lines; CTL_OK or CTL_USAGE (printed). */
static int
read_text(const char *path, struct buf *b)
{
	bool in = path == NULL || strcmp(path, "-") == 0;

	buf_init(b, COMMENT_MAX);
	if ((in ? buf_read_fd(b, STDIN_FILENO) : buf_read_file(b, path)) < 0) {
		fprintf(stderr, "ticketctl: comment: %s: %s\n", in ? "standard input" : path,
		        errno == EFBIG ? "longer than 1 MiB" : strerror(errno));
		return CTL_USAGE;
	}
	while (b->len > 0 && (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == '\r' ||
	                      b->data[b->len - 1] == ' '))
		b->len--;
	if (b->len == 0 || memchr(b->data, '\0', b->len)) {
		fprintf(stderr, "ticketctl: comment: the text is %s\n", b->len ? "not text" : "empty");
		return CTL_USAGE;
	}
	(void)buf_putc(b, '\0');
	b->len--;
	return CTL_OK;
}

/* The customer's last mail on the ticket (what a public answer replies to); caller frees. */
static char *
last_inbound(struct store *st, int64_t id, struct tk_err *err)
{
	PGresult *res = NULL;
	char sid[24], *mid = NULL;

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	if (store_exec(st, &res, err, "SELECT message_id FROM messages WHERE ticket_id = $1::bigint "
	               "AND direction = 'in' AND message_id IS NOT NULL ORDER BY id DESC LIMIT 1",
	               1, sid) == 0 && PQntuples(res) == 1)
		mid = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return mid;
}

static int
store_comment(struct store *st, const struct config *cfg, int64_t id, bool public,
              const char *text, struct tk_err *err)
{
	struct convo_ticket t = { 0 };
	char actor[128], *mid = NULL, *key = NULL;
	const char *user;
	int64_t msg_id = 0;
	int rc = -1;

	ctl_actor(actor, sizeof(actor));
	user = strchr(actor, ':') + 1;
	if (convo_ticket_load(st, id, &t, err) <= 0)
		return -1;
	struct message_new mn = {
		.ticket_id = id, .direction = "out", .visibility = public ? "public" : "internal",
		.author = actor, .subject = t.subject, .body_text = text,
	};
	if (store_message_insert(st, &mn, &msg_id, err) < 0 ||
	    store_ticket_event(st, id, actor, public ? "comment" : "note", NULL, NULL,
	                       public ? "public answer from ticketctl" : "internal note from ticketctl",
	                       err) < 0 ||
	    store_ticket_ack(st, id, actor, "ticketctl comment", false, NULL, err) < 0)
		goto out;
	if (public && cfg) {
		key = xasprintf("comment:%" PRId64, msg_id);
		mid = last_inbound(st, id, err);
		struct convo_relay rl = { .key = key, .in_reply_to = mid, .author = user, .text = text };

		if (convo_relay_reply(st, cfg, &t, &rl, err) < 0)
			goto out;
	} else if (public) {
		char sid[24];

		/* no configuration (TICKETD_DSN alone): no mail, but still the first response */
		snprintf(sid, sizeof(sid), "%" PRId64, id);
		if (store_exec(st, NULL, err, "UPDATE tickets SET first_response_at = coalesce("
		               "first_response_at, now()), updated_at = now() WHERE id = $1::bigint",
		               1, sid) < 0)
			goto out;
	}
	rc = 0;
out:
	free(mid);
	free(key);
	convo_ticket_fini(&t);
	return rc;
}

static int
comment(const struct ctl_args *a)
{
	const char *tenant = ctl_str(a, "tenant") ? ctl_str(a, "tenant") : "default";
	bool public = ctl_flag(a, "public");
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	struct buf text;
	int64_t id = 0;
	int rc;

	if (public == ctl_flag(a, "internal"))
		return ctl_usage_error(a->cmd, "say --public (to the customer) or --internal (a note)");
	if ((rc = read_text(a->n_pos > 1 ? a->pos[1] : NULL, &text)) != CTL_OK)
		goto done;
	if ((rc = ctl_open_args(a, &cfg, &st)) != CTL_OK)
		goto done;
	if (store_begin(st, &err) < 0)
		rc = ctl_db_error(&err);
	if (rc == CTL_OK)
		rc = ctl_ticket_find(st, tenant, a->pos[0], &id);
	if (rc == CTL_OK && (store_comment(st, cfg, id, public, text.data, &err) < 0 ||
	                     store_commit(st, &err) < 0))
		rc = ctl_db_error(&err);
	if (rc == CTL_OK)
		printf("%s: %s\n", a->pos[0], public ? "answered (mailed to the participants)" :
		                                        "internal note added");
	store_rollback(st);
	store_close(&st);
	config_unref(&cfg);
done:
	buf_fini(&text);
	return rc;
}

static const struct ctl_opt comment_opts[] = {
	{ "public", 0, CTL_FLAG, NULL, "an answer: mailed to the requester and the participants" },
	{ "internal", 0, CTL_FLAG, NULL, "a note for agents only" },
	{ "tenant", 0, CTL_STR, "T", "the ticket's tenant (default: default)", NULL,
	  CTL_CHECK_TENANT },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_comment = {
	.name = "comment", .args = "NUMBER [FILE|-]", .min_pos = 1, .max_pos = 2,
	.opts = comment_opts, .run = comment,
	.summary = "answer (--public) or note (--internal) on a ticket; the text from FILE or stdin",
};
