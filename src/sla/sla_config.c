/*
 * sla_config.c: load the sla:, teams: and queues: sections (sla_config.h).
 *
 * Absent sections give the documented defaults: four policies matched by
 * priority on the 24x7 calendar (critical 1 h / 4 h, high 4 h / 24 h,
 * medium 8 h / 72 h, low 24 h / 120 h), warnings at 75% and 90%, a
 * "default" chain that tells the assignee at the breach, and auto-close
 * 48 h after resolution. Names are checked against each other and the rest
 * of the configuration, so a typo is an error at load time, never a
 * notification silently lost at 3 a.m.
 */
/* System. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "agent_config.h"
#include "buf.h"
#include "compose.h"
#include "config.h"
#include "convo.h"
#include "lifecycle.h"
#include "notify.h"
#include "sla_calendar.h"
#include "sla_config.h"
#include "xalloc.h"
#include "ynode.h"

static const char *const sla_keys[] = {
	"enabled", "warnings", "autoclose", "digest_after", "poll_interval", "batch", "calendars",
	"policies", "chains", NULL,
};
static const char *const policy_keys[] = {
	"name", "match", "response", "resolution", "calendar", "chain", "notify_on_create", NULL,
};
static const char *const match_keys[] = {
	"tenant", "priority", "queue", "category", "type", NULL,
};
static const char *const chain_keys[] = { "start", "levels", "repeat", "every", NULL };
static const char *const level_keys[] = { "after", "notify", NULL };
static const char *const team_keys[] = { "name", "lead", "members", NULL };
static const char *const queue_keys[] = { "name", "team", "chain", "notify", "assign", "on_away",
                                          NULL };
static const char *const event_names[SLA_EV_COUNT] = {
	"created", "assigned", "status", "customer_reply", "warning", "breach", "escalation",
	"resolved", "closed", "unassigned",
};

static const char *const all_keys[] = {
	"sla.enabled", "sla.warnings", "sla.autoclose", "sla.digest_after", "sla.poll_interval",
	"sla.batch", "sla.calendars", "sla.policies", "sla.policies.name", "sla.policies.match",
	"sla.policies.response", "sla.policies.resolution", "sla.policies.calendar",
	"sla.policies.chain", "sla.policies.notify_on_create", "sla.chains", "sla.chains.start",
	"sla.chains.levels", "sla.chains.levels.after", "sla.chains.levels.notify",
	"sla.chains.repeat", "sla.chains.every", "teams.name", "teams.lead", "teams.members",
	"queues.name", "queues.team", "queues.chain", "queues.notify", NULL,
};

static const char *const tmpl_files[SLA_TMPL_COUNT] = {
	"sla-warning.txt", "sla-escalation.txt", "sla-event.txt", "sla-digest.txt",
};
static const char *const tmpl_placeholders[] = {
	"ticket", "subject", "priority", "status", "queue", "assignee", "requester", "clock", "due",
	"left", "share", "level", "event", "detail", "late", "link", "count", "items", "instance",
	NULL,
};
/* The built-in texts; a file of the same name in conversation.templates replaces one. */
static const char *const tmpl_builtin[SLA_TMPL_COUNT] = {
	"Subject: [#{{ticket}}] SLA warning: {{share}} of the {{clock}} time used\n\n"
	"{{ticket}} \"{{subject}}\" ({{priority}}, {{status}}, queue {{queue}}) has used\n"
	"{{share}} of its {{clock}} target: due {{due}}, {{left}}.\n"
	"Assignee: {{assignee}}\n{{link}}\n"
	"-- \n"
	"Reply to act, with commands on their own lines at the top of your reply:\n"
	"#ack (stops the escalation), #status open|in_progress|pending|resolved,\n"
	"#assign NAME, #priority low|medium|high|critical.\n",
	"Subject: [#{{ticket}}] SLA breached: {{clock}} {{left}} ({{level}})\n\n"
	"{{ticket}} \"{{subject}}\" ({{priority}}, {{status}}, queue {{queue}}) missed its\n"
	"{{clock}} target, due {{due}}: it is {{left}}.\n"
	"Assignee: {{assignee}}\nEscalation: {{level}}{{late}}\n{{link}}\n"
	"-- \n"
	"Reply to act, with commands on their own lines at the top of your reply:\n"
	"#ack (stops the escalation), #status open|in_progress|pending|resolved,\n"
	"#assign NAME, #priority low|medium|high|critical.\n",
	"Subject: [#{{ticket}}] {{event}}: {{subject}}\n\n"
	"{{ticket}} \"{{subject}}\": {{event}} {{detail}}\n"
	"Priority {{priority}}, status {{status}}, queue {{queue}}, assignee {{assignee}}.\n"
	"{{link}}\n",
	"Subject: SLA digest: {{count}} notices\n\n"
	"These fired late (the escalator was away or behind), one line each:\n\n"
	"{{items}}\n"
	"-- \n"
	"Reply to a ticket's own mail to act on it; #ack stops its escalation.\n",
};

