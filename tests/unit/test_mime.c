/*
 * test_mime.c: MIME parsing edge cases built by hand: encoded words (good
 * and broken), RFC 2231 names, 8-bit text without a charset, bad base64
 * and quoted-printable, broken and missing boundaries, deep nesting, empty
 * input, no headers, NUL bytes, dates, addresses, flags, inline parts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dirent.h>

#include <cmocka.h>

#include "buf.h"
#include "mime.h"
#include "mime_int.h"
#include "xalloc.h"

static struct mime_msg *
parse(const char *raw)
{
	struct mime_msg *m = NULL;
	struct tk_err err;

	assert_int_equal(mime_parse(raw, strlen(raw), &m, &err), 0);
	assert_non_null(m);
	assert_non_null(m->text);
	return m;
}

static void
check_decode(const char *in, const char *want)
{
	char *got = mime_hdr_decode(in, strlen(in));

	assert_string_equal(got, want);
	xfree(&got);
}

static void
test_encoded_words(void **state)
{
	check_decode("=?utf-8?q?caf=C3=A9?=", "caf\xc3\xa9");
	check_decode("=?ISO-8859-1?B?Y2Fm6Q==?= ok", "caf\xc3\xa9 ok");
	/* Blanks between two encoded words vanish, others stay. */
	check_decode("=?utf-8?q?a?=  \t=?utf-8?q?b?= c", "ab c");
	check_decode("x =?utf-8?q?a_b?=", "x a b");
	/* Inside a word, as Python reads it. */
	check_decode("foo=?utf-8?q?bar?=", "foobar");
	/* One character split across two words (same charset) survives. */
	check_decode("=?utf-8?q?omre=C5?= =?utf-8?q?=BEje?=", "omre\xc5\xbeje");
	/* Invalid bytes for the charset become U+FFFD, never vanish. */
	check_decode("=?utf-8?q?a=FFb?=", "a\xef\xbf\xbd" "b");
	/* Broken words stay literal. */
	check_decode("=?utf-8?q?abc", "=?utf-8?q?abc");
	check_decode("=?utf-8?x?abc?=", "=?utf-8?x?abc?=");
	check_decode("=??", "=??");
	check_decode("=?", "=?");
	/* Unknown charset: bytes kept (UTF-8 or windows-1252). */
	check_decode("=?x-nonsense?q?abc?=", "abc");
	/* Garbage base64 does not crash. */
	check_decode("=?utf-8?b?!!!*?=", "");
	/* A stateful charset through iconv. */
	check_decode("=?iso-2022-jp?B?GyRCJEskWyQzGyhC?=", "\xe3\x81\xab\xe3\x81\xbb\xe3\x81\x93");
	/* ... with an NEC row-13 character (No.), as mail clients read it. */
	check_decode("=?iso-2022-jp?B?GyRCLWIbKEIx?=", "\xe2\x84\x96" "1");
	/* Raw 8-bit: UTF-8 when valid, else windows-1252. */
	check_decode("caf\xc3\xa9", "caf\xc3\xa9");
	check_decode("caf\xe9 \x80", "caf\xc3\xa9 \xe2\x82\xac");
}

/* CPU seconds to parse a message whose Subject and To repeat unit. */
static double
hostile_parse_secs(const char *unit, int reps)
{
	clock_t t0 = clock();
	struct buf b;
	struct mime_msg *m = NULL;
	struct tk_err err;

	buf_init(&b, 0);
	assert_int_equal(buf_puts(&b, "Subject: "), 0);
	for (int i = 0; i < reps * 3 / 2; i++)
		assert_int_equal(buf_puts(&b, unit), 0);
	assert_int_equal(buf_puts(&b, "\nTo: x@example.com, "), 0);
	for (int i = 0; i < reps; i++)
		assert_int_equal(buf_puts(&b, unit), 0);
	assert_int_equal(buf_puts(&b, "\n\nbody\n"), 0);
	assert_int_equal(mime_parse(b.data, b.len, &m, &err), 0);
	assert_non_null(m->subject);
	assert_true(m->n_to >= 1);
	assert_string_equal(m->to[0].addr, "x@example.com");
	mime_msg_free(&m);
	buf_fini(&b);
	return (double)(clock() - t0) / CLOCKS_PER_SEC;
}

/*
 * Hostile headers stay linear: up to ~1 MB of (almost-)encoded words.
 * Not a speed target: the time for 4x the input must stay well under the
 * 16x a quadratic parser takes (it did, in libetpan's address parser).
 */
