/*
 * test_compose.c: outgoing mail written with libetpan's MIME writer, read
 * back with our own parser (mime.h), and the template renderer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compose.h"
#include "mime.h"

static const char *const refs2[] = { "orig@customer.example", "ack@example.com" };

static struct compose_msg
sample(void)
{
	struct compose_msg m = {
		.from = { "support@example.com", "Exämple Support" },
		.to = { "zoe@customer.example", "Zoë Kunde" },
		.reply_to = { "support+abcdefghijklmnopqrstuvwx@example.com", NULL },
		.subject = "Re: [#TKT-1000] Grüße aus Köln — a long subject that goes on and on and on",
		.message_id = "tkd.1.0123@example.com",
		.in_reply_to = "orig@customer.example",
		.refs = refs2, .n_refs = 2,
		.auto_submitted = "auto-replied",
		.loop_id = "support@example.com",
		.text = "Hallo Zoë,\n.a line that starts with a dot\nand a very long line "
		        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		        "xxxxxxxxxxxxxxxxxxxxxxxxxx end\n",
		.date = 1795000000,
	};
	return m;
}

/* The parser keeps the CRLF line ends of the wire; compare with LF. */
static void
assert_text(const char *got, const char *want)
{
	char *copy = strdup(got), *w = copy;

	for (const char *r = got; *r; r++)
		if (!(r[0] == '\r' && r[1] == '\n'))
			*w++ = *r;
	*w = '\0';
	assert_string_equal(copy, want);
	free(copy);
}

static struct mime_msg *
roundtrip(const struct compose_msg *m, char **raw_r)
{
	struct tk_err err = { 0 };
	struct mime_msg *msg = NULL;
	size_t len = 0;

	assert_int_equal(compose_write(m, raw_r, &len, &err), 0);
	assert_int_equal(strlen(*raw_r), len);
	assert_int_equal(mime_parse(*raw_r, len, &msg, &err), 0);
	return msg;
}

static void
test_headers_roundtrip(void **state)
{
	struct compose_msg m = sample();
	char *raw = NULL;
	struct mime_msg *msg = roundtrip(&m, &raw);

	assert_string_equal(msg->subject, m.subject);
	assert_string_equal(msg->from.addr, "support@example.com");
	assert_string_equal(msg->from.name, "Exämple Support");
	assert_int_equal(msg->n_to, 1);
	assert_string_equal(msg->to[0].addr, "zoe@customer.example");
	assert_string_equal(msg->to[0].name, "Zoë Kunde");
	assert_string_equal(msg->reply_to[0].addr, "support+abcdefghijklmnopqrstuvwx@example.com");
	assert_string_equal(msg->message_id, "tkd.1.0123@example.com");
	assert_string_equal(msg->in_reply_to, "orig@customer.example");
	assert_int_equal(msg->n_references, 2);
	assert_string_equal(msg->references[1], "ack@example.com");
	assert_string_equal(mime_header(msg, "Auto-Submitted"), "auto-replied");
	assert_string_equal(mime_header(msg, "X-Ticketd-Loop"), "support@example.com");
	assert_true(msg->is_auto_reply);
	assert_text(msg->text, m.text);
	/* Every header line stays within 998 octets and the raw mail is 7-bit. */
	for (const char *p = raw; *p; p++)
		assert_true((unsigned char)*p < 0x80);
	assert_non_null(strstr(raw, "MIME-Version: 1.0"));
	assert_non_null(strstr(raw, "=?UTF-8?B?"));
	mime_msg_free(&msg);
	free(raw);
}

static void
test_html_alternative(void **state)
{
	struct compose_msg m = sample();
	char *raw = NULL;
	struct mime_msg *msg;

	m.html = "<p>Hallo <b>Zoë</b></p>";
	m.auto_submitted = NULL;
	msg = roundtrip(&m, &raw);
	assert_non_null(strstr(raw, "multipart/alternative"));
	assert_text(msg->text, m.text);
	assert_non_null(msg->html);
	assert_non_null(strstr(msg->html, "<b>Zoë</b>"));
	assert_null(mime_header(msg, "Auto-Submitted"));
	mime_msg_free(&msg);
	free(raw);
}