const char *
sla_template_file(enum sla_tmpl t)
{
	return (unsigned)t < SLA_TMPL_COUNT ? tmpl_files[t] : "?";
}

const char *const *
sla_template_placeholders(void)
{
	return tmpl_placeholders;
}

static void
load_templates(struct sla_config *c, const struct config *cfg, struct tk_errlist *errs)
{
	for (int i = 0; i < SLA_TMPL_COUNT; i++) {
		char *path = cfg->convo && cfg->convo->templates_dir ?
		             xasprintf("%s/%s", cfg->convo->templates_dir, tmpl_files[i]) : NULL;
		struct tk_err err = { 0 };
		struct buf b;

		buf_init(&b, 1 << 20);
		if (path && buf_read_file(&b, path) == 0) {
			if (compose_template_check(b.data ? b.data : "", tmpl_placeholders, &err) < 0)
				tk_errlist_add(errs, path, 0, 0, "%s", err.msg);
			else
				c->tmpl[i] = buf_steal(&b, NULL);
		} else if (path && errno != ENOENT) {
			tk_errlist_add(errs, path, 0, 0, "cannot read: %s", strerror(errno));
		}
		if (c->tmpl[i] == NULL)
			c->tmpl[i] = xstrdup(tmpl_builtin[i]);
		buf_fini(&b);
		free(path);
	}
}

const char *const *
sla_config_keys(void)
{
	return all_keys;
}

const char *
sla_event_name(enum sla_event ev)
{
	return (unsigned)ev < SLA_EV_COUNT ? event_names[ev] : "?";
}

/* The shipped defaults, used when sla.policies is absent. */
static const struct {
	const char *name;
	int64_t response_s, resolution_s;
} default_policies[] = {
	{ "critical", 3600, 4 * 3600 },
	{ "high", 4 * 3600, 24 * 3600 },
	{ "medium", 8 * 3600, 72 * 3600 },
	{ "low", 24 * 3600, 120 * 3600 },
};

int
sla_target_parse(const char *s, struct sla_target *t_r)
{
	static const struct { const char *word; enum sla_target_kind kind; } words[] = {
		{ "assignee", SLA_TGT_ASSIGNEE }, { "agent", SLA_TGT_AGENT }, { "team", SLA_TGT_TEAM },
		{ "lead", SLA_TGT_LEAD }, { "mail", SLA_TGT_MAIL }, { "slack", SLA_TGT_SLACK },
	};
	const char *colon = strchr(s, ':');
	size_t wl = colon ? (size_t)(colon - s) : strlen(s);

	memset(t_r, 0, sizeof(*t_r));
	if (colon == NULL && strchr(s, '@') != NULL) {
		t_r->kind = SLA_TGT_MAIL;
		t_r->name = xstrdup(s);
		return 0;
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strlen(words[i].word) != wl || strncmp(s, words[i].word, wl) != 0)
			continue;
		t_r->kind = words[i].kind;
		if (colon && colon[1] == '\0')
			return -1;
		if (colon == NULL && (t_r->kind == SLA_TGT_AGENT || t_r->kind == SLA_TGT_MAIL))
			return -1;   /* these need a name */
		if (colon && t_r->kind == SLA_TGT_ASSIGNEE)
			return -1;
		t_r->name = colon ? xstrdup(colon + 1) : NULL;
		return 0;
	}
	return -1;
}

