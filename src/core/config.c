/*
 * config.c: read ticketd.conf (YAML through ynode) into struct config.
 *
 * Each section has a small loader that checks its keys (unknown fields are
 * errors), types and ranges, and reports every problem with its position;
 * loading goes on after an error so one run shows them all.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "agent_config.h"
#include "config.h"
#include "http_config.h"
#include "lifecycle.h"
#include "mime.h"
#include "convo.h"
#include "notify.h"
#include "outbox.h"
#include "report_config.h"
#include "sla_config.h"
#include "xalloc.h"
#include "ynode.h"

static const char *const default_categories[] = {
	"Onboarding", "Access", "Technical Issue", "Billing", "Feature Request", "Security", "Other",
};

static const char *const top_keys[] = {
	"instance", "user", "database", "log", "workers", "shutdown_timeout", "categories",
	"default_tenant", "mailboxes", "agents", "rules", "scan", "http", "smtp", "slack",
	"outbox", "conversation", "sla", "teams", "queues", "assignment", "csat", "reports", NULL,
};
static const char *const database_keys[] = { "dsn", "prepared_statements", NULL };
static const char *const log_keys[] = { "level", NULL };
static const char *const workers_keys[] = {
	"count", "batch", "batch_bytes", "poll_interval", "max_attempts", "lease_ttl", "max_parts",
	"max_depth", "item_budget", NULL,
};
static const char *const rules_keys[] = { "dir", NULL };
static const char *const agent_keys[] = {
	"name", "email", "display_name", "skills", "slack_id", "hours", NULL,
};
static const char *const mailbox_keys[] = {
	"name", "type", "tenant", "queue", "priority", "path", "processed", "host", "port", "tls",
	"tls_verify", "user", "password_file", "password_env", "xoauth2_token_file", "folder",
	"after", "move_to", "idle", "poll_interval", "message_timeout", "listen", "socket_mode",
	"socket_group", "max_connections", "max_message_size", "command_timeout", NULL,
};

/* Every key path, for the documentation test. */
static const char *const all_keys[] = {
	"instance", "user", "database.dsn", "database.prepared_statements", "log.level", "workers.count", "workers.batch",
	"workers.batch_bytes", "workers.max_parts", "workers.max_depth", "workers.item_budget",
	"workers.poll_interval", "workers.max_attempts", "workers.lease_ttl", "shutdown_timeout",
	"categories", "default_tenant", "rules.dir", "agents.name", "agents.email",
	"agents.display_name", "agents.skills", "agents.slack_id", "mailboxes.name", "mailboxes.type",
	"mailboxes.tenant", "mailboxes.queue", "mailboxes.priority", "mailboxes.path",
	"mailboxes.processed", "mailboxes.host", "mailboxes.port", "mailboxes.tls",
	"mailboxes.tls_verify", "mailboxes.user", "mailboxes.password_file",
	"mailboxes.password_env", "mailboxes.xoauth2_token_file", "mailboxes.folder",
	"mailboxes.after", "mailboxes.move_to", "mailboxes.idle", "mailboxes.poll_interval",
	"mailboxes.message_timeout", "mailboxes.listen", "mailboxes.socket_mode",
	"mailboxes.socket_group", "mailboxes.max_connections", "mailboxes.max_message_size",
	"mailboxes.command_timeout", "scan.enabled", "scan.backend", "scan.signatures",
	"scan.clamd_socket", "scan.clamd_timeout", "scan.max_attachment_size",
	"scan.max_message_size", "scan.blocked_types", "scan.allowed_types", "scan.on_error",
	"scan.reload_check_interval", "scan.notify_channel", "scan.notify_recipient",
	"smtp.url", "smtp.from", "smtp.from_name", "smtp.user", "smtp.password_file",
	"smtp.password_env", "smtp.tls", "smtp.tls_verify", "smtp.timeout", "smtp.connect_timeout",
	"slack.webhook_url_file", "slack.webhook_url_env", "slack.webhooks", "slack.webhooks.url_file",
	"slack.webhooks.url_env", "slack.timeout", "slack.pace", "slack.on_new_ticket",
	"slack.base_url", "slack.signing_secret_file", "slack.signing_secret_env",
	"outbox.max_attempts", "outbox.backoff", "outbox.backoff_max", "outbox.lease",
	"outbox.poll_interval",
	"conversation.address", "conversation.from_name", "conversation.domain",
	"conversation.secret_file", "conversation.secret_env", "conversation.previous_secret_file",
	"conversation.reopen_window", "conversation.acknowledge", "conversation.ack_interval",
	"conversation.ack_burst", "conversation.agent_notify", "conversation.authserv_id",
	"conversation.require_dkim", "conversation.require_dmarc", "conversation.templates",
	NULL,
};

