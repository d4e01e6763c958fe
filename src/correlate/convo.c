/*
 * convo.c: the conversation: config section and the mail ticketd writes.
 *
 * Every outgoing mail is rendered from an admin's template, composed
 * (compose.h) with a fresh Message-ID and a Reply-To of LOCAL+TOKEN@DOMAIN
 * whose token is bound to the ticket and the recipient (token.h), and
 * written as a messages row (direction out, so replies thread by its
 * Message-ID) plus an outbox row, both in the caller's transaction.
 */
/* System. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
/* Libraries. */
#include <jansson.h>
/* ticketd. */
#include "buf.h"
#include "config.h"
#include "convo.h"
#include "csat.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "outbox.h"
#include "store_message.h"
#include "xalloc.h"
#include "ynode.h"

/* Message-IDs in the References of a mail to a customer. */
#define CONVO_THREAD_MAX 10

static const char *const convo_keys[] = {
	"address", "from_name", "domain", "secret_file", "secret_env", "previous_secret_file",
	"reopen_window", "acknowledge", "ack_interval", "ack_burst", "agent_notify", "authserv_id",
	"require_dkim", "require_dmarc", "templates", NULL,
};
static const char *const template_files[CT_COUNT] = {
	"ack.txt", "reply.txt", "resolved.txt", "closed.txt", "agent.txt", "command-error.txt",
};
static const char *const placeholders[] = {
	"ticket", "number", "subject", "requester", "status", "text", "errors", "author", "agent",
	"instance", "rating", NULL,
};

const char *
convo_template_file(enum convo_tmpl t)
{
	return (unsigned)t < CT_COUNT ? template_files[t] : "?";
}

static void
load_secret(struct convo_config *c, const struct ynode *n, const char *file, const char *env,
            struct tk_errlist *errs)
{
	struct tk_err err = { 0 };
	char *s = notify_read_secret(file, env, &err);

	if (s == NULL) {
		ynode_error(errs, n, "conversation: reply token secret: %s", err.msg);
		return;
	}
	if (strlen(s) < TOKEN_MIN_SECRET) {
		ynode_error(errs, n, "conversation: the reply token secret must be at least %d bytes",
		            TOKEN_MIN_SECRET);
		explicit_bzero(s, strlen(s));
		free(s);
		return;
	}
	c->secrets[c->n_secrets].key = (unsigned char *)s;
	c->secrets[c->n_secrets++].len = strlen(s);
}

static void
load_templates(struct convo_config *c, const struct ynode *n, struct tk_errlist *errs)
{
	for (int i = 0; i < CT_COUNT; i++) {
		char *path = xasprintf("%s/%s", c->templates_dir, template_files[i]);
		struct buf b;
		struct tk_err err = { 0 };

		buf_init(&b, 1 << 20);
		if (buf_read_file(&b, path) < 0)
			ynode_error(errs, n, "conversation: template %s: %s", path, strerror(errno));
		else if (compose_template_check(b.data ? b.data : "", placeholders, &err) < 0)
			tk_errlist_add(errs, path, 0, 0, "%s", err.msg);
		else
			c->templates[i] = buf_steal(&b, NULL);
		buf_fini(&b);
		free(path);
	}
}

/* An optional HTML body next to each text template: ack.txt -> ack.html. */
static void
load_html(struct convo_config *c, struct tk_errlist *errs)
{
	for (int i = 0; i < CT_COUNT; i++) {
		char *path = xasprintf("%s/%.*s.html", c->templates_dir,
		                       (int)(strlen(template_files[i]) - 4), template_files[i]);
		struct buf b;
		struct tk_err err = { 0 };

		buf_init(&b, 1 << 20);
		if (buf_read_file(&b, path) < 0) {
			if (errno != ENOENT)
				tk_errlist_add(errs, path, 0, 0, "cannot read: %s", strerror(errno));
		} else if (compose_placeholders_check(b.data ? b.data : "", placeholders, &err) < 0) {
			tk_errlist_add(errs, path, 0, 0, "%s", err.msg);
		} else {
			c->html[i] = buf_steal(&b, NULL);
		}
		buf_fini(&b);
		free(path);
	}
}

