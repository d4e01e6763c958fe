/*
 * tzone.h: IANA time zones for wall-clock times people write (an agent's
 * "away until 2026-12-24", a report's "Mondays 08:00 Europe/Berlin"),
 * through GLib's GTimeZone: immutable, thread-safe, and never TZ (which is
 * process-wide). SLA calendars copy their offsets once at load
 * (sla_calendar_load.c); these helpers answer one conversion at a time.
 */
#ifndef TK_TZONE_H
#define TK_TZONE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct _GTimeZone GTimeZone;

/*
 * Whether name is spelled like an IANA zone ("Europe/Berlin": letters,
 * digits and "/_+-", no leading "/", at most 200 bytes) and the zone
 * database GLib reads (TZDIR, else /usr/share/zoneinfo) holds it. Offsets
 * ("+01:00"), POSIX TZ strings ("CET-1CEST") and paths are refused.
 */
bool tzone_known(const char *name);

/* The zone (g_time_zone_unref it), or NULL when tzone_known() is false. "UTC" always works. */
GTimeZone *tzone_new(const char *name);

/* A wall-clock time in a zone. */
struct tzone_tm {
	int64_t year;
	int month, day, hour, min, sec;   /* 1-12, 1-31, 0-23, 0-59, 0-59 */
	int wday;                         /* 0 = Monday ... 6 = Sunday */
};

/* The wall clock of tz (NULL: UTC) at instant t (Unix seconds). */
void tzone_local(GTimeZone *tz, int64_t t, struct tzone_tm *tm);

/*
 * The instant when the wall clock of tz (NULL: UTC) shows tm (wday
 * ignored). A time the clock skips (the spring-forward hour) is the
 * instant of the jump; a time it shows twice is the first of the two.
 * Returns false for a date or time out of range.
 */
bool tzone_instant(GTimeZone *tz, const struct tzone_tm *tm, int64_t *t_r);

#endif
