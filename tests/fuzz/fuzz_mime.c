/*
 * fuzz_mime.c: one raw message through the parser (mime_parse_limited)
 * and the reply stripping the pipeline applies to its text (quote_split,
 * or quote_split_html for an HTML-only mail, as mailproc.c does).
 *
 * Properties: every string of the parsed message is valid UTF-8 (mime.h;
 * they are stored in PostgreSQL text columns), attachment sizes and hashes
 * are consistent, and the visible text quote.h promises: valid UTF-8 in,
 * valid UTF-8 out, no CR, no trailing white space on any line, no blank
 * line first or last.
 */
/* System. */
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "fuzz.h"
#include "mime.h"
#include "quote.h"
#include "xalloc.h"

static void
check_addrs(const char *what, const struct mime_addr *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fuzz_check_utf8(what, a[i].addr);
		fuzz_check_utf8(what, a[i].name);
	}
}

static void
check_attachment(const struct mime_attachment *a)
{
	fuzz_check_utf8("attachment filename", a->filename);
	fuzz_check_utf8("attachment content_type", a->content_type);
	fuzz_check_utf8("attachment disposition", a->disposition);
	fuzz_check_utf8("attachment content_id", a->content_id);
	if (a->content_type == NULL)
		fuzz_fail("attachment without a content type");
	if (a->size > 0 && a->data == NULL)
		fuzz_fail("attachment of %zu bytes without data", a->size);
	if (strlen(a->sha256) != 64)
		fuzz_fail("attachment sha256 \"%s\" is not 64 hex digits", a->sha256);
}

static void
check_msg(const struct mime_msg *m)
{
	fuzz_check_utf8("subject", m->subject);
	check_addrs("from", &m->from, 1);
	check_addrs("to", m->to, m->n_to);
	check_addrs("cc", m->cc, m->n_cc);
	check_addrs("reply_to", m->reply_to, m->n_reply_to);
	fuzz_check_utf8("return_path", m->return_path);
	fuzz_check_utf8("list_id", m->list_id);
	fuzz_check_utf8("message_id", m->message_id);
	fuzz_check_utf8("in_reply_to", m->in_reply_to);
	for (size_t i = 0; i < m->n_references; i++)
		fuzz_check_utf8("references", m->references[i]);
	if (m->text == NULL)
		fuzz_fail("text is NULL (mime.h: \"\" when none)");
	fuzz_check_utf8("text", m->text);
	fuzz_check_utf8("html", m->html);
	fuzz_check_utf8("forwarded", m->forwarded);
	fuzz_check_utf8("warning", m->warning);
	for (size_t i = 0; i < m->n_headers; i++) {
		fuzz_check_utf8("header name", m->headers[i].name);
		fuzz_check_utf8("header value", m->headers[i].value);
	}
	for (size_t i = 0; i < m->n_attachments; i++)
		check_attachment(&m->attachments[i]);
	if (strlen(m->content_sha256) != 64)
		fuzz_fail("content_sha256 is not 64 hex digits");
}

static void
strip(const struct mime_msg *m)
{
	char *visible = NULL, *quoted = NULL, *shown;

	if (m->text_from_html && m->html)
		quote_split_html(m->html, strlen(m->html), &visible, &quoted);
	else
		quote_split(m->text, &visible, &quoted);
	if (visible == NULL || quoted == NULL)
		fuzz_fail("quote split left a result unset");
	fuzz_check_visible(visible);
	fuzz_check_utf8("visible text", visible);
	fuzz_check_utf8("quoted text", quoted);
	shown = mime_msg_shown_text(m, visible);
	fuzz_check_utf8("shown text", shown);
	free(shown);
	free(visible);
	free(quoted);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Lower than the defaults so that one input stays fast; the code paths are the same. */
	const struct mime_limits lim = { .max_parts = 100, .max_depth = 12 };
	struct mime_msg *msg = NULL;
	struct tk_err err = { 0 };

	fuzz_init();
	if (mime_parse_limited((const char *)data, size, &lim, &msg, &err) < 0) {
		if (msg != NULL)
			fuzz_fail("mime_parse failed but set a message");
		return 0;
	}
	check_msg(msg);
	strip(msg);
	mime_msg_free(&msg);
	if (msg != NULL)
		fuzz_fail("mime_msg_free left the pointer set");
	return 0;
}
