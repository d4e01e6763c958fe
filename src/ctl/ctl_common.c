/*
 * ctl_common.c: what every database subcommand of ticketctl needs: the
 * config, a connection, database errors, finding a ticket by its number,
 * and the actor name for audit events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "ctl.h"
#include "store.h"
#include "store_ticket.h"

const char *
ctl_config_path(void)
{
	const char *path = getenv("TICKETD_CONFIG");
	static const char dflt[] = SYSCONFDIR "/ticketd/ticketd.yaml";

	if (path != NULL && *path != '\0')
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
ctl_db_error(const struct tk_err *err)
{
	fprintf(stderr, "ticketctl: %s\n", err->msg);
	return err->temporary ? CTL_TEMPFAIL : CTL_USAGE;
}

int
ctl_ticket_find(struct store *st, const char *tenant, const char *number, int64_t *id_r)
{
	struct tk_err err = { 0 };
	int found = store_ticket_find(st, tenant, number, id_r, &err);

	if (found < 0)
		return ctl_db_error(&err);
	if (found == 0) {
		fprintf(stderr, "ticketctl: no ticket %s in tenant %s\n", number, tenant);
		return CTL_USAGE;
	}
	return CTL_OK;
}

const char *
ctl_actor(char *buf, unsigned len)
{
	const char *user = getenv("SUDO_USER") ? getenv("SUDO_USER") : getenv("USER");

	snprintf(buf, len, "ticketctl:%s", user ? user : "unknown");
	return buf;
}

const char *
ctl_jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}
