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

#include "attach.h"
#include "config.h"
#include "log.h"
#include "mailproc.h"
#include "mime.h"
#include "rules.h"
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

/* A field the rules set wins over the mailbox's default. */
#define PICK(rf, field, dflt) ((rf) && (rf)->field ? (rf)->field : (dflt))

static int
new_ticket(struct pipeline_ctx *pc, const struct inbound_item *item, const struct mime_msg *msg,
           const struct rules_fields *rf, struct pipeline_result *res, struct tk_err *err)
{
	const struct config_mailbox *mb = config_mailbox(pc->cfg, item->source);
	const char *why = NULL;
	const char *requester = pick_requester(pc->cfg, msg, &why);
	struct ticket_new tn = {
		.tenant = PICK(rf, tenant, mb ? mb->tenant : pc->cfg->default_tenant),
		.queue = PICK(rf, queue, mb ? mb->queue : NULL),
		.priority = PICK(rf, priority, mb ? mb->priority : NULL),
		.category = PICK(rf, category, NULL), .type = PICK(rf, type, NULL),
		.impact = PICK(rf, impact, NULL), .sla_policy = PICK(rf, sla_policy, NULL),
		.assignee = PICK(rf, assignee, NULL), .skill = PICK(rf, skill, NULL),
		.skill_level = rf ? rf->min_level : 0,
		.tags = rf ? (const char *const *)rf->tags : NULL, .n_tags = rf ? rf->n_tags : 0,
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
	const char *addrs[64], *roles[64];
	size_t n_addrs = 0;
	int64_t number = 0, message_id = 0;
	int rc = -1;

	if (requester) {
		addrs[n_addrs] = requester;
		roles[n_addrs++] = "requester";
	}
	for (size_t i = 0; i < msg->n_cc && n_addrs < 64; i++) {
		if (msg->cc[i].addr == NULL)
			continue;
		addrs[n_addrs] = msg->cc[i].addr;
		roles[n_addrs++] = "cc";
	}
	if (store_ticket_open(pc->st, &tn, &mn, addrs, roles, n_addrs, &res->ticket_id, &number,
	                      &message_id, err) < 0)
		goto out;
	if (why && store_ticket_event(pc->st, res->ticket_id, MAILPROC_ACTOR, "requester", NULL,
	                              NULL, why, err) < 0)
		goto out;
	if (attach_store_all(pc, res->ticket_id, message_id, msg, item->raw_len, NULL, err) < 0)
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

/*
 * Run the routing rules. Returns the result (caller frees), or NULL without
 * rules. A drop or quarantine is recorded in res.
 */
static struct rules_result *
route(struct pipeline_ctx *pc, const struct inbound_item *item, const struct mime_msg *msg,
      struct pipeline_result *res)
{
	static const char *const kinds[] = { "maildir", "imap", "pipe" };
	const struct config_mailbox *mb = config_mailbox(pc->cfg, item->source);
	struct rules_input in;
	struct rules_result *rr;
	const char *rule;

	if (pc->rules == NULL)
		return NULL;
	rules_input_mail(&in, msg, mb ? kinds[mb->kind] : "mail", item->source,
	                 config_agent_by_email(pc->cfg, msg->from.addr) != NULL);
	rr = rules_eval(pc->rules, &in, 0);
	rule = rr->n_matched ? rr->matched[rr->n_matched - 1] : "?";
	if (rr->dropped || rr->quarantined) {
		res->dropped = rr->dropped;
		res->quarantined = rr->quarantined;
		snprintf(res->drop_reason, sizeof(res->drop_reason), "%s by rule %s: %s",
		         rr->dropped ? "dropped" : "quarantined", rule,
		         rr->dropped ? (rr->drop_reason ? rr->drop_reason : "")
		                     : (rr->quarantine_reason ? rr->quarantine_reason : ""));
		log_info("mail: inbound=%" PRId64 " %s", item->id, res->drop_reason);
	}
	return rr;
}

int
mailproc_process(struct pipeline_ctx *pc, const struct inbound_item *item,
                 struct pipeline_result *res, struct tk_err *err)
{
	struct mime_msg *msg = NULL;
	struct rules_result *rr = NULL;
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
	rr = route(pc, item, msg, res);
	if (res->dropped || res->quarantined) {
		rc = 0;
		goto out;
	}
	rc = new_ticket(pc, item, msg, rr ? &rr->fields : NULL, res, err);
out:
	rules_result_free(&rr);
	mime_msg_free(&msg);
	return rc;
}
