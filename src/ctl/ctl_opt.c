/*
 * ctl_opt.c: one argument parser, one usage printer and one set of value
 * checks for every ticketctl command (ctl_opt.h). Options and positional
 * arguments may come in any order; "--" ends the options; "-" alone is an
 * argument (standard input).
 */
/* System. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
/* ticketd. */
#include "config.h"
#include "ctl.h"
#include "ctl_opt.h"
#include "sla_config.h"
#include "store.h"
#include "ynode.h"

int
ctl_usage_error(const struct ctl_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ticketctl %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(ticketctl %s --help shows the usage)\n", cmd->name);
	return CTL_USAGE;
}

static int
opt_index(const struct ctl_cmd *cmd, const char *name, size_t len, char letter)
{
	for (int k = 0; cmd->opts && cmd->opts[k].name; k++) {
		const struct ctl_opt *o = &cmd->opts[k];

		if (letter ? o->letter == letter : strlen(o->name) == len &&
		                                   strncmp(o->name, name, len) == 0)
			return k;
	}
	return -1;
}

static int
check_choice(const struct ctl_cmd *cmd, const struct ctl_opt *o, const char *v)
{
	char list[256] = "";

	for (size_t i = 0; o->choices[i]; i++) {
		if (strcmp(o->choices[i], v) == 0)
			return CTL_OK;
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
		         o->choices[i]);
	}
	return ctl_usage_error(cmd, "--%s: \"%s\" is not one of: %s", o->name, v, list);
}

static int
check_date(const char *v)
{
	static const char *const forms[] = { "%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S",
	                                     "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S" };

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct tm tm = { 0 };
		const char *end = strptime(v, forms[i], &tm);

		if (end && *end == '\0')
			return 0;
	}
	return -1;
}

/* Check and store the value of option k. */
static int
set_value(const struct ctl_cmd *cmd, int k, const char *v, struct ctl_args *a)
{
	const struct ctl_opt *o = &cmd->opts[k];
	int64_t ms;
	char *end;

	a->val[k] = v;
	if (o->many) {
		if (a->n_many == CTL_MAX_MANY)
			return ctl_usage_error(cmd, "--%s: at most %d values", o->name, CTL_MAX_MANY);
		a->many_opt[a->n_many] = k;
		a->many[a->n_many++] = v;
	}
	if (o->choices)
		return check_choice(cmd, o, v);
	switch (o->kind) {
	case CTL_NUM:
		errno = 0;
		a->num[k] = strtoll(v, &end, 10);
		if (*v < '0' || *v > '9' || *end != '\0' || errno || a->num[k] < 1 ||
		    a->num[k] > CTL_NUM_MAX)
			return ctl_usage_error(cmd, "--%s: \"%s\" is not a number from 1 to %d", o->name,
			                       v, CTL_NUM_MAX);
		break;
	case CTL_DURATION:
		if (ynode_parse_duration_ms(v, &ms) < 0 || ms < 0)
			return ctl_usage_error(cmd, "--%s: \"%s\" is not a duration (30m, 2h, 1d)",
			                       o->name, v);
		a->num[k] = ms / 1000;
		break;
	case CTL_DATE:
		if (check_date(v) < 0)
			return ctl_usage_error(cmd, "--%s: \"%s\" is not a date (2026-12-31 or "
			                       "2026-12-31T09:30)", o->name, v);
		break;
	default:
		if (*v == '\0')
			return ctl_usage_error(cmd, "--%s: the value is empty", o->name);
		break;
	}
	return CTL_OK;
}

/* One option word at argv[*i]; may consume the next word as its value. */
static int
parse_option(const struct ctl_cmd *cmd, int argc, char **argv, int *i, struct ctl_args *a)
{
	const char *s = argv[*i], *inline_v = NULL;
	int k;

	if (s[1] == '-') {
		const char *eq = strchr(s + 2, '=');
		size_t len = eq ? (size_t)(eq - s - 2) : strlen(s + 2);

		k = opt_index(cmd, s + 2, len, 0);
		inline_v = eq ? eq + 1 : NULL;
	} else {
		k = opt_index(cmd, NULL, 0, s[1]);
		inline_v = s[2] ? s + 2 : NULL;
	}
	if (k < 0)
		return ctl_usage_error(cmd, "unknown option %s", s);
	if (cmd->opts[k].kind == CTL_FLAG) {
		if (inline_v)
			return ctl_usage_error(cmd, "--%s takes no value", cmd->opts[k].name);
		a->val[k] = "";
		return CTL_OK;
	}
	if (inline_v == NULL) {
		if (*i + 1 >= argc)
			return ctl_usage_error(cmd, "--%s needs a value (%s)", cmd->opts[k].name,
			                       cmd->opts[k].arg);
		inline_v = argv[++*i];
	}
	return set_value(cmd, k, inline_v, a);
}

