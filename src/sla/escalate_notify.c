/*
 * escalate_notify.c: who hears of an SLA event, and what they receive.
 *
 * esc_notify() turns targets (assignee, agent:NAME, team, lead, an address,
 * slack:NAME) into recipients for one ticket, leaving out agents who are
 * not available (recorded on the ticket), and collects one item per note
 * and recipient. esc_flush() writes them to the outbox in the tick's
 * transaction: a mail per item (template sla-*.txt, threaded into the
 * ticket's conversation, with a reply token so that "#ack" in a reply is
 * proven), or a Slack Block Kit message (with Acknowledge and Resolve
 * buttons when a Slack app signing secret is configured). A recipient with
 * several items that fired late (the daemon was down, or far behind) gets
 * one digest instead of a burst.
 */
/* System. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
/* Libraries. */
#include <jansson.h>
/* ticketd. */
#include "buf.h"
#include "compose.h"
#include "config.h"
#include "convo.h"
#include "escalate_int.h"
#include "notify.h"
#include "outbox.h"
#include "sla_calendar.h"
#include "sla_clock.h"
#include "store_message.h"
#include "store_ticket.h"
#include "xalloc.h"

#define ESC_MAX_RCPT 64

struct esc_item {
	struct esc_note n;
	bool slack;
	char *to;              /* address, or webhook name */
	char *to_name;         /* display name, or NULL */
	bool done;
};

struct esc_out {
	struct esc_item *v;
	size_t n;
};

/*
 * What a message says about its ticket (loaded once per ticket and flush).
 * first_msg, last_msg: the first and latest mail that came in on it; the
 * notices agents got of those refer to them, so ours thread with them.
 */
struct esc_tinfo {
	int64_t id;
	char *ref, *subject, *priority, *status, *queue, *assignee, *requester, *calendar;
	char *first_msg, *last_msg;
	int64_t due[SLA_CLOCKS];
};

struct esc_out *
esc_out_new(void)
{
	return xnew(struct esc_out);
}

static void
items_clear(struct esc_out *o)
{
	for (size_t i = 0; i < o->n; i++) {
		xfree(&o->v[i].to);
		xfree(&o->v[i].to_name);
	}
	xfree(&o->v);
	o->n = 0;
}

void
esc_out_reset(struct esc_out *o)
{
	items_clear(o);
}

void
esc_out_free(struct esc_out **o)
{
	if (*o == NULL)
		return;
	items_clear(*o);
	xfree(o);
}

/* Recipients of one note while they are resolved. */
struct rcpts {
	struct { bool slack; const char *to, *name, *agent; } v[ESC_MAX_RCPT];
	size_t n;
	const char *agents[ESC_MAX_RCPT];   /* agent names to check for availability */
	size_t n_agents;
};

static void
add_agent(struct rcpts *r, const char *name)
{
	for (size_t i = 0; i < r->n_agents; i++)
		if (strcmp(r->agents[i], name) == 0)
			return;
	if (r->n_agents < ESC_MAX_RCPT)
		r->agents[r->n_agents++] = name;
}

static void
add_rcpt(struct rcpts *r, bool slack, const char *to, const char *name, const char *agent)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].slack == slack && strcasecmp(r->v[i].to, to) == 0)
			return;
	if (r->n == ESC_MAX_RCPT)
		return;
	r->v[r->n].slack = slack;
	r->v[r->n].to = to;
	r->v[r->n].name = name;
	r->v[r->n++].agent = agent;
}

static void
add_team(const struct sla_config *sc, struct rcpts *r, const char *team, bool lead_only)
{
	const struct sla_team *t = sla_team_named(sc, team);

	if (t == NULL)
		return;
	if (lead_only) {
		if (t->lead)
			add_agent(r, t->lead);
		return;
	}
	for (size_t i = 0; i < t->n_members; i++)
		add_agent(r, t->members[i]);
}

