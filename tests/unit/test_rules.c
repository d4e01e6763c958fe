/*
 * test_rules.c: the routing rules engine: grammar, every operator and
 * combinator, precedence and continue, every load error with its position,
 * the backtracking guard, both input adapters, and an atomic reload while
 * other threads evaluate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

#include <cmocka.h>

#include "buf.h"
#include "log.h"
#include "mime.h"
#include "rules.h"
#include "xalloc.h"



static struct rules *
load_ok(const char *text)
{
	struct tk_errlist errs;
	struct rules *rs = NULL;

	tk_errlist_init(&errs);
	if (rules_load_string("t.yaml", text, NULL, &rs, &errs) < 0)
		tk_errlist_print(&errs, stderr);
	assert_int_equal(errs.n, 0);
	assert_non_null(rs);
	tk_errlist_fini(&errs);
	return rs;
}

/* Load text that must fail; errs is left for the caller to inspect. */
static void
load_bad(const char *text, const struct rules_options *opts, struct tk_errlist *errs)
{
	struct rules *rs = (struct rules *)1;

	tk_errlist_init(errs);
	assert_int_equal(rules_load_string("t.yaml", text, opts, &rs, errs), -1);
	assert_null(rs);
	assert_true(errs->n > 0);
}

static bool
has_err(const struct tk_errlist *errs, const char *want)
{
	for (size_t i = 0; i < errs->n; i++)
		if (strstr(errs->items[i], want) != NULL)
			return true;
	fprintf(stderr, "missing error \"%s\" among:\n", want);
	tk_errlist_print(errs, stderr);
	return false;
}

/* A hand-made message (the MIME parser is tested on its own). */
struct fixture {
	struct mime_msg msg;
	struct mime_addr to[2], cc[1];
	struct mime_header hdr[3];
	struct mime_attachment att[2];
};

static void
fixture_init(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	fx->msg.subject = (char *)"Postgres replica lag on db-3";
	fx->msg.from.addr = (char *)"alice@customer.example";
	fx->msg.from.name = (char *)"Alice";
	fx->to[0].addr = (char *)"support@ticketd.example";
	fx->to[1].addr = (char *)"billing@ticketd.example";
	fx->cc[0].addr = (char *)"bob@customer.example";
	fx->msg.to = fx->to;
	fx->msg.n_to = 2;
	fx->msg.cc = fx->cc;
	fx->msg.n_cc = 1;
	fx->hdr[0].name = (char *)"List-Id";
	fx->hdr[0].value = (char *)"<announce.lists.example>";
	fx->hdr[1].name = (char *)"X-Priority";
	fx->hdr[1].value = (char *)"2";
	fx->hdr[2].name = (char *)"Received";
	fx->hdr[2].value = (char *)"from mx.example";
	fx->msg.headers = fx->hdr;
	fx->msg.n_headers = 3;
	fx->att[0].filename = (char *)"invoice-2024.pdf";
	fx->att[0].content_type = (char *)"application/pdf";
	fx->att[1].filename = NULL;
	fx->att[1].content_type = (char *)"image/png";
	fx->msg.attachments = fx->att;
	fx->msg.n_attachments = 2;
	fx->msg.text = (char *)"Hello,\nthe invoice is wrong.\n";
}

/* Evaluate one rule set against the fixture; returns the result. */
static struct rules_result *
eval_mail(struct rules *rs, const struct fixture *fx, bool agent, unsigned flags)
{
	struct rules_input in;

	rules_input_mail(&in, &fx->msg, "imap", "support", agent);
	return rules_eval(rs, &in, flags);
}

/* Whether a one-rule set with the given match matches the fixture. */
static bool
mail_matches(const char *match)
{
	struct fixture fx;
	char *text = xasprintf("rules:\n  - name: r\n    match: %s\n    set: { queue: q }\n", match);
	struct rules *rs = load_ok(text);
	struct rules_result *res;
	bool m;

	fixture_init(&fx);
	res = eval_mail(rs, &fx, false, 0);
	m = res->n_matched == 1;
	assert_int_equal(m, res->fields.queue != NULL);
	rules_result_free(&res);
	rules_unref(&rs);
	xfree(&text);
	return m;
}

static void
test_grammar_and_fields(void **state)
{
	struct fixture fx;
	struct rules *rs = load_ok(
		"# comment\n"
		"rules:\n"
		"  - name: database\n"
		"    match:\n"
		"      source: imap\n"
		"      mailbox: support\n"
		"      any:\n"
		"        - subject: /postgres|database/i\n"
		"        - header.x-service: db\n"
		"    set: { tenant: acme, queue: dba, priority: critical, category: Technical Issue,\n"
		"           type: incident, impact: high, tags: [db, replica], sla_policy: gold,\n"
		"           assignee: carol }\n"
		"    assign: { skill: database, min_level: 3 }\n");
	struct rules_result *res;

	assert_int_equal(rules_count(rs), 1);
	fixture_init(&fx);
	res = eval_mail(rs, &fx, false, 0);
	assert_int_equal(res->n_matched, 1);
	assert_string_equal(res->matched[0], "database");
	assert_false(res->dropped);
	assert_string_equal(res->fields.tenant, "acme");
	assert_string_equal(res->fields.queue, "dba");
	assert_string_equal(res->fields.priority, "critical");
	assert_string_equal(res->fields.category, "Technical Issue");
	assert_string_equal(res->fields.type, "incident");
	assert_string_equal(res->fields.impact, "high");
	assert_string_equal(res->fields.sla_policy, "gold");
	assert_string_equal(res->fields.assignee, "carol");
	assert_string_equal(res->fields.skill, "database");
	assert_int_equal(res->fields.min_level, 3);
	assert_string_equal(res->fields.assign_mode, "skill");   /* a skill alone means mode skill */
	assert_int_equal(res->fields.n_tags, 2);
	assert_string_equal(res->fields.tags[1], "replica");
	rules_result_free(&res);
	assert_null(res);
	/* Another source: the rule does not match and nothing is set. */
	struct rules_input in;

	rules_input_mail(&in, &fx.msg, "pipe", "support", false);
	res = rules_eval(rs, &in, 0);
	assert_int_equal(res->n_matched, 0);
	assert_null(res->fields.queue);
	rules_result_free(&res);
	rules_unref(&rs);
	assert_null(rs);
}