static void
test_hostile_headers(void **state)
{
	static const char *const units[] = { "=?x?q?a ", "b=?x?q?a", "=?x ", "=?utf-8?q?a?= ", "<a", "(" };

	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		double t1 = hostile_parse_secs(units[u], 25000);
		double t4 = hostile_parse_secs(units[u], 100000);

		if (t4 >= 8 * t1 + 0.1)
			fail_msg("unit \"%s\": %.2fs for 4x the input after %.2fs: not linear",
			         units[u], t4, t1);
	}
}

static void
test_rfc2231_names(void **state)
{
	struct mime_msg *m = parse(
		"From: a@b.c\r\nSubject: names\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n"
		"--XX\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
		"--XX\r\nContent-Type: application/pdf\r\n"
		"Content-Disposition: attachment;\r\n filename*0*=utf-8''%E2%82%AC;\r\n filename*1=\".pdf\"\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\nQUJD\r\n"
		"--XX\r\nContent-Type: text/plain; name=\"=?utf-8?q?r=C3=A9sum=C3=A9.txt?=\"\r\n\r\nx\r\n"
		"--XX\r\nContent-Type: application/octet-stream\r\n"
		"Content-Disposition: attachment; filename*=iso-8859-1''caf%E9.bin\r\n\r\nyy\r\n"
		"--XX--\r\n");

	assert_string_equal(m->text, "body");
	assert_int_equal(m->n_attachments, 3);
	assert_string_equal(m->attachments[0].filename, "\xe2\x82\xac.pdf");
	assert_string_equal(m->attachments[0].content_type, "application/pdf");
	assert_string_equal(m->attachments[0].disposition, "attachment");
	assert_int_equal(m->attachments[0].size, 3);
	assert_memory_equal(m->attachments[0].data, "ABC", 3);
	assert_string_equal(m->attachments[0].sha256,
	                    "b5d4045c3f466fa91fe2cc6abe79232a1a57cdf104f7a26e716e0a1e2789df78");
	assert_string_equal(m->attachments[1].filename, "r\xc3\xa9sum\xc3\xa9.txt");
	assert_null(m->attachments[1].disposition);
	assert_string_equal(m->attachments[2].filename, "caf\xc3\xa9.bin");
	assert_int_equal(m->attachments[2].size, 2);
	mime_msg_free(&m);
	assert_null(m);
}

static void
test_charsets(void **state)
{
	struct mime_msg *m;

	/* 8-bit text without a charset: windows-1252 when not UTF-8. */
	m = parse("Subject: x\n\ncaf\xe9 \x80 \x93q\x94\n");
	assert_string_equal(m->text, "caf\xc3\xa9 \xe2\x82\xac \xe2\x80\x9cq\xe2\x80\x9d\n");
	mime_msg_free(&m);
	/* ... and UTF-8 when it is valid UTF-8. */
	m = parse("Subject: x\n\ncaf\xc3\xa9\n");
	assert_string_equal(m->text, "caf\xc3\xa9\n");
	mime_msg_free(&m);
	/* Declared UTF-8 with a bad byte: U+FFFD in its place. */
	m = parse("Content-Type: text/plain; charset=utf-8\n\na\xff" "b\n");
	assert_string_equal(m->text, "a\xef\xbf\xbd" "b\n");
	mime_msg_free(&m);
	/* A charset through iconv, with quoted-printable. */
	m = parse("Content-Type: text/plain; charset=\"KOI8-R\"\n"
	          "Content-Transfer-Encoding: quoted-printable\n\n=D0=D2=C9=D7=C5=D4=\n!\n");
	assert_string_equal(m->text, "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82!\n");
	mime_msg_free(&m);
	/* Mislabelled UTF-8: invalid as GB2312, valid as UTF-8. */
	m = parse("Content-Type: text/plain; charset=gb2312\n\n\xe2\x82\xac\n");
	assert_string_equal(m->text, "\xe2\x82\xac\n");
	mime_msg_free(&m);
	/* UTF-16 with a BOM. */
	m = parse("Content-Type: text/plain; charset=utf-16\nContent-Transfer-Encoding: base64\n\n//5oAGkA\n");
	assert_string_equal(m->text, "hi");
	mime_msg_free(&m);
}

static void
test_bad_transfer_encodings(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	mime_base64_decode("!!QU*JD\n@@", 10, &b);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "ABC", 3);
	buf_reset(&b);
	/* Stops at the first complete padding; a lone sixth bit group is dropped. */
	mime_base64_decode("QQ==QUJD", 8, &b);
	assert_int_equal(b.len, 1);
	buf_reset(&b);
	mime_base64_decode("QUJDR", 5, &b);
	assert_int_equal(b.len, 3);
	buf_reset(&b);
	mime_qp_decode("a=3Db=\r\nc=ZZ=4=", 15, false, &b);
	assert_string_equal(b.data, "a=bc=ZZ=4");
	buf_fini(&b);

	struct mime_msg *m = parse("Content-Transfer-Encoding: base64\n\n%%%%\n");
	assert_string_equal(m->text, "");
	mime_msg_free(&m);
}