/* The ticket's assignee's name (a new string), or NULL when unassigned. */
static int
assignee_of(struct esc *e, int64_t ticket_id, char **name_r, struct tk_err *err)
{
	char sid[24];
	PGresult *res = NULL;

	*name_r = NULL;
	snprintf(sid, sizeof(sid), "%" PRId64, ticket_id);
	if (store_exec(e->st, &res, err,
	               "SELECT a.name FROM tickets t JOIN agents a ON a.id = t.assignee_id "
	               "WHERE t.id = $1::bigint", 1, sid) < 0)
		return -1;
	if (PQntuples(res) > 0)
		*name_r = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

static int
expand(struct esc *e, const struct esc_note *n, const struct sla_targets *ts, const char *queue,
       struct rcpts *r, char **assignee, struct tk_err *err)
{
	const struct sla_config *sc = e->cfg->sla;
	const struct sla_queue *q = sla_queue_named(sc, queue);
	const char *qteam = q ? q->team : NULL;

	for (size_t i = 0; i < ts->n; i++) {
		const struct sla_target *t = &ts->v[i];

		switch (t->kind) {
		case SLA_TGT_ASSIGNEE:
			if (*assignee == NULL && assignee_of(e, n->ticket_id, assignee, err) < 0)
				return -1;
			if (*assignee)
				add_agent(r, *assignee);
			else if (qteam)
				add_team(sc, r, qteam, false);
			break;
		case SLA_TGT_AGENT:
			add_agent(r, t->name);
			break;
		case SLA_TGT_TEAM:
		case SLA_TGT_LEAD:
			add_team(sc, r, t->name ? t->name : qteam, t->kind == SLA_TGT_LEAD);
			break;
		case SLA_TGT_MAIL:
			add_rcpt(r, false, t->name, NULL, NULL);
			break;
		case SLA_TGT_SLACK:
			add_rcpt(r, true, t->name ? t->name : "default", NULL, NULL);
			break;
		}
	}
	return 0;
}

/* Agents who are available become mail recipients; the others are recorded as skipped. */
static int
filter_available(struct esc *e, const struct esc_note *n, struct rcpts *r, struct tk_err *err)
{
	char *names = store_text_array(r->agents, r->n_agents), detail[200];
	PGresult *res = NULL;
	struct buf skipped;
	int rc = -1;

	if (store_exec(e->st, &res, err, "SELECT name FROM agents WHERE name = ANY($1::text[]) "
	               "AND NOT available", 1, names) < 0)
		goto out;
	buf_init(&skipped, 0);
	for (size_t i = 0; i < r->n_agents; i++) {
		const struct config_agent *a = config_agent_by_name(e->cfg, r->agents[i]);
		bool away = false;

		for (int k = 0; k < PQntuples(res); k++)
			away |= strcmp(PQgetvalue(res, k, 0), r->agents[i]) == 0;
		if (a == NULL)
			continue;
		if (away)
			(void)buf_printf(&skipped, "%s%s", skipped.len ? ", " : "", a->name);
		else
			add_rcpt(r, false, a->email, a->display_name, a->name);
	}
	rc = 0;
	if (skipped.len) {
		snprintf(detail, sizeof(detail), "%s: not available, not notified (%s)",
		         skipped.data, sla_event_name(n->ev));
		rc = store_ticket_event(e->st, n->ticket_id, "sla", "notify-skip", NULL, NULL, detail,
		                        err);
	}
	buf_fini(&skipped);
out:
	PQclear(res);
	free(names);
	return rc;
}

int
esc_notify(struct esc *e, const struct esc_note *n, const struct sla_targets *ts,
           const char *queue, size_t *reached_r, struct tk_err *err)
{
	struct rcpts r = { .n = 0 };
	char *assignee = NULL;
	int rc = -1;

	if (reached_r)
		*reached_r = 0;
	if (ts == NULL || ts->n == 0)
		return 0;
	if (expand(e, n, ts, queue, &r, &assignee, err) < 0 ||
	    (r.n_agents && filter_available(e, n, &r, err) < 0))
		goto out;
	for (size_t i = 0; i < r.n; i++) {
		struct esc_item *it;

		e->out->v = xreallocarray(e->out->v, e->out->n + 1, sizeof(*e->out->v));
		it = &e->out->v[e->out->n++];
		memset(it, 0, sizeof(*it));
		it->n = *n;
		it->slack = r.v[i].slack;
		it->to = xstrdup(r.v[i].to);
		it->to_name = r.v[i].name && *r.v[i].name ? xstrdup(r.v[i].name) : NULL;
	}
	if (reached_r)
		*reached_r = r.n;
	rc = 0;
out:
	free(assignee);
	return rc;
}

static void
tinfo_free(struct esc_tinfo *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char **s[] = { &t[i].ref, &t[i].subject, &t[i].priority, &t[i].status, &t[i].queue,
		               &t[i].assignee, &t[i].requester, &t[i].calendar, &t[i].first_msg,
		               &t[i].last_msg };

		for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++)
			xfree(s[k]);
	}
	free(t);
}

