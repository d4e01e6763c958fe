/*
 * mailroute.c: classify a mail, then let the rules decide what a mail that
 * starts a ticket becomes. Shared by the daemon and `ticketctl rules test`
 * (mailroute.h); the order and what stays in code are in doc/loops.md.
 */
/* System. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
/* ticketd. */
#include "mailroute.h"
#include "xalloc.h"

void
mailroute_classify(const struct mime_msg *msg, const char *instance_id, struct loop_verdict *v_r)
{
	struct loop_input in;

	loop_input_from_msg(msg, instance_id, &in);
	loop_classify(&in, v_r);
}

/* One address as the rules see it: trimmed, without <>, lower case; NULL when it is not one. */
static char *
recipient_clean(const char *s)
{
	size_t n;
	char *out;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	if (n == 0 || n > 320)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '<' || s[i] == '>' || s[i] == 0x7f)
			return NULL;
	out = xstrndup(s, n);
	for (char *c = out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return out;
}

static void
recipient_add(struct mailroute *r, const char *s)
{
	char *a = recipient_clean(s);

	if (a == NULL)
		return;
	for (size_t i = 0; i < r->n_recipients; i++) {
		if (strcmp(r->recipients[i], a) == 0) {
			xfree(&a);
			return;
		}
	}
	if (r->n_recipients < MAILROUTE_MAX_RECIPIENTS)
		r->recipients[r->n_recipients++] = a;
	else
		xfree(&a);
}

/* The headers named name above the first Received header; true when one was an address. */
static bool
recipients_from_header(const struct mime_msg *msg, const char *name, struct mailroute *r)
{
	for (size_t i = 0; i < msg->n_headers; i++) {
		const struct mime_header *h = &msg->headers[i];

		if (h->name == NULL || strcasecmp(h->name, "Received") == 0)
			break;
		if (h->value && strcasecmp(h->name, name) == 0)
			recipient_add(r, h->value);
	}
	return r->n_recipients > 0;
}

void
mailroute_recipients(const struct mailroute_in *in, struct mailroute *r)
{
	for (size_t i = 0; i < in->n_recipients; i++)
		if (in->recipients[i])
			recipient_add(r, in->recipients[i]);
	if (r->n_recipients > 0)
		r->recipients_from = "envelope";
	else if (in->msg && recipients_from_header(in->msg, "X-Original-To", r))
		r->recipients_from = "X-Original-To";
	else if (in->msg && recipients_from_header(in->msg, "Delivered-To", r))
		r->recipients_from = "Delivered-To";
}

/* Without rules: automatic mail is dropped, as the shipped rules do. */
static void
decide_without_rules(struct mailroute *r)
{
	if (r->verdict.cls == LOOP_HUMAN)
		return;
	r->action = MAILROUTE_DROP;
	snprintf(r->reason, sizeof(r->reason), "automatic mail (%s: %s) and no routing rules loaded",
	         loop_class_name(r->verdict.cls), r->verdict.reason);
}

void
mailroute_decide(const struct rules *rs, const struct mailroute_in *in,
                 const struct loop_verdict *v, unsigned eval_flags, struct mailroute *r)
{
	struct rules_input ri;
	const char *rule;

	memset(r, 0, sizeof(*r));
	r->verdict = *v;
	r->action = MAILROUTE_TICKET;
	/* In code, whatever the rules say. */
	r->acknowledge = v->cls == LOOP_HUMAN && !v->no_autoreply;
	if (v->cls == LOOP_OWN_LOOP) {
		r->action = MAILROUTE_DROP;
		snprintf(r->reason, sizeof(r->reason), "our own mail came back (%s)", v->reason);
		return;
	}
	if (rs == NULL) {
		decide_without_rules(r);
		return;
	}
	rules_input_mail(&ri, in->msg, in->source, in->mailbox, in->sender_is_agent);
	ri.auto_class = loop_class_name(v->cls);
	ri.auto_reason = v->reason;
	mailroute_recipients(in, r);
	ri.recipients = (const char *const *)r->recipients;
	ri.n_recipients = r->n_recipients;
	r->rr = rules_eval(rs, &ri, eval_flags);
	if (!r->rr->dropped && !r->rr->quarantined)
		return;
	rule = r->rr->n_matched ? r->rr->matched[r->rr->n_matched - 1] : "?";
	r->action = r->rr->dropped ? MAILROUTE_DROP : MAILROUTE_QUARANTINE;
	snprintf(r->reason, sizeof(r->reason), "%s by rule %s: %s",
	         r->rr->dropped ? "dropped" : "quarantined", rule,
	         r->rr->dropped ? (r->rr->drop_reason ? r->rr->drop_reason : "")
	                        : (r->rr->quarantine_reason ? r->rr->quarantine_reason : ""));
}

void
mailroute_fini(struct mailroute *r)
{
	rules_result_free(&r->rr);
	for (size_t i = 0; i < r->n_recipients; i++)
		xfree(&r->recipients[i]);
	r->n_recipients = 0;
}
