/*
 * convo_in.c: what an inbound mail does to the conversation once it is
 * parsed: which ticket it answers (correlate.h order: token, references,
 * subject tag from a participant), whether its sender is a trusted agent
 * (an agent's address AND a valid token bound to that address AND, when
 * configured, our authserv-id's DKIM/DMARC pass), the reopen rules, agent
 * commands, the mail that follows, and bounces of our own mail.
 */
/* System. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
/* ticketd. */
#include "agent.h"
#include "agentcmd.h"
#include "buf.h"
#include "config.h"
#include "convo.h"
#include "correlate.h"
#include "csat.h"
#include "lifecycle.h"
#include "log.h"
#include "loop.h"
#include "mime.h"
#include "pipeline.h"
#include "store_message.h"
#include "sla_config.h"
#include "store_ticket.h"
#include "token.h"
#include "xalloc.h"

#define CONVO_ACTOR "mail"
#define MAX_IDS 64

/* Check one address for a token bound to from; the ticket id or 0. */
static int64_t
token_in(const struct config *cfg, const char *addr, const char *from)
{
	const struct convo_config *c = cfg->convo;
	char *tok = corr_plus_token(addr, c->local, c->domain);
	struct tk_err err = { 0 };
	uint64_t id = 0;

	if (tok == NULL)
		return 0;
	if (from == NULL || token_check_any(c->secrets, c->n_secrets, tok, from, &id, &err) < 0)
		id = 0;
	free(tok);
	return (int64_t)id;
}

/* The ticket a valid token (bound to From) names, from To, Cc, Delivered-To, X-Original-To. */
static int64_t
find_token(const struct config *cfg, const struct mime_msg *msg, bool *seen_r)
{
	int64_t id = 0;

	*seen_r = false;
	if (cfg->convo == NULL || cfg->convo->n_secrets == 0)
		return 0;
	for (size_t i = 0; i < msg->n_to && id == 0; i++) {
		*seen_r |= convo_is_our_address(cfg, msg->to[i].addr) && strchr(msg->to[i].addr, '+');
		id = token_in(cfg, msg->to[i].addr, msg->from.addr);
	}
	for (size_t i = 0; i < msg->n_cc && id == 0; i++) {
		*seen_r |= convo_is_our_address(cfg, msg->cc[i].addr) && strchr(msg->cc[i].addr, '+');
		id = token_in(cfg, msg->cc[i].addr, msg->from.addr);
	}
	for (size_t i = 0; i < msg->n_headers && id == 0; i++) {
		const struct mime_header *h = &msg->headers[i];
		char *a;

		if (strcasecmp(h->name, "Delivered-To") != 0 && strcasecmp(h->name, "X-Original-To") != 0)
			continue;
		a = xstrdup(h->value ? h->value : "");
		a[strcspn(a, " \t<>")] = '\0';
		*seen_r |= convo_is_our_address(cfg, a) && strchr(a, '+');
		id = token_in(cfg, a, msg->from.addr);
		free(a);
	}
	return id;
}

/* The ticket holding the newest referenced Message-ID (in or out), or 0. */
static int
find_references(struct store *st, const struct mime_msg *msg, int64_t *id_r, struct tk_err *err)
{
	const char *ids[MAX_IDS];
	size_t n = 0;
	char *arr;
	PGresult *res = NULL;

	*id_r = 0;
	if (msg->in_reply_to)
		ids[n++] = msg->in_reply_to;
	for (size_t i = msg->n_references; i > 0 && n < MAX_IDS; i--)
		ids[n++] = msg->references[i - 1];
	if (n == 0)
		return 0;
	arr = store_text_array(ids, n);
	if (store_exec(st, &res, err,
	               STORE_CUSTOM_PLAN "SELECT ticket_id FROM (SELECT ticket_id, message_id FROM messages "
	               "WHERE message_id = ANY($1::text[]) UNION ALL SELECT ticket_id, message_id "
	               "FROM outbox WHERE message_id = ANY($1::text[]) AND ticket_id IS NOT NULL) x "
	               "ORDER BY array_position($1::text[], message_id) LIMIT 1", 1, arr) < 0) {
		free(arr);
		return -1;
	}
	free(arr);
	if (PQntuples(res) > 0)
		*id_r = store_int(res, 0, 0);
	PQclear(res);
	return 0;
}

