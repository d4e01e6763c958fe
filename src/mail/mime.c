/*
 * mime.c: one raw message -> struct mime_msg. libetpan's mailmime_parse
 * finds the MIME structure; this file walks it, picks the body the way a
 * mail client would (first text/plain that is not an attachment,
 * depth-first, only the start part of multipart/related, attached messages
 * not entered; else the first text/html turned into text) and lists the
 * attachments (leaf parts with disposition attachment or a filename;
 * message parts are leaves, and inline forwarded mails are listed too, see
 * mime_fwd.c) with their decoded bytes and SHA-256. The message's own
 * header block is read in mime_top.c.
 *
 * Part headers are read from the raw bytes with our own (Python-compatible)
 * rules; libetpan's split is corrected where it goes wrong on broken mail:
 * a multipart whose boundary never appears is a leaf, one whose first
 * delimiter closes it has no parts, an unterminated last part (which
 * libetpan cuts at its last line starting with '-') is parsed again, and
 * a multipart whose last delimiter opens a part (libetpan returns no parts)
 * is split by us.
 *
 * Limits against hostile input: messages over MIME_MAX_SIZE are refused.
 * mailmime_parse recurses once per nesting level and rescans each nested
 * body, so before parsing, the Content-Type values of message parts
 * (which we never enter) and of multipart parts after the first
 * MIME_MAX_CONTAINERS (fewer for messages over 16 MiB) are neutered in a
 * private copy ("multipart" -> "xultipart"): libetpan then sees leaves
 * there, recursion depth and work stay bounded (about 1 s for a hostile
 * 63 MB message), and every byte we report is read from the original.
 */
/* System. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
/* Libraries. */
#include <libetpan/libetpan.h>
#include <openssl/evp.h>
/* ticketd. */
#include "html.h"
#include "mime.h"
#include "mime_int.h"
#include "xalloc.h"


/* One MIME entity, read from the original bytes. */
struct part {
	char *type;              /* "text/plain", Python's get_content_type() */
	struct mime_ctype ct;    /* Content-Type value and parameters */
	struct mime_ctype cd;    /* Content-Disposition (cd.value NULL when absent) */
	char *cte;               /* lower-case Content-Transfer-Encoding or NULL */
	char *content_id;        /* raw, trimmed, or NULL */
	const char *body;
	size_t body_len;
	struct part *kids;       /* multipart children */
	size_t n_kids;
	bool multi;
};

struct walk {
	struct mime_msg *msg;
	struct mime_budget *budget;
	const char *raw, *base;  /* original bytes; bytes given to libetpan */
	struct mailmime **extra; /* trees of re-parsed unterminated parts */
	size_t n_extra;
};

static const char *
orig(const struct walk *w, const char *p)
{
	return w->raw + (p - w->base);
}

/* ---- guard ---- */

static bool
prefix_ci(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(end - p) >= n && strncasecmp(p, word, n) == 0;
}

/* Position of the first value token of a Content-Type line at p, or NULL. */
static const char *
ctype_value_at(const char *p, const char *end)
{
	const char *lim;
	int depth = 0;

	if ((*p != 'c' && *p != 'C') || !prefix_ci(p, end, "content-type"))
		return NULL;
	p += 12;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p >= end || *p != ':')
		return NULL;
	lim = p + 256 < end ? p + 256 : end;
	for (p++; p < lim; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth == 0 && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			return p;
	}
	return p < end ? p : NULL;   /* a long comment: look at where it stops */
}

/*
 * A line of the message's own header that starts a field longer than
 * MIME_FIELD_MAX (with its continuation lines) and is not a Content-*
 * field is renamed in the private copy ("To" -> "xo"): libetpan skips it
 * as an unknown field, and we read every header we report from the
 * original anyway. Returns true when the line at p starts such a field.
 */
static bool
field_oversized(const char *p, const char *end)
{
	const char *q = p;

	if (p >= end || *p == ' ' || *p == '\t' || *p == '-' || prefix_ci(p, end, "content-"))
		return false;
	while (q && q < end && (size_t)(q - p) <= MIME_FIELD_MAX) {
		q = memchr(q, '\n', (size_t)(end - q));
		if (q == NULL || ++q >= end || (*q != ' ' && *q != '\t'))
			break;
	}
	return (size_t)((q ? q : end) - p) > MIME_FIELD_MAX;
}

