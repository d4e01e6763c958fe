/*
 * report_fmt.c: a report table as text (report.h): aligned for people, CSV
 * for spreadsheets (RFC 4180: a header row, fields with a comma, quote or
 * line break quoted, quotes doubled, CRLF line ends), JSON for programs.
 */
/* System. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
/* Libraries. */
#include <jansson.h>
/* ticketd. */
#include "buf.h"
#include "report.h"
#include "xalloc.h"

int
report_format_parse(const char *s)
{
	static const char *const names[] = { "table", "csv", "json" };

	for (int i = 0; s && i < 3; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static void
fmt_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm);
}

char *
report_title(const struct report_params *p)
{
	char from[40], to[40];

	fmt_time(p->from, from, sizeof(from));
	fmt_time(p->to, to, sizeof(to));
	if (p->kind == REPORT_BACKLOG)
		return xasprintf("Report backlog: open tickets by age, at %s%s%s%s%s", to,
		                 p->tenant ? ", tenant " : "", p->tenant ? p->tenant : "",
		                 p->queue ? ", queue " : "", p->queue ? p->queue : "");
	return xasprintf("Report %s, %s to %s%s%s%s%s%s%s%s", report_kind_name(p->kind), from, to,
	                 p->timezone && strcmp(p->timezone, "UTC") != 0 ? " (days in " : "",
	                 p->timezone && strcmp(p->timezone, "UTC") != 0 ? p->timezone : "",
	                 p->timezone && strcmp(p->timezone, "UTC") != 0 ? ")" : "",
	                 p->tenant ? ", tenant " : "", p->tenant ? p->tenant : "",
	                 p->queue ? ", queue " : "", p->queue ? p->queue : "");
}

/* Seconds as "45s", "12m", "3h 05m", "2d 04h". */
static void
duration(const char *secs, char *buf, size_t len)
{
	long long s = strtoll(secs, NULL, 10);

	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh %02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%lldd %02lldh", s / 86400, s % 86400 / 3600);
}

static const char *
shown(const struct report_table *t, size_t r, size_t c, char *buf, size_t len)
{
	const char *v = t->cells[r * t->n_cols + c];

	if (v == NULL)
		return "-";
	if (t->types[c] == RT_SECONDS) {
		duration(v, buf, len);
		return buf;
	}
	return v;
}

static char *
as_table(const struct report_table *t, const struct report_params *p)
{
	size_t *w = xcalloc(t->n_cols, sizeof(*w));
	char *title = report_title(p), buf[48];
	struct buf b;

	for (size_t c = 0; c < t->n_cols; c++) {
		w[c] = strlen(t->cols[c]);
		for (size_t r = 0; r < t->n_rows; r++) {
			size_t l = strlen(shown(t, r, c, buf, sizeof(buf)));

			w[c] = l > w[c] ? l : w[c];
		}
	}
	buf_init(&b, 0);
	(void)buf_printf(&b, "%s\n\n", title);
	for (size_t c = 0; c < t->n_cols; c++)
		(void)buf_printf(&b, "%s%-*s", c ? "  " : "", (int)w[c], t->cols[c]);
	(void)buf_puts(&b, "\n");
	for (size_t r = 0; r < t->n_rows; r++) {
		for (size_t c = 0; c < t->n_cols; c++) {
			const char *v = shown(t, r, c, buf, sizeof(buf));

			if (t->types[c] == RT_TEXT)
				(void)buf_printf(&b, "%s%-*s", c ? "  " : "", (int)w[c], v);
			else
				(void)buf_printf(&b, "%s%*s", c ? "  " : "", (int)w[c], v);
		}
		(void)buf_puts(&b, "\n");
	}
	if (t->n_rows == 0)
		(void)buf_puts(&b, "(nothing in this period)\n");
	free(title);
	free(w);
	return buf_steal(&b, NULL);
}

static void
csv_field(struct buf *b, const char *v)
{
	if (v == NULL)
		return;
	if (strpbrk(v, ",\"\r\n") == NULL) {
		(void)buf_puts(b, v);
		return;
	}
	(void)buf_putc(b, '"');
	for (const char *p = v; *p; p++) {
		if (*p == '"')
			(void)buf_putc(b, '"');
		(void)buf_putc(b, *p);
	}
	(void)buf_putc(b, '"');
}

static char *
as_csv(const struct report_table *t)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t c = 0; c < t->n_cols; c++) {
		if (c)
			(void)buf_putc(&b, ',');
		csv_field(&b, t->cols[c]);
	}
	(void)buf_puts(&b, "\r\n");
	for (size_t r = 0; r < t->n_rows; r++) {
		for (size_t c = 0; c < t->n_cols; c++) {
			if (c)
				(void)buf_putc(&b, ',');
			csv_field(&b, t->cells[r * t->n_cols + c]);
		}
		(void)buf_puts(&b, "\r\n");
	}
	return buf_steal(&b, NULL);
}

static json_t *
json_value(enum report_type type, const char *v)
{
	if (v == NULL)
		return json_null();
	if (type == RT_INT || type == RT_SECONDS)
		return json_integer((json_int_t)strtoll(v, NULL, 10));
	if (type == RT_NUM)
		return json_real(strtod(v, NULL));
	{
		json_t *j = json_string(v);   /* NULL for text that is not UTF-8 */

		return j ? j : json_null();
	}
}

static char *
as_json(const struct report_table *t, const struct report_params *p)
{
	json_t *rows = json_array(), *doc;
	char from[40], to[40], *out;

	for (size_t r = 0; r < t->n_rows; r++) {
		json_t *o = json_object();

		for (size_t c = 0; c < t->n_cols; c++)
			json_object_set_new(o, t->cols[c], json_value(t->types[c],
			                                              t->cells[r * t->n_cols + c]));
		json_array_append_new(rows, o);
	}
	fmt_time(p->from, from, sizeof(from));
	fmt_time(p->to, to, sizeof(to));
	doc = json_pack("{ss sI sI ss ss so so ss so}", "report", report_kind_name(p->kind),
	                "from", (json_int_t)p->from, "to", (json_int_t)p->to, "from_text", from,
	                "to_text", to, "tenant", p->tenant ? json_string(p->tenant) : json_null(),
	                "queue", p->queue ? json_string(p->queue) : json_null(), "timezone",
	                p->timezone ? p->timezone : "UTC", "rows", rows);
	out = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	return out;
}

char *
report_format(const struct report_table *t, const struct report_params *p, enum report_format f)
{
	if (f == REPORT_FMT_CSV)
		return as_csv(t);
	if (f == REPORT_FMT_JSON)
		return as_json(t, p);
	return as_table(t, p);
}