/* The ticket the subject tag names, and whether the sender takes part in it. */
static int
find_tag(struct store *st, const struct mime_msg *msg, struct corr_candidates *c,
         struct tk_err *err)
{
	char prefix[24], num[24];
	int64_t number;
	PGresult *res = NULL;

	if (!corr_subject_tag(msg->subject, prefix, sizeof(prefix), &number) || msg->from.addr == NULL)
		return 0;
	snprintf(num, sizeof(num), "%" PRId64, number);
	if (store_exec(st, &res, err,
	               "SELECT t.id, EXISTS (SELECT 1 FROM ticket_participants p WHERE "
	               "p.ticket_id = t.id AND p.address = lower($3)) OR lower(t.requester) = lower($3) "
	               "FROM tickets t JOIN tenants n ON n.id = t.tenant_id "
	               "WHERE upper(n.ticket_prefix) = $1 AND t.number = $2::bigint "
	               "ORDER BY 2 DESC, t.id LIMIT 1", 3, prefix, num, msg->from.addr) < 0)
		return -1;
	if (PQntuples(res) > 0) {
		c->tag_ticket = store_int(res, 0, 0);
		c->tag_sender_participant = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	}
	PQclear(res);
	return 0;
}

static int
ticket_exists(struct store *st, int64_t id, struct tk_err *err)
{
	char sid[24];
	PGresult *res = NULL;
	int found;

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	if (store_exec(st, &res, err, "SELECT 1 FROM tickets WHERE id = $1::bigint", 1, sid) < 0)
		return -1;
	found = PQntuples(res) > 0;
	PQclear(res);
	return found;
}

/*
 * A ticket merged into another (ticketctl merge) hands its mail on: *id
 * becomes the ticket it was merged into, and a token for the old ticket
 * counts for the new one.
 */
static int
follow_merged(struct store *st, int64_t *id, int64_t *token_ticket, struct tk_err *err)
{
	PGresult *res = NULL;
	char sid[24];
	int64_t to;

	snprintf(sid, sizeof(sid), "%" PRId64, *id);
	if (store_exec(st, &res, err,
	               "WITH RECURSIVE c (id, next, depth) AS (SELECT id, merged_into_id, 0 FROM "
	               "tickets WHERE id = $1::bigint UNION ALL SELECT t.id, t.merged_into_id, "
	               "c.depth + 1 FROM tickets t JOIN c ON t.id = c.next WHERE c.depth < 8) "
	               "SELECT id FROM c ORDER BY depth DESC LIMIT 1", 1, sid) < 0)
		return -1;
	to = PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : *id;
	PQclear(res);
	if (*token_ticket == *id)
		*token_ticket = to;
	*id = to;
	return 0;
}

/* Decide whether an agent's From is trusted for this match. */
static void
agent_trust(const struct config *cfg, const struct mime_msg *msg, int64_t token_ticket,
            struct convo_match *m)
{
	const struct convo_config *c = cfg->convo;

	if (!m->from_agent)
		return;
	if (token_ticket == 0 || token_ticket != m->ticket_id) {
		snprintf(m->why, sizeof(m->why), "From is agent %s but no valid reply token bound to "
		         "that address: handled as a customer message", m->agent);
		return;
	}
	if (c->authserv_id &&
	    !corr_auth_pass(msg->headers, msg->n_headers, c->authserv_id, c->require_dkim,
	                    c->require_dmarc)) {
		snprintf(m->why, sizeof(m->why), "agent %s: Authentication-Results from %.60s did not "
		         "pass: handled as a customer message", m->agent, c->authserv_id);
		return;
	}
	m->agent_trusted = true;
}

int
convo_match(struct pipeline_ctx *pc, const struct mime_msg *msg, struct convo_match *m,
            struct tk_err *err)
{
	const struct config_agent *agent = config_agent_by_email(pc->cfg, msg->from.addr);
	struct corr_candidates c = { 0 };
	bool seen = false;
	int ex;

