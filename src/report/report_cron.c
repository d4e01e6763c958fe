/*
 * report_cron.c: parse cron-style schedules and find their next run
 * (report_cron.h). The next run is found day by day on the zone's wall
 * clock (at most eight years of days), and within a matching day hour by
 * hour and minute by minute, each turned into an instant by tzone.h.
 */
/* System. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
/* ticketd. */
#include "civil.h"
#include "report_cron.h"
#include "tzone.h"

#define CRON_MAX_DAYS (8 * 366 + 2)

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
};
static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

struct field {
	const char *what;
	int lo, hi;
	const char *const *names;   /* names for lo, lo+1, ... or NULL */
	size_t n_names;
	int names_from;
};

static const struct field fields[5] = {
	{ "minute", 0, 59, NULL, 0, 0 },
	{ "hour", 0, 23, NULL, 0, 0 },
	{ "day of month", 1, 31, NULL, 0, 0 },
	{ "month", 1, 12, month_names, 12, 1 },
	{ "day of week", 0, 7, day_names, 7, 0 },
};

/* A number or a name at *p; advances. -1 when neither. */
static int
value(const struct field *f, const char **p)
{
	int v = 0, nd = 0;

	if (isdigit((unsigned char)**p)) {
		while (isdigit((unsigned char)**p) && nd < 3) {
			v = v * 10 + (**p - '0');
			(*p)++;
			nd++;
		}
		return isdigit((unsigned char)**p) ? -1 : v;
	}
	for (size_t i = 0; i < f->n_names; i++) {
		if (strncasecmp(*p, f->names[i], 3) == 0) {
			*p += 3;
			return f->names_from + (int)i;
		}
	}
	return -1;
}

/* One comma-separated item: *, a, a-b, with /step. Sets bits in *set. */
static int
item(const struct field *f, const char *s, size_t len, uint64_t *set)
{
	char buf[32];
	const char *p = buf;
	int a = f->lo, b = f->hi, step = 1;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (*p == '*') {
		p++;
	} else {
		if ((a = value(f, &p)) < 0)
			return -1;
		b = a;
		if (*p == '-') {
			p++;
			if ((b = value(f, &p)) < 0)
				return -1;
		}
	}
	if (*p == '/') {
		p++;
		step = 0;
		while (isdigit((unsigned char)*p) && step < 1000)
			step = step * 10 + (*p++ - '0');
		if (step == 0)
			return -1;
	}
	if (*p != '\0' || a < f->lo || b > f->hi || a > b)
		return -1;
	for (int v = a; v <= b; v += step)
		*set |= (uint64_t)1 << v;
	return 0;
}

static int
field_parse(const struct field *f, const char *s, size_t len, uint64_t *set, bool *any)
{
	*set = 0;
	*any = len == 1 && s[0] == '*';
	for (size_t i = 0; i < len;) {
		size_t n = 0;

		while (i + n < len && s[i + n] != ',')
			n++;
		if (item(f, s + i, n, set) < 0)
			return -1;
		i += n + 1;
	}
	return 0;
}

int
report_cron_parse(const char *s, struct report_cron *c, char *why, size_t why_len)
{
	uint64_t sets[5];
	bool any[5];
	int k = 0;

	memset(c, 0, sizeof(*c));
	for (const char *p = s ? s : ""; k < 5;) {
		size_t n;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, " \t");
		if (field_parse(&fields[k], p, n, &sets[k], &any[k]) < 0) {
			snprintf(why, why_len, "the %s field \"%.*s\" is not valid (%d-%d, *, a-b, a,b, "
			         "*/n)", fields[k].what, (int)(n > 20 ? 20 : n), p, fields[k].lo,
			         fields[k].hi);
			return -1;
		}
		k++;
		p += n;
		while (*p == ' ' || *p == '\t')
			p++;
		if (k == 5 && *p != '\0') {
			snprintf(why, why_len, "a schedule has five fields (minute hour day month weekday)");
			return -1;
		}
	}
	if (k != 5) {
		snprintf(why, why_len, "a schedule has five fields (minute hour day month weekday), "
		         "e.g. \"0 8 * * mon\"");
		return -1;
	}
	c->minutes = sets[0];
	c->hours = (uint32_t)sets[1];
	c->days = (uint32_t)sets[2];
	c->months = (uint16_t)sets[3];
	c->weekdays = (uint8_t)((sets[4] | (sets[4] >> 7)) & 0x7f);   /* 7 is Sunday too */
	c->days_any = any[2];
	c->weekdays_any = any[4];
	return 0;
}

/* Whether the local date (day number) is a day of the schedule. */
static bool
day_matches(const struct report_cron *c, int64_t days)
{
	int64_t y;
	unsigned m, d;
	int wd = (civil_weekday(days) + 1) % 7;   /* 0 Sunday */
	bool dom, dow;

	civil_from_days(days, &y, &m, &d);
	if (!(c->months & (1u << m)))
		return false;
	dom = (c->days >> d) & 1;
	dow = (c->weekdays >> wd) & 1;
	if (c->days_any || c->weekdays_any)
		return dom && dow;
	return dom || dow;
}

int64_t
report_cron_next(const struct report_cron *c, GTimeZone *tz, int64_t after)
{
	struct tzone_tm now;
	int64_t day0;

	tzone_local(tz, after, &now);
	day0 = civil_days(now.year, (unsigned)now.month, (unsigned)now.day);
	/* from the day before: a skipped hour's run can land after midnight's offset change */
	for (int64_t days = day0 - 1; days < day0 + CRON_MAX_DAYS; days++) {
		struct tzone_tm tm = { 0 };
		unsigned m, d;

		if (!day_matches(c, days))
			continue;
		civil_from_days(days, &tm.year, &m, &d);
		tm.month = (int)m;
		tm.day = (int)d;
		for (tm.hour = 0; tm.hour < 24; tm.hour++) {
			if (!((c->hours >> tm.hour) & 1))
				continue;
			for (tm.min = 0; tm.min < 60; tm.min++) {
				int64_t t;

				if (((c->minutes >> tm.min) & 1) && tzone_instant(tz, &tm, &t) && t > after)
					return t;
			}
		}
	}
	return -1;
}
