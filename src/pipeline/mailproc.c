/*
 * mailproc.c: one staged mail through parse -> route -> correlate -> store.
 *
 * Routing: a new ticket takes the mailbox's defaults (tenant, queue,
 * priority), and the routing rules (rules.h) set fields over them, or drop
 * or quarantine the mail. Attachments go through the scanner (attach.h). Correlation: a Message-ID that
 * is already stored means the message was processed before (the same mail
 * through two mailboxes, or a replay): nothing new is written.
 *
 * Then loops and noise (loop.h): our own mail coming back is dropped; a
 * bounce is recorded on the ticket of the mail it returns and creates
 * nothing; auto-replies and list mail never create tickets nor get an
 * acknowledgement. Threading (convo.h, correlate.h) decides whether the
 * mail answers a ticket (reopen rules, agent commands) or starts one.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attach.h"
#include "config.h"
#include "convo.h"
#include "correlate.h"
#include "log.h"
#include "loop.h"
#include "mailproc.h"
#include "mime.h"
#include "quote.h"
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

/* Agents and our own addresses never become cc participants. */
static bool
customer_address(const struct config *cfg, const char *addr)
{
	return addr && *addr && !config_agent_by_email(cfg, addr) && !convo_is_our_address(cfg, addr);
}

static int
store_participants(const struct pipeline_ctx *pc, int64_t ticket_id, const char *requester,
                   const struct mime_msg *msg, struct tk_err *err)
{
	if (requester && store_participant_add(pc->st, ticket_id, requester, "requester", err) < 0)
		return -1;
	if (!requester && customer_address(pc->cfg, msg->from.addr) &&
	    store_participant_add(pc->st, ticket_id, msg->from.addr, "cc", err) < 0)
		return -1;
	for (size_t i = 0; i < msg->n_cc; i++)
		if (customer_address(pc->cfg, msg->cc[i].addr) &&
		    store_participant_add(pc->st, ticket_id, msg->cc[i].addr, "cc", err) < 0)
			return -1;
	return 0;
}

/* The message row for an inbound mail, with its attachments. */
static int
store_mail(struct pipeline_ctx *pc, const struct inbound_item *item, const struct mime_msg *msg,
           int64_t ticket_id, const char *visibility, const char *agent, const char *visible,
           struct tk_err *err)
{
	char *hdrs = headers_json(msg);
	struct message_new mn = {
		.ticket_id = ticket_id, .direction = "in", .visibility = visibility,
		.author = msg->from.addr, .agent = agent, .message_id = msg->message_id,
		.in_reply_to = msg->in_reply_to, .refs = (const char *const *)msg->references,
		.n_refs = msg->n_references, .subject = msg->subject, .headers_json = hdrs,
		.body_text = msg->text, .visible_text = visible, .inbound_id = item->id,
	};
	int64_t message_id = 0;
	int rc = store_message_insert(pc->st, &mn, &message_id, err) < 0 ||
	         attach_store_all(pc, ticket_id, message_id, msg, item->raw_len, NULL, err) < 0
	         ? -1 : 0;

	free(hdrs);
	return rc;
}

/* A field the rules set wins over the mailbox's default. */
#define PICK(rf, field, dflt) ((rf) && (rf)->field ? (rf)->field : (dflt))
#define MAILPROC_MAX_PARTICIPANTS 64

/* Requester first, then the customer addresses of From (if no requester) and Cc. */
static size_t
participants(const struct config *cfg, const char *requester, const struct mime_msg *msg,
             const char **addrs, const char **roles)
{
	size_t n = 0;

	if (requester) {
		addrs[n] = requester;
		roles[n++] = "requester";
	} else if (customer_address(cfg, msg->from.addr)) {
		addrs[n] = msg->from.addr;
		roles[n++] = "cc";
	}
	for (size_t i = 0; i < msg->n_cc && n < MAILPROC_MAX_PARTICIPANTS; i++) {
		if (customer_address(cfg, msg->cc[i].addr)) {
			addrs[n] = msg->cc[i].addr;
			roles[n++] = "cc";
		}
	}
	return n;
}

static int
link_follow_up(struct pipeline_ctx *pc, int64_t linked, int64_t ticket_id, struct tk_err *err)
{
	char old[24], new[24];

	snprintf(old, sizeof(old), "%" PRId64, linked);
	snprintf(new, sizeof(new), "%" PRId64, ticket_id);
	if (store_exec(pc->st, NULL, err, "UPDATE tickets SET linked_ticket_id = $2::bigint "
	               "WHERE id = $1::bigint", 2, new, old) < 0)
		return -1;
	return store_ticket_event(pc->st, linked, MAILPROC_ACTOR, "follow-up", NULL, new,
	                          "reply after the reopen window: new ticket linked", err);
}

/* Open a ticket with its first message in one statement, then its attachments. */
static int
new_ticket(struct pipeline_ctx *pc, const struct inbound_item *item, const struct mime_msg *msg,
           const struct rules_fields *rf, const char *visible, int64_t linked,
           struct pipeline_result *res, struct tk_err *err)
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
		.visible_text = visible, .inbound_id = item->id,
	};
	const char *addrs[MAILPROC_MAX_PARTICIPANTS], *roles[MAILPROC_MAX_PARTICIPANTS];
	size_t n_addrs = participants(pc->cfg, requester, msg, addrs, roles);
	int64_t number = 0, message_id = 0;
	int rc = -1;

	if (store_ticket_open(pc->st, &tn, &mn, addrs, roles, n_addrs, &res->ticket_id, &number,
	                      &message_id, err) < 0)
		goto out;
	if (why && store_ticket_event(pc->st, res->ticket_id, MAILPROC_ACTOR, "requester", NULL,
	                              NULL, why, err) < 0)
		goto out;
	if (attach_store_all(pc, res->ticket_id, message_id, msg, item->raw_len, NULL, err) < 0 ||
	    (linked && link_follow_up(pc, linked, res->ticket_id, err) < 0))
		goto out;
	log_debug("mail: inbound=%" PRId64 " ticket=%" PRId64 " number=%" PRId64, item->id,
	          res->ticket_id, number);
	rc = 0;
