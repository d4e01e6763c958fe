/*
 * incident_pd.c: what PagerDuty events carry besides the alert.
 *
 *   context  a trigger's links[] ({href, text}), images[] ({src, href,
 *            alt}), client and client_url are kept on its incident
 *            (incident_context), merged over the triggers that bump it:
 *            each distinct entry once, the newest 50 of each kind.
 *   change   a change event (POST /v2/change/enqueue: a deploy, a
 *            configuration change) is kept in change_events, and every
 *            open incident of its source gets a ticket_events row (action
 *            "change", new_value the change's id, detail its summary).
 *
 * Both run in the worker's transaction, like the rest of incident.c. Only
 * the documented members of links and images are kept (hook_pagerduty.c
 * checked their types and sizes).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "hook.h"
#include "incident_int.h"
#include "log.h"
#include "store.h"

/* A copy of list with only the keys named in keep (strings) of each object; NULL when empty. */
static char *
list_keep(const json_t *list, const char *const *keep)
{
	json_t *out = json_array(), *e;
	char *s = NULL;
	size_t i;

	json_array_foreach(list, i, e) {
		json_t *o = json_object();

		for (const char *const *k = keep; *k; k++)
			if (json_is_string(json_object_get(e, *k)))
				json_object_set(o, *k, json_object_get(e, *k));
		json_array_append_new(out, o);
	}
	if (json_array_size(out) > 0)
		s = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	return s;
}

static char *
links_of(const json_t *doc)
{
	static const char *const keep[] = { "href", "text", NULL };

	return list_keep(json_object_get(doc, "links"), keep);
}

static char *
images_of(const json_t *doc)
{
	static const char *const keep[] = { "src", "href", "alt", NULL };

	return list_keep(json_object_get(doc, "images"), keep);
}

int
incident_pd_context(struct store *st, int64_t ticket_id, const json_t *doc, struct tk_err *err)
{
	const char *client = hook_str(doc, "client"), *client_url = hook_str(doc, "client_url");
	char *links = links_of(doc), *images = images_of(doc), sid[24];
	int rc = 0;

	if (links || images || client || client_url) {
		snprintf(sid, sizeof(sid), "%" PRId64, ticket_id);
		rc = store_exec(st, NULL, err,
		                "INSERT INTO incident_context (ticket_id, client, client_url, links, images) "
		                "VALUES ($1::bigint, $2, $3, ticketd_merge_list('[]', $4::jsonb), "
		                "ticketd_merge_list('[]', $5::jsonb)) ON CONFLICT (ticket_id) DO UPDATE SET "
		                "client = coalesce(EXCLUDED.client, incident_context.client), "
		                "client_url = coalesce(EXCLUDED.client_url, incident_context.client_url), "
		                "links = ticketd_merge_list(incident_context.links, EXCLUDED.links), "
		                "images = ticketd_merge_list(incident_context.images, EXCLUDED.images)",
		                5, sid, client, client_url, links, images);
	}
	free(links);
	free(images);
	return rc;
}

int
incident_pd_change(struct store *st, const char *source, int64_t inbound_id,
                   const struct hook_alert *a, int64_t *ticket_r, struct tk_err *err)
{
	const json_t *p = json_object_get(a->obj, "payload");
	const json_t *cd = json_object_get(p, "custom_details");
	char *links = links_of(a->obj), *images = images_of(a->obj), sid[24];
	char *details = cd && !json_is_null(cd) ? json_dumps(cd, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	PGresult *res = NULL;
	int rc;

	snprintf(sid, sizeof(sid), "%" PRId64, inbound_id);
	rc = store_exec(st, &res, err,
	                "WITH c AS (INSERT INTO change_events (source, summary, origin, sent_at, "
	                "custom_details, links, images, inbound_id) VALUES ($1, $2, $3, $4, $5::jsonb, "
	                "coalesce($6::jsonb, '[]'), coalesce($7::jsonb, '[]'), $8::bigint) "
	                "ON CONFLICT (inbound_id) DO NOTHING RETURNING id), "
	                "e AS (INSERT INTO ticket_events (ticket_id, actor, action, new_value, detail) "
	                "SELECT t.id, 'alert', 'change', c.id::text, $2 FROM c, tickets t "
	                "JOIN sources s ON s.id = t.source_id WHERE s.name = $1 AND t.type = 'incident' "
	                "AND t.status NOT IN ('resolved', 'closed') RETURNING ticket_id) "
	                "SELECT (SELECT id FROM c), (SELECT min(ticket_id) FROM e), "
	                "(SELECT count(*) FROM e)",
	                8, source, a->summary, hook_str(p, "source"), hook_str(p, "timestamp"), details,
	                links, images, sid);
	if (rc == 0) {
		*ticket_r = store_int(res, 0, 1);
		log_info("incident: change event %s from source %s noted on %s open incidents",
		         PQgetisnull(res, 0, 0) ? "(already recorded)" : PQgetvalue(res, 0, 0), source,
		         PQgetvalue(res, 0, 2));
	}
	PQclear(res);
	free(links);
	free(images);
	free(details);
	return rc;
}