static char *
val(const PGresult *res, int col)
{
	const char *v = store_val(res, 0, col);

	return xstrdup(v ? v : "");
}

static int
tinfo_load(struct esc *e, int64_t id, struct esc_tinfo *t, struct tk_err *err)
{
	char sid[24];
	PGresult *res = NULL;

	memset(t, 0, sizeof(*t));
	t->id = id;
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	if (store_exec(e->st, &res, err,
	               "SELECT n.ticket_prefix || '-' || t.number, t.subject, t.priority, t.status, "
	               "t.queue, coalesce(nullif(a.display_name, ''), a.name, 'nobody'), "
	               "coalesce(t.requester, ''), coalesce(t.sla_calendar, '24x7'), "
	               "coalesce(extract(epoch FROM t.response_due_at)::bigint, 0), "
	               "coalesce(extract(epoch FROM t.resolution_due_at)::bigint, 0), "
	               "(SELECT message_id FROM messages WHERE ticket_id = t.id AND direction = 'in' "
	               "AND message_id IS NOT NULL ORDER BY id LIMIT 1), (SELECT message_id FROM "
	               "messages WHERE ticket_id = t.id AND direction = 'in' AND message_id IS NOT NULL "
	               "ORDER BY id DESC LIMIT 1) "
	               "FROM tickets t JOIN tenants n ON n.id = t.tenant_id "
	               "LEFT JOIN agents a ON a.id = t.assignee_id WHERE t.id = $1::bigint",
	               1, sid) < 0)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return tk_err_set(err, "ticket %" PRId64 " vanished", id);
	}
	t->ref = val(res, 0);
	t->subject = val(res, 1);
	t->priority = val(res, 2);
	t->status = val(res, 3);
	t->queue = val(res, 4);
	t->assignee = val(res, 5);
	t->requester = val(res, 6);
	t->calendar = val(res, 7);
	t->due[SLA_RESPONSE] = store_int(res, 0, 8);
	t->due[SLA_RESOLUTION] = store_int(res, 0, 9);
	t->first_msg = store_val(res, 0, 10) ? val(res, 10) : NULL;
	t->last_msg = store_val(res, 0, 11) ? val(res, 11) : NULL;
	PQclear(res);
	return 0;
}

/* Ticket info from the flush's cache, loading it on first use. */
static const struct esc_tinfo *
tinfo_get(struct esc *e, struct esc_tinfo **cache, size_t *n, int64_t id, struct tk_err *err)
{
	for (size_t i = 0; i < *n; i++)
		if ((*cache)[i].id == id)
			return &(*cache)[i];
	*cache = xreallocarray(*cache, *n + 1, sizeof(**cache));
	if (tinfo_load(e, id, &(*cache)[*n], err) < 0)
		return NULL;
	return &(*cache)[(*n)++];
}

/* An event as people read it in a subject or a Slack header. */
static const char *
event_title(enum sla_event ev)
{
	static const char *const titles[SLA_EV_COUNT] = {
		[SLA_EV_CREATED] = "New ticket", [SLA_EV_ASSIGNED] = "Assigned",
		[SLA_EV_STATUS] = "Status changed", [SLA_EV_CUSTOMER_REPLY] = "Customer reply",
		[SLA_EV_WARNING] = "SLA warning", [SLA_EV_BREACH] = "SLA breach",
		[SLA_EV_ESCALATION] = "Escalation", [SLA_EV_RESOLVED] = "Resolved",
		[SLA_EV_CLOSED] = "Closed", [SLA_EV_UNASSIGNED] = "Nobody available",
	};

	return (unsigned)ev < SLA_EV_COUNT ? titles[ev] : "?";
}

