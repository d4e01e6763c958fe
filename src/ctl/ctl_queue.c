/*
 * ctl_queue.c: what `inbound list` and `outbox list` share, in the manner
 * of postqueue -p: a count per state, then one row per item (the rows that
 * need attention unless --state says otherwise) with the sender, subject
 * and Message-ID read from the item's own header, its ticket and its error,
 * and a footer when --limit cut the list.
 */
/* System. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "config.h"
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

void
ctl_queue_detail(const char *text)
{
	if (*text == '\0')
		return;
	printf("        ");
	ctl_put_cell(text, 150);
	putchar('\n');
}

bool
ctl_is_id(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	return *s >= '0' && *s <= '9' && *end == '\0' && v > 0;
}

/* The summary, the heading, the rows, the footer. */
static int
list_table(struct store *st, const struct ctl_queue_def *q, const char *state, const char *limit)
{
	struct tk_err err = { 0 };
	PGresult *res = NULL;
	bool attention = strcmp(state, "attention") == 0;
	char what[64];
	int rc;

	if ((rc = ctl_queue_summary(st, q->table, q->states)) != CTL_OK)
		return rc;
	if (store_exec(st, &res, &err, q->list_sql, 2, state, limit) < 0)
		return ctl_db_error(&err);
	printf("\n%s\n", q->heading);
	for (int r = 0; r < PQntuples(res); r++)
		q->print_row(res, r);
	snprintf(what, sizeof(what), "%s%s", q->what, attention ? " that need attention" : "");
	ctl_queue_footer(PQntuples(res), PQntuples(res) ? atoll(PQgetvalue(res, 0,
	                 PQnfields(res) - 1)) : 0, what,
	                 "--limit N shows more, --state all every state");
	PQclear(res);
	return CTL_OK;
}

int
ctl_queue_list(const struct ctl_args *a, const struct ctl_queue_def *q)
{
	const char *state = ctl_str(a, "state") ? ctl_str(a, "state") : "attention";
	char limit[24];
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	PGresult *res = NULL;
	int rc;

	snprintf(limit, sizeof(limit), "%lld", ctl_num(a, "limit", 50));
	if ((rc = ctl_open_args(a, &cfg, &st)) != CTL_OK)
		return rc;
	if (!ctl_flag(a, "json"))
		rc = list_table(st, q, state, limit);
	else if (store_exec(st, &res, &err, q->list_json_sql, 2, state, limit) < 0)
		rc = ctl_db_error(&err);
	else
		printf("%s\n", PQgetvalue(res, 0, 0));
	PQclear(res);
	store_close(&st);
	config_unref(&cfg);
	return rc;
}

int
ctl_queue_show(const struct ctl_args *a, const struct ctl_queue_def *q)
{
	const char *id = a->pos[0];
	bool raw = ctl_flag(a, "raw"), json = ctl_flag(a, "json");
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	PGresult *res = NULL;
	int rc;

	if (!ctl_is_id(id))
		return ctl_usage_error(a->cmd, "\"%s\" is not an id", id);
	if ((rc = ctl_open(&cfg, &st)) != CTL_OK)
		return rc;
	if (store_exec(st, &res, &err, raw ? q->show_raw_sql : json ? q->show_json_sql : q->show_sql,
	               1, id) < 0) {
		rc = ctl_db_error(&err);
	} else if (PQntuples(res) == 0) {
		fprintf(stderr, "ticketctl: no %s item %s\n", q->table, id);
		rc = CTL_USAGE;
	} else if (raw) {
		size_t len = 0;
		unsigned char *bytes = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 0), &len);

		if (bytes)
			fwrite(bytes, 1, len, stdout);
		PQfreemem(bytes);
	} else if (json) {
		printf("%s\n", PQgetvalue(res, 0, 0));
	} else {
		q->show_human(res);
	}
	PQclear(res);
	store_close(&st);
	config_unref(&cfg);
	return rc;
}