static void
test_no_header_injection(void **state)
{
	struct compose_msg m = sample();
	char *raw = NULL;
	struct mime_msg *msg;

	m.subject = "Hello\r\nBcc: victim@evil.example\r\n\r\nbody";
	m.from.name = "Evil\nX-Injected: 1";
	msg = roundtrip(&m, &raw);
	assert_null(mime_header(msg, "Bcc"));
	assert_null(mime_header(msg, "X-Injected"));
	assert_non_null(strstr(msg->subject, "Bcc: victim"));
	mime_msg_free(&msg);
	free(raw);
}

static void
test_refuses_bad_addresses(void **state)
{
	struct tk_err err = { 0 };
	char *raw = NULL;
	size_t len;
	struct compose_msg m = sample();

	m.to.addr = "zoe@customer.example\r\nBcc: x@y";
	assert_int_equal(compose_write(&m, &raw, &len, &err), -1);
	assert_non_null(strstr(err.msg, "recipient"));
	assert_null(raw);
	m = sample();
	m.from.addr = NULL;
	assert_int_equal(compose_write(&m, &raw, &len, &err), -1);
	assert_non_null(strstr(err.msg, "From"));
	m = sample();
	m.message_id = "no-at-sign";
	assert_int_equal(compose_write(&m, &raw, &len, &err), -1);
	assert_non_null(strstr(err.msg, "Message-ID"));
	m = sample();
	m.reply_to.addr = "a b@c";
	assert_int_equal(compose_write(&m, &raw, &len, &err), -1);
}

static void
test_encode_header(void **state)
{
	char *s = compose_encode_header("plain ascii");
	char long_utf8[600] = "";

	assert_string_equal(s, "plain ascii");
	free(s);
	s = compose_encode_header("tab\there");
	assert_string_equal(s, "tab here");
	free(s);
	/* 150 two-byte characters: several words, each at most 75 characters. */
	for (int i = 0; i < 150; i++)
		strcat(long_utf8, "é");
	s = compose_encode_header(long_utf8);
	for (char *w = strtok(s, " "); w; w = strtok(NULL, " ")) {
		assert_true(strlen(w) <= 75);
		assert_int_equal(strncmp(w, "=?UTF-8?B?", 10), 0);
	}
	free(s);
	s = compose_encode_header("looks =?like?= a word");
	assert_int_equal(strncmp(s, "=?UTF-8?B?", 10), 0);
	free(s);
	s = compose_encode_header(NULL);
	assert_string_equal(s, "");
	free(s);
}

static void
test_message_id(void **state)
{
	char *a = compose_message_id("example.com", 42), *b = compose_message_id("example.com", 42);

	assert_string_not_equal(a, b);
	assert_int_equal(strncmp(a, "tkd.42.", 7), 0);
	assert_non_null(strstr(a, "@example.com"));
	free(a);
	free(b);
	a = compose_message_id(NULL, 1);
	assert_non_null(strstr(a, "@ticketd.invalid"));
	free(a);
}

static void
test_render(void **state)
{
	struct compose_var v[] = { { "ticket", "TKT-7" }, { "subject", "{{ticket}} injected" },
	                           { "empty", NULL } };
	char *s = compose_render("Subject: [#{{ticket}}] {{ subject }}\n\n{{unknown}}|{{empty}}|{{ticket"
	                         "|{{}}|{ {ticket}}", v, 3);

	/* Substituted values are not scanned again; broken tags stay as text. */
	assert_string_equal(s, "Subject: [#TKT-7] {{ticket}} injected\n\n||{{ticket|{{}}|{ {ticket}}");
	free(s);
	s = compose_render(NULL, v, 3);
	assert_string_equal(s, "");
	free(s);
}