const char *const *
config_keys(void)
{
	return all_keys; /* the http section lists its own: http_config_keys() */
}

/* Match a scalar against a NULL-terminated list of names; index or -1 (error added). */
static int
opt_enum(const struct ynode *map, const char *key, const char *const *names, int *dst,
         struct tk_errlist *errs)
{
	const struct ynode *n = ynode_get(map, key);
	const char *s;

	if (n == NULL)
		return 0;
	if (ynode_str(n, &s, errs) < 0)
		return -1;
	for (int i = 0; names[i]; i++) {
		if (strcmp(s, names[i]) == 0) {
			*dst = i;
			return 0;
		}
	}
	ynode_error(errs, n, "%s: \"%s\" is not one of the allowed values", key, s);
	return -1;
}

/* An optional size of at least min bytes ("16M"). */
static void
opt_size(const struct ynode *map, const char *key, int64_t min, int64_t *dst,
         struct tk_errlist *errs)
{
	const struct ynode *n = ynode_get(map, key);
	int64_t v;

	if (n == NULL || ynode_size(n, &v, errs) < 0)
		return;
	if (v < min)
		ynode_error(errs, n, "%s: must be at least %" PRId64 " bytes", key, min);
	else
		*dst = v;
}

static void
load_agent(struct config *cfg, const struct ynode *n, struct tk_errlist *errs)
{
	struct config_agent *a;
	const struct ynode *skills;

	if (ynode_check_keys(n, agent_keys, "agent", errs) && n->kind != YNODE_MAP)
		return;
	cfg->agents = xreallocarray(cfg->agents, cfg->n_agents + 1, sizeof(*cfg->agents));
	a = &cfg->agents[cfg->n_agents++];
	memset(a, 0, sizeof(*a));
	ynode_opt_str(n, "name", &a->name, errs);
	ynode_opt_str(n, "email", &a->email, errs);
	ynode_opt_str(n, "display_name", &a->display_name, errs);
	ynode_opt_str(n, "slack_id", &a->slack_id, errs);
	ynode_opt_str(n, "hours", &a->hours, errs);   /* a calendar: checked in agent_config.c */
	if (a->name == NULL)
		ynode_error(errs, n, "agent needs a name");
	if (a->email == NULL || strchr(a->email, '@') == NULL)
		ynode_error(errs, n, "agent needs an email address");
	else
		for (char *c = a->email; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	skills = ynode_get(n, "skills");
	if (skills == NULL)
		return;
	if (skills->kind != YNODE_MAP) {
		ynode_error(errs, skills, "skills must be a mapping of skill: level (1-5)");
		return;
	}
	a->skills = xcalloc(skills->n, sizeof(*a->skills));
	a->levels = xcalloc(skills->n, sizeof(*a->levels));
	for (size_t i = 0; i < skills->n; i++) {
		int64_t lvl = 0;

		if (ynode_int(skills->items[i], LC_SKILL_MIN, LC_SKILL_MAX, &lvl, errs) < 0)
			continue;
		a->skills[a->n_skills] = xstrdup(skills->keys[i]->scalar);
		a->levels[a->n_skills++] = (int)lvl;
	}
}

static void
mailbox_defaults(struct config_mailbox *m)
{
	m->tenant = xstrdup("default");
	m->queue = xstrdup("support");
	m->priority = xstrdup("medium");
	m->folder = xstrdup("INBOX");
	m->move_to = xstrdup("Processed");
	m->tls_verify = true;
	m->idle = true;
	m->poll_interval_ms = 60000;
	m->message_timeout_ms = 120000;
}

/* The keys of an lmtp mailbox; its defaults first. */
static void
load_mailbox_lmtp(struct config_mailbox *m, const struct ynode *n, struct tk_errlist *errs)
{
	const struct ynode *mode = ynode_get(n, "socket_mode");
	const char *s;
	char *end;
	long v;

	m->socket_mode = 0660;
	m->max_connections = 8;
	m->max_message_size = 64 * 1024 * 1024;
	m->command_timeout_ms = 300000;
	m->message_timeout_ms = 600000;
	ynode_opt_strv(n, "listen", &m->listen, &m->n_listen, errs);
	if (mode != NULL && ynode_str(mode, &s, errs) == 0) {
		v = strtol(s, &end, 8);
		if (*s == '\0' || *end != '\0' || v < 0 || v > 0777)
			ynode_error(errs, mode, "socket_mode must be octal permissions such as \"0660\"");
		else
			m->socket_mode = (int)v;
	}
	ynode_opt_str(n, "socket_group", &m->socket_group, errs);
	ynode_opt_int(n, "max_connections", 1, 256, &m->max_connections, errs);
	opt_size(n, "max_message_size", 1024, &m->max_message_size, errs);
	if (m->max_message_size > 64 * 1024 * 1024)
		ynode_error(errs, ynode_get(n, "max_message_size"), "max_message_size: at most 64M "
		            "(the largest message ticketd stages)");
	ynode_opt_ms(n, "command_timeout", &m->command_timeout_ms, errs);
	if (m->n_listen == 0)
		ynode_error(errs, n, "lmtp mailbox \"%s\" needs listen: a socket path or ADDRESS:PORT",
		            m->name ? m->name : "");
	for (size_t i = 0; i < m->n_listen; i++)
		if (m->listen[i][0] != '/' && strrchr(m->listen[i], ':') == NULL)
			ynode_error(errs, ynode_get(n, "listen"), "listen \"%s\" is neither an absolute "
			            "socket path nor ADDRESS:PORT", m->listen[i]);
}

static void
check_mailbox(const struct config_mailbox *m, const struct ynode *n, struct tk_errlist *errs)
{
	if (m->name == NULL || m->name[0] == '\0')
		ynode_error(errs, n, "mailbox needs a name");
	if (lc_priority_canonical(m->priority) == NULL)
		ynode_error(errs, ynode_get(n, "priority") ? ynode_get(n, "priority") : n,
		            "priority must be one of " LC_PRIORITY_WORDS);
	if (m->kind == MAILBOX_MAILDIR && m->path == NULL)
		ynode_error(errs, n, "maildir mailbox \"%s\" needs a path", m->name ? m->name : "");
	if (m->kind == MAILBOX_IMAP) {
		if (m->host == NULL || m->user == NULL)
			ynode_error(errs, n, "imap mailbox \"%s\" needs host and user",
			            m->name ? m->name : "");
		if (m->password_file == NULL && m->password_env == NULL && m->xoauth2_token_file == NULL)
			ynode_error(errs, n, "imap mailbox \"%s\" needs password_file, password_env "
			            "or xoauth2_token_file", m->name ? m->name : "");
	}
}

static void
load_mailbox(struct config *cfg, const struct ynode *n, struct tk_errlist *errs)
{
	static const char *const kinds[] = { "maildir", "imap", "pipe", "lmtp", NULL };
	static const char *const tlsmodes[] = { "tls", "starttls", "none", NULL };
	static const char *const afters[] = { "move", "seen", NULL };
	struct config_mailbox *m;
	int kind = -1, tls = IMAP_TLS, after = IMAP_AFTER_MOVE;

	if (ynode_check_keys(n, mailbox_keys, "mailbox", errs) && n->kind != YNODE_MAP)
		return;
	cfg->mailboxes = xreallocarray(cfg->mailboxes, cfg->n_mailboxes + 1, sizeof(*cfg->mailboxes));
	m = &cfg->mailboxes[cfg->n_mailboxes++];
	memset(m, 0, sizeof(*m));
	mailbox_defaults(m);
	ynode_opt_str(n, "name", &m->name, errs);
	if (ynode_get(n, "type") == NULL)
		ynode_error(errs, n, "mailbox needs a type (maildir, imap, pipe or lmtp)");
	opt_enum(n, "type", kinds, &kind, errs);
	m->kind = kind < 0 ? MAILBOX_PIPE : (enum mailbox_kind)kind;
	ynode_opt_str(n, "tenant", &m->tenant, errs);
	ynode_opt_str(n, "queue", &m->queue, errs);
	ynode_opt_str(n, "priority", &m->priority, errs);
	ynode_opt_str(n, "path", &m->path, errs);
	ynode_opt_str(n, "processed", &m->processed, errs);
	ynode_opt_str(n, "host", &m->host, errs);
	m->port = 0;
	ynode_opt_int(n, "port", 1, 65535, &m->port, errs);
	opt_enum(n, "tls", tlsmodes, &tls, errs);
	m->tls = (enum imap_tls)tls;
	if (m->port == 0)
		m->port = m->tls == IMAP_TLS ? 993 : 143;
	ynode_opt_bool(n, "tls_verify", &m->tls_verify, errs);
	ynode_opt_str(n, "user", &m->user, errs);
	ynode_opt_str(n, "password_file", &m->password_file, errs);
	ynode_opt_str(n, "password_env", &m->password_env, errs);
	ynode_opt_str(n, "xoauth2_token_file", &m->xoauth2_token_file, errs);
	ynode_opt_str(n, "folder", &m->folder, errs);
	opt_enum(n, "after", afters, &after, errs);
	m->after = (enum imap_after)after;
	ynode_opt_str(n, "move_to", &m->move_to, errs);
	ynode_opt_bool(n, "idle", &m->idle, errs);
	if (m->kind == MAILBOX_MAILDIR)
		m->poll_interval_ms = 1000;
	ynode_opt_ms(n, "poll_interval", &m->poll_interval_ms, errs);
	if (m->kind == MAILBOX_LMTP)
		load_mailbox_lmtp(m, n, errs);
	ynode_opt_ms(n, "message_timeout", &m->message_timeout_ms, errs);
	check_mailbox(m, n, errs);
	if (lc_priority_canonical(m->priority)) {   /* stored by its canonical name */
		char *p = xstrdup(lc_priority_canonical(m->priority));

		free(m->priority);
		m->priority = p;
	}
	for (size_t i = 0; i + 1 < cfg->n_mailboxes && m->name; i++)
		if (cfg->mailboxes[i].name && strcmp(cfg->mailboxes[i].name, m->name) == 0)
			ynode_error(errs, n, "mailbox \"%s\" is defined twice", m->name);
}

static void
load_list(struct config *cfg, const struct ynode *root, const char *key,
          void (*one)(struct config *, const struct ynode *, struct tk_errlist *),
          struct tk_errlist *errs)
{
	const struct ynode *n = ynode_get(root, key);

	if (n == NULL)
		return;
	if (n->kind != YNODE_SEQ) {
		ynode_error(errs, n, "%s must be a list", key);
		return;
	}
	for (size_t i = 0; i < n->n; i++)
		one(cfg, n->items[i], errs);
}

static void
load_categories(struct config *cfg, const struct ynode *root, struct tk_errlist *errs)
{
	const struct ynode *n = ynode_get(root, "categories");
	size_t count = sizeof(default_categories) / sizeof(default_categories[0]);

	if (n != NULL && n->kind != YNODE_SEQ) {
		ynode_error(errs, n, "categories must be a list of names");
		n = NULL;
	}
	if (n != NULL)
		count = n->n;
	cfg->categories = xcalloc(count, sizeof(*cfg->categories));
	for (size_t i = 0; i < count; i++) {
		const char *s = default_categories[i < 7 ? i : 0];

		if (n != NULL && ynode_str(n->items[i], &s, errs) < 0)
			continue;
		cfg->categories[cfg->n_categories++] = xstrdup(s);
	}
}

/* The longest time one outbox send may take (smtp or slack). */
static int64_t
send_timeout_ms(const struct config *cfg)
{
	int64_t t = 0;

	if (cfg->smtp)
		t = cfg->smtp->timeout_ms + cfg->smtp->connect_timeout_ms;
	if (cfg->slack && cfg->slack->timeout_ms > t)
		t = cfg->slack->timeout_ms;
	return t;
}

/* A notice channel must be configured, and smtp needs a recipient address. */
static void
check_notify(const struct config *cfg, const char *key, const char *channel,
             const char *recipient, struct tk_errlist *errs)
{
	if (channel == NULL)
		return;
	if (strcmp(channel, "smtp") == 0 && cfg->smtp == NULL)
		tk_errlist_add(errs, cfg->path, 0, 0, "%s is smtp but there is no smtp: section", key);
	else if (strcmp(channel, "smtp") == 0 && (recipient == NULL || !strchr(recipient, '@')))
		tk_errlist_add(errs, cfg->path, 0, 0, "%s is smtp: the notify_recipient must be an "
		               "address", key);
	else if (strcmp(channel, "slack") == 0 && cfg->slack == NULL)
		tk_errlist_add(errs, cfg->path, 0, 0, "%s is slack but there is no slack: section", key);
}

static void
load_sections(struct config *cfg, const struct ynode *root, struct tk_errlist *errs)
{
	const struct ynode *sec;
	const char *lvl = NULL;

	ynode_check_keys(root, top_keys, "the configuration", errs);
	ynode_opt_str(root, "instance", &cfg->instance, errs);
	ynode_opt_str(root, "user", &cfg->user, errs);
	if (cfg->user != NULL && cfg->user[0] == '\0')
		ynode_error(errs, ynode_get(root, "user"), "user must name a user");
	ynode_opt_str(root, "default_tenant", &cfg->default_tenant, errs);
	ynode_opt_ms(root, "shutdown_timeout", &cfg->shutdown_timeout_ms, errs);
	if ((sec = ynode_get(root, "database")) != NULL &&
	    ynode_check_keys(sec, database_keys, "database", errs) == 0) {
		ynode_opt_str(sec, "dsn", &cfg->dsn, errs);
		ynode_opt_bool(sec, "prepared_statements", &cfg->prepared_statements, errs);
	}
	if ((sec = ynode_get(root, "log")) != NULL && ynode_check_keys(sec, log_keys, "log", errs) == 0) {
		const struct ynode *l = ynode_get(sec, "level");

		if (l != NULL && ynode_str(l, &lvl, errs) == 0 && log_level_parse(lvl, &cfg->log_level) < 0)
			ynode_error(errs, l, "log level must be error, warn, info or debug");
	}
	if ((sec = ynode_get(root, "workers")) != NULL &&
	    ynode_check_keys(sec, workers_keys, "workers", errs) == 0) {
		ynode_opt_int(sec, "count", 1, 64, &cfg->workers, errs);
		ynode_opt_int(sec, "batch", 1, 1000, &cfg->batch, errs);
		opt_size(sec, "batch_bytes", 64 * 1024, &cfg->batch_bytes, errs);
		ynode_opt_ms(sec, "poll_interval", &cfg->poll_interval_ms, errs);
		ynode_opt_int(sec, "max_attempts", 1, 1000, &cfg->max_attempts, errs);
		ynode_opt_ms(sec, "lease_ttl", &cfg->lease_ttl_ms, errs);
		ynode_opt_int(sec, "max_parts", 1, 1000000, &cfg->max_parts, errs);
		ynode_opt_int(sec, "max_depth", 1, MIME_MAX_DEPTH, &cfg->max_depth, errs);
		ynode_opt_ms(sec, "item_budget", &cfg->item_budget_ms, errs);
	}
	if ((sec = ynode_get(root, "rules")) != NULL && ynode_check_keys(sec, rules_keys, "rules", errs) == 0)
		ynode_opt_str(sec, "dir", &cfg->rules_dir, errs);
	scan_config_load(ynode_get(root, "scan"), &cfg->scan, errs);
	if ((sec = ynode_get(root, "http")) != NULL)
		http_config_load(sec, &cfg->http, errs);
	if ((sec = ynode_get(root, "smtp")) != NULL)
		smtp_config_load(sec, &cfg->smtp, errs);
	if ((sec = ynode_get(root, "slack")) != NULL)
		slack_config_load(sec, &cfg->slack, errs);
	if ((sec = ynode_get(root, "outbox")) != NULL)
		outbox_config_load(sec, cfg->outbox, errs);
	if ((sec = ynode_get(root, "conversation")) != NULL)
		convo_config_load(sec, cfg->smtp != NULL, &cfg->convo, errs);
	outbox_config_check(cfg->outbox, send_timeout_ms(cfg), cfg->path, errs);
	check_notify(cfg, "scan.notify_channel", cfg->scan.notify_channel, cfg->scan.notify_recipient,
	             errs);
	if (cfg->http != NULL)
		check_notify(cfg, "http.incidents.notify_channel", cfg->http->notify_channel,
		             cfg->http->notify_recipient, errs);
	load_categories(cfg, root, errs);
	load_list(cfg, root, "agents", load_agent, errs);
	load_list(cfg, root, "mailboxes", load_mailbox, errs);
	/* after agents, smtp and slack: its names refer to them */
	sla_config_load(root, cfg, &cfg->sla, errs);
	/* after sla: working hours are its calendars, reports name its teams */
	agent_config_load(root, cfg, &cfg->agent, errs);
	report_config_load(root, cfg, &cfg->reports, errs);
}

static void
config_defaults(struct config *cfg)
{
	char host[256] = "ticketd";

	gethostname(host, sizeof(host) - 1);
	cfg->instance = xasprintf("%s:%d", host, (int)getpid());
	cfg->log_level = LOG_LVL_INFO;
	cfg->prepared_statements = true;
	cfg->workers = 2;
	cfg->batch = 64;
	cfg->batch_bytes = 16 * 1024 * 1024;
	cfg->poll_interval_ms = 200;
	cfg->max_attempts = 5;
	cfg->shutdown_timeout_ms = 10000;
	cfg->lease_ttl_ms = 30000;
	cfg->max_parts = MIME_DEFAULT_MAX_PARTS;
	cfg->max_depth = MIME_DEFAULT_MAX_DEPTH;
	cfg->item_budget_ms = 30000;
	cfg->default_tenant = xstrdup("default");
	scan_config_init(&cfg->scan);
	cfg->outbox = xnew(struct outbox_config);
	outbox_config_defaults(cfg->outbox);
}

int
config_load(const char *path, struct config **cfg_r, struct tk_errlist *errs)
{
	struct ynode *root = NULL;
	struct config *cfg;
	size_t before = errs->n;

	*cfg_r = NULL;
	if (ynode_load_file(path, &root, errs) < 0)
		return -1;
	cfg = xnew(struct config);
	cfg->refs = 1;
	cfg->path = xstrdup(path);
	config_defaults(cfg);
	if (root->kind != YNODE_MAP)
		ynode_error(errs, root, "the configuration must be a mapping");
	else
		load_sections(cfg, root, errs);
	if (cfg->dsn == NULL && getenv("TICKETD_DSN") == NULL)
		tk_errlist_add(errs, path, 0, 0, "database.dsn is not set (nor is TICKETD_DSN)");
	ynode_free(&root);
	if (errs->n > before) {
		config_unref(&cfg);
		return -1;
	}
	*cfg_r = cfg;
	return 0;
}

struct config *
config_ref(struct config *cfg)
{
	atomic_fetch_add(&cfg->refs, 1);
	return cfg;
}

static void
free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		xfree(&v[i]);
	free(v);
}

