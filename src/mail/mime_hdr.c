/*
 * mime_hdr.c: header fields of one message or part. Splitting a header
 * block into fields, RFC 2047 encoded words, address lists (libetpan's
 * mailimf parser, with a lenient fallback) and message ids. Dates are in
 * mime_date.c, Content-Type parameters in mime_param.c.
 *
 * Where RFCs leave room, the rules follow CPython's email package (the
 * reference the corpus tests compare with): header lines end at the first
 * line that is not "name:" or a continuation; encoded words are decoded
 * even inside words and the blanks between two of them are dropped (words
 * in one charset are joined first, so a character split across two words
 * survives). Raw 8-bit header bytes are
 * read as UTF-8 when valid, else as windows-1252 (Python shows U+FFFD).
 */
/* System. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
/* Libraries. */
#include <libetpan/libetpan.h>
/* ticketd. */
#include "mime_int.h"
#include "xalloc.h"

/* ---- header blocks ---- */

static const char *
line_end(const char *p, const char *end, const char **next_r)
{
	const char *q = p;

	while (q < end && *q != '\n' && *q != '\r')
		q++;
	if (q < end && *q == '\r' && q + 1 < end && q[1] == '\n')
		*next_r = q + 2;
	else
		*next_r = q < end ? q + 1 : q;
	return q;
}

static bool
is_name_char(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != ':';
}

bool
mime_field_next(const char **pp, const char *end, struct mime_field *f)
{
	const char *p = *pp;

	while (p < end) {
		const char *next, *eol = line_end(p, end, &next), *q = p;

		if (eol == p) {              /* blank line: the body follows */
			*pp = next;
			return false;
		}
		if (*p == ' ' || *p == '\t' || (eol - p >= 5 && memcmp(p, "From ", 5) == 0)) {
			p = next;               /* stray continuation or envelope line */
			continue;
		}
		while (q < eol && is_name_char((unsigned char)*q))
			q++;
		if (q == eol || *q != ':') { /* not a header: the body starts here */
			*pp = p;
			return false;
		}
		if (q == p) {                /* ":value" without a name */
			p = next;
			continue;
		}
		f->name = p;
		f->name_len = (size_t)(q - p);
		f->value = q + 1;
		while (next < end && (*next == ' ' || *next == '\t'))
			eol = line_end(next, end, &next);
		f->value_len = (size_t)(eol - f->value);
		*pp = next;
		return true;
	}
	*pp = p;
	return false;
}

bool
mime_field_find(const char *p, const char *end, const char *name, struct mime_field *f)
{
	size_t n = strlen(name);

	while (mime_field_next(&p, end, f))
		if (f->name_len == n && strncasecmp(f->name, name, n) == 0)
			return true;
	return false;
}

char *
mime_unfold(const char *v, size_t n)
{
	char *s = xmalloc(3 * n + 1);
	size_t k = 0, i = 0;

	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	for (; i < n; i++) {
		if (v[i] == '\0') {
			memcpy(s + k, "\xef\xbf\xbd", 3);   /* NUL: U+FFFD */
			k += 3;
		} else if (v[i] != '\r' && v[i] != '\n') {
			s[k++] = v[i];
		}
	}
	s[k] = '\0';
	return s;
}

/* ---- RFC 2047 ---- */

static const char *
find2(const char *p, const char *end, char a, char b)
{
	for (; p + 1 < end; p++)
		if (p[0] == a && p[1] == b)
			return p;
	return NULL;
}

/*
 * Try an encoded word at p (which starts with "=?"). Returns 1 with its
 * decoded bytes appended to raw, *cs_r (caller frees) its charset and
 * *end_r after it; 0 when there is no "?=" at all; -1 when the word is
 * malformed (Python then stops splitting words at "=?").
 */