	memset(m, 0, sizeof(*m));
	m->from_agent = agent != NULL;
	m->agent = agent ? agent->name : NULL;
	c.token_ticket = find_token(pc->cfg, msg, &seen);
	if (c.token_ticket && (ex = ticket_exists(pc->st, c.token_ticket, err)) <= 0) {
		if (ex < 0)
			return -1;
		c.token_ticket = 0;
	}
	if (find_references(pc->st, msg, &c.ref_ticket, err) < 0 || find_tag(pc->st, msg, &c, err) < 0)
		return -1;
	m->how = corr_pick(&c, &m->ticket_id);
	if (m->ticket_id && follow_merged(pc->st, &m->ticket_id, &c.token_ticket, err) < 0)
		return -1;
	m->token_proven = c.token_ticket != 0 && c.token_ticket == m->ticket_id;
	if (pc->cfg->convo != NULL)
		agent_trust(pc->cfg, msg, c.token_ticket, m);
	else if (m->from_agent)
		snprintf(m->why, sizeof(m->why), "From is agent %s but reply tokens are not configured: "
		         "handled as a customer message", m->agent);
	if (seen && c.token_ticket == 0)
		log_info("mail: a reply token in the recipients did not verify for the sender");
	if (m->ticket_id && log_enabled(LOG_LVL_DEBUG)) {
		char ref[64];

		log_debug("mail: threading: %s %s", corr_how_name((enum corr_how)m->how),
		          store_ticket_ref(pc->st, m->ticket_id, ref, sizeof(ref)));
	} else {
		log_debug("mail: threading: %s", corr_how_name((enum corr_how)m->how));
	}
	return 0;
}

static char *
errlist_text(const struct tk_errlist *el)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < el->n; i++)
		(void)buf_printf(&b, "%s\n", el->items[i]);
	return buf_steal(&b, NULL);
}

static bool
has_note(const struct agentcmd_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->cmds[i].kind == AGENTCMD_NOTE)
			return true;
	return false;
}

/* The lifecycle status an agent's "#status X" means for a ticket now in from (lifecycle.h). */
static const char *
agent_status(const char *want, const char *from)
{
	return lc_status_requested(want, from);
}

static const struct config_agent *
agent_named(const struct config *cfg, const char *name)
{
	const struct config_agent *a = config_agent_by_name(cfg, name);

	return a ? a : config_agent_by_email(cfg, name);
}

/* Check every command before any is applied; errors go to el. */
static void
agent_validate(const struct config *cfg, const char *agent, const struct convo_reply *r,
               const struct agentcmd_list *l, struct tk_errlist *el)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct agentcmd *c = &l->cmds[i];
		struct tk_err terr = { 0 };
		enum lc_status from, to;
		int64_t until;

		if (c->kind == AGENTCMD_STATUS &&
		    (lc_status_parse(r->t.status, &from) < 0 ||
		     lc_status_parse(agent_status(c->arg, r->t.status), &to) < 0 ||
		     (from != to && !lc_allowed(from, to))))
			tk_errlist_add(el, "reply", c->line, 0, "#status %s: a %s ticket cannot become %s",
			               c->arg, r->t.status, c->arg);
		if (c->kind == AGENTCMD_STATE && c->until &&
		    agent_until(cfg, agent, c->until, &until, &terr) < 0)
			tk_errlist_add(el, "reply", c->line, 0, "#%s until: %s", c->arg, terr.msg);
		if (c->kind == AGENTCMD_ASSIGN && strcmp(c->arg, "none") != 0 &&
		    strcmp(c->arg, "auto") != 0 && !agent_named(cfg, c->arg))
			tk_errlist_add(el, "reply", c->line, 0, "#assign %s: no such agent", c->arg);
	}
}

static void
decide_agent(struct pipeline_ctx *pc, const char *agent, const char *visible,
             struct convo_reply *r)
{
	struct agentcmd_list *l = xnew(struct agentcmd_list);

