/*
 * compose.c: write outgoing mail with libetpan's MIME writer
 * (mailimf_fields_new_with_data_all, mailmime_*, mailmime_write_mem), and
 * render the {{placeholder}} templates its text comes from.
 *
 * libetpan writes header values as given, so this file encodes them first
 * (RFC 2047 B words for anything but printable ASCII) and removes control
 * characters, which is what keeps a hostile subject from adding headers.
 */
/* System. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
/* Libraries. */
#include <libetpan/libetpan.h>
/* ticketd. */
#include "buf.h"
#include "compose.h"
#include "xalloc.h"

/* Bytes of text per encoded word: 40 base64 characters, so that a header name and
 * the first word fit on the first line (libetpan folds before a word that does not). */
#define WORD_BYTES 30

static bool
needs_encoding(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return true;
	return strstr(s, "=?") != NULL;
}

static void
b64(struct buf *b, const unsigned char *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
		             (i + 2 < n ? p[i + 2] : 0);

		(void)buf_putc(b, tab[v >> 18 & 63]);
		(void)buf_putc(b, tab[v >> 12 & 63]);
		(void)buf_putc(b, i + 1 < n ? tab[v >> 6 & 63] : '=');
		(void)buf_putc(b, i + 2 < n ? tab[v & 63] : '=');
	}
}

/* Length of the longest prefix of s (at most max bytes) that ends on a UTF-8 boundary. */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n;

	if (len <= max)
		return len;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n > 0 ? n : max;
}

char *
compose_encode_header(const char *s)
{
	struct buf b;
	char *clean = xstrdup(s ? s : "");
	size_t len;

	for (char *c = clean; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	if (!needs_encoding(clean))
		return clean;
	buf_init(&b, 0);
	len = strlen(clean);
	for (size_t off = 0; off < len;) {
		size_t n = utf8_cut(clean + off, len - off, WORD_BYTES);

		(void)buf_puts(&b, off ? " =?UTF-8?B?" : "=?UTF-8?B?");
		b64(&b, (const unsigned char *)clean + off, n);
		(void)buf_puts(&b, "?=");
		off += n;
	}
	free(clean);
	return buf_steal(&b, NULL);
}

char *
compose_message_id(const char *domain, int64_t ticket_id)
{
	unsigned char rnd[12];
	char hex[sizeof(rnd) * 2 + 1];

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		abort();   /* the kernel's CSPRNG does not fail once booted */
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	return xasprintf("tkd.%" PRId64 ".%s@%s", ticket_id, hex, domain && *domain ? domain : "ticketd.invalid");
}

/* An addr-spec must be printable ASCII without spaces, <>, or quotes breaking out. */
static bool
addr_ok(const char *a)
{
	if (a == NULL || *a == '\0' || strchr(a, '@') == NULL)
		return false;
	for (; *a; a++)
		if ((unsigned char)*a <= 0x20 || (unsigned char)*a >= 0x7f || *a == '<' || *a == '>' ||
		    *a == '"' || *a == ',')
			return false;
	return true;
}

static struct mailimf_mailbox *
mailbox(const struct compose_addr *a)
{
	char *name = a->name && *a->name ? compose_encode_header(a->name) : NULL;

	return mailimf_mailbox_new(name, xstrdup(a->addr));
}

static struct mailimf_address_list *
address_list(const struct compose_addr *a)
{
	struct mailimf_address_list *l = mailimf_address_list_new_empty();

	mailimf_address_list_add(l, mailimf_address_new(MAILIMF_ADDRESS_MAILBOX, mailbox(a), NULL));
	return l;
}

static clist *
id_list(const char *const *ids, size_t n)
{
	clist *l;

	if (n == 0)
		return NULL;
	l = clist_new();
	for (size_t i = 0; i < n; i++)
		if (ids[i] && addr_ok(ids[i]))
			clist_append(l, xstrdup(ids[i]));
	if (clist_isempty(l)) {
		clist_free(l);
		return NULL;
	}
	return l;
}

static struct mailimf_fields *
imf_fields(const struct compose_msg *m)
{
	struct mailimf_mailbox_list *from = mailimf_mailbox_list_new_empty();
	struct mailimf_fields *f;

	mailimf_mailbox_list_add(from, mailbox(&m->from));
	f = mailimf_fields_new_with_data_all(
		mailimf_get_date(m->date ? m->date : time(NULL)), from, NULL,
		m->reply_to.addr ? address_list(&m->reply_to) : NULL, address_list(&m->to), NULL, NULL,
		xstrdup(m->message_id), id_list(&m->in_reply_to, m->in_reply_to ? 1 : 0),
		id_list(m->refs, m->n_refs), compose_encode_header(m->subject ? m->subject : ""));
	if (m->auto_submitted)
		mailimf_fields_add(f, mailimf_field_new_custom(xstrdup("Auto-Submitted"),
		                                               compose_encode_header(m->auto_submitted)));
	if (m->loop_id)
		mailimf_fields_add(f, mailimf_field_new_custom(xstrdup("X-Ticketd-Loop"),
		                                               compose_encode_header(m->loop_id)));
	return f;
}

/* One byte in quoted-printable; at_end: the last of its line (blanks must be encoded there). */
static size_t
qp_byte(unsigned char c, bool at_end, char out[4])
{
	static const char hex[] = "0123456789ABCDEF";

	if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_end)) {
		out[0] = (char)c;
		return 1;
	}
	out[0] = '=';
	out[1] = hex[c >> 4];
	out[2] = hex[c & 15];
	return 3;
}

