/*
 * fuzz_slack_action.c: a Slack interactivity request (slack_action.h).
 * The input is three parts: the X-Slack-Request-Timestamp line, the
 * X-Slack-Signature line, and the form body.
 *
 * Properties: verification answers one of the four verdicts and says OK
 * only for the signature of exactly this timestamp and body (the body
 * signed here with the secret verifies when the timestamp is within five
 * minutes; one changed hex digit does not); a parsed action has a verb, a
 * ticket id above 0 and a non-empty Slack user id that fits its field.
 */
/* System. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
/* ticketd. */
#include "buf.h"
#include "fuzz.h"
#include "hook.h"
#include "slack_action.h"

#define NOW ((time_t)1765000000)

static const char secret[] = "8f742231b10e8888abcd99yyyzzz85a5";

/* "v0=" and the hex HMAC of "v0:ts:body", as Slack signs it. */
static void
sign(const char *ts, const char *body, size_t len, char sig[68])
{
	struct buf b;
	char hex[65];

	buf_init(&b, 0);
	(void)buf_printf(&b, "v0:%s:", ts);
	(void)buf_append(&b, body, len);
	if (hook_auth_sign(secret, NULL, b.data, b.len, hex) < 0)
		fuzz_fail("hook_auth_sign failed");
	buf_fini(&b);
	snprintf(sig, 68, "v0=%s", hex);
}

static void
check_verify(const char *ts, const char *sig, const char *body, size_t len)
{
	enum slack_verdict v = slack_action_verify(secret, ts, sig, body, len, NOW);
	char good[68];
	long long t;
	char *end;

	if (v != SLACK_OK && v != SLACK_MISSING && v != SLACK_STALE && v != SLACK_BAD_SIGNATURE)
		fuzz_fail("verdict %d", (int)v);
	sign(ts, body, len, good);
	if (v == SLACK_OK && strcasecmp(sig, good) != 0)
		fuzz_fail("a signature other than the right one verified");
	t = strtoll(ts, &end, 10);
	if (*ts < '0' || *ts > '9' || *end != '\0' || t <= 0 || t < NOW - 300 || t > NOW + 300)
		return;
	if (slack_action_verify(secret, ts, good, body, len, NOW) != SLACK_OK)
		fuzz_fail("the right signature of a fresh request does not verify");
	good[3 + (len % 64)] = good[3 + (len % 64)] == '0' ? '1' : '0';
	if (slack_action_verify(secret, ts, good, body, len, NOW) != SLACK_BAD_SIGNATURE)
		fuzz_fail("a signature with one digit changed is not refused");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t left = size;
	char *ts = fuzz_field(&p, &left), *sig = fuzz_field(&p, &left);
	char *body = fuzz_strndup(p, left);
	struct slack_action a;
	struct tk_err err = { 0 };

	fuzz_init();
	check_verify(ts, sig, body, left);
	if (slack_action_parse(body, left, &a, &err) == 0) {
		if ((a.verb != SLACK_ACK && a.verb != SLACK_RESOLVE) || a.ticket_id <= 0 ||
		    a.user_id[0] == '\0' || memchr(a.user_id, '\0', sizeof(a.user_id)) == NULL ||
		    memchr(a.user_name, '\0', sizeof(a.user_name)) == NULL)
			fuzz_fail("a parsed action is incomplete");
	} else if (err.msg[0] == '\0') {
		fuzz_fail("a refused action without a reason");
	}
	free(ts);
	free(sig);
	free(body);
	return 0;
}