	r->cmds = l;
	r->action = CORR_APPEND;
	if (agentcmd_parse(visible, l) == 0)
		agent_validate(pc->cfg, agent, r, l, &l->errs);
	r->cmd_error = l->errs.n > 0;
	r->text = xstrdup(l->text ? l->text : "");
	r->visibility = r->cmd_error || has_note(l) ? "internal" : "public";
	if (r->cmd_error)
		r->errors = errlist_text(&l->errs);
}

/* Attachments a person attached (not inline images such as signature logos). */
static size_t
user_attachments(const struct mime_msg *msg)
{
	size_t n = 0;

	for (size_t i = 0; i < msg->n_attachments; i++)
		n += !msg->attachments[i].is_inline;
	return n;
}

int
convo_reply_decide(struct pipeline_ctx *pc, const struct mime_msg *msg,
                   const struct convo_match *m, const char *visible, bool machine,
                   struct convo_reply *r, struct tk_err *err)
{
	int found;

	memset(r, 0, sizeof(*r));
	if ((found = convo_ticket_load(pc->st, m->ticket_id, &r->t, err)) <= 0)
		return found < 0 ? -1 : tk_err_set(err, "ticket %" PRId64 " vanished", m->ticket_id);
	if (m->agent_trusted && !machine) {
		decide_agent(pc, m->agent, visible, r);
		return 0;
	}
	if (!machine && m->token_proven &&
	    csat_reply_rating(pc->cfg, r->t.status, r->t.done_at, visible, &r->rating,
	                      &r->rating_comment)) {
		r->action = CORR_NOTE;   /* a rating: kept as a note, never a reopen */
		r->visibility = "internal";
		r->text = xstrdup(visible ? visible : "");
		return 0;
	}
	{
		struct corr_reply cr = {
			.status = r->t.status, .done_at = (time_t)r->t.done_at, .now = time(NULL),
			.reopen_window_s = pc->cfg->convo ? pc->cfg->convo->reopen_window_ms / 1000
			                                  : 14 * 86400,
			.auto_reply = machine,
			.thanks_only = loop_is_thanks_only(visible, user_attachments(msg)),
		};

		r->action = corr_customer_reply(&cr);
	}
	r->visibility = r->action == CORR_NOTE ? "internal" : "public";
	r->text = xstrdup(visible ? visible : "");
	return 0;
}

void
convo_reply_fini(struct convo_reply *r)
{
	convo_ticket_fini(&r->t);
	xfree(&r->text);
	xfree(&r->errors);
	xfree(&r->rating_comment);
	if (r->cmds) {
		agentcmd_list_fini(r->cmds);
		xfree(&r->cmds);
	}
}

/* References for our answer to msg: its references, then its Message-ID. */
static size_t
answer_refs(const struct mime_msg *msg, const char **refs, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < msg->n_references && n + 1 < max; i++)
		refs[n++] = msg->references[i];
	if (msg->message_id && n < max)
		refs[n++] = msg->message_id;
	return n;
}

static int
apply_agent_cmds(struct pipeline_ctx *pc, const struct inbound_item *item,
                 const struct convo_match *m, struct convo_reply *r, struct tk_err *err)
{
	const struct agentcmd_list *l = r->cmds;
	char *actor = xasprintf("agent:%s", m->agent);
	char suffix[32];
	size_t ticket_cmds = 0;
	int rc = -1;

	snprintf(suffix, sizeof(suffix), "in%" PRId64, item->id);
	for (size_t i = 0; i < l->n; i++) {
		const struct agentcmd *c = &l->cmds[i];
		const char *st = c->kind == AGENTCMD_STATUS ? agent_status(c->arg, r->t.status) : NULL;

		if (c->kind == AGENTCMD_STATUS &&
		    (store_ticket_set_status(pc->st, r->t.id, st, actor, "by email", NULL, err) < 0 ||
		     convo_notify_status(pc->st, pc->cfg, r->t.id, st, suffix, err) < 0))
			goto out;
		if (c->kind == AGENTCMD_PRIORITY &&
		    store_ticket_set_priority(pc->st, r->t.id, c->arg, actor, err) < 0)
			goto out;
		if (c->kind == AGENTCMD_ASSIGN &&
		    store_ticket_set_assignee(pc->st, r->t.id, strcmp(c->arg, "none") == 0 ||
		                              strcmp(c->arg, "auto") == 0 ? c->arg :
		                              agent_named(pc->cfg, c->arg)->name, actor,
		                              "#assign by email", err) < 0)
			goto out;
		if (c->kind == AGENTCMD_ACK &&
		    store_ticket_ack(pc->st, r->t.id, actor, "#ack by email", true, NULL, err) < 0)
			goto out;
		if (c->kind == AGENTCMD_STATE &&
		    agent_state_by_mail(pc->st, pc->cfg, m->agent, c->arg, c->until, actor, err) < 0)
			goto out;
		ticket_cmds += c->kind != AGENTCMD_STATE;
	}
	/* Any proven agent action on the ticket acknowledges it (doc/sla.md); the
	 * agent's own state is not an action on the ticket. */
	if ((ticket_cmds > 0 || strcmp(r->visibility, "public") == 0) &&
	    store_ticket_ack(pc->st, r->t.id, actor, "agent reply by email", false, NULL, err) < 0)
		goto out;
	rc = 0;
out:
	free(actor);
	return rc;
}

