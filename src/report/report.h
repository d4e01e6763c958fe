/*
 * report.h: reports on how the help desk performs (ticketctl report, and
 * scheduled reports mailed by the escalator). Each report is one query over
 * a period, read through indexes that hold exactly what it needs (migration
 * 013: tickets by the time they were done, created, open by age, rated;
 * assignments by time), never the whole table (bench/reports).
 *
 *   agents   per agent: tickets assigned and resolved in the period, median
 *            and 90th percentile first-response and resolution times (in
 *            business time of the ticket's SLA calendar when it has a
 *            policy, else wall time), SLA compliance, CSAT average and count,
 *            reopen rate
 *   sla      compliance by queue and priority of the tickets done in the
 *            period that had a policy (and a total)
 *   backlog  open tickets now, by status and age (and a total)
 *   volume   tickets created per day (in the report's time zone) by source
 *            and category
 *   csat     ratings given in the period by queue: count, average, each
 *            score, share of 4 and 5 (and a total)
 *
 * "Done" is resolved, or closed without a resolution; a ticket reopened
 * since is not done. Times are whole seconds.
 */
#ifndef TK_REPORT_H
#define TK_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "store.h"

struct config;

enum report_kind { REPORT_AGENTS, REPORT_SLA, REPORT_BACKLOG, REPORT_VOLUME, REPORT_CSAT,
                   REPORT_KIND_COUNT };

/* The kind named s, or -1. */
int report_kind_parse(const char *s);
const char *report_kind_name(enum report_kind k);

struct report_params {
	enum report_kind kind;
	int64_t from, to;          /* the period [from, to), Unix seconds */
	const char *tenant;        /* NULL: every tenant */
	const char *queue;         /* NULL: every queue */
	const char *timezone;      /* IANA name for days (volume) and the title; NULL: UTC */
};

/* How a column's values read: text, a count, a number, a duration in seconds. */
enum report_type { RT_TEXT, RT_INT, RT_NUM, RT_SECONDS };

struct report_table {
	enum report_kind kind;
	size_t n_cols, n_rows;
	const char *const *cols;        /* static */
	const enum report_type *types;  /* static */
	char **cells;                   /* n_rows * n_cols, owned; NULL: no value */
};

/* Run the report; *t_r is the caller's (report_table_free). */
int report_run(struct store *st, const struct report_params *p, struct report_table **t_r,
               struct tk_err *err) __attribute__((warn_unused_result));
void report_table_free(struct report_table **t);

enum report_format { REPORT_FMT_TABLE, REPORT_FMT_CSV, REPORT_FMT_JSON };

/* The format named s ("table", "csv", "json"), or -1. */
int report_format_parse(const char *s);
/*
 * The table as text: an aligned table (durations as "1h 05m"), CSV (RFC
 * 4180, a header row, seconds as integers) or JSON ({"report", "from",
 * "to", "tenant", "queue", "rows": [{column: value}]}, numbers as numbers,
 * null for no value). Caller frees.
 */
char *report_format(const struct report_table *t, const struct report_params *p,
                    enum report_format f);
/* "Report agents, 2026-03-02 08:00 to 2026-03-09 08:00 (Europe/Berlin)". Caller frees. */
char *report_title(const struct report_params *p);

#endif