static void
load_numbers(struct convo_config *c, const struct ynode *n, struct tk_errlist *errs)
{
	static const char *const notify[] = { "all", "assignee", "none" };
	const struct ynode *t;
	int64_t v;
	const char *s;

	if ((t = ynode_get(n, "reopen_window")) != NULL)
		ynode_duration_ms(t, &c->reopen_window_ms, errs);
	if ((t = ynode_get(n, "acknowledge")) != NULL)
		ynode_bool(t, &c->acknowledge, errs);
	if ((t = ynode_get(n, "ack_interval")) != NULL)
		ynode_duration_ms(t, &c->ack_interval_ms, errs);
	if ((t = ynode_get(n, "ack_burst")) != NULL && ynode_int(t, 1, 1000, &v, errs) == 0)
		c->ack_burst = (int)v;
	if ((t = ynode_get(n, "require_dkim")) != NULL)
		ynode_bool(t, &c->require_dkim, errs);
	if ((t = ynode_get(n, "require_dmarc")) != NULL)
		ynode_bool(t, &c->require_dmarc, errs);
	if ((t = ynode_get(n, "agent_notify")) != NULL && ynode_str(t, &s, errs) == 0) {
		int found = 0;

		for (int i = 0; i < 3; i++)
			if (strcmp(s, notify[i]) == 0) {
				c->agent_notify = (enum convo_agent_notify)i;
				found = 1;
			}
		if (!found)
			ynode_error(errs, t, "conversation: agent_notify must be all, assignee or none");
	}
	if (c->ack_interval_ms < 1000)
		ynode_error(errs, n, "conversation: ack_interval must be at least 1s");
}

