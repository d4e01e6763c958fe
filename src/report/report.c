/*
 * report.c: the reports' queries (report.h). One statement per report,
 * parameters $1 from and $2 to (Unix seconds), $3 tenant and $4 queue
 * (NULL: all), $5 the time zone of days. Each reads its period through a
 * partial or expression index of migration 013; the WHERE clauses repeat
 * those indexes' expressions and predicates word for word, which is what
 * lets PostgreSQL use them. Planned per call (STORE_CUSTOM_PLAN): a period
 * of a day and one of a year want different plans.
 */
/* System. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "report.h"
#include "xalloc.h"

#define FILTERS \
	" AND ($3::text IS NULL OR t.tenant_id = (SELECT id FROM tenants WHERE name = $3::text)) " \
	"AND ($4::text IS NULL OR t.queue = $4::text) "
#define DONE_IN_PERIOD \
	" t.status IN ('resolved', 'closed') " \
	"AND coalesce(t.resolved_at, t.closed_at) >= to_timestamp($1::bigint) " \
	"AND coalesce(t.resolved_at, t.closed_at) < to_timestamp($2::bigint) "
#define HAS_SLA " coalesce(t.sla_applied, '') <> '' "
/* Business seconds used when the clock stopped (the escalator keeps what was left), else
 * wall time. */
#define FIRST_RESPONSE_S \
	"CASE WHEN t.first_response_at IS NULL THEN NULL WHEN" HAS_SLA "AND t.response_left_s IS " \
	"NOT NULL THEN t.sla_response_target_s - t.response_left_s ELSE ceil(extract(epoch FROM " \
	"t.first_response_at - t.created_at)) END"
#define RESOLUTION_S \
	"CASE WHEN" HAS_SLA "AND t.resolution_left_s IS NOT NULL THEN t.sla_resolution_target_s - " \
	"t.resolution_left_s ELSE ceil(extract(epoch FROM coalesce(t.resolved_at, t.closed_at) - " \
	"t.created_at)) END"
#define PRIORITY_RANK \
	"CASE t.priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END"

static const char *const agents_cols[] = {
	"agent", "assigned", "resolved", "first_response_p50", "first_response_p90",
	"resolution_p50", "resolution_p90", "sla_met_pct", "csat_avg", "csat_count", "reopen_pct",
};
static const enum report_type agents_types[] = {
	RT_TEXT, RT_INT, RT_INT, RT_SECONDS, RT_SECONDS, RT_SECONDS, RT_SECONDS, RT_NUM, RT_NUM,
	RT_INT, RT_NUM,
};
static const char agents_sql[] =
	STORE_CUSTOM_PLAN
	"WITH done AS (SELECT t.assignee_id AS aid, " FIRST_RESPONSE_S " AS frt, " RESOLUTION_S
	" AS rt," HAS_SLA "AS has_sla, NOT (t.response_breached OR t.resolution_breached) AS met, "
	"t.reopened_at IS NOT NULL AS reopened FROM tickets t WHERE" DONE_IN_PERIOD FILTERS "), "
	"d AS (SELECT aid, count(*) AS resolved, "
	"percentile_cont(0.5) WITHIN GROUP (ORDER BY frt) AS f50, "
	"percentile_cont(0.9) WITHIN GROUP (ORDER BY frt) AS f90, "
	"percentile_cont(0.5) WITHIN GROUP (ORDER BY rt) AS r50, "
	"percentile_cont(0.9) WITHIN GROUP (ORDER BY rt) AS r90, "
	"count(*) FILTER (WHERE has_sla) AS with_sla, count(*) FILTER (WHERE has_sla AND met) AS met, "
	"count(*) FILTER (WHERE reopened) AS reopened FROM done GROUP BY aid), "
	"asg AS (SELECT e.new_value AS name, count(*) AS n FROM ticket_events e JOIN tickets t ON "
	"t.id = e.ticket_id WHERE e.action = 'assignee' AND e.new_value IS NOT NULL "
	"AND e.created_at >= to_timestamp($1::bigint) AND e.created_at < to_timestamp($2::bigint)"
	FILTERS "GROUP BY 1), "
	"cs AS (SELECT t.assignee_id AS aid, avg(t.csat_score) AS a, count(*) AS n FROM tickets t "
	"WHERE t.csat_at IS NOT NULL AND t.csat_at >= to_timestamp($1::bigint) "
	"AND t.csat_at < to_timestamp($2::bigint)" FILTERS "GROUP BY 1) "
	"SELECT a.name, coalesce(asg.n, 0), coalesce(d.resolved, 0), round(d.f50::numeric), "
	"round(d.f90::numeric), round(d.r50::numeric), round(d.r90::numeric), "
	"CASE WHEN d.with_sla > 0 THEN round(100.0 * d.met / "
	"d.with_sla, 1) END, round(cs.a, 2), coalesce(cs.n, 0), CASE WHEN d.resolved > 0 THEN "
	"round(100.0 * d.reopened / d.resolved, 1) END "
	"FROM (SELECT id, name, 0 AS o FROM agents UNION ALL SELECT NULL, '(unassigned)', 1) a "
	"LEFT JOIN d ON d.aid IS NOT DISTINCT FROM a.id LEFT JOIN asg ON asg.name = a.name "
	"LEFT JOIN cs ON cs.aid IS NOT DISTINCT FROM a.id "
	"WHERE (a.id IS NOT NULL OR d.resolved IS NOT NULL OR cs.n IS NOT NULL) "
	"AND $5::text IS NOT NULL ORDER BY a.o, a.name";

