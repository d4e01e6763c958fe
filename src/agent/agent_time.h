/*
 * agent_time.h: the times people give for "away until ..." (ticketctl
 * agent status --until, #away until ... by email). Pure.
 *
 *   2026-12-24               00:00 of that day, in the zone
 *   2026-12-24 17:30         (or 2026-12-24T17:30, seconds optional) in the zone
 *   2026-12-24T17:30Z        UTC; or with an offset: 2026-12-24T17:30+01:00
 *   3h, 90m, 2d              that long from now
 *
 * The zone is the agent's working-hours calendar's, else UTC.
 */
#ifndef TK_AGENT_TIME_H
#define TK_AGENT_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * Parse s against now (Unix seconds) in zone tz (an IANA name; NULL: UTC)
 * into *t_r. The time must be after now and within ten years. -1 with err
 * saying what was expected.
 */
int agent_time_parse(const char *s, int64_t now, const char *tz, int64_t *t_r, struct tk_err *err)
	__attribute__((warn_unused_result));

/*
 * An absolute time (the date forms above, no duration, no check against
 * now) in zone tz (NULL: UTC). *date_only_r (may be NULL) says whether no
 * time of day was given. 0, or -1 with err.
 */
int agent_time_parse_date(const char *s, const char *tz, int64_t *t_r, bool *date_only_r,
                          struct tk_err *err) __attribute__((warn_unused_result));

/* t as "2026-12-24 17:30 UTC" into buf. */
void agent_time_format(int64_t t, char *buf, size_t len);

#endif
