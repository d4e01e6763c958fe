/*
 * hook_alertmanager.c: the Alertmanager webhook (version 4), and the code
 * Grafana's webhook contact point shares with it (same shape).
 *
 * Each POST carries the whole group's current state, not a change: every
 * alert is upserted by its fingerprint, and a resolved alert resolves its
 * incident. Unknown keys (notification_reason, routeLabels, numFiring, ...)
 * are ignored; missing optional ones are fine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hook.h"
#include "store_inbound.h"
#include "xalloc.h"

#define AM_MAX_ALERTS 10000

static int
check_alert(const json_t *a, size_t i, char *why, size_t whylen)
{
	const json_t *labels = json_object_get(a, "labels"), *fp = json_object_get(a, "fingerprint");
	const char *status;

	if (!json_is_object(a))
		return hook_why(why, whylen, "alerts[%zu]: must be an object", i);
	if (json_object_get(a, "status") == NULL)
		return hook_why(why, whylen, "alerts[%zu].status: required field is missing", i);
	status = hook_str(a, "status");
	if (status == NULL)
		return hook_why(why, whylen, "alerts[%zu].status: must be a string", i);
	if (strcmp(status, "firing") != 0 && strcmp(status, "resolved") != 0)
		return hook_why(why, whylen, "alerts[%zu].status: must be \"firing\" or \"resolved\"", i);
	if (labels != NULL && !json_is_object(labels))
		return hook_why(why, whylen, "alerts[%zu].labels: must be an object", i);
	if (json_object_get(a, "annotations") != NULL &&
	    !json_is_object(json_object_get(a, "annotations")))
		return hook_why(why, whylen, "alerts[%zu].annotations: must be an object", i);
	if (fp != NULL && (!json_is_string(fp) || json_string_length(fp) == 0 ||
	                   json_string_length(fp) > HOOK_KEY_MAX))
		return hook_why(why, whylen, "alerts[%zu].fingerprint: must be a non-empty string "
		                "of at most %d bytes", i, HOOK_KEY_MAX);
	if (fp == NULL && (labels == NULL || json_object_size(labels) == 0))
		return hook_why(why, whylen, "alerts[%zu].fingerprint: required when there are no "
		                "labels", i);
	return 0;
}

int
hook_am_validate(const json_t *doc, struct hook_info *info, char *why, size_t whylen)
{
	const json_t *alerts = json_object_get(doc, "alerts");
	const json_t *gk = json_object_get(doc, "groupKey");
	size_t n;

	if (!json_is_object(doc))
		return hook_why(why, whylen, "body: must be a JSON object");
	if (json_object_get(doc, "version") && !json_is_string(json_object_get(doc, "version")))
		return hook_why(why, whylen, "version: must be a string");
	if (gk != NULL && !json_is_string(gk))
		return hook_why(why, whylen, "groupKey: must be a string");
	if (alerts == NULL)
		return hook_why(why, whylen, "alerts: required field is missing");
	if (!json_is_array(alerts))
		return hook_why(why, whylen, "alerts: must be an array");
	n = json_array_size(alerts);
	if (n == 0)
		return hook_why(why, whylen, "alerts: must not be empty");
	if (n > AM_MAX_ALERTS)
		return hook_why(why, whylen, "alerts: more than %d alerts", AM_MAX_ALERTS);
	for (size_t i = 0; i < n; i++)
		if (check_alert(json_array_get(alerts, i), i, why, whylen) < 0)
			return -1;
	info->n_alerts = (int)n;
	return 0;
}

/* A fingerprint for an alert without one: sha256 of its sorted labels. */
static char *
labels_fingerprint(const json_t *labels)
{
	char *s = json_dumps(labels, JSON_COMPACT | JSON_SORT_KEYS);
	char hex[65];

	store_sha256_hex(s ? s : "", s ? strlen(s) : 0, hex);
	free(s);
	hex[16] = '\0';
	return xstrdup(hex);
}