static void
test_broken_boundaries(void **state)
{
	struct mime_msg *m;

	/* The boundary never appears. */
	m = parse("Content-Type: multipart/mixed; boundary=nope\n\nhello\n");
	mime_msg_free(&m);
	/* No boundary parameter at all. */
	m = parse("Content-Type: multipart/mixed\n\nhello\n");
	assert_int_equal(m->n_attachments, 0);
	mime_msg_free(&m);
	/* No closing delimiter: the last part still counts. */
	m = parse("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nfirst\n"
	          "--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=t.txt\n\nsecond\n");
	assert_string_equal(m->text, "first");
	assert_int_equal(m->n_attachments, 1);
	assert_string_equal(m->attachments[0].filename, "t.txt");
	mime_msg_free(&m);
	/* Unterminated nested multiparts with '-' lines (libetpan alone cuts these). */
	m = parse("Content-Type: multipart/report; boundary=\"o\"\n\n--o\n"
	          "Content-Type: multipart/alternative; boundary=\"i\"\n\n--i\n"
	          "Content-Type: text/plain\n\n- item\n-- sig\ntext\n\n");
	assert_string_equal(m->text, "- item\n-- sig\ntext");
	mime_msg_free(&m);
	/* Other "--" lines but never our boundary: no parts, no body (libetpan alone invents one). */
	m = parse("Content-Type: multipart/related; boundary=bar\n\n--foo\nContent-Type: text/plain\n\nx\n--foo--\n");
	assert_string_equal(m->text, "");
	assert_int_equal(m->n_attachments, 0);
	mime_msg_free(&m);
	/* The close delimiter comes first: no parts. */
	m = parse("Content-Type: multipart/mixed; boundary=b\n\npreamble\n--b--\nContent-Type: text/plain\n\nlate\n");
	assert_string_equal(m->text, "");
	mime_msg_free(&m);
	/* Empty parts and a boundary on the last line without newline. */
	m = parse("Content-Type: multipart/alternative; boundary=\"q\"\n\n--q\n--q\n\n--q--");
	mime_msg_free(&m);
}

/*
 * Parts past the limit (default 1,000) and multiparts nested deeper than
 * the limit (default 20) are left out, and the text says so.
 */
static void
test_part_limits(void **state)
{
	struct buf b;
	struct mime_msg *m = NULL;
	struct tk_err err;
	clock_t t0;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_puts(&b, "Subject: many\nContent-Type: multipart/mixed; boundary=p\n\n"
	                              "--p\nContent-Type: text/plain\n\nHello.\n"), 0);
	for (int i = 1; i < 50000; i++)
		assert_int_equal(buf_printf(&b, "--p\nContent-Type: image/gif\n"
		                            "Content-Disposition: attachment; filename=i%d.gif\n\nGIF\n", i), 0);
	assert_int_equal(buf_puts(&b, "--p--\n"), 0);
	t0 = clock();
	assert_int_equal(mime_parse(b.data, b.len, &m, &err), 0);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 10.0);
	assert_int_equal(m->n_attachments, MIME_DEFAULT_MAX_PARTS - 1);
	assert_string_equal(m->attachments[998].filename, "i999.gif");
	assert_int_equal(m->parts_left_out, 49000);
	assert_string_equal(m->text, "Hello.\n\n[49000 MIME parts were left out: at most 1000 parts "
	                             "of a message are read]");
	assert_non_null(strstr(m->warning, "49000 MIME parts were left out"));
	mime_msg_free(&m);
	assert_int_equal(mime_parse_limited(b.data, b.len, &(struct mime_limits){ .max_parts = 3 },
	                                    &m, &err), 0);
	assert_int_equal(m->n_attachments, 2);
	assert_int_equal(m->parts_left_out, 49997);
	mime_msg_free(&m);

	/* 30 levels: the text at the bottom is past the default depth of 20. */
	buf_reset(&b);
	for (int i = 0; i < 30; i++)
		assert_int_equal(buf_printf(&b, "%sContent-Type: multipart/mixed; boundary=\"d%d\"\n\n--d%d\n",
		                            i ? "" : "Subject: deep\n", i, i), 0);
	assert_int_equal(buf_puts(&b, "Content-Type: text/plain\n\nat the bottom\n"), 0);
	for (int i = 29; i >= 0; i--)
		assert_int_equal(buf_printf(&b, "--d%d--\n", i), 0);
	assert_int_equal(mime_parse(b.data, b.len, &m, &err), 0);
	assert_string_equal(m->text, "[10 MIME parts were left out: at most 1000 parts of a message are "
	                             "read]\n[parts nested more than 20 levels deep were left out]");
	mime_msg_free(&m);
	assert_int_equal(mime_parse_limited(b.data, b.len, &(struct mime_limits){ .max_depth = 40 },
	                                    &m, &err), 0);
	assert_string_equal(m->text, "at the bottom");
	assert_int_equal(m->parts_left_out, 0);
	mime_msg_free(&m);
	buf_fini(&b);
}

