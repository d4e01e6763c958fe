/*
 * hook_pagerduty.c: PagerDuty Events API v2: alert events (POST
 * /v2/enqueue) and change events (POST /v2/change/enqueue).
 *
 * routing_key selects the source; event_action is trigger, acknowledge or
 * resolve; dedup_key identifies the alert (generated on a trigger without
 * one, and returned). A trigger needs payload.summary (at most 1024 bytes),
 * payload.source and payload.severity (critical, error, warning, info); its
 * links, images, client and client_url are checked here and kept on the
 * incident by incident_pd.c. A change event (a deploy, a configuration
 * change) needs payload.summary; it has no identity and no action: it is
 * recorded, and noted on the open incidents of its source.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "hook.h"
#include "xalloc.h"

#define PD_SUMMARY_MAX 1024
#define PD_LIST_MAX 50           /* links or images per event */
#define PD_URL_MAX 2048
#define PD_TEXT_MAX 1024

static const char *const severities[] = { "critical", "error", "warning", "info", NULL };
static const char *const actions[] = { "trigger", "acknowledge", "resolve", NULL };

static int
one_of(const char *v, const char *const *set)
{
	for (int i = 0; v && set[i]; i++)
		if (strcmp(v, set[i]) == 0)
			return i;
	return -1;
}

/* A 32-hex-digit random dedup key (PagerDuty generates a UUID-like one). */
static void
new_dedup_key(char *out, size_t outlen)
{
	unsigned char r[16];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)rand();
	for (size_t i = 0; i < sizeof(r) && 2 * i + 2 < outlen; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

static int
optional_string(const json_t *obj, const char *key, const char *path, char *why, size_t whylen)
{
	const json_t *v = json_object_get(obj, key);

	if (v != NULL && !json_is_string(v) && !json_is_null(v))
		return hook_why(why, whylen, "%s.%s: must be a string", path, key);
	return 0;
}

/* An optional string member of at most max bytes (path.key in the reason). */
static int
optional_text(const json_t *obj, const char *key, size_t max, const char *path, char *why,
              size_t whylen)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) > max)
		return hook_why(why, whylen, "%s%s%s: must be a string of at most %zu bytes", path,
		                *path ? "." : "", key, max);
	return 0;
}

/*
 * links[] ({href, text}) or images[] ({src, href, alt}): objects whose
 * url_key is a non-empty string, at most PD_LIST_MAX of them.
 */
static int
check_list(const json_t *doc, const char *name, const char *url_key, char *why, size_t whylen)
{
	const json_t *list = json_object_get(doc, name), *e;
	char path[32];
	size_t i;

	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list) || json_array_size(list) > PD_LIST_MAX)
		return hook_why(why, whylen, "%s: must be an array of at most %d objects", name,
		                PD_LIST_MAX);
	json_array_foreach(list, i, e) {
		snprintf(path, sizeof(path), "%s[%zu]", name, i);
		if (!json_is_object(e) || json_string_length(json_object_get(e, url_key)) == 0)
			return hook_why(why, whylen, "%s.%s: required (an object with a %s string)", path,
			                url_key, url_key);
		if (optional_text(e, url_key, PD_URL_MAX, path, why, whylen) < 0 ||
		    optional_text(e, "href", PD_URL_MAX, path, why, whylen) < 0 ||
		    optional_text(e, "text", PD_TEXT_MAX, path, why, whylen) < 0 ||
		    optional_text(e, "alt", PD_TEXT_MAX, path, why, whylen) < 0)
			return -1;
	}
	return 0;
}

/* What an event carries besides the alert: links, images, the monitoring client. */
static int
check_context(const json_t *doc, char *why, size_t whylen)
{
	if (check_list(doc, "links", "href", why, whylen) < 0 ||
	    check_list(doc, "images", "src", why, whylen) < 0 ||
	    optional_text(doc, "client", PD_TEXT_MAX, "", why, whylen) < 0 ||
	    optional_text(doc, "client_url", PD_URL_MAX, "", why, whylen) < 0)
		return -1;
	return 0;
}

