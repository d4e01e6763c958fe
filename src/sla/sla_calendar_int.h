/*
 * sla_calendar_int.h: the calendar's representation, shared by the
 * arithmetic (sla_calendar.c) and the loader (sla_calendar_load.c).
 *
 * Local time is handled as "naive" local seconds: a UTC instant plus the UTC
 * offset in force at that instant, counted from 1970-01-01 00:00 local. Day
 * number d (days since 1970-01-01) covers naive [d * 86400, (d + 1) * 86400).
 */
#ifndef TK_SLA_CALENDAR_INT_H
#define TK_SLA_CALENDAR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sla_calendar.h"

#define SLA_DAY 86400
#define SLA_CAL_MAX_SPANS 8          /* intervals per weekday */

/*
 * Instants the arithmetic accepts: 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z
 * (none negative, so that -1 is never an instant).
 */
#define SLA_CAL_TMIN INT64_C(0)
#define SLA_CAL_TMAX INT64_C(253402300799)

/* One opening interval: [start, end) in seconds since local midnight, end <= 86400. */
struct sla_span {
	int32_t start, end;
};

/* From instant `at` on (until the next entry), the zone's UTC offset is `off` seconds. */
struct sla_tzp {
	int64_t at;
	int32_t off;
};

struct sla_calendar {
	char *name;
	char *zone;                             /* NULL for 24x7 */
	bool always;                            /* 24x7: every instant is business time */
	struct sla_span spans[7][SLA_CAL_MAX_SPANS];   /* per weekday, Monday = 0; sorted */
	int nspans[7];
	int64_t day_open[7];                    /* business seconds of an ordinary weekday */
	int64_t week_open;                      /* their sum; > 0 for business hours */
	int64_t *dated;                         /* holidays as sorted day numbers, none yearly */
	size_t ndated;
	uint16_t *yearly;                       /* yearly holidays as month * 100 + day, sorted */
	size_t nyearly;
	bool yearly_md[13][32];                 /* [month][day]: a yearly holiday */
	struct sla_tzp *tzp;                    /* sorted by at; tzp[0].at == INT64_MIN */
	size_t ntzp;
};

#endif
