/*
 * mailproc.c: one staged mail, top to bottom (mailproc_process()):
 *
 *   1. parse (mime.h); a Message-ID already stored with the same content is
 *      a replay: nothing new. The same ID with other content is kept as a
 *      new message that notes the reused ID (doc/conversations.md).
 *   2. classify (mailroute.h, loop.h): human, auto_reply, bounce, list,
 *      noreply or own_loop. In code, whatever the rules say: our own mail
 *      coming back is dropped; a bounce of our own mail is recorded on its
 *      ticket (convo.h) and creates nothing.
 *   3. correlate (convo.h, correlate.h): does the mail answer a ticket
 *      (token, References, subject tag)? A reply is stored on its ticket
 *      (reopen rules, agent commands); the routing rules do not run.
 *   4. route (mailroute.h): a mail that starts a ticket goes through the
 *      routing rules, which see the class as auto_class and may drop,
 *      quarantine or set fields over the mailbox's defaults.
 *   5. store the ticket, message and attachments (attach.h scans them), and
 *      notify: the acknowledgement, which automatic mail never gets.
 *
 * Decisions are pure functions elsewhere (mailroute.c, correlate.c);
 * this file sequences them and writes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "attach.h"
#include "config.h"
#include "convo.h"
#include "correlate.h"
#include "log.h"
#include "loop.h"
#include "mailproc.h"
#include "mailroute.h"
#include "metrics.h"
#include "mime.h"
#include "quote.h"
#include "rules.h"
#include "store.h"
#include "store_message.h"
#include "sla_config.h"
#include "sla_start.h"
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

/* One inbound mail as the steps below see it. */
struct mail {
	const struct inbound_item *item;
	struct mime_msg *msg;
	struct loop_verdict v;     /* the classifier's verdict */
	const char *stored_id;     /* Message-ID for messages.message_id; NULL when reused */
	const char *reused_id;     /* the reused Message-ID, or NULL */
	char *warning;             /* parse warnings and the reused-ID note, or NULL */
	char *text;                /* body as shown: text, then inline forwarded mails */
	char *visible;             /* visible part of a reply (quotes removed), then forwards */
};

/* The message row fields every inbound mail shares. */
static void
mail_row(const struct mail *m, char *hdrs, struct message_new *mn)
{
	const struct mime_msg *msg = m->msg;

	mn->direction = "in";
	mn->author = msg->from.addr;
	mn->message_id = m->stored_id;
	mn->reused_message_id = m->reused_id;
	mn->in_reply_to = msg->in_reply_to;
	mn->refs = (const char *const *)msg->references;
	mn->n_refs = msg->n_references;
	mn->subject = msg->subject;
	mn->headers_json = hdrs;
	mn->body_text = m->text;
	mn->visible_text = m->visible;
	mn->inbound_id = m->item->id;
	mn->parse_warning = m->warning;
	mn->content_sha256 = msg->content_sha256;
}

/* Attachments, and the warning as a ticket event where agents look. */
static int
mail_extras(struct pipeline_ctx *pc, const struct mail *m, int64_t ticket_id, int64_t message_id,
            struct tk_err *err)
{
	char clip[256], ref[64];

	if (attach_store_all(pc, ticket_id, message_id, m->msg, m->item->raw_len, NULL, err) < 0)
		return -1;
	if (m->warning == NULL)
		return 0;
	log_warn("mail: inbound %" PRId64 " (%s): %s", m->item->id,
	         store_ticket_ref(pc->st, ticket_id, ref, sizeof(ref)),
	         log_clip(clip, sizeof(clip), m->warning));
	return store_ticket_event(pc->st, ticket_id, MAILPROC_ACTOR, "mail-warning", NULL, NULL,
	                          m->warning, err);
}

