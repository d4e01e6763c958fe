/*
 * ctl_common.c: what every database subcommand of ticketctl needs: the
 * config, a connection, and the actor name for audit events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "store.h"

int
ctl_load_config(struct config **cfg_r)
{
	const char *path = getenv("TICKETD_CONFIG");
	struct tk_errlist errs;
	int rc = CTL_OK;

	*cfg_r = NULL;
	if (path == NULL) {
		path = SYSCONFDIR "/ticketd/ticketd.yaml";
		if (access(path, F_OK) != 0) {
			if (getenv("TICKETD_DSN") != NULL)
				return CTL_OK;
			fprintf(stderr, "ticketctl: no configuration (-c FILE) and TICKETD_DSN is not set\n");
			return CTL_USAGE;
		}
	}
	tk_errlist_init(&errs);
	if (config_load(path, cfg_r, &errs) < 0) {
		tk_errlist_print(&errs, stderr);
		rc = CTL_USAGE;
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

const char *
ctl_actor(char *buf, unsigned len)
{
	const char *user = getenv("SUDO_USER") ? getenv("SUDO_USER") : getenv("USER");

	snprintf(buf, len, "ticketctl:%s", user ? user : "unknown");
	return buf;
}
