/*
 * report_send.c: run a scheduled report and mail it (report_send.h). The
 * report covers [run - period, run); its days are the schedule's zone's.
 * Recipients are expanded from the configuration (agents, team members,
 * leads, addresses) and each gets one mail with an idempotency key of the
 * run and the address, so a run retried after a crash never mails twice.
 */
/* System. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
/* Libraries. */
#include <glib.h>
/* ticketd. */
#include "compose.h"
#include "config.h"
#include "convo.h"
#include "log.h"
#include "notify.h"
#include "outbox.h"
#include "report.h"
#include "report_config.h"
#include "report_send.h"
#include "tzone.h"
#include "xalloc.h"

#define REPORT_MAX_RCPT 64

/* The next run of r strictly after `after`, or -1. */
static int64_t
next_run(const struct report_sched *r, int64_t after)
{
	GTimeZone *tz = tzone_new(r->timezone);
	int64_t t = report_cron_next(&r->cron, tz, after);

	if (tz)
		g_time_zone_unref(tz);
	return t;
}

static int
schedule(struct store *st, const struct report_sched *r, int64_t after, struct tk_err *err)
{
	int64_t due = next_run(r, after);
	char key[256], dues[24];

	if (due < 0) {
		log_warn("report %s: the schedule \"%s\" has no run within eight years", r->name,
		         r->schedule);
		return 0;
	}
	snprintf(key, sizeof(key), "report:%s:%" PRId64, r->name, due);
	snprintf(dues, sizeof(dues), "%" PRId64, due);
	return store_exec(st, NULL, err,
	                  "INSERT INTO timers (kind, ticket_id, key, due_at, data) VALUES ('report', "
	                  "NULL, $1, to_timestamp($2::bigint), jsonb_build_object('report', $3::text)) "
	                  "ON CONFLICT (key) DO NOTHING", 3, key, dues, r->name);
}

int
report_schedule_all(struct store *st, const struct config *cfg, struct tk_err *err)
{
	int64_t now = (int64_t)time(NULL);

	for (size_t i = 0; cfg->reports && i < cfg->reports->n; i++)
		if (schedule(st, &cfg->reports->v[i], now, err) < 0)
			return -1;
	return 0;
}

struct rcpts {
	const char *v[REPORT_MAX_RCPT];
	size_t n;
};

static void
add(struct rcpts *r, const char *addr)
{
	for (size_t i = 0; addr && i < r->n; i++)
		if (strcasecmp(r->v[i], addr) == 0)
			return;
	if (addr && r->n < REPORT_MAX_RCPT)
		r->v[r->n++] = addr;
}

static void
add_agent(const struct config *cfg, struct rcpts *r, const char *name)
{
	const struct config_agent *a = config_agent_by_name(cfg, name);

	add(r, a ? a->email : NULL);
}

/* Addresses of the report's recipients (borrowed from the configuration). */
static void
recipients(const struct config *cfg, const struct report_sched *s, struct rcpts *r)
{
	for (size_t i = 0; i < s->to.n; i++) {
		const struct sla_target *t = &s->to.v[i];
		const struct sla_team *team = t->name ? sla_team_named(cfg->sla, t->name) : NULL;

		if (t->kind == SLA_TGT_MAIL)
			add(r, t->name);
		else if (t->kind == SLA_TGT_AGENT)
			add_agent(cfg, r, t->name);
		else if (t->kind == SLA_TGT_LEAD && team && team->lead)
			add_agent(cfg, r, team->lead);
		else if (t->kind == SLA_TGT_TEAM && team)
			for (size_t m = 0; m < team->n_members; m++)
				add_agent(cfg, r, team->members[m]);
	}
}