static void
mailbox_fini(struct config_mailbox *m)
{
	char **strs[] = { &m->name, &m->tenant, &m->queue, &m->priority, &m->path, &m->processed,
	                  &m->host, &m->user, &m->password_file, &m->password_env,
	                  &m->xoauth2_token_file, &m->folder, &m->move_to };

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		xfree(strs[i]);
	free_strv(m->listen, m->n_listen);
	xfree(&m->socket_group);
}

void
config_unref(struct config **cfgp)
{
	struct config *cfg = *cfgp;

	if (cfg == NULL)
		return;
	*cfgp = NULL;
	if (atomic_fetch_sub(&cfg->refs, 1) != 1)
		return;
	for (size_t i = 0; i < cfg->n_mailboxes; i++)
		mailbox_fini(&cfg->mailboxes[i]);
	free(cfg->mailboxes);
	for (size_t i = 0; i < cfg->n_agents; i++) {
		struct config_agent *a = &cfg->agents[i];

		xfree(&a->name);
		xfree(&a->email);
		xfree(&a->display_name);
		xfree(&a->slack_id);
		xfree(&a->hours);
		free_strv(a->skills, a->n_skills);
		free(a->levels);
	}
	free(cfg->agents);
	free_strv(cfg->categories, cfg->n_categories);
	xfree(&cfg->path);
	xfree(&cfg->instance);
	xfree(&cfg->user);
	xfree(&cfg->dsn);
	xfree(&cfg->default_tenant);
	xfree(&cfg->rules_dir);
	scan_config_fini(&cfg->scan);
	http_config_free(&cfg->http);
	smtp_config_free(&cfg->smtp);
	slack_config_free(&cfg->slack);
	xfree(&cfg->outbox);
	convo_config_free(&cfg->convo);
	sla_config_free(&cfg->sla);
	agent_config_free(&cfg->agent);
	report_config_free(&cfg->reports);
	free(cfg);
}

