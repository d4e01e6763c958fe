/*
 * ctl_outbox.c: `ticketctl outbox list|show|retry`: look at notifications
 * (dead ones by default) and put dead ones back in the queue. Retrying
 * resets the attempt count and keeps the payload, so the mail goes out with
 * the Message-ID it was composed with.
 */
/* System. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "config.h"
#include "ctl.h"
#include "store.h"

static int
db_error(const struct tk_err *err)
{
	fprintf(stderr, "ticketctl: outbox: %s\n", err->msg);
	return err->temporary ? CTL_TEMPFAIL : CTL_USAGE;
}

static int
outbox_list(struct store *st, const char *state, int json)
{
	PGresult *res = NULL;
	struct tk_err err = { 0 };

	if (json) {
		if (store_exec(st, &res, &err,
		               "SELECT coalesce(json_agg(x ORDER BY x.id), '[]')::text FROM (SELECT id, "
		               "channel, kind, state, recipient, message_id, ticket_id, attempts, "
		               "last_error, created_at, next_attempt_at, sent_at FROM outbox "
		               "WHERE $1 = 'all' OR state = $1 ORDER BY id DESC LIMIT 1000) x",
		               1, state) < 0)
			return db_error(&err);
		printf("%s\n", PQgetvalue(res, 0, 0));
		PQclear(res);
		return CTL_OK;
	}
	if (store_exec(st, &res, &err,
	               "SELECT id, channel, state, attempts, recipient, "
	               "coalesce(left(last_error, 70), '') FROM outbox "
	               "WHERE $1 = 'all' OR state = $1 ORDER BY id DESC LIMIT 1000", 1, state) < 0)
		return db_error(&err);
	printf("%-8s %-6s %-8s %-8s %-32s %s\n", "ID", "CHAN", "STATE", "ATTEMPTS", "RECIPIENT",
	       "ERROR");
	for (int i = 0; i < PQntuples(res); i++)
		printf("%-8s %-6s %-8s %-8s %-32s %s\n", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
		       PQgetvalue(res, i, 2), PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
		       PQgetvalue(res, i, 5));
	PQclear(res);
	return CTL_OK;
}

static int
is_id(const char *s)
{
	char *end;

	strtoll(s, &end, 10);
	return *s != '\0' && *end == '\0' && strtoll(s, NULL, 10) > 0;
}

static int
outbox_show(struct store *st, const char *id, int raw)
{
	PGresult *res = NULL;
	struct tk_err err = { 0 };

	if (!is_id(id)) {
		fprintf(stderr, "ticketctl: outbox show: \"%s\" is not an id\n", id);
		return CTL_USAGE;
	}
	if (store_exec(st, &res, &err,
	               raw ? "SELECT payload FROM outbox WHERE id = $1::bigint"
	                   : "SELECT row_to_json(x)::text FROM (SELECT id, idempotency_key, channel, "
	                     "kind, state, recipient, message_id, ticket_id, attempts, last_error, "
	                     "claimed_by, lease_until, created_at, next_attempt_at, sent_at, "
	                     "length(payload) AS bytes FROM outbox WHERE id = $1::bigint) x",
	               1, id) < 0)
		return db_error(&err);
	if (PQntuples(res) == 0) {
		fprintf(stderr, "ticketctl: no outbox row %s\n", id);
		PQclear(res);
		return CTL_USAGE;
	}
	if (raw) {
		size_t len = 0;
		unsigned char *bytes = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 0), &len);

		if (bytes)
			fwrite(bytes, 1, len, stdout);
		PQfreemem(bytes);
	} else {
		printf("%s\n", PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	return CTL_OK;
}

static int
outbox_retry(struct store *st, const char *what)
{
	PGresult *res = NULL;
	struct tk_err err = { 0 };
	int all = strcmp(what, "--all") == 0, n;

	if (!all && !is_id(what)) {
		fprintf(stderr, "ticketctl: outbox retry: \"%s\" is not an id (or --all)\n", what);
		return CTL_USAGE;
	}
	if (store_exec(st, &res, &err,
	               "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = now(), "
	               "updated_at = now() WHERE state = 'dead' AND ($1 = '--all' OR id = "
	               "CASE WHEN $1 = '--all' THEN 0 ELSE $1::bigint END)", 1, what) < 0)
		return db_error(&err);
	n = atoi(PQcmdTuples(res));
	PQclear(res);
	printf("requeued: %d\n", n);
	if (n == 0 && !all) {
		fprintf(stderr, "ticketctl: outbox %s is not in state dead\n", what);
		return CTL_USAGE;
	}
	return CTL_OK;
}

int
ctl_outbox(int argc, char **argv)
{
	static const struct ctl_queue q = {
		.default_state = "dead", .list = outbox_list, .show = outbox_show, .retry = outbox_retry,
		.usage = "usage: ticketctl outbox list [--state pending|sending|sent|dead|all] [--json] "
	            "| show ID [--raw] | retry ID|--all",
	};

	return ctl_queue_run(&q, argc, argv);
}
