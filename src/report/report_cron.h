/*
 * report_cron.h: when a scheduled report runs: a cron-style schedule in a
 * time zone ("0 8 * * mon" in Europe/Berlin: Mondays at 08:00 on Berlin's
 * wall clock, whatever its offset). Pure.
 *
 * Five fields: minute (0-59), hour (0-23), day of month (1-31), month
 * (1-12 or jan-dec), day of week (0-7 or sun-sat; 0 and 7 are Sunday).
 * Each is "*", a value, a range "a-b", a list "a,b-c", with an optional
 * step "*&#47;15" or "a-b/2". As in cron, when both day fields are
 * restricted a day matching either counts.
 *
 * Daylight-saving time: a time the clock skips (02:30 on the spring-forward
 * night) runs at the jump (03:00); a time it shows twice runs once, the
 * first time. Each run is an instant, so it happens once.
 */
#ifndef TK_REPORT_CRON_H
#define TK_REPORT_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _GTimeZone GTimeZone;

struct report_cron {
	uint64_t minutes;        /* bit m: minute m */
	uint32_t hours, days;    /* bit h; bit d (1-31) */
	uint16_t months;         /* bit m (1-12) */
	uint8_t weekdays;        /* bit w: 0 Sunday ... 6 Saturday */
	bool days_any, weekdays_any;
};

/* Parse s; 0, or -1 with why (a message naming the field) written to why. */
int report_cron_parse(const char *s, struct report_cron *c, char *why, size_t why_len);

/*
 * The first run strictly after `after` (Unix seconds) on the wall clock of
 * tz (NULL: UTC), or -1 when none comes within eight years (a schedule for
 * February 30th).
 */
int64_t report_cron_next(const struct report_cron *c, GTimeZone *tz, int64_t after);

#endif
