/*
 * test_correlate.c: threading decisions: the order of the three ways, the
 * subject tag and plus-address parsers, the reopen rules, the trusted
 * Authentication-Results check and Message-IDs quoted in bounces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "correlate.h"

static void
test_pick_order(void **state)
{
	static const struct {
		struct corr_candidates c;
		enum corr_how how;
		int64_t ticket;
	} cases[] = {
		{ { 5, 6, 7, true }, CORR_TOKEN, 5 },
		{ { 0, 6, 7, true }, CORR_REFERENCES, 6 },
		{ { 0, 0, 7, true }, CORR_SUBJECT, 7 },
		{ { 0, 0, 7, false }, CORR_NEW, 0 },     /* a tag from a non-participant */
		{ { 0, 0, 0, true }, CORR_NEW, 0 },
		{ { 5, 0, 7, false }, CORR_TOKEN, 5 },
		{ { -1, -2, 0, false }, CORR_NEW, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t t = 99;

		assert_int_equal(corr_pick(&cases[i].c, &t), cases[i].how);
		assert_int_equal(t, cases[i].ticket);
	}
	assert_string_equal(corr_how_name(CORR_REFERENCES), "references");
	assert_string_equal(corr_how_name((enum corr_how)42), "?");
}

static void
test_subject_tag(void **state)
{
	static const struct {
		const char *subject;
		int found;
		const char *prefix;
		int64_t number;
	} cases[] = {
		{ "Re: [#TKT-1042] Printer", 1, "TKT", 1042 },
		{ "AW: [TKT-7]", 1, "TKT", 7 },
		{ "[#tkt-9] lower case", 1, "TKT", 9 },
		{ "[note] then [#OPS-12]", 1, "OPS", 12 },
		{ "[[#A1-3]]", 1, "A1", 3 },
		{ "[#TKT-] no number", 0, NULL, 0 },
		{ "[#-5] no prefix", 0, NULL, 0 },
		{ "[#TKT-12 unterminated", 0, NULL, 0 },
		{ "[#TKT-1234567890123456] too long", 0, NULL, 0 },
		{ "[#ABCDEFGHIJKLMNOPQ-1] prefix too long", 0, NULL, 0 },
		{ "#TKT-1042 without brackets", 0, NULL, 0 },
		{ "", 0, NULL, 0 },
		{ NULL, 0, NULL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char prefix[24] = "";
		int64_t n = 0;

		assert_int_equal(corr_subject_tag(cases[i].subject, prefix, sizeof(prefix), &n),
		                 cases[i].found);
		if (cases[i].found) {
			assert_string_equal(prefix, cases[i].prefix);
			assert_int_equal(n, cases[i].number);
		}
	}
}

static void
test_plus_token(void **state)
{
	char *t = corr_plus_token("Support+ABCdef@Example.COM", "support", "example.com");

	assert_non_null(t);
	assert_string_equal(t, "abcdef");
	free(t);
	assert_null(corr_plus_token("support@example.com", "support", "example.com"));
	assert_null(corr_plus_token("support+@example.com", "support", "example.com"));
	assert_null(corr_plus_token("support+x@other.example", "support", "example.com"));
	assert_null(corr_plus_token("supportx+tok@example.com", "support", "example.com"));
	assert_null(corr_plus_token("sales+tok@example.com", "support", "example.com"));
	assert_null(corr_plus_token("no-at-sign", "support", "example.com"));
	assert_null(corr_plus_token(NULL, "support", "example.com"));
	assert_null(corr_plus_token("support+tok@example.com", NULL, "example.com"));
}

static void
test_customer_reply(void **state)
{
	const time_t now = 1800000000;
	static const struct {
		const char *status;
		int64_t age;
		bool autor, thanks;
		enum corr_action want;
	} cases[] = {
		{ "pending", 0, false, false, CORR_TO_OPEN },
		{ "open", 0, false, false, CORR_APPEND },
		{ "new", 0, false, false, CORR_APPEND },
		{ "in_progress", 0, false, true, CORR_APPEND },
		{ "reopened", 0, false, false, CORR_APPEND },
		{ "resolved", 3600, false, false, CORR_REOPEN },
		{ "closed", 3600, false, false, CORR_REOPEN },
		{ "resolved", 86400 * 15, false, false, CORR_NEW_LINKED },
		{ "closed", 86400 * 30, false, false, CORR_NEW_LINKED },
		{ "resolved", 3600, false, true, CORR_NOTE },
		{ "resolved", 86400 * 15, false, true, CORR_NOTE },
		{ "resolved", 3600, true, false, CORR_NOTE },
		{ "pending", 0, true, false, CORR_NOTE },
		{ "resolved", -1, false, false, CORR_REOPEN },   /* unknown resolution time */
		{ NULL, 0, false, false, CORR_APPEND },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct corr_reply r = {
			.status = cases[i].status, .now = now,
			.done_at = cases[i].age < 0 ? 0 : now - cases[i].age,
			.reopen_window_s = 14 * 86400, .auto_reply = cases[i].autor,
			.thanks_only = cases[i].thanks,
		};

		assert_int_equal(corr_customer_reply(&r), cases[i].want);
	}
	assert_string_equal(corr_action_name(CORR_NEW_LINKED), "new-linked");
}

static void
test_auth_results(void **state)
{
	struct mime_header ok[] = {
		{ "Received", "from x" },
		{ "Authentication-Results", "mx.example.com; dkim=pass header.d=agents.example; "
		                            "spf=pass; dmarc=pass (p=reject)" },
	};
	struct mime_header forged[] = {
		{ "Authentication-Results", "mx.example.com.evil; dkim=pass; dmarc=pass" },
		{ "Authentication-Results", "other.example; dkim=pass; dmarc=pass" },
	};
	struct mime_header fail[] = {
		{ "Authentication-Results", "mx.example.com 1; dkim=fail (bad sig); dmarc=pass" },
		{ "Authentication-Results", "mx.example.com; dkim=pass; dmarc=pass" },
	};
	struct mime_header tricky[] = {
		{ "authentication-results", "  MX.example.com;  dkim-atps=pass; dkim = passed; dmarc=pass" },
	};

	assert_true(corr_auth_pass(ok, 2, "mx.example.com", true, true));
	assert_true(corr_auth_pass(ok, 2, "MX.EXAMPLE.COM", true, false));
	assert_false(corr_auth_pass(forged, 2, "mx.example.com", true, true));
	/* The first (topmost) header of ours counts; a later pass cannot override it. */
	assert_false(corr_auth_pass(fail, 2, "mx.example.com", true, true));
	assert_true(corr_auth_pass(fail, 2, "mx.example.com", false, true));
	assert_false(corr_auth_pass(tricky, 1, "mx.example.com", true, false));
	assert_true(corr_auth_pass(tricky, 1, "mx.example.com", false, true));
	assert_false(corr_auth_pass(ok, 2, "", true, true));
	assert_false(corr_auth_pass(ok, 2, NULL, false, false));
	assert_false(corr_auth_pass(ok, 0, "mx.example.com", false, false));
}

static void
test_quoted_message_ids(void **state)
{
	static const char dsn[] =
		"Message-ID: <bounce@mx>\r\n\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
		"From: support@example.com\r\nmessage-id:   <tkd.1.abc@example.com>\r\n"
		"X-Message-ID: <not-at-line-start@x>\r\n"
		"Message-ID: <unterminated@x\r\nMessage-ID: <>\r\nMessage-ID: no-brackets@x\r\n";
	char *ids[8];
	size_t n = corr_quoted_message_ids(dsn, sizeof(dsn) - 1, ids, 8);

	assert_int_equal(n, 2);
	assert_string_equal(ids[0], "bounce@mx");
	assert_string_equal(ids[1], "tkd.1.abc@example.com");
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	assert_int_equal(corr_quoted_message_ids(dsn, sizeof(dsn) - 1, ids, 1), 1);
	free(ids[0]);
	assert_int_equal(corr_quoted_message_ids(NULL, 10, ids, 8), 0);
	/* Cut in the middle: nothing read past len. */
	assert_int_equal(corr_quoted_message_ids(dsn, 20, ids, 8), 0);
}

static void
test_dsn_recipients_and_tokens(void **state)
{
	static const char dsn[] =
		"Reporting-MTA: dns; mx\r\nFinal-Recipient: rfc822; Zoe@Customer.Example\r\n"
		"Original-Recipient: rfc822;<bob@x.example>\r\nX-Final-Recipient: rfc822; no@x\r\n"
		"Final-Recipient: rfc822; not-an-address\r\nFinal-Recipient: no semicolon\r\n"
		"Reply-To: Support <Support+ABCdef234@example.com>\r\n"
		"Cc: notsupport+zzz@example.com, support+bad!@example.com, support+ok@example.org\r\n"
		"To: support+second@EXAMPLE.com";
	char *v[8];
	size_t n = corr_dsn_recipients(dsn, sizeof(dsn) - 1, v, 8);

	assert_int_equal(n, 2);
	assert_string_equal(v[0], "zoe@customer.example");
	assert_string_equal(v[1], "bob@x.example");
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	n = corr_plus_tokens_in(dsn, sizeof(dsn) - 1, "support", "example.com", v, 8);
	assert_int_equal(n, 2);
	assert_string_equal(v[0], "abcdef234");
	assert_string_equal(v[1], "second");
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	assert_int_equal(corr_plus_tokens_in(dsn, sizeof(dsn) - 1, "support", "example.com", v, 1), 1);
	free(v[0]);
	assert_int_equal(corr_plus_tokens_in(dsn, sizeof(dsn) - 1, "", "example.com", v, 8), 0);
	assert_int_equal(corr_dsn_recipients(NULL, 5, v, 8), 0);
}

static void
test_hostile_inputs(void **state)
{
	char buf[300];
	char *ids[4];

	srand(11);
	for (int round = 0; round < 3000; round++) {
		static const char alphabet[] = "[#]-TKT0123456789<>@+ \r\nMessage-ID:support.example.com"
		                               "Final-Recipient;";
		size_t n = (size_t)(rand() % 299);
		char prefix[8];
		int64_t num;
		char *t;

		for (size_t i = 0; i < n; i++)
			buf[i] = alphabet[rand() % (int)(sizeof(alphabet) - 1)];
		buf[n] = '\0';
		(void)corr_subject_tag(buf, prefix, sizeof(prefix), &num);
		t = corr_plus_token(buf, "support", "example.com");
		free(t);
		for (size_t k = corr_quoted_message_ids(buf, n, ids, 4); k > 0; k--)
			free(ids[k - 1]);
		for (size_t k = corr_dsn_recipients(buf, n, ids, 4); k > 0; k--)
			free(ids[k - 1]);
		for (size_t k = corr_plus_tokens_in(buf, n, "support", "example.com", ids, 4); k > 0; k--)
			free(ids[k - 1]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pick_order),
		cmocka_unit_test(test_subject_tag),
		cmocka_unit_test(test_plus_token),
		cmocka_unit_test(test_customer_reply),
		cmocka_unit_test(test_auth_results),
		cmocka_unit_test(test_quoted_message_ids),
		cmocka_unit_test(test_dsn_recipients_and_tokens),
		cmocka_unit_test(test_hostile_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
