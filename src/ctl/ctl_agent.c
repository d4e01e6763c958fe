/*
 * ctl_agent.c: `ticketctl agent`: list (state and until when, open
 * workload, skills, last assignment), status (set a state, audited: going
 * away hands tickets back where the queue says so), log (an agent's
 * audit). doc/agents.md.
 */
/* System. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
/* Libraries. */
#include <jansson.h>
/* ticketd. */
#include "agent.h"
#include "agent_time.h"
#include "config.h"
#include "ctl.h"
#include "sla_calendar.h"
#include "store.h"

/* "away until 2026-12-24 00:00", "offline (outside hours)", ... */
static void
state_words(json_t *a, char *buf, size_t len)
{
	const char *until = json_string_value(json_object_get(a, "until"));

	if (!json_is_true(json_object_get(a, "in_hours")) &&
	    strcmp(ctl_jstr(a, "state"), "available") == 0)
		snprintf(buf, len, "offline (outside hours)");
	else if (until)
		snprintf(buf, len, "%s until %.16s", ctl_jstr(a, "state"), until);
	else
		snprintf(buf, len, "%s", ctl_jstr(a, "state"));
}

static void
print_agents(json_t *list)
{
	size_t i;
	json_t *a;

	printf("%-12s %-36s %5s %5s %-24s %-16s %s\n", "AGENT", "STATE", "OPEN", "LOAD", "SKILLS",
	       "LAST ASSIGNED", "HOURS");
	json_array_foreach(list, i, a) {
		char state[80], skills[128] = "";
		const char *k;
		json_t *v;
		size_t used = 0;

		state_words(a, state, sizeof(state));
		json_object_foreach(json_object_get(a, "skills"), k, v)
			used += (size_t)snprintf(skills + used, used < sizeof(skills) ? sizeof(skills) - used
			                         : 0, "%s%s:%lld", used ? "," : "", k,
			                         (long long)json_integer_value(v));
		printf("%-12s %-36s %5lld %5lld %-24s %-16.16s %s\n", ctl_jstr(a, "name"), state,
		       (long long)json_integer_value(json_object_get(a, "open")),
		       (long long)json_integer_value(json_object_get(a, "workload")),
		       skills[0] ? skills : "-", ctl_jstr(a, "last_assigned_at"), ctl_jstr(a, "hours"));
	}
}

/* Add each agent's working-hours calendar from the configuration. */
static void
add_hours(const struct config *cfg, json_t *list)
{
	size_t i;
	json_t *a;

	json_array_foreach(list, i, a) {
		const struct config_agent *ca = cfg ? config_agent_by_name(cfg, ctl_jstr(a, "name")) : NULL;

		json_object_set_new(a, "hours", ca && ca->hours ? json_string(ca->hours) : json_null());
	}
}

static int
agent_list(const struct ctl_args *a)
{
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	PGresult *res = NULL;
	char w[4][12];
	int json = ctl_flag(a, "json"), rc;

	if ((rc = ctl_open_args(a, &cfg, &st)) != CTL_OK)
		return rc;
	agent_weights_params(cfg, w);
	if (store_exec(st, &res, &err,
	               "SELECT coalesce(json_agg(x ORDER BY x.name), '[]')::text FROM (SELECT a.name, "
	               "a.display_name, a.email, a.state, a.state_until AS until, a.available, "
	               "a.in_hours, a.state_at, a.state_by, a.last_assigned_at, "
	               "(SELECT count(*) FROM tickets t WHERE t.assignee_id = a.id AND t.status IN "
	               AGENT_OPEN_STATUSES ") AS open, (SELECT coalesce(sum("
	               AGENT_WEIGHT_SQL("t", "$1", "$2", "$3", "$4") "), 0) FROM tickets t "
	               "WHERE t.assignee_id = a.id AND t.status IN " AGENT_OPEN_STATUSES ") AS workload, "
	               "(SELECT coalesce(json_object_agg(s.skill, s.level ORDER BY s.skill), '{}') "
	               "FROM agent_skills s WHERE s.agent_id = a.id) AS skills FROM agents a) x",
	               4, w[0], w[1], w[2], w[3]) < 0) {
		rc = ctl_db_error(&err);
	} else {
		json_t *list = json_loads(PQgetvalue(res, 0, 0), 0, NULL);

		add_hours(cfg, list);
		if (json) {
			char *s = json_dumps(list, JSON_COMPACT);

			printf("%s\n", s);
			free(s);
		} else {
			print_agents(list);
		}
		json_decref(list);
	}
	PQclear(res);
	store_close(&st);
	config_unref(&cfg);
	return rc;
}

