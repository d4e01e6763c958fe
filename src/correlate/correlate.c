/*
 * correlate.c: threading decisions for incoming replies (see correlate.h
 * for the order). Nothing here touches the database or the clock.
 */
/* System. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
/* ticketd. */
#include "correlate.h"
#include "xalloc.h"

enum corr_how
corr_pick(const struct corr_candidates *c, int64_t *ticket_r)
{
	*ticket_r = 0;
	if (c->token_ticket > 0) {
		*ticket_r = c->token_ticket;
		return CORR_TOKEN;
	}
	if (c->ref_ticket > 0) {
		*ticket_r = c->ref_ticket;
		return CORR_REFERENCES;
	}
	if (c->tag_ticket > 0 && c->tag_sender_participant) {
		*ticket_r = c->tag_ticket;
		return CORR_SUBJECT;
	}
	return CORR_NEW;
}

const char *
corr_how_name(enum corr_how how)
{
	static const char *const names[] = { "new", "token", "references", "subject" };

	return (unsigned)how < 4 ? names[how] : "?";
}

/* Parse "PREFIX-NUMBER]" at p; 1 on success. */
static int
tag_body(const char *p, char *prefix, size_t prefix_len, int64_t *number_r)
{
	size_t n = 0, digits = 0;
	int64_t num = 0;

	while (isalnum((unsigned char)p[n]) && n < 16)
		n++;
	if (n == 0 || p[n] != '-' || n >= prefix_len)
		return 0;
	for (const char *d = p + n + 1; isdigit((unsigned char)*d); d++) {
		if (++digits > 15)
			return 0;
		num = num * 10 + (*d - '0');
	}
	if (digits == 0 || p[n + 1 + digits] != ']')
		return 0;
	for (size_t i = 0; i < n; i++)
		prefix[i] = (char)toupper((unsigned char)p[i]);
	prefix[n] = '\0';
	*number_r = num;
	return 1;
}

int
corr_subject_tag(const char *subject, char *prefix, size_t prefix_len, int64_t *number_r)
{
	for (const char *p = subject ? strchr(subject, '[') : NULL; p; p = strchr(p + 1, '[')) {
		const char *b = p + 1;

		if (*b == '#')
			b++;
		if (tag_body(b, prefix, prefix_len, number_r))
			return 1;
	}
	return 0;
}

