/*
 * incident_int.h: shared by incident.c (alerts -> incidents) and
 * incident_pd.c (what PagerDuty events carry besides the alert). Not for
 * other subsystems. Both run in the worker's transaction.
 */
#ifndef TK_INCIDENT_INT_H
#define TK_INCIDENT_INT_H

#include <stdint.h>

#include <jansson.h>

#include "err.h"

struct hook_alert;
struct store;

/*
 * Keep a PagerDuty trigger's links, images, client and client_url (doc is
 * the event) on incident ticket_id, merged with what earlier triggers left.
 * Nothing is written when the event has none of them. -1 with err.
 */
int incident_pd_context(struct store *st, int64_t ticket_id, const json_t *doc,
                        struct tk_err *err);
/*
 * Record the change event a (a->obj is the event) of source, staged as
 * inbound_id (recorded once however often it is processed), and note it
 * on the timeline of every open incident of that source. *ticket_r gets
 * one of those incidents, or 0. -1 with err.
 */
int incident_pd_change(struct store *st, const char *source, int64_t inbound_id,
                       const struct hook_alert *a, int64_t *ticket_r, struct tk_err *err);

#endif
