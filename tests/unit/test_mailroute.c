/*
 * test_mailroute.c: the decision for a mail that starts a ticket
 * (mailroute.h), on real parsed mail and the shipped rules: the
 * classifier's verdict reaches the rules as auto_class, the shipped rules
 * drop automatic mail, an admin's rules can keep it, and what stays in code
 * (our own mail dropped, automatic mail never acknowledged) holds whatever
 * the rules say.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mailroute.h"
#include "mime.h"
#include "rules.h"

struct decided {
	struct mime_msg *msg;
	struct mailroute r;
};

static struct rules *
load_shipped(void)
{
	struct rules *rs = NULL;
	struct tk_errlist errs;

	tk_errlist_init(&errs);
	if (rules_load_dir(RULESDIR, NULL, &rs, &errs) < 0)
		tk_errlist_print(&errs, stderr);
	assert_int_equal(errs.n, 0);
	tk_errlist_fini(&errs);
	return rs;
}

static struct rules *
load_text(const char *text)
{
	struct rules *rs = NULL;
	struct tk_errlist errs;

	tk_errlist_init(&errs);
	if (rules_load_string("test.yaml", text, NULL, &rs, &errs) < 0)
		tk_errlist_print(&errs, stderr);
	assert_int_equal(errs.n, 0);
	tk_errlist_fini(&errs);
	return rs;
}

static void
decide(const struct rules *rs, const char *raw, struct decided *d)
{
	struct tk_err err;
	struct loop_verdict v;
	struct mailroute_in in = { .source = "pipe", .mailbox = "support" };

	assert_int_equal(mime_parse(raw, strlen(raw), &d->msg, &err), 0);
	in.msg = d->msg;
	mailroute_classify(d->msg, "support@example.com", &v);
	mailroute_decide(rs, &in, &v, 0, &d->r);
}

static void
done(struct decided *d)
{
	mailroute_fini(&d->r);
	mime_msg_free(&d->msg);
}

#define HUMAN "From: zoe@customer.example\nSubject: help\n\nThe printer is on fire.\n"
#define LIST "From: zoe@customer.example\nList-Id: <help.lists.example>\nSubject: help\n\nhi\n"
#define NOREPLY "From: noreply@shop.example\nSubject: your order\n\nshipped\n"
#define VACATION "From: bob@customer.example\nAuto-Submitted: auto-replied\nSubject: away\n\nback monday\n"
#define BOUNCE "From: MAILER-DAEMON@mx.example\nSubject: Undelivered Mail Returned to Sender\n\nno\n"
#define OWN "From: support@example.com\nX-Ticketd-Loop: support@example.com\nSubject: x\n\nours\n"
#define SUPPRESS "From: zoe@customer.example\nX-Auto-Response-Suppress: All\nSubject: q\n\nq\n"

/* The shipped rules drop every class of automatic mail, each by its own rule. */
static void
test_shipped_rules(void **state)
{
	static const struct { const char *raw, *cls, *rule; } cases[] = {
		{ LIST, "list", "drop-mailing-lists" },
		{ NOREPLY, "noreply", "drop-noreply-senders" },
		{ VACATION, "auto_reply", "drop-auto-replies" },
		{ BOUNCE, "bounce", "drop-bounces" },
	};
	struct rules *rs = load_shipped();
	struct decided d;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		decide(rs, cases[i].raw, &d);
		assert_string_equal(loop_class_name(d.r.verdict.cls), cases[i].cls);
		assert_int_equal(d.r.action, MAILROUTE_DROP);
		assert_non_null(strstr(d.r.reason, cases[i].rule));
		done(&d);
	}
	decide(rs, HUMAN, &d);
	assert_int_equal(d.r.action, MAILROUTE_TICKET);
	assert_true(d.r.acknowledge);
	assert_string_equal(d.r.rr->fields.type, "request");
	done(&d);
	rules_unref(&rs);
}

/* An admin keeps list mail (a support address behind a group): a ticket, never acknowledged. */
static void
test_rules_keep_list_mail(void **state)
{
	struct rules *rs = load_text(
		"rules:\n"
		"  - name: our-group\n"
		"    match: { auto_class: list, header.list-id: /<help\\.lists\\.example>/ }\n"
		"    set: { queue: group, tags: [via-list] }\n"
		"  - name: other-lists\n"
		"    match: { auto_class: [list, noreply], auto_reason: /List-Id|no-reply/ }\n"
		"    drop: lists\n");
	struct decided d;

	decide(rs, LIST, &d);
	assert_int_equal(d.r.action, MAILROUTE_TICKET);
	assert_false(d.r.acknowledge);
	assert_string_equal(d.r.rr->fields.queue, "group");
	done(&d);
	decide(rs, NOREPLY, &d);
	assert_int_equal(d.r.action, MAILROUTE_DROP);
	assert_non_null(strstr(d.r.reason, "by rule other-lists: lists"));
	done(&d);
	/* Nothing matches a vacation notice here: a ticket, never acknowledged. */
	decide(rs, VACATION, &d);
	assert_int_equal(d.r.action, MAILROUTE_TICKET);
	assert_false(d.r.acknowledge);
	done(&d);
	rules_unref(&rs);
}