static void
test_equals_and_regex(void **state)
{
	assert_true(mail_matches("{ from: alice@customer.example }"));
	assert_false(mail_matches("{ from: Alice@customer.example }"));
	assert_true(mail_matches("{ from: /^ALICE@/i }"));
	assert_false(mail_matches("{ from: /^ALICE@/ }"));
	assert_true(mail_matches("{ from: { equals: alice@customer.example } }"));
	assert_true(mail_matches("{ subject: { regex: \"replica\\\\s+lag\" } }"));
	assert_true(mail_matches("{ subject: { regex: /REPLICA/i } }"));
	/* Multi-valued fields: any value may match. */
	assert_true(mail_matches("{ to: /^billing@/ }"));
	assert_false(mail_matches("{ to: /^sales@/ }"));
	assert_true(mail_matches("{ cc: bob@customer.example }"));
	/* Flags m, s, x. */
	assert_true(mail_matches("{ body: /^the invoice/m }"));
	assert_false(mail_matches("{ body: /^the invoice/ }"));
	assert_true(mail_matches("{ body: '/Hello,.the/s' }"));
	assert_false(mail_matches("{ body: '/Hello,.the/' }"));
	assert_true(mail_matches("{ body: '/in voice/x' }"));
	assert_true(mail_matches("{ subject: /db.\\d/u }"));
	/* Headers by name, case-insensitively. */
	assert_true(mail_matches("{ header.list-id: /announce/ }"));
	assert_true(mail_matches("{ header.LIST-ID: /announce/ }"));
	assert_true(mail_matches("{ attachment.name: /\\.pdf$/ }"));
	assert_true(mail_matches("{ attachment.type: image/png }"));
	assert_false(mail_matches("{ attachment.type: image/gif }"));
	/* Engine fields. */
	assert_true(mail_matches("{ kind: mail }"));
	assert_false(mail_matches("{ kind: alert }"));
	/* Alert fields on mail have no value. */
	assert_false(mail_matches("{ label.severity: critical }"));
	assert_false(mail_matches("{ json./a: x }"));
}

static void
test_in_exists_numbers_bools(void **state)
{
	assert_true(mail_matches("{ from: [bob@x.example, alice@customer.example] }"));
	assert_true(mail_matches("{ from: { in: [bob@x.example, /@customer\\./] } }"));
	assert_false(mail_matches("{ from: [bob@x.example, carol@x.example] }"));
	assert_true(mail_matches("{ header.list-id: { exists: true } }"));
	assert_false(mail_matches("{ header.list-id: { exists: false } }"));
	assert_true(mail_matches("{ header.x-spam: { exists: false } }"));
	assert_false(mail_matches("{ header.x-spam: { exists: true } }"));
	assert_true(mail_matches("{ header.x-priority: { le: 2 } }"));
	assert_true(mail_matches("{ header.x-priority: { ge: 2, lt: 3 } }"));
	assert_false(mail_matches("{ header.x-priority: { gt: 2 } }"));
	assert_false(mail_matches("{ header.x-priority: { lt: 2 } }"));
	assert_true(mail_matches("{ header.x-priority: { gt: 1.5 } }"));
	/* A non-number never passes a numeric test. */
	assert_false(mail_matches("{ subject: { gt: 0 } }"));
	assert_false(mail_matches("{ subject: { lt: 0 } }"));
	/* Booleans are written as YAML booleans. */
	assert_true(mail_matches("{ auto_reply: false }"));
	assert_true(mail_matches("{ auto_reply: no }"));
	assert_false(mail_matches("{ auto_reply: true }"));
	assert_true(mail_matches("{ bounce: false, sender_is_agent: false }"));
}

static void
test_combinators(void **state)
{
	assert_true(mail_matches("{ all: [ { from: /customer/ }, { to: /billing/ } ] }"));
	assert_false(mail_matches("{ all: [ { from: /customer/ }, { to: /sales/ } ] }"));
	assert_true(mail_matches("{ any: [ { from: /nobody/ }, { to: /billing/ } ] }"));
	assert_false(mail_matches("{ any: [ { from: /nobody/ }, { to: /sales/ } ] }"));
	assert_true(mail_matches("{ not: { from: /@example\\.com$/ } }"));
	assert_false(mail_matches("{ not: { from: /customer/ } }"));
	/* Several keys in one mapping are all required. */
	assert_true(mail_matches("{ from: /customer/, to: /billing/ }"));
	assert_false(mail_matches("{ from: /customer/, to: /sales/ }"));
	/* Nesting. */
	assert_true(mail_matches("{ any: [ { not: { subject: '/x{5}/' } }, { from: none } ] }"));
	assert_true(mail_matches(
		"{ all: [ { any: [ { to: /billing/ }, { to: /sales/ } ] }, { not: { not: { cc: /bob/ } } } ] }"));
	assert_false(mail_matches("{ not: { any: [ { to: /billing/ }, { to: /sales/ } ] } }"));
}

static void
test_precedence_and_continue(void **state)
{
	struct fixture fx;
	struct rules *rs = load_ok(
		"rules:\n"
		"  - name: no-match\n"
		"    match: { from: /nobody/ }\n"
		"    set: { queue: never }\n"
		"  - name: billing\n"
		"    match: { to: /billing@/ }\n"
		"    set: { queue: billing, category: Billing, tags: [money] }\n"
		"    continue: true\n"
		"  - name: customer\n"
		"    match: { from: /@customer\\./ }\n"
		"    set: { queue: customers, tenant: customer, tags: [money, vip] }\n"
		"    continue: yes\n"
		"  - name: fallback\n"
		"    set: { queue: general, priority: medium }\n"
		"  - name: after-fallback\n"
		"    set: { queue: unreachable }\n");
	struct rules_result *res;

	fixture_init(&fx);
	res = eval_mail(rs, &fx, false, 0);
	assert_int_equal(res->n_matched, 3);
	assert_string_equal(res->matched[0], "billing");
	assert_string_equal(res->matched[1], "customer");
	assert_string_equal(res->matched[2], "fallback");
	/* The first rule to set a field wins; later ones only fill gaps. */
	assert_string_equal(res->fields.queue, "billing");
	assert_string_equal(res->fields.tenant, "customer");
	assert_string_equal(res->fields.priority, "medium");
	assert_int_equal(res->fields.n_tags, 2);
	assert_string_equal(res->fields.tags[0], "money");
	assert_string_equal(res->fields.tags[1], "vip");
	rules_result_free(&res);
	rules_unref(&rs);
}