/* Returns raw or a neutered private copy (*copy_r set, caller frees). */
static const char *
guard(const char *raw, size_t len, char **copy_r)
{
	const char *end = raw + len;
	size_t containers = 0;
	/* Each level may rescan the whole message: bound levels x size (~1 GiB). */
	size_t limit = ((size_t)1 << 30) / len;
	bool top = true;   /* in the message's own header (libetpan parses its fields) */

	if (limit > MIME_MAX_CONTAINERS)
		limit = MIME_MAX_CONTAINERS;
	if (limit < 8)
		limit = 8;
	*copy_r = NULL;
	for (const char *p = raw; p && p < end;) {
		const char *v = ctype_value_at(p, end);
		bool neuter = false;

		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))
			top = false;
		if (v && prefix_ci(v, end, "message"))
			neuter = true;
		else if (v && prefix_ci(v, end, "multipart"))
			neuter = ++containers > limit;
		else if (top && v == NULL && field_oversized(p, end)) {
			v = p;   /* rename the field itself */
			neuter = true;
		}
		if (neuter) {
			if (*copy_r == NULL)
				*copy_r = xmemdup(raw, len);
			(*copy_r)[v - raw] = 'x';
		}
		p = memchr(p, '\n', (size_t)(end - p));
		if (p)
			p++;
	}
	return *copy_r ? *copy_r : raw;
}

/* ---- parts ---- */

/* Header fields of one part; default_type for a part without Content-Type. */
static void
part_headers(struct part *pt, const char *h, const char *hend, const char *default_type)
{
	struct mime_field f;
	bool have_ct = false;

	memset(&pt->ct, 0, sizeof(pt->ct));
	memset(&pt->cd, 0, sizeof(pt->cd));
	while (mime_field_next(&h, hend, &f)) {
		if (f.name_len == 12 && strncasecmp(f.name, "content-type", 12) == 0 && !have_ct) {
			mime_ctype_parse(f.value, f.value_len, &pt->ct);
			have_ct = true;
		} else if (f.name_len == 19 && strncasecmp(f.name, "content-disposition", 19) == 0 &&
		           pt->cd.value == NULL) {
			mime_ctype_parse(f.value, f.value_len, &pt->cd);
		} else if (f.name_len == 25 && strncasecmp(f.name, "content-transfer-encoding", 25) == 0 &&
		           pt->cte == NULL) {
			pt->cte = mime_trimmed(f.value, f.value_len);
			for (char *s = pt->cte; *s; s++)
				if (*s >= 'A' && *s <= 'Z')
					*s = (char)(*s + 32);
		} else if (f.name_len == 10 && strncasecmp(f.name, "content-id", 10) == 0 &&
		           pt->content_id == NULL) {
			pt->content_id = mime_trimmed(f.value, f.value_len);
		}
	}
	if (!have_ct) {
		pt->type = xstrdup(default_type);
	} else {
		const char *slash = strchr(pt->ct.value, '/');

		pt->type = xstrdup(slash && !strchr(slash + 1, '/') ? pt->ct.value : "text/plain");
	}
	if (pt->cd.value && pt->cd.value[0] == '\0')
		xfree(&pt->cd.value);
}

static const char *
body_start(const struct mailmime *mm)
{
	if (mm->mm_body && mm->mm_body->dt_type == MAILMIME_DATA_TEXT)
		return mm->mm_body->dt_data.dt_text.dt_data;
	return mm->mm_mime_start + mm->mm_length;
}

static void part_build(struct walk *w, const struct mailmime *mm, struct part *pt,
                       const char *default_type, int depth);

enum delim { DELIM_NONE, DELIM_CLOSE_FIRST, DELIM_OK };

/*
 * The first delimiter line "--boundary" of a multipart body. libetpan
 * makes a part of what follows even when there is none (DELIM_NONE: we
 * take the multipart as a leaf) or when it is the close delimiter
 * (DELIM_CLOSE_FIRST: no parts), as Python does.
 */
