/*
 * ctl_queue.h: shared pieces of `inbound list` and `outbox list`
 * (ctl_queue.c).
 */
#ifndef TK_CTL_QUEUE_H
#define TK_CTL_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

struct ctl_args;
struct store;

/* A staged-work table (inbound, outbox) as list and show see it. */
struct ctl_queue_def {
	const char *table;                /* "inbound" or "outbox" */
	const char *const *states;        /* the summary's states, in order, NULL-terminated */
	const char *list_json_sql;        /* $1 state ("attention", "all" or one), $2 limit:
	                                     one JSON array */
	const char *list_sql;             /* the same rows, the last column count(*) OVER () */
	const char *heading;              /* the table's first line */
	void (*print_row)(PGresult *res, int r);
	const char *what;                 /* "items", "notifications" */
	const char *show_raw_sql, *show_json_sql, *show_sql;   /* $1: the id */
	void (*show_human)(PGresult *res);
};

/* `TABLE list [--state S] [--limit N] [--json]`; the exit code. */
int ctl_queue_list(const struct ctl_args *a, const struct ctl_queue_def *q);
/* `TABLE show [--json|--raw] ID`; the exit code. */
int ctl_queue_show(const struct ctl_args *a, const struct ctl_queue_def *q);
/* Whether s is a positive decimal id. */
bool ctl_is_id(const char *s);
/* The indented second line of a row (an error, a reason); nothing when text is "". */
void ctl_queue_detail(const char *text);

/* What an item's own header says (each NULL when absent); the caller frees with _fini. */
struct ctl_queue_head {
	char *from, *subject, *message_id;
};

/* Print "TABLE: N state1, N state2, ... (N in all)"; CTL_OK or an exit code (printed).
 * table is "inbound" or "outbox"; states is NULL-terminated. */
int ctl_queue_summary(struct store *st, const char *table, const char *const *states);
/* Parse the header block at the start of bytes (a message, or its first bytes). */
void ctl_queue_head(const char *bytes, size_t len, struct ctl_queue_head *h);
void ctl_queue_head_fini(struct ctl_queue_head *h);
/* Print one table cell: s ("-" when empty) cut to w columns, then padding and a space. */
void ctl_put_cell(const char *s, int w);
/* "... N more WHAT (HINT)" when the limit cut the list, "(no WHAT)" when empty. */
void ctl_queue_footer(long long shown, long long total, const char *what, const char *hint);

#endif