static void
test_drop_and_quarantine(void **state)
{
	struct fixture fx;
	struct rules *rs = load_ok(
		"rules:\n"
		"  - name: tag\n"
		"    set: { tags: [seen] }\n"
		"    continue: true\n"
		"  - name: lists\n"
		"    match: { header.list-id: { exists: true } }\n"
		"    drop: mailing list traffic\n"
		"  - name: fallback\n"
		"    set: { queue: general }\n");
	struct rules *rq = load_ok(
		"rules:\n"
		"  - name: pdf\n"
		"    match: { attachment.name: /\\.pdf$/i }\n"
		"    quarantine: PDF from outside\n"
		"    set: { queue: security }\n"
		"  - name: fallback\n"
		"    set: { queue: general }\n");
	struct rules_result *res;

	fixture_init(&fx);
	res = eval_mail(rs, &fx, false, 0);
	assert_true(res->dropped);
	assert_string_equal(res->drop_reason, "mailing list traffic");
	assert_int_equal(res->n_matched, 2);
	assert_null(res->fields.queue);
	rules_result_free(&res);
	fx.msg.n_headers = 0; /* no List-Id: falls through */
	res = eval_mail(rs, &fx, false, 0);
	assert_false(res->dropped);
	assert_null(res->drop_reason);
	assert_string_equal(res->fields.queue, "general");
	rules_result_free(&res);
	res = eval_mail(rq, &fx, false, 0);
	assert_true(res->quarantined);
	assert_string_equal(res->quarantine_reason, "PDF from outside");
	assert_string_equal(res->fields.queue, "security");
	assert_int_equal(res->n_matched, 1);
	rules_result_free(&res);
	rules_unref(&rs);
	rules_unref(&rq);
}

static void
test_sender_is_agent_and_flags(void **state)
{
	struct fixture fx;
	struct rules *rs = load_ok(
		"rules:\n"
		"  - name: agent\n"
		"    match: { sender_is_agent: true }\n"
		"    set: { queue: agents }\n"
		"  - name: auto\n"
		"    match: { any: [ { auto_reply: true }, { bounce: true } ] }\n"
		"    drop: auto-reply or bounce\n");
	struct rules_result *res;

	fixture_init(&fx);
	res = eval_mail(rs, &fx, true, 0);
	assert_string_equal(res->fields.queue, "agents");
	rules_result_free(&res);
	res = eval_mail(rs, &fx, false, 0);
	assert_int_equal(res->n_matched, 0);
	rules_result_free(&res);
	fx.msg.is_bounce = true;
	res = eval_mail(rs, &fx, false, 0);
	assert_true(res->dropped);
	rules_result_free(&res);
	fx.msg.is_bounce = false;
	fx.msg.is_auto_reply = true;
	res = eval_mail(rs, &fx, false, 0);
	assert_true(res->dropped);
	rules_result_free(&res);
	rules_unref(&rs);
}

static void
test_trace(void **state)
{
	struct fixture fx;
	struct rules *rs = load_ok(
		"rules:\n"
		"  - name: one\n"
		"    match:\n"
		"      from: /customer/\n"
		"      any:\n"
		"        - subject: /nope/\n"
		"        - to: /nope/\n"
		"    set: { queue: a }\n"
		"  - name: two\n"
		"    match: { from: /customer/, header.x-absent: foo }\n"
		"    set: { queue: b }\n"
		"  - name: three\n"
		"    match: { not: { from: /customer/ } }\n"
		"    set: { queue: c }\n"
		"  - name: four\n"
		"    match: { subject: /lag/ }\n"
		"    set: { queue: d }\n"
		"  - name: six\n"
		"    match: { to: /nope/ }\n"
		"  - name: seven\n"
		"    match: { kind: alert }\n"
		"  - name: five\n"
		"    set: { queue: e }\n");
	struct rules_result *res;

	fixture_init(&fx);
	res = eval_mail(rs, &fx, false, RULES_EVAL_TRACE);
	assert_int_equal(res->n_trace, 4); /* five is never tried */
	assert_false(res->trace[0].matched);
	assert_string_equal(res->trace[0].rule, "one");
	assert_string_equal(res->trace[0].where, "t.yaml:2");
	assert_non_null(strstr(res->trace[0].failed, "match.any (line 5, column 7)"));
	assert_non_null(strstr(res->trace[0].failed, "no alternative matched"));
	assert_non_null(strstr(res->trace[1].failed, "match.header.x-absent"));
	assert_non_null(strstr(res->trace[1].failed, "the field has no value"));
	assert_non_null(strstr(res->trace[2].failed, "match.not"));
	assert_non_null(strstr(res->trace[2].failed, "negated"));
	assert_non_null(strstr(res->trace[1].failed, "match.header.x-absent (line 10, column 32)"));
	assert_true(res->trace[3].matched);
	assert_null(res->trace[3].failed);
	assert_string_equal(res->fields.queue, "d");
	rules_result_free(&res);
	/* The failing values are shown, clipped. */
	fx.msg.subject = (char *)"no";
	res = eval_mail(rs, &fx, false, RULES_EVAL_TRACE);
	assert_int_equal(res->n_trace, 7);
	assert_non_null(strstr(res->trace[3].failed, "no value matched (the value is \"no\")"));
	assert_non_null(strstr(res->trace[4].failed, "(2 values, the first is \"support@ticketd.example\")"));
	assert_non_null(strstr(res->trace[5].failed, "match.kind (line 21, column 14)"));
	assert_int_equal(res->n_matched, 1);
	assert_string_equal(res->fields.queue, "e");
	rules_result_free(&res);
	/* Without the flag, no trace is kept. */
	res = eval_mail(rs, &fx, false, 0);
	assert_int_equal(res->n_trace, 0);
	assert_null(res->trace);
	rules_result_free(&res);
	rules_unref(&rs);
}

