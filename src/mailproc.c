/*
 * mailproc.c: one staged mail through parse -> route -> correlate -> store.
 *
 * Routing here is the mailbox's defaults (tenant, queue, priority); the
 * routing rules refine it when configured. Correlation: a Message-ID that
 * is already stored means the message was processed before (the same mail
 * through two mailboxes, or a replay): nothing new is written.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "log.h"
#include "mailproc.h"
#include "mime.h"
#include "store.h"
#include "store_message.h"
#include "store_ticket.h"
#include "xalloc.h"

#define MAILPROC_ACTOR "mail"

/* Headers as a JSON array of [name, value] (caller frees). */
static char *
headers_json(const struct mime_msg *msg)
{
	json_t *arr = json_array();
	char *s;

	for (size_t i = 0; i < msg->n_headers; i++)
		json_array_append_new(arr, json_pack("[ss]", msg->headers[i].name,
		                                     msg->headers[i].value ? msg->headers[i].value : ""));
	s = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return s;
}

/* The requester: From, unless it is an agent (then Reply-To if not an agent). */
static const char *
pick_requester(const struct config *cfg, const struct mime_msg *msg, const char **why_r)
{
	*why_r = NULL;
	if (msg->from.addr && !config_agent_by_email(cfg, msg->from.addr))
		return msg->from.addr;
	for (size_t i = 0; i < msg->n_reply_to; i++)
		if (!config_agent_by_email(cfg, msg->reply_to[i].addr))
			return msg->reply_to[i].addr;
	if (msg->from.addr)
		*why_r = "sender is an agent: no requester set";
	return NULL;
}

static int
store_attachments(struct store *st, int64_t message_id, const struct mime_msg *msg,
                  struct tk_err *err)
{
	for (size_t i = 0; i < msg->n_attachments; i++) {
		const struct mime_attachment *a = &msg->attachments[i];
		struct attachment_new an = {
			.message_id = message_id, .filename = a->filename,
			.content_type = a->content_type, .disposition = a->disposition,
			.content_id = a->content_id, .data = a->data, .size = a->size,
			.sha256 = a->sha256, .scan_status = "unscanned", .store_body = true,
		};

		if (store_attachment_insert(st, &an, NULL, err) < 0)
			return -1;
	}
	return 0;
}

static int
store_participants(struct store *st, int64_t ticket_id, const char *requester,
                   const struct mime_msg *msg, struct tk_err *err)
{
	if (requester && store_participant_add(st, ticket_id, requester, "requester", err) < 0)
		return -1;
	for (size_t i = 0; i < msg->n_cc; i++)
		if (store_participant_add(st, ticket_id, msg->cc[i].addr, "cc", err) < 0)
			return -1;
	return 0;
}

static int
new_ticket(struct pipeline_ctx *pc, const struct inbound_item *item, const struct mime_msg *msg,
           struct pipeline_result *res, struct tk_err *err)
{
	const struct config_mailbox *mb = config_mailbox(pc->cfg, item->source);
	const char *why = NULL;
	const char *requester = pick_requester(pc->cfg, msg, &why);
	struct ticket_new tn = {
		.tenant = mb ? mb->tenant : pc->cfg->default_tenant,
		.queue = mb ? mb->queue : NULL,
		.priority = mb ? mb->priority : NULL,
		.subject = msg->subject ? msg->subject : "(no subject)",
		.requester = requester, .source = item->source, .actor = MAILPROC_ACTOR,
	};
	char *hdrs = headers_json(msg);
	struct message_new mn = {
		.direction = "in", .visibility = "public", .author = msg->from.addr,
		.message_id = msg->message_id, .in_reply_to = msg->in_reply_to,
		.refs = (const char *const *)msg->references, .n_refs = msg->n_references,
		.subject = msg->subject, .headers_json = hdrs, .body_text = msg->text,
		.inbound_id = item->id,
	};
	int64_t number = 0, message_id = 0;
	int rc = -1;

	if (store_ticket_create(pc->st, &tn, &res->ticket_id, &number, err) < 0)
		goto out;
	mn.ticket_id = res->ticket_id;
	if (why && store_ticket_event(pc->st, res->ticket_id, MAILPROC_ACTOR, "requester", NULL,
	                              NULL, why, err) < 0)
		goto out;
	if (store_message_insert(pc->st, &mn, &message_id, err) < 0 ||
	    store_attachments(pc->st, message_id, msg, err) < 0 ||
	    store_participants(pc->st, res->ticket_id, requester, msg, err) < 0)
		goto out;
	log_debug("mail: inbound=%" PRId64 " ticket=%" PRId64 " number=%" PRId64, item->id,
	          res->ticket_id, number);
	rc = 0;
out:
	free(hdrs);
	if (rc < 0)
		res->error_kind = "database";
	return rc;
}

int
mailproc_process(struct pipeline_ctx *pc, const struct inbound_item *item,
                 struct pipeline_result *res, struct tk_err *err)
{
	struct mime_msg *msg = NULL;
	int64_t existing = 0;
	int rc = -1, found;

	if (mime_parse(item->raw, item->raw_len, &msg, err) < 0) {
		res->error_kind = "parse";
		return -1;
	}
	found = store_message_ticket(pc->st, msg->message_id, &existing, err);
	if (found < 0) {
		res->error_kind = "database";
		goto out;
	}
	if (found) {
		log_info("mail: inbound=%" PRId64 " Message-ID already stored on ticket %" PRId64
		         "; nothing new", item->id, existing);
		res->ticket_id = existing;
		rc = 0;
		goto out;
	}
	rc = new_ticket(pc, item, msg, res, err);
out:
	mime_msg_free(&msg);
	return rc;
}
