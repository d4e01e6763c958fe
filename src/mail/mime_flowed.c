/*
 * mime_flowed.c: format=flowed text (RFC 3676) read back into paragraphs.
 * A line that ends in a blank is a soft break: it is joined with the next
 * line of the same quote depth (its blank removed with DelSp=yes). Space
 * stuffing is undone, the signature separator "-- " is never flowed, and
 * each line keeps its own line end (the parser keeps CRLF as received).
 * Without this, an agent's flowed reply relayed to a customer turned every
 * soft break into a hard one.
 */
/* System. */
#include <stdbool.h>
#include <string.h>
/* ticketd. */
#include "mime_int.h"
#include "xalloc.h"

/* One physical line: its quote depth, content (after quotes and stuffing) and line end. */
struct fline {
	size_t depth;
	const char *prefix, *content, *eol, *next;
	size_t prefix_len, content_len, eol_len;
};

static void
fline_read(const char *p, struct fline *l)
{
	const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);

	l->prefix = p;
	l->depth = 0;
	while (p < end && *p == '>') {
		l->depth++;
		p++;
	}
	if (p < end && *p == ' ')
		p++;   /* space stuffing, or the blank after the quote marks */
	l->prefix_len = (size_t)(p - l->prefix);
	l->content = p;
	l->eol = end > p && end[-1] == '\r' && nl ? end - 1 : end;
	if (l->eol < p)
		l->eol = p;
	l->content_len = (size_t)(l->eol - p);
	l->eol_len = nl ? (size_t)(nl + 1 - l->eol) : 0;
	l->next = nl ? nl + 1 : end;
}

static bool
fline_soft(const struct fline *l)
{
	bool sig = l->content_len == 3 && memcmp(l->content, "-- ", 3) == 0;

	return !sig && l->content_len > 0 && l->content[l->content_len - 1] == ' ' && l->eol_len > 0;
}

char *
mime_unflow(const char *text, bool delsp)
{
	struct buf out;
	struct fline l, prev = { 0 };
	bool joining = false;

	buf_init(&out, 0);
	for (const char *p = text; *p; p = l.next) {
		bool soft;

		fline_read(p, &l);
		if (joining && l.depth != prev.depth) {   /* the depth changed: a hard break after all */
			mime_buf_add(&out, prev.eol, prev.eol_len);
			joining = false;
		}
		/* A paragraph starts with its quote marks; an unquoted line loses its stuffing. */
		if (!joining && l.depth > 0)
			mime_buf_add(&out, l.prefix, l.prefix_len);
		soft = fline_soft(&l);
		mime_buf_add(&out, l.content, l.content_len - (soft && delsp ? 1 : 0));
		if (!soft)
			mime_buf_add(&out, l.eol, l.eol_len);
		joining = soft;
		prev = l;
	}
	if (joining)
		mime_buf_add(&out, prev.eol, prev.eol_len);
	mime_buf_add(&out, "", 0);
	return buf_steal(&out, NULL);
}