/* In code whatever the rules say: our own mail is dropped; suppression is honoured. */
static void
test_in_code(void **state)
{
	struct rules *rs = load_text("rules:\n  - name: all\n    set: { queue: everything }\n");
	struct decided d;

	decide(rs, OWN, &d);
	assert_int_equal(d.r.action, MAILROUTE_DROP);
	assert_non_null(strstr(d.r.reason, "our own mail"));
	done(&d);
	decide(rs, SUPPRESS, &d);
	assert_int_equal(d.r.action, MAILROUTE_TICKET);
	assert_false(d.r.acknowledge);
	done(&d);
	rules_unref(&rs);
	/* Without rules: automatic mail is dropped, human mail opens a ticket. */
	decide(NULL, LIST, &d);
	assert_int_equal(d.r.action, MAILROUTE_DROP);
	assert_non_null(strstr(d.r.reason, "no routing rules"));
	done(&d);
	decide(NULL, HUMAN, &d);
	assert_int_equal(d.r.action, MAILROUTE_TICKET);
	assert_true(d.r.acknowledge);
	assert_null(d.r.rr);
	done(&d);
}

/* Decide with envelope recipients (n of them) instead of none. */
static void
decide_to(const struct rules *rs, const char *raw, const char *const *rcpts, size_t n,
          struct decided *d)
{
	struct tk_err err;
	struct loop_verdict v;
	struct mailroute_in in = { .source = "lmtp", .mailbox = "mta", .recipients = rcpts,
	                           .n_recipients = n };

	assert_int_equal(mime_parse(raw, strlen(raw), &d->msg, &err), 0);
	in.msg = d->msg;
	mailroute_classify(d->msg, "support@example.com", &v);
	mailroute_decide(rs, &in, &v, 0, &d->r);
}

#define ROUTE_BY_RECIPIENT \
	"rules:\n" \
	"  - name: billing\n" \
	"    match: { recipient: billing@support.example }\n" \
	"    set: { queue: billing }\n" \
	"  - name: vip\n" \
	"    match: { recipient: /^vip@/ }\n" \
	"    set: { queue: vip }\n"

/*
 * The recipient field: the envelope's (LMTP, ingest --recipient), else the
 * X-Original-To, else the Delivered-To headers an MTA put above the first
 * Received; the same headers further down came from elsewhere.
 */
static void
test_recipient(void **state)
{
	static const char *const bcc[] = { "support@example.com", "Billing@Support.EXAMPLE" };
	static const char *const dup[] = { "<vip@support.example>", "VIP@support.example", "" };
	struct rules *rs = load_text(ROUTE_BY_RECIPIENT);
	struct decided d;

	decide_to(rs, HUMAN, bcc, 2, &d);   /* Bcc'd: in no header, only in the envelope */
	assert_string_equal(d.r.rr->fields.queue, "billing");
	assert_string_equal(d.r.recipients_from, "envelope");
	assert_int_equal(d.r.n_recipients, 2);
	assert_string_equal(d.r.recipients[1], "billing@support.example");
	done(&d);
	decide_to(rs, HUMAN, dup, 3, &d);   /* cleaned, once each, the empty one left out */
	assert_int_equal(d.r.n_recipients, 1);
	assert_string_equal(d.r.recipients[0], "vip@support.example");
	assert_string_equal(d.r.rr->fields.queue, "vip");
	done(&d);
	/* Postfix's pipe with flags DO: X-Original-To (before aliasing) wins. */
	decide_to(rs, "X-Original-To: billing@support.example\nDelivered-To: tickets@support.example\n"
	          "Received: from mx.example by support.example\n" HUMAN, NULL, 0, &d);
	assert_string_equal(d.r.recipients_from, "X-Original-To");
	assert_string_equal(d.r.rr->fields.queue, "billing");
	done(&d);
	decide_to(rs, "Delivered-To: vip@support.example\nReceived: from a by b\n"
	          "X-Original-To: billing@support.example\n" HUMAN, NULL, 0, &d);
	assert_string_equal(d.r.recipients_from, "Delivered-To");
	assert_string_equal(d.r.rr->fields.queue, "vip");
	done(&d);
	/* Below a Received header: another hop's (or the sender's) word, not ours. */
	decide_to(rs, "Received: from a by b\nX-Original-To: billing@support.example\n"
	          "Delivered-To: vip@support.example\n" HUMAN, NULL, 0, &d);
	assert_null(d.r.recipients_from);
	assert_int_equal(d.r.n_recipients, 0);
	assert_null(d.r.rr->fields.queue);
	done(&d);
	/* The envelope wins over the headers. */
	decide_to(rs, "X-Original-To: billing@support.example\n" HUMAN, bcc, 1, &d);
	assert_null(d.r.rr->fields.queue);
	done(&d);
	rules_unref(&rs);
}

/* auto_class takes only the classes there are. */
static void
test_auto_class_values(void **state)
{
	struct rules *rs = NULL;
	struct tk_errlist errs;

	tk_errlist_init(&errs);
	assert_int_equal(rules_load_string("bad.yaml", "rules:\n  - name: r\n    match: "
	                                   "{ auto_class: auto-reply }\n    drop: x\n", NULL, &rs,
	                                   &errs), -1);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.items[0], "auto_class is one of"));
	tk_errlist_fini(&errs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_rules),
		cmocka_unit_test(test_rules_keep_list_mail),
		cmocka_unit_test(test_in_code),
		cmocka_unit_test(test_auto_class_values),
		cmocka_unit_test(test_recipient),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