static void
test_alert_adapter(void **state)
{
	json_error_t jerr;
	json_t *alert = json_loads(
		"{\"status\":\"firing\",\"labels\":{\"alertname\":\"PgDown\",\"severity\":\"critical\","
		"\"service\":\"db\",\"shard\":7},\"annotations\":{\"summary\":\"Postgres is down\","
		"\"description\":\"db-1 unreachable\"},\"values\":{\"B\":44.5,\"ok\":true},"
		"\"list\":[\"a\",\"b\",{\"x\":1}],\"odd/key~\":\"yes\",\"nothing\":null}", 0, &jerr);
	json_t *pd = json_loads("{\"payload\":{\"summary\":\"DISK at 99%\",\"severity\":\"warning\"}}",
	                        0, &jerr);
	struct rules *rs = load_ok(
		"rules:\n"
		"  - name: r1\n"
		"    match: { kind: alert, source: alertmanager, status: firing, severity: critical }\n"
		"    set: { tags: [r1] }\n"
		"    continue: true\n"
		"  - name: r2\n"
		"    match: { subject: /postgres|database/i, body: /unreachable/, label.service: db }\n"
		"    set: { tags: [r2] }\n"
		"    continue: true\n"
		"  - name: r3\n"
		"    match: { label.shard: { ge: 7 }, json./values/B: { gt: 44 }, json./values/ok: true }\n"
		"    set: { tags: [r3] }\n"
		"    continue: true\n"
		"  - name: r4\n"
		"    match: { json./list: b, json./list/0: a, json./odd~1key~0: 'yes' }\n"
		"    set: { tags: [r4] }\n"
		"    continue: true\n"
		"  - name: r5\n"
		"    match: { json./nothing: { exists: false }, json./labels: { exists: true },\n"
		"             json./list/9: { exists: false }, json./list/01: { exists: false },\n"
		"             annotation.summary: /down/, from: { exists: false } }\n"
		"    set: { tags: [r5] }\n"
		"    continue: true\n"
		"  - name: r6\n"
		"    match: { severity: warning, subject: /DISK/ }\n"
		"    set: { tags: [r6] }\n");
	struct rules_input in;
	struct rules_result *res;

	assert_non_null(alert);
	assert_non_null(pd);
	rules_input_alert(&in, alert, "alertmanager");
	res = rules_eval(rs, &in, 0);
	assert_int_equal(res->n_matched, 5);
	assert_int_equal(res->fields.n_tags, 5);
	assert_string_equal(res->fields.tags[4], "r5");
	rules_result_free(&res);
	/* PagerDuty: severity and summary under payload. */
	rules_input_alert(&in, pd, "pagerduty");
	res = rules_eval(rs, &in, 0);
	assert_int_equal(res->n_matched, 1);
	assert_string_equal(res->matched[0], "r6");
	rules_result_free(&res);
	rules_unref(&rs);
	json_decref(alert);
	json_decref(pd);
}

static void
test_errors_with_positions(void **state)
{
	struct tk_errlist errs;

	load_bad("rules:\n"
	         "  - name: a\n"
	         "    match: { subjetc: /x/ }\n"                          /* 3 */
	         "    set: { queue: q, priorty: high }\n"                 /* 4 */
	         "  - name: b\n"
	         "    match: { subject: /(unclosed/ }\n"                  /* 6 */
	         "    set: { priority: pressing, type: problem }\n"       /* 7 */
	         "  - name: a\n"                                          /* 8 */
	         "    match: { subject: /x/q, from: { like: x } }\n"      /* 9 */
	         "    drop: spam\n"
	         "    continue: true\n"                                   /* 11 */
	         "  - match: [ x ]\n"                                     /* 12 */
	         "    set: { tags: { a: b } }\n"                          /* 13 */
	         "    assign: { skill: db, min_level: 11 }\n"             /* 14 */
	         "    frobnicate: 1\n"                                    /* 15 */
	         "  - name: c\n"
	         "    match: { header.: x, json.a: x, kind: mial, any: [] }\n" /* 17 */
	         "    drop: x\n"
	         "    quarantine: y\n"                                    /* 19 */
	         "  - name: d\n"
	         "    match: { header.x: { gt: lots }, to: /abc/ }\n"     /* 21 */
	         "    set: { queue: '' }\n"                               /* 22 */
	         "    assign: { min_level: 2 }\n",                        /* 23 */
	         NULL, &errs);
	assert_true(has_err(&errs, "t.yaml:3:14: unknown field \"subjetc\" in condition"));
	assert_true(has_err(&errs, "t.yaml:4:22: unknown field \"priorty\" in set"));
	assert_true(has_err(&errs, "t.yaml:6:23: bad regex \"/(unclosed/\": missing closing "
	                            "parenthesis at offset 9"));
	assert_true(has_err(&errs, "t.yaml:7:22: priority \"pressing\" is not one of low, medium "
	                            "(or normal), high, critical (or urgent)"));
	assert_true(has_err(&errs, "t.yaml:7:38: type \"problem\" is not one of incident, request"));
	assert_true(has_err(&errs, "t.yaml:8:11: rule \"a\" is already defined at t.yaml:2:5"));
	assert_true(has_err(&errs, "t.yaml:9:23: unknown regex flag \"q\""));
	assert_true(has_err(&errs, "t.yaml:9:37: unknown operator \"like\""));
	assert_true(has_err(&errs, "t.yaml:11:15: a rule that drops or quarantines cannot continue"));
	assert_true(has_err(&errs, "t.yaml:12:5: rule has no name"));
	assert_true(has_err(&errs, "t.yaml:12:12: a condition must be a mapping"));
	assert_true(has_err(&errs, "t.yaml:13:18: tags: expected a list of strings"));
	/* one range of skill levels for agents and rules (lifecycle.h) */
	assert_true(has_err(&errs, "t.yaml:14:37: 11 is out of range (1 to 5)"));
	assert_true(has_err(&errs, "t.yaml:15:5: unknown field \"frobnicate\" in rule"));
	assert_true(has_err(&errs, "t.yaml:17:14: field \"header.\" needs a name after the dot"));
	assert_true(has_err(&errs, "t.yaml:17:26: field \"json.a\": a JSON pointer starts with \"/\""));
	assert_true(has_err(&errs, "t.yaml:17:43: kind is \"mail\" or \"alert\", not \"mial\""));
	assert_true(has_err(&errs, "t.yaml:17:54: \"any\" expects a non-empty list of conditions"));
	assert_true(has_err(&errs, "t.yaml:19:17: a rule cannot both drop and quarantine"));
	assert_true(has_err(&errs, "t.yaml:21:30: expected a number"));
	assert_true(has_err(&errs, "t.yaml:22:19: empty string"));
	assert_true(has_err(&errs, "t.yaml:23:13: assign needs a mode or a skill"));
	assert_true(has_err(&errs, "t.yaml:23:26: assign: min_level goes with a skill"));
	assert_int_equal(errs.n, 23); /* every error at once, nothing else */
	tk_errlist_fini(&errs);
}