/* The words for a note's figures. */
struct words {
	char clock[24], due[40], left[48], share[16], level[48], late[48], link[256], event[32];
};

static void
words_for(struct esc *e, const struct esc_note *n, const struct esc_tinfo *t, struct words *w)
{
	const struct sla_calendar *cal = sla_calendar_named(e->cfg->sla, t->calendar);
	int64_t due = n->clock >= 0 && t->due[n->clock] ? t->due[n->clock] : n->due_at;
	char d[32];

	memset(w, 0, sizeof(*w));
	snprintf(w->clock, sizeof(w->clock), "%s", n->clock == SLA_RESPONSE ? "first response" :
	         n->clock == SLA_RESOLUTION ? "resolution" : "SLA");
	if (due) {
		time_t tt = (time_t)due;
		struct tm tm;
		int64_t left;

		if (cal == NULL)
			cal = sla_calendar_24x7();
		left = due >= e->now ? sla_calendar_seconds(cal, e->now, due) :
		       -sla_calendar_seconds(cal, due, e->now);
		gmtime_r(&tt, &tm);
		strftime(w->due, sizeof(w->due), "%Y-%m-%d %H:%M UTC", &tm);
		if (left > 0)
			snprintf(w->left, sizeof(w->left), "%s left", sla_format_duration(left, d, sizeof(d)));
		else if (left == 0)
			snprintf(w->left, sizeof(w->left), "due now");
		else
			snprintf(w->left, sizeof(w->left), "%s", sla_format_duration(left, d, sizeof(d)));
	} else {
		snprintf(w->due, sizeof(w->due), "-");
		snprintf(w->left, sizeof(w->left), "clock paused");
	}
	snprintf(w->share, sizeof(w->share), "%d%%", n->permille / 10);
	if (n->level >= 0 && n->round > 0)
		snprintf(w->level, sizeof(w->level), "level %d, repeat %d", n->level + 1, n->round);
	else if (n->level >= 0)
		snprintf(w->level, sizeof(w->level), "level %d", n->level + 1);
	else
		snprintf(w->level, sizeof(w->level), "at the breach");
	if (n->late_s >= 60)
		snprintf(w->late, sizeof(w->late), " (fired %s late)",
		         sla_format_duration((int64_t)n->late_s, d, sizeof(d)));
	if (e->cfg->slack && e->cfg->slack->base_url)
		snprintf(w->link, sizeof(w->link), "%s/%s", e->cfg->slack->base_url, t->ref);
	snprintf(w->event, sizeof(w->event), "%s", event_title(n->ev));
}

static enum sla_tmpl
tmpl_of(enum sla_event ev)
{
	return ev == SLA_EV_WARNING ? SLA_TMPL_WARNING :
	       ev == SLA_EV_BREACH || ev == SLA_EV_ESCALATION ? SLA_TMPL_ESCALATION : SLA_TMPL_EVENT;
}

static char *
render(struct esc *e, enum sla_tmpl tm, const struct esc_note *n, const struct esc_tinfo *t,
       const struct words *w, const char *count, const char *items)
{
	struct compose_var vars[] = {
		{ "ticket", t ? t->ref : "" }, { "subject", t ? t->subject : "" },
		{ "priority", t ? t->priority : "" }, { "status", t ? t->status : "" },
		{ "queue", t ? t->queue : "" }, { "assignee", t ? t->assignee : "" },
		{ "requester", t ? t->requester : "" }, { "clock", w ? w->clock : "" },
		{ "due", w ? w->due : "" }, { "left", w ? w->left : "" }, { "share", w ? w->share : "" },
		{ "level", w ? w->level : "" }, { "event", w ? w->event : "" },
		{ "detail", n ? n->detail : "" }, { "late", w ? w->late : "" },
		{ "link", w ? w->link : "" }, { "count", count }, { "items", items },
		{ "instance", e->cfg->instance },
	};

	return compose_render(e->cfg->sla->tmpl[tm], vars, sizeof(vars) / sizeof(vars[0]));
}

