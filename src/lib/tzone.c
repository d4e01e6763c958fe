/*
 * tzone.c: wall-clock conversions in IANA zones through GLib (tzone.h).
 * GLib tells which interval (offset) holds an instant; turning a wall
 * clock into an instant is done here: the offsets a day before and after
 * give at most two candidates, a candidate counts when its own offset
 * shows the wall clock asked for, and when none does (a skipped hour) the
 * jump is found by bisection.
 */
/* System. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
/* Libraries. */
#include <glib.h>
/* ticketd. */
#include "civil.h"
#include "tzone.h"
#include "xalloc.h"

bool
tzone_known(const char *z)
{
	const char *dir = g_getenv("TZDIR");
	struct stat st;
	char *path;
	bool ok;

	if (z == NULL || z[0] == '\0' || z[0] == '/' || strlen(z) > 200)
		return false;
	for (const char *p = z; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL)
			return false;
	if (strcmp(z, "UTC") == 0)
		return true;
	path = xasprintf("%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", z);
	ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	xfree(&path);
	return ok;
}

GTimeZone *
tzone_new(const char *name)
{
	if (name && strcmp(name, "UTC") == 0)
		return g_time_zone_new_utc();
	return tzone_known(name) ? g_time_zone_new_identifier(name) : NULL;
}

static int32_t
offset_at(GTimeZone *tz, int64_t t)
{
	int iv;

	if (tz == NULL)
		return 0;
	iv = g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, t);
	return iv < 0 ? 0 : g_time_zone_get_offset(tz, iv);
}

void
tzone_local(GTimeZone *tz, int64_t t, struct tzone_tm *tm)
{
	int64_t local = t + offset_at(tz, t);
	int64_t days = local / 86400, rem = local % 86400;
	unsigned m, d;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &tm->year, &m, &d);
	tm->month = (int)m;
	tm->day = (int)d;
	tm->hour = (int)(rem / 3600);
	tm->min = (int)(rem % 3600 / 60);
	tm->sec = (int)(rem % 60);
	tm->wday = civil_weekday(days);
}

bool
tzone_instant(GTimeZone *tz, const struct tzone_tm *tm, int64_t *t_r)
{
	int64_t local, cand[2], lo, hi;
	int32_t off[2];
	bool ok[2];

	if (tm->month < 1 || tm->month > 12 || tm->day < 1 ||
	    (unsigned)tm->day > civil_month_days(tm->year, (unsigned)tm->month) || tm->hour < 0 ||
	    tm->hour > 23 || tm->min < 0 || tm->min > 59 || tm->sec < 0 || tm->sec > 59 ||
	    tm->year < 1 || tm->year > 9999)
		return false;
	local = civil_days(tm->year, (unsigned)tm->month, (unsigned)tm->day) * 86400 +
	        tm->hour * 3600 + tm->min * 60 + tm->sec;
	off[0] = offset_at(tz, local - 86400);
	off[1] = offset_at(tz, local + 86400);
	for (int i = 0; i < 2; i++) {
		cand[i] = local - off[i];
		ok[i] = offset_at(tz, cand[i]) == off[i];
	}
	if (ok[0] || ok[1]) {   /* shown once, or twice (then the first) */
		*t_r = ok[0] && ok[1] ? (cand[0] < cand[1] ? cand[0] : cand[1]) : ok[0] ? cand[0] : cand[1];
		return true;
	}
	/* Skipped: the first instant with the later offset, between the two candidates. */
	lo = cand[0] < cand[1] ? cand[0] : cand[1];
	hi = cand[0] < cand[1] ? cand[1] : cand[0];
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;

		if (offset_at(tz, mid) == off[1])
			hi = mid;
		else
			lo = mid;
	}
	*t_r = hi;
	return true;
}