static int
ew_try(const char *p, const char *end, struct buf *raw, char **cs_r, const char **end_r)
{
	const char *tok = p + 2, *q = find2(tok, end, '?', '='), *tend, *rest;
	const char *f[3];
	size_t nq = 0;
	char *star;

	if (q == NULL)
		return 0;
	tend = q;
	rest = q + 2;
	for (const char *s = tok; s < tend; s++)
		nq += *s == '?';
	if (end - rest > 1 && isxdigit((unsigned char)rest[0]) && isxdigit((unsigned char)rest[1]) && nq < 2) {
		/* The "?=" was really "?" followed by an =XX escape. */
		const char *q2 = find2(rest, end, '?', '=');

		tend = q2 ? q2 : end;
		rest = q2 ? q2 + 2 : end;
		nq++;
		for (const char *s = q + 2; s < tend; s++)
			nq += *s == '?';
	}
	if (nq != 2)
		return -1;
	f[0] = tok;
	f[1] = (const char *)memchr(tok, '?', (size_t)(tend - tok)) + 1;
	f[2] = (const char *)memchr(f[1], '?', (size_t)(tend - f[1])) + 1;
	if (f[2] - f[1] != 2 || !strchr("qQbB", f[1][0]))
		return -1;
	*cs_r = xstrndup(f[0], (size_t)(f[1] - 1 - f[0]));
	if ((star = strchr(*cs_r, '*')) != NULL)
		*star = '\0';
	if (f[1][0] == 'q' || f[1][0] == 'Q')
		mime_qp_decode(f[2], (size_t)(tend - f[2]), true, raw);   /* =XX and '_' */
	else
		mime_base64_decode(f[2], (size_t)(tend - f[2]), raw);
	*end_r = rest;
	return 1;
}

/* Does [p, end) hold something shaped like an encoded word? */
static bool
ew_search(const char *p, const char *end)
{
	for (const char *s = p; (s = find2(s, end, '=', '?')) != NULL; s++) {
		const char *q = memchr(s + 2, '?', (size_t)(end - s - 2));

		if (q && q + 3 < end && strchr("qQbB", q[1]) && q[2] == '?')
			return find2(q + 3, end, '?', '=') != NULL;   /* none later either */
	}
	return false;
}

/* Adjacent encoded words in one charset are joined before decoding, so a
 * character split across two words survives. */
struct ew_pending {
	struct buf raw;
	char *cs;
};

static void
ew_flush(struct ew_pending *pd, struct buf *out)
{
	if (pd->cs == NULL)
		return;
	mime_to_utf8(pd->cs, pd->raw.data ? pd->raw.data : "", pd->raw.len, out);
	buf_reset(&pd->raw);
	xfree(&pd->cs);
}

char *
mime_hdr_decode(const char *v, size_t n)
{
	const char *p = v, *end = v + n;
	struct buf out;
	struct ew_pending pd;
	bool valid_ew = true, last_ew = false;
	const char *ws = NULL, *no_close = NULL;   /* no "?=" from here on */
	size_t ws_len = 0;

	buf_init(&out, 0);
	buf_init(&pd.raw, 0);
	pd.cs = NULL;
	mime_buf_add(&out, "", 0);
	while (p < end) {
		const char *t;

		if (*p == ' ' || *p == '\t') {
			ws = p;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			ws_len = (size_t)(p - ws);
			continue;
		}
		if (end - p > 1 && p[0] == '=' && p[1] == '?' && (no_close == NULL || p < no_close)) {
			struct buf raw;
			const char *after;
			char *cs = NULL;
			int r;

			buf_init(&raw, 0);
			r = ew_try(p, end, &raw, &cs, &after);
			if (r == 1) {
				/* Blanks between two encoded words vanish. */
				if (pd.cs == NULL || strcasecmp(pd.cs, cs) != 0) {
					ew_flush(&pd, &out);
					if (ws && !last_ew)
						mime_buf_add(&out, ws, ws_len);
					pd.cs = cs;
					cs = NULL;
				}
				mime_buf_add(&pd.raw, raw.data ? raw.data : "", raw.len);
				buf_fini(&raw);
				xfree(&cs);
				ws = NULL;
				last_ew = true;
				p = after;
				continue;
			}
			buf_fini(&raw);
			xfree(&cs);
			if (r < 0)
				valid_ew = false;
			else
				no_close = p;
		}
		ew_flush(&pd, &out);
		if (ws)
			mime_buf_add(&out, ws, ws_len);
		ws = NULL;
		last_ew = false;
		t = p;
		while (t < end && *t != ' ' && *t != '\t')
			t++;
		if (valid_ew && ew_search(p, t)) {
			const char *s = find2(p + 1, t, '=', '?');

			if (s)
				t = s;
		}
		mime_utf8_or_1252(p, (size_t)(t - p), &out);
		p = t;
	}
	ew_flush(&pd, &out);
	if (ws)
		mime_buf_add(&out, ws, ws_len);
	buf_fini(&pd.raw);
	return buf_steal(&out, NULL);
}