static int
send_mail(struct esc *e, const struct esc_item *it, const struct esc_tinfo *t, const char *rendered,
          const char *idem, struct tk_err *err)
{
	char *subject = NULL, *body = NULL;
	const char *refs[2];
	size_t n_refs = 0;
	int rc;

	if (compose_template_split(rendered, &subject, &body, err) < 0)
		return -1;
	if (t && t->first_msg)
		refs[n_refs++] = t->first_msg;
	if (t && t->last_msg && (t->first_msg == NULL || strcmp(t->first_msg, t->last_msg) != 0))
		refs[n_refs++] = t->last_msg;
	{
		struct convo_mail m = {
			.ticket_id = t ? t->id : it->n.ticket_id, .to = it->to, .to_name = it->to_name,
			.idem = idem, .kind = "sla", .subject = subject, .body = body,
			.in_reply_to = t ? t->last_msg : NULL, .refs = refs, .n_refs = n_refs,
			.auto_submitted = "auto-generated",
		};

		rc = convo_queue_mail(e->st, e->cfg, &m, err);
	}
	free(subject);
	free(body);
	return rc;
}

static json_t *
field(const char *title, const char *value)
{
	char *v = convo_slack_escape(value);
	char *text = xasprintf("*%s*\n%s", title, v);
	json_t *f = json_pack("{ss ss}", "type", "mrkdwn", "text", text);

	free(v);
	free(text);
	return f;
}

static json_t *
buttons(int64_t ticket_id)
{
	char value[32];

	snprintf(value, sizeof(value), "%" PRId64, ticket_id);
	return json_pack("{ss s[{ss s{ssss} ss ss}{ss s{ssss} ss ss ss}]}", "type", "actions",
	                 "elements",
	                 "type", "button", "text", "type", "plain_text", "text", "Acknowledge",
	                 "action_id", "ticketd_ack", "value", value,
	                 "type", "button", "text", "type", "plain_text", "text", "Resolve",
	                 "action_id", "ticketd_resolve", "value", value, "style", "primary");
}

/* A Block Kit message for one note. Caller frees. */
static char *
slack_payload(struct esc *e, const struct esc_note *n, const struct esc_tinfo *t,
              const struct words *w)
{
	char *subject = convo_slack_escape(t->subject);
	char *head = xasprintf("%s: %s", w->event, t->ref);
	char *title = w->link[0] ? xasprintf("*<%s|%s>* %s", w->link, t->ref, subject) :
	              xasprintf("*%s* %s", t->ref, subject);
	char *sla = xasprintf("%s: %s (due %s)", w->clock, w->left, w->due);
	char *fallback = xasprintf("%s: %s %s, %s", w->event, t->ref, t->subject, sla);
	json_t *fields = json_array(), *blocks = json_array(), *msg;
	char *out;

	json_array_append_new(fields, field("Priority", t->priority));
	json_array_append_new(fields, field("Status", t->status));
	json_array_append_new(fields, field("SLA", n->clock >= 0 ? sla : "-"));
	json_array_append_new(fields, field("Assignee", t->assignee));
	if (n->ev == SLA_EV_ESCALATION)
		json_array_append_new(fields, field("Escalation", w->level));
	json_array_append_new(blocks, json_pack("{ss s{ss ss}}", "type", "header", "text", "type",
	                                        "plain_text", "text", head));
	json_array_append_new(blocks, json_pack("{ss s{ss ss} so}", "type", "section", "text",
	                                        "type", "mrkdwn", "text", title, "fields", fields));
	if (slack_buttons(e->cfg->slack) && n->ev != SLA_EV_RESOLVED && n->ev != SLA_EV_CLOSED)
		json_array_append_new(blocks, buttons(n->ticket_id));
	msg = json_pack("{ss so}", "text", fallback, "blocks", blocks);
	out = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	free(subject);
	free(head);
	free(title);
	free(sla);
	free(fallback);
	return out;
}

static int
send_slack(struct esc *e, const char *webhook, int64_t ticket_id, const char *payload,
           const char *idem, struct tk_err *err)
{
	struct outbox_item it = {
		.idempotency_key = idem, .channel = "slack", .kind = "sla", .ticket_id = ticket_id,
		.recipient = webhook, .payload = payload, .payload_len = payload ? strlen(payload) : 0,
	};

	if (payload == NULL)
		return tk_err_set(err, "slack: cannot encode the message as JSON");
	return outbox_enqueue(e->st, &it, NULL, err);
}