static void
split_address(struct convo_config *c, const struct ynode *n, struct tk_errlist *errs)
{
	const char *at = c->address ? strrchr(c->address, '@') : NULL;

	if (at == NULL || at == c->address || at[1] == '\0' || strchr(c->address, '+')) {
		ynode_error(errs, ynode_get(n, "address") ? ynode_get(n, "address") : n,
		            "conversation: address must be LOCAL@DOMAIN without a '+' "
		            "(replies come back to LOCAL+TOKEN@DOMAIN)");
		return;
	}
	c->local = xstrndup(c->address, (size_t)(at - c->address));
	c->domain = xstrdup(at + 1);
	for (char *p = c->address; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	if (c->msgid_domain == NULL)
		c->msgid_domain = xstrdup(c->domain);
}

void
convo_config_load(const struct ynode *n, bool have_smtp, struct convo_config **out_r,
                  struct tk_errlist *errs)
{
	struct convo_config *c;

	*out_r = NULL;
	if (ynode_check_keys(n, convo_keys, "conversation", errs) && n->kind != YNODE_MAP)
		return;
	c = xnew(struct convo_config);
	c->reopen_window_ms = 14LL * 86400 * 1000;
	c->acknowledge = true;
	c->ack_interval_ms = 3600 * 1000;
	c->ack_burst = 3;
	c->require_dkim = c->require_dmarc = true;
	c->templates_dir = xstrdup(PKGDATADIR "/templates");
	ynode_opt_str(n, "address", &c->address, errs);
	ynode_opt_str(n, "from_name", &c->from_name, errs);
	ynode_opt_str(n, "domain", &c->msgid_domain, errs);
	ynode_opt_str(n, "secret_file", &c->secret_file, errs);
	ynode_opt_str(n, "secret_env", &c->secret_env, errs);
	ynode_opt_str(n, "previous_secret_file", &c->previous_secret_file, errs);
	ynode_opt_str(n, "authserv_id", &c->authserv_id, errs);
	ynode_opt_str(n, "templates", &c->templates_dir, errs);
	load_numbers(c, n, errs);
	split_address(c, n, errs);
	if (!have_smtp)
		ynode_error(errs, n, "conversation: needs an smtp: section to send mail");
	if (c->secret_file == NULL && c->secret_env == NULL)
		ynode_error(errs, n, "conversation: needs secret_file or secret_env (reply tokens)");
	else
		load_secret(c, n, c->secret_file, c->secret_env, errs);
	if (c->previous_secret_file)
		load_secret(c, n, c->previous_secret_file, NULL, errs);
	load_templates(c, n, errs);
	load_html(c, errs);
	*out_r = c;
}

void
convo_config_free(struct convo_config **cp)
{
	struct convo_config *c = *cp;

	if (c == NULL)
		return;
	{
		char **strs[] = { &c->address, &c->local, &c->domain, &c->msgid_domain,
		                  &c->from_name, &c->secret_file, &c->secret_env,
		                  &c->previous_secret_file, &c->authserv_id, &c->templates_dir };

		for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
			xfree(strs[i]);
	}
	for (size_t i = 0; i < c->n_secrets; i++) {
		explicit_bzero((void *)c->secrets[i].key, c->secrets[i].len);
		free((void *)c->secrets[i].key);
	}
	for (int i = 0; i < CT_COUNT; i++) {
		xfree(&c->templates[i]);
		xfree(&c->html[i]);
	}
	xfree(cp);
}

bool
convo_is_our_address(const struct config *cfg, const char *addr)
{
	const struct convo_config *c = cfg->convo;
	const char *at;
	size_t ll;

	if (c == NULL || c->local == NULL || addr == NULL || (at = strrchr(addr, '@')) == NULL)
		return false;
	ll = strlen(c->local);
	if (strcasecmp(at + 1, c->domain) != 0 || strncasecmp(addr, c->local, ll) != 0)
		return false;
	return addr + ll == at || addr[ll] == '+';
}

int
convo_ticket_load(struct store *st, int64_t id, struct convo_ticket *t, struct tk_err *err)
{
	char sid[24];
	PGresult *res = NULL;

	memset(t, 0, sizeof(*t));
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	if (store_exec(st, &res, err,
	               "SELECT n.ticket_prefix || '-' || t.number, t.subject, t.requester, t.status, "
	               "a.name, a.email, coalesce(extract(epoch FROM CASE WHEN t.status = 'closed' "
	               "THEN t.closed_at ELSE t.resolved_at END)::bigint, 0), "
	               "coalesce(t.linked_ticket_id, 0), t.queue "
	               "FROM tickets t JOIN tenants n ON n.id = t.tenant_id "
	               "LEFT JOIN agents a ON a.id = t.assignee_id WHERE t.id = $1", 1, sid) < 0)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	t->id = id;
	snprintf(t->ref, sizeof(t->ref), "%s", PQgetvalue(res, 0, 0));
	t->subject = xstrdup(PQgetvalue(res, 0, 1));
	t->requester = store_val(res, 0, 2) ? xstrdup(store_val(res, 0, 2)) : NULL;
	t->status = xstrdup(PQgetvalue(res, 0, 3));
	t->assignee = store_val(res, 0, 4) ? xstrdup(store_val(res, 0, 4)) : NULL;
	t->assignee_email = store_val(res, 0, 5) ? xstrdup(store_val(res, 0, 5)) : NULL;
	t->done_at = store_int(res, 0, 6);
	t->linked_id = store_int(res, 0, 7);
	t->queue = xstrdup(PQgetvalue(res, 0, 8));
	PQclear(res);
	return 1;
}

void
convo_ticket_fini(struct convo_ticket *t)
{
	xfree(&t->subject);
	xfree(&t->requester);
	xfree(&t->status);
	xfree(&t->assignee);
	xfree(&t->assignee_email);
	xfree(&t->queue);
}

/* One line of header-ish text: control characters become spaces. */
static char *
one_line(const char *s)
{
	char *out = xstrdup(s ? s : "");

	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	return out;
}

/* The HTML body: the template with every value HTML-escaped; NULL without one. */
static char *
render_html(const struct config *cfg, const struct convo_out *o, struct compose_var *vars,
            size_t n)
{
	const char *tmpl = cfg->convo->html[o->tmpl];
	char *escaped[16], *out;

	if (tmpl == NULL || n > 16)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		escaped[i] = compose_html_escape(vars[i].value);
		vars[i].value = escaped[i];
	}
	out = compose_render(tmpl, vars, n);
	for (size_t i = 0; i < n; i++)
		free(escaped[i]);
	return out;
}

