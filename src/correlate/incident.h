/*
 * incident.h: staged webhook payloads (inbound kind "alert") become
 * incident tickets: one open ticket per alert identity (source + fingerprint
 * or dedup key; or source + groupKey with group_by_group), enforced by the
 * partial unique index tickets_open_alert and an upsert, so concurrent
 * workers and daemons cannot open two. Each identity is processed under its
 * own transaction-scoped advisory lock (incident_lock.h), so different
 * identities go in parallel across workers and daemons; an item whose
 * identity another transaction holds may come back deferred
 * (pipeline_result.deferred).
 *
 *   trigger      opens the incident, or bumps alert_count/alert_last_seen of
 *                the open one; within http.incidents.reopen_window after a
 *                resolution it reopens the resolved one, unless the alert is
 *                flapping (flap_count reopenings within flap_window): then
 *                the ticket is tagged "flapping" and stays resolved.
 *   acknowledge  moves the open incident to in_progress.
 *   resolve      resolves it (a group ticket: when none of its alerts fires)
 *                and queues a notification in the outbox when configured.
 *   change       (PagerDuty change events) is recorded in change_events and
 *                noted on the timeline of the source's open incidents.
 *
 * A PagerDuty trigger's links, images and client are kept on its incident
 * (incident_context; see incident_pd.c).
 *
 * The member alerts of each ticket are kept in incident_alerts; every
 * change is a ticket_events row.
 */
#ifndef TK_INCIDENT_H
#define TK_INCIDENT_H

#include "pipeline.h"

/* The pipeline processor for kind "alert" (see pipeline.h for the contract). */
int incident_process(struct pipeline_ctx *pc, const struct inbound_item *item,
                     struct pipeline_result *res, struct tk_err *err);

/*
 * The order key of an alert item within a batch: the lowest lock hash of
 * its identities (incident_lock.h), 0 when it has none or does not parse.
 * A batch run in this order takes its identity locks in ascending order,
 * so it never has to defer a single-identity item.
 */
uint32_t incident_lock_order(struct pipeline_ctx *pc, const struct inbound_item *item);

/* Priority for a severity when no rule sets one: critical, high, medium or low. */
const char *incident_severity_priority(const char *severity);

#endif
