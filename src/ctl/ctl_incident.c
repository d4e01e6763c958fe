/*
 * ctl_incident.c: what `ticketctl show` adds for an incident from
 * PagerDuty: the links, images and monitoring client its triggers carried
 * (incident_context), and the change events (deploys...) noted on its
 * timeline (change_events). The JSON comes from CTL_INCIDENT_JSON in the
 * show query; the text view prints it. Sender-supplied text is printed
 * with control characters replaced, so it cannot drive the terminal.
 */
#include <stdio.h>

#include <jansson.h>

#include "ctl.h"

/* The string member key of o with control characters as '?'; "-" when absent. */
static void
put(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL || *s == '\0')
		s = "-";
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

/* "  WHAT: TEXT <URL>" for each entry of list (links: text/href, images: alt/src). */
static void
print_list(const char *indent, const char *what, const json_t *list, const char *text_key,
           const char *url_key)
{
	const json_t *e;
	size_t i;

	json_array_foreach(list, i, e) {
		printf("%s%s: ", indent, what);
		put(e, text_key);
		printf(" <");
		put(e, url_key);
		printf(">");
		if (json_is_string(json_object_get(e, "href")) && url_key[0] != 'h') {
			printf(" -> ");
			put(e, "href");
		}
		printf("\n");
	}
}

void
ctl_incident_print(const json_t *t)
{
	const json_t *c = json_object_get(t, "context"), *ch;
	size_t i;

	if (json_is_object(c)) {
		if (json_object_get(c, "client") || json_object_get(c, "client_url")) {
			printf("  client: ");
			put(c, "client");
			printf(" <");
			put(c, "client_url");
			printf(">\n");
		}
		print_list("  ", "link", json_object_get(c, "links"), "text", "href");
		print_list("  ", "image", json_object_get(c, "images"), "alt", "src");
	}
	json_array_foreach(json_object_get(t, "changes"), i, ch) {
		printf("  change %lld at ", (long long)json_integer_value(json_object_get(ch, "id")));
		put(ch, "received_at");
		printf(": ");
		put(ch, "summary");
		printf(" (from ");
		put(ch, "origin");
		printf(", sent ");
		put(ch, "sent_at");
		printf(")\n");
		print_list("    ", "link", json_object_get(ch, "links"), "text", "href");
		print_list("    ", "image", json_object_get(ch, "images"), "alt", "src");
	}
}