static bool
is_help(const char *s)
{
	return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0;
}

int
ctl_args_parse(const struct ctl_cmd *cmd, int argc, char **argv, struct ctl_args *a)
{
	bool opts_done = false;

	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	a->pos = a->pos_store;
	for (int i = 0; i < argc; i++)
		if (is_help(argv[i])) {
			ctl_usage(cmd, stdout);
			return CTL_HELP;
		} else if (strcmp(argv[i], "--") == 0) {
			break;
		}
	for (int i = 0; i < argc; i++) {
		const char *s = argv[i];

		if (!opts_done && strcmp(s, "--") == 0) {
			opts_done = true;
		} else if (!opts_done && s[0] == '-' && s[1] != '\0') {
			if (parse_option(cmd, argc, argv, &i, a) != CTL_OK)
				return CTL_USAGE;
		} else if (a->n_pos >= cmd->max_pos ||
		           a->n_pos >= (int)(sizeof(a->pos_store) / sizeof(a->pos_store[0]))) {
			return ctl_usage_error(cmd, "unexpected argument \"%s\"", s);
		} else {
			a->pos_store[a->n_pos++] = argv[i];
		}
	}
	for (int k = 0; cmd->opts && cmd->opts[k].name; k++)
		if (cmd->opts[k].required && a->val[k] == NULL)
			return ctl_usage_error(cmd, "--%s %s is required", cmd->opts[k].name,
			                       cmd->opts[k].arg);
	if (a->n_pos < cmd->min_pos)
		return ctl_usage_error(cmd, "missing %s", cmd->args ? cmd->args : "argument");
	return CTL_OK;
}

static int
find(const struct ctl_args *a, const char *name)
{
	int k = opt_index(a->cmd, name, strlen(name), 0);

	return k >= 0 ? k : (abort(), -1);  /* asking for an undeclared option is our bug */
}

const char *
ctl_str(const struct ctl_args *a, const char *name)
{
	return a->val[find(a, name)];
}

int
ctl_strs(const struct ctl_args *a, const char *name, const char **out, int max)
{
	int k = find(a, name), n = 0;

	for (int i = 0; i < a->n_many && n < max; i++)
		if (a->many_opt[i] == k)
			out[n++] = a->many[i];
	return n;
}

bool
ctl_flag(const struct ctl_args *a, const char *name)
{
	return a->val[find(a, name)] != NULL;
}

long long
ctl_num(const struct ctl_args *a, const char *name, long long dflt)
{
	int k = find(a, name);

	return a->val[k] ? a->num[k] : dflt;
}

void
ctl_usage(const struct ctl_cmd *cmd, FILE *fp)
{
	fprintf(fp, "usage: ticketctl %s", cmd->name);
	for (int k = 0; cmd->opts && cmd->opts[k].name; k++) {
		const struct ctl_opt *o = &cmd->opts[k];

		const char *open = o->required ? "" : "[", *close = o->required ? "" : "]";

		if (o->letter && o->kind == CTL_FLAG)
			fprintf(fp, " %s-%c%s", open, o->letter, close);
		else
			fprintf(fp, " %s--%s%s%s%s%s", open, o->name, o->kind == CTL_FLAG ? "" : " ",
			        o->kind == CTL_FLAG ? "" : o->arg, close, o->many ? "..." : "");
	}
	fprintf(fp, "%s%s\n%s\n", cmd->args ? " " : "", cmd->args ? cmd->args : "", cmd->summary);
	for (int k = 0; cmd->opts && cmd->opts[k].name; k++) {
		const struct ctl_opt *o = &cmd->opts[k];
		char head[64];

		snprintf(head, sizeof(head), "%c%c%s--%s%s%s", o->letter ? '-' : ' ',
		         o->letter ? o->letter : ' ', o->letter ? ", " : "  ", o->name,
		         o->kind == CTL_FLAG ? "" : " ", o->kind == CTL_FLAG ? "" : o->arg);
		fprintf(fp, "  %-26s %s\n", head, o->help);
		for (size_t i = 0; o->choices && o->choices[i]; i++)
			fprintf(fp, "%s%s", i ? ", " : "                             one of: ", o->choices[i]);
		if (o->choices)
			putc('\n', fp);
	}
	fprintf(fp, "  %-26s %s\n", "-h, --help", "print this help");
}