/*
 * Quoted-printable (RFC 2045 6.7) with CRLF line ends, our own: libetpan's
 * encoder writes a blank at the end of a line and then its =20 as well, so
 * the signature separator "-- " arrived as "--" and two blanks. Lines are
 * cut with soft breaks at 76 characters, never inside an =XX.
 */
void
compose_qp_encode(const char *text, struct buf *out)
{
	const char *p = text ? text : "";

	while (*p) {
		size_t len = strcspn(p, "\n"), col = 0;
		const char *next = p[len] ? p + len + 1 : p + len;

		if (len && p[len - 1] == '\r')
			len--;
		for (size_t i = 0; i < len; i++) {
			char enc[4];
			size_t n = qp_byte((unsigned char)p[i], i + 1 == len, enc);

			/* Room for the soft break "=" (or for the last char without one). */
			if (col + n > (i + 1 == len ? 76 : 75)) {
				(void)buf_puts(out, "=\r\n");
				col = 0;
			}
			(void)buf_append(out, enc, n);
			col += n;
		}
		if (*next || p[strcspn(p, "\n")] == '\n')
			(void)buf_puts(out, "\r\n");
		p = next;
	}
}

/* A text part whose body is encoded here (qp holds it until the mail is written). */
static struct mailmime *
text_part(const char *type, const char *text, struct buf *qp)
{
	struct mailmime_content *ct = mailmime_content_new_with_str(type);
	struct mailmime *part;

	/* mailmime_param_new_with_data copies its arguments. */
	clist_append(ct->ct_parameters, mailmime_param_new_with_data((char *)"charset",
	                                                             (char *)"utf-8"));
	part = mailmime_new_empty(ct, mailmime_fields_new_encoding(MAILMIME_MECHANISM_QUOTED_PRINTABLE));
	buf_init(qp, 0);
	compose_qp_encode(text, qp);
	(void)buf_append(qp, "", 0);
	part->mm_data.mm_single = mailmime_data_new(MAILMIME_DATA_TEXT,
	                                            MAILMIME_MECHANISM_QUOTED_PRINTABLE, 1, qp->data,
	                                            qp->len, NULL);
	return part;
}

static int
check_msg(const struct compose_msg *m, struct tk_err *err)
{
	if (!addr_ok(m->from.addr))
		return tk_err_set(err, "compose: the From address is missing or malformed");
	if (!addr_ok(m->to.addr))
		return tk_err_set(err, "compose: the recipient address is missing or malformed");
	if (m->reply_to.addr && !addr_ok(m->reply_to.addr))
		return tk_err_set(err, "compose: the Reply-To address is malformed");
	if (!addr_ok(m->message_id))
		return tk_err_set(err, "compose: the Message-ID is missing or malformed");
	return 0;
}

/* multipart/mixed: the body, then the attachment (libetpan encodes it in base64 when written). */
static struct mailmime *
with_attachment(const struct compose_msg *m, struct mailmime *body)
{
	struct mailmime *mixed = mailmime_multiple_new("multipart/mixed");
	struct mailmime_content *ct = mailmime_content_new_with_str(m->attach_type ? m->attach_type :
	                                                            "application/octet-stream");
	char *name = compose_encode_header(m->attach_name);
	struct mailmime *part;

	for (char *p = name; *p; p++)   /* a file name cannot break out of its quotes */
		if (*p == '"' || *p == '\\')
			*p = '_';
	part = mailmime_new_empty(ct, mailmime_fields_new_filename(MAILMIME_DISPOSITION_TYPE_ATTACHMENT,
	                                                           name, MAILMIME_MECHANISM_BASE64));
	mailmime_set_body_text(part, (char *)m->attach_data, m->attach_len);
	mailmime_smart_add_part(mixed, body);
	mailmime_smart_add_part(mixed, part);
	return mixed;
}