static enum delim
first_delimiter(const struct mailmime *mm, const struct part *pt)
{
	const char *body, *end, *p;
	char *b = mime_param(&pt->ct, "boundary");
	size_t bl;
	enum delim res = DELIM_NONE;

	if (b == NULL || mm->mm_body == NULL) {
		xfree(&b);
		return DELIM_NONE;
	}
	bl = strlen(b);
	body = mm->mm_body->dt_data.dt_text.dt_data;
	end = body + mm->mm_body->dt_data.dt_text.dt_length;
	for (p = body; p && p < end; p = memchr(p, '\n', (size_t)(end - p)), p = p ? p + 1 : NULL) {
		if ((size_t)(end - p) >= bl + 2 && p[0] == '-' && p[1] == '-' &&
		    memcmp(p + 2, b, bl) == 0) {
			res = (size_t)(end - p) >= bl + 4 && p[bl + 2] == '-' && p[bl + 3] == '-' ?
			      DELIM_CLOSE_FIRST : DELIM_OK;
			break;
		}
	}
	xfree(&b);
	return res;
}

/*
 * A delimiter line of boundary b at p, as Python's feedparser reads it:
 * "--b", then "--" for the close delimiter, then blanks up to the line end.
 * Returns 0 (not one), 1 (opening) or 2 (closing); *next_r is the next line.
 */
static int
delim_line(const char *p, const char *end, const char *b, size_t bl, const char **next_r)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p)), *q = p + bl + 2;
	const char *lend = nl ? nl : end;
	int kind = 1;

	*next_r = nl ? nl + 1 : end;
	if ((size_t)(lend - p) < bl + 2 || p[0] != '-' || p[1] != '-' || memcmp(p + 2, b, bl) != 0)
		return 0;
	if (lend - q >= 2 && q[0] == '-' && q[1] == '-') {
		q += 2;
		kind = 2;
	}
	while (q < lend && (*q == ' ' || *q == '\t' || *q == '\r'))
		q++;
	return q == lend ? kind : 0;
}

/* [s, e) without the line end that belongs to the next delimiter. */
static const char *
seg_end(const char *s, const char *e)
{
	if (e > s && e[-1] == '\n')
		e--;
	if (e > s && e[-1] == '\r')
		e--;
	return e;
}

/* Parse one part's bytes on its own; returns its entity (kept in w->extra) or NULL. */
static const struct mailmime *
reparse(struct walk *w, const char *s, const char *e)
{
	struct mailmime *sub = NULL;
	size_t idx = 0;

	if (e <= s || mailmime_parse(s, (size_t)(e - s), &idx, &sub) != MAILIMF_NO_ERROR || sub == NULL)
		return NULL;
	MIME_GROW(w->extra, w->n_extra);
	w->extra[w->n_extra++] = sub;
	return sub->mm_type == MAILMIME_MESSAGE ? sub->mm_data.mm_message.mm_msg_mime : NULL;
}

/*
 * libetpan cuts the last part of a multipart without a close delimiter at
 * its last line starting with '-' (it keeps the position of a failed
 * delimiter match). When the close delimiter is missing and the last part
 * stops short of the body's end, parse that part again over its full
 * extent. Returns the re-parsed entity or NULL.
 */
static const struct mailmime *
unterminated_tail(struct walk *w, const struct mailmime *mm, const struct part *pt,
                  const struct mailmime *last)
{
	const char *body = mm->mm_body->dt_data.dt_text.dt_data;
	const char *end = body + mm->mm_body->dt_data.dt_text.dt_length;
	const char *start = last->mm_mime_start, *lend = start + last->mm_length;
	char *b = mime_param(&pt->ct, "boundary"), *close;
	bool closed;

	if (b == NULL)
		return NULL;
	close = xasprintf("--%s--", b);
	closed = memmem(body, (size_t)(end - body), close, strlen(close)) != NULL;
	xfree(&close);
	xfree(&b);
	end = seg_end(body, end);
	if (closed || lend >= end || start >= end)
		return NULL;
	return reparse(w, start, end);
}

