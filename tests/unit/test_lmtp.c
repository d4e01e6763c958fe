/*
 * test_lmtp.c: the LMTP protocol without sockets (lmtp_proto.c): replies
 * to each command and sequence, addresses, and the DATA reader fed every
 * cut of a stream (dot-unstuffing, CRLF to LF, the end only at CRLF "."
 * CRLF, the size cap, what is left for the next command).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lmtp_int.h"
#include "xalloc.h"

/* Run one command; returns the reply text (static) and the next step in *next. */
static const char *
cmd(struct lmtp_session *s, const char *line, enum lmtp_next *next)
{
	static struct buf out;
	static char text[4096];
	enum lmtp_next n;

	buf_init(&out, 0);
	n = lmtp_session_command(s, line, strlen(line), &out);
	snprintf(text, sizeof(text), "%s", out.data ? out.data : "");
	buf_fini(&out);
	if (next)
		*next = n;
	return text;
}

#define EXPECT(s, line, reply) assert_string_equal(cmd((s), (line), NULL), reply "\r\n")

static void
test_session_flow(void **state)
{
	struct lmtp_session s;
	enum lmtp_next next;
	struct buf out;

	lmtp_session_init(&s, "mx.test", 1000);
	buf_init(&out, 0);
	lmtp_session_greeting(&s, &out);
	assert_string_equal(out.data, "220 mx.test LMTP ticketd ready\r\n");
	buf_fini(&out);
	EXPECT(&s, "MAIL FROM:<a@b.example>", "503 5.5.1 Say LHLO first");
	EXPECT(&s, "EHLO client", "500 5.5.1 This is LMTP: say LHLO");
	EXPECT(&s, "HELO client", "500 5.5.1 This is LMTP: say LHLO");
	EXPECT(&s, "LHLO", "501 5.5.4 Syntax: LHLO hostname");
	EXPECT(&s, "lhlo client.test", "250-mx.test\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n"
	       "250-8BITMIME\r\n250 SIZE 1000");
	EXPECT(&s, "DATA", "503 5.5.1 Need MAIL before DATA");
	EXPECT(&s, "RCPT TO:<a@b.example>", "503 5.5.1 Need MAIL before RCPT");
	EXPECT(&s, "MAIL FROM:<> SIZE=1001", "552 5.3.4 Message too big for this system");
	EXPECT(&s, "MAIL FROM:<> SIZE=12x", "501 5.5.4 Bad SIZE parameter");
	EXPECT(&s, "MAIL FROM:<> RET=FULL", "555 5.5.4 Unsupported MAIL parameter");
	EXPECT(&s, "MAIL FROM:<> SIZE=1000 BODY=8BITMIME", "250 2.1.0 Sender OK");
	assert_string_equal(s.sender, "");
	EXPECT(&s, "MAIL FROM:<x@y.example>", "503 5.5.1 Nested MAIL command");
	EXPECT(&s, "DATA", "503 5.5.1 No valid recipients");
	EXPECT(&s, "RCPT TO:<>", "501 5.1.3 Bad recipient address syntax");
	EXPECT(&s, "RCPT TO:<Support@Example.COM>", "250 2.1.5 Recipient OK");
	EXPECT(&s, "RCPT TO: <postmaster>", "250 2.1.5 Recipient OK");
	EXPECT(&s, "RCPT TO:<b@c.example> NOTIFY=NEVER", "555 5.5.4 Unsupported RCPT parameter");
	assert_int_equal(s.n_rcpt, 2);
	assert_string_equal(s.rcpt[0], "Support@Example.COM");
	EXPECT(&s, "DATA now", "501 5.5.4 Syntax: DATA");
	assert_string_equal(cmd(&s, "DATA", &next), "354 Send the message, end with <CRLF>.<CRLF>\r\n");
	assert_int_equal(next, LMTP_NEXT_DATA);
	/* One reply per accepted recipient, then a new transaction may start. */
	buf_init(&out, 0);
	lmtp_session_replies(&s, "250 2.0.0 ok", &out);
	assert_string_equal(out.data, "250 2.0.0 ok\r\n250 2.0.0 ok\r\n");
	buf_fini(&out);
	assert_false(s.mail);
	assert_int_equal(s.n_rcpt, 0);
	EXPECT(&s, "MAIL FROM:<a@b.example>", "250 2.1.0 Sender OK");
	EXPECT(&s, "RSET", "250 2.0.0 OK");
	EXPECT(&s, "RCPT TO:<a@b.example>", "503 5.5.1 Need MAIL before RCPT");
	EXPECT(&s, "NOOP", "250 2.0.0 OK");
	EXPECT(&s, "VRFY postmaster", "252 2.5.2 Cannot VRFY; send the mail");
	EXPECT(&s, "BDAT 10 LAST", "502 5.5.1 Command not implemented");
	EXPECT(&s, "STARTTLS", "502 5.5.1 Command not implemented");
	EXPECT(&s, "XYZZY", "500 5.5.2 Command not recognized");
	EXPECT(&s, "", "500 5.5.2 Command not recognized");
	assert_string_equal(cmd(&s, "QUIT", &next), "221 2.0.0 mx.test closing connection\r\n");
	assert_int_equal(next, LMTP_NEXT_CLOSE);
	lmtp_session_fini(&s);
}