static const char *const check_what[] = { "", "queue", "tenant", "agent" };

/* The configured queues (mailbox defaults, the queues: section) as one list. */
static void
configured_queues(const struct config *cfg, const char *v, bool *found, char *list, size_t len)
{
	for (size_t i = 0; cfg && i < cfg->n_mailboxes; i++) {
		const char *q = cfg->mailboxes[i].queue;

		if (q && strcmp(q, v) == 0)
			*found = true;
		if (q && strlen(list) + strlen(q) + 3 < len && !strstr(list, q))
			snprintf(list + strlen(list), len - strlen(list), "%s%s", *list ? ", " : "", q);
	}
	for (size_t i = 0; cfg && cfg->sla && i < cfg->sla->n_queues; i++) {
		const char *q = cfg->sla->queues[i].name;

		if (strcmp(q, v) == 0)
			*found = true;
		if (strlen(list) + strlen(q) + 3 < len && !strstr(list, q))
			snprintf(list + strlen(list), len - strlen(list), "%s%s", *list ? ", " : "", q);
	}
}

int
ctl_check_name(const struct ctl_cmd *cmd, const struct config *cfg, struct store *st,
               enum ctl_opt_check check, const char *value)
{
	static const char *const sql[] = {
		NULL,
		"SELECT coalesce(bool_or(queue = $1), false), coalesce(string_agg(queue, ', ' "
		"ORDER BY queue), '') FROM (SELECT DISTINCT queue FROM tickets WHERE queue IS NOT NULL "
		"LIMIT 50) q",
		"SELECT coalesce(bool_or(name = $1), false), coalesce(string_agg(name, ', ' "
		"ORDER BY name), '') FROM (SELECT name FROM tenants ORDER BY name LIMIT 50) n",
		"SELECT coalesce(bool_or(name = $1), false), coalesce(string_agg(name, ', ' "
		"ORDER BY name), '') FROM (SELECT name FROM agents ORDER BY name LIMIT 50) n",
	};
	struct tk_err err = { 0 };
	PGresult *res = NULL;
	char list[512] = "";
	bool found = false;
	int rc;

	if (check == CTL_CHECK_NONE)
		return CTL_OK;
	if (check == CTL_CHECK_QUEUE)
		configured_queues(cfg, value, &found, list, sizeof(list));
	if (check == CTL_CHECK_QUEUE && !found &&
	    store_exec(st, &res, &err, "SELECT EXISTS (SELECT 1 FROM tickets WHERE queue = $1)", 1,
	               value) == 0)
		found = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	res = NULL;
	if (found)
		return CTL_OK;
	if (err.msg[0] || store_exec(st, &res, &err, sql[check], 1, value) < 0)
		return ctl_db_error(&err);
	rc = strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? CTL_OK : CTL_USAGE;
	if (rc != CTL_OK) {
		const char *db = PQgetvalue(res, 0, 1);

		if (*db && *list)
			strncat(list, ", ", sizeof(list) - strlen(list) - 1);
		strncat(list, db, sizeof(list) - strlen(list) - 1);
		fprintf(stderr, "ticketctl %s: no %s \"%s\" (known: %s)\n", cmd->name,
		        check_what[check], value, *list ? list : "none yet");
	}
	PQclear(res);
	return rc;
}

int
ctl_open_args(const struct ctl_args *a, struct config **cfg_r, struct store **st_r)
{
	int rc = ctl_open(cfg_r, st_r);

	for (int k = 0; rc == CTL_OK && a->cmd->opts && a->cmd->opts[k].name; k++)
		if (a->val[k] && a->cmd->opts[k].check != CTL_CHECK_NONE)
			rc = ctl_check_name(a->cmd, *cfg_r, *st_r, a->cmd->opts[k].check, a->val[k]);
	if (rc != CTL_OK && *st_r) {
		store_close(st_r);
		config_unref(cfg_r);
	}
	return rc;
}
