/*
 * hook_grafana.c: Grafana's webhook contact point. The shape is
 * Alertmanager's with version "1", orgId, per-alert values, and relative
 * generatorURLs (Grafana 12) that are joined with externalURL.
 */
#include <string.h>

#include "hook.h"

static int
grafana_validate(const json_t *doc, const struct http_source *src, struct hook_info *info,
                 char *why, size_t whylen)
{
	const json_t *org = json_object_get(doc, "orgId");

	(void)src;
	if (hook_am_validate(doc, info, why, whylen) < 0)
		return -1;
	if (org != NULL && !json_is_integer(org) && !json_is_string(org))
		return hook_why(why, whylen, "orgId: must be a number");
	return 0;
}

static int
grafana_alerts(const json_t *doc, const json_t *meta, const struct http_source *src,
               struct hook_alert **alerts_r, size_t *n_r, struct tk_err *err)
{
	(void)meta;
	return hook_am_alerts(doc, src, true, alerts_r, n_r, err);
}

const struct hook_ops hook_grafana_ops = {
	.name = "grafana", .kind = HOOK_GRAFANA,
	.validate = grafana_validate, .alerts = grafana_alerts,
};