static const char *const sla_cols[] = {
	"queue", "priority", "tickets", "response_met", "resolution_met", "compliance_pct",
};
static const enum report_type sla_types[] = { RT_TEXT, RT_TEXT, RT_INT, RT_INT, RT_INT, RT_NUM };
static const char sla_sql[] =
	STORE_CUSTOM_PLAN
	"SELECT CASE WHEN grouping(t.queue) = 1 THEN '(all)' ELSE t.queue END, "
	"CASE WHEN grouping(t.priority) = 1 THEN '(all)' ELSE t.priority END, count(*), "
	"count(*) FILTER (WHERE NOT t.response_breached), "
	"count(*) FILTER (WHERE NOT t.resolution_breached), CASE WHEN count(*) > 0 THEN "
	"round(100.0 * count(*) FILTER (WHERE NOT (t.response_breached OR t.resolution_breached)) "
	"/ count(*), 1) END FROM tickets t WHERE" DONE_IN_PERIOD "AND" HAS_SLA FILTERS
	"AND $5::text IS NOT NULL GROUP BY GROUPING SETS ((t.queue, t.priority), ()) "
	"ORDER BY grouping(t.queue), t.queue, min(" PRIORITY_RANK ")";

static const char *const backlog_cols[] = {
	"status", "under_1d", "1d_3d", "3d_7d", "7d_30d", "over_30d", "total",
};
static const enum report_type backlog_types[] = {
	RT_TEXT, RT_INT, RT_INT, RT_INT, RT_INT, RT_INT, RT_INT,
};
static const char backlog_sql[] =
	STORE_CUSTOM_PLAN
	"SELECT CASE WHEN grouping(t.status) = 1 THEN '(all)' ELSE t.status END, "
	"count(*) FILTER (WHERE t.created_at > now() - interval '1 day'), "
	"count(*) FILTER (WHERE t.created_at <= now() - interval '1 day' AND t.created_at > now() - "
	"interval '3 days'), count(*) FILTER (WHERE t.created_at <= now() - interval '3 days' AND "
	"t.created_at > now() - interval '7 days'), count(*) FILTER (WHERE t.created_at <= now() - "
	"interval '7 days' AND t.created_at > now() - interval '30 days'), count(*) FILTER (WHERE "
	"t.created_at <= now() - interval '30 days'), count(*) FROM tickets t "
	"WHERE t.status NOT IN ('resolved', 'closed')" FILTERS
	"AND $1::bigint IS NOT NULL AND $2::bigint IS NOT NULL AND $5::text IS NOT NULL "
	"GROUP BY GROUPING SETS ((t.status), ()) ORDER BY grouping(t.status), min(CASE t.status "
	"WHEN 'new' THEN 0 WHEN 'open' THEN 1 WHEN 'reopened' THEN 2 WHEN 'in_progress' THEN 3 "
	"ELSE 4 END)";

static const char *const volume_cols[] = { "day", "source", "category", "tickets" };
static const enum report_type volume_types[] = { RT_TEXT, RT_TEXT, RT_TEXT, RT_INT };
static const char volume_sql[] =
	STORE_CUSTOM_PLAN
	"SELECT to_char(t.created_at AT TIME ZONE $5::text, 'YYYY-MM-DD'), coalesce(s.name, '-'), "
	"coalesce(t.category, '-'), count(*) FROM tickets t LEFT JOIN sources s ON s.id = "
	"t.source_id WHERE t.created_at >= to_timestamp($1::bigint) AND t.created_at < "
	"to_timestamp($2::bigint)" FILTERS "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";

