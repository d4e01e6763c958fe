/*
 * ctl_common.c: what every database subcommand of ticketctl needs: the
 * config, a connection, and the actor name for audit events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "store.h"

const char *
ctl_config_path(void)
{
	const char *path = getenv("TICKETD_CONFIG");
	static const char dflt[] = SYSCONFDIR "/ticketd/ticketd.yaml";

	if (path != NULL)
		return path;
	return access(dflt, F_OK) == 0 ? dflt : NULL;
}

int
ctl_load_config(struct config **cfg_r)
{
	const char *path = ctl_config_path();
	struct tk_errlist errs;
	int rc = CTL_OK;

	*cfg_r = NULL;
	if (path == NULL) {
		if (getenv("TICKETD_DSN") != NULL)
			return CTL_OK;
		fprintf(stderr, "ticketctl: no configuration (-c FILE) and TICKETD_DSN is not set\n");
		return CTL_USAGE;
	}
	tk_errlist_init(&errs);
	if (config_load(path, cfg_r, &errs) < 0) {
		tk_errlist_print(&errs, stderr);
		rc = CTL_USAGE;
	} else {
		store_set_prepare_default((*cfg_r)->prepared_statements);
	}
	tk_errlist_fini(&errs);
	return rc;
}

int
ctl_connect(const struct config *cfg, struct store **st_r)
{
	struct tk_err err = { 0 };

	if (store_open(config_dsn(cfg), st_r, &err) < 0) {
		fprintf(stderr, "ticketctl: %s\n", err.msg);
		return CTL_TEMPFAIL;
	}
	return CTL_OK;
}

int
ctl_open(struct config **cfg_r, struct store **st_r)
{
	int rc = ctl_load_config(cfg_r);

	if (rc != CTL_OK)
		return rc;
	if ((rc = ctl_connect(*cfg_r, st_r)) != CTL_OK)
		config_unref(cfg_r);
	return rc;
}

int
ctl_queue_run(const struct ctl_queue *q, int argc, char **argv)
{
	struct config *cfg = NULL;
	struct store *st = NULL;
	const char *state = q->default_state;
	int json = 0, raw = 0, rc;

	if (argc < 2)
		goto usage;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--raw") == 0)
			raw = 1;
		else if (strcmp(argv[i], "--state") == 0 && i + 1 < argc)
			state = argv[++i];
	}
	if (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "show") != 0 &&
	    strcmp(argv[1], "retry") != 0)
		goto usage;
	if (strcmp(argv[1], "list") != 0 && argc < 3)
		goto usage;
	if ((rc = ctl_open(&cfg, &st)) != CTL_OK)
		return rc;
	if (strcmp(argv[1], "list") == 0)
		rc = q->list(st, state, json);
	else if (strcmp(argv[1], "show") == 0)
		rc = q->show(st, argv[2], raw);
	else
		rc = q->retry(st, argv[2]);
	store_close(&st);
	config_unref(&cfg);
	return rc;
usage:
	fprintf(stderr, "%s\n", q->usage);
	return CTL_USAGE;
}

const char *
ctl_actor(char *buf, unsigned len)
{
	const char *user = getenv("SUDO_USER") ? getenv("SUDO_USER") : getenv("USER");

	snprintf(buf, len, "ticketctl:%s", user ? user : "unknown");
	return buf;
}
