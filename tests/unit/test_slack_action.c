/*
 * test_slack_action.c: Slack's signed interactivity requests
 * (src/intake/slack_action.c): the v0 signature (right, forged, stale,
 * missing, malformed) and the payload (the fields ticketd needs, and each
 * way it can be wrong).
 *
 * The test vector was computed with Python's hmac module, independently of
 * the code under test:
 *   hmac.new(b'8f742231b10e8888abcd99yyyzzz85a5',
 *            ('v0:1765000000:' + BODY).encode(), hashlib.sha256).hexdigest()
 * where BODY is the form body below (payload= and the URL-encoded JSON).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "slack_action.h"

static const char secret[] = "8f742231b10e8888abcd99yyyzzz85a5";
static const char body[] =
	"payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A%22U012AB3CD%22"
	"%2C%22username%22%3A%22alice%22%7D%2C%22actions%22%3A%5B%7B%22action_id%22%3A%22ticketd_ack"
	"%22%2C%22value%22%3A%2242%22%7D%5D%7D";
static const char sig[] = "v0=6d951213c30f212dbe44f0dd5db906e8944d4b2e2bff3c66a739fc782b6a594e";
#define TS "1765000000"
#define NOW ((time_t)1765000000)

static void
test_verify(void **state)
{
	char forged[sizeof(sig)];
	char upper[sizeof(sig)];

	(void)state;
	assert_int_equal(slack_action_verify(secret, TS, sig, body, strlen(body), NOW), SLACK_OK);
	/* within the window on both sides, out of it by one second */
	assert_int_equal(slack_action_verify(secret, TS, sig, body, strlen(body), NOW + 300), SLACK_OK);
	assert_int_equal(slack_action_verify(secret, TS, sig, body, strlen(body), NOW - 300), SLACK_OK);
	assert_int_equal(slack_action_verify(secret, TS, sig, body, strlen(body), NOW + 301),
	                 SLACK_STALE);
	assert_int_equal(slack_action_verify(secret, TS, sig, body, strlen(body), NOW - 301),
	                 SLACK_STALE);
	/* a replay with a fresh timestamp but the old signature */
	assert_int_equal(slack_action_verify(secret, "1765000001", sig, body, strlen(body), NOW),
	                 SLACK_BAD_SIGNATURE);
	/* one hex digit changed; hex case does not matter */
	memcpy(forged, sig, sizeof(sig));
	forged[10] = forged[10] == '0' ? '1' : '0';
	assert_int_equal(slack_action_verify(secret, TS, forged, body, strlen(body), NOW),
	                 SLACK_BAD_SIGNATURE);
	memcpy(upper, sig, sizeof(sig));
	for (char *p = upper + 3; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
	assert_int_equal(slack_action_verify(secret, TS, upper, body, strlen(body), NOW), SLACK_OK);
	/* the body changed by one byte, another secret */
	assert_int_equal(slack_action_verify(secret, TS, sig, body, strlen(body) - 1, NOW),
	                 SLACK_BAD_SIGNATURE);
	assert_int_equal(slack_action_verify("another-secret", TS, sig, body, strlen(body), NOW),
	                 SLACK_BAD_SIGNATURE);
	/* missing or malformed headers */
	assert_int_equal(slack_action_verify(secret, NULL, sig, body, strlen(body), NOW), SLACK_MISSING);
	assert_int_equal(slack_action_verify(secret, TS, NULL, body, strlen(body), NOW), SLACK_MISSING);
	assert_int_equal(slack_action_verify(secret, "17650000x0", sig, body, strlen(body), NOW),
	                 SLACK_STALE);
	assert_int_equal(slack_action_verify(secret, TS, "v1=abc", body, strlen(body), NOW),
	                 SLACK_BAD_SIGNATURE);
	assert_int_equal(slack_action_verify(secret, TS, sig + 3, body, strlen(body), NOW),
	                 SLACK_BAD_SIGNATURE);
}

static void
test_parse(void **state)
{
	struct slack_action a;
	struct tk_err err = { 0 };

	(void)state;
	assert_int_equal(slack_action_parse(body, strlen(body), &a, &err), 0);
	assert_int_equal(a.verb, SLACK_ACK);
	assert_int_equal(a.ticket_id, 42);
	assert_string_equal(a.user_id, "U012AB3CD");
	assert_string_equal(a.user_name, "alice");
}

static void
test_parse_bad(void **state)
{
	static const struct { const char *body, *field; } cases[] = {
		{ "token=x", "payload: missing" },
		{ "payload=%7Bnot%20json", "payload: not JSON" },
		{ "payload=%zz", "payload: missing" },
		{ "payload={\"type\":\"view_submission\"}", "payload.type" },
		{ "payload={\"type\":\"block_actions\",\"actions\":[]}", "payload.user.id" },
		{ "payload={\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"actions\":"
		  "[{\"action_id\":\"delete_everything\",\"value\":\"1\"}]}", "action_id" },
		{ "payload={\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"actions\":"
		  "[{\"action_id\":\"ticketd_resolve\",\"value\":\"1;DROP\"}]}", "value" },
		{ "payload={\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"actions\":"
		  "[{\"action_id\":\"ticketd_resolve\",\"value\":\"-5\"}]}", "value" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct slack_action a;
		struct tk_err err = { 0 };

		assert_int_equal(slack_action_parse(cases[i].body, strlen(cases[i].body), &a, &err), -1);
		if (strstr(err.msg, cases[i].field) == NULL)
			fail_msg("case %zu: \"%s\" does not name %s", i, err.msg, cases[i].field);
	}
	{
		static const char ok[] = "a=1&payload={\"type\":\"block_actions\",\"user\":{\"id\":\"U9\"},"
		                         "\"actions\":[{\"action_id\":\"ticketd_resolve\",\"value\":\"7\"}]}&b=2";
		struct slack_action a;
		struct tk_err err = { 0 };

		assert_int_equal(slack_action_parse(ok, strlen(ok), &a, &err), 0);
		assert_int_equal(a.verb, SLACK_RESOLVE);
		assert_int_equal(a.ticket_id, 7);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