static void
test_html_escape(void **state)
{
	static const char *const allowed[] = { "text", NULL };
	struct tk_err err = { 0 };
	char *s = compose_html_escape("<script>alert('x') & \"y\"</script>");

	assert_string_equal(s, "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
	free(s);
	s = compose_html_escape(NULL);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(compose_placeholders_check("<p>{{text}}</p>", allowed, &err), 0);
	assert_int_equal(compose_placeholders_check("<p>\n{{body}}</p>", allowed, &err), -1);
	assert_non_null(strstr(err.msg, "line 2"));
}

static void
test_template_check_and_split(void **state)
{
	static const char *const allowed[] = { "ticket", "text", NULL };
	struct tk_err err = { 0 };
	char *subject, *body;

	assert_int_equal(compose_template_check("Subject: {{ticket}}\n\n{{text}}\n", allowed, &err), 0);
	assert_int_equal(compose_template_check("Hello\n\nbody", allowed, &err), -1);
	assert_non_null(strstr(err.msg, "Subject"));
	assert_int_equal(compose_template_check("Subject: x\n\nline\n{{secret}}\n", allowed, &err), -1);
	assert_non_null(strstr(err.msg, "line 4"));
	assert_non_null(strstr(err.msg, "{{secret}}"));
	assert_int_equal(compose_template_check("Subject: x\nno blank line", allowed, &err), -1);
	assert_int_equal(compose_template_split("Subject:  Hi there \n\nBody\nmore\n", &subject, &body,
	                                        &err), 0);
	assert_string_equal(subject, "Hi there");
	assert_string_equal(body, "Body\nmore\n");
	free(subject);
	free(body);
	assert_int_equal(compose_template_split("Subject: x\nbody", &subject, &body, &err), -1);
	assert_null(subject);
	assert_int_equal(compose_template_split("", &subject, &body, &err), -1);
}

static void
test_hostile_render(void **state)
{
	static const char *const allowed[] = { "a", NULL };
	struct compose_var v[] = { { "a", "A" } };
	char buf[257];
	struct tk_err err;

	srand(7);
	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)(rand() % 256);

		for (size_t i = 0; i < n; i++) {
			static const char alphabet[] = "{} a\nSubject:\r\xc3\xa9";

			buf[i] = alphabet[rand() % (int)(sizeof(alphabet) - 1)];
		}
		buf[n] = '\0';
		free(compose_render(buf, v, 1));
		(void)compose_template_check(buf, allowed, &err);
		free(compose_encode_header(buf));
	}
}

static void
check_qp(const char *in, const char *want)
{
	struct buf b;

	buf_init(&b, 0);
	compose_qp_encode(in, &b);
	(void)buf_append(&b, "", 0);
	assert_string_equal(b.data, want);
	buf_fini(&b);
}

/* Issue 11: the signature separator "-- " went out as "-- =20" (dash dash and two blanks). */
static void
test_quoted_printable(void **state)
{
	struct compose_msg m = sample();
	struct mime_msg *got = NULL;
	struct tk_err err;
	char *raw = NULL;
	size_t len = 0;

	check_qp("Thanks\n-- \nSupport\n", "Thanks\r\n--=20\r\nSupport\r\n");
	check_qp("tab\t\nend \t", "tab=09\r\nend =09");
	check_qp("a=b caf\xc3\xa9\r\n", "a=3Db caf=C3=A9\r\n");
	check_qp("", "");
	/* 80 x: a soft break after 75, the rest on the next line. */
	check_qp("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=\r\nxxxxx");
	/* An =XX is never cut by a soft break. */
	check_qp("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xc3\xa9",
	         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=\r\n=C3=A9");
	/* Written and read back: the separator is exactly "-- ". */
	m.text = "Your answer.\n\n-- \nExample Support\n";
	assert_int_equal(compose_write(&m, &raw, &len, &err), 0);
	assert_non_null(strstr(raw, "\r\n--=20\r\n"));
	assert_null(strstr(raw, "-- =20"));
	assert_int_equal(mime_parse(raw, len, &got, &err), 0);
	assert_non_null(strstr(got->text, "\r\n-- \r\nExample Support"));
	assert_null(strstr(got->text, "--  "));
	mime_msg_free(&got);
	free(raw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_roundtrip),
		cmocka_unit_test(test_html_alternative),
		cmocka_unit_test(test_no_header_injection),
		cmocka_unit_test(test_refuses_bad_addresses),
		cmocka_unit_test(test_encode_header),
		cmocka_unit_test(test_message_id),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_html_escape),
		cmocka_unit_test(test_template_check_and_split),
		cmocka_unit_test(test_hostile_render),
		cmocka_unit_test(test_quoted_printable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
