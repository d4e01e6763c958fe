/*
 * ctl_merge.c: `ticketctl merge NUMBER into NUMBER`: a duplicate is folded
 * into the ticket that stays. In one transaction its messages (with their
 * attachments), participants (its requester as a cc; they stay on the old
 * ticket too, so their mail to it is still theirs), tags, linked
 * tickets, incident alerts and bounces move over; it is closed with a
 * pointer (tickets.merged_into_id) and its pending escalation levels are
 * cancelled; both tickets get an audit event. Mail that still finds the
 * old ticket (its reply token, its [TKT-n] tag) lands on the new one
 * (convo_in.c follows the pointer); its References find the moved
 * messages.
 */
/* System. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* ticketd. */
#include "config.h"
#include "ctl.h"
#include "store.h"
#include "store_ticket.h"

/* The moves, in order; $1 the duplicate, $2 the ticket that stays. */
static const char *const moves[] = {
	"UPDATE messages SET ticket_id = $2::bigint WHERE ticket_id = $1::bigint",
	"INSERT INTO ticket_participants (ticket_id, address, role) SELECT $2::bigint, address, "
	"CASE role WHEN 'requester' THEN 'cc' ELSE role END FROM ticket_participants "
	"WHERE ticket_id = $1::bigint ON CONFLICT DO NOTHING",
	"INSERT INTO ticket_participants (ticket_id, address, role) SELECT $2::bigint, "
	"lower(requester), 'cc' FROM tickets WHERE id = $1::bigint AND requester IS NOT NULL "
	"AND lower(requester) IS DISTINCT FROM (SELECT lower(requester) FROM tickets "
	"WHERE id = $2::bigint) ON CONFLICT DO NOTHING",
	"UPDATE tickets SET tags = ARRAY(SELECT DISTINCT x FROM unnest(tags || (SELECT tags FROM "
	"tickets WHERE id = $1::bigint)) x ORDER BY x), updated_at = now() WHERE id = $2::bigint",
	"UPDATE tickets SET linked_ticket_id = $2::bigint WHERE linked_ticket_id = $1::bigint "
	"AND id <> $2::bigint",
	"UPDATE tickets SET merged_into_id = $2::bigint WHERE merged_into_id = $1::bigint",
	"UPDATE incident_alerts a SET ticket_id = $2::bigint WHERE ticket_id = $1::bigint AND "
	"NOT EXISTS (SELECT 1 FROM incident_alerts b WHERE b.ticket_id = $2::bigint AND "
	"b.alert = a.alert)",
	"UPDATE bounces SET ticket_id = $2::bigint WHERE ticket_id = $1::bigint",
	"UPDATE timers SET state = 'cancelled', fired_at = now() WHERE ticket_id = $1::bigint "
	"AND state = 'pending' AND $2::bigint IS NOT NULL",
	"UPDATE tickets SET merged_into_id = $2::bigint, linked_ticket_id = $2::bigint, "
	"updated_at = now() WHERE id = $1::bigint",
};

/* Both rows locked (in id order); refuse a ticket already merged away. */
static int
lock_pair(struct store *st, const char *from, const char *into, const char *nfrom,
          const char *ninto)
{
	struct tk_err err = { 0 };
	PGresult *res = NULL;
	int rc = CTL_OK;

	if (store_exec(st, &res, &err, "SELECT id, merged_into_id IS NOT NULL FROM tickets "
	               "WHERE id IN ($1::bigint, $2::bigint) ORDER BY id FOR UPDATE", 2, from, into) < 0)
		return ctl_db_error(&err);
	for (int r = 0; r < PQntuples(res); r++)
		if (strcmp(PQgetvalue(res, r, 1), "t") == 0) {
			fprintf(stderr, "ticketctl: %s was merged into another ticket already\n",
			        strcmp(PQgetvalue(res, r, 0), from) == 0 ? nfrom : ninto);
			rc = CTL_USAGE;
		}
	PQclear(res);
	return rc;
}

static int
merge_rows(struct store *st, int64_t from, int64_t into, int *moved_r, struct tk_err *err)
{
	char sfrom[24], sinto[24];
	PGresult *res = NULL;

	snprintf(sfrom, sizeof(sfrom), "%" PRId64, from);
	snprintf(sinto, sizeof(sinto), "%" PRId64, into);
	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++) {
		if (store_exec(st, &res, err, moves[i], 2, sfrom, sinto) < 0)
			return -1;
		if (i == 0)
			*moved_r = atoi(PQcmdTuples(res));
		PQclear(res);
		res = NULL;
	}
	return 0;
}

static int
merge(const struct ctl_args *a)
{
	const char *tenant = ctl_str(a, "tenant") ? ctl_str(a, "tenant") : "default";
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct tk_err err = { 0 };
	char actor[128], rfrom[64], rinto[64], sfrom[24], sinto[24], detail[160];
	int64_t from = 0, into = 0;
	int rc, moved = 0;

	if (strcmp(a->pos[1], "into") != 0)
		return ctl_usage_error(a->cmd, "say: merge NUMBER into NUMBER");
	if ((rc = ctl_open_args(a, &cfg, &st)) != CTL_OK)
		return rc;
	ctl_actor(actor, sizeof(actor));
	if (store_begin(st, &err) < 0)
		rc = ctl_db_error(&err);
	if (rc == CTL_OK && (rc = ctl_ticket_find(st, tenant, a->pos[0], &from)) == CTL_OK)
		rc = ctl_ticket_find(st, tenant, a->pos[2], &into);
	if (rc == CTL_OK && from == into) {
		fprintf(stderr, "ticketctl: a ticket cannot be merged into itself\n");
		rc = CTL_USAGE;
	}
	snprintf(sfrom, sizeof(sfrom), "%" PRId64, from);
	snprintf(sinto, sizeof(sinto), "%" PRId64, into);
	if (rc == CTL_OK)
		rc = lock_pair(st, sfrom, sinto, a->pos[0], a->pos[2]);
	if (rc != CTL_OK)
		goto out;
	store_ticket_ref(st, from, rfrom, sizeof(rfrom));
	store_ticket_ref(st, into, rinto, sizeof(rinto));
	if (merge_rows(st, from, into, &moved, &err) < 0 ||
	    store_ticket_set_status(st, from, "closed", actor, NULL, NULL, &err) < 0)
		goto fail;
	snprintf(detail, sizeof(detail), "%d message%s moved", moved, moved == 1 ? "" : "s");
	if (store_ticket_event(st, from, actor, "merged", NULL, rinto, detail, &err) < 0 ||
	    store_ticket_event(st, into, actor, "merged-in", rfrom, NULL, detail, &err) < 0 ||
	    store_commit(st, &err) < 0)
		goto fail;
	printf("%s merged into %s: %s; %s is closed\n", rfrom, rinto, detail, rfrom);
	goto out;
fail:
	rc = ctl_db_error(&err);
out:
	store_rollback(st);
	store_close(&st);
	config_unref(&cfg);
	return rc;
}

static const struct ctl_opt merge_opts[] = {
	{ "tenant", 0, CTL_STR, "T", "the tickets' tenant (default: default)", NULL,
	  CTL_CHECK_TENANT },
	{ NULL },
};
const struct ctl_cmd ctl_cmd_merge = {
	.name = "merge", .args = "NUMBER into NUMBER", .min_pos = 3, .max_pos = 3,
	.opts = merge_opts, .run = merge,
	.summary = "merge a duplicate into another ticket (messages, participants, links)",
};
