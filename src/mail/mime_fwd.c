/*
 * mime_fwd.c: what a parsed message shows besides its body. A forwarded
 * mail sent inline (a message/rfc822 part that is not an attachment) is
 * kept as an attachment named after its Subject (".eml") and rendered into
 * msg->forwarded the way mail clients show a forwarded message: a
 * separator line, its From, Date, Subject and To, a blank line, its text
 * (and its own inline forwards, up to MIME_FWD_MAX_DEPTH levels).
 *
 * Also here: the parse warnings (a non-empty body that gave no text and
 * no attachment, parts recovered from a broken multipart) and the content
 * fingerprint that tells a reused Message-ID from a replay.
 */
/* System. */
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "mime.h"
#include "mime_int.h"
#include "xalloc.h"

/*
 * Forwards inside forwards are parsed and rendered at most this deep
 * (each level parses its forwards again: work stays within 4x the
 * message); deeper ones are attachments named "forwarded.eml".
 */
#define MIME_FWD_MAX_DEPTH 3
/* Bytes of the Subject kept in a forwarded message's file name. */
#define MIME_FWD_NAME_MAX 80

static const char *const fwd_fields[] = { "From", "Date", "Subject", "To", "Cc" };

/* "<Subject>.eml" with path and control characters replaced; "forwarded.eml" without one. */
static char *
fwd_filename(const char *subject)
{
	size_t n = subject ? strlen(subject) : 0;
	char *name;

	while (n > 0 && (subject[n - 1] == ' ' || subject[n - 1] == '.'))
		n--;
	if (n == 0)
		return xstrdup("forwarded.eml");
	if (n > MIME_FWD_NAME_MAX) {
		n = MIME_FWD_NAME_MAX;
		while (n > 0 && ((unsigned char)subject[n] & 0xc0) == 0x80)
			n--;   /* never cut a UTF-8 sequence */
	}
	name = xasprintf("%.*s.eml", (int)n, subject);
	for (char *s = name; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == '/' || *s == '\\' || *s == ':')
			*s = '_';
	return name;
}

static void
fwd_render(const struct mime_msg *sub, struct buf *out)
{
	static const char sep[] = "---------- Forwarded message ----------\n";

	if (out->len)
		mime_buf_add(out, "\n\n", 2);
	mime_buf_add(out, sep, sizeof(sep) - 1);
	for (size_t i = 0; i < sizeof(fwd_fields) / sizeof(fwd_fields[0]); i++) {
		const char *v = mime_header(sub, fwd_fields[i]);

		if (v == NULL)
			continue;
		mime_buf_add(out, fwd_fields[i], strlen(fwd_fields[i]));
		mime_buf_add(out, ": ", 2);
		mime_buf_add(out, v, strlen(v));
		mime_buf_add(out, "\n", 1);
	}
	mime_buf_add(out, "\n", 1);
	mime_buf_add(out, sub->text, strlen(sub->text));
	if (sub->forwarded) {
		mime_buf_add(out, "\n\n", 2);
		mime_buf_add(out, sub->forwarded, strlen(sub->forwarded));
	}
}

void
mime_fwd_all(struct mime_msg *m, int depth, struct mime_budget *budget)
{
	struct buf out;

	buf_init(&out, 0);
	for (size_t i = 0; i < m->n_attachments; i++) {
		struct mime_attachment *a = &m->attachments[i];
		struct mime_msg *sub = NULL;
		struct tk_err err;

		if (!a->is_forward)
			continue;
		if (depth >= MIME_FWD_MAX_DEPTH || a->size == 0 || mime_parse_depth((const char *)a->data, a->size, depth + 1, budget, &sub,
		                                     &err) < 0) {
			a->filename = xstrdup("forwarded.eml");
			continue;
		}
		a->filename = fwd_filename(sub->subject);
		fwd_render(sub, &out);
		mime_msg_free(&sub);
	}
	if (out.len) {
		mime_buf_add(&out, "", 0);
		m->forwarded = buf_steal(&out, NULL);
	}
	buf_fini(&out);
}

static bool
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

void
mime_warn(struct mime_msg *m, const char *what)
{
	char *w = m->warning ? xasprintf("%s; %s", m->warning, what) : xstrdup(what);

	xfree(&m->warning);
	m->warning = w;
}

void
mime_fwd_checks(struct mime_msg *m, const char *body, size_t body_len)
{
	if (blank(m->text, strlen(m->text)) && m->n_attachments == 0 && m->forwarded == NULL &&
	    !blank(body, body_len))
		mime_warn(m, "no text and no attachment could be read from a non-empty body");
}

void
mime_fingerprint(struct mime_msg *m, const char *body, size_t body_len)
{
	static const char *const fields[] = { "From", "To", "Cc", "Date", "Subject" };
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *v = mime_header(m, fields[i]);

		mime_buf_add(&b, v ? v : "", v ? strlen(v) : 0);
		mime_buf_add(&b, "\n", 1);
	}
	mime_buf_add(&b, body, body_len);
	mime_sha256_hex((const unsigned char *)b.data, b.len, m->content_sha256);
	buf_fini(&b);
}

char *
mime_msg_shown_text(const struct mime_msg *m, const char *text)
{
	if (text == NULL)
		text = m->text;
	if (m->forwarded == NULL)
		return xstrdup(text);
	return *text ? xasprintf("%s\n\n%s", text, m->forwarded) : xstrdup(m->forwarded);
}
