/*
 * rules_input.c: the two adapters that let the rules engine read a parsed
 * mail message (struct mime_msg) or a JSON alert through the lookup callback
 * of struct rules_input, without the engine knowing either struct.
 */
/* System. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ticketd. */
#include "mime.h"
#include "jsonptr.h"
#include "rules.h"


static int
str_value(const char *s, int (*each)(const char *, size_t, void *), void *arg)
{
	return s ? each(s, strlen(s), arg) : 0;
}

static int
bool_value(bool b, int (*each)(const char *, size_t, void *), void *arg)
{
	return b ? each("true", 4, arg) : each("false", 5, arg);
}

static int
addr_values(const struct mime_addr *a, size_t n, int (*each)(const char *, size_t, void *),
            void *arg)
{
	int rc;

	for (size_t i = 0; i < n; i++)
		if (a[i].addr && (rc = each(a[i].addr, strlen(a[i].addr), arg)) != 0)
			return rc;
	return 0;
}

static int
header_values(const struct mime_msg *msg, const char *name,
              int (*each)(const char *, size_t, void *), void *arg)
{
	int rc;

	for (size_t i = 0; i < msg->n_headers; i++) {
		const struct mime_header *h = &msg->headers[i];

		if (h->name && h->value && strcasecmp(h->name, name) == 0 &&
		    (rc = each(h->value, strlen(h->value), arg)) != 0)
			return rc;
	}
	return 0;
}

static int
attachment_values(const struct mime_msg *msg, bool type,
                  int (*each)(const char *, size_t, void *), void *arg)
{
	int rc;

	for (size_t i = 0; i < msg->n_attachments; i++) {
		const struct mime_attachment *a = &msg->attachments[i];

		if ((rc = str_value(type ? a->content_type : a->filename, each, arg)) != 0)
			return rc;
	}
	return 0;
}

static int
mail_lookup(const struct rules_input *in, const struct rules_field *f,
            int (*each)(const char *, size_t, void *), void *arg)
{
	const struct mime_msg *msg = in->data;
	int rc;

	switch (f->id) {
	case RULES_F_SUBJECT:
		return str_value(msg->subject, each, arg);
	case RULES_F_FROM:
		return str_value(msg->from.addr, each, arg);
	case RULES_F_TO:
		return addr_values(msg->to, msg->n_to, each, arg);
	case RULES_F_CC:
		return addr_values(msg->cc, msg->n_cc, each, arg);
	case RULES_F_RECIPIENT:
		for (size_t i = 0; i < in->n_recipients; i++)
			if ((rc = str_value(in->recipients[i], each, arg)) != 0)
				return rc;
		return 0;
	case RULES_F_BODY:
		return msg->text ? each(msg->text, in->body_len, arg) : 0;
	case RULES_F_HEADER:
		return header_values(msg, f->arg, each, arg);
	case RULES_F_ATTACHMENT_NAME:
		return attachment_values(msg, false, each, arg);
	case RULES_F_ATTACHMENT_TYPE:
		return attachment_values(msg, true, each, arg);
	case RULES_F_AUTO_REPLY:
		return bool_value(msg->is_auto_reply, each, arg);
	case RULES_F_BOUNCE:
		return bool_value(msg->is_bounce, each, arg);
	case RULES_F_SENDER_IS_AGENT:
		return bool_value(in->sender_is_agent, each, arg);
	case RULES_F_AUTO_CLASS:
		return str_value(in->auto_class, each, arg);
	case RULES_F_AUTO_REASON:
		return str_value(in->auto_reason, each, arg);
	default:
		return 0; /* alert fields: no value */
	}
}

void
rules_input_mail(struct rules_input *in, const struct mime_msg *msg, const char *source,
                 const char *mailbox, bool sender_is_agent)
{
	memset(in, 0, sizeof(*in));
	in->kind = "mail";
	in->source = source;
	in->mailbox = mailbox;
	in->lookup = mail_lookup;
	in->data = msg;
	in->body_len = msg->text ? strlen(msg->text) : 0;
	in->sender_is_agent = sender_is_agent;
}

/*
 * The values of one JSON node: a scalar as text, an array as each of its items,
 * an object (or an array inside an array) as ""; null and [] have none.
 */
static int
json_values(const json_t *v, bool nested, int (*each)(const char *, size_t, void *), void *arg)
{
	char buf[64];
	int rc;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return each(json_string_value(v), json_string_length(v), arg);
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return each(buf, strlen(buf), arg);
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
		return each(buf, strlen(buf), arg);
	case JSON_TRUE:
		return each("true", 4, arg);
	case JSON_FALSE:
		return each("false", 5, arg);
	case JSON_OBJECT:
		return each("", 0, arg);
	case JSON_ARRAY:
		if (nested)
			return each("", 0, arg);
		for (size_t i = 0; i < json_array_size(v); i++)
			if ((rc = json_values(json_array_get(v, i), true, each, arg)) != 0)
				return rc;
		return 0;
	default:
		return 0; /* null: no value */
	}
}

static const json_t *
member(const json_t *obj, const char *map, const char *key)
{
	return json_object_get(json_object_get(obj, map), key);
}

static int
json_values_or_none(const json_t *v, int (*each)(const char *, size_t, void *), void *arg)
{
	return v ? json_values(v, false, each, arg) : 0;
}

/* The first of several places that holds a value. */
static int
first_values(const json_t *const *cands, size_t n, int (*each)(const char *, size_t, void *),
             void *arg)
{
	for (size_t i = 0; i < n; i++)
		if (cands[i] != NULL && !json_is_null(cands[i]))
			return json_values(cands[i], false, each, arg);
	return 0;
}

static int
alert_lookup(const struct rules_input *in, const struct rules_field *f,
             int (*each)(const char *, size_t, void *), void *arg)
{
	const json_t *a = in->data;

	switch (f->id) {
	case RULES_F_LABEL:
		return json_values_or_none(member(a, "labels", f->arg), each, arg);
	case RULES_F_ANNOTATION:
		return json_values_or_none(member(a, "annotations", f->arg), each, arg);
	case RULES_F_STATUS:
		return json_values_or_none(json_object_get(a, "status"), each, arg);
	case RULES_F_SEVERITY: {
		const json_t *c[] = { json_object_get(a, "severity"), member(a, "labels", "severity"),
		                      member(a, "payload", "severity") };

		return first_values(c, 3, each, arg);
	}
	case RULES_F_SUBJECT: {
		const json_t *c[] = { member(a, "annotations", "summary"),
		                      member(a, "annotations", "title"), json_object_get(a, "summary"),
		                      json_object_get(a, "title"), member(a, "payload", "summary"),
		                      member(a, "labels", "alertname") };

		return first_values(c, 6, each, arg);
	}
	case RULES_F_BODY: {
		const json_t *c[] = { member(a, "annotations", "description"),
		                      json_object_get(a, "description"), json_object_get(a, "message") };

		return first_values(c, 3, each, arg);
	}
	case RULES_F_JSON:
		return json_values_or_none(jsonptr_get(a, f->arg), each, arg);
	default:
		return 0; /* mail fields: no value */
	}
}

void
rules_input_alert(struct rules_input *in, const json_t *alert, const char *source)
{
	memset(in, 0, sizeof(*in));
	in->kind = "alert";
	in->source = source;
	in->lookup = alert_lookup;
	in->data = alert;
}
