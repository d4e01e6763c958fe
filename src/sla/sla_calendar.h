/*
 * sla_calendar.h: business-hours calendars, which say when an SLA clock
 * counts. Pure logic: no database, no global state.
 *
 * A calendar is either the built-in "24x7" (always open) or business hours:
 * opening intervals per weekday in local time of an IANA time zone, and
 * holidays. All times are Unix seconds (UTC instants) in int64_t.
 *
 * THE RULE (what "open" means). An instant is business time when the local
 * wall clock of the calendar's zone, at that instant, shows a date that is
 * not a holiday and a time of day inside one of that weekday's intervals.
 * Everything else follows from it:
 *
 * - DST. A 09:00-17:00 day is 8 real hours on the DST days too (the changes
 *   happen at night). An interval that covers the change counts what the
 *   clock shows: hours the clock skips are not business time, hours it shows
 *   twice are counted twice. In Europe/Berlin 01:00-03:00 is 1 real hour on
 *   the spring-forward day (02:00-03:00 never shows) and 3 real hours on the
 *   fall-back day (02:00-03:00 shows twice); an interval that starts in the
 *   skipped hour (02:30-05:00) opens when the clock jumps (03:00 CEST), one
 *   that ends in it (01:00-02:30) closes at the jump (02:00 CET). In zones
 *   that change at midnight, the skipped or repeated hour belongs to the
 *   date the clock shows.
 * - Holidays close whole local days: from 00:00 to 24:00 of that date on the
 *   zone's wall clock, whatever the weekday's hours. "YYYY-MM-DD" is one
 *   date; "MM-DD" is that date every year ("02-29" only in leap years). No
 *   moving of a holiday that falls on a weekend.
 * - UTC offsets come from the system's zone database (tzdata) through GLib,
 *   read once at load for the instants of 1970-2199; after that the last
 *   offset of that span is used.
 * - Instants are defined from 1970-01-01 to the end of 9999 (UTC): outside
 *   that range a business calendar is closed (seconds() clamps from and to
 *   to it), so -1 is never an instant.
 *
 * Limits of the answers: add() and next_open() look ten years ahead at most
 * (SLA_CALENDAR_HORIZON) and answer -1 beyond. Every call is bounded (whole
 * weeks are skipped where the holidays allow it; see sla_calendar.c).
 *
 * A calendar is immutable after load and safe to share between threads.
 */
#ifndef TK_SLA_CALENDAR_H
#define TK_SLA_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "ynode.h"

/* How far add() and next_open() look: ten years of 365.25 days, rounded up. */
#define SLA_CALENDAR_HORIZON ((int64_t)3653 * 86400)

struct sla_calendar;   /* immutable after load; safe to share between threads */

/* The built-in always-open calendar "24x7" (static; sla_calendar_free ignores it). */
const struct sla_calendar *sla_calendar_24x7(void);

/*
 * Load calendar `name` from its YAML mapping (ynode.h), e.g.
 *   timezone: Europe/Berlin
 *   hours:
 *     mon-fri: "09:00-17:00"          # day ranges, and several intervals "08:00-12:00, 13:00-17:00"
 *     sat: "10:00-14:00"
 *     sun: closed                     # absent days are closed too
 *   holidays: [2026-12-24, 2026-12-25, "01-01"]   # a date, or MM-DD for every year
 * Day names are mon tue wed thu fri sat sun; a range may wrap around the
 * week (fri-mon). Intervals are HH:MM-HH:MM within one day, start before
 * end, "24:00" allowed as an end; touching intervals are merged.
 * Every error (unknown zone, bad day name, overlapping or empty or malformed interval, bad date,
 * unknown key, a calendar with no open hour at all) goes to errs as FILE:LINE:COL: message via
 * ynode_error(); returns -1 then and *cal_r is NULL. On success *cal_r is the caller's
 * (sla_calendar_free). `name` is copied.
 */
int sla_calendar_load(const char *name, const struct ynode *map, struct sla_calendar **cal_r,
                      struct tk_errlist *errs);
/* Free *cal and set it to NULL; NULL and the built-in 24x7 are ignored (set to NULL too). */
void sla_calendar_free(struct sla_calendar **cal);
/* The calendar's name; borrowed, lives as long as the calendar. */
const char *sla_calendar_name(const struct sla_calendar *cal);
/* The calendar's IANA zone ("Europe/Berlin"), or NULL for 24x7; borrowed like the name. */
const char *sla_calendar_timezone(const struct sla_calendar *cal);
/* Business seconds in [from, to); 0 when to <= from. */
int64_t sla_calendar_seconds(const struct sla_calendar *cal, int64_t from, int64_t to);
/*
 * The earliest instant t >= from with sla_calendar_seconds(cal, from, t) == secs (secs >= 0): when a
 * clock started at `from` has counted secs of business time. -1 only if not reached within ten years
 * (t - from > SLA_CALENDAR_HORIZON), or for secs < 0 or a from outside 1970-9999.
 * secs == 0 gives from itself, open or not.
 */
int64_t sla_calendar_add(const struct sla_calendar *cal, int64_t from, int64_t secs);
/* Whether business time runs at instant t (the second [t, t+1) counts). */
bool sla_calendar_open_at(const struct sla_calendar *cal, int64_t t);
/*
 * The first instant >= t at which business time runs (t itself when open); -1 when there is
 * none within ten years (holidays closing every open day) or t is after the year 9999.
 */
int64_t sla_calendar_next_open(const struct sla_calendar *cal, int64_t t);

#endif