/* ---- addresses ---- */

static void
ascii_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

/* Copy without leading and trailing blanks. */
static char *
strip_blank_dup(const char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

static void
addr_push(struct mime_addr **list_r, size_t *n_r, const char *spec, size_t spec_len,
          const char *name)
{
	struct buf b;
	struct mime_addr *a;

	buf_init(&b, 0);
	mime_utf8_or_1252(spec, spec_len, &b);
	MIME_GROW(*list_r, *n_r);
	a = &(*list_r)[(*n_r)++];
	a->addr = buf_steal(&b, NULL);
	ascii_lower(a->addr);
	a->name = name && *name ? mime_hdr_decode(name, strlen(name)) : NULL;
	if (a->name) {
		char *t = a->name;

		a->name = strip_blank_dup(t);
		xfree(&t);
		if (a->name[0] == '\0')
			xfree(&a->name);
	}
}

static void
addr_push_mailbox(struct mailimf_mailbox *mb, struct mime_addr **list_r, size_t *n_r)
{
	const char *spec = mb->mb_addr_spec ? mb->mb_addr_spec : "";

	addr_push(list_r, n_r, spec, strlen(spec), mb->mb_display_name);
}

/* Skip blanks and (nested) comments from i. */
static size_t
skip_cfws(const char *v, size_t n, size_t i)
{
	int depth = 0;

	for (; i < n; i++) {
		if (v[i] == '(')
			depth++;
		else if (v[i] == ')' && depth > 0)
			depth--;
		else if (v[i] == '\\' && depth > 0 && i + 1 < n)
			i++;
		else if (depth == 0 && !isspace((unsigned char)v[i]))
			break;
	}
	return i;
}

/* Copy of [p, p+n) without comments, trimmed. */
static char *
strip_comments(const char *p, size_t n)
{
	struct buf b;
	int depth = 0;
	char *s;
	size_t a = 0, k;

	buf_init(&b, 0);
	mime_buf_add(&b, "", 0);
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '(')
			depth++;
		else if (p[i] == ')' && depth > 0)
			depth--;
		else if (depth == 0)
			mime_buf_add(&b, p + i, 1);
	}
	s = buf_steal(&b, NULL);
	while (isspace((unsigned char)s[a]))
		a++;
	k = strlen(s);
	while (k > a && isspace((unsigned char)s[k - 1]))
		k--;
	memmove(s, s + a, k - a);
	s[k - a] = '\0';
	return s;
}

/* Fallback for what mailimf refuses: split at commas outside quotes,
 * comments and <>; take the <...> part or the bare word. */
static void
addrs_lenient(const char *v, size_t n, struct mime_addr **list_r, size_t *n_r)
{
	size_t i = 0;

	while (i < n) {
		size_t s = i, lt = SIZE_MAX, gt = SIZE_MAX;
		int depth = 0;
		bool quoted = false;

		for (; i < n; i++) {
			char c = v[i];

			if (c == '\\' && i + 1 < n) {
				i++;
			} else if (quoted) {
				quoted = c != '"';
			} else if (c == '"') {
				quoted = true;
			} else if (c == '(') {
				depth++;
			} else if (c == ')' && depth > 0) {
				depth--;
			} else if (depth == 0 && c == '<' && lt == SIZE_MAX) {
				lt = i;
			} else if (depth == 0 && c == '>' && lt != SIZE_MAX && gt == SIZE_MAX) {
				gt = i;
			} else if (depth == 0 && (c == ',' || c == ';') && (lt == SIZE_MAX || gt != SIZE_MAX)) {
				break;
			}
		}
		if (lt != SIZE_MAX) {
			size_t e = gt != SIZE_MAX ? gt : i, b = lt + 1;

			while (b < e && isspace((unsigned char)v[b]))
				b++;
			while (e > b && isspace((unsigned char)v[e - 1]))
				e--;
			if (e > b)
				addr_push(list_r, n_r, v + b, e - b, NULL);
		} else {
			/* A bare word: the last blank-separated token, after a group ':'. */
			size_t b = s, e = i;
			const char *colon = memchr(v + s, ':', i - s);

			if (colon)
				b = (size_t)(colon - v) + 1;
			while (b < e && isspace((unsigned char)v[b]))
				b++;
			while (e > b && isspace((unsigned char)v[e - 1]))
				e--;
			if (e > b && v[b] != '"') {
				char *bare = strip_comments(v + b, e - b);

				if (*bare)
					addr_push(list_r, n_r, bare, strlen(bare), NULL);
				xfree(&bare);
			}
		}
		if (i < n)
			i++;
	}
}

