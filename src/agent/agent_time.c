/*
 * agent_time.c: read "until" times (agent_time.h). Hostile input (it
 * comes by email) gets an error, never a guess: every field is checked
 * for its range, the whole string must be consumed.
 */
/* System. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
/* Libraries. */
#include <glib.h>
/* ticketd. */
#include "agent_time.h"
#include "tzone.h"
#include "ynode.h"

#define TEN_YEARS ((int64_t)3653 * 86400)

/* n digits at *p into *v; advances. */
static int
digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

/* "Z", "+HH:MM", "-HHMM" or nothing; *has_r says whether one was given. */
static int
offset(const char *p, int *off_r, int *has_r)
{
	int h, m, sign;

	*off_r = 0;
	*has_r = 0;
	if (*p == '\0')
		return 0;
	if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
		*has_r = 1;
		return 0;
	}
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if (digits(&p, 2, &h) < 0)
		return -1;
	if (*p == ':')
		p++;
	if (digits(&p, 2, &m) < 0 || *p != '\0' || h > 14 || m > 59)
		return -1;
	*off_r = sign * (h * 3600 + m * 60);
	*has_r = 1;
	return 0;
}

/* YYYY-MM-DD[( |T)HH:MM[:SS]][offset]. */
static int
parse_date(const char *s, const char *tz, int64_t *t_r)
{
	struct tzone_tm tm = { 0 };
	const char *p = s;
	int y, off, has_off;
	GTimeZone *z = NULL;
	bool ok;

	if (digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &tm.month) < 0 || *p++ != '-' ||
	    digits(&p, 2, &tm.day) < 0)
		return -1;
	tm.year = y;
	if (*p == ' ' || *p == 'T' || *p == 't') {
		p++;
		if (digits(&p, 2, &tm.hour) < 0 || *p++ != ':' || digits(&p, 2, &tm.min) < 0)
			return -1;
		if (*p == ':' && (p++, digits(&p, 2, &tm.sec) < 0))
			return -1;
	}
	if (offset(p, &off, &has_off) < 0)
		return -1;
	if (!has_off && tz && (z = tzone_new(tz)) == NULL)
		return -1;
	ok = tzone_instant(z, &tm, t_r);
	if (z)
		g_time_zone_unref(z);
	if (!ok)
		return -1;
	if (has_off)   /* the wall clock was read as UTC; the offset says what it was */
		*t_r -= off;
	return 0;
}

int
agent_time_parse_date(const char *s, const char *tz, int64_t *t_r, bool *date_only_r,
                      struct tk_err *err)
{
	if (date_only_r)
		*date_only_r = s && strlen(s) == 10;
	if (s == NULL || strlen(s) > 64 || strlen(s) < 10 || parse_date(s, tz, t_r) < 0)
		return tk_err_set(err, "\"%.64s\" is not a date and time (2026-12-24, "
		                  "\"2026-12-24 17:30\", 2026-12-24T17:30+01:00)", s ? s : "");
	return 0;
}

int
agent_time_parse(const char *s, int64_t now, const char *tz, int64_t *t_r, struct tk_err *err)
{
	int64_t ms = 0;

	if (s == NULL || *s == '\0' || strlen(s) > 64)
		return tk_err_set(err, "a time is expected (2026-12-24, \"2026-12-24 17:30\", or 3h)");
	if (isdigit((unsigned char)s[0]) && strlen(s) >= 10 && s[4] == '-') {
		if (parse_date(s, tz, t_r) < 0)
			return tk_err_set(err, "\"%.64s\" is not a date and time (2026-12-24, "
			                  "\"2026-12-24 17:30\", 2026-12-24T17:30+01:00)", s);
	} else if (ynode_parse_duration_ms(s, &ms) == 0 && ms >= 1000) {
		*t_r = now + ms / 1000;
	} else {
		return tk_err_set(err, "\"%.64s\" is neither a date (2026-12-24) nor a duration (3h, 2d)",
		                  s);
	}
	if (*t_r <= now)
		return tk_err_set(err, "\"%.64s\" is not in the future", s);
	if (*t_r - now > TEN_YEARS)
		return tk_err_set(err, "\"%.64s\" is more than ten years ahead", s);
	return 0;
}

void
agent_time_format(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm);
}
