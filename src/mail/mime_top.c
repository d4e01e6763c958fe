/*
 * mime_top.c: the message's own header block into struct mime_msg: every
 * header decoded, and the typed fields (subject, addresses, ids, date,
 * automatic-mail flags, List-Id, Return-Path) from the first header of
 * each name, as Python's email package reads them.
 */
/* System. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
/* ticketd. */
#include "mime.h"
#include "mime_int.h"
#include "xalloc.h"

char *
mime_trimmed(const char *v, size_t n)
{
	char *u = mime_unfold(v, n);
	size_t k = strlen(u);

	while (k && (u[k - 1] == ' ' || u[k - 1] == '\t'))
		u[--k] = '\0';
	return u;
}

/* First token of v before ';' or '(' , trimmed and lower-cased. */
static char *
first_token(const char *v)
{
	size_t n = strcspn(v, ";(");
	char *t = xstrndup(v, n);
	size_t a = 0, k;

	for (char *s = t; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
	while (t[a] == ' ' || t[a] == '\t')
		a++;
	k = strlen(t);
	while (k > a && (t[k - 1] == ' ' || t[k - 1] == '\t'))
		k--;
	memmove(t, t + a, k - a);
	t[k - a] = '\0';
	return t;
}

static bool
hdr_is(const struct mime_field *f, const char *name)
{
	size_t n = strlen(name);

	return f->name_len == n && strncasecmp(f->name, name, n) == 0;
}

enum top_hdr {
	H_SUBJECT, H_FROM, H_TO, H_CC, H_REPLY_TO, H_MESSAGE_ID, H_IN_REPLY_TO,
	H_REFERENCES, H_DATE, H_AUTO_SUBMITTED, H_PRECEDENCE, H_X_AUTOREPLY,
	H_X_AUTORESPOND, H_RETURN_PATH, H_LIST_ID,
};

/* Typed top-level fields: the first header of each name counts. */
static void
top_field(struct mime_msg *m, const struct mime_field *f, unsigned *seen)
{
	static const char *const names[] = {
		[H_SUBJECT] = "subject", [H_FROM] = "from", [H_TO] = "to", [H_CC] = "cc",
		[H_REPLY_TO] = "reply-to", [H_MESSAGE_ID] = "message-id",
		[H_IN_REPLY_TO] = "in-reply-to", [H_REFERENCES] = "references",
		[H_DATE] = "date", [H_AUTO_SUBMITTED] = "auto-submitted",
		[H_PRECEDENCE] = "precedence", [H_X_AUTOREPLY] = "x-autoreply",
		[H_X_AUTORESPOND] = "x-autorespond", [H_RETURN_PATH] = "return-path",
		[H_LIST_ID] = "list-id",
	};
	unsigned i;
	char *tok;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (hdr_is(f, names[i]))
			break;
	if (i == sizeof(names) / sizeof(names[0]) || (*seen & (1u << i)))
		return;
	*seen |= 1u << i;
	switch (i) {
	case H_SUBJECT: {
		char *u = mime_unfold(f->value, f->value_len);

		m->subject = mime_hdr_decode(u, strlen(u));
		xfree(&u);
		break;
	}
	case H_FROM: {
		struct mime_addr *l = NULL;
		size_t n = 0;

		mime_hdr_addrs(f->value, f->value_len, &l, &n);
		for (size_t k = 0; k < n && !m->from.addr; k++)
			if (l[k].addr[0]) {
				m->from = l[k];
				l[k].addr = l[k].name = NULL;
			}
		mime_addrs_free(l, n);
		break;
	}
	case H_TO: mime_hdr_addrs(f->value, f->value_len, &m->to, &m->n_to); break;
	case H_CC: mime_hdr_addrs(f->value, f->value_len, &m->cc, &m->n_cc); break;
	case H_REPLY_TO: mime_hdr_addrs(f->value, f->value_len, &m->reply_to, &m->n_reply_to); break;
	case H_MESSAGE_ID: m->message_id = mime_hdr_msgid(f->value, f->value_len, true); break;
	case H_IN_REPLY_TO: m->in_reply_to = mime_hdr_msgid(f->value, f->value_len, false); break;
	case H_REFERENCES: mime_hdr_msgids(f->value, f->value_len, &m->references, &m->n_references); break;
	case H_DATE: m->has_date = mime_hdr_date(f->value, f->value_len, &m->date); break;
	case H_AUTO_SUBMITTED: case H_PRECEDENCE: {
		char *u = mime_unfold(f->value, f->value_len);

		tok = first_token(u);
		if (i == H_AUTO_SUBMITTED)
			m->is_auto_reply |= strcmp(tok, "no") != 0;
		else
			m->is_auto_reply |= !strcmp(tok, "bulk") || !strcmp(tok, "junk") || !strcmp(tok, "list");
		xfree(&tok);
		xfree(&u);
		break;
	}
	case H_X_AUTOREPLY: case H_X_AUTORESPOND: m->is_auto_reply = true; break;
	case H_LIST_ID: {
		char *u = mime_trimmed(f->value, f->value_len);

		m->list_id = mime_hdr_msgid(u, strlen(u), false);
		if (m->list_id == NULL && *u)
			m->list_id = mime_hdr_decode(u, strlen(u));
		xfree(&u);
		break;
	}
	case H_RETURN_PATH: {
		char *u = mime_trimmed(f->value, f->value_len);
		char *id = mime_hdr_msgid(u, strlen(u), true);

		if (id)
			m->return_path = id;
		else if (strstr(u, "<>"))
			m->return_path = xstrdup("");
		for (char *s = m->return_path; s && *s; s++)
			if (*s >= 'A' && *s <= 'Z')
				*s = (char)(*s + 32);
		xfree(&u);
		break;
	}
	}
}

/* Parse the top header block; returns where the body starts. */
const char *
mime_top_headers(struct mime_msg *m, const char *p, const char *end)
{
	struct mime_field f;
	unsigned seen = 0;
	size_t cap = 0;

	while (mime_field_next(&p, end, &f)) {
		char *u;

		if (m->n_headers == cap) {
			cap = cap ? cap * 2 : 32;
			m->headers = xreallocarray(m->headers, cap, sizeof(*m->headers));
		}
		u = mime_unfold(f.value, f.value_len);
		m->headers[m->n_headers].name = xstrndup(f.name, f.name_len);
		m->headers[m->n_headers].value = mime_hdr_decode(u, strlen(u));
		m->n_headers++;
		xfree(&u);
		top_field(m, &f, &seen);
	}
	return p;
}

void
mime_sender_checks(struct mime_msg *m)
{
	const char *a = m->from.addr;

	if (a && (strncmp(a, "mailer-daemon@", 14) == 0 || strncmp(a, "postmaster@", 11) == 0 ||
	          strcmp(a, "mailer-daemon") == 0))
		m->is_bounce = true;
	if (m->return_path && m->return_path[0] == '\0')
		m->is_bounce = true;
}