/* {{author}} for an agent: the display name, else the login name. */
static const char *
agent_display(const struct config *cfg, const char *name)
{
	const struct config_agent *a = name ? config_agent_by_name(cfg, name) : NULL;

	return a && a->display_name && *a->display_name ? a->display_name : name;
}

int
convo_relay_reply(struct store *st, const struct config *cfg, const struct convo_ticket *t,
                  const struct convo_relay *rl, struct tk_err *err)
{
	char sid[24];
	PGresult *res = NULL;
	int rc = -1;

	snprintf(sid, sizeof(sid), "%" PRId64, t->id);
	if (store_exec(st, &res, err,
	               "SELECT DISTINCT address FROM (SELECT lower(requester) AS address FROM tickets "
	               "WHERE id = $1::bigint AND requester IS NOT NULL UNION SELECT address FROM "
	               "ticket_participants WHERE ticket_id = $1::bigint AND role <> 'agent') x "
	               "ORDER BY 1", 1, sid) < 0)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		const char *to = PQgetvalue(res, i, 0);
		char *key;
		int one;

		if (config_agent_by_email(cfg, to) || convo_is_our_address(cfg, to))
			continue;
		key = xasprintf("%s:%s", rl->key, to);
		{
			struct convo_out o = {
				.tmpl = CT_REPLY, .ticket = t, .to = to, .idem = key,
				.in_reply_to = rl->in_reply_to, .refs = rl->refs, .n_refs = rl->n_refs,
				.agent = rl->agent, .text = rl->text, .author_name = rl->author,
			};

			one = convo_send(st, cfg, &o, err);
		}
		free(key);
		if (one < 0)
			goto out;
	}
	rc = store_exec(st, NULL, err, "UPDATE tickets SET first_response_at = "
	                "coalesce(first_response_at, now()), updated_at = now() WHERE id = $1::bigint",
	                1, sid);
out:
	PQclear(res);
	return rc;
}

/* The agent's public reply goes to the requester and every other participant. */
static int
relay_agent_reply(struct pipeline_ctx *pc, const struct inbound_item *item,
                  const struct mime_msg *msg, const struct convo_match *m, struct convo_reply *r,
                  struct tk_err *err)
{
	const char *refs[MAX_IDS];
	char *key = xasprintf("reply:%" PRId64, item->id);
	struct convo_relay rl = {
		.key = key, .in_reply_to = msg->message_id, .refs = refs,
		.n_refs = answer_refs(msg, refs, MAX_IDS), .agent = m->agent,
		.author = agent_display(pc->cfg, m->agent), .text = r->text,
	};
	int rc = convo_relay_reply(pc->st, pc->cfg, &r->t, &rl, err);

	free(key);
	return rc;
}

static bool
text_blank(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return false;
	return true;
}