static int
render(const struct config *cfg, const struct convo_out *o, char **subject_r, char **body_r,
       char **html_r, struct tk_err *err)
{
	const struct convo_ticket *t = o->ticket;
	char *subject = one_line(t->subject), *number = strrchr(t->ref, '-');
	struct compose_var vars[] = {
		{ "ticket", t->ref }, { "number", number ? number + 1 : t->ref },
		{ "subject", subject }, { "requester", t->requester }, { "status", t->status },
		{ "text", o->text }, { "errors", o->errors }, { "author", o->author_name },
		{ "agent", t->assignee }, { "instance", cfg->instance }, { "rating", o->rating },
	};
	char *out = compose_render(cfg->convo->templates[o->tmpl], vars, sizeof(vars) / sizeof(vars[0]));
	int rc = compose_template_split(out, subject_r, body_r, err);

	*html_r = rc == 0 ? render_html(cfg, o, vars, sizeof(vars) / sizeof(vars[0])) : NULL;
	free(out);
	free(subject);
	return rc;
}

static int
store_out_message(struct store *st, const struct config *cfg, const struct convo_out *o,
                  const char *msgid, const char *subject, const char *body, struct tk_err *err)
{
	struct message_new mn = {
		.ticket_id = o->ticket->id, .direction = "out", .visibility = "public",
		.author = cfg->smtp->from, .agent = o->agent, .message_id = msgid,
		.in_reply_to = o->in_reply_to, .refs = o->refs, .n_refs = o->n_refs,
		.subject = subject, .body_text = body,
	};
	int64_t id;

	return store_message_insert(st, &mn, &id, err);
}

static int
compose_out(const struct config *cfg, const struct convo_out *o, const char *msgid,
            const char *subject, const char *body, const char *html, char **raw_r, size_t *len_r,
            struct tk_err *err)
{
	const struct convo_config *c = cfg->convo;
	char *token = token_make(c->secrets[0].key, c->secrets[0].len, (uint64_t)o->ticket->id, o->to,
	                         err);
	char *reply_to;
	struct compose_msg m = {
		.from = { cfg->smtp->from, c->from_name ? c->from_name : cfg->smtp->from_name },
		.to = { o->to, o->to_name }, .subject = subject, .message_id = msgid,
		.in_reply_to = o->in_reply_to, .refs = o->refs, .n_refs = o->n_refs,
		.auto_submitted = o->auto_submitted, .loop_id = c->address, .text = body,
		.html = html,
	};
	int rc;

	if (token == NULL)
		return -1;
	reply_to = xasprintf("%s+%s@%s", c->local, token, c->domain);
	m.reply_to.addr = reply_to;
	m.reply_to.name = m.from.name;
	rc = compose_write(&m, raw_r, len_r, err);
	free(reply_to);
	free(token);
	return rc;
}

/* Message-IDs a customer's thread is made of (In-Reply-To is the last). */
struct convo_thread {
	char *ids[CONVO_THREAD_MAX];
	size_t n;
};

static void
thread_fini(struct convo_thread *th)
{
	for (size_t i = 0; i < th->n; i++)
		xfree(&th->ids[i]);
	th->n = 0;
}

/*
 * The messages of the ticket that recipient `to` has, oldest first: the
 * ticket's first inbound mail (the thread's root, which a participant in
 * Cc got too), then their own mail to it and ticketd's mail to them (not
 * dead), at most CONVO_THREAD_MAX in all. A mail that answers such a message is
 * threaded in the recipient's client; one that names a mail they never
 * received (an agent's own reply) or none at all starts a new thread.
 */
static int
thread_load(struct store *st, int64_t ticket_id, const char *to, struct convo_thread *th,
            struct tk_err *err)
{
	char sid[24], max[16];
	PGresult *res = NULL;
	int n;

	th->n = 0;
	snprintf(sid, sizeof(sid), "%" PRId64, ticket_id);
	snprintf(max, sizeof(max), "%d", CONVO_THREAD_MAX);
	if (store_exec(st, &res, err,
	               "SELECT id FROM (SELECT created_at AS at, 0 AS side, id AS ord, "
	               "coalesce(message_id, reused_message_id) AS id FROM messages "
	               "WHERE ticket_id = $1::bigint AND direction = 'in' AND lower(author) = lower($2) "
	               "UNION ALL SELECT m.created_at, 1, m.id, m.message_id FROM messages m "
	               "JOIN outbox o ON o.message_id = m.message_id WHERE m.ticket_id = $1::bigint "
	               "AND m.direction = 'out' AND o.state <> 'dead' AND lower(o.recipient) = lower($2) "
	               "UNION ALL (SELECT '-infinity', -1, id, coalesce(message_id, reused_message_id) "
	               "FROM messages WHERE ticket_id = $1::bigint AND direction = 'in' "
	               "AND coalesce(message_id, reused_message_id) IS NOT NULL ORDER BY id LIMIT 1)) x "
	               "WHERE id IS NOT NULL ORDER BY at DESC, side DESC, ord DESC LIMIT $3::int",
	               3, sid, to, max) < 0)
		return -1;
	n = PQntuples(res);
	for (int i = n - 1; i >= 0; i--) {
		const char *id = PQgetvalue(res, i, 0);
		bool dup = false;

		for (size_t k = 0; k < th->n && !dup; k++)
			dup = strcmp(th->ids[k], id) == 0;
		if (!dup)
			th->ids[th->n++] = xstrdup(id);
	}
	PQclear(res);
	return 0;
}