static void
test_deep_nesting(void **state)
{
	struct buf b;
	struct mime_msg *m = NULL;
	struct tk_err err;
	clock_t t0 = clock();
	int depth = 20000;

	buf_init(&b, 0);
	assert_int_equal(buf_puts(&b, "Subject: deep\n"), 0);
	for (int i = 0; i < depth; i++)
		assert_int_equal(buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i), 0);
	assert_int_equal(buf_puts(&b, "Content-Type: text/plain\n\ninnermost\n"), 0);
	for (int i = depth - 1; i >= 0; i--)
		assert_int_equal(buf_printf(&b, "--b%d--\n", i), 0);
	assert_int_equal(mime_parse(b.data, b.len, &m, &err), 0);
	assert_string_equal(m->subject, "deep");
	/* Bounded work: well under a few seconds even under sanitizers. */
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 20.0);
	mime_msg_free(&m);

	/* Many parts and references: linear growth. */
	buf_reset(&b);
	assert_int_equal(buf_puts(&b, "References:"), 0);
	for (int i = 0; i < 50000; i++)
		assert_int_equal(buf_printf(&b, " <r%d@x>", i), 0);
	assert_int_equal(buf_puts(&b, "\nContent-Type: multipart/mixed; boundary=p\n\n"), 0);
	for (int i = 0; i < 20000; i++)
		assert_int_equal(buf_printf(&b, "--p\nContent-Disposition: attachment; filename=f%d\n\nx\n", i), 0);
	assert_int_equal(buf_puts(&b, "--p--\n"), 0);
	assert_int_equal(mime_parse_limited(b.data, b.len, &(struct mime_limits){ .max_parts = 30000 },
	                                    &m, &err), 0);
	assert_int_equal(m->n_references, 50000);
	assert_int_equal(m->n_attachments, 20000);
	assert_string_equal(m->attachments[19999].filename, "f19999");
	mime_msg_free(&m);

	/* Many forwarded messages: each is a leaf kept as an attachment and shown once. */
	buf_reset(&b);
	assert_int_equal(buf_puts(&b, "Content-Type: multipart/mixed; boundary=m\n\n"), 0);
	for (int i = 0; i < 300; i++)
		assert_int_equal(buf_printf(&b, "--m\nContent-Type: message/rfc822\n\nSubject: inner %d\n"
		                            "Content-Type: text/plain\n\nx\n", i), 0);
	assert_int_equal(buf_puts(&b, "--m--\n"), 0);
	assert_int_equal(mime_parse(b.data, b.len, &m, &err), 0);
	assert_int_equal(m->n_attachments, 300);
	assert_string_equal(m->attachments[299].filename, "inner 299.eml");
	assert_string_equal(m->text, "");
	assert_non_null(strstr(m->forwarded, "Subject: inner 299\n\nx"));
	mime_msg_free(&m);

	/* Forwards nested 5,000 deep: rendered a few levels, never recursed further. */
	buf_reset(&b);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(buf_printf(&b, "Subject: level %d\nContent-Type: message/rfc822\n\n", i), 0);
	assert_int_equal(buf_puts(&b, "Subject: last\n\nbottom\n"), 0);
	t0 = clock();
	assert_int_equal(mime_parse(b.data, b.len, &m, &err), 0);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
	assert_non_null(strstr(m->forwarded, "Subject: level 1\n"));
	assert_null(strstr(m->forwarded, "Subject: level 9\n"));
	mime_msg_free(&m);
	buf_fini(&b);
}

static void
test_empty_and_oversize(void **state)
{
	struct mime_msg *m = NULL;
	struct tk_err err;
	size_t big = MIME_MAX_SIZE + 1;
	char *huge;

	assert_int_equal(mime_parse("", 0, &m, &err), -1);
	assert_null(m);
	assert_non_null(strstr(err.msg, "empty"));
	huge = xcalloc(1, big);
	assert_int_equal(mime_parse(huge, big, &m, &err), -1);
	assert_null(m);
	assert_non_null(strstr(err.msg, "limit"));
	xfree(&huge);
	/* Only a newline, only headers. */
	m = parse("\n");
	assert_null(m->subject);
	assert_null(m->from.addr);
	mime_msg_free(&m);
	m = parse("Subject: only headers");
	assert_string_equal(m->subject, "only headers");
	assert_string_equal(m->text, "");
	mime_msg_free(&m);
}