/* One vocabulary (lifecycle.h): what email commands and ticketctl set accept, rules accept. */
static void
test_vocabulary(void **state)
{
	struct rules *rs = load_ok("rules:\n"
		"  - name: urgent\n"
		"    match: { subject: /x/ }\n"
		"    set: { priority: URGENT }\n"
		"    assign: { mode: least_loaded }\n"
		"    continue: true\n"
		"  - name: normal\n"
		"    match: { subject: /y/ }\n"
		"    set: { priority: normal }\n"
		"    assign: round_robin\n"
		"  - name: top\n"
		"    match: { subject: /z/ }\n"
		"    assign: { skill: db, min_level: 5 }\n");
	struct fixture fx;
	struct rules_result *res;
	struct tk_errlist errs;

	fixture_init(&fx);
	fx.msg.subject = (char *)"x y";
	res = eval_mail(rs, &fx, false, 0);
	assert_string_equal(res->fields.priority, "critical");   /* stored canonical */
	assert_string_equal(res->fields.assign_mode, "least_loaded");
	rules_result_free(&res);
	fx.msg.subject = (char *)"y";
	res = eval_mail(rs, &fx, false, 0);
	assert_string_equal(res->fields.priority, "medium");
	assert_string_equal(res->fields.assign_mode, "round_robin");
	rules_result_free(&res);
	fx.msg.subject = (char *)"z";
	res = eval_mail(rs, &fx, false, 0);
	assert_int_equal(res->fields.min_level, 5);
	rules_result_free(&res);
	rules_unref(&rs);
	load_bad("rules:\n  - name: a\n    assign: { skill: db, min_level: 6 }\n"
	         "  - name: b\n    assign: sometimes\n  - name: c\n    assign: { mode: skill }\n",
	         NULL, &errs);
	assert_true(has_err(&errs, "t.yaml:3:37: 6 is out of range (1 to 5)"));
	assert_true(has_err(&errs, "t.yaml:5:13: assign: \"sometimes\" is not one of none, "
	                            "round_robin, least_loaded, skill"));
	assert_true(has_err(&errs, "t.yaml:7:13: assign: mode skill needs a skill"));
	assert_int_equal(errs.n, 3);
	tk_errlist_fini(&errs);
}

static void
test_more_errors(void **state)
{
	static const char *const cats[] = { "Billing", "Technical Issue", NULL };
	struct rules_options opts = { .categories = cats };
	struct tk_errlist errs;
	struct rules *rs = NULL;

	load_bad("rules:\n  - name: a\n    set: { category: Sales }\n", &opts, &errs);
	assert_true(has_err(&errs, "t.yaml:3:22: category \"Sales\" is not one of the configured"));
	tk_errlist_fini(&errs);
	tk_errlist_init(&errs);
	assert_int_equal(rules_load_string("t.yaml", "rules:\n  - name: a\n    set: { category: Billing }\n",
	                                   &opts, &rs, &errs), 0);
	rules_unref(&rs);
	tk_errlist_fini(&errs);

	load_bad("rule:\n  - name: a\n", NULL, &errs);
	assert_true(has_err(&errs, "t.yaml:1:1: unknown field \"rule\" in rules file"));
	tk_errlist_fini(&errs);
	load_bad("rules: { name: a }\n", NULL, &errs);
	assert_true(has_err(&errs, "t.yaml:1:8: \"rules\" must be a list of rules"));
	tk_errlist_fini(&errs);
	load_bad("rules:\n  - name: a\n    match: {}\n    drop: x\n    set: { queue: q }\n", NULL, &errs);
	assert_true(has_err(&errs, "t.yaml:3:12: empty condition"));
	assert_true(has_err(&errs, "t.yaml:5:10: a rule that drops cannot set fields"));
	tk_errlist_fini(&errs);
	load_bad("rules:\n  - name: a\n    match: { from: /var/log }\n", NULL, &errs);
	assert_true(has_err(&errs, "unknown regex flag \"l\""));
	assert_true(has_err(&errs, "use { equals: ... }"));
	tk_errlist_fini(&errs);
	load_bad("rules:\n  - name: a\n    match: { from: /abc }\n", NULL, &errs);
	assert_true(has_err(&errs, "t.yaml:3:20: regex \"/abc\" has no closing \"/\""));
	tk_errlist_fini(&errs);
	load_bad("rules:\n  - name: a\n    match: { auto_reply: maybe, from: { in: [] } }\n", NULL, &errs);
	assert_true(has_err(&errs, "t.yaml:3:26: expected true or false"));
	assert_true(has_err(&errs, "t.yaml:3:45: expected a non-empty list of values"));
	tk_errlist_fini(&errs);
	load_bad("rules:\n  - name: a\n    match: { subject: { regex: '(?<n>a)(?<n>b)' } }\n", NULL, &errs);
	assert_true(has_err(&errs, "t.yaml:3:32: bad regex \"(?<n>a)(?<n>b)\": two named subpatterns "
	                            "have the same name"));
	tk_errlist_fini(&errs);
	load_bad("rules:\n  - name: a\n  - [ b ]\n  - name: x\n    continue: perhaps\n", NULL, &errs);
	assert_true(has_err(&errs, "t.yaml:3:5: rule must be a mapping"));
	assert_true(has_err(&errs, "t.yaml:5:15: expected true or false"));
	tk_errlist_fini(&errs);
	load_bad("rules:\n  - name: a\n    match: { subject: { gt: nan, lt: 1e999 } }\n", NULL, &errs);
	assert_true(has_err(&errs, "t.yaml:3:29: expected a number"));
	assert_true(has_err(&errs, "t.yaml:3:38: expected a number"));
	tk_errlist_fini(&errs);
	load_bad("rules:\n  - name: a\n    match:\n      subject:\n      from: \"\"\n", NULL, &errs);
	assert_true(has_err(&errs, "t.yaml:4:15: missing value"));
	assert_int_equal(errs.n, 1); /* a quoted "" is a value */
	tk_errlist_fini(&errs);
	/* YAML syntax errors come through with their position. */
	load_bad("rules:\n  - name: [a\n", NULL, &errs);
	assert_true(has_err(&errs, "t.yaml:3:"));
	tk_errlist_fini(&errs);
}

