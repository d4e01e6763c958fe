/*
 * ctl_rules.c: `ticketctl rules test` and `ticketctl rules check`. Loads a
 * rules directory, and for test runs one mail message (.eml) or alert (.json)
 * through it, showing every rule tried, why it did not match, and the ticket
 * fields that result (as text, or as JSON with --json). Needs no database.
 */
/* System. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Libraries. */
#include <jansson.h>

/* ticketd. */
#include "buf.h"
#include "config.h"
#include "convo.h"
#include "ctl.h"
#include "mailroute.h"
#include "mime.h"
#include "rules.h"
#include "xalloc.h"

#define CTL_RULES_MAX_INPUT (64 * 1024 * 1024)
#define CTL_RULES_DEFAULT_DIR SYSCONFDIR "/ticketd/rules"

struct ctl_rules_opts {
	const char *dir;
	const char *source;
	const char *mailbox;
	const char *file;
	bool json;
	bool agent;
	const char *rcpt[CTL_MAX_MANY];  /* --recipient: the envelope's */
	int n_rcpt;
};

/* The options of `rules test` and `rules check` (check has only --rules). */
static void
ctl_rules_args(const struct ctl_args *a, bool test, struct ctl_rules_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->dir = ctl_str(a, "rules");
	if (!test)
		return;
	o->json = ctl_flag(a, "json");
	o->agent = ctl_flag(a, "agent");
	o->source = ctl_str(a, "source");
	o->mailbox = ctl_str(a, "mailbox");
	o->n_rcpt = ctl_strs(a, "recipient", o->rcpt, CTL_MAX_MANY);
	o->file = a->pos[0];
}

static struct rules *
ctl_rules_load(const char *dir)
{
	struct tk_errlist errs;
	struct rules *rs = NULL;

	tk_errlist_init(&errs);
	if (rules_load_dir(dir, NULL, &rs, &errs) < 0) {
		tk_errlist_print(&errs, stderr);
		fprintf(stderr, "ticketctl: %zu error%s in %s\n", errs.n, errs.n == 1 ? "" : "s", dir);
	}
	tk_errlist_fini(&errs);
	return rs;
}

static json_t *
json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *
ctl_rules_json(const struct rules_result *res)
{
	const struct rules_fields *f = &res->fields;
	json_t *o = json_object(), *matched = json_array(), *tags = json_array();
	json_t *fields = json_object(), *trace = json_array();

	for (size_t i = 0; i < res->n_matched; i++)
		json_array_append_new(matched, json_string(res->matched[i]));
	for (size_t i = 0; i < f->n_tags; i++)
		json_array_append_new(tags, json_string(f->tags[i]));
	json_object_set_new(fields, "tenant", json_str_or_null(f->tenant));
	json_object_set_new(fields, "queue", json_str_or_null(f->queue));
	json_object_set_new(fields, "priority", json_str_or_null(f->priority));
	json_object_set_new(fields, "category", json_str_or_null(f->category));
	json_object_set_new(fields, "type", json_str_or_null(f->type));
	json_object_set_new(fields, "impact", json_str_or_null(f->impact));
	json_object_set_new(fields, "tags", tags);
	json_object_set_new(fields, "sla_policy", json_str_or_null(f->sla_policy));
	json_object_set_new(fields, "assignee", json_str_or_null(f->assignee));
	json_object_set_new(fields, "skill", json_str_or_null(f->skill));
	json_object_set_new(fields, "min_level", f->skill ? json_integer(f->min_level) : json_null());
	json_object_set_new(fields, "assign", json_str_or_null(f->assign_mode));
	for (size_t i = 0; i < res->n_trace; i++) {
		const struct rules_trace *t = &res->trace[i];

		json_array_append_new(trace, json_pack("{s:s, s:s, s:b, s:o}", "rule", t->rule, "where",
		                                       t->where, "matched", t->matched, "failed",
		                                       json_str_or_null(t->failed)));
	}
	json_object_set_new(o, "matched", matched);
	json_object_set_new(o, "dropped", json_boolean(res->dropped));
	json_object_set_new(o, "drop_reason", json_str_or_null(res->drop_reason));
	json_object_set_new(o, "quarantined", json_boolean(res->quarantined));
	json_object_set_new(o, "quarantine_reason", json_str_or_null(res->quarantine_reason));
	json_object_set_new(o, "fields", fields);
	json_object_set_new(o, "regex_errors", json_integer(res->regex_errors));
	json_object_set_new(o, "trace", trace);
	return o;
}