static void
test_no_headers_and_nul(void **state)
{
	struct mime_msg *m = NULL;
	struct tk_err err;
	static const char raw[] = "Subject: a\0b\nX: y\n\nline\0one\n";

	m = parse("just a body line\nand another\n");
	assert_null(m->subject);
	assert_int_equal(m->n_headers, 0);
	assert_non_null(strstr(m->text, "just a body line"));
	mime_msg_free(&m);

	assert_int_equal(mime_parse(raw, sizeof(raw) - 1, &m, &err), 0);
	assert_string_equal(m->subject, "a\xef\xbf\xbd" "b");
	assert_string_equal(m->text, "line\xef\xbf\xbdone\n");
	mime_msg_free(&m);
}

static void
check_date(const char *v, bool ok, time_t want)
{
	time_t t = 0;

	assert_int_equal(mime_hdr_date(v, strlen(v), &t), ok);
	if (ok)
		assert_int_equal((long long)t, (long long)want);
}

static void
test_dates(void **state)
{
	check_date("Mon, 20 Oct 2014 14:33:24 +0200", true, 1413808404);
	check_date("20 Oct 2014 12:33:24 GMT", true, 1413808404);
	check_date("Mon,20 Oct 2014 07:33:24 EST", true, 1413808404);
	check_date("Mon, 20 Oct 14 12:33 -0000", true, 1413808380);
	check_date("Thu, 1 Jan 70 00:00:00 +0000", true, 0);
	check_date("Tue, 31 Dec 1969 23:00:00 -0100", true, 0);
	check_date("Mon, 20 Oct 2014 12.33.24 +0000", true, 1413808404);
	check_date("20-Oct-2014 12:33:24 +0000", true, 1413808404);
	check_date("Oct 20 2014 12:33:24", true, 1413808404);
	check_date("Mon, 30 Feb 2014 12:33:24 +0000", false, 0);
	check_date("Mon, 20 Oct 2014 25:00:00 +0000", false, 0);
	check_date("Mon, 20 Foo 2014 12:00:00 +0000", false, 0);
	check_date("yesterday", false, 0);
	check_date("", false, 0);
	check_date("Mon, 20 Oct 2014 12:33:24 +2400", false, 0);

	struct mime_msg *m = parse("Date: Mon, 20 Oct 2014 14:33:24 +0200\n\nx\n");
	assert_true(m->has_date);
	assert_int_equal((long long)m->date, 1413808404LL);
	mime_msg_free(&m);
}

static void
test_addresses_and_ids(void **state)
{
	struct mime_msg *m = parse(
		"From: \"Doe, John\" <John.Doe@Example.COM>\n"
		"To: undisclosed-recipients:;, Team: a@x.org, B@X.org;, c@y.org (Carl)\n"
		"Cc: =?utf-8?q?J=C3=BCrgen?= <j@z.de>\n"
		"Message-ID:  <abc @def>\n"
		"In-Reply-To: junk <one@x> <two@x>\n"
		"References: <r1@x>\n <r2@x> <> <r3@x>\n"
		"Return-Path: <>\n\nx\n");

	assert_string_equal(m->from.addr, "john.doe@example.com");
	assert_string_equal(m->from.name, "Doe, John");
	assert_int_equal(m->n_to, 3);
	assert_string_equal(m->to[0].addr, "a@x.org");
	assert_string_equal(m->to[1].addr, "b@x.org");
	assert_string_equal(m->to[2].addr, "c@y.org");
	assert_int_equal(m->n_cc, 1);
	assert_string_equal(m->cc[0].name, "J\xc3\xbcrgen");
	assert_string_equal(m->message_id, "abc@def");
	assert_string_equal(m->in_reply_to, "one@x");
	assert_int_equal(m->n_references, 3);
	assert_string_equal(m->references[2], "r3@x");
	assert_string_equal(m->return_path, "");
	assert_true(m->is_bounce);
	assert_false(m->is_auto_reply);
	mime_msg_free(&m);

	/* Addresses libetpan refuses still come out. */
	m = parse("From: nsb@thumper.bellcore.com (Nathaniel Borenstein)\nTo: a b <x@y>, ,q@r\n\nx\n");
	assert_string_equal(m->from.addr, "nsb@thumper.bellcore.com");
	mime_msg_free(&m);
}