static void
targets_free(struct sla_targets *ts)
{
	for (size_t i = 0; i < ts->n; i++)
		xfree(&ts->v[i].name);
	xfree(&ts->v);
	ts->n = 0;
}

/* Check that a target names something that exists. */
static void
target_check(const struct sla_config *c, const struct config *cfg, const struct sla_target *t,
             const struct ynode *n, struct tk_errlist *errs)
{
	switch (t->kind) {
	case SLA_TGT_AGENT:
		if (config_agent_by_name(cfg, t->name) == NULL)
			ynode_error(errs, n, "no agent named \"%s\" (agents:)", t->name);
		break;
	case SLA_TGT_TEAM:
	case SLA_TGT_LEAD:
		if (t->name && sla_team_named(c, t->name) == NULL)
			ynode_error(errs, n, "no team named \"%s\" (teams:)", t->name);
		break;
	case SLA_TGT_MAIL:
		if (cfg->smtp == NULL)
			ynode_error(errs, n, "\"%s\": mail needs an smtp: section", t->name);
		else if (strchr(t->name, '@') == NULL)
			ynode_error(errs, n, "\"%s\" is not a mail address", t->name);
		break;
	case SLA_TGT_SLACK:
		if (cfg->slack == NULL)
			ynode_error(errs, n, "slack targets need a slack: section");
		else if (!slack_webhook_known(cfg->slack, t->name))
			ynode_error(errs, n, "no slack webhook named \"%s\" (slack.webhooks)",
			            t->name ? t->name : "default");
		break;
	case SLA_TGT_ASSIGNEE:
		break;
	}
}

/* A list of targets: a sequence of strings (or one string). */
static void
targets_load(const struct sla_config *c, const struct config *cfg, const struct ynode *n,
             struct sla_targets *out, struct tk_errlist *errs)
{
	size_t count = n->kind == YNODE_SEQ ? n->n : 1;

	if (n->kind == YNODE_MAP) {
		ynode_error(errs, n, "notify must be a list of targets (assignee, agent:NAME, "
		            "team[:NAME], lead[:NAME], ADDRESS, slack[:NAME])");
		return;
	}
	out->v = xcalloc(count, sizeof(*out->v));
	for (size_t i = 0; i < count; i++) {
		const struct ynode *item = n->kind == YNODE_SEQ ? n->items[i] : n;
		const char *s;

		if (ynode_str(item, &s, errs) < 0)
			continue;
		if (sla_target_parse(s, &out->v[out->n]) < 0) {
			ynode_error(errs, item, "\"%s\" is not a target (assignee, agent:NAME, team[:NAME], "
			            "lead[:NAME], ADDRESS, mail:ADDRESS, slack[:NAME])", s);
			continue;
		}
		target_check(c, cfg, &out->v[out->n], item, errs);
		out->n++;
	}
}

static void
load_warnings(struct sla_config *c, const struct ynode *n, struct tk_errlist *errs)
{
	if (n->kind != YNODE_SEQ || n->n > 8) {
		ynode_error(errs, n, "sla.warnings must be a list of up to 8 shares (\"75%%\")");
		return;
	}
	c->n_warn = 0;
	for (size_t i = 0; i < n->n; i++) {
		const char *s;
		char *end;
		double v;

		if (ynode_str(n->items[i], &s, errs) < 0)
			continue;
		v = strtod(s, &end);
		if (end == s || strcmp(end, "%") != 0 || v <= 0 || v >= 100) {
			ynode_error(errs, n->items[i], "\"%s\" is not a share between 0%% and 100%% "
			            "(e.g. 75%%)", s);
			continue;
		}
		c->warn_permille[c->n_warn] = (int)(v * 10 + 0.5);
		if (c->n_warn > 0 && c->warn_permille[c->n_warn] <= c->warn_permille[c->n_warn - 1]) {
			ynode_error(errs, n->items[i], "sla.warnings must be in ascending order");
			continue;
		}
		c->n_warn++;
	}
}