static void
print_field(const char *name, const char *value)
{
	if (value != NULL)
		printf("  %-11s %s\n", name, value);
}

static void
ctl_rules_print(const struct rules_result *res)
{
	const struct rules_fields *f = &res->fields;

	for (size_t i = 0; i < res->n_trace; i++) {
		const struct rules_trace *t = &res->trace[i];

		if (t->matched)
			printf("rule %s (%s): matched\n", t->rule, t->where);
		else
			printf("rule %s (%s): no match: %s\n", t->rule, t->where,
			       t->failed ? t->failed : "-");
	}
	if (res->regex_errors)
		printf("warning: %u regex match(es) hit the PCRE2 limits and counted as no match\n",
		       res->regex_errors);
	printf("result:\n");
	if (res->dropped)
		printf("  dropped     %s\n", res->drop_reason);
	if (res->quarantined)
		printf("  quarantine  %s\n", res->quarantine_reason);
	if (res->n_matched == 0)
		printf("  (no rule matched)\n");
	print_field("tenant", f->tenant);
	print_field("queue", f->queue);
	print_field("priority", f->priority);
	print_field("category", f->category);
	print_field("type", f->type);
	print_field("impact", f->impact);
	print_field("sla_policy", f->sla_policy);
	print_field("assignee", f->assignee);
	print_field("assign", f->assign_mode);
	if (f->skill)
		printf("  %-11s %s (level %d or more)\n", "skill", f->skill, f->min_level);
	if (f->n_tags) {
		printf("  %-11s", "tags");
		for (size_t i = 0; i < f->n_tags; i++)
			printf(" %s", f->tags[i]);
		printf("\n");
	}
}

/* Guess the sender of a webhook payload when --source is not given. */
static const char *
guess_source(const json_t *root)
{
	if (json_object_get(root, "alerts") && json_object_get(root, "orgId"))
		return "grafana";
	if (json_object_get(root, "alerts"))
		return "alertmanager";
	if (json_object_get(root, "payload") || json_object_get(root, "event_action"))
		return "pagerduty";
	return "webhook";
}

static bool
looks_like_json(const char *file, const struct buf *b)
{
	size_t len = strlen(file);
	const char *p = b->data ? b->data : "";

	if (len > 5 && strcmp(file + len - 5, ".json") == 0)
		return true;
	p += strspn(p, " \t\r\n");
	return *p == '{' || *p == '[';
}

/* Evaluate one input and print it; collects JSON results into out. */
static void
ctl_rules_one(const struct rules *rs, const struct rules_input *in, const struct ctl_rules_opts *o,
              size_t idx, size_t n, json_t *out)
{
	struct rules_result *res = rules_eval(rs, in, RULES_EVAL_TRACE);

	if (o->json) {
		json_array_append_new(out, ctl_rules_json(res));
	} else {
		if (n > 1)
			printf("%salert %zu of %zu:\n", idx ? "\n" : "", idx + 1, n);
		ctl_rules_print(res);
	}
	rules_result_free(&res);
}

static int
ctl_rules_alerts(const struct rules *rs, const struct buf *b, const struct ctl_rules_opts *o,
                 json_t *out)
{
	json_error_t jerr;
	json_t *root = json_loadb(b->data ? b->data : "", b->len, 0, &jerr);
	const json_t *list;
	const char *source;
	size_t n;

	if (root == NULL) {
		fprintf(stderr, "%s:%d:%d: JSON error: %s\n", o->file, jerr.line, jerr.column, jerr.text);
		return CTL_USAGE;
	}
	source = o->source ? o->source : guess_source(root);
	list = json_is_array(root) ? root : json_object_get(root, "alerts");
	if (!json_is_array(list) || json_array_size(list) == 0)
		list = NULL;
	n = list ? json_array_size(list) : 1;
	if (!o->json)
		printf("input: %s, %zu alert%s, source %s\n", o->file, n, n == 1 ? "" : "s", source);
	for (size_t i = 0; i < n; i++) {
		struct rules_input in;

		rules_input_alert(&in, list ? json_array_get(list, i) : root, source);
		ctl_rules_one(rs, &in, o, i, n, out);
	}
	json_decref(root);
	return CTL_OK;
}

static const char *const ctl_route_actions[] = {
	[MAILROUTE_TICKET] = "ticket", [MAILROUTE_DROP] = "drop",
	[MAILROUTE_QUARANTINE] = "quarantine",
};