/*
 * Split a multipart body ourselves, for the bodies libetpan loses: when the
 * close delimiter is missing and the last delimiter is an opening one,
 * libetpan returns no parts at all. Every part with content is kept (an
 * empty last part is not a part), as Python, enmime and MimeKit do.
 * Returns the number of parts found; kids_r gets their entities.
 */
static size_t
split_body(struct walk *w, const struct mailmime *mm, const struct part *pt,
           const struct mailmime ***kids_r)
{
	const char *body = mm->mm_body->dt_data.dt_text.dt_data;
	const char *end = body + mm->mm_body->dt_data.dt_text.dt_length, *seg = NULL, *next;
	char *b = mime_param(&pt->ct, "boundary");
	size_t n = 0, bl = b ? strlen(b) : 0;

	*kids_r = NULL;
	for (const char *p = body; b && p < end; p = next) {
		int kind = delim_line(p, end, b, bl, &next);
		const struct mailmime *kid;

		if (kind == 0)
			continue;
		if (seg && (kid = reparse(w, seg, seg_end(seg, p))) != NULL) {
			MIME_GROW(*kids_r, n);
			(*kids_r)[n++] = kid;
		}
		seg = kind == 1 ? next : NULL;
		if (kind == 2)
			break;
	}
	if (seg) {
		const struct mailmime *kid = reparse(w, seg, seg_end(seg, end));

		if (kid) {
			MIME_GROW(*kids_r, n);
			(*kids_r)[n++] = kid;
		}
	}
	xfree(&b);
	return n;
}

/* Parts in libetpan's tree at mm (message parts are leaves: the guard neuters them). */
static size_t
tree_size(const struct mailmime *mm)
{
	size_t n = 1;

	if (mm->mm_type == MAILMIME_MULTIPLE)
		for (clistiter *it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list); it;
		     it = clist_next(it))
			n += tree_size(clist_content(it));
	return n;
}

/* Whether one more part may be read; if not, mm's parts are counted as left out. */
static bool
take_part(struct walk *w, const struct mailmime *mm)
{
	if (w->budget->parts_left > 0) {
		w->budget->parts_left--;
		return true;
	}
	w->budget->parts_left_out += tree_size(mm);
	return false;
}

static void
part_build_kids(struct walk *w, const struct mailmime *mm, struct part *pt, int depth)
{
	clist *list = mm->mm_data.mm_multipart.mm_mp_list;
	const char *def = strcmp(pt->type, "multipart/digest") == 0 ? "message/rfc822" : "text/plain";
	const struct mailmime *last = NULL, *tail, **ours = NULL;
	size_t i = 0, n;

	pt->multi = true;
	n = first_delimiter(mm, pt) == DELIM_CLOSE_FIRST ? 0 : (size_t)clist_count(list);
	if (n == 0 && first_delimiter(mm, pt) == DELIM_OK && mm->mm_body &&
	    (n = split_body(w, mm, pt, &ours)) > 0) {
		mime_warn(w->msg, "a multipart ends with an opening delimiter instead of its close "
		          "delimiter: its parts were read without it (the mail may be cut short)");
		pt->kids = xcalloc(n, sizeof(*pt->kids));
		for (i = 0; i < n; i++)
			if (take_part(w, ours[i]))
				part_build(w, ours[i], &pt->kids[pt->n_kids++], def, depth + 1);
		free(ours);
		return;
	}
	pt->kids = xcalloc(n ? n : 1, sizeof(*pt->kids));
	for (clistiter *it = clist_begin(list); it && i < n; it = clist_next(it), i++) {
		last = clist_content(it);
		if (clist_next(it) == NULL && mm->mm_body &&
		    (tail = unterminated_tail(w, mm, pt, last)) != NULL)
			last = tail;
		if (take_part(w, last))
			part_build(w, last, &pt->kids[pt->n_kids++], def, depth + 1);
	}
}

static bool
is_type(const struct part *pt, const char *main)
{
	size_t n = strlen(main);

	return strncmp(pt->type, main, n) == 0 && pt->type[n] == '/';
}