/* The message row for an inbound mail, with its attachments. */
static int
store_mail(struct pipeline_ctx *pc, const struct mail *m, int64_t ticket_id,
           const char *visibility, const char *agent, const char *visible, struct tk_err *err)
{
	char *hdrs = headers_json(m->msg);
	struct message_new mn = { 0 };
	int64_t message_id = 0;
	int rc;

	mail_row(m, hdrs, &mn);
	mn.ticket_id = ticket_id;
	mn.visibility = visibility;
	mn.agent = agent;
	mn.visible_text = visible;
	rc = store_message_insert(pc->st, &mn, &message_id, err) < 0 ||
	     mail_extras(pc, m, ticket_id, message_id, err) < 0 ? -1 : 0;
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
new_ticket(struct pipeline_ctx *pc, const struct mail *m, const struct rules_fields *rf,
           int64_t linked, struct pipeline_result *res, struct tk_err *err)
{
	const struct mime_msg *msg = m->msg;
	const struct config_mailbox *mb = config_mailbox(pc->cfg, m->item->source);
	const char *why = NULL;
	const char *requester = pick_requester(pc->cfg, msg, &why);
	struct ticket_new tn = {
		.tenant = PICK(rf, tenant, mb ? mb->tenant : pc->cfg->default_tenant),
		.queue = PICK(rf, queue, mb ? mb->queue : NULL),
		.priority = PICK(rf, priority, mb ? mb->priority : NULL),
		.category = PICK(rf, category, NULL), .type = PICK(rf, type, NULL),
		.impact = PICK(rf, impact, NULL), .sla_policy = PICK(rf, sla_policy, NULL),
		.assignee = PICK(rf, assignee, NULL), .skill = PICK(rf, skill, NULL),
		.skill_level = rf ? rf->min_level : 0, .assign_mode = PICK(rf, assign_mode, NULL),
		.tags = rf ? (const char *const *)rf->tags : NULL, .n_tags = rf ? rf->n_tags : 0,
		.subject = msg->subject ? msg->subject : "(no subject)",
		.requester = requester, .source = m->item->source, .actor = MAILPROC_ACTOR,
	};
	struct sla_ticket_facts facts = {
		.tenant = tn.tenant, .priority = tn.priority ? tn.priority : "medium",
		.queue = tn.queue ? tn.queue : "support", .category = tn.category,
		.type = tn.type ? tn.type : "request", .policy = tn.sla_policy,
	};
	struct sla_start sla;
	char *hdrs = headers_json(msg);
	struct message_new mn = { 0 };
	const char *addrs[MAILPROC_MAX_PARTICIPANTS], *roles[MAILPROC_MAX_PARTICIPANTS];
	size_t n_addrs = participants(pc->cfg, requester, msg, addrs, roles);
	int64_t number = 0, message_id = 0;
	int rc = -1;

	sla_start_compute(pc->cfg->sla, &facts, (int64_t)time(NULL), &sla);
	tn.sla = &sla;
	mail_row(m, hdrs, &mn);
	mn.visibility = "public";
	if (store_ticket_open(pc->st, &tn, &mn, addrs, roles, n_addrs, &res->ticket_id, &number,
	                      &message_id, err) < 0)
		goto out;
	if (why && store_ticket_event(pc->st, res->ticket_id, MAILPROC_ACTOR, "requester", NULL,
	                              NULL, why, err) < 0)
		goto out;
	if (mail_extras(pc, m, res->ticket_id, message_id, err) < 0 ||
	    (linked && link_follow_up(pc, linked, res->ticket_id, err) < 0))
		goto out;
	{
		char ref[64], lref[64];

		store_ticket_ref(pc->st, res->ticket_id, ref, sizeof(ref));
		snprintf(res->outcome, sizeof(res->outcome), "created %s, queue %s, priority %s%s%s",
		         ref, tn.queue ? tn.queue : "-", tn.priority ? tn.priority : "medium",
		         linked ? ", a follow-up of " : "",
		         linked ? store_ticket_ref(pc->st, linked, lref, sizeof(lref)) : "");
	}
	res->created = true;
	rc = 0;
out:
	free(hdrs);
	return rc;
}

/* Why a mail of this class was dropped (ticketd_items_dropped_total). */
static int
drop_why(enum loop_class cls)
{
	switch (cls) {
	case LOOP_AUTO_REPLY: return MD_AUTO_REPLY;
	case LOOP_BOUNCE: return MD_BOUNCE;
	case LOOP_LIST: return MD_LIST;
	case LOOP_NOREPLY: return MD_NOREPLY;
	case LOOP_OWN_LOOP: return MD_LOOP;
	default: return MD_RULE;
	}
}

static void
drop(struct pipeline_result *res, const struct inbound_item *item, enum loop_class cls,
     const char *why)
{
	res->dropped = true;
	res->drop_why = drop_why(cls);
	snprintf(res->drop_reason, sizeof(res->drop_reason), "%s", why);
	(void)item;
}

/*
 * The envelope recipients the intake recorded in the item's meta
 * ("recipients": [...], LMTP and `ticketctl ingest --recipient`) into out,
 * borrowed from *meta_r (the caller json_decref()s it). How many.
 */
static size_t
meta_recipients(const char *meta, json_t **meta_r, const char **out, size_t max)
{
	const json_t *arr;
	size_t n = 0;

	*meta_r = meta ? json_loads(meta, 0, NULL) : NULL;
	arr = json_object_get(*meta_r, "recipients");
	for (size_t i = 0; i < json_array_size(arr) && n < max; i++)
		if (json_is_string(json_array_get(arr, i)))
			out[n++] = json_string_value(json_array_get(arr, i));
	return n;
}

/* A mail that starts a ticket: the routing decision, then the ticket and its acknowledgement. */
static int
start_ticket(struct pipeline_ctx *pc, const struct mail *m, struct pipeline_result *res,
             struct tk_err *err)
{
	const struct config_mailbox *mb = config_mailbox(pc->cfg, m->item->source);
	const char *rcpts[MAILROUTE_MAX_RECIPIENTS];
	json_t *meta = NULL;
	struct mailroute_in in = {
		.msg = m->msg, .source = mb ? config_mailbox_kind_name(mb->kind) : "mail",
		.mailbox = m->item->source,
		.sender_is_agent = config_agent_by_email(pc->cfg, m->msg->from.addr) != NULL,
		.recipients = rcpts,
		.n_recipients = meta_recipients(m->item->meta, &meta, rcpts, MAILROUTE_MAX_RECIPIENTS),
	};
	struct mailroute r;
	int rc = 0;

	mailroute_decide(pc->rules, &in, &m->v, 0, &r);
	json_decref(meta);
	if (r.action == MAILROUTE_TICKET) {
		rc = new_ticket(pc, m, r.rr ? &r.rr->fields : NULL, 0, res, err);
		if (rc == 0)
			rc = convo_new_ticket(pc, m->item, m->msg, m->text, res->ticket_id,
			                      r.acknowledge, err);
	} else {
		res->dropped = r.action == MAILROUTE_DROP;
		res->quarantined = r.action == MAILROUTE_QUARANTINE;
		res->drop_why = drop_why(m->v.cls);
		snprintf(res->drop_reason, sizeof(res->drop_reason), "%s", r.reason);
		snprintf(res->outcome, sizeof(res->outcome), "%s", r.reason);
	}
	mailroute_fini(&r);
	return rc;
}

/* The visible part of the reply (quotes and signatures removed); caller frees. */
static char *
visible_text(const struct mime_msg *msg)
{
	char *visible = NULL, *quoted = NULL, *shown;

	if (msg->text_from_html && msg->html)
		quote_split_html(msg->html, strlen(msg->html), &visible, &quoted);
	else
		quote_split(msg->text, &visible, &quoted);
	free(quoted);
	shown = mime_msg_shown_text(msg, visible ? visible : "");
	free(visible);
	return shown;
}

/*
 * Replies from machines become notes and never reopen. List mail is a
 * person writing through a list or group that forwards to us: its replies
 * count as the customer's.
 */
static bool
machine_written(const struct loop_verdict *v)
{
	return v->cls != LOOP_HUMAN && v->cls != LOOP_LIST;
}

/* A mail that answers ticket cm->ticket_id. */
static int
reply(struct pipeline_ctx *pc, const struct mail *m, const struct convo_match *cm,
      struct pipeline_result *res, struct tk_err *err)
{
	struct convo_reply r;
	int rc = -1;

	if (convo_reply_decide(pc, m->msg, cm, m->visible, machine_written(&m->v), &r, err) < 0)
		return -1;
	if (r.action == CORR_NEW_LINKED) {
		rc = new_ticket(pc, m, NULL, cm->ticket_id, res, err) < 0 ||
		     convo_new_ticket(pc, m->item, m->msg, m->text, res->ticket_id,
		                      m->v.cls == LOOP_HUMAN && !m->v.no_autoreply, err) < 0 ? -1 : 0;
		goto out;
	}
	res->ticket_id = cm->ticket_id;
	if (store_mail(pc, m, cm->ticket_id, r.visibility, cm->agent_trusted ? cm->agent : NULL,
	               r.text, err) < 0 ||
	    (!cm->agent_trusted && store_participants(pc, cm->ticket_id, NULL, m->msg, err) < 0) ||
	    convo_reply_apply(pc, m->item, m->msg, cm, &r, err) < 0)
		goto out;
	{
		char ref[64];

		snprintf(res->outcome, sizeof(res->outcome), "threaded onto %s by %s (%s%s)",
		         store_ticket_ref(pc->st, cm->ticket_id, ref, sizeof(ref)),
		         corr_how_name((enum corr_how)cm->how), cm->agent_trusted ? "agent, " : "",
		         r.cmds ? "commands" : corr_action_name(r.action));
	}
	rc = 0;
out:
	convo_reply_fini(&r);
	return rc;
}

/*
 * Was this mail stored before? 1: a replay (same Message-ID, same content):
 * nothing new. 0: go on; a Message-ID stored with other content is noted
 * and the mail kept as a message of its own. -1: error.
 */
static int
replayed(struct pipeline_ctx *pc, struct mail *m, struct pipeline_result *res, struct tk_err *err)
{
	const char *id = m->msg->message_id;
	int64_t existing = 0;
	int seen = store_message_seen(pc->st, id, m->msg->content_sha256, &existing, err);
	struct convo_ticket t;
	char *note, *all, clip[256], ref[64];

	m->stored_id = id;
	if (seen == 1) {
		snprintf(res->outcome, sizeof(res->outcome), "Message-ID already stored on %s with "
		         "the same content: nothing new",
		         store_ticket_ref(pc->st, existing, ref, sizeof(ref)));
		res->ticket_id = existing;
		res->drop_why = MD_DUPLICATE;
	}
	if (seen != 2)
		return seen;
	if (convo_ticket_load(pc->st, existing, &t, err) < 0)
		return -1;
	note = xasprintf("Message-ID <%s> was already used by another mail (on %s) with different "
	                 "content: kept as a message of its own", id, t.ref[0] ? t.ref : "a ticket");
	convo_ticket_fini(&t);
	all = m->warning ? xasprintf("%s; %s", m->warning, note) : xstrdup(note);
	free(m->warning);
	m->warning = all;
	log_warn("mail: inbound %" PRId64 ": %s", m->item->id, log_clip(clip, sizeof(clip), note));
	free(note);
	m->stored_id = NULL;
	m->reused_id = id;
	return 0;
}

/* Classify, then what stays in code: our own mail, bounces of our mail. Returns 1 when done. */
static int
classify(struct pipeline_ctx *pc, struct mail *m, struct pipeline_result *res, struct tk_err *err)
{
	bool recorded = false;

	mailroute_classify(m->msg, pc->cfg->convo ? pc->cfg->convo->address : NULL, &m->v);
	if (m->v.cls == LOOP_OWN_LOOP) {
		drop(res, m->item, m->v.cls, m->v.reason);
		return 1;
	}
	if (m->v.cls != LOOP_BOUNCE)
		return 0;
	if (convo_bounce(pc, m->item, m->msg, &recorded, err) < 0)
		return -1;
	if (recorded)
		drop(res, m->item, LOOP_BOUNCE, "bounce of our mail: recorded on its ticket");
	return recorded ? 1 : 0;
}

static int
process(struct pipeline_ctx *pc, struct mail *m, struct pipeline_result *res, struct tk_err *err)
{
	struct convo_match cm;
	int rc;

	if ((rc = replayed(pc, m, res, err)) != 0)            /* 1. parsed; a replay? */
		return rc < 0 ? -1 : 0;
	if ((rc = classify(pc, m, res, err)) != 0)            /* 2. classify */
		return rc < 0 ? -1 : 0;
	m->text = mime_msg_shown_text(m->msg, NULL);
	m->visible = visible_text(m->msg);
	if (convo_match(pc, m->msg, &cm, err) < 0)            /* 3. correlate */
		return -1;
	if (cm.ticket_id)
		return reply(pc, m, &cm, res, err);           /* 5. store, notify */
	return start_ticket(pc, m, res, err);                 /* 4. route; 5. store, notify */
}

int
mailproc_process(struct pipeline_ctx *pc, const struct inbound_item *item,
                 struct pipeline_result *res, struct tk_err *err)
{
	struct mail m = { .item = item };
	struct mime_limits lim = {
		.max_parts = (size_t)pc->cfg->max_parts, .max_depth = pc->cfg->max_depth,
	};
	int rc;

	if (mime_parse_limited(item->raw, item->raw_len, &lim, &m.msg, err) < 0) {
		res->error_kind = "parse";
		return -1;
	}
	if (m.msg->parts_left_out)
		log_warn("mail: inbound=%" PRId64 " %zu MIME parts left out (workers.max_parts %d, "
		         "max_depth %d); the text says so", item->id, m.msg->parts_left_out,
		         pc->cfg->max_parts, pc->cfg->max_depth);
	if (pipeline_budget(pc, "while it was parsed", err) < 0) {
		mime_msg_free(&m.msg);
		return -1;
	}
	m.warning = m.msg->warning ? xstrdup(m.msg->warning) : NULL;
	if ((rc = process(pc, &m, res, err)) < 0 && res->error_kind == NULL)
		res->error_kind = "database";
	free(m.warning);
	free(m.text);
	free(m.visible);
	mime_msg_free(&m.msg);
	return rc;
}