out:
	free(hdrs);
	return rc;
}

/*
 * Run the routing rules for a mail that starts a ticket. Returns the result
 * (caller frees), or NULL without rules; a drop or quarantine is put in res.
 */
static struct rules_result *
apply_rules(struct pipeline_ctx *pc, const struct inbound_item *item, const struct mime_msg *msg,
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

/* A mail that starts a ticket: rules, then the ticket and its acknowledgement. */
static int
start_ticket(struct pipeline_ctx *pc, const struct inbound_item *item, const struct mime_msg *msg,
             const char *visible, bool acknowledge, struct pipeline_result *res,
             struct tk_err *err)
{
	struct rules_result *rr = apply_rules(pc, item, msg, res);
	int rc = 0;

	if (!res->dropped && !res->quarantined)
		rc = new_ticket(pc, item, msg, rr ? &rr->fields : NULL, visible, 0, res, err) < 0 ||
		     convo_new_ticket(pc, item, msg, res->ticket_id, acknowledge, err) < 0 ? -1 : 0;
	rules_result_free(&rr);
	return rc;
}

static void
drop(struct pipeline_result *res, const struct inbound_item *item, const char *why)
{
	res->dropped = true;
	snprintf(res->drop_reason, sizeof(res->drop_reason), "%s", why);
	log_info("mail: inbound=%" PRId64 " dropped: %s", item->id, res->drop_reason);
}

static void
classify(const struct config *cfg, const struct mime_msg *msg, struct loop_verdict *v)
{
	struct loop_input in;

	loop_input_from_msg(msg, cfg->convo ? cfg->convo->address : NULL, &in);
	loop_classify(&in, v);
}

/* The visible part of the reply (quotes and signatures removed); caller frees. */
static char *
visible_text(const struct mime_msg *msg)
{
	char *visible = NULL, *quoted = NULL;

	if (msg->text_from_html && msg->html)
		quote_split_html(msg->html, strlen(msg->html), &visible, &quoted);
	else
		quote_split(msg->text, &visible, &quoted);
	free(quoted);
	return visible;
}

/* A mail that answers ticket m->ticket_id. */
static int
reply(struct pipeline_ctx *pc, const struct inbound_item *item, const struct mime_msg *msg,
      const struct convo_match *m, const char *visible, bool machine,
      struct pipeline_result *res, struct tk_err *err)
{
	struct convo_reply r;
	int rc = -1;

	if (convo_reply_decide(pc, msg, m, visible, machine, &r, err) < 0)
		return -1;
	if (r.action == CORR_NEW_LINKED) {
		rc = new_ticket(pc, item, msg, NULL, visible, m->ticket_id, res, err) < 0 ||
		     convo_new_ticket(pc, item, msg, res->ticket_id, true, err) < 0 ? -1 : 0;
		goto out;
	}
	res->ticket_id = m->ticket_id;
	if (store_mail(pc, item, msg, m->ticket_id, r.visibility, m->agent_trusted ? m->agent : NULL,
	               r.text, err) < 0 ||
	    (!m->agent_trusted && store_participants(pc, m->ticket_id, NULL, msg, err) < 0) ||
	    convo_reply_apply(pc, item, msg, m, &r, err) < 0)
		goto out;
	log_info("mail: inbound=%" PRId64 " threaded to ticket %" PRId64 " by %s (%s%s)", item->id,
	         m->ticket_id, corr_how_name((enum corr_how)m->how),
	         m->agent_trusted ? "agent, " : "", r.cmds ? "commands" : corr_action_name(r.action));
	rc = 0;
out:
	convo_reply_fini(&r);
	return rc;
}

static int
route(struct pipeline_ctx *pc, const struct inbound_item *item, const struct mime_msg *msg,
      struct pipeline_result *res, struct tk_err *err)
{
	struct loop_verdict v;
	struct convo_match m;
	char *visible = NULL;
	bool recorded = false;
	int rc = -1;

	classify(pc->cfg, msg, &v);
	if (v.cls == LOOP_OWN_LOOP) {
		drop(res, item, v.reason);
		return 0;
	}
	if (v.cls == LOOP_BOUNCE) {
		if (convo_bounce(pc, item, msg, &recorded, err) < 0)
			return -1;
		drop(res, item, recorded ? "bounce of our mail: recorded on its ticket" : v.reason);
		return 0;
	}
	visible = visible_text(msg);
	if (convo_match(pc, msg, &m, err) < 0)
		goto out;
	if (m.ticket_id)
		rc = reply(pc, item, msg, &m, visible, v.cls != LOOP_HUMAN, res, err);
	else if (v.cls != LOOP_HUMAN)
		rc = (drop(res, item, v.reason), 0);
	else
		rc = start_ticket(pc, item, msg, visible, !v.no_autoreply, res, err);
out:
	free(visible);
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
	if ((rc = route(pc, item, msg, res, err)) < 0 && res->error_kind == NULL)
		res->error_kind = "database";
out:
	mime_msg_free(&msg);
	return rc;
}