/* The routing key (required, kept in info). */
static int
check_routing_key(const json_t *doc, struct hook_info *info, char *why, size_t whylen)
{
	const char *rk = hook_str(doc, "routing_key");

	if (rk == NULL || *rk == '\0')
		return hook_why(why, whylen, "routing_key: %s", json_object_get(doc, "routing_key") ?
		                "must be a non-empty string" : "required field is missing");
	snprintf(info->routing_key, sizeof(info->routing_key), "%s", rk);
	return 0;
}

/* payload.summary: a string of 1 to PD_SUMMARY_MAX bytes. */
static int
check_summary(const json_t *p, char *why, size_t whylen)
{
	const json_t *sum = json_object_get(p, "summary");

	if (!json_is_string(sum))
		return hook_why(why, whylen, "payload.summary: %s", sum ? "must be a string" :
		                "required field is missing");
	if (json_string_length(sum) == 0 || json_string_length(sum) > PD_SUMMARY_MAX)
		return hook_why(why, whylen, "payload.summary: must be 1 to %d bytes", PD_SUMMARY_MAX);
	return 0;
}

static int
check_payload(const json_t *p, char *why, size_t whylen)
{
	const char *sev;

	if (p == NULL)
		return hook_why(why, whylen, "payload: required for a trigger event");
	if (!json_is_object(p))
		return hook_why(why, whylen, "payload: must be an object");
	if (check_summary(p, why, whylen) < 0)
		return -1;
	if (!json_is_string(json_object_get(p, "source")))
		return hook_why(why, whylen, "payload.source: %s", json_object_get(p, "source") ?
		                "must be a string" : "required field is missing");
	sev = hook_str(p, "severity");
	if (one_of(sev, severities) < 0)
		return hook_why(why, whylen, "payload.severity: must be critical, error, warning or info");
	if (optional_string(p, "component", "payload", why, whylen) < 0 ||
	    optional_string(p, "group", "payload", why, whylen) < 0 ||
	    optional_string(p, "class", "payload", why, whylen) < 0 ||
	    optional_string(p, "timestamp", "payload", why, whylen) < 0)
		return -1;
	return 0;
}

static int
pd_validate(const json_t *doc, const struct http_source *src, struct hook_info *info, char *why,
            size_t whylen)
{
	const json_t *dk;
	const char *action;
	int act;

	(void)src;
	if (!json_is_object(doc))
		return hook_why(why, whylen, "body: must be a JSON object");
	if (check_routing_key(doc, info, why, whylen) < 0)
		return -1;
	action = hook_str(doc, "event_action");
	if ((act = one_of(action, actions)) < 0)
		return hook_why(why, whylen, "event_action: must be trigger, acknowledge or resolve");
	dk = json_object_get(doc, "dedup_key");
	if (dk != NULL && !json_is_null(dk) &&
	    (!json_is_string(dk) || json_string_length(dk) == 0 ||
	     json_string_length(dk) > HOOK_KEY_MAX))
		return hook_why(why, whylen, "dedup_key: must be a string of 1 to %d bytes",
		                HOOK_KEY_MAX);
	if (act != 0 && !json_is_string(dk))
		return hook_why(why, whylen, "dedup_key: required for %s events", action);
	if (act == 0 && check_payload(json_object_get(doc, "payload"), why, whylen) < 0)
		return -1;
	if (check_context(doc, why, whylen) < 0)
		return -1;
	if (json_is_string(dk))
		snprintf(info->dedup_key, sizeof(info->dedup_key), "%s", json_string_value(dk));
	else
		new_dedup_key(info->dedup_key, sizeof(info->dedup_key));
	info->n_alerts = 1;
	return 0;
}