static void
load_calendars(struct sla_config *c, const struct ynode *n, struct tk_errlist *errs)
{
	if (n->kind != YNODE_MAP) {
		ynode_error(errs, n, "sla.calendars must be a mapping of name: calendar");
		return;
	}
	c->calendars = xcalloc(n->n, sizeof(*c->calendars));
	for (size_t i = 0; i < n->n; i++) {
		const char *name = n->keys[i]->scalar;
		struct sla_calendar *cal = NULL;

		if (strcmp(name, "24x7") == 0) {
			ynode_error(errs, n->keys[i], "calendar 24x7 is built in and cannot be redefined");
			continue;
		}
		if (sla_calendar_load(name, n->items[i], &cal, errs) == 0)
			c->calendars[c->n_calendars++] = cal;
	}
}

static int64_t
opt_seconds(const struct ynode *map, const char *key, int64_t dflt, struct tk_errlist *errs)
{
	int64_t ms = dflt * 1000;

	ynode_opt_ms(map, key, &ms, errs);
	return ms / 1000;
}

static void
load_match(struct sla_match *m, const struct ynode *n, struct tk_errlist *errs)
{
	if (ynode_check_keys(n, match_keys, "sla policy match", errs))
		return;
	ynode_opt_str(n, "tenant", &m->tenant, errs);
	ynode_opt_str(n, "priority", &m->priority, errs);
	ynode_opt_str(n, "queue", &m->queue, errs);
	ynode_opt_str(n, "category", &m->category, errs);
	ynode_opt_str(n, "type", &m->type, errs);
}

static void
load_policy(struct sla_config *c, const struct ynode *n, struct tk_errlist *errs)
{
	struct sla_policy *p = &c->policies[c->n_policies];
	const struct ynode *t;
	char *calendar = NULL;

	if (ynode_check_keys(n, policy_keys, "sla policy", errs) && n->kind != YNODE_MAP)
		return;
	memset(p, 0, sizeof(*p));
	ynode_opt_str(n, "name", &p->name, errs);
	if (p->name == NULL) {
		ynode_error(errs, n, "an sla policy needs a name");
		return;
	}
	for (size_t i = 0; i < c->n_policies; i++)
		if (strcmp(c->policies[i].name, p->name) == 0)
			ynode_error(errs, n, "sla policy \"%s\" is defined twice", p->name);
	if ((t = ynode_get(n, "match")) != NULL)
		load_match(&p->match, t, errs);
	p->response_s = opt_seconds(n, "response", 0, errs);
	p->resolution_s = opt_seconds(n, "resolution", 0, errs);
	if (p->response_s <= 0 || p->resolution_s <= 0)
		ynode_error(errs, n, "sla policy \"%s\" needs response and resolution targets of at "
		            "least 1s", p->name);
	ynode_opt_str(n, "calendar", &calendar, errs);
	p->calendar = sla_calendar_named(c, calendar ? calendar : "24x7");
	if (p->calendar == NULL)
		ynode_error(errs, ynode_get(n, "calendar"), "no calendar named \"%s\" (sla.calendars)",
		            calendar);
	free(calendar);
	ynode_opt_str(n, "chain", &p->chain, errs);
	if (p->chain && sla_chain_named(c, p->chain) == NULL)
		ynode_error(errs, ynode_get(n, "chain"), "sla policy %s: no chain named \"%s\"",
		            p->name, p->chain);
	if (p->match.priority && lc_priority_canonical(p->match.priority) == NULL)
		ynode_error(errs, n, "sla policy %s: priority must be one of " LC_PRIORITY_WORDS, p->name);
	else if (p->match.priority) {   /* matched against the stored, canonical name */
		char *canon = xstrdup(lc_priority_canonical(p->match.priority));

		free(p->match.priority);
		p->match.priority = canon;
	}
	ynode_opt_bool(n, "notify_on_create", &p->notify_on_create, errs);
	c->n_policies++;
}