/* The daemon's decision (mailroute.h) after the rules' result. */
static void
ctl_rules_print_route(const struct mailroute *r)
{
	printf("decision:     %s", ctl_route_actions[r->action]);
	if (r->action == MAILROUTE_TICKET)
		printf(", %s\n", r->acknowledge ? "acknowledged (when conversation.acknowledge is on "
		       "and the sender's rate allows)" : "never acknowledged (automatic mail)");
	else
		printf(": %s\n", r->reason);
	if (r->verdict.cls == LOOP_BOUNCE)
		printf("note:         a bounce that returns one of ticketd's own mails is recorded on its "
		       "ticket before the rules run\n");
}

/* What the rules saw as recipient, and where it came from. */
static json_t *
recipients_json(const struct mailroute *r)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < r->n_recipients; i++)
		json_array_append_new(arr, json_string(r->recipients[i]));
	return arr;
}

static void
print_recipients(const struct mailroute *r)
{
	printf("recipient:    ");
	for (size_t i = 0; i < r->n_recipients; i++)
		printf("%s%s", i ? ", " : "", r->recipients[i]);
	printf("%s%s%s\n", r->n_recipients ? " (" : "(none)",
	       r->recipients_from ? r->recipients_from : "", r->n_recipients ? ")" : "");
}

/*
 * A mail runs through mailroute_decide(), the daemon's own decision for a
 * mail that starts a ticket; replies to a ticket (found in the database)
 * do not run the rules.
 */
static int
ctl_rules_mail(const struct rules *rs, const struct config *cfg, const struct buf *b,
               const struct ctl_rules_opts *o, json_t *out)
{
	struct mime_msg *msg = NULL;
	struct tk_err err;
	struct loop_verdict v;
	struct mailroute r;
	struct mailroute_in in = { .source = o->source, .mailbox = o->mailbox,
	                           .sender_is_agent = o->agent, .recipients = o->rcpt,
	                           .n_recipients = (size_t)o->n_rcpt };
	struct rules_result none = { 0 };
	json_t *j;

	if (mime_parse(b->data ? b->data : "", b->len, &msg, &err) < 0) {
		fprintf(stderr, "%s: cannot parse message: %s\n", o->file, err.msg);
		return CTL_USAGE;
	}
	in.msg = msg;
	if (cfg && config_agent_by_email(cfg, msg->from.addr))
		in.sender_is_agent = true;
	mailroute_classify(msg, cfg && cfg->convo ? cfg->convo->address : NULL, &v);
	mailroute_decide(rs, &in, &v, RULES_EVAL_TRACE, &r);
	if (o->json) {
		j = ctl_rules_json(r.rr ? r.rr : &none);
		json_object_set_new(j, "auto_class", json_string(loop_class_name(v.cls)));
		json_object_set_new(j, "auto_reason", json_string(v.reason));
		json_object_set_new(j, "decision", json_string(ctl_route_actions[r.action]));
		json_object_set_new(j, "decision_reason", json_str_or_null(r.reason[0] ? r.reason : NULL));
		json_object_set_new(j, "acknowledge", json_boolean(r.action == MAILROUTE_TICKET &&
		                                                   r.acknowledge));
		json_object_set_new(j, "recipients", recipients_json(&r));
		json_object_set_new(j, "recipients_from", json_str_or_null(r.recipients_from));
		json_array_append_new(out, j);
	} else {
		printf("input: %s, mail, source %s, mailbox %s%s\n", o->file,
		       o->source ? o->source : "(none)", o->mailbox ? o->mailbox : "(none)",
		       in.sender_is_agent ? ", sender is an agent" : "");
		printf("auto_class:   %s (%s)\n", loop_class_name(v.cls), v.reason);
		print_recipients(&r);
		ctl_rules_print(r.rr ? r.rr : &none);
		ctl_rules_print_route(&r);
	}
	mailroute_fini(&r);
	mime_msg_free(&msg);
	return CTL_OK;
}