static void
test_backtracking_guard(void **state)
{
	struct rules *rs = load_ok(
		"rules:\n"
		"  - name: evil\n"
		"    match: { body: '/(a+)+$/' }\n"
		"    set: { queue: evil }\n"
		"  - name: fallback\n"
		"    set: { queue: general }\n");
	struct fixture fx;
	struct rules_result *res;
	size_t n = 100000;
	char *body = xmalloc(n + 2);
	struct timespec t0, t1;
	double secs;

	memset(body, 'a', n);
	body[n] = 'b';
	body[n + 1] = '\0';
	fixture_init(&fx);
	fx.msg.text = body;
	log_set_level(LOG_LVL_ERR); /* the warning is expected */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	res = eval_mail(rs, &fx, false, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_set_level(LOG_LVL_INFO);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs < 5.0);
	assert_int_equal(res->regex_errors, 1);
	assert_int_equal(res->n_matched, 1);
	assert_string_equal(res->matched[0], "fallback");
	assert_string_equal(res->fields.queue, "general");
	rules_result_free(&res);
	rules_unref(&rs);

	/* Same with JIT off, so the interpreter's limits are proven too. */
	struct rules_options opts = { .no_jit = true };
	struct tk_errlist errs;

	tk_errlist_init(&errs);
	assert_int_equal(rules_load_string("t.yaml", "rules:\n  - name: evil\n    match: { body: '/(a+)+$/' }\n",
	                                   &opts, &rs, &errs), 0);
	assert_false(rules_jit(rs));
	log_set_level(LOG_LVL_ERR);
	res = eval_mail(rs, &fx, false, 0);
	log_set_level(LOG_LVL_INFO);
	assert_int_equal(res->regex_errors, 1);
	assert_int_equal(res->n_matched, 0);
	rules_result_free(&res);
	rules_unref(&rs);
	tk_errlist_fini(&errs);
	xfree(&body);
}

static void
test_hostile_values(void **state)
{
	struct rules *rs = load_ok(
		"rules:\n"
		"  - name: u\n"
		"    match: { subject: /é/u }\n"
		"    set: { queue: u }\n"
		"  - name: n\n"
		"    match: { subject: { gt: 1 } }\n"
		"    set: { queue: n }\n");
	struct fixture fx;
	struct rules_result *res;
	char big[200];

	fixture_init(&fx);
	fx.msg.subject = (char *)"\xff\xfe caf\xc3\xa9 \xc3";   /* invalid UTF-8 around a valid é */
	res = eval_mail(rs, &fx, false, 0);
	assert_string_equal(res->fields.queue, "u");
	assert_int_equal(res->regex_errors, 0);
	rules_result_free(&res);
	memset(big, '9', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fx.msg.subject = big; /* too long to be a number */
	res = eval_mail(rs, &fx, false, 0);
	assert_int_equal(res->n_matched, 0);
	rules_result_free(&res);
	fx.msg.subject = (char *)"nan";
	res = eval_mail(rs, &fx, false, 0);
	assert_int_equal(res->n_matched, 0);
	rules_result_free(&res);
	/* A message with nothing in it. */
	memset(&fx.msg, 0, sizeof(fx.msg));
	res = eval_mail(rs, &fx, false, 0);
	assert_int_equal(res->n_matched, 0);
	rules_result_free(&res);
	rules_unref(&rs);
}

/* Alerts of the wrong shape never crash and simply have no such values. */
static void
test_hostile_alerts(void **state)
{
	static const char *const docs[] = {
		"{\"labels\":\"critical\",\"annotations\":[1,2],\"status\":5,\"severity\":{\"a\":1}}",
		"{\"labels\":{\"severity\":null},\"payload\":\"x\"}",
		"{\"labels\":{\"severity\":[\"critical\",[\"nested\"],{\"o\":1}]}}",
		"[1,2,3]",
		"\"just a string\"",
		"{\"a\":{\"b\":[[[[[[[[[[1]]]]]]]]]]}}",
		"{\"\":{\"\":\"empty keys\"},\"x\":[0,1,2,3,4,5,6,7,8,9,10,11]}",
	};
	struct rules *rs = load_ok(
		"rules:\n"
		"  - name: r\n"
		"    match:\n"
		"      any:\n"
		"        - severity: critical\n"
		"        - status: { gt: 4 }\n"
		"        - label.severity: { exists: true }\n"
		"        - subject: { exists: true }\n"
		"        - json./a/b/0/0/0: { exists: true }\n"
		"        - json./99999999999: x\n"
		"        - json./x/-1: x\n"
		"        - json./x/11: 11\n"
		"        - json.//: empty keys\n"
		"        - json./x/: x\n"
		"        - json./~2: x\n"
		"    set: { queue: q }\n");
	static const int expect[] = { 1, 0, 1, 0, 0, 1, 1 };

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_error_t jerr;
		json_t *j = json_loads(docs[i], JSON_DECODE_ANY, &jerr);
		struct rules_input in;
		struct rules_result *res;

		assert_non_null(j);
		rules_input_alert(&in, j, "webhook");
		res = rules_eval(rs, &in, RULES_EVAL_TRACE);
		if ((int)res->n_matched != expect[i])
			fprintf(stderr, "doc %zu: matched %zu\n", i, res->n_matched);
		assert_int_equal(res->n_matched, expect[i]);
		rules_result_free(&res);
		json_decref(j);
	}
	rules_unref(&rs);
}

/* Mangled rules files never crash the loader; every error has a position. */
static void
test_mangled_rules(void **state)
{
	static const char base[] =
		"rules:\n"
		"  - name: a\n"
		"    match: { subject: '/x(y|z)+/i', any: [ { to: [a, /b/] }, { not: { cc: { exists: true } } } ] }\n"
		"    set: { queue: q, priority: high, tags: [t1, t2] }\n"
		"    assign: { skill: s, min_level: 2 }\n"
		"    continue: true\n"
		"  - name: b\n"
		"    match: { header.x-n: { ge: 1, lt: 10 }, json./a/b: c }\n"
		"    drop: because\n";
	static const char junk[] = "{}[]:,-'\"/\\ \n\t#&*!|>%@`?aZ0~.";
	char buf[sizeof(base)];
	unsigned seed = 12345;
	size_t ok = 0;

	for (int iter = 0; iter < 3000; iter++) {
		struct tk_errlist errs;
		struct rules *rs = NULL;
		size_t len = sizeof(base) - 1;

		memcpy(buf, base, sizeof(base));
		for (int k = 0; k < 1 + iter % 4; k++) {
			seed = seed * 1103515245 + 12345;
			size_t pos = (seed >> 8) % len;
			seed = seed * 1103515245 + 12345;
			buf[pos] = junk[(seed >> 8) % (sizeof(junk) - 1)];
		}
		if (iter % 7 == 0)
			buf[(seed >> 4) % len] = '\0'; /* truncated file */
		tk_errlist_init(&errs);
		if (rules_load_string("m.yaml", buf, NULL, &rs, &errs) == 0) {
			struct fixture fx;
			struct rules_result *res;

			assert_int_equal(errs.n, 0);
			fixture_init(&fx);
			res = eval_mail(rs, &fx, false, RULES_EVAL_TRACE);
			rules_result_free(&res);
			rules_unref(&rs);
			ok++;
		} else {
			assert_null(rs);
			assert_true(errs.n > 0);
			for (size_t e = 0; e < errs.n; e++)
				assert_true(strncmp(errs.items[e], "m.yaml:", 7) == 0);
		}
		tk_errlist_fini(&errs);
	}
	assert_true(ok > 0); /* some mutations stay valid (e.g. inside a name) */
}