static void
load_policies(struct sla_config *c, const struct ynode *n, struct tk_errlist *errs)
{
	if (n == NULL) {
		size_t k = sizeof(default_policies) / sizeof(default_policies[0]);

		c->policies = xcalloc(k, sizeof(*c->policies));
		for (size_t i = 0; i < k; i++) {
			struct sla_policy *p = &c->policies[c->n_policies++];

			p->name = xstrdup(default_policies[i].name);
			p->match.priority = xstrdup(default_policies[i].name);
			p->response_s = default_policies[i].response_s;
			p->resolution_s = default_policies[i].resolution_s;
			p->calendar = sla_calendar_24x7();
		}
		return;
	}
	if (n->kind != YNODE_SEQ) {
		ynode_error(errs, n, "sla.policies must be a list");
		return;
	}
	c->policies = xcalloc(n->n + 1, sizeof(*c->policies));
	for (size_t i = 0; i < n->n; i++)
		load_policy(c, n->items[i], errs);
}

static void
load_level(struct sla_config *c, const struct config *cfg, struct sla_chain *ch,
           const struct ynode *n, struct tk_errlist *errs)
{
	struct sla_level *l = &ch->levels[ch->n_levels];
	const struct ynode *t;

	if (ynode_check_keys(n, level_keys, "escalation level", errs) && n->kind != YNODE_MAP)
		return;
	memset(l, 0, sizeof(*l));
	l->after_s = opt_seconds(n, "after", 0, errs);
	if (ch->n_levels > 0 && l->after_s < ch->levels[ch->n_levels - 1].after_s)
		ynode_error(errs, n, "chain \"%s\": levels must come in order of their after:", ch->name);
	if ((t = ynode_get(n, "notify")) == NULL)
		ynode_error(errs, n, "an escalation level needs notify:");
	else
		targets_load(c, cfg, t, &l->targets, errs);
	ch->n_levels++;
}

static void
load_chain(struct sla_config *c, const struct config *cfg, const char *name,
           const struct ynode *n, struct tk_errlist *errs)
{
	struct sla_chain *ch = &c->chains[c->n_chains];
	const struct ynode *lv = ynode_get(n, "levels");
	const struct ynode *st = ynode_get(n, "start");
	const char *s;

	if (ynode_check_keys(n, chain_keys, "escalation chain", errs) && n->kind != YNODE_MAP)
		return;
	memset(ch, 0, sizeof(*ch));
	ch->name = xstrdup(name);
	if (st != NULL && ynode_str(st, &s, errs) == 0) {
		if (strcmp(s, "warning") == 0)
			ch->start = SLA_START_WARNING;
		else if (strcmp(s, "breach") != 0)
			ynode_error(errs, st, "a chain starts at breach or warning");
	}
	if (lv == NULL || lv->kind != YNODE_SEQ || lv->n == 0) {
		ynode_error(errs, lv ? lv : n, "chain \"%s\" needs a list of levels", name);
	} else {
		ch->levels = xcalloc(lv->n, sizeof(*ch->levels));
		for (size_t i = 0; i < lv->n; i++)
			load_level(c, cfg, ch, lv->items[i], errs);
	}
	ynode_opt_int(n, "repeat", 0, 100, &ch->repeat, errs);
	ch->every_s = opt_seconds(n, "every", 1800, errs);
	if (ch->repeat > 0 && ch->every_s < 1)
		ynode_error(errs, n, "chain \"%s\": every must be at least 1s", name);
	c->n_chains++;
}

/* The chains, then a "default" one (the assignee at the breach) when not defined. */
static void
load_chains(struct sla_config *c, const struct config *cfg, const struct ynode *n,
            struct tk_errlist *errs)
{
	size_t count = n && n->kind == YNODE_MAP ? n->n : 0;

	if (n != NULL && n->kind != YNODE_MAP)
		ynode_error(errs, n, "sla.chains must be a mapping of name: chain");
	c->chains = xcalloc(count + 1, sizeof(*c->chains));
	for (size_t i = 0; i < count; i++)
		load_chain(c, cfg, n->keys[i]->scalar, n->items[i], errs);
	if (sla_chain_named(c, "default") == NULL) {
		struct sla_chain *ch = &c->chains[c->n_chains++];

		ch->name = xstrdup("default");
		ch->levels = xcalloc(1, sizeof(*ch->levels));
		ch->n_levels = 1;
		ch->levels[0].targets.v = xcalloc(1, sizeof(struct sla_target));
		ch->levels[0].targets.v[0].kind = SLA_TGT_ASSIGNEE;
		ch->levels[0].targets.n = 1;
	}
}