char *
corr_plus_token(const char *addr, const char *our_local, const char *our_domain)
{
	size_t ll;
	const char *at, *tok;
	char *out;

	if (addr == NULL || our_local == NULL || our_domain == NULL)
		return NULL;
	ll = strlen(our_local);
	at = strrchr(addr, '@');
	if (at == NULL || strcasecmp(at + 1, our_domain) != 0 || strncasecmp(addr, our_local, ll) != 0 ||
	    addr[ll] != '+')
		return NULL;
	tok = addr + ll + 1;
	if (tok >= at || at - tok > 64)
		return NULL;
	out = xstrndup(tok, (size_t)(at - tok));
	for (char *c = out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return out;
}

enum corr_action
corr_customer_reply(const struct corr_reply *r)
{
	bool done = r->status && (strcmp(r->status, "resolved") == 0 || strcmp(r->status, "closed") == 0);

	if (r->auto_reply)
		return CORR_NOTE;
	if (r->status && strcmp(r->status, "pending") == 0)
		return CORR_TO_OPEN;
	if (!done)
		return CORR_APPEND;
	if (r->thanks_only)
		return CORR_NOTE;
	if (r->done_at > 0 && r->now - r->done_at > r->reopen_window_s)
		return CORR_NEW_LINKED;
	return CORR_REOPEN;
}

const char *
corr_action_name(enum corr_action a)
{
	static const char *const names[] = { "append", "to-open", "reopen", "new-linked", "note" };

	return (unsigned)a < 5 ? names[a] : "?";
}

/* The value of "method=result" in an Authentication-Results value: 1 pass, 0 not. */
static int
method_pass(const char *v, const char *method)
{
	size_t ml = strlen(method);

	for (const char *p = v; (p = strcasestr(p, method)) != NULL; p += ml) {
		const char *r = p + ml;
		bool start = p == v || strchr(" \t;", p[-1]) != NULL;

		while (*r == ' ')
			r++;
		if (!start || *r != '=')
			continue;
		r++;
		while (*r == ' ')
			r++;
		return strncasecmp(r, "pass", 4) == 0 && !isalnum((unsigned char)r[4]);
	}
	return 0;
}

bool
corr_auth_pass(const struct mime_header *headers, size_t n, const char *authserv_id,
               bool require_dkim, bool require_dmarc)
{
	size_t idlen;

	if (authserv_id == NULL || *authserv_id == '\0')
		return false;
	idlen = strlen(authserv_id);
	for (size_t i = 0; i < n; i++) {
		const char *v = headers[i].value;

		if (strcasecmp(headers[i].name, "Authentication-Results") != 0 || v == NULL)
			continue;
		while (*v == ' ' || *v == '\t')
			v++;
		if (strncasecmp(v, authserv_id, idlen) != 0 || (v[idlen] != ';' && v[idlen] != ' '))
			continue;
		return (!require_dkim || method_pass(v + idlen, "dkim")) &&
		       (!require_dmarc || method_pass(v + idlen, "dmarc"));
	}
	return false;
}

size_t
corr_quoted_message_ids(const char *text, size_t len, char **ids, size_t max)
{
	static const char key[] = "message-id:";
	size_t n = 0, kl = sizeof(key) - 1;

	for (size_t i = 0; text && i + kl < len && n < max; i++) {
		size_t a, b;

		if ((i > 0 && text[i - 1] != '\n') || strncasecmp(text + i, key, kl) != 0)
			continue;
		for (a = i + kl; a < len && (text[a] == ' ' || text[a] == '\t'); a++)
			;
		if (a >= len || text[a] != '<')
			continue;
		for (b = a + 1; b < len && b - a < 250 && text[b] != '>' && text[b] != '\n'; b++)
			;
		if (b < len && text[b] == '>' && b > a + 1)
			ids[n++] = xstrndup(text + a + 1, b - a - 1);
	}
	return n;
}

/* Does text[i..] start a line with name (case-insensitive)? */
static bool
line_starts(const char *text, size_t len, size_t i, const char *name)
{
	size_t nl = strlen(name);

	return (i == 0 || text[i - 1] == '\n') && i + nl <= len && strncasecmp(text + i, name, nl) == 0;
}

size_t
corr_dsn_recipients(const char *text, size_t len, char **addrs, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; text && i < len && n < max; i++) {
		size_t a, b;

		if (!line_starts(text, len, i, "final-recipient:") &&
		    !line_starts(text, len, i, "original-recipient:"))
			continue;
		for (a = i; a < len && text[a] != ';' && text[a] != '\n'; a++)
			;
		if (a >= len || text[a] != ';')
			continue;
		for (a++; a < len && (text[a] == ' ' || text[a] == '\t' || text[a] == '<'); a++)
			;
		for (b = a; b < len && b - a < 254 && !strchr(" \t\r\n>", text[b]); b++)
			;
		if (b > a && memchr(text + a, '@', b - a)) {
			addrs[n] = xstrndup(text + a, b - a);
			for (char *c = addrs[n]; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			n++;
		}
	}
	return n;
}

size_t
corr_plus_tokens_in(const char *text, size_t len, const char *local, const char *domain,
                    char **tokens, size_t max)
{
	size_t ll = local ? strlen(local) : 0, dl = domain ? strlen(domain) : 0, n = 0;

	if (ll == 0 || dl == 0)
		return 0;
	for (size_t i = 0; text && i + ll + 1 < len && n < max; i++) {
		size_t t, e;

		if (strncasecmp(text + i, local, ll) != 0 || text[i + ll] != '+' ||
		    (i > 0 && (isalnum((unsigned char)text[i - 1]) || text[i - 1] == '.')))
			continue;
		t = i + ll + 1;
		for (e = t; e < len && e - t <= 64 && isalnum((unsigned char)text[e]); e++)
			;
		if (e == t || e - t > 64 || e + 1 + dl > len || text[e] != '@' ||
		    strncasecmp(text + e + 1, domain, dl) != 0)
			continue;
		tokens[n] = xstrndup(text + t, e - t);
		for (char *c = tokens[n]; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		n++;
		i = e;
	}
	return n;
}