static char *
write_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}

static void
test_load_dir(void **state)
{
	char dir[] = "/tmp/test_rules.XXXXXX";
	char *p[5];
	struct rules *rs = NULL;
	struct tk_errlist errs;
	struct rules_result *res;
	struct fixture fx;

	assert_non_null(mkdtemp(dir));
	tk_errlist_init(&errs);
	assert_int_equal(rules_load_dir(dir, NULL, &rs, &errs), -1);
	assert_true(has_err(&errs, "no rules files"));
	tk_errlist_fini(&errs);
	p[0] = write_file(dir, "20-second.yaml", "rules:\n  - name: second\n    set: { queue: b }\n");
	p[1] = write_file(dir, "10-first.yaml",
	                  "rules:\n  - name: first\n    set: { queue: a }\n    continue: true\n");
	p[2] = write_file(dir, ".hidden.yaml", "not: [valid\n");
	p[3] = write_file(dir, "notes.txt", "not yaml\n");
	p[4] = write_file(dir, "00-empty.yaml", "# only comments\n");
	tk_errlist_init(&errs);
	assert_int_equal(rules_load_dir(dir, NULL, &rs, &errs), 0);
	assert_int_equal(rules_count(rs), 2);
	fixture_init(&fx);
	res = eval_mail(rs, &fx, false, 0);
	assert_int_equal(res->n_matched, 2);
	assert_string_equal(res->matched[0], "first");
	assert_string_equal(res->fields.queue, "a");
	rules_result_free(&res);
	rules_unref(&rs);
	/* Errors in two files are all reported, each with its file. */
	unlink(p[0]);
	xfree(&p[0]);
	p[0] = write_file(dir, "30-bad.yaml", "rules:\n  - name: first\n    sett: {}\n");
	assert_int_equal(rules_load_dir(dir, NULL, &rs, &errs), -1);
	assert_null(rs);
	assert_true(has_err(&errs, "/30-bad.yaml:2:11: rule \"first\" is already defined at "));
	assert_true(has_err(&errs, "/10-first.yaml:2:5"));
	assert_true(has_err(&errs, "/30-bad.yaml:3:5: unknown field \"sett\" in rule"));
	tk_errlist_fini(&errs);
	for (size_t i = 0; i < 5; i++) {
		unlink(p[i]);
		xfree(&p[i]);
	}
	rmdir(dir);
	tk_errlist_init(&errs);
	assert_int_equal(rules_load_dir(dir, NULL, &rs, &errs), -1);
	assert_true(has_err(&errs, "cannot open rules directory"));
	tk_errlist_fini(&errs);
}

/* The shipped defaults load, and behave as their comments say. */
static void
test_shipped_defaults(void **state)
{
	struct rules *rs = NULL;
	struct tk_errlist errs;
	struct rules_result *res;
	struct rules_input in;
	struct fixture fx;
	json_error_t jerr;
	json_t *a = json_loads("{\"status\":\"firing\",\"labels\":{\"severity\":\"critical\"}}", 0, &jerr);
	json_t *pd = json_loads("{\"payload\":{\"severity\":\"warning\"}}", 0, &jerr);

	tk_errlist_init(&errs);
	if (rules_load_dir(RULESDIR, NULL, &rs, &errs) < 0)
		tk_errlist_print(&errs, stderr);
	assert_int_equal(errs.n, 0);
	fixture_init(&fx);
	fx.msg.n_headers = 0;
	/* Automatic mail is dropped by auto_class (the classifier's verdict, test_mailroute.c). */
	for (size_t i = 0; i < 4; i++) {
		static const char *const classes[] = { "auto_reply", "bounce", "list", "noreply" };

		rules_input_mail(&in, &fx.msg, "imap", "support", false);
		in.auto_class = classes[i];
		res = rules_eval(rs, &in, 0);
		assert_true(res->dropped);
		rules_result_free(&res);
	}
	rules_input_mail(&in, &fx.msg, "imap", "support", false);
	in.auto_class = "human";
	res = rules_eval(rs, &in, 0);
	assert_false(res->dropped);
	/* Mail keeps its mailbox's queue: the fallback sets only the type. */
	assert_null(res->fields.queue);
	assert_string_equal(res->fields.type, "request");
	rules_result_free(&res);
	rules_input_alert(&in, a, "alertmanager");
	res = rules_eval(rs, &in, 0);
	assert_string_equal(res->fields.priority, "critical");
	assert_string_equal(res->fields.type, "incident");
	rules_result_free(&res);
	rules_input_alert(&in, pd, "pagerduty");
	res = rules_eval(rs, &in, 0);
	assert_string_equal(res->fields.priority, "medium");
	rules_result_free(&res);
	rules_unref(&rs);
	tk_errlist_fini(&errs);
	json_decref(a);
	json_decref(pd);
}