int
compose_write(const struct compose_msg *m, char **out_r, size_t *len_r, struct tk_err *err)
{
	struct mailmime *msg, *body;
	struct buf qp[2];
	MMAPString *out;
	int col = 0, rc;

	*out_r = NULL;
	if (check_msg(m, err) < 0)
		return -1;
	msg = mailmime_new_message_data(NULL);
	mailmime_set_imf_fields(msg, imf_fields(m));
	buf_init(&qp[1], 0);
	if (m->html) {
		body = mailmime_multiple_new("multipart/alternative");
		mailmime_smart_add_part(body, text_part("text/plain", m->text ? m->text : "", &qp[0]));
		mailmime_smart_add_part(body, text_part("text/html", m->html, &qp[1]));
	} else {
		body = text_part("text/plain", m->text ? m->text : "", &qp[0]);
	}
	if (m->attach_name)
		body = with_attachment(m, body);
	mailmime_smart_add_part(msg, body);
	out = mmap_string_new("");
	rc = mailmime_write_mem(out, &col, msg);
	if (rc == MAILIMF_NO_ERROR) {
		*out_r = xmemdup(out->str, out->len + 1);
		(*out_r)[out->len] = '\0';
		*len_r = out->len;
	}
	mmap_string_free(out);
	mailmime_free(msg);
	buf_fini(&qp[0]);
	buf_fini(&qp[1]);
	if (rc != MAILIMF_NO_ERROR)
		return tk_err_set(err, "compose: libetpan could not write the message (error %d)", rc);
	return 0;
}

/* Name inside "{{ name }}" starting at p (after "{{"); length of the whole tag or 0. */
static size_t
tag_at(const char *p, const char **name_r, size_t *name_len_r)
{
	const char *s = p + 2, *e;

	while (*s == ' ')
		s++;
	e = s;
	while (isalnum((unsigned char)*e) || *e == '_')
		e++;
	*name_r = s;
	*name_len_r = (size_t)(e - s);
	while (*e == ' ')
		e++;
	if (e[0] != '}' || e[1] != '}' || *name_len_r == 0)
		return 0;
	return (size_t)(e + 2 - p);
}

char *
compose_render(const char *tmpl, const struct compose_var *vars, size_t n)
{
	struct buf b;

	buf_init(&b, 0);
	for (const char *p = tmpl ? tmpl : ""; *p;) {
		const char *name;
		size_t nlen, tlen = p[0] == '{' && p[1] == '{' ? tag_at(p, &name, &nlen) : 0;

		if (tlen == 0) {
			(void)buf_putc(&b, *p++);
			continue;
		}
		for (size_t i = 0; i < n; i++)
			if (strlen(vars[i].name) == nlen && strncmp(vars[i].name, name, nlen) == 0 &&
			    vars[i].value)
				(void)buf_puts(&b, vars[i].value);
		p += tlen;
	}
	return buf_steal(&b, NULL);
}

char *
compose_html_escape(const char *s)
{
	struct buf b;

	buf_init(&b, 0);
	for (; s && *s; s++) {
		switch (*s) {
		case '&': (void)buf_puts(&b, "&amp;"); break;
		case '<': (void)buf_puts(&b, "&lt;"); break;
		case '>': (void)buf_puts(&b, "&gt;"); break;
		case '"': (void)buf_puts(&b, "&quot;"); break;
		case '\'': (void)buf_puts(&b, "&#39;"); break;
		default: (void)buf_putc(&b, *s);
		}
	}
	return buf_steal(&b, NULL);
}

int
compose_template_check(const char *tmpl, const char *const *allowed, struct tk_err *err)
{
	if (strncmp(tmpl, "Subject:", 8) != 0)
		return tk_err_set(err, "line 1: a template starts with a \"Subject:\" line");
	if (strstr(tmpl, "\n\n") == NULL && strstr(tmpl, "\n\r\n") == NULL)
		return tk_err_set(err, "a blank line must separate the Subject line from the body");
	return compose_placeholders_check(tmpl, allowed, err);
}

int
compose_placeholders_check(const char *tmpl, const char *const *allowed, struct tk_err *err)
{
	int line = 1;

	for (const char *p = tmpl; *p; p++) {
		const char *name;
		size_t nlen, ok = 0;

		if (*p == '\n')
			line++;
		if (p[0] != '{' || p[1] != '{' || tag_at(p, &name, &nlen) == 0)
			continue;
		for (size_t i = 0; allowed[i]; i++)
			if (strlen(allowed[i]) == nlen && strncmp(allowed[i], name, nlen) == 0)
				ok = 1;
		if (!ok)
			return tk_err_set(err, "line %d: unknown placeholder {{%.*s}}", line, (int)nlen, name);
	}
	return 0;
}

int
compose_template_split(const char *rendered, char **subject_r, char **body_r, struct tk_err *err)
{
	const char *eol, *body;
	const char *s;

	*subject_r = *body_r = NULL;
	if (strncmp(rendered, "Subject:", 8) != 0 || (eol = strchr(rendered, '\n')) == NULL)
		return tk_err_set(err, "template: no \"Subject:\" line");
	body = eol + 1;
	if (*body == '\r')
		body++;
	if (*body != '\n')
		return tk_err_set(err, "template: no blank line after the Subject line");
	s = rendered + 8;
	while (*s == ' ' || *s == '\t')
		s++;
	*subject_r = xstrndup(s, (size_t)(eol - s));
	for (size_t n = strlen(*subject_r); n > 0 && isspace((unsigned char)(*subject_r)[n - 1]); n--)
		(*subject_r)[n - 1] = '\0';
	*body_r = xstrdup(body + 1);
	return 0;
}