static void
load_team(struct sla_config *c, const struct config *cfg, const struct ynode *n,
          struct tk_errlist *errs)
{
	struct sla_team *t = &c->teams[c->n_teams];
	const struct ynode *m = ynode_get(n, "members");

	if (ynode_check_keys(n, team_keys, "team", errs) && n->kind != YNODE_MAP)
		return;
	memset(t, 0, sizeof(*t));
	ynode_opt_str(n, "name", &t->name, errs);
	if (t->name == NULL) { /* nothing read yet: the slot is reused by the next one */
		ynode_error(errs, n, "a team needs a name");
		return;
	}
	ynode_opt_str(n, "lead", &t->lead, errs);
	if (t->lead && config_agent_by_name(cfg, t->lead) == NULL)
		ynode_error(errs, ynode_get(n, "lead"), "team %s: no agent named \"%s\"", t->name, t->lead);
	if (m != NULL && m->kind != YNODE_SEQ)
		ynode_error(errs, m, "team %s: members must be a list of agent names", t->name);
	if (m != NULL && m->kind == YNODE_SEQ) {
		t->members = xcalloc(m->n, sizeof(*t->members));
		for (size_t i = 0; i < m->n; i++) {
			const char *s;

			if (ynode_str(m->items[i], &s, errs) < 0)
				continue;
			if (config_agent_by_name(cfg, s) == NULL)
				ynode_error(errs, m->items[i], "team %s: no agent named \"%s\"", t->name, s);
			t->members[t->n_members++] = xstrdup(s);
		}
	}
	c->n_teams++;
}

static void
load_queue(struct sla_config *c, const struct config *cfg, const struct ynode *n,
           struct tk_errlist *errs)
{
	struct sla_queue *q = &c->queues[c->n_queues];
	const struct ynode *nt = ynode_get(n, "notify");

	if (ynode_check_keys(n, queue_keys, "queue", errs) && n->kind != YNODE_MAP)
		return;
	memset(q, 0, sizeof(*q));
	ynode_opt_str(n, "name", &q->name, errs);
	if (q->name == NULL) { /* nothing read yet: the slot is reused by the next one */
		ynode_error(errs, n, "a queue needs a name");
		return;
	}
	ynode_opt_str(n, "team", &q->team, errs);
	ynode_opt_str(n, "chain", &q->chain, errs);
	if (q->team && sla_team_named(c, q->team) == NULL)
		ynode_error(errs, ynode_get(n, "team"), "queue %s: no team named \"%s\"", q->name,
		            q->team);
	if (q->chain && sla_chain_named(c, q->chain) == NULL)
		ynode_error(errs, ynode_get(n, "chain"), "queue %s: no chain named \"%s\"", q->name,
		            q->chain);
	agent_queue_load(n, &q->assign, &q->on_away_reassign, errs);   /* agent_config.c */
	if (q->assign != 0 && q->team == NULL)
		ynode_error(errs, ynode_get(n, "assign"), "queue %s: assign needs a team (its "
		            "members are the candidates)", q->name);
	if (nt != NULL && nt->kind != YNODE_MAP)
		ynode_error(errs, nt, "queue %s: notify must map events to targets", q->name);
	for (size_t i = 0; nt && nt->kind == YNODE_MAP && i < nt->n; i++) {
		int ev = -1;

		for (int k = 0; k < SLA_EV_COUNT; k++)
			if (strcmp(nt->keys[i]->scalar, event_names[k]) == 0)
				ev = k;
		if (ev < 0) {
			ynode_error(errs, nt->keys[i], "unknown event \"%s\" (created, assigned, status, "
			            "customer_reply, warning, breach, escalation, resolved, closed, "
			            "unassigned)",
			            nt->keys[i]->scalar);
			continue;
		}
		targets_load(c, cfg, nt->items[i], &q->notify[ev], errs);
		q->notify_set[ev] = true;
	}
	c->n_queues++;
}

