/*
 * hook_generic.c: any JSON webhook (POST /v1/hooks/NAME), read through the
 * source's mapping. A mapping value that starts with '/' is an RFC 6901
 * JSON pointer into one alert; anything else is a template in which each
 * {/pointer} is replaced by the value found there (missing: empty). With
 * `alerts` set, the body holds an array of alerts at that pointer;
 * otherwise the body is one alert. status values map to firing, resolved
 * and acknowledged through the mapping's lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hook.h"
#include "jsonptr.h"
#include "xalloc.h"

#define GENERIC_MAX_ALERTS 10000

/* A scalar as text (caller frees), NULL for null/object/array/missing. */
static char *
scalar_text(const json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return xasprintf("%g", json_real_value(v));
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "true" : "false");
	return NULL;
}

/* The value of a mapping spec for one alert (caller frees), NULL when missing. */
static char *
map_value(const json_t *alert, const char *spec)
{
	struct buf b;
	const char *p;

	if (spec == NULL)
		return NULL;
	if (spec[0] == '/')
		return scalar_text(jsonptr_get(alert, spec));
	buf_init(&b, 0);
	for (p = spec; *p; p++) {
		const char *close;

		if (p[0] == '{' && p[1] == '/' && (close = strchr(p, '}')) != NULL) {
			char *ptr = xstrndup(p + 1, (size_t)(close - p - 1));
			char *v = scalar_text(jsonptr_get(alert, ptr));

			(void)buf_puts(&b, v ? v : "");
			free(ptr);
			free(v);
			p = close;
		} else {
			(void)buf_putc(&b, *p);
		}
	}
	return buf_steal(&b, NULL);
}

static bool
in_list(char *const *list, const char *v)
{
	for (size_t i = 0; list && list[i]; i++)
		if (strcmp(list[i], v) == 0)
			return true;
	return false;
}

/* -1 unknown status value; else the action. No status mapping: trigger. */
static int
map_action(const struct http_mapping *m, const json_t *alert, char **status_r)
{
	char *s = map_value(alert, m->status);

	*status_r = s;
	if (s == NULL)
		return HOOK_TRIGGER;
	if (in_list(m->firing, s))
		return HOOK_TRIGGER;
	if (in_list(m->resolved, s))
		return HOOK_RESOLVE;
	if (in_list(m->acknowledged, s))
		return HOOK_ACKNOWLEDGE;
	return -1;
}

/* The alerts of the body: the array at map.alerts, or the body itself. */
static int
alert_list(const json_t *doc, const struct http_source *src, const json_t **list_r, size_t *n_r,
           char *why, size_t whylen)
{
	const json_t *list;

	if (!json_is_object(doc) && !json_is_array(doc))
		return hook_why(why, whylen, "body: must be a JSON object or array");
	if (src->map.alerts == NULL) {
		*list_r = NULL;
		*n_r = 1;
		return 0;
	}
	list = jsonptr_get(doc, src->map.alerts);
	if (!json_is_array(list))
		return hook_why(why, whylen, "%.100s: must be an array of alerts", src->map.alerts);
	if (json_array_size(list) == 0 || json_array_size(list) > GENERIC_MAX_ALERTS)
		return hook_why(why, whylen, "%.100s: must hold 1 to %d alerts", src->map.alerts,
		                GENERIC_MAX_ALERTS);
	*list_r = list;
	*n_r = json_array_size(list);
	return 0;
}

static int
check_one(const json_t *a, const struct http_source *src, size_t i, char *why, size_t whylen)
{
	char *key = map_value(a, src->map.dedup_key), *status = NULL;
	int act = map_action(&src->map, a, &status), rc = 0;

	if (key == NULL || key[0] == '\0' || strlen(key) > HOOK_KEY_MAX)
		rc = hook_why(why, whylen, "alert %zu: %.100s: dedup key missing, empty or longer "
		              "than %d bytes", i, src->map.dedup_key, HOOK_KEY_MAX);
	else if (act < 0)
		rc = hook_why(why, whylen, "alert %zu: %.100s: status \"%.40s\" is none of the mapped "
		              "firing, resolved or acknowledged values", i, src->map.status, status);
	free(key);
	free(status);
	return rc;
}

static int
generic_validate(const json_t *doc, const struct http_source *src, struct hook_info *info,
                 char *why, size_t whylen)
{
	const json_t *list;
	size_t n;

	if (src == NULL || src->map.dedup_key == NULL)
		return hook_why(why, whylen, "source: no mapping configured");
	if (alert_list(doc, src, &list, &n, why, whylen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (check_one(list ? json_array_get(list, i) : doc, src, i, why, whylen) < 0)
			return -1;
	info->n_alerts = (int)n;
	return 0;
}

static void
generic_one(struct hook_alert *out, const json_t *a, const struct http_source *src)
{
	const struct http_mapping *m = &src->map;
	char *status = NULL;
	json_t *obj = json_object();
	const json_t *labels = m->labels ? jsonptr_get(a, m->labels) : NULL;

	out->key = map_value(a, m->dedup_key);
	out->action = (enum hook_action)map_action(m, a, &status);
	out->summary = map_value(a, m->summary);
	if (out->summary == NULL || out->summary[0] == '\0') {
		free(out->summary);
		out->summary = xasprintf("%s alert %s", src->name, out->key);
	}
	out->description = map_value(a, m->description);
	out->severity = map_value(a, m->severity);
	/* What the rules read: the mapped fields, labels, and the original under json./raw. */
	if (out->severity)
		json_object_set_new(obj, "severity", json_string(out->severity));
	json_object_set_new(obj, "summary", json_string(out->summary));
	if (out->description)
		json_object_set_new(obj, "description", json_string(out->description));
	if (status)
		json_object_set_new(obj, "status", json_string(out->action == HOOK_RESOLVE ?
		                                               "resolved" : "firing"));
	if (json_is_object(labels))
		json_object_set_new(obj, "labels", json_deep_copy(labels));
	json_object_set_new(obj, "raw", json_deep_copy(a));
	out->obj = obj;
	free(status);
}

static int
generic_alerts(const json_t *doc, const json_t *meta, const struct http_source *src,
               struct hook_alert **alerts_r, size_t *n_r, struct tk_err *err)
{
	struct hook_info info;
	char why[HOOK_WHY_MAX];
	const json_t *list;
	struct hook_alert *out;
	size_t n;

	(void)meta;
	if (generic_validate(doc, src, &info, why, sizeof(why)) < 0 ||
	    alert_list(doc, src, &list, &n, why, sizeof(why)) < 0)
		return tk_err_set(err, "%s", why);
	out = xcalloc(n, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		generic_one(&out[i], list ? json_array_get(list, i) : doc, src);
	*alerts_r = out;
	*n_r = n;
	return 0;
}

const struct hook_ops hook_generic_ops = {
	.name = "generic", .kind = HOOK_GENERIC,
	.validate = generic_validate, .alerts = generic_alerts,
};