void
mime_hdr_addrs(const char *v, size_t n, struct mime_addr **list_r, size_t *n_r)
{
	struct mailimf_address_list *al = NULL;
	size_t idx = 0;
	int r;

	if (n > MIME_FIELD_MAX) { /* the lenient parser is linear */
		addrs_lenient(v, n, list_r, n_r);
		return;
	}
	r = mailimf_address_list_parse(v, n, &idx, &al);

	if (r == MAILIMF_NO_ERROR)
		idx = skip_cfws(v, n, idx);
	if (r != MAILIMF_NO_ERROR || idx < n) {
		if (al)
			mailimf_address_list_free(al);
		addrs_lenient(v, n, list_r, n_r);
		return;
	}
	for (clistiter *it = clist_begin(al->ad_list); it; it = clist_next(it)) {
		struct mailimf_address *a = clist_content(it);

		if (a->ad_type == MAILIMF_ADDRESS_MAILBOX) {
			addr_push_mailbox(a->ad_data.ad_mailbox, list_r, n_r);
		} else if (a->ad_data.ad_group->grp_mb_list) {
			clist *ml = a->ad_data.ad_group->grp_mb_list->mb_list;

			for (clistiter *m = clist_begin(ml); m; m = clist_next(m))
				addr_push_mailbox(clist_content(m), list_r, n_r);
		}
	}
	mailimf_address_list_free(al);
}

void
mime_addrs_free(struct mime_addr *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		xfree(&list[i].addr);
		xfree(&list[i].name);
	}
	free(list);
}

/* ---- message ids ---- */

/* Next <...> (without '<' or '>' inside) at or after *pp; false at the end. */
static bool
msgid_next(const char **pp, const char *end, struct buf *id)
{
	const char *start = NULL;

	for (const char *p = *pp; p < end; p++) {
		if (*p == '<') {
			start = p + 1;
		} else if (*p == '>' && start) {
			buf_reset(id);
			for (const char *s = start; s < p; s++)
				if (!isspace((unsigned char)*s))
					mime_buf_add(id, s, 1);
			*pp = p + 1;
			return true;
		}
	}
	*pp = end;
	return false;
}

static char *
msgid_dup(struct buf *id)
{
	struct buf b;

	buf_init(&b, 0);
	mime_utf8_or_1252(id->data, id->len, &b);
	return buf_steal(&b, NULL);
}

char *
mime_hdr_msgid(const char *v, size_t n, bool bare)
{
	const char *p = v, *end = v + n;
	struct buf id;
	char *res = NULL;

	buf_init(&id, 0);
	if (msgid_next(&p, end, &id)) {
		if (id.len)
			res = msgid_dup(&id);
	} else if (bare) {
		const char *b = v, *e = end;

		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		for (p = b; p < e && !isspace((unsigned char)*p); p++)
			;
		if (e > b && p == e) {
			buf_reset(&id);
			mime_buf_add(&id, b, (size_t)(e - b));
			res = msgid_dup(&id);
		}
	}
	buf_fini(&id);
	return res;
}

void
mime_hdr_msgids(const char *v, size_t n, char ***ids_r, size_t *n_r)
{
	const char *p = v, *end = v + n;
	struct buf id;

	buf_init(&id, 0);
	while (msgid_next(&p, end, &id)) {
		if (id.len == 0)
			continue;
		MIME_GROW(*ids_r, *n_r);
		(*ids_r)[(*n_r)++] = msgid_dup(&id);
	}
	buf_fini(&id);
}
