/*
 * startup.c: config loading, installation and database preparation.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "daemon.h"
#include "http_config.h"
#include "log.h"
#include "notify.h"
#include "rules.h"
#include "scan.h"
#include "startup.h"
#include "store.h"
#include "store_ticket.h"
#include "xalloc.h"

int
startup_load(const char *path, struct config **cfg_r, struct rules **rules_r,
             struct tk_errlist *errs)
{
	struct rules_options opts = { 0 };
	const char **cats;
	int rc;

	*rules_r = NULL;
	if (config_load(path, cfg_r, errs) < 0)
		return -1;
	if ((*cfg_r)->rules_dir == NULL)
		return 0;
	cats = xcalloc((*cfg_r)->n_categories + 1, sizeof(*cats));
	for (size_t i = 0; i < (*cfg_r)->n_categories; i++)
		cats[i] = (*cfg_r)->categories[i];
	opts.categories = cats;
	rc = rules_load_dir((*cfg_r)->rules_dir, &opts, rules_r, errs);
	free(cats);
	if (rc < 0)
		config_unref(cfg_r);
	return rc;
}

static void
check_file(const struct config *cfg, const char *what, const char *path, struct tk_errlist *errs)
{
	struct buf b;

	buf_init(&b, 0);
	if (path != NULL && buf_read_file(&b, path) < 0)
		tk_errlist_add(errs, cfg->path, 0, 0, "%s %s: %s", what, path, strerror(errno));
	buf_fini(&b);
}

int
startup_check(const struct config *cfg, struct tk_errlist *errs)
{
	struct tk_err err = { 0 };
	size_t before = errs->n;

	if (scan_check_signatures(&cfg->scan, &err) < 0)
		tk_errlist_add(errs, cfg->path, 0, 0, "%s", err.msg);
	if (cfg->http != NULL) {
		check_file(cfg, "http: cannot read tls.cert", cfg->http->tls_cert, errs);
		check_file(cfg, "http: cannot read tls.key", cfg->http->tls_key, errs);
		if (slack_buttons(cfg->slack)) {
			char *secret = notify_read_secret(cfg->slack->signing_secret_file,
			                                  cfg->slack->signing_secret_env, &err);

			if (secret == NULL)
				tk_errlist_add(errs, cfg->path, 0, 0, "slack signing secret: %s", err.msg);
			else
				explicit_bzero(secret, strlen(secret));
			free(secret);
		}
	}
	return errs->n > before ? -1 : 0;
}

void
startup_apply(struct daemon *d, struct config *cfg, struct rules *rules)
{
	if (rules != NULL)
		log_info("startup: %zu routing rules loaded from %s%s", rules_count(rules),
		         cfg->rules_dir, rules_jit(rules) ? " (JIT)" : "");
	daemon_set_config(d, cfg);
	daemon_set_rules(d, rules);
}

static int
sync_sources(struct store *st, const struct config *cfg, struct tk_err *err)
{
	for (size_t i = 0; i < cfg->n_mailboxes; i++) {
		const struct config_mailbox *m = &cfg->mailboxes[i];

		if (store_exec(st, NULL, err,
		               "INSERT INTO sources (name, kind) VALUES ($1, $2) "
		               "ON CONFLICT (name) DO UPDATE SET kind = $2",
		               2, m->name, config_mailbox_kind_name(m->kind)) < 0)
			return -1;
	}
	return 0;
}

static int
prepare(struct store *st, const struct config *cfg, struct tk_err *err)
{
	int applied = 0;

	if (store_migrate(st, &applied, err) < 0)
		return -1;
	if (applied)
		log_info("startup: database schema migrated (%d migrations)", applied);
	if (store_begin(st, err) < 0)
		return -1;
	if (store_sync_agents(st, cfg, err) < 0 || sync_sources(st, cfg, err) < 0 ||
	    store_commit(st, err) < 0) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

int
startup_database(struct daemon *d, const sigset_t *sigs)
{
	struct config *cfg = daemon_config(d);
	struct store *st = NULL;
	int64_t backoff = 250;
	int rc = -1;

	for (;;) {
		struct tk_err err = { 0 };
		struct timespec wait;
		int sig;

		if ((st != NULL || store_open(config_dsn(cfg), &st, &err) == 0) &&
		    prepare(st, cfg, &err) == 0) {
			rc = 0;
			break;
		}
		if (!err.temporary) {
			log_err("startup: %s", err.msg);
			break;
		}
		log_warn("startup: %s; retrying in %" PRId64 " ms", err.msg, backoff);
		store_close(&st);
		wait.tv_sec = backoff / 1000;
		wait.tv_nsec = (backoff % 1000) * 1000000L;
		sig = sigtimedwait(sigs, NULL, &wait);
		if (sig == SIGTERM || sig == SIGINT) {
			daemon_stop(d);
			break;
		}
		backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
	}
	store_close(&st);
	config_unref(&cfg);
	return rc;
}