/* Parse --until in the agent's working-hours zone (else UTC). */
static int
parse_until(const struct config *cfg, const char *name, const char *s, int64_t *until_r)
{
	const struct config_agent *a = cfg ? config_agent_by_name(cfg, name) : NULL;
	const struct sla_calendar *cal = cfg ? agent_hours(cfg, a) : NULL;
	struct tk_err err = { 0 };

	if (agent_time_parse(s, (int64_t)time(NULL), cal ? sla_calendar_timezone(cal) : NULL, until_r,
	                     &err) < 0) {
		fprintf(stderr, "ticketctl: --until: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int
agent_status(const struct ctl_args *a)
{
	const char *until_s = ctl_str(a, "until"), *reason = ctl_str(a, "reason");
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	struct agent_change c = { 0 };
	char actor[128], why[256];
	int rc, handed = 0;

	if (agent_state_parse(a->pos[1], &c.state) < 0)
		return ctl_usage_error(a->cmd, "\"%s\" is not a state (available, busy, away, offline)",
		                       a->pos[1]);
	if ((rc = ctl_open_args(a, &cfg, &st)) != CTL_OK)
		return rc;
	c.agent = a->pos[0];
	c.actor = ctl_actor(actor, sizeof(actor));
	snprintf(why, sizeof(why), "ticketctl agent status%s%s", reason ? ": " : "",
	         reason ? reason : "");
	c.why = why;
	if (until_s && parse_until(cfg, c.agent, until_s, &c.until) < 0) {
		rc = CTL_USAGE;
	} else if (store_begin(st, &err) < 0 || agent_state_set(st, cfg, &c, &handed, &err) < 0 ||
	           store_commit(st, &err) < 0) {
		rc = ctl_db_error(&err);
	} else {
		char when[40] = "";

		if (c.until)
			agent_time_format(c.until, when, sizeof(when));
		printf("%s: %s%s%s", c.agent, agent_state_name(c.state), c.until ? " until " : "", when);
		if (handed)
			printf(" (%d ticket%s handed back to automatic assignment)", handed,
			       handed == 1 ? "" : "s");
		printf("\n");
	}
	store_rollback(st);
	store_close(&st);
	config_unref(&cfg);
	return rc;
}

static int
agent_log(const struct ctl_args *a)
{
	char limit[24];
	struct store *st = NULL;
	struct config *cfg = NULL;
	struct tk_err err = { 0 };
	PGresult *res = NULL;
	int json = ctl_flag(a, "json"), rc;

	snprintf(limit, sizeof(limit), "%lld", ctl_num(a, "limit", 50));
	if ((rc = ctl_open_args(a, &cfg, &st)) != CTL_OK)
		return rc;
	if (store_exec(st, &res, &err,
	               "SELECT coalesce(json_agg(x ORDER BY x.id), '[]')::text FROM (SELECT e.id, "
	               "e.created_at, e.actor, e.action, e.old_value, e.new_value, e.detail FROM "
	               "agent_events e JOIN agents a ON a.id = e.agent_id WHERE a.name = $1 "
	               "ORDER BY e.id DESC LIMIT $2::int) x", 2, a->pos[0], limit) < 0) {
		rc = ctl_db_error(&err);
	} else if (json) {
		printf("%s\n", PQgetvalue(res, 0, 0));
	} else {
		json_t *list = json_loads(PQgetvalue(res, 0, 0), 0, NULL), *e;
		size_t i;

		json_array_foreach(list, i, e)
			printf("%.19s %s %s: %s -> %s%s%s\n", ctl_jstr(e, "created_at"), ctl_jstr(e, "actor"),
			       ctl_jstr(e, "action"), ctl_jstr(e, "old_value"), ctl_jstr(e, "new_value"),
			       json_is_string(json_object_get(e, "detail")) ? " " : "",
			       json_is_string(json_object_get(e, "detail")) ? ctl_jstr(e, "detail") : "");
		json_decref(list);
	}
	PQclear(res);
	store_close(&st);
	config_unref(&cfg);
	return rc;
}

static const struct ctl_opt list_opts[] = {
	{ "json", 0, CTL_FLAG, NULL, "JSON instead of a table", NULL, CTL_CHECK_NONE },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_agent_list = {
	.name = "agent list", .min_pos = 0, .max_pos = 0, .opts = list_opts, .run = agent_list,
	.summary = "agents: state and until when, open workload, skills, last assignment, hours",
};

static const struct ctl_opt status_opts[] = {
	{ "until", 0, CTL_STR, "TIME", "back to available then: 2026-12-24, \"2026-12-24 17:30\" "
	  "(the agent's hours' zone, else UTC), 2026-12-24T17:30+01:00, 3h", NULL, CTL_CHECK_NONE },
	{ "reason", 0, CTL_STR, "TEXT", "why, for the audit", NULL, CTL_CHECK_NONE },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_agent_status = {
	.name = "agent status", .args = "NAME available|busy|away|offline", .min_pos = 2,
	.max_pos = 2, .opts = status_opts, .run = agent_status,
	.summary = "set an agent's state, audited (away or offline hands tickets back where the "
	           "queue says so)",
};

static const struct ctl_opt log_opts[] = {
	{ "json", 0, CTL_FLAG, NULL, "JSON instead of lines", NULL, CTL_CHECK_NONE },
	{ "limit", 0, CTL_NUM, "N", "the last N changes (default 50)", NULL, CTL_CHECK_NONE },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_agent_log = {
	.name = "agent log", .args = "NAME", .min_pos = 1, .max_pos = 1, .opts = log_opts,
	.run = agent_log, .summary = "an agent's audit: states by whom and why, hours, hand-offs",
};