static void
test_flags(void **state)
{
	static const struct { const char *hdr; bool autoreply; } cases[] = {
		{ "Auto-Submitted: auto-replied\n", true },
		{ "Auto-Submitted: no (manual)\n", false },
		{ "Auto-Submitted: No\n", false },
		{ "Precedence: bulk\n", true },
		{ "Precedence: list; x\n", true },
		{ "Precedence: first-class\n", false },
		{ "X-Autoreply: yes\n", true },
		{ "X-Autorespond: x\n", true },
		{ "List-Id: <l.x>\n", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *raw = xasprintf("From: a@b\n%s\nbody\n", cases[i].hdr);
		struct mime_msg *m = parse(raw);

		assert_int_equal(m->is_auto_reply, cases[i].autoreply);
		assert_false(m->is_bounce);
		mime_msg_free(&m);
		xfree(&raw);
	}
	struct mime_msg *m = parse(
		"From: MAILER-DAEMON@x.org\nContent-Type: multipart/report; report-type=delivery-status;"
		" boundary=r\n\n--r\nContent-Type: text/plain\n\nfailed\n--r\n"
		"Content-Type: message/delivery-status\n\nStatus: 5.1.1\n--r--\n");
	assert_true(m->is_auto_reply);
	assert_true(m->is_bounce);
	assert_string_equal(m->text, "failed");
	mime_msg_free(&m);
}

static void
test_related_inline_and_forward(void **state)
{
	struct mime_msg *m = parse(
		"Content-Type: multipart/mixed; boundary=o\n\n"
		"--o\nContent-Type: multipart/related; boundary=r\n\n"
		"--r\nContent-Type: multipart/alternative; boundary=a\n\n"
		"--a\nContent-Type: text/html; charset=utf-8\n\n<p>Hi <img src=\"cid:img1@x\"></p>\n"
		"--a--\n"
		"--r\nContent-Type: image/png; name=logo.png\nContent-ID: <img1@x>\n"
		"Content-Transfer-Encoding: base64\n\naGVsbG8=\n"
		"--r\nContent-Type: text/plain\n\nnot the body: only the start part counts\n"
		"--r--\n"
		"--o\nContent-Type: message/rfc822\nContent-Disposition: attachment; filename=fwd.eml\n\n"
		"Subject: inner\nContent-Type: text/plain\n\ninner text\n"
		"--o--\n");

	assert_true(m->text_from_html);
	assert_string_equal(m->text, "Hi");
	assert_non_null(m->html);
	assert_int_equal(m->n_attachments, 2);
	assert_string_equal(m->attachments[0].filename, "logo.png");
	assert_true(m->attachments[0].is_inline);
	assert_string_equal(m->attachments[0].content_id, "img1@x");
	assert_int_equal(m->attachments[0].size, 5);
	assert_string_equal(m->attachments[1].content_type, "message/rfc822");
	assert_true(m->attachments[1].is_message);
	assert_false(m->attachments[1].is_inline);
	assert_non_null(strstr((const char *)m->attachments[1].data, "inner text"));
	mime_msg_free(&m);
}

static void
test_header_lookup(void **state)
{
	struct mime_msg *m = parse("List-Id: =?utf-8?q?L=C3=BCst?= <l.x>\nX-A: 1\nx-a: 2\n\nb\n");

	assert_string_equal(mime_header(m, "list-id"), "L\xc3\xbcst <l.x>");
	assert_string_equal(m->list_id, "l.x");
	assert_string_equal(mime_header(m, "X-A"), "1");
	assert_null(mime_header(m, "Subject"));
	assert_int_equal(m->n_headers, 3);
	mime_msg_free(&m);
}

static void
assert_utf8(const char *s)
{
	if (s)
		assert_true(mime_utf8_valid(s, strlen(s)));
}

/* Every string of every corpus message is valid UTF-8 (JSON and PostgreSQL need it). */
static void
test_corpus_utf8(void **state)
{
	DIR *d = opendir(TESTDATADIR "/corpus");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char *path;
		struct buf b;
		struct mime_msg *m = NULL;
		struct tk_err err;

		if (strstr(e->d_name, ".eml") == NULL)
			continue;
		path = xasprintf("%s/corpus/%s", TESTDATADIR, e->d_name);
		buf_init(&b, 0);
		assert_int_equal(buf_read_file(&b, path), 0);
		assert_int_equal(mime_parse(b.data, b.len, &m, &err), 0);
		assert_utf8(m->subject);
		assert_utf8(m->from.addr);
		assert_utf8(m->from.name);
		assert_utf8(m->text);
		assert_utf8(m->html);
		assert_utf8(m->message_id);
		for (size_t i = 0; i < m->n_to; i++)
			assert_utf8(m->to[i].addr);
		for (size_t i = 0; i < m->n_headers; i++)
			assert_utf8(m->headers[i].value);
		for (size_t i = 0; i < m->n_attachments; i++) {
			assert_utf8(m->attachments[i].filename);
			assert_int_equal(strlen(m->attachments[i].sha256), 64);
		}
		mime_msg_free(&m);
		buf_fini(&b);
		xfree(&path);
		n++;
	}
	closedir(d);
	assert_true(n >= 100);
}

