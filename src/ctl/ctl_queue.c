/*
 * ctl_queue.c: what `inbound list` and `outbox list` share, in the manner
 * of postqueue -p: a count per state, then one row per item (the rows that
 * need attention unless --state says otherwise) with the sender, subject
 * and Message-ID read from the item's own header, its ticket and its error,
 * and a footer when --limit cut the list.
 */
/* System. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "ctl.h"
#include "ctl_queue.h"
#include "mime.h"
#include "store.h"
#include "xalloc.h"

int
ctl_queue_summary(struct store *st, const char *table, const char *const *states)
{
	static const char *const sql[] = {
		"SELECT state, count(*) FROM inbound GROUP BY state",
		"SELECT state, count(*) FROM outbox GROUP BY state",
	};
	struct tk_err err = { 0 };
	PGresult *res = NULL;
	long long total = 0;

	if (store_exec(st, &res, &err, sql[strcmp(table, "outbox") == 0], 0) < 0)
		return ctl_db_error(&err);
	printf("%s:", table);
	for (size_t i = 0; states[i]; i++) {
		long long n = 0;

		for (int r = 0; r < PQntuples(res); r++)
			if (strcmp(PQgetvalue(res, r, 0), states[i]) == 0)
				n = atoll(PQgetvalue(res, r, 1));
		total += n;
		printf("%s %lld %s", i ? "," : "", n, states[i]);
	}
	printf(" (%lld in all)\n", total);
	PQclear(res);
	return CTL_OK;
}

void
ctl_queue_head(const char *bytes, size_t len, struct ctl_queue_head *h)
{
	static const char crlf[] = "\r\n\r\n";
	struct mime_msg *m = NULL;
	struct tk_err err = { 0 };
	size_t cut = 0;
	char *head;

	memset(h, 0, sizeof(*h));
	/* the header block alone: up to the first blank line, or all we have */
	while (cut < len && !(bytes[cut] == '\n' && cut + 1 < len &&
	                      (bytes[cut + 1] == '\n' || (bytes[cut + 1] == '\r' && cut + 2 < len &&
	                                                  bytes[cut + 2] == '\n'))))
		cut++;
	head = xmalloc(cut + sizeof(crlf));
	memcpy(head, bytes, cut);
	memcpy(head + cut, crlf, sizeof(crlf));
	if (cut > 0 && mime_parse(head, cut + sizeof(crlf) - 1, &m, &err) == 0) {
		h->from = m->from.addr ? xstrdup(m->from.addr) : NULL;
		h->subject = m->subject ? xstrdup(m->subject) : NULL;
		h->message_id = m->message_id ? xstrdup(m->message_id) : NULL;
		mime_msg_free(&m);
	}
	free(head);
}

void
ctl_queue_head_fini(struct ctl_queue_head *h)
{
	xfree(&h->from);
	xfree(&h->subject);
	xfree(&h->message_id);
}

/* Print s in at most w columns (UTF-8 aware), control characters as '?', padded. */
void
ctl_put_cell(const char *s, int w)
{
	int used = 0;

	for (const unsigned char *p = (const unsigned char *)(s && *s ? s : "-"); *p; p++) {
		if ((*p & 0xc0) == 0x80) {        /* continuation byte: same column */
			putchar(*p);
			continue;
		}
		if (used == w)
			break;
		putchar(*p < 0x20 || *p == 0x7f ? '?' : *p);
		used++;
	}
	for (; used < w + 1; used++)
		putchar(' ');
}

void
ctl_queue_footer(long long shown, long long total, const char *what, const char *hint)
{
	if (total > shown)
		printf("... %lld more %s (%s)\n", total - shown, what, hint);
	else if (total == 0)
		printf("(no %s)\n", what);
}
