/*
 * ctl_queue.h: shared pieces of `inbound list` and `outbox list`
 * (ctl_queue.c).
 */
#ifndef TK_CTL_QUEUE_H
#define TK_CTL_QUEUE_H

#include <stddef.h>

struct store;

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
