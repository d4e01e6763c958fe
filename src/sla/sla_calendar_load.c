/*
 * sla_calendar_load.c: one calendar from its YAML mapping (timezone, hours,
 * holidays), every error reported at its FILE:LINE:COL.
 *
 * Why GLib. The daemon is multi-threaded, so setenv("TZ") + tzset() +
 * localtime_r() is out (TZ is process-wide state), and parsing TZif files by
 * hand means owning a second copy of the zone rules (version 1/2/3 files, the
 * POSIX footer that extends them into the future). GLib's GTimeZone reads the
 * system's /usr/share/zoneinfo (Debian's tzdata), is immutable and
 * thread-safe, and its footer rules carry offsets far past 2037. We ask it
 * only once per calendar: at load the offsets of 1970-2199 are copied into a
 * small table (struct sla_tzp), so the arithmetic never calls GLib and the
 * calendar owns no GLib object.
 */
/* System. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
/* Libraries. */
#include <glib.h>
/* ticketd. */
#include "civil.h"
#include "sla_calendar_int.h"
#include "tzone.h"
#include "xalloc.h"

/* The span of instants whose offsets are read from the zone: 1970-01-01 to 2200-01-01 UTC. */
#define TZ_FROM INT64_C(0)
#define TZ_UNTIL INT64_C(7258118400)

static const char *const day_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

/* ---- timezone ---- */

static void
tzp_push(struct sla_calendar *cal, size_t *cap, int64_t at, int32_t off)
{
	if (cal->ntzp > 0 && cal->tzp[cal->ntzp - 1].off == off)
		return;   /* a new interval with the same offset (a name or DST flag change) */
	if (cal->ntzp == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		cal->tzp = xreallocarray(cal->tzp, *cap, sizeof(*cal->tzp));
	}
	cal->tzp[cal->ntzp].at = at;
	cal->tzp[cal->ntzp++].off = off;
}

/*
 * Copy the zone's offsets over [TZ_FROM, TZ_UNTIL) into cal->tzp. GLib tells
 * which interval holds an instant but not where it ends, so each change is
 * found by doubling steps from the last one (a day, two, four...) until the
 * interval differs, then bisecting to the second: about 30 lookups a change.
 */
static void
tz_table(struct sla_calendar *cal, GTimeZone *tz)
{
	int64_t t = TZ_FROM;
	int iv = g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, t);
	size_t cap = 0;

	tzp_push(cal, &cap, INT64_MIN, g_time_zone_get_offset(tz, iv));
	while (t < TZ_UNTIL) {
		int64_t lo = t, hi, step = SLA_DAY;

		for (;;) {
			hi = lo + step < TZ_UNTIL ? lo + step : TZ_UNTIL;
			if (g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, hi) != iv)
				break;
			if (hi == TZ_UNTIL)
				return;
			lo = hi;
			step *= 2;
		}
		while (hi - lo > 1) {   /* interval iv at lo, another one at hi */
			int64_t mid = lo + (hi - lo) / 2;

			if (g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, mid) == iv)
				lo = mid;
			else
				hi = mid;
		}
		t = hi;
		iv = g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, t);
		tzp_push(cal, &cap, t, g_time_zone_get_offset(tz, iv));
	}
}

static void
load_zone(struct sla_calendar *cal, const struct ynode *n, struct tk_errlist *errs)
{
	const char *z;
	GTimeZone *tz = NULL;

	if (ynode_str(n, &z, errs) < 0)
		return;
	tz = tzone_new(z);   /* an IANA name in the zone database, nothing else */
	if (tz == NULL) {
		ynode_error(errs, n, "unknown time zone \"%.100s\" (an IANA name such as "
		            "Europe/Berlin, from the tzdata package)", z);
		return;
	}
	cal->zone = xstrdup(z);
	tz_table(cal, tz);
	g_time_zone_unref(tz);
}

/* ---- hours ---- */

static int
day_index(const char *s, size_t n)
{
	for (int i = 0; i < 7; i++)
		if (n == 3 && strncasecmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

/* "mon" or "mon-fri" (wrapping: "fri-mon") into days[]; false when malformed. */
static bool
parse_days(const char *s, bool days[7])
{
	const char *dash = strchr(s, '-');
	int a, b;

	a = day_index(s, dash ? (size_t)(dash - s) : strlen(s));
	b = dash ? day_index(dash + 1, strlen(dash + 1)) : a;
	if (a < 0 || b < 0)
		return false;
	for (int i = a;; i = (i + 1) % 7) {
		days[i] = true;
		if (i == b)
			break;
	}
	return true;
}

/* "HH:MM" (H or HH, 00-24, MM 00-59) at *p, advancing it; seconds of day or -1. */
static int32_t
parse_clock(const char **p)
{
	const char *s = *p;
	int h = 0, nd = 0;

	while (isdigit((unsigned char)*s) && nd < 2)
		h = h * 10 + (*s++ - '0'), nd++;
	if (nd == 0 || *s != ':' || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]))
		return -1;
	int m = (s[1] - '0') * 10 + (s[2] - '0');

	*p = s + 3;
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	return h * 3600 + m * 60;
}

