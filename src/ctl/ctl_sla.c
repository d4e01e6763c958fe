/*
 * ctl_sla.c: the SLA in ticketctl: `ack` (an agent takes the ticket: the
 * pending levels of its escalation chains are cancelled), the SLA lines of
 * `show` and the SLA column of `list`, in business time of the ticket's
 * calendar (ticketd's configuration names the calendars).
 */
/* System. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
/* Libraries. */
#include <jansson.h>
/* ticketd. */
#include "config.h"
#include "ctl.h"
#include "sla_calendar.h"
#include "sla_clock.h"
#include "sla_config.h"
#include "store.h"
#include "store_ticket.h"

static int64_t
iso_epoch(const char *s)
{
	struct tm tm = { 0 };
	const char *p;
	int off_h = 0, off_m = 0, sign = 1;

	/* PostgreSQL's JSON timestamps: 2026-12-06T07:15:02.123+00:00 */
	if (s == NULL || (p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return 0;
	while (*p == '.' || (*p >= '0' && *p <= '9'))
		p++;
	if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		sscanf(p + 1, "%d:%d", &off_h, &off_m);
	}
	return (int64_t)timegm(&tm) - sign * (off_h * 3600 + off_m * 60);
}

static const struct sla_calendar *
calendar_of(const struct config *cfg, json_t *sla)
{
	const char *name = json_string_value(json_object_get(sla, "calendar"));
	const struct sla_calendar *cal = cfg && cfg->sla && name ? sla_calendar_named(cfg->sla, name) :
	                                 NULL;

	return cal ? cal : sla_calendar_24x7();
}

/* Business seconds from now to due (negative: overdue). */
static int64_t
left_of(const struct sla_calendar *cal, int64_t due, int64_t now)
{
	return due >= now ? sla_calendar_seconds(cal, now, due) : -sla_calendar_seconds(cal, due, now);
}

/*
 * One clock in words: "1h 05m left (due ...)", "overdue 5m", "paused, 20m
 * left", "met", "breached at ...". k is "response" or "resolution".
 */
static void
clock_words(const struct config *cfg, json_t *sla, const char *k, int64_t now, char *buf,
            size_t len)
{
	char key[48], d[32];
	const char *due_s, *breach_s;
	json_t *left_j;
	bool breached;

	snprintf(key, sizeof(key), "%s_due_at", k);
	due_s = json_string_value(json_object_get(sla, key));
	snprintf(key, sizeof(key), "%s_breached", k);
	breached = json_is_true(json_object_get(sla, key));
	snprintf(key, sizeof(key), "%s_breached_at", k);
	breach_s = json_string_value(json_object_get(sla, key));
	snprintf(key, sizeof(key), "%s_left_s", k);
	left_j = json_object_get(sla, key);
	if (due_s) {
		int64_t left = left_of(calendar_of(cfg, sla), iso_epoch(due_s), now);

		snprintf(buf, len, "%s%s (due %s)", sla_format_duration(left, d, sizeof(d)),
		         left >= 0 ? " left" : "", due_s);
	} else if (breached) {
		snprintf(buf, len, "breached at %s", breach_s ? breach_s : "?");
	} else if (json_is_integer(left_j) &&
	           strcmp(json_string_value(json_object_get(sla, "status")) ?: "", "pending") == 0) {
		snprintf(buf, len, "paused, %s left",
		         sla_format_duration(json_integer_value(left_j), d, sizeof(d)));
	} else if (json_is_integer(left_j)) {
		snprintf(buf, len, "met, %s to spare",
		         sla_format_duration(json_integer_value(left_j), d, sizeof(d)));
	} else {
		snprintf(buf, len, "-");
	}
}

void
ctl_sla_print(const struct config *cfg, json_t *t)
{
	json_t *sla = json_object_get(t, "sla");
	const char *policy = json_string_value(json_object_get(sla, "policy"));
	int64_t now = (int64_t)time(NULL);
	char resp[160], reso[160], d[32];

	if (sla == NULL || policy == NULL)
		return;
	if (*policy == '\0') {
		printf("  SLA: none (no policy applies)\n");
		return;
	}
	clock_words(cfg, sla, "response", now, resp, sizeof(resp));
	clock_words(cfg, sla, "resolution", now, reso, sizeof(reso));
	printf("  SLA %s (calendar %s, business time): first response %s; resolution %s\n", policy,
	       json_string_value(json_object_get(sla, "calendar")) ?: "24x7", resp, reso);
	if (json_integer_value(json_object_get(sla, "paused_s")) > 0 ||
	    json_is_string(json_object_get(sla, "acked_by")))
		printf("  paused %s in all%s%s\n",
		       sla_format_duration(json_integer_value(json_object_get(sla, "paused_s")), d,
		                           sizeof(d)),
		       json_is_string(json_object_get(sla, "acked_by")) ? "; acknowledged by " : "",
		       json_string_value(json_object_get(sla, "acked_by")) ?: "");
}

const char *
ctl_sla_column(const struct config *cfg, json_t *t, char *buf, size_t len)
{
	json_t *sla = json_object_get(t, "sla");
	int64_t now = (int64_t)time(NULL), best = 0;
	bool any = false;

	if (sla == NULL)
		return "-";
	if (json_is_true(json_object_get(sla, "response_breached")) ||
	    json_is_true(json_object_get(sla, "resolution_breached"))) {
		snprintf(buf, len, "breached");
		return buf;
	}
	for (int k = 0; k < 2; k++) {
		const char *due = json_string_value(json_object_get(sla, k ? "resolution_due_at" :
		                                                              "response_due_at"));
		int64_t left;

		if (due == NULL)
			continue;
		left = left_of(calendar_of(cfg, sla), iso_epoch(due), now);
		if (!any || left < best)
			best = left;
		any = true;
	}
	if (!any)
		return "-";
	return sla_format_duration(best, buf, len);
}

static int
ack(const struct ctl_args *a)
{
	const char *tenant = ctl_str(a, "tenant") ? ctl_str(a, "tenant") : "default";
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	char actor[128];
	int64_t id = 0;
	int rc, cancelled = 0;

	if ((rc = ctl_open_args(a, &cfg, &st)) != CTL_OK)
		return rc;
	ctl_actor(actor, sizeof(actor));
	if (store_begin(st, &err) < 0)
		rc = ctl_db_error(&err);
	if (rc == CTL_OK)
		rc = ctl_ticket_find(st, tenant, a->pos[0], &id);
	if (rc == CTL_OK &&
	    (store_ticket_ack(st, id, actor, "ticketctl ack", true, &cancelled, &err) < 0 ||
	     store_commit(st, &err) < 0))
		rc = ctl_db_error(&err);
	if (rc == CTL_OK)
		printf("%s acknowledged; %d pending escalation level%s cancelled\n", a->pos[0],
		       cancelled, cancelled == 1 ? "" : "s");
	store_rollback(st);
	store_close(&st);
	config_unref(&cfg);
	return rc;
}

static const struct ctl_opt ack_opts[] = {
	{ "tenant", 0, CTL_STR, "T", "the ticket's tenant (default: default)", NULL,
	  CTL_CHECK_TENANT },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_ack = {
	.name = "ack", .args = "NUMBER", .min_pos = 1, .max_pos = 1, .opts = ack_opts, .run = ack,
	.summary = "acknowledge a ticket: cancel the pending levels of its escalation chains",
};