int
convo_send(struct store *st, const struct config *cfg, const struct convo_out *o,
           struct tk_err *err)
{
	char *subject = NULL, *body = NULL, *html = NULL, *raw = NULL, *msgid = NULL;
	struct convo_thread th = { .n = 0 };
	struct convo_out own = *o;
	size_t len = 0;
	int queued = 0, rc = -1;

	if (cfg->convo == NULL || cfg->smtp == NULL || o->to == NULL || *o->to == '\0')
		return 0;
	/* Mail to a customer answers the last message that customer has. */
	if (!config_agent_by_email(cfg, o->to)) {
		if (thread_load(st, o->ticket->id, o->to, &th, err) < 0)
			goto out;
		own.refs = (const char *const *)th.ids;
		own.n_refs = th.n;
		own.in_reply_to = th.n ? th.ids[th.n - 1] : NULL;
		o = &own;
	}
	msgid = compose_message_id(cfg->convo->msgid_domain, o->ticket->id);
	if (render(cfg, o, &subject, &body, &html, err) < 0 ||
	    compose_out(cfg, o, msgid, subject, body, html, &raw, &len, err) < 0)
		goto out;
	{
		struct outbox_item it = {
			.idempotency_key = o->idem, .channel = "smtp", .kind = template_files[o->tmpl],
			.ticket_id = o->ticket->id, .recipient = o->to, .message_id = msgid,
			.payload = raw, .payload_len = len,
		};

		if (outbox_enqueue(st, &it, &queued, err) < 0)
			goto out;
	}
	if (queued && store_out_message(st, cfg, o, msgid, subject, body, err) < 0)
		goto out;
	rc = 0;
out:
	thread_fini(&th);
	free(subject);
	free(body);
	free(html);
	free(raw);
	free(msgid);
	return rc;
}

int
convo_queue_mail(struct store *st, const struct config *cfg, const struct convo_mail *m,
                 struct tk_err *err)
{
	struct convo_ticket t = { .id = m->ticket_id };
	struct convo_out o = {
		.ticket = &t, .to = m->to, .to_name = m->to_name, .idem = m->idem,
		.in_reply_to = m->in_reply_to, .refs = m->refs, .n_refs = m->n_refs,
		.auto_submitted = m->auto_submitted,
	};
	char *raw = NULL, *msgid = NULL;
	size_t len = 0;
	int rc = -1;

	if (cfg->convo == NULL || cfg->smtp == NULL || m->to == NULL || *m->to == '\0')
		return 0;
	msgid = compose_message_id(cfg->convo->msgid_domain, m->ticket_id);
	if (compose_out(cfg, &o, msgid, m->subject, m->body, NULL, &raw, &len, err) == 0) {
		struct outbox_item it = {
			.idempotency_key = m->idem, .channel = "smtp", .kind = m->kind,
			.ticket_id = m->ticket_id, .recipient = m->to, .message_id = msgid,
			.payload = raw, .payload_len = len,
		};

		rc = outbox_enqueue(st, &it, NULL, err);
	}
	free(raw);
	free(msgid);
	return rc;
}

/*
 * Text for Slack: &, < and > escaped as Slack asks, so a customer's subject
 * cannot ping <!channel> or forge a <link|label>. Caller frees.
 */
char *
convo_slack_escape(const char *s)
{
	struct buf b;

	buf_init(&b, 0);
	for (; s && *s; s++) {
		if (*s == '&')
			(void)buf_puts(&b, "&amp;");
		else if (*s == '<')
			(void)buf_puts(&b, "&lt;");
		else if (*s == '>')
			(void)buf_puts(&b, "&gt;");
		else
			(void)buf_putc(&b, *s);
	}
	return buf_steal(&b, NULL);
}

