/*
 * hook.c: the table of webhook senders and helpers they share.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hook.h"
#include "mime.h"
#include "xalloc.h"

static const struct hook_ops *const all_ops[] = {
	&hook_alertmanager_ops, &hook_grafana_ops, &hook_pagerduty_ops, &hook_generic_ops,
	&hook_pagerduty_change_ops, /* after its kind's alert events: hook_ops_kind finds those */
};

const struct hook_ops *
hook_ops_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(all_ops) / sizeof(all_ops[0]); i++)
		if (strcmp(all_ops[i]->name, name) == 0)
			return all_ops[i];
	return NULL;
}

const struct hook_ops *
hook_ops_kind(enum hook_kind kind)
{
	for (size_t i = 0; i < sizeof(all_ops) / sizeof(all_ops[0]); i++)
		if (all_ops[i]->kind == kind)
			return all_ops[i];
	return NULL;
}

void
hook_alerts_free(struct hook_alert **alerts, size_t n)
{
	struct hook_alert *a = *alerts;

	for (size_t i = 0; a && i < n; i++) {
		xfree(&a[i].key);
		xfree(&a[i].group);
		xfree(&a[i].summary);
		xfree(&a[i].description);
		xfree(&a[i].severity);
		json_decref(a[i].obj);
	}
	xfree(alerts);
}

int
hook_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	char *clean;
	size_t n;

	if (whylen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	clean = mime_utf8_clean(why, strlen(why));
	n = strlen(clean);
	if (n >= whylen) /* the U+FFFDs made it longer: cut before a character */
		for (n = whylen - 1; n > 0 && ((unsigned char)clean[n] & 0xc0) == 0x80; n--)
			;
	memcpy(why, clean, n);
	why[n] = '\0';
	free(clean);
	return -1;
}

const char *
hook_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}