/*
 * An attachment's Content-Type, Content-Disposition and Content-ID with
 * 8-bit bytes that are not UTF-8 (found by tests/fuzz/fuzz_mime): they are
 * stored in text columns, so they come out as valid UTF-8 like all text.
 */
static void
test_attachment_headers_8bit(void **state)
{
	struct mime_msg *m = parse(
		"Content-Type: multipart/mixed; boundary=b\n\n"
		"--b\nContent-Type: text/plain\n\nbody\n"
		"--b\nContent-Type: \xe0\x8b\x9a\x7ft/plain; name=a.txt\n"
		"Content-Disposition: attach\xffment; filename=a.txt\n"
		"Content-ID: <c\xc3(d@x>\n\nfirst\n"
		"--b\nContent-Type: image/p\xe9ng\nContent-Disposition: attachment\n\nsecond\n"
		"--b--\n");

	assert_int_equal(m->n_attachments, 2);
	for (size_t i = 0; i < m->n_attachments; i++) {
		assert_utf8(m->attachments[i].content_type);
		assert_utf8(m->attachments[i].disposition);
		assert_utf8(m->attachments[i].content_id);
	}
	assert_string_equal(m->attachments[0].content_type, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\x7ft/plain");
	assert_string_equal(m->attachments[0].disposition, "attach\xef\xbf\xbdment");
	assert_string_equal(m->attachments[0].content_id, "c\xef\xbf\xbd(d@x");
	assert_string_equal(m->attachments[1].content_type, "image/p\xef\xbf\xbdng");
	mime_msg_free(&m);
}

/* Issue 11: the last delimiter is an opening one (no close delimiter): every part with content is kept. */
static void
test_open_last_delimiter(void **state)
{
	struct mime_msg *m;

	m = parse("From: a@b.c\nContent-Type: multipart/mixed; boundary=\"B1\"\n\n--B1\n"
	          "Content-Type: text/plain\n\nHello, my words.\n--B1\n"
	          "Content-Type: application/pdf; name=\"f.pdf\"\n"
	          "Content-Disposition: attachment; filename=\"f.pdf\"\n"
	          "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--B1\n");
	assert_string_equal(m->text, "Hello, my words.");
	assert_int_equal(m->n_attachments, 1);
	assert_string_equal(m->attachments[0].filename, "f.pdf");
	assert_int_equal(m->attachments[0].size, 9);
	assert_non_null(m->warning);
	assert_non_null(strstr(m->warning, "opening delimiter"));
	mime_msg_free(&m);
	/* CRLF, blanks after the delimiter, a single part. */
	m = parse("Content-Type: multipart/alternative; boundary=q\r\n\r\npreamble\r\n--q \r\n"
	          "Content-Type: text/plain; charset=utf-8\r\n\r\nJust this.\r\n--q\r\n");
	assert_string_equal(m->text, "Just this.");
	mime_msg_free(&m);
	/* Nested: the inner multipart ends with an opening delimiter too. */
	m = parse("Content-Type: multipart/mixed; boundary=o\n\n--o\n"
	          "Content-Type: multipart/alternative; boundary=i\n\n--i\n"
	          "Content-Type: text/plain\n\ninner words\n--i\n\n--o\n"
	          "Content-Type: text/csv; name=d.csv\n\na,b\n--o\n");
	assert_string_equal(m->text, "inner words");
	assert_int_equal(m->n_attachments, 1);
	assert_string_equal(m->attachments[0].filename, "d.csv");
	mime_msg_free(&m);
	/* A well-formed message gets no warning. */
	m = parse("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nfine\n--b--\n");
	assert_string_equal(m->text, "fine");
	assert_null(m->warning);
	mime_msg_free(&m);
}

/* Issue 11: a non-empty message that gives no text and no attachment carries a warning. */
static void
test_empty_parse_warning(void **state)
{
	struct mime_msg *m;

	m = parse("From: a@b.c\nContent-Type: multipart/mixed; boundary=zz\n\nwords, no delimiter\n");
	assert_string_equal(m->text, "");
	assert_int_equal(m->n_attachments, 0);
	assert_non_null(m->warning);
	assert_non_null(strstr(m->warning, "no text and no attachment"));
	mime_msg_free(&m);
	/* An empty body is no surprise. */
	m = parse("From: a@b.c\nSubject: (empty)\n\n \n");
	assert_null(m->warning);
	mime_msg_free(&m);
}

/* Issue 11: an inline message/rfc822 part is kept as <Subject>.eml and shown as a forward. */
static void
test_inline_forward(void **state)
{
	struct mime_msg *m;
	char *shown;

	m = parse("From: Carol <carol@example.com>\nSubject: Fwd: x\n"
	          "Content-Type: multipart/mixed; boundary=X\n\n--X\nContent-Type: text/plain\n\n"
	          "See below.\n--X\nContent-Type: message/rfc822\n\n"
	          "From: Dave <dave@example.com>\nTo: carol@example.com\n"
	          "Date: Mon, 1 Jan 2024 10:00:00 +0000\nSubject: Printer/broken\n\n"
	          "The printer on floor 3 jams.\n--X--\n");
	assert_string_equal(m->text, "See below.");
	assert_int_equal(m->n_attachments, 1);
	assert_true(m->attachments[0].is_forward);
	assert_true(m->attachments[0].is_message);
	assert_string_equal(m->attachments[0].filename, "Printer_broken.eml");
	assert_non_null(m->forwarded);
	assert_string_equal(m->forwarded,
	                    "---------- Forwarded message ----------\n"
	                    "From: Dave <dave@example.com>\n"
	                    "Date: Mon, 1 Jan 2024 10:00:00 +0000\n"
	                    "Subject: Printer/broken\n"
	                    "To: carol@example.com\n\n"
	                    "The printer on floor 3 jams.");
	shown = mime_msg_shown_text(m, NULL);
	assert_non_null(strstr(shown, "See below.\n\n---------- Forwarded message"));
	xfree(&shown);
	assert_null(m->warning);
	mime_msg_free(&m);
	/* An attached message (disposition attachment) stays as it was: no forward rendering. */
	m = parse("Content-Type: multipart/mixed; boundary=X\n\n--X\n\nhi\n--X\n"
	          "Content-Type: message/rfc822\nContent-Disposition: attachment\n\n"
	          "Subject: s\n\nbody\n--X--\n");
	assert_int_equal(m->n_attachments, 1);
	assert_false(m->attachments[0].is_forward);
	assert_null(m->forwarded);
	mime_msg_free(&m);
}

/* The content fingerprint ignores trace headers and sees the body. */
static void
test_fingerprint(void **state)
{
	struct mime_msg *a = parse("Received: by mx1\nFrom: a@b.c\nSubject: s\n\nbody\n");
	struct mime_msg *b = parse("Received: by mx2\nDelivered-To: x@y\nFrom: a@b.c\nSubject: s\n\nbody\n");
	struct mime_msg *c = parse("From: a@b.c\nSubject: s\n\nother body\n");

	assert_int_equal(strlen(a->content_sha256), 64);
	assert_string_equal(a->content_sha256, b->content_sha256);
	assert_string_not_equal(a->content_sha256, c->content_sha256);
	mime_msg_free(&a);
	mime_msg_free(&b);
	mime_msg_free(&c);
}

/* Issue 11: format=flowed soft line breaks are joined (RFC 3676), hard ones kept. */
static void
test_format_flowed(void **state)
{
	struct mime_msg *m;

	m = parse("Content-Type: text/plain; charset=utf-8; format=flowed\n\n"
	          "This is a long \nparagraph that \nflows.\n\n> quoted \n> also quoted\n"
	          ">> deeper \n> back\n From here\n-- \nAlice\n");
	assert_string_equal(m->text, "This is a long paragraph that flows.\n\n> quoted also quoted\n"
	                    ">> deeper \n> back\nFrom here\n-- \nAlice\n");
	mime_msg_free(&m);
	/* DelSp=yes: the blank before a soft break is not text; CRLF line ends stay. */
	m = parse("Content-Type: text/plain; format=flowed; delsp=yes\r\n\r\nwo \r\nrd \r\nhere\r\nnext\r\n");
	assert_string_equal(m->text, "wordhere\r\nnext\r\n");
	mime_msg_free(&m);
	/* Without format=flowed nothing changes. */
	m = parse("Content-Type: text/plain\n\nline one \nline two\n");
	assert_string_equal(m->text, "line one \nline two\n");
	mime_msg_free(&m);
	/* A soft break on the last line, and text that is only blanks. */
	m = parse("Content-Type: text/plain; format=flowed\n\nend \n");
	assert_string_equal(m->text, "end \n");
	mime_msg_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoded_words),
		cmocka_unit_test(test_hostile_headers),
		cmocka_unit_test(test_rfc2231_names),
		cmocka_unit_test(test_charsets),
		cmocka_unit_test(test_bad_transfer_encodings),
		cmocka_unit_test(test_broken_boundaries),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_part_limits),
		cmocka_unit_test(test_empty_and_oversize),
		cmocka_unit_test(test_no_headers_and_nul),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_addresses_and_ids),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_related_inline_and_forward),
		cmocka_unit_test(test_header_lookup),
		cmocka_unit_test(test_corpus_utf8),
		cmocka_unit_test(test_attachment_headers_8bit),
		cmocka_unit_test(test_open_last_delimiter),
		cmocka_unit_test(test_empty_parse_warning),
		cmocka_unit_test(test_inline_forward),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_format_flowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