static char *
am_summary(const json_t *a)
{
	const json_t *ann = json_object_get(a, "annotations"), *lab = json_object_get(a, "labels");
	const char *s = hook_str(ann, "summary"), *name, *inst;

	if (s == NULL)
		s = hook_str(ann, "title");
	if (s != NULL && *s)
		return xstrdup(s);
	name = hook_str(lab, "alertname");
	inst = hook_str(lab, "instance");
	if (name && inst)
		return xasprintf("%s on %s", name, inst);
	return xstrdup(name ? name : "alert");
}

/* Grafana: a relative generatorURL ("?orgId=1", "/alerting/...") joined with externalURL. */
static void
join_generator_url(json_t *a, const char *external)
{
	const char *g = hook_str(a, "generatorURL");
	size_t el;
	char *joined;

	if (g == NULL || external == NULL || *external == '\0' || strstr(g, "://") != NULL)
		return;
	el = strlen(external);
	if (g[0] == '/' && el && external[el - 1] == '/')
		g++;
	joined = xasprintf("%s%s%s", external,
	                   (g[0] != '/' && g[0] != '?' && el && external[el - 1] != '/') ? "/" : "", g);
	json_object_set_new(a, "generatorURL", json_string(joined));
	free(joined);
}

static void
am_one(struct hook_alert *out, const json_t *a, const char *group, const char *external,
       bool grafana)
{
	const char *fp = hook_str(a, "fingerprint");
	json_t *copy = json_deep_copy(a);

	if (grafana)
		join_generator_url(copy, external);
	out->key = fp ? xstrdup(fp) : labels_fingerprint(json_object_get(a, "labels"));
	out->group = group ? xstrdup(group) : NULL;
	out->action = strcmp(hook_str(a, "status"), "resolved") == 0 ? HOOK_RESOLVE : HOOK_TRIGGER;
	out->summary = am_summary(a);
	if (hook_str(json_object_get(a, "annotations"), "description"))
		out->description = xstrdup(hook_str(json_object_get(a, "annotations"), "description"));
	if (hook_str(json_object_get(a, "labels"), "severity"))
		out->severity = xstrdup(hook_str(json_object_get(a, "labels"), "severity"));
	out->obj = copy;
}

int
hook_am_alerts(const json_t *doc, const struct http_source *src, bool grafana,
               struct hook_alert **alerts_r, size_t *n_r, struct tk_err *err)
{
	struct hook_info info;
	char why[HOOK_WHY_MAX];
	const json_t *alerts = json_object_get(doc, "alerts");
	struct hook_alert *out;
	size_t n;

	(void)src;
	if (hook_am_validate(doc, &info, why, sizeof(why)) < 0)
		return tk_err_set(err, "%s", why);
	n = json_array_size(alerts);
	out = xcalloc(n, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		am_one(&out[i], json_array_get(alerts, i), hook_str(doc, "groupKey"),
		       hook_str(doc, "externalURL"), grafana);
	*alerts_r = out;
	*n_r = n;
	return 0;
}

static int
am_validate(const json_t *doc, const struct http_source *src, struct hook_info *info, char *why,
            size_t whylen)
{
	const char *v = hook_str(doc, "version");

	(void)src;
	if (hook_am_validate(doc, info, why, whylen) < 0)
		return -1;
	if (v != NULL && strcmp(v, "4") != 0)
		return hook_why(why, whylen, "version: \"%.20s\" is not webhook version 4", v);
	return 0;
}

static int
am_alerts(const json_t *doc, const json_t *meta, const struct http_source *src,
          struct hook_alert **alerts_r, size_t *n_r, struct tk_err *err)
{
	(void)meta;
	return hook_am_alerts(doc, src, false, alerts_r, n_r, err);
}

const struct hook_ops hook_alertmanager_ops = {
	.name = "alertmanager", .kind = HOOK_ALERTMANAGER,
	.validate = am_validate, .alerts = am_alerts,
};