static void
load_seq(struct sla_config *c, const struct config *cfg, const struct ynode *n, const char *what,
         void (*one)(struct sla_config *, const struct config *, const struct ynode *,
                     struct tk_errlist *),
         size_t elem, void **arr, struct tk_errlist *errs)
{
	if (n == NULL)
		return;
	if (n->kind != YNODE_SEQ) {
		ynode_error(errs, n, "%s must be a list", what);
		return;
	}
	*arr = xcalloc(n->n + 1, elem);
	for (size_t i = 0; i < n->n; i++)
		one(c, cfg, n->items[i], errs);
}

static void
load_sla(struct sla_config *c, const struct config *cfg, const struct ynode *n,
         struct tk_errlist *errs)
{
	const struct ynode *t;

	if (n != NULL && ynode_check_keys(n, sla_keys, "sla", errs) && n->kind != YNODE_MAP)
		n = NULL;
	if (n != NULL) {
		ynode_opt_bool(n, "enabled", &c->enabled, errs);
		if ((t = ynode_get(n, "warnings")) != NULL)
			load_warnings(c, t, errs);
		c->autoclose_s = opt_seconds(n, "autoclose", c->autoclose_s, errs);
		c->digest_after_s = opt_seconds(n, "digest_after", c->digest_after_s, errs);
		ynode_opt_ms(n, "poll_interval", &c->poll_interval_ms, errs);
		ynode_opt_int(n, "batch", 1, 1000, &c->batch, errs);
		if ((t = ynode_get(n, "calendars")) != NULL)
			load_calendars(c, t, errs);
		if (c->poll_interval_ms < 10 || c->poll_interval_ms > 60000)
			ynode_error(errs, ynode_get(n, "poll_interval") ? ynode_get(n, "poll_interval") : n,
			            "sla.poll_interval must be between 10ms and 60s");
	}
	load_chains(c, cfg, n ? ynode_get(n, "chains") : NULL, errs);
	load_policies(c, n ? ynode_get(n, "policies") : NULL, errs);
}

void
sla_config_load(const struct ynode *root, const struct config *cfg, struct sla_config **out_r,
                struct tk_errlist *errs)
{
	struct sla_config *c = xnew(struct sla_config);

	c->enabled = true;
	c->warn_permille[0] = 750;
	c->warn_permille[1] = 900;
	c->n_warn = 2;
	c->autoclose_s = 48 * 3600;
	c->digest_after_s = 300;
	c->poll_interval_ms = 1000;
	c->batch = 100;
	/* teams first: chains and queues name them */
	load_seq(c, cfg, ynode_get(root, "teams"), "teams", load_team, sizeof(*c->teams),
	         (void **)&c->teams, errs);
	load_sla(c, cfg, ynode_get(root, "sla"), errs);
	load_seq(c, cfg, ynode_get(root, "queues"), "queues", load_queue, sizeof(*c->queues),
	         (void **)&c->queues, errs);
	load_templates(c, cfg, errs);
	*out_r = c;
}

static void
match_fini(struct sla_match *m)
{
	xfree(&m->tenant);
	xfree(&m->priority);
	xfree(&m->queue);
	xfree(&m->category);
	xfree(&m->type);
}

void
sla_config_free(struct sla_config **cp)
{
	struct sla_config *c = *cp;

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_calendars; i++)
		sla_calendar_free(&c->calendars[i]);
	free(c->calendars);
	for (size_t i = 0; i < c->n_policies; i++) {
		xfree(&c->policies[i].name);
		xfree(&c->policies[i].chain);
		match_fini(&c->policies[i].match);
	}
	free(c->policies);
	for (size_t i = 0; i < c->n_chains; i++) {
		for (size_t l = 0; l < c->chains[i].n_levels; l++)
			targets_free(&c->chains[i].levels[l].targets);
		free(c->chains[i].levels);
		xfree(&c->chains[i].name);
	}
	free(c->chains);
	for (size_t i = 0; i < c->n_teams; i++) {
		xfree(&c->teams[i].name);
		xfree(&c->teams[i].lead);
		for (size_t m = 0; m < c->teams[i].n_members; m++)
			xfree(&c->teams[i].members[m]);
		free(c->teams[i].members);
	}
	free(c->teams);
	for (size_t i = 0; i < c->n_queues; i++) {
		xfree(&c->queues[i].name);
		xfree(&c->queues[i].team);
		xfree(&c->queues[i].chain);
		for (int e = 0; e < SLA_EV_COUNT; e++)
			targets_free(&c->queues[i].notify[e]);
	}
	free(c->queues);
	for (int i = 0; i < SLA_TMPL_COUNT; i++)
		xfree(&c->tmpl[i]);
	xfree(cp);
}