static int
span_cmp(const void *a, const void *b)
{
	const struct sla_span *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

static void
clock_text(int32_t s, char out[6])
{
	snprintf(out, 6, "%02d:%02d", (int)(s / 3600) % 100, (int)(s / 60 % 60));
}

/* Length of the interval at s, for messages: up to the next comma, at most 100. */
static int
item_len(const char *s)
{
	size_t n = strcspn(s, ",");

	return n > 100 ? 100 : (int)n;
}

/*
 * One comma-separated list of intervals into spans (sorted, touching ones
 * merged); the count, or -1 after reporting at n.
 */
static int
parse_spans(const struct ynode *n, struct sla_span *spans, struct tk_errlist *errs)
{
	const char *p = n->scalar;
	int count = 0, out = 0;

	for (;;) {
		const char *item;
		int32_t a, b = -1;

		p += strspn(p, " \t");
		item = p;
		a = parse_clock(&p);
		p += strspn(p, " \t");
		if (a >= 0 && *p == '-') {
			p++;
			p += strspn(p, " \t");
			b = parse_clock(&p);
			p += strspn(p, " \t");
		}
		if (a < 0 || b < 0 || (*p != ',' && *p != '\0')) {
			ynode_error(errs, n, "bad interval \"%.*s\" (expected HH:MM-HH:MM, several "
			            "separated by commas, or closed)", item_len(item), item);
			return -1;
		}
		if (a >= b || a == SLA_DAY) {
			ynode_error(errs, n, "empty interval \"%.*s\" (an interval ends after it starts, "
			            "on the same day; 24:00 is the end of the day)",
			            item_len(item), item);
			return -1;
		}
		if (count == SLA_CAL_MAX_SPANS) {
			ynode_error(errs, n, "more than %d intervals in a day", SLA_CAL_MAX_SPANS);
			return -1;
		}
		spans[count].start = a;
		spans[count++].end = b;
		if (*p++ == '\0')
			break;
	}
	qsort(spans, (size_t)count, sizeof(*spans), span_cmp);
	for (int i = 0; i < count; i++) {
		if (out > 0 && spans[i].start < spans[out - 1].end) {
			char a1[6], b1[6], a2[6], b2[6];

			clock_text(spans[out - 1].start, a1), clock_text(spans[out - 1].end, b1);
			clock_text(spans[i].start, a2), clock_text(spans[i].end, b2);
			ynode_error(errs, n, "intervals %s-%s and %s-%s overlap", a1, b1, a2, b2);
			return -1;
		}
		if (out > 0 && spans[i].start == spans[out - 1].end)
			spans[out - 1].end = spans[i].end;
		else
			spans[out++] = spans[i];
	}
	return out;
}

/* One "days: intervals" pair of the hours map. */
static void
load_hours_pair(struct sla_calendar *cal, const struct ynode *key, const struct ynode *val,
                const struct ynode *given[7], struct tk_errlist *errs)
{
	bool days[7] = { false };
	struct sla_span spans[SLA_CAL_MAX_SPANS];
	int n = 0;

	if (!parse_days(key->scalar, days)) {
		ynode_error(errs, key, "unknown day \"%.100s\" (expected mon, tue, wed, thu, fri, "
		            "sat or sun, or a range such as mon-fri)", key->scalar);
		return;
	}
	if (val->kind != YNODE_SCALAR) {
		ynode_error(errs, val, "expected intervals such as \"09:00-17:00\", or closed");
		return;
	}
	if (strcasecmp(val->scalar, "closed") != 0 && (n = parse_spans(val, spans, errs)) < 0)
		return;
	for (int d = 0; d < 7; d++) {
		if (!days[d])
			continue;
		if (given[d] != NULL) {
			ynode_error(errs, key, "%s is already given at line %d", day_names[d],
			            given[d]->line);
			continue;
		}
		given[d] = key;
		memcpy(cal->spans[d], spans, sizeof(spans[0]) * (size_t)n);
		cal->nspans[d] = n;
	}
}

static void
load_hours(struct sla_calendar *cal, const struct ynode *n, struct tk_errlist *errs)
{
	const struct ynode *given[7] = { NULL };

	if (n->kind != YNODE_MAP) {
		ynode_error(errs, n, "hours: expected a mapping of days to intervals "
		            "(mon-fri: \"09:00-17:00\")");
		return;
	}
	for (size_t i = 0; i < n->n; i++)
		load_hours_pair(cal, n->keys[i], n->items[i], given, errs);
	for (int d = 0; d < 7; d++) {
		cal->day_open[d] = 0;
		for (int i = 0; i < cal->nspans[d]; i++)
			cal->day_open[d] += cal->spans[d][i].end - cal->spans[d][i].start;
		cal->week_open += cal->day_open[d];
	}
}

/* ---- holidays ---- */

/* Exactly n digits at s, as a number; -1 otherwise. */
static int
digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
i64_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* One holiday: "YYYY-MM-DD" into dated[], "MM-DD" into yearly_md. */
static void
load_holiday(struct sla_calendar *cal, const struct ynode *n, size_t *cap,
             struct tk_errlist *errs)
{
	const char *s = n->kind == YNODE_SCALAR ? n->scalar : "";
	size_t len = strlen(s);
	int y = 2000, m = -1, d = -1;   /* a leap year for MM-DD: 02-29 is valid */

	if (len == 10 && s[4] == '-' && s[7] == '-')
		y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
	else if (len == 5 && s[2] == '-')
		m = digits(s, 2), d = digits(s + 3, 2);
	if (y < 1 || m < 1 || d < 1) {
		ynode_error(errs, n, "bad holiday \"%.100s\" (expected a date YYYY-MM-DD, or MM-DD "
		            "for every year)", s);
		return;
	}
	if (m > 12 || (unsigned)d > civil_month_days(y, (unsigned)m)) {
		ynode_error(errs, n, "holiday \"%.100s\" is not a date", s);
		return;
	}
	if (len == 5) {
		cal->yearly_md[m][d] = true;
		return;
	}
	if (cal->ndated == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		cal->dated = xreallocarray(cal->dated, *cap, sizeof(*cal->dated));
	}
	cal->dated[cal->ndated++] = civil_days(y, (unsigned)m, (unsigned)d);
}

/*
 * Sort the dated holidays, drop repeats and those a yearly one covers; list
 * the yearly ones in date order.
 */
static void
holidays_index(struct sla_calendar *cal)
{
	size_t out = 0;

	if (cal->ndated > 1)
		qsort(cal->dated, cal->ndated, sizeof(*cal->dated), i64_cmp);
	for (size_t i = 0; i < cal->ndated; i++) {
		int64_t y;
		unsigned m, d;

		civil_from_days(cal->dated[i], &y, &m, &d);
		if ((out > 0 && cal->dated[out - 1] == cal->dated[i]) || cal->yearly_md[m][d])
			continue;
		cal->dated[out++] = cal->dated[i];
	}
	cal->ndated = out;
	for (unsigned m = 1; m <= 12; m++)
		for (unsigned d = 1; d <= 31; d++)
			if (cal->yearly_md[m][d]) {
				cal->yearly = xreallocarray(cal->yearly, cal->nyearly + 1,
				                            sizeof(*cal->yearly));
				cal->yearly[cal->nyearly++] = (uint16_t)(m * 100 + d);
			}
}

static void
load_holidays(struct sla_calendar *cal, const struct ynode *n, struct tk_errlist *errs)
{
	size_t cap = 0;

	if (n->kind != YNODE_SEQ) {
		ynode_error(errs, n, "holidays: expected a list of dates ([2026-12-25, \"01-01\"])");
		return;
	}
	for (size_t i = 0; i < n->n; i++)
		load_holiday(cal, n->items[i], &cap, errs);
	holidays_index(cal);
}

/* ---- the calendar ---- */

int
sla_calendar_load(const char *name, const struct ynode *map, struct sla_calendar **cal_r,
                  struct tk_errlist *errs)
{
	static const char *const allowed[] = { "timezone", "hours", "holidays", NULL };
	struct sla_calendar *cal = xnew(struct sla_calendar);
	size_t nerr = errs->n, nerr_hours;
	char *what = xasprintf("calendar %s", name);
	const struct ynode *n;

	*cal_r = NULL;
	cal->name = xstrdup(name);
	ynode_check_keys(map, allowed, what, errs);
	if (map->kind == YNODE_MAP) {
		if ((n = ynode_get(map, "timezone")) != NULL)
			load_zone(cal, n, errs);
		else
			ynode_error(errs, map, "calendar %s: timezone is required", name);
		nerr_hours = errs->n;
		if ((n = ynode_get(map, "hours")) != NULL)
			load_hours(cal, n, errs);
		if (cal->week_open == 0 && errs->n == nerr_hours)
			ynode_error(errs, n != NULL ? n : map, "calendar %s has no open hour (the "
			            "built-in calendar 24x7 is always open)", name);
		if ((n = ynode_get(map, "holidays")) != NULL)
			load_holidays(cal, n, errs);
	}
	xfree(&what);
	if (errs->n > nerr) {
		sla_calendar_free(&cal);
		return -1;
	}
	*cal_r = cal;
	return 0;
}

void
sla_calendar_free(struct sla_calendar **cal)
{
	if (*cal == NULL)
		return;
	if (*cal == sla_calendar_24x7()) {
		*cal = NULL;
		return;
	}
	xfree(&(*cal)->name);
	xfree(&(*cal)->zone);
	xfree(&(*cal)->dated);
	xfree(&(*cal)->yearly);
	xfree(&(*cal)->tzp);
	xfree(cal);
}
