/*
 * ctl_report.c: `ticketctl report agents|sla|backlog|volume|csat [--from
 * T] [--to T] [--tenant T] [--queue Q] [--tz ZONE] [--format
 * table|csv|json]` (report.h). The period is [from, to); a --to given as
 * a date alone ends with that day (inclusive), as people mean it. Without
 * them: the last 30 days up to now.
 */
/* System. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
/* ticketd. */
#include "agent_time.h"
#include "civil.h"
#include "config.h"
#include "ctl.h"
#include "report.h"
#include "store.h"
#include "tzone.h"

static int
when(const char *opt, const char *s, const char *tz, bool end, int64_t *t_r)
{
	struct tk_err err = { 0 };
	bool date_only = false;

	if (agent_time_parse_date(s, tz, t_r, &date_only, &err) < 0) {
		fprintf(stderr, "ticketctl: %s: %s\n", opt, err.msg);
		return -1;
	}
	if (end && date_only) {   /* the end of that day: the next day's midnight in the zone */
		unsigned y = 0, m = 0, d = 0;
		int64_t yy;
		char next[16];

		sscanf(s, "%4u-%2u-%2u", &y, &m, &d);
		civil_from_days(civil_days(y, m, d) + 1, &yy, &m, &d);
		snprintf(next, sizeof(next), "%04lld-%02u-%02u", (long long)yy, m, d);
		if (agent_time_parse_date(next, tz, t_r, NULL, &err) < 0)
			return -1;
	}
	return 0;
}

static int
parse_args(const struct ctl_args *a, struct report_params *p, int *fmt_r)
{
	const char *from = ctl_str(a, "from"), *to = ctl_str(a, "to");
	int k = report_kind_parse(a->pos[0]);

	if (k < 0)
		return ctl_usage_error(a->cmd, "\"%s\" is not a report (agents, sla, backlog, volume, "
		                       "csat)", a->pos[0]);
	p->kind = (enum report_kind)k;
	p->tenant = ctl_str(a, "tenant");
	p->queue = ctl_str(a, "queue");
	p->timezone = ctl_str(a, "tz");
	*fmt_r = ctl_str(a, "format") ? report_format_parse(ctl_str(a, "format")) : REPORT_FMT_TABLE;
	if (p->timezone && !tzone_known(p->timezone))
		return ctl_usage_error(a->cmd, "--tz: unknown time zone \"%s\"", p->timezone);
	p->to = (int64_t)time(NULL);
	if (to && when("--to", to, p->timezone, true, &p->to) < 0)
		return CTL_USAGE;
	p->from = p->to - 30 * 86400;
	if (from && when("--from", from, p->timezone, false, &p->from) < 0)
		return CTL_USAGE;
	if (p->from >= p->to)
		return ctl_usage_error(a->cmd, "--from must come before --to");
	return CTL_OK;
}

static int
report(const struct ctl_args *a)
{
	struct report_params p = { .kind = REPORT_AGENTS };
	struct report_table *t = NULL;
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	int fmt = REPORT_FMT_TABLE, rc;
	char *out;

	if ((rc = parse_args(a, &p, &fmt)) != CTL_OK)
		return rc;
	if ((rc = ctl_open_args(a, &cfg, &st)) != CTL_OK)
		return rc;
	if (report_run(st, &p, &t, &err) < 0) {
		rc = ctl_db_error(&err);
	} else {
		out = report_format(t, &p, (enum report_format)fmt);
		fputs(out, stdout);
		if (fmt == REPORT_FMT_JSON)
			fputc('\n', stdout);
		free(out);
	}
	report_table_free(&t);
	store_close(&st);
	config_unref(&cfg);
	return rc;
}

static const char *const formats[] = { "table", "csv", "json", NULL };
static const struct ctl_opt report_opts[] = {
	{ "from", 0, CTL_STR, "TIME", "the period's start: 2026-03-01, \"2026-03-01 08:00\" (in "
	  "--tz) or 2026-03-01T08:00+01:00 (default: 30 days before --to)", NULL, CTL_CHECK_NONE },
	{ "to", 0, CTL_STR, "TIME", "its end (default: now); a date alone includes that day", NULL,
	  CTL_CHECK_NONE },
	{ "tenant", 0, CTL_STR, "T", "only this tenant's tickets", NULL, CTL_CHECK_TENANT },
	{ "queue", 0, CTL_STR, "Q", "only this queue's tickets", NULL, CTL_CHECK_NONE },
	{ "tz", 0, CTL_STR, "ZONE", "the zone of times and days (default UTC)", NULL,
	  CTL_CHECK_NONE },
	{ "format", 0, CTL_STR, "FORMAT", "table (default), csv or json", formats, CTL_CHECK_NONE },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_report = {
	.name = "report", .args = "agents|sla|backlog|volume|csat", .min_pos = 1, .max_pos = 1,
	.opts = report_opts, .run = report,
	.summary = "how the help desk performs over a period (doc/agents.md)",
};