/* Did libetpan split this part with the boundary we read from its headers? */
static bool
same_boundary(const struct mailmime *mm, const struct part *pt)
{
	char *ours = mime_param(&pt->ct, "boundary");
	char *theirs = mm->mm_content_type ? mailmime_extract_boundary(mm->mm_content_type) : NULL;
	bool same = ours && theirs && strcmp(ours, theirs) == 0 && is_type(pt, "multipart") &&
	            first_delimiter(mm, pt) != DELIM_NONE;

	xfree(&ours);
	free(theirs);
	return same;
}

static void
part_build(struct walk *w, const struct mailmime *mm, struct part *pt,
           const char *default_type, int depth)
{
	const char *bs = body_start(mm);

	memset(pt, 0, sizeof(*pt));
	part_headers(pt, orig(w, mm->mm_mime_start), orig(w, bs), default_type);
	pt->body = orig(w, bs);
	pt->body_len = mm->mm_body ? mm->mm_body->dt_data.dt_text.dt_length : 0;
	if (mm->mm_type != MAILMIME_MULTIPLE || !same_boundary(mm, pt))
		return;
	if (depth < w->budget->max_depth) {
		part_build_kids(w, mm, pt, depth);
	} else {
		w->budget->too_deep = true;
		w->budget->parts_left_out += tree_size(mm) - 1;
	}
}

static void
part_fini(struct part *pt)
{
	for (size_t i = 0; i < pt->n_kids; i++)
		part_fini(&pt->kids[i]);
	free(pt->kids);
	xfree(&pt->type);
	xfree(&pt->cte);
	xfree(&pt->content_id);
	mime_ctype_fini(&pt->ct);
	mime_ctype_fini(&pt->cd);
}

/* Decoded payload (transfer encoding undone) into out. */
static void
part_payload(const struct part *pt, struct buf *out)
{
	if (is_type(pt, "message") || pt->cte == NULL)
		mime_buf_add(out, pt->body, pt->body_len);
	else if (strcmp(pt->cte, "base64") == 0)
		mime_base64_decode(pt->body, pt->body_len, out);
	else if (strcmp(pt->cte, "quoted-printable") == 0)
		mime_qp_decode(pt->body, pt->body_len, false, out);
	else
		mime_buf_add(out, pt->body, pt->body_len);
	mime_buf_add(out, "", 0);
}

static char *
part_text(const struct part *pt)
{
	struct buf raw, text;
	char *cs = mime_param(&pt->ct, "charset"), *fmt = mime_param(&pt->ct, "format");
	char *delsp, *flowed = NULL;

	buf_init(&raw, 0);
	buf_init(&text, 0);
	part_payload(pt, &raw);
	mime_to_utf8(cs, raw.data, raw.len, &text);
	mime_buf_add(&text, "", 0);
	buf_fini(&raw);
	xfree(&cs);
	/* RFC 3676: soft line breaks joined (an agent's reply relayed stays one paragraph). */
	if (fmt && strcasecmp(fmt, "flowed") == 0 && strcmp(pt->type, "text/plain") == 0) {
		delsp = mime_param(&pt->ct, "delsp");
		flowed = mime_unflow(text.data ? text.data : "", delsp && strcasecmp(delsp, "yes") == 0);
		xfree(&delsp);
		buf_fini(&text);
	}
	xfree(&fmt);
	return flowed ? flowed : buf_steal(&text, NULL);
}

/* ---- body choice (email.message.MIMEPart.get_body) ---- */

static const struct part *
find_body(const struct part *pt, const char *subtype, int depth)
{
	const struct part *cand = NULL;
	char *start;

	if (depth > MIME_MAX_DEPTH || (pt->cd.value && strcmp(pt->cd.value, "attachment") == 0))
		return NULL;
	if (is_type(pt, "text"))
		return strcmp(pt->type + 5, subtype) == 0 ? pt : NULL;
	if (!is_type(pt, "multipart") || !pt->multi)
		return NULL;
	if (strcmp(pt->type, "multipart/related") != 0) {
		for (size_t i = 0; i < pt->n_kids; i++)
			if ((cand = find_body(&pt->kids[i], subtype, depth + 1)) != NULL)
				return cand;
		return NULL;
	}
	start = mime_param(&pt->ct, "start");
	for (size_t i = 0; start && *start && i < pt->n_kids; i++)
		if (pt->kids[i].content_id && strcmp(pt->kids[i].content_id, start) == 0) {
			cand = &pt->kids[i];
			break;
		}
	xfree(&start);
	if (cand == NULL && pt->n_kids)
		cand = &pt->kids[0];
	return cand ? find_body(cand, subtype, depth + 1) : NULL;
}

