/*
 * mime_param.c: Content-Type and Content-Disposition values and their
 * parameters: quoted strings, RFC 2231 continuations (name*0*=...) with
 * their charset, and RFC 2047 encoded words inside values. Where several
 * forms are present, a plain "name=" wins over the RFC 2231 sections, as
 * in CPython's email package.
 */
/* System. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
/* ticketd. */
#include "mime_int.h"
#include "xalloc.h"

static void
ascii_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

static int
hexval_c(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char *
strip_dup(const char *p, size_t n)
{
	while (n && isspace((unsigned char)*p)) {
		p++;
		n--;
	}
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	return xstrndup(p, n);
}

void
mime_ctype_parse(const char *v, size_t n, struct mime_ctype *ct)
{
	char *u = mime_unfold(v, n), *semi = strchr(u, ';');

	ct->value = strip_dup(u, semi ? (size_t)(semi - u) : strlen(u));
	ascii_lower(ct->value);
	ct->params = semi ? xstrdup(semi + 1) : NULL;
	xfree(&u);
}

void
mime_ctype_fini(struct mime_ctype *ct)
{
	xfree(&ct->value);
	xfree(&ct->params);
}

/* email.utils.unquote: strip "..." (undoing \\ and \") or <...>. */
static char *
py_unquote(const char *p, size_t n)
{
	char *s;
	size_t k = 0;

	if (n >= 2 && p[0] == '<' && p[n - 1] == '>')
		return xstrndup(p + 1, n - 2);
	if (!(n >= 2 && p[0] == '"' && p[n - 1] == '"'))
		return xstrndup(p, n);
	s = xmalloc(n);
	for (size_t i = 1; i + 1 < n; i++) {
		if (p[i] == '\\' && i + 2 < n && (p[i + 1] == '\\' || p[i + 1] == '"'))
			i++;
		s[k++] = p[i];
	}
	s[k] = '\0';
	return s;
}

struct seg {
	long num;
	bool encoded;
	char *value;
};

static int
seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return (x->num > y->num) - (x->num < y->num);
}

/* Is "pname" an RFC 2231 section of name: name*, name*N, name*N*? */
static bool
rfc2231_section(const char *pname, size_t pn, const char *name, long *num_r, bool *enc_r)
{
	size_t n = strlen(name), i;
	long num = -1;

	if (pn <= n || strncasecmp(pname, name, n) != 0 || pname[n] != '*')
		return false;
	i = n + 1;
	*enc_r = i == pn;
	if (i < pn) {
		size_t d = i;

		while (i < pn && isdigit((unsigned char)pname[i]) && i - d < 6)
			i++;
		if (i == d)
			return false;
		num = strtol(pname + d, NULL, 10);
		if (i < pn && pname[i] == '*') {
			*enc_r = true;
			i++;
		}
		if (i != pn)
			return false;
	}
	*num_r = num;
	return true;
}

static char *
pct_decode(const char *s)
{
	struct buf b;

	buf_init(&b, 0);
	for (; *s; s++) {
		if (*s == '%' && hexval_c(s[1]) >= 0 && hexval_c(s[2]) >= 0) {
			char c = (char)(hexval_c(s[1]) << 4 | hexval_c(s[2]));

			mime_buf_add(&b, &c, 1);
			s += 2;
		} else {
			mime_buf_add(&b, s, 1);
		}
	}
	return buf_steal(&b, NULL);
}

static char *
param_finish(char *raw, const char *charset)
{
	struct buf b;
	char *res;

	buf_init(&b, 0);
	if (charset)
		mime_to_utf8(charset, raw, strlen(raw), &b);
	else
		mime_utf8_or_1252(raw, strlen(raw), &b);
	xfree(&raw);
	raw = buf_steal(&b, NULL);
	res = strstr(raw, "=?") ? mime_hdr_decode(raw, strlen(raw)) : xstrdup(raw);
	xfree(&raw);
	return res;
}

static char *
rfc2231_join(struct seg *segs, size_t nseg)
{
	struct buf b;
	bool extended = false;
	char *joined, *cs = NULL, *t1, *t2;

	qsort(segs, nseg, sizeof(*segs), seg_cmp);
	buf_init(&b, 0);
	mime_buf_add(&b, "", 0);
	for (size_t i = 0; i < nseg; i++) {
		if (segs[i].encoded) {
			char *d = pct_decode(segs[i].value);

			mime_buf_add(&b, d, strlen(d));
			xfree(&d);
			extended = true;
		} else {
			mime_buf_add(&b, segs[i].value, strlen(segs[i].value));
		}
	}
	joined = buf_steal(&b, NULL);
	if (extended && (t1 = strchr(joined, '\'')) && (t2 = strchr(t1 + 1, '\''))) {
		char *val = xstrdup(t2 + 1);

		cs = xstrndup(joined, (size_t)(t1 - joined));
		xfree(&joined);
		joined = param_finish(val, *cs ? cs : NULL);
		xfree(&cs);
		return joined;
	}
	return param_finish(joined, NULL);
}

char *
mime_param(const struct mime_ctype *ct, const char *name)
{
	const char *s = ct->params;
	struct seg *segs = NULL;
	size_t nseg = 0;
	char *plain = NULL, *res;

	while (s && *s) {
		/* One ';'-separated piece; ';' inside an odd count of quotes does not end it. */
		const char *e = s;
		int quotes = 0;

		for (; *e; e++) {
			if (*e == '"' && (e == s || e[-1] != '\\'))
				quotes++;
			if (*e == ';' && quotes % 2 == 0)
				break;
		}
		{
			const char *eq = memchr(s, '=', (size_t)(e - s));

			if (eq) {
				char *pname = strip_dup(s, (size_t)(eq - s));
				char *pval = strip_dup(eq + 1, (size_t)(e - eq - 1));
				long num;
				bool enc;

				if (strcasecmp(pname, name) == 0 && plain == NULL) {
					plain = py_unquote(pval, strlen(pval));
				} else if (rfc2231_section(pname, strlen(pname), name, &num, &enc) &&
				           nseg < 64) {
					segs = xreallocarray(segs, nseg + 1, sizeof(*segs));
					segs[nseg].num = num;
					segs[nseg].encoded = enc;
					segs[nseg++].value = py_unquote(pval, strlen(pval));
				}
				xfree(&pname);
				xfree(&pval);
			}
		}
		s = *e ? e + 1 : e;
	}
	if (plain)
		res = param_finish(plain, NULL);
	else
		res = nseg ? rfc2231_join(segs, nseg) : NULL;
	for (size_t i = 0; i < nseg; i++)
		xfree(&segs[i].value);
	free(segs);
	return res;
}