/* LHLO again forgets the transaction; 100 recipients, then 452 (the MTA sends the rest later). */
static void
test_session_limits(void **state)
{
	struct lmtp_session s;
	char line[LMTP_LINE_MAX + 10];
	enum lmtp_next next;

	lmtp_session_init(&s, "mx.test", 1000);
	cmd(&s, "LHLO c", NULL);
	EXPECT(&s, "MAIL FROM:<a@b.example>", "250 2.1.0 Sender OK");
	for (int i = 0; i < LMTP_MAX_RCPT; i++) {
		snprintf(line, sizeof(line), "RCPT TO:<r%d@b.example>", i);
		EXPECT(&s, line, "250 2.1.5 Recipient OK");
	}
	EXPECT(&s, "RCPT TO:<one-more@b.example>", "452 4.5.3 Too many recipients");
	assert_int_equal(s.n_rcpt, LMTP_MAX_RCPT);
	cmd(&s, "LHLO c", NULL);
	assert_false(s.mail);
	assert_int_equal(s.n_rcpt, 0);
	/* A line over the limit, a NUL: refused, not parsed. */
	memset(line, 'A', LMTP_LINE_MAX + 1);
	assert_string_equal(cmd(&s, "", NULL), "500 5.5.2 Command not recognized\r\n");
	{
		struct buf out;

		buf_init(&out, 0);
		lmtp_session_command(&s, line, LMTP_LINE_MAX + 1, &out);
		assert_string_equal(out.data, "500 5.5.2 Line too long\r\n");
		buf_reset(&out);
		lmtp_session_command(&s, "NOOP\0x", 6, &out);
		assert_string_equal(out.data, "500 5.5.2 NUL in a command\r\n");
		buf_fini(&out);
	}
	/* Too many refused commands: 421, close (3 so far). */
	for (int i = 3; i < LMTP_MAX_ERRORS - 1; i++) {
		cmd(&s, "BOGUS", &next);
		assert_int_equal(next, LMTP_NEXT_COMMAND);
	}
	assert_string_equal(cmd(&s, "BOGUS", &next), "500 5.5.2 Command not recognized\r\n"
	                    "421 4.7.0 mx.test Too many errors, closing the connection\r\n");
	assert_int_equal(next, LMTP_NEXT_CLOSE);
	lmtp_session_fini(&s);
}