static int
ctl_rules_test(const struct ctl_rules_opts *o, const struct config *cfg)
{
	struct rules *rs;
	struct buf b;
	json_t *out = json_array();
	int rc;

	if ((rs = ctl_rules_load(o->dir)) == NULL) {
		json_decref(out);
		return CTL_USAGE;
	}
	buf_init(&b, CTL_RULES_MAX_INPUT);
	if ((strcmp(o->file, "-") == 0 ? buf_read_fd(&b, 0) : buf_read_file(&b, o->file)) < 0) {
		fprintf(stderr, "%s: cannot read (missing, unreadable or over %d MiB)\n", o->file,
		        CTL_RULES_MAX_INPUT >> 20);
		rc = CTL_USAGE;
		goto out;
	}
	if (!o->json)
		printf("rules: %s (%zu rules%s)\n", o->dir, rules_count(rs),
		       rules_jit(rs) ? ", JIT" : "");
	rc = looks_like_json(o->file, &b) ? ctl_rules_alerts(rs, &b, o, out)
	                                   : ctl_rules_mail(rs, cfg, &b, o, out);
	if (rc == CTL_OK && o->json) {
		/* One object; a payload of several alerts adds them all under "alerts". */
		json_t *top = json_deep_copy(json_array_get(out, 0));

		if (json_array_size(out) > 1)
			json_object_set(top, "alerts", out);
		json_dumpf(top, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("\n");
		json_decref(top);
	}
out:
	buf_fini(&b);
	json_decref(out);
	rules_unref(&rs);
	return rc;
}

/*
 * Without --rules: the rules directory of the configuration the daemon
 * reads (-c FILE, TICKETD_CONFIG or the default file), else the default
 * directory. *cfg_r keeps the configuration (o->dir points into it).
 */
static int
ctl_rules_dir(struct ctl_rules_opts *o, struct config **cfg_r)
{
	int rc;

	*cfg_r = NULL;
	if (o->dir != NULL)
		return CTL_OK;
	o->dir = CTL_RULES_DEFAULT_DIR;
	if (ctl_config_path() == NULL)
		return CTL_OK;
	if ((rc = ctl_load_config(cfg_r)) != CTL_OK)
		return rc;
	if (*cfg_r == NULL)
		return CTL_OK;
	if ((*cfg_r)->rules_dir == NULL) {
		fprintf(stderr, "ticketctl: %s configures no rules directory (rules.dir); "
		        "name one with --rules DIR\n", (*cfg_r)->path);
		return CTL_USAGE;
	}
	o->dir = (*cfg_r)->rules_dir;
	return CTL_OK;
}

static int
ctl_rules_check(const struct ctl_rules_opts *o)
{
	struct rules *rs;

	if ((rs = ctl_rules_load(o->dir)) == NULL)
		return CTL_USAGE;
	printf("%s: %zu rules, OK%s\n", o->dir, rules_count(rs), rules_jit(rs) ? " (JIT)" : "");
	rules_unref(&rs);
	return CTL_OK;
}

static int
ctl_rules_run(const struct ctl_args *a, bool test)
{
	struct ctl_rules_opts o;
	struct config *cfg = NULL;
	int rc;

	ctl_rules_args(a, test, &o);
	if ((rc = ctl_rules_dir(&o, &cfg)) == CTL_OK)
		rc = test ? ctl_rules_test(&o, cfg) : ctl_rules_check(&o);
	config_unref(&cfg);
	return rc;
}

static int
rules_test(const struct ctl_args *a)
{
	return ctl_rules_run(a, true);
}

static int
rules_check(const struct ctl_args *a)
{
	return ctl_rules_run(a, false);
}

static const struct ctl_opt test_opts[] = {
	{ "rules", 0, CTL_STR, "DIR", "the rules directory (default: the configuration's)" },
	{ "json", 0, CTL_FLAG, NULL, "the outcome as JSON" },
	{ "source", 0, CTL_STR, "NAME", "the source the input came from" },
	{ "mailbox", 0, CTL_STR, "NAME", "the mailbox a message came to" },
	{ "agent", 0, CTL_FLAG, NULL, "the sender is an agent" },
	{ "recipient", 0, CTL_STR, "ADDR", "an envelope recipient (again for each; default: "
	  "X-Original-To or Delivered-To on top)", .many = true },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_rules_test = {
	.name = "rules test", .args = "FILE|-", .min_pos = 1, .max_pos = 1, .opts = test_opts,
	.run = rules_test,
	.summary = "how the routing rules treat a message (.eml) or an alert (.json)",
};

static const struct ctl_opt check_opts[] = {
	{ "rules", 0, CTL_STR, "DIR", "the rules directory (default: the configuration's)" },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_rules_check = {
	.name = "rules check", .opts = check_opts, .run = rules_check,
	.summary = "load the rules and report every error as FILE:LINE:COL: message",
};