const struct config_mailbox *
config_mailbox(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_mailboxes; i++)
		if (strcmp(cfg->mailboxes[i].name, name) == 0)
			return &cfg->mailboxes[i];
	return NULL;
}

const char *
config_mailbox_kind_name(enum mailbox_kind kind)
{
	static const char *const kinds[] = { "maildir", "imap", "pipe", "lmtp" };

	return kinds[kind];
}

const struct config_agent *
config_agent_by_email(const struct config *cfg, const char *email)
{
	for (size_t i = 0; i < cfg->n_agents && email; i++)
		if (cfg->agents[i].email && strcasecmp(cfg->agents[i].email, email) == 0)
			return &cfg->agents[i];
	return NULL;
}

const struct config_agent *
config_agent_by_slack_id(const struct config *cfg, const char *slack_id)
{
	for (size_t i = 0; i < cfg->n_agents && slack_id && *slack_id; i++)
		if (cfg->agents[i].slack_id && strcmp(cfg->agents[i].slack_id, slack_id) == 0)
			return &cfg->agents[i];
	return NULL;
}

const struct config_agent *
config_agent_by_name(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_agents && name; i++)
		if (cfg->agents[i].name && strcmp(cfg->agents[i].name, name) == 0)
			return &cfg->agents[i];
	return NULL;
}

bool
config_category_ok(const struct config *cfg, const char *category)
{
	for (size_t i = 0; i < cfg->n_categories; i++)
		if (strcasecmp(cfg->categories[i], category) == 0)
			return true;
	return false;
}

const char *
config_dsn(const struct config *cfg)
{
	const char *env = getenv("TICKETD_DSN");

	if (env != NULL && *env)
		return env;
	return cfg ? cfg->dsn : NULL;
}