static void
test_paths(void **state)
{
	static const struct { const char *arg; bool ok; const char *addr; } rcpts[] = {
		{ "TO:<a@b.example>", true, "a@b.example" },
		{ "to:<a@b.example>", true, "a@b.example" },
		{ "TO:<@relay.example,@r2.example:a@b.example>", true, "a@b.example" },
		{ "TO:<\"john doe\"@b.example>", true, "\"john doe\"@b.example" },
		{ "TO:<a+tag@[192.0.2.1]>", true, "a+tag@[192.0.2.1]" },
		{ "TO:<first.last@sub-domain.example.>", false, NULL },
		{ "TO:<a@b..example>", false, NULL },
		{ "TO:<a b@c.example>", false, NULL },
		{ "TO:<a@>", false, NULL },
		{ "TO:<@b.example>", false, NULL },
		{ "TO:a@b.example", false, NULL },
		{ "TO:<a@b.example", false, NULL },
		{ "TO:<a@b.example>x", false, NULL },
		{ "FROM:<a@b.example>", false, NULL },
		{ "TO:<a\001@b.example>", false, NULL },
	};
	char *addr;
	const char *params, *reply;

	for (size_t i = 0; i < sizeof(rcpts) / sizeof(rcpts[0]); i++) {
		int rc = lmtp_path_parse(rcpts[i].arg, "TO:", false, &addr, &params, &reply);

		if (rc != (rcpts[i].ok ? 0 : -1))
			fail_msg("%s: expected %s", rcpts[i].arg, rcpts[i].ok ? "ok" : "refused");
		if (rcpts[i].ok)
			assert_string_equal(addr, rcpts[i].addr);
		xfree(&addr);
	}
	assert_int_equal(lmtp_path_parse("TO:<zoë@b.example>", "TO:", false, &addr, &params, &reply), -1);
	assert_string_equal(reply, "553 5.6.7 Non-ASCII address: SMTPUTF8 is not offered here");
	assert_int_equal(lmtp_path_parse("FROM:<> SIZE=5", "FROM:", true, &addr, &params, &reply), 0);
	assert_string_equal(addr, "");
	assert_string_equal(params, "SIZE=5");
	xfree(&addr);
}

/* Feed stream cut at `cut` (and then byte by byte after it); the message and what was used. */
static void
feed(const char *stream, size_t cut, int64_t max, struct lmtp_data *d, size_t *used_r, bool *done_r)
{
	size_t len = strlen(stream), used;

	lmtp_data_init(d, max);
	used = lmtp_data_feed(d, stream, cut, done_r);
	while (!*done_r && used < len)
		used += lmtp_data_feed(d, stream + used, len - used < 3 ? len - used : 1 + (used % 3),
		                       done_r);
	*used_r = used;
}

static void
check_stream(const char *stream, const char *msg, const char *rest)
{
	for (size_t cut = 0; cut <= strlen(stream); cut++) {
		struct lmtp_data d;
		size_t used;
		bool done = false;

		feed(stream, cut, 1 << 20, &d, &used, &done);
		if (!done || strcmp(d.msg.data ? d.msg.data : "", msg) != 0 ||
		    strcmp(stream + used, rest) != 0)
			fail_msg("cut %zu of %s: done %d, message \"%s\", left \"%s\"", cut, stream, done,
			         d.msg.data ? d.msg.data : "", stream + used);
		lmtp_data_fini(&d);
	}
}

static void
test_data(void **state)
{
	check_stream("a\r\n..b\r\n.\r\n", "a\n.b\n", "");
	check_stream(".\r\n", "", "");
	check_stream("\r\n.\r\nQUIT\r\n", "\n", "QUIT\r\n");
	check_stream("..\r\n...x\r\n.\r\n", ".\n..x\n", "");
	/* A bare LF before the dot does not end the message (no smuggling). */
	check_stream("x\n.\r\ny\r\n.\r\nNEXT", "x\n\ny\n", "NEXT");
	check_stream("x\r\n.\ny\r\n.\r\n", "x\n\ny\n", "");
	/* Bare CRs stay. */
	check_stream("a\rb\r\n.\r\n", "a\rb\n", "");
	check_stream("a\r\r\n.\r\n", "a\r\n", "");
	check_stream("a\r\rb\r\n.\r\n", "a\r\rb\n", "");
	check_stream("line. with dot.\r\n .\r\n.\r\n", "line. with dot.\n .\n", "");
}

static void
test_data_too_big(void **state)
{
	struct lmtp_data d;
	size_t used;
	bool done = false;

	feed("1234\r\n.\r\n", 0, 5, &d, &used, &done);
	assert_true(done);
	assert_false(d.too_big);
	assert_string_equal(d.msg.data, "1234\n");
	lmtp_data_fini(&d);
	feed("12345\r\n6789\r\n.\r\nRSET\r\n", 4, 5, &d, &used, &done);
	assert_true(done);
	assert_true(d.too_big);
	assert_int_equal(used, strlen("12345\r\n6789\r\n.\r\n"));
	lmtp_data_fini(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_flow),
		cmocka_unit_test(test_session_limits),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_data),
		cmocka_unit_test(test_data_too_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