static int
apply_agent(struct pipeline_ctx *pc, const struct inbound_item *item, const struct mime_msg *msg,
            const struct convo_match *m, struct convo_reply *r, struct tk_err *err)
{
	char *key;
	int rc;

	if (r->cmd_error) {
		const struct config_agent *a = config_agent_by_name(pc->cfg, m->agent);
		const char *refs[MAX_IDS];
		size_t nrefs = answer_refs(msg, refs, MAX_IDS);
		struct convo_out o = {
			.tmpl = CT_CMD_ERROR, .ticket = &r->t, .to = a ? a->email : NULL,
			.in_reply_to = msg->message_id, .refs = refs, .n_refs = nrefs,
			.auto_submitted = "auto-replied", .errors = r->errors,
			.author_name = agent_display(pc->cfg, m->agent),
		};

		key = xasprintf("cmderr:%" PRId64, item->id);
		o.idem = key;
		rc = store_ticket_event(pc->st, r->t.id, CONVO_ACTOR, "agent-command-error", NULL, NULL,
		                        r->errors, err) < 0 ? -1 : convo_send(pc->st, pc->cfg, &o, err);
		free(key);
		return rc;
	}
	/*
	 * The answer first, then what the commands cause (a resolved notice):
	 * the customer gets them in the order the agent wrote them. Commands
	 * alone (#ack, #status ...) say nothing to the customer.
	 */
	if (strcmp(r->visibility, "public") == 0 && !text_blank(r->text) &&
	    relay_agent_reply(pc, item, msg, m, r, err) < 0)
		return -1;
	return apply_agent_cmds(pc, item, m, r, err);
}