/* The description: where it came from, then the custom details. */
static char *
pd_description(const json_t *p)
{
	static const char *const keys[] = { "source", "component", "group", "class", "timestamp" };
	char *details = NULL, *out;
	size_t len = 0;
	FILE *fp;

	fp = open_memstream(&out, &len);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (hook_str(p, keys[i]))
			fprintf(fp, "%s: %s\n", keys[i], hook_str(p, keys[i]));
	if (json_object_get(p, "custom_details"))
		details = json_dumps(json_object_get(p, "custom_details"),
		                     JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (details)
		fprintf(fp, "\ncustom_details:\n%s\n", details);
	fclose(fp);
	free(details);
	return out;
}

static int
pd_alerts(const json_t *doc, const json_t *meta, const struct http_source *src,
          struct hook_alert **alerts_r, size_t *n_r, struct tk_err *err)
{
	struct hook_info info = { { 0 } };
	char why[HOOK_WHY_MAX];
	const char *key = hook_str(meta, "dedup_key"), *action;
	const json_t *p = json_object_get(doc, "payload");
	struct hook_alert *a;

	if (pd_validate(doc, src, &info, why, sizeof(why)) < 0)
		return tk_err_set(err, "%s", why);
	if (key == NULL)
		return tk_err_set(err, "meta: dedup_key is missing");
	action = hook_str(doc, "event_action");
	a = xcalloc(1, sizeof(*a));
	a->key = xstrdup(key);
	a->action = strcmp(action, "trigger") == 0 ? HOOK_TRIGGER :
	            strcmp(action, "acknowledge") == 0 ? HOOK_ACKNOWLEDGE : HOOK_RESOLVE;
	a->summary = xstrdup(hook_str(p, "summary") ? hook_str(p, "summary") : key);
	if (json_is_object(p)) {
		a->description = pd_description(p);
		if (hook_str(p, "severity"))
			a->severity = xstrdup(hook_str(p, "severity"));
	}
	a->obj = json_incref((json_t *)doc);
	*alerts_r = a;
	*n_r = 1;
	return 0;
}

const struct hook_ops hook_pagerduty_ops = {
	.name = "pagerduty", .kind = HOOK_PAGERDUTY,
	.validate = pd_validate, .alerts = pd_alerts,
};

/* ---- change events ---- */

static int
pdc_validate(const json_t *doc, const struct http_source *src, struct hook_info *info,
             char *why, size_t whylen)
{
	const json_t *p = json_object_get(doc, "payload");

	(void)src;
	if (!json_is_object(doc))
		return hook_why(why, whylen, "body: must be a JSON object");
	if (check_routing_key(doc, info, why, whylen) < 0)
		return -1;
	if (!json_is_object(p))
		return hook_why(why, whylen, "payload: %s", p ? "must be an object" :
		                "required field is missing");
	if (check_summary(p, why, whylen) < 0 ||
	    optional_text(p, "source", PD_TEXT_MAX, "payload", why, whylen) < 0 ||
	    optional_text(p, "timestamp", 64, "payload", why, whylen) < 0 ||
	    check_context(doc, why, whylen) < 0)
		return -1;
	info->n_alerts = 1;
	return 0;
}

/* A change event as one "alert" of action HOOK_CHANGE (no identity). */
static int
pdc_alerts(const json_t *doc, const json_t *meta, const struct http_source *src,
           struct hook_alert **alerts_r, size_t *n_r, struct tk_err *err)
{
	struct hook_info info = { { 0 } };
	char why[HOOK_WHY_MAX];
	struct hook_alert *a;

	(void)meta;
	if (pdc_validate(doc, src, &info, why, sizeof(why)) < 0)
		return tk_err_set(err, "%s", why);
	a = xcalloc(1, sizeof(*a));
	a->key = xstrdup("");
	a->action = HOOK_CHANGE;
	a->summary = xstrdup(hook_str(json_object_get(doc, "payload"), "summary"));
	a->obj = json_incref((json_t *)doc);
	*alerts_r = a;
	*n_r = 1;
	return 0;
}

const struct hook_ops hook_pagerduty_change_ops = {
	.name = "pagerduty_change", .kind = HOOK_PAGERDUTY,
	.validate = pdc_validate, .alerts = pdc_alerts,
};