static int
send_one(struct esc *e, struct esc_item *it, const struct esc_tinfo *t, struct tk_err *err)
{
	struct words w;
	char *idem = xasprintf("%s:%s:%s", it->n.key, it->slack ? "s" : "m", it->to);
	char *body;
	int rc;

	words_for(e, &it->n, t, &w);
	if (it->slack)
		body = slack_payload(e, &it->n, t, &w);
	else
		body = render(e, tmpl_of(it->n.ev), &it->n, t, &w, "1", "");
	rc = it->slack ? send_slack(e, it->to, t->id, body, idem, err) :
	     send_mail(e, it, t, body, idem, err);
	free(body);
	free(idem);
	it->done = true;
	return rc;
}

static bool
same_rcpt(const struct esc_item *a, const struct esc_item *b)
{
	return a->slack == b->slack && strcasecmp(a->to, b->to) == 0;
}

/* One digest for every late item of the recipient of items[first]. */
static int
send_digest(struct esc *e, size_t first, struct esc_tinfo **cache, size_t *nc, struct tk_err *err)
{
	struct esc_out *o = e->out;
	struct buf items;
	char count[16], *idem, *body = NULL;
	size_t n = 0;
	int rc = -1;

	buf_init(&items, 0);
	for (size_t i = first; i < o->n; i++) {
		const struct esc_tinfo *t;
		struct words w;

		if (o->v[i].done || !same_rcpt(&o->v[first], &o->v[i]) ||
		    o->v[i].n.late_s <= (double)e->cfg->sla->digest_after_s)
			continue;
		if ((t = tinfo_get(e, cache, nc, o->v[i].n.ticket_id, err)) == NULL)
			goto out;
		words_for(e, &o->v[i].n, t, &w);
		(void)buf_printf(&items, "- %s \"%.60s\": %s, %s %s%s\n", t->ref, t->subject, w.event,
		                 w.clock, w.left, w.late);
		o->v[i].done = true;
		n++;
	}
	snprintf(count, sizeof(count), "%zu", n);
	idem = xasprintf("digest:%s:%s:%s", o->v[first].slack ? "s" : "m", o->v[first].to,
	                 o->v[first].n.key);
	if (o->v[first].slack) {
		char *text = xasprintf("SLA digest: %zu notices that fired late\n%s", n, items.data);
		json_t *m = json_pack("{ss}", "text", text);

		body = json_dumps(m, JSON_COMPACT);
		json_decref(m);
		free(text);
		rc = send_slack(e, o->v[first].to, 0, body, idem, err);
	} else {
		body = render(e, SLA_TMPL_DIGEST, NULL, NULL, NULL, count, items.data);
		rc = send_mail(e, &o->v[first], NULL, body, idem, err);
	}
	free(idem);
	free(body);
out:
	buf_fini(&items);
	return rc;
}

/* How many of the recipient's items (from first on) fired late. */
static size_t
late_count(const struct esc *e, size_t first)
{
	const struct esc_out *o = e->out;
	size_t n = 0;

	for (size_t i = first; i < o->n; i++)
		if (!o->v[i].done && same_rcpt(&o->v[first], &o->v[i]) &&
		    o->v[i].n.late_s > (double)e->cfg->sla->digest_after_s)
			n++;
	return n;
}

int
esc_flush(struct esc *e, struct tk_err *err)
{
	struct esc_out *o = e->out;
	struct esc_tinfo *cache = NULL;
	size_t nc = 0;
	int rc = -1;

	for (size_t i = 0; i < o->n; i++) {
		const struct esc_tinfo *t;

		if (o->v[i].done)
			continue;
		if (o->v[i].n.late_s > (double)e->cfg->sla->digest_after_s && late_count(e, i) >= 2) {
			if (send_digest(e, i, &cache, &nc, err) < 0)
				goto out;
			continue;
		}
		if ((t = tinfo_get(e, &cache, &nc, o->v[i].n.ticket_id, err)) == NULL ||
		    send_one(e, &o->v[i], t, err) < 0)
			goto out;
	}
	rc = 0;
out:
	tinfo_free(cache, nc);
	items_clear(o);
	return rc;
}