/* The example of ticketd-rules(5) loads and does what the page says. */
static void
test_man_page_example(void **state)
{
	struct buf b;
	char *start, *end, *text, *w;
	struct rules *rs;
	struct fixture fx;
	struct rules_result *res;
	struct rules_input in;

	buf_init(&b, 1 << 20);
	assert_int_equal(buf_read_file(&b, RULESDIR "/../doc/ticketd-rules.5"), 0);
	start = strstr(b.data, ".Bd -literal -offset indent\n");
	assert_non_null(start);
	start = strchr(start, '\n') + 1;
	end = strstr(start, ".Ed\n");
	assert_non_null(end);
	text = xstrndup(start, (size_t)(end - start));
	for (char *r = w = text; *r; r++) {   /* mdoc's \e is a backslash */
		if (r[0] == '\\' && r[1] == 'e')
			r++, *w++ = '\\';
		else
			*w++ = *r;
	}
	*w = '\0';
	rs = load_ok(text);
	assert_int_equal(rules_count(rs), 6);
	fixture_init(&fx);  /* has a List-Id: the classifier says list */
	rules_input_mail(&in, &fx.msg, "imap", "support", false);
	in.auto_class = "list";
	res = rules_eval(rs, &in, 0);
	assert_true(res->dropped);
	assert_string_equal(res->drop_reason, "mailing list traffic");
	rules_result_free(&res);
	fx.hdr[0].value = (char *)"Help <help.lists.example>";  /* the support group: kept */
	res = rules_eval(rs, &in, 0);
	assert_false(res->dropped);
	assert_string_equal(res->fields.queue, "support");
	rules_result_free(&res);
	fx.msg.n_headers = 0;  /* to billing@, from a customer: billing, then the fallback */
	res = eval_mail(rs, &fx, false, 0);
	assert_string_equal(res->fields.queue, "billing");
	assert_string_equal(res->fields.priority, "medium");
	assert_int_equal(res->n_matched, 2);
	rules_result_free(&res);
	{   /* abuse@ was a recipient (say, in Bcc): the security queue */
		static const char *const rcpts[] = { "support@example.com", "abuse@example.com" };

		fx.msg.n_to = 0;
		rules_input_mail(&in, &fx.msg, "lmtp", "mta", false);
		in.recipients = rcpts;
		in.n_recipients = 2;
		res = rules_eval(rs, &in, 0);
		assert_string_equal(res->fields.queue, "security");
		assert_string_equal(res->fields.priority, "high");
		rules_result_free(&res);
	}
	rules_unref(&rs);
	xfree(&text);
	buf_fini(&b);
}

/* A reload with errors is refused and the current set kept. */
static void
test_slot_reload(void **state)
{
	char dir[] = "/tmp/test_rules_reload.XXXXXX";
	struct rules_slot slot;
	struct tk_errlist errs;
	struct rules *rs;
	char *p;

	assert_non_null(mkdtemp(dir));
	rules_slot_init(&slot);
	tk_errlist_init(&errs);
	p = write_file(dir, "10-a.yaml", "rules:\n  - name: one\n  - name: two\n");
	assert_int_equal(rules_slot_reload(&slot, dir, NULL, &errs), 0);
	rs = rules_slot_get(&slot);
	assert_int_equal(rules_count(rs), 2);
	rules_unref(&rs);
	unlink(p);
	xfree(&p);
	p = write_file(dir, "10-a.yaml", "rules:\n  - name: one\n    match: { subject: /(/ }\n");
	assert_int_equal(rules_slot_reload(&slot, dir, NULL, &errs), -1);
	assert_true(has_err(&errs, "10-a.yaml:3:23: bad regex"));
	rs = rules_slot_get(&slot);
	assert_int_equal(rules_count(rs), 2); /* the old set is still in place */
	rules_unref(&rs);
	unlink(p);
	xfree(&p);
	rmdir(dir);
	tk_errlist_fini(&errs);
	rules_slot_fini(&slot);
}

/* Reload: readers evaluate while the main thread swaps sets in and out. */
struct reader {
	struct rules_slot *slot;
	int iterations;
	int bad;
	int seen_a, seen_b;
};

static void *
reader_run(void *arg)
{
	struct reader *r = arg;
	struct fixture fx;

	fixture_init(&fx);
	for (int i = 0; i < r->iterations; i++) {
		struct rules *rs = rules_slot_get(r->slot);
		struct rules_result *res;

		if (rs == NULL) {
			r->bad++;
			continue;
		}
		res = eval_mail(rs, &fx, false, 0);
		/* Each result comes wholly from one set: queue and category agree. */
		if (res->fields.queue == NULL || res->fields.category == NULL ||
		    res->fields.queue[0] != res->fields.category[0] || res->n_matched != 2)
			r->bad++;
		else if (res->fields.queue[0] == 'A')
			r->seen_a++;
		else
			r->seen_b++;
		rules_result_free(&res);
		rules_unref(&rs);
	}
	return NULL;
}

static struct rules *
make_set(char which)
{
	char *text = xasprintf("rules:\n"
	                       "  - name: q\n"
	                       "    match: { subject: /replica/, from: { in: [x, /customer/] } }\n"
	                       "    set: { queue: %c-queue }\n"
	                       "    continue: true\n"
	                       "  - name: c\n"
	                       "    match: { body: /invoice/ }\n"
	                       "    set: { category: %c-cat }\n", which, which);
	struct rules *rs = load_ok(text);

	xfree(&text);
	return rs;
}

static void
test_atomic_reload(void **state)
{
	struct rules_slot slot;
	pthread_t th[4];
	struct reader rd[4];
	int seen_a = 0, seen_b = 0;

	rules_slot_init(&slot);
	assert_null(rules_slot_get(&slot));
	rules_slot_set(&slot, make_set('A'));
	for (int i = 0; i < 4; i++) {
		rd[i] = (struct reader){ .slot = &slot, .iterations = 20000 };
		assert_int_equal(pthread_create(&th[i], NULL, reader_run, &rd[i]), 0);
	}
	for (int i = 0; i < 400; i++) {
		struct rules *held = rules_slot_get(&slot);

		rules_slot_set(&slot, make_set(i % 2 ? 'A' : 'B'));
		rules_unref(&held); /* an in-flight holder may be the last one */
		usleep(100);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(rd[i].bad, 0);
		seen_a += rd[i].seen_a;
		seen_b += rd[i].seen_b;
	}
	assert_int_equal(seen_a + seen_b, 4 * 20000);
	assert_true(seen_a > 0);
	rules_slot_fini(&slot);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grammar_and_fields),
		cmocka_unit_test(test_equals_and_regex),
		cmocka_unit_test(test_in_exists_numbers_bools),
		cmocka_unit_test(test_combinators),
		cmocka_unit_test(test_precedence_and_continue),
		cmocka_unit_test(test_drop_and_quarantine),
		cmocka_unit_test(test_sender_is_agent_and_flags),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_alert_adapter),
		cmocka_unit_test(test_errors_with_positions),
		cmocka_unit_test(test_more_errors),
		cmocka_unit_test(test_vocabulary),
		cmocka_unit_test(test_backtracking_guard),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_hostile_alerts),
		cmocka_unit_test(test_mangled_rules),
		cmocka_unit_test(test_load_dir),
		cmocka_unit_test(test_shipped_defaults),
		cmocka_unit_test(test_man_page_example),
		cmocka_unit_test(test_slot_reload),
		cmocka_unit_test(test_atomic_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
