/*
 * mailroute.c: classify a mail, then let the rules decide what a mail that
 * starts a ticket becomes. Shared by the daemon and `ticketctl rules test`
 * (mailroute.h); the order and what stays in code are in doc/loops.md.
 */
/* System. */
#include <stdio.h>
#include <string.h>
/* ticketd. */
#include "mailroute.h"

void
mailroute_classify(const struct mime_msg *msg, const char *instance_id, struct loop_verdict *v_r)
{
	struct loop_input in;

	loop_input_from_msg(msg, instance_id, &in);
	loop_classify(&in, v_r);
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
}