static bool
field_fits(const char *want, const char *have)
{
	return want == NULL || (have != NULL && strcmp(want, have) == 0);
}

const struct sla_policy *
sla_policy_for(const struct sla_config *c, const struct sla_ticket_facts *f, bool *unknown_r)
{
	if (unknown_r)
		*unknown_r = false;
	if (!c->enabled)
		return NULL;
	if (f->policy && *f->policy) {
		for (size_t i = 0; i < c->n_policies; i++)
			if (strcmp(c->policies[i].name, f->policy) == 0)
				return &c->policies[i];
		if (unknown_r)
			*unknown_r = true;
	}
	for (size_t i = 0; i < c->n_policies; i++) {
		const struct sla_match *m = &c->policies[i].match;

		if (field_fits(m->tenant, f->tenant) && field_fits(m->priority, f->priority) &&
		    field_fits(m->queue, f->queue) && field_fits(m->category, f->category) &&
		    field_fits(m->type, f->type))
			return &c->policies[i];
	}
	return NULL;
}

const struct sla_chain *
sla_chain_named(const struct sla_config *c, const char *name)
{
	for (size_t i = 0; name && i < c->n_chains; i++)
		if (strcmp(c->chains[i].name, name) == 0)
			return &c->chains[i];
	return NULL;
}

const struct sla_team *
sla_team_named(const struct sla_config *c, const char *name)
{
	for (size_t i = 0; name && i < c->n_teams; i++)
		if (strcmp(c->teams[i].name, name) == 0)
			return &c->teams[i];
	return NULL;
}

const struct sla_queue *
sla_queue_named(const struct sla_config *c, const char *name)
{
	for (size_t i = 0; name && i < c->n_queues; i++)
		if (strcmp(c->queues[i].name, name) == 0)
			return &c->queues[i];
	return NULL;
}

const struct sla_calendar *
sla_calendar_named(const struct sla_config *c, const char *name)
{
	if (name == NULL)
		return NULL;
	if (strcmp(name, "24x7") == 0)
		return sla_calendar_24x7();
	for (size_t i = 0; i < c->n_calendars; i++)
		if (strcmp(sla_calendar_name(c->calendars[i]), name) == 0)
			return c->calendars[i];
	return NULL;
}

const struct sla_chain *
sla_chain_for(const struct sla_config *c, const struct sla_policy *p, const char *queue)
{
	const struct sla_queue *q = sla_queue_named(c, queue);
	const struct sla_chain *ch = NULL;

	if (q && q->chain)
		ch = sla_chain_named(c, q->chain);
	if (ch == NULL && p && p->chain)
		ch = sla_chain_named(c, p->chain);
	return ch ? ch : sla_chain_named(c, "default");
}

bool
sla_notify_configured(const struct sla_config *c, const char *queue, enum sla_event ev)
{
	const struct sla_queue *q = c ? sla_queue_named(c, queue) : NULL;

	return q != NULL && q->notify_set[ev];
}

const struct sla_targets *
sla_notify_targets(const struct sla_config *c, const char *queue, enum sla_event ev)
{
	static struct sla_target assignee = { SLA_TGT_ASSIGNEE, NULL };
	static const struct sla_targets warn_default = { &assignee, 1 };
	static const struct sla_targets none = { NULL, 0 };
	const struct sla_queue *q = sla_queue_named(c, queue);

	if (q && q->notify_set[ev])
		return &q->notify[ev];
	return ev == SLA_EV_WARNING ? &warn_default : &none;
}