static const char *const csat_cols[] = {
	"queue", "ratings", "average", "score_1", "score_2", "score_3", "score_4", "score_5",
	"satisfied_pct",
};
static const enum report_type csat_types[] = {
	RT_TEXT, RT_INT, RT_NUM, RT_INT, RT_INT, RT_INT, RT_INT, RT_INT, RT_NUM,
};
static const char csat_sql[] =
	STORE_CUSTOM_PLAN
	"SELECT CASE WHEN grouping(t.queue) = 1 THEN '(all)' ELSE t.queue END, count(*), "
	"round(avg(t.csat_score), 2), count(*) FILTER (WHERE t.csat_score = 1), count(*) FILTER "
	"(WHERE t.csat_score = 2), count(*) FILTER (WHERE t.csat_score = 3), count(*) FILTER "
	"(WHERE t.csat_score = 4), count(*) FILTER (WHERE t.csat_score = 5), CASE WHEN count(*) > 0 "
	"THEN round(100.0 * count(*) FILTER (WHERE t.csat_score >= 4) / count(*), 1) END "
	"FROM tickets t WHERE t.csat_at IS NOT NULL AND t.csat_at >= to_timestamp($1::bigint) "
	"AND t.csat_at < to_timestamp($2::bigint)" FILTERS "AND $5::text IS NOT NULL "
	"GROUP BY GROUPING SETS ((t.queue), ()) ORDER BY grouping(t.queue), t.queue";

static const struct {
	const char *name;
	const char *sql;
	const char *const *cols;
	const enum report_type *types;
	size_t n_cols;
} kinds[REPORT_KIND_COUNT] = {
	{ "agents", agents_sql, agents_cols, agents_types, sizeof(agents_cols) / sizeof(char *) },
	{ "sla", sla_sql, sla_cols, sla_types, sizeof(sla_cols) / sizeof(char *) },
	{ "backlog", backlog_sql, backlog_cols, backlog_types, sizeof(backlog_cols) / sizeof(char *) },
	{ "volume", volume_sql, volume_cols, volume_types, sizeof(volume_cols) / sizeof(char *) },
	{ "csat", csat_sql, csat_cols, csat_types, sizeof(csat_cols) / sizeof(char *) },
};

int
report_kind_parse(const char *s)
{
	for (int i = 0; s && i < REPORT_KIND_COUNT; i++)
		if (strcmp(s, kinds[i].name) == 0)
			return i;
	return -1;
}

const char *
report_kind_name(enum report_kind k)
{
	return (unsigned)k < REPORT_KIND_COUNT ? kinds[k].name : "?";
}

int
report_run(struct store *st, const struct report_params *p, struct report_table **t_r,
           struct tk_err *err)
{
	char from[24], to[24];
	PGresult *res = NULL;
	struct report_table *t;
	size_t nc;

	*t_r = NULL;
	if ((unsigned)p->kind >= REPORT_KIND_COUNT)
		return tk_err_set(err, "report: unknown kind");
	snprintf(from, sizeof(from), "%lld", (long long)p->from);
	snprintf(to, sizeof(to), "%lld", (long long)p->to);
	if (store_exec(st, &res, err, kinds[p->kind].sql, 5, from, to, p->tenant, p->queue,
	               p->timezone ? p->timezone : "UTC") < 0) {
		tk_err_prefix(err, "report %s", kinds[p->kind].name);
		return -1;
	}
	nc = kinds[p->kind].n_cols;
	t = xnew(struct report_table);
	t->kind = p->kind;
	t->n_cols = nc;
	t->cols = kinds[p->kind].cols;
	t->types = kinds[p->kind].types;
	t->n_rows = (size_t)PQntuples(res);
	t->cells = xcalloc(t->n_rows * nc + 1, sizeof(*t->cells));
	for (size_t r = 0; r < t->n_rows; r++)
		for (size_t c = 0; c < nc; c++)
			if (!PQgetisnull(res, (int)r, (int)c))
				t->cells[r * nc + c] = xstrdup(PQgetvalue(res, (int)r, (int)c));
	PQclear(res);
	*t_r = t;
	return 0;
}

void
report_table_free(struct report_table **tp)
{
	struct report_table *t = *tp;

	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
	xfree(tp);
}