int
convo_slack_new_ticket(struct store *st, const struct config *cfg, const struct convo_ticket *t,
                       struct tk_err *err)
{
	json_t *o;
	char *text, *payload, *key;
	struct outbox_item it = { .channel = "slack", .kind = "slack", .recipient = "slack" };
	int rc;

	if (cfg->slack == NULL || !cfg->slack->on_new_ticket)
		return 0;
	{
		char *who = convo_slack_escape(t->requester ? t->requester : "(unknown)");
		char *subject = convo_slack_escape(t->subject);

		text = xasprintf("New ticket %s from %s: %s", t->ref, who, subject);
		free(who);
		free(subject);
	}
	o = json_pack("{ss}", "text", text);
	payload = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	key = xasprintf("slack:new:%" PRId64, t->id);
	it.idempotency_key = key;
	it.ticket_id = t->id;
	it.payload = payload;
	it.payload_len = payload ? strlen(payload) : 0;
	rc = payload ? outbox_enqueue(st, &it, NULL, err) : tk_err_set(err, "slack: cannot encode JSON");
	free(text);
	free(payload);
	free(key);
	return rc;
}

int
convo_notify_status(struct store *st, const struct config *cfg, int64_t ticket_id,
                    const char *status, const char *idem_suffix, struct tk_err *err)
{
	struct convo_ticket t;
	char *key;
	int rc, found;

	if (cfg->convo == NULL || (strcmp(status, "resolved") != 0 && strcmp(status, "closed") != 0))
		return 0;
	if ((found = convo_ticket_load(st, ticket_id, &t, err)) <= 0)
		return found;
	if (idem_suffix == NULL) {   /* the status event just written names the change */
		char sid[24];
		PGresult *res = NULL;

		snprintf(sid, sizeof(sid), "%" PRId64, ticket_id);
		if (store_exec(st, &res, err, "SELECT coalesce(max(id), 0) FROM ticket_events "
		               "WHERE ticket_id = $1::bigint AND action = 'status'", 1, sid) < 0) {
			convo_ticket_fini(&t);
			return -1;
		}
		key = xasprintf("status:%" PRId64 ":%s:ev%s", ticket_id, status, PQgetvalue(res, 0, 0));
		PQclear(res);
	} else {
		key = xasprintf("status:%" PRId64 ":%s:%s", ticket_id, status, idem_suffix);
	}
	{
		/* the resolved notice asks for a rating (csat.h) */
		char *rating = strcmp(status, "resolved") == 0 ? csat_request_text(cfg, t.id, t.done_at) :
		               NULL;
		struct convo_out o = {
			.tmpl = strcmp(status, "resolved") == 0 ? CT_RESOLVED : CT_CLOSED, .ticket = &t,
			.to = t.requester, .idem = key, .auto_submitted = "auto-generated",
			.rating = rating,
		};

		rc = convo_send(st, cfg, &o, err);
		free(rating);
	}
	free(key);
	convo_ticket_fini(&t);
	return rc;
}

int
convo_ack_allowed(struct store *st, const struct config *cfg, const char *address,
                  bool *allowed_r, struct tk_err *err)
{
	struct loop_limit lim = { .interval = cfg->convo->ack_interval_ms / 1000,
	                          .burst = (unsigned)cfg->convo->ack_burst };
	PGresult *res = NULL;
	int64_t tat;
	char stat[24];

	*allowed_r = false;
	if (store_exec(st, NULL, err, "INSERT INTO ack_rate (address, tat) VALUES (lower($1), 0) "
	               "ON CONFLICT DO NOTHING", 1, address) < 0 ||
	    store_exec(st, &res, err, "SELECT tat FROM ack_rate WHERE address = lower($1) FOR UPDATE",
	               1, address) < 0)
		return -1;
	tat = store_int(res, 0, 0);
	PQclear(res);
	*allowed_r = loop_rate_allow(&lim, (int64_t)time(NULL), &tat);
	if (!*allowed_r)
		return 0;
	snprintf(stat, sizeof(stat), "%" PRId64, tat);
	return store_exec(st, NULL, err, "UPDATE ack_rate SET tat = $2::bigint, updated_at = now() "
	                  "WHERE address = lower($1)", 2, address, stat);
}