/* Tell the agents (assignee, or all when unassigned and so configured) about a customer's mail. */
static int
notify_agents(struct pipeline_ctx *pc, const struct inbound_item *item, const struct mime_msg *msg,
              const struct convo_ticket *t, const char *text, struct tk_err *err)
{
	const struct convo_config *c = pc->cfg->convo;
	const char *refs[MAX_IDS];
	size_t nrefs = answer_refs(msg, refs, MAX_IDS);

	if (c == NULL || c->agent_notify == CONVO_NOTIFY_NONE)
		return 0;
	for (size_t i = 0; i < pc->cfg->n_agents; i++) {
		const struct config_agent *a = &pc->cfg->agents[i];
		char *key;
		int rc;

		if (t->assignee ? strcmp(t->assignee, a->name) != 0 : c->agent_notify != CONVO_NOTIFY_ALL)
			continue;
		if (msg->from.addr && strcasecmp(msg->from.addr, a->email) == 0)
			continue;
		key = xasprintf("agent:%" PRId64 ":%s", item->id, a->name);
		{
			struct convo_out o = {
				.tmpl = CT_AGENT, .ticket = t, .to = a->email, .to_name = a->display_name,
				.idem = key, .in_reply_to = msg->message_id, .refs = refs, .n_refs = nrefs,
				.auto_submitted = "auto-generated", .text = text,
				.author_name = msg->from.name ? msg->from.name : msg->from.addr,
			};

			rc = convo_send(pc->st, pc->cfg, &o, err);
		}
		free(key);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
apply_customer(struct pipeline_ctx *pc, const struct inbound_item *item,
               const struct mime_msg *msg, const struct convo_match *m, struct convo_reply *r,
               struct tk_err *err)
{
	const char *to = r->action == CORR_TO_OPEN ? "open" : r->action == CORR_REOPEN ? "reopened" : NULL;
	char detail[96];

	if (m->why[0] && store_ticket_event(pc->st, r->t.id, CONVO_ACTOR, "untrusted-agent", NULL,
	                                    NULL, m->why, err) < 0)
		return -1;
	snprintf(detail, sizeof(detail), "customer reply (threaded by %s)",
	         corr_how_name((enum corr_how)m->how));
	if (to && store_ticket_set_status(pc->st, r->t.id, to, CONVO_ACTOR, detail, NULL, err) < 0)
		return -1;
	if (r->rating) {
		char actor[200];

		snprintf(actor, sizeof(actor), "customer:%.180s", msg->from.addr ? msg->from.addr : "?");
		return csat_record(pc->st, pc->cfg, r->t.id, r->rating, r->rating_comment, "mail", actor,
		                   err);
	}
	if (r->action == CORR_NOTE)
		return store_ticket_event(pc->st, r->t.id, CONVO_ACTOR, "note", NULL, NULL,
		                          "reply kept as a note (thanks-only or automatic); no reopen",
		                          err);
	/* The escalator tells the queue's customer_reply targets (doc/sla.md); when
	 * the queue names them, they replace conversation.agent_notify. */
	if (store_ticket_customer_replied(pc->st, r->t.id, err) < 0)
		return -1;
	if (sla_notify_configured(pc->cfg->sla, r->t.queue, SLA_EV_CUSTOMER_REPLY))
		return 0;
	return notify_agents(pc, item, msg, &r->t, r->text, err);
}

int
convo_reply_apply(struct pipeline_ctx *pc, const struct inbound_item *item,
                  const struct mime_msg *msg, const struct convo_match *m, struct convo_reply *r,
                  struct tk_err *err)
{
	if (r->cmds)
		return apply_agent(pc, item, msg, m, r, err);
	return apply_customer(pc, item, msg, m, r, err);
}

int
convo_new_ticket(struct pipeline_ctx *pc, const struct inbound_item *item,
                 const struct mime_msg *msg, const char *text, int64_t ticket_id, bool may_ack,
                 struct tk_err *err)
{
	struct convo_ticket t;
	const char *refs[MAX_IDS];
	size_t nrefs = answer_refs(msg, refs, MAX_IDS);
	bool allowed = false;
	char *key = NULL;
	int rc = -1, found;

	if ((found = convo_ticket_load(pc->st, ticket_id, &t, err)) <= 0)
		return found;
	if (pc->cfg->convo && pc->cfg->convo->acknowledge && may_ack && t.requester) {
		if (convo_ack_allowed(pc->st, pc->cfg, t.requester, &allowed, err) < 0)
			goto out;
		if (!allowed && store_ticket_event(pc->st, ticket_id, CONVO_ACTOR, "ack-suppressed", NULL,
		                                   NULL, "acknowledgement rate limit for this sender", err) < 0)
			goto out;
	}
	if (allowed) {
		struct convo_out o = {
			.tmpl = CT_ACK, .ticket = &t, .to = t.requester, .to_name = msg->from.name,
			.in_reply_to = msg->message_id, .refs = refs, .n_refs = nrefs,
			.auto_submitted = "auto-replied",
		};

		key = xasprintf("ack:%" PRId64, item->id);
		o.idem = key;
		if (convo_send(pc->st, pc->cfg, &o, err) < 0)
			goto out;
	}
	if (notify_agents(pc, item, msg, &t, text, err) < 0 ||
	    convo_slack_new_ticket(pc->st, pc->cfg, &t, err) < 0)
		goto out;
	rc = 0;
out:
	free(key);
	convo_ticket_fini(&t);
	return rc;
}

/*
 * Every Message-ID a bounce quotes: its own references, and the header
 * lines of the returned message, found in the raw bytes (the parser does
 * not list text/rfc822-headers and delivery-status parts as attachments).
 */
static size_t
bounce_ids(const struct inbound_item *item, const struct mime_msg *msg, char **ids, size_t max)
{
	size_t n = 0;

	if (msg->in_reply_to && n < max)
		ids[n++] = xstrdup(msg->in_reply_to);
	for (size_t i = 0; i < msg->n_references && n < max; i++)
		ids[n++] = xstrdup(msg->references[i]);
	for (size_t i = 0; i < msg->n_attachments && n < max; i++)
		n += corr_quoted_message_ids((const char *)msg->attachments[i].data,
		                             msg->attachments[i].size, ids + n, max - n);
	if (n < max)
		n += corr_quoted_message_ids(item->raw, item->raw_len, ids + n, max - n);
	return n;
}

/* Record a bounce on ticket_id (when it exists) for recipient. */
static int
bounce_record(struct pipeline_ctx *pc, const struct inbound_item *item, int64_t ticket_id,
              const char *recipient, const char *detail, bool *recorded_r, struct tk_err *err)
{
	char tid[24], iid[24];
	PGresult *res = NULL;
	int found;

	snprintf(tid, sizeof(tid), "%" PRId64, ticket_id);
	snprintf(iid, sizeof(iid), "%" PRId64, item->id);
	if (store_exec(pc->st, &res, err,
	               "INSERT INTO bounces (ticket_id, recipient, detail, inbound_id) "
	               "SELECT id, $2, $3, $4::bigint FROM tickets WHERE id = $1::bigint RETURNING id",
	               4, tid, recipient, detail, iid) < 0)
		return -1;
	found = PQntuples(res) > 0;
	PQclear(res);
	if (!found)
		return 0;
	*recorded_r = true;
	return store_ticket_event(pc->st, ticket_id, CONVO_ACTOR, "bounce", NULL, recipient, detail,
	                          err);
}

/*
 * No quoted Message-ID of ours: a reply token quoted in the returned
 * headers (our Reply-To) that verifies for a recipient the DSN names.
 */
static int
bounce_by_token(struct pipeline_ctx *pc, const struct inbound_item *item, const char *detail,
                bool *recorded_r, struct tk_err *err)
{
	const struct convo_config *c = pc->cfg->convo;
	char *toks[8], *rcpts[8];
	size_t nt, nr;
	uint64_t id = 0;
	const char *who = NULL;
	int rc = 0;

	if (c == NULL || c->n_secrets == 0)
		return 0;
	nt = corr_plus_tokens_in(item->raw, item->raw_len, c->local, c->domain, toks, 8);
	nr = corr_dsn_recipients(item->raw, item->raw_len, rcpts, 8);
	for (size_t i = 0; i < nt && who == NULL; i++) {
		for (size_t j = 0; j < nr && who == NULL; j++) {
			struct tk_err terr = { 0 };

			if (token_check_any(c->secrets, c->n_secrets, toks[i], rcpts[j], &id, &terr) == 0)
				who = rcpts[j];
		}
	}
	if (who)
		rc = bounce_record(pc, item, (int64_t)id, who, detail, recorded_r, err);
	for (size_t i = 0; i < nt; i++)
		free(toks[i]);
	for (size_t j = 0; j < nr; j++)
		free(rcpts[j]);
	return rc;
}

int
convo_bounce(struct pipeline_ctx *pc, const struct inbound_item *item, const struct mime_msg *msg,
             bool *recorded_r, struct tk_err *err)
{
	char *ids[MAX_IDS], *arr, iid[24], detail[220];
	size_t n = bounce_ids(item, msg, ids, MAX_IDS);
	PGresult *res = NULL;
	int rc = -1;

	*recorded_r = false;
	log_clip(detail, sizeof(detail), msg->subject ? msg->subject : "(no subject)");
	if (n == 0)
		return bounce_by_token(pc, item, detail, recorded_r, err);
	arr = store_text_array((const char *const *)ids, n);
	snprintf(iid, sizeof(iid), "%" PRId64, item->id);
	if (store_exec(pc->st, &res, err,
	               STORE_CUSTOM_PLAN "WITH hit AS (SELECT id, ticket_id, message_id, recipient FROM outbox "
	               "WHERE message_id = ANY($1::text[]) ORDER BY id LIMIT 1), "
	               "b AS (INSERT INTO bounces (ticket_id, outbox_id, message_id, recipient, detail, "
	               "inbound_id) SELECT ticket_id, id, message_id, recipient, $2, $3::bigint "
	               "FROM hit RETURNING ticket_id, recipient) "
	               "SELECT ticket_id, recipient FROM b", 3, arr, detail, iid) < 0)
		goto out;
	if (PQntuples(res) > 0 && store_val(res, 0, 0)) {
		*recorded_r = true;
		if (store_ticket_event(pc->st, store_int(res, 0, 0), CONVO_ACTOR, "bounce", NULL,
		                       PQgetvalue(res, 0, 1), detail, err) < 0)
			goto out;
	}
	rc = *recorded_r ? 0 : bounce_by_token(pc, item, detail, recorded_r, err);
out:
	PQclear(res);
	free(arr);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	return rc;
}