/* The mail of one run for one recipient, into the outbox. */
static int
enqueue(struct store *st, const struct config *cfg, const struct report_sched *s, int64_t due,
        const char *to, const char *title, const char *body, const char *csv, struct tk_err *err)
{
	const char *at = strrchr(cfg->smtp->from, '@');
	char *msgid = compose_message_id(cfg->convo ? cfg->convo->msgid_domain : at ? at + 1 : NULL, 0);
	char *key = xasprintf("report:%s:%" PRId64 ":%s", s->name, due, to);
	char *file = xasprintf("%s-%s.csv", s->name, report_kind_name((enum report_kind)
	                                                              report_kind_parse(s->report)));
	char *raw = NULL;
	size_t len = 0;
	struct compose_msg m = {
		.from = { cfg->smtp->from, cfg->convo && cfg->convo->from_name ?
		          cfg->convo->from_name : cfg->smtp->from_name },
		.to = { to, NULL }, .subject = title, .message_id = msgid,
		.auto_submitted = "auto-generated", .loop_id = cfg->convo ? cfg->convo->address : NULL,
		.text = body, .attach_name = file, .attach_type = "text/csv; charset=utf-8",
		.attach_data = csv, .attach_len = strlen(csv),
	};
	int rc = compose_write(&m, &raw, &len, err);

	if (rc == 0) {
		struct outbox_item it = {
			.idempotency_key = key, .channel = "smtp", .kind = "report", .recipient = to,
			.message_id = msgid, .payload = raw, .payload_len = len,
		};

		rc = outbox_enqueue(st, &it, NULL, err);
	}
	free(raw);
	free(file);
	free(key);
	free(msgid);
	return rc;
}

static int
mail_run(struct store *st, const struct config *cfg, const struct report_sched *s, int64_t due,
         size_t *n_r, struct tk_err *err)
{
	struct report_params p = {
		.kind = (enum report_kind)report_kind_parse(s->report), .from = due - s->period_s,
		.to = due, .tenant = s->tenant, .queue = s->queue, .timezone = s->timezone,
	};
	struct report_table *t = NULL;
	struct rcpts r = { .n = 0 };
	char *table = NULL, *csv = NULL, *title = NULL, *body = NULL;
	int rc = -1;

	if (report_run(st, &p, &t, err) < 0)
		return -1;
	table = report_format(t, &p, REPORT_FMT_TABLE);
	csv = report_format(t, &p, REPORT_FMT_CSV);
	title = report_title(&p);
	body = xasprintf("%s\n-- \nScheduled report \"%s\" (%s, %s), from ticketd %s.\n"
	                 "The same figures are attached as CSV.\n", table, s->name, s->schedule,
	                 s->timezone, cfg->instance);
	recipients(cfg, s, &r);
	for (size_t i = 0; i < r.n; i++)
		if (enqueue(st, cfg, s, due, r.v[i], title, body, csv, err) < 0)
			goto out;
	*n_r = r.n;
	rc = 0;
out:
	free(table);
	free(csv);
	free(title);
	free(body);
	report_table_free(&t);
	return rc;
}

int
report_send_run(struct store *st, const struct config *cfg, const char *name, int64_t due,
                char *detail, size_t detail_len, struct tk_err *err)
{
	const struct report_sched *s = report_sched_named(cfg, name);
	int64_t now = (int64_t)time(NULL);
	size_t n = 0;

	if (s == NULL) {
		snprintf(detail, detail_len, "report \"%s\" is no longer configured", name ? name : "?");
		return 0;
	}
	if (next_run(s, due - 1) != due) {
		snprintf(detail, detail_len, "the schedule no longer runs then (\"%s\" %s)", s->schedule,
		         s->timezone);
		return schedule(st, s, now, err) < 0 ? -1 : 0;
	}
	if (cfg->smtp == NULL)
		return tk_err_set(err, "report %s: no smtp: section", name);
	if (mail_run(st, cfg, s, due, &n, err) < 0 || schedule(st, s, due > now ? due : now, err) < 0)
		return -1;
	snprintf(detail, detail_len, "mailed to %zu recipient%s", n, n == 1 ? "" : "s");
	log_info("report %s: run of %" PRId64 " mailed to %zu recipient%s%s", name, due, n,
	         n == 1 ? "" : "s", now - due > 60 ? " (late: the daemons were away)" : "");
	return 1;
}