/* ---- attachments ---- */

void
mime_sha256_hex(const unsigned char *data, size_t n, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	static const char digits[] = "0123456789abcdef";

	memset(hex, '0', 64);
	EVP_Digest(data, n, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < mdlen && i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

static char *
part_filename(const struct part *pt)
{
	char *fn = pt->cd.value ? mime_param(&pt->cd, "filename") : NULL;
	size_t a = 0, n;

	if (fn == NULL)
		fn = mime_param(&pt->ct, "name");
	if (fn == NULL)
		return NULL;
	n = strlen(fn);
	while (a < n && (fn[a] == ' ' || fn[a] == '\t' || fn[a] == '\r' || fn[a] == '\n'))
		a++;
	while (n > a && (fn[n - 1] == ' ' || fn[n - 1] == '\t' || fn[n - 1] == '\r' || fn[n - 1] == '\n'))
		n--;
	memmove(fn, fn + a, n - a);
	fn[n - a] = '\0';
	if (*fn == '\0')
		xfree(&fn);
	return fn;
}

static void
add_attachment(struct walk *w, const struct part *pt, char *filename, bool in_related)
{
	struct mime_msg *m = w->msg;
	struct mime_attachment *a;
	struct buf data;
	const char *cid = pt->content_id;

	MIME_GROW(m->attachments, m->n_attachments);
	a = &m->attachments[m->n_attachments++];
	memset(a, 0, sizeof(*a));
	a->filename = filename;
	/* Header bytes as they came (8-bit in a hostile mail): made valid UTF-8 like all text. */
	a->content_type = mime_utf8_clean(pt->type, strlen(pt->type));
	a->disposition = pt->cd.value ? mime_utf8_clean(pt->cd.value, strlen(pt->cd.value)) : NULL;
	if (cid) {
		size_t n = strlen(cid);
		bool angled = n >= 2 && cid[0] == '<' && cid[n - 1] == '>';

		a->content_id = angled ? mime_utf8_clean(cid + 1, n - 2) : mime_utf8_clean(cid, n);
	}
	a->is_message = is_type(pt, "message");
	a->is_inline = in_related && (a->content_id || (a->disposition && strcmp(a->disposition, "inline") == 0));
	buf_init(&data, 0);
	part_payload(pt, &data);
	a->size = data.len;
	a->data = (unsigned char *)buf_steal(&data, NULL);
	mime_sha256_hex(a->data, a->size, a->sha256);
}

static void
collect(struct walk *w, const struct part *pt, bool in_related, int depth)
{
	char *fn;

	if (pt->multi && !is_type(pt, "message") && depth < MIME_MAX_DEPTH) {
		bool rel = strcmp(pt->type, "multipart/related") == 0;

		for (size_t i = 0; i < pt->n_kids; i++)
			collect(w, &pt->kids[i], rel, depth + 1);
		return;
	}
	fn = part_filename(pt);
	if (fn || (pt->cd.value && strcmp(pt->cd.value, "attachment") == 0)) {
		add_attachment(w, pt, fn, in_related);
	} else if (strcmp(pt->type, "message/rfc822") == 0) {
		/* A forwarded mail sent inline: kept too, named by mime_fwd_all(). */
		add_attachment(w, pt, NULL, in_related);
		w->msg->attachments[w->msg->n_attachments - 1].is_forward = true;
	}
}

static bool
has_type(const struct part *pt, const char *type, int depth)
{
	if (strcmp(pt->type, type) == 0)
		return true;
	for (size_t i = 0; depth < MIME_MAX_DEPTH && i < pt->n_kids; i++)
		if (has_type(&pt->kids[i], type, depth + 1))
			return true;
	return false;
}

/* ---- top level ---- */

static void
choose_body(struct mime_msg *m, const struct part *root)
{
	const struct part *plain = find_body(root, "plain", 0);
	const struct part *html = find_body(root, "html", 0);

	if (html)
		m->html = part_text(html);
	if (plain) {
		m->text = part_text(plain);
	} else if (html) {
		m->text = html_to_text(m->html, strlen(m->html));
		m->text_from_html = true;
	} else {
		m->text = xstrdup("");
	}
	/* A Content-ID the HTML refers to (cid:...) is an inline part. */
	for (size_t i = 0; m->html && i < m->n_attachments; i++) {
		struct mime_attachment *a = &m->attachments[i];
		char *ref;

		if (a->is_inline || a->content_id == NULL)
			continue;
		ref = xasprintf("cid:%s", a->content_id);
		a->is_inline = strstr(m->html, ref) != NULL;
		xfree(&ref);
	}
}

/*
 * The message's top entity. libetpan gives the structure; a single part
 * (or a message libetpan gave up on) takes its headers and body from our
 * header split, which follows Python's rules. Returns libetpan's tree.
 */
static struct mailmime *
root_part(struct walk *w, const char *data, size_t len, const char *hdr_end, struct part *root)
{
	struct mailmime *mm = NULL;
	const struct mailmime *body = NULL;
	size_t idx = 0;

	if (mailmime_parse(w->base + (data - w->raw), len, &idx, &mm) == MAILIMF_NO_ERROR &&
	    mm && mm->mm_type == MAILMIME_MESSAGE)
		body = mm->mm_data.mm_message.mm_msg_mime;
	if (body) {
		struct part mine;

		part_build(w, body, root, "text/plain", 0);
		memset(&mine, 0, sizeof(mine));
		part_headers(&mine, data, hdr_end, "text/plain");
		if (root->multi && strcmp(mine.type, root->type) != 0)
			root->multi = false;   /* libetpan read other headers than Python would */
		part_fini(&mine);
	}
	if (body == NULL || !root->multi) {
		if (body)
			part_fini(root);
		memset(root, 0, sizeof(*root));
		part_headers(root, data, hdr_end, "text/plain");
		root->body = hdr_end;
		root->body_len = len - (size_t)(hdr_end - data);
	}
	return mm;
}

static void
structure(struct walk *w, const char *data, size_t len, const char *hdr_end)
{
	struct part root;
	struct mailmime *mm = root_part(w, data, len, hdr_end, &root);

	w->msg->is_auto_reply |= strcmp(root.type, "multipart/report") == 0;
	if (strcmp(root.type, "multipart/report") == 0) {
		char *rt = mime_param(&root.ct, "report-type");

		w->msg->is_bounce |= rt && strcasecmp(rt, "delivery-status") == 0;
		xfree(&rt);
	}
	w->msg->is_bounce |= has_type(&root, "message/delivery-status", 0) ||
	                     has_type(&root, "message/global-delivery-status", 0);
	collect(w, &root, false, 0);
	choose_body(w->msg, &root);
	part_fini(&root);
	if (mm)
		mailmime_free(mm);
	for (size_t i = 0; i < w->n_extra; i++)
		mailmime_free(w->extra[i]);
	free(w->extra);
}

int
mime_parse(const char *raw, size_t len, struct mime_msg **msg_r, struct tk_err *err)
{
	return mime_parse_limited(raw, len, NULL, msg_r, err);
}

/* Say in the text and the warning what the limits left out. */
static void
left_out(struct mime_msg *m, const struct mime_budget *b)
{
	struct buf note;
	char *text;

	buf_init(&note, 0);
	if (b->parts_left_out)
		(void)buf_printf(&note, "[%zu MIME parts were left out: at most %zu parts of a message "
		                 "are read]", b->parts_left_out, b->max_parts);
	if (b->too_deep)
		(void)buf_printf(&note, "%s[parts nested more than %d levels deep were left out]",
		                 note.len ? "\n" : "", b->max_depth);
	mime_warn(m, note.data);
	text = xasprintf("%s%s%s", m->text, *m->text ? "\n\n" : "", note.data);
	xfree(&m->text);
	m->text = text;
	m->parts_left_out = b->parts_left_out;
	buf_fini(&note);
}

int
mime_parse_limited(const char *raw, size_t len, const struct mime_limits *lim,
                   struct mime_msg **msg_r, struct tk_err *err)
{
	struct mime_budget b = {
		.max_parts = lim && lim->max_parts ? lim->max_parts : MIME_DEFAULT_MAX_PARTS,
		.max_depth = lim && lim->max_depth ? lim->max_depth : MIME_DEFAULT_MAX_DEPTH,
	};

	if (b.max_depth > MIME_MAX_DEPTH)
		b.max_depth = MIME_MAX_DEPTH;
	b.parts_left = b.max_parts;
	if (mime_parse_depth(raw, len, 0, &b, msg_r, err) < 0)
		return -1;
	if (b.parts_left_out || b.too_deep)
		left_out(*msg_r, &b);
	return 0;
}

int
mime_parse_depth(const char *raw, size_t len, int depth, struct mime_budget *budget,
                 struct mime_msg **msg_r, struct tk_err *err)
{
	struct walk w;
	const char *data = raw, *end = raw + len, *body;
	char *copy = NULL;

	*msg_r = NULL;
	if (raw == NULL || len == 0)
		return tk_err_set(err, "mime: empty message");
	if (len > MIME_MAX_SIZE)
		return tk_err_set(err, "mime: message of %zu bytes is over the %zu byte limit",
		                  len, MIME_MAX_SIZE);
	/* An mbox "From " envelope line is not a header. */
	if (len >= 5 && memcmp(raw, "From ", 5) == 0) {
		const char *nl = memchr(raw, '\n', len);

		data = nl ? nl + 1 : end;
	}
	memset(&w, 0, sizeof(w));
	w.msg = xnew(struct mime_msg);
	w.budget = budget;
	w.raw = raw;
	w.base = guard(raw, len, &copy);
	body = mime_top_headers(w.msg, data, end);
	structure(&w, data, (size_t)(end - data), body);
	mime_sender_checks(w.msg);
	mime_fwd_all(w.msg, depth, budget);
	mime_fwd_checks(w.msg, body, (size_t)(end - body));
	mime_fingerprint(w.msg, body, (size_t)(end - body));
	free(copy);
	*msg_r = w.msg;
	return 0;
}

void
mime_msg_free(struct mime_msg **msgp)
{
	struct mime_msg *m = *msgp;

	if (m == NULL)
		return;
	xfree(&m->subject);
	xfree(&m->from.addr);
	xfree(&m->from.name);
	mime_addrs_free(m->to, m->n_to);
	mime_addrs_free(m->cc, m->n_cc);
	mime_addrs_free(m->reply_to, m->n_reply_to);
	xfree(&m->return_path);
	xfree(&m->list_id);
	xfree(&m->message_id);
	xfree(&m->in_reply_to);
	for (size_t i = 0; i < m->n_references; i++)
		xfree(&m->references[i]);
	free(m->references);
	xfree(&m->text);
	xfree(&m->html);
	xfree(&m->forwarded);
	xfree(&m->warning);
	for (size_t i = 0; i < m->n_headers; i++) {
		xfree(&m->headers[i].name);
		xfree(&m->headers[i].value);
	}
	free(m->headers);
	for (size_t i = 0; i < m->n_attachments; i++) {
		struct mime_attachment *a = &m->attachments[i];

		xfree(&a->filename);
		xfree(&a->content_type);
		xfree(&a->disposition);
		xfree(&a->content_id);
		xfree(&a->data);
	}
	free(m->attachments);
	xfree(msgp);
}

const char *
mime_header(const struct mime_msg *msg, const char *name)
{
	for (size_t i = 0; i < msg->n_headers; i++)
		if (strcasecmp(msg->headers[i].name, name) == 0)
			return msg->headers[i].value;
	return NULL;
}
