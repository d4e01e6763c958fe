/*
 * sla_clock.h: the two SLA clocks of a ticket, computed from its history.
 * Pure arithmetic (no database, no wall clock: the caller passes "now"),
 * so every rule below is unit-tested (tests/unit/test_sla_clock.c).
 *
 * The rules (doc/sla.md):
 *   - Both clocks start when the ticket is created and count business time
 *     of the policy's calendar only.
 *   - They pause while the ticket is pending (waiting on the customer) and
 *     run again when it leaves pending; the wall time spent pending is
 *     recorded (paused_s).
 *   - The response clock stops at the first public agent reply
 *     (first_response_at) or when the ticket is first resolved or closed.
 *   - The resolution clock stops at resolved or closed; a reopen restarts it
 *     with the time already used.
 *   - A step (a warning at a share of the target, or the breach at 100%)
 *     happens at the instant the clock's used business time reaches it.
 */
#ifndef TK_SLA_CLOCK_H
#define TK_SLA_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sla_calendar;

enum sla_clock_kind { SLA_RESPONSE, SLA_RESOLUTION, SLA_CLOCKS };
enum sla_clock_state { SLA_RUNNING, SLA_PAUSED, SLA_STOPPED };

/* One status change: the ticket's status from `at` on (Unix seconds). */
struct sla_change {
	int64_t at;
	const char *status;
};

struct sla_history {
	int64_t created_at;
	const struct sla_change *changes;   /* in time order; the first status is "new" */
	size_t n_changes;
	int64_t first_response_at;          /* 0: no public agent reply yet */
	int64_t now;
};

/* Intervals during which a clock ran: [from, to); to == 0 is "still running". */
#define SLA_MAX_SEGMENTS 64

struct sla_clock {
	enum sla_clock_state state;
	int64_t stopped_at;                 /* STOPPED: when */
	int64_t used_s;                     /* business seconds counted up to now (or the stop) */
	int64_t seg_from[SLA_MAX_SEGMENTS], seg_to[SLA_MAX_SEGMENTS];
	size_t n_segs;                      /* more: the oldest are merged into merged_s */
	int64_t merged_s;                   /* business seconds of segments merged away */
	int64_t merged_end;                 /* when the last merged segment ended */
};

struct sla_clocks {
	struct sla_clock c[SLA_CLOCKS];
	int64_t paused_s;                   /* wall seconds spent pending, up to now */
};

/* Compute both clocks from the history under calendar cal. */
void sla_clock_compute(const struct sla_history *h, const struct sla_calendar *cal,
                       struct sla_clocks *out);

/*
 * The instant at which clock c has counted `amount` business seconds: in
 * the past when already reached, in the future when the clock runs and
 * will reach it, 0 when it has not and cannot (paused or stopped first).
 */
int64_t sla_clock_reach(const struct sla_clock *c, const struct sla_calendar *cal, int64_t amount);

/* "response", "resolution". */
const char *sla_clock_name(enum sla_clock_kind k);

/*
 * Business seconds left until the target as of the history's now
 * (negative: overdue by that much business time).
 */
int64_t sla_clock_left(const struct sla_clock *c, int64_t target_s);

/*
 * A duration for people: "2h 05m", "3d 4h", "45s"; negative values get
 * "overdue " in front. Writes into buf (len >= 32) and returns it.
 */
char *sla_format_duration(int64_t seconds, char *buf, size_t len);

#endif
