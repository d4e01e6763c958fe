/*
 * test_sla_clock.c: the SLA clocks from a ticket's history (src/sla/sla_clock.c):
 * pauses while pending, the response clock stopped by the first reply or by
 * resolution, reopen with the time already used, business time over nights
 * and weekends, steps reached in the past, future and never. Every expected
 * value is worked out by hand in the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "sla_calendar.h"
#include "sla_clock.h"
#include "sla_config.h"
#include "sla_start.h"
#include "ynode.h"

/* Friday 2026-12-04 16:00 UTC and neighbours (date -u -d ... +%s). */
#define FRI_1600 1796400000LL
#define FRI_1630 1796401800LL
#define MON_0900 1796634000LL
#define MON_0930 1796635800LL
#define MON_1000 1796637600LL
#define MON_1200 1796644800LL

static struct sla_calendar *
office(void)
{
	static const char y[] = "timezone: UTC\nhours:\n  mon-fri: \"09:00-17:00\"\n";
	struct tk_errlist errs;
	struct ynode *root = NULL;
	struct sla_calendar *cal = NULL;

	tk_errlist_init(&errs);
	assert_int_equal(ynode_load_string("office.yaml", y, sizeof(y) - 1, &root, &errs), 0);
	assert_int_equal(sla_calendar_load("office", root, &cal, &errs), 0);
	ynode_free(&root);
	tk_errlist_fini(&errs);
	return cal;
}

static void
compute(const struct sla_calendar *cal, int64_t created, const struct sla_change *ch, size_t n,
        int64_t first_resp, int64_t now, struct sla_clocks *out)
{
	struct sla_history h = {
		.created_at = created, .changes = ch, .n_changes = n, .first_response_at = first_resp,
		.now = now,
	};

	sla_clock_compute(&h, cal, out);
}

/* Nothing happened: both clocks run from creation. */
static void
test_running(void **state)
{
	struct sla_clocks c;

	(void)state;
	compute(sla_calendar_24x7(), 1000, NULL, 0, 0, 1600, &c);
	for (int k = 0; k < SLA_CLOCKS; k++) {
		assert_int_equal(c.c[k].state, SLA_RUNNING);
		assert_int_equal(c.c[k].used_s, 600);                 /* 1600 - 1000 */
		/* 3600 s of a 24x7 target are reached 3600 s after creation */
		assert_int_equal(sla_clock_reach(&c.c[k], sla_calendar_24x7(), 3600), 4600);
		/* 300 s were reached in the past, at 1300 */
		assert_int_equal(sla_clock_reach(&c.c[k], sla_calendar_24x7(), 300), 1300);
		assert_int_equal(sla_clock_left(&c.c[k], 3600), 3000);
	}
	assert_int_equal(c.paused_s, 0);
}

/* Pending pauses both clocks; the paused wall time is recorded. */
static void
test_pending_pauses(void **state)
{
	static const struct sla_change ch[] = { { 100, "open" }, { 200, "pending" }, { 500, "open" } };
	struct sla_clocks c;

	(void)state;
	/* runs 0..200 (200 s), paused 200..500 (300 s), runs 500..900 (400 s) */
	compute(sla_calendar_24x7(), 0, ch, 3, 0, 900, &c);
	assert_int_equal(c.c[SLA_RESOLUTION].state, SLA_RUNNING);
	assert_int_equal(c.c[SLA_RESOLUTION].used_s, 600);
	assert_int_equal(c.paused_s, 300);
	/* 1000 s of target: 200 before the pause, 800 more from 500 -> 1300 */
	assert_int_equal(sla_clock_reach(&c.c[SLA_RESOLUTION], sla_calendar_24x7(), 1000), 1300);
	/* 150 s: inside the first run, at 150 */
	assert_int_equal(sla_clock_reach(&c.c[SLA_RESOLUTION], sla_calendar_24x7(), 150), 150);
	/* still pending at 400: paused, 200 used, and a target beyond it is never reached */
	compute(sla_calendar_24x7(), 0, ch, 3, 0, 400, &c);
	assert_int_equal(c.c[SLA_RESOLUTION].state, SLA_PAUSED);
	assert_int_equal(c.c[SLA_RESPONSE].state, SLA_PAUSED);
	assert_int_equal(c.c[SLA_RESOLUTION].used_s, 200);
	assert_int_equal(c.paused_s, 200);                        /* 200..400 so far */
	assert_int_equal(sla_clock_reach(&c.c[SLA_RESOLUTION], sla_calendar_24x7(), 1000), 0);
	assert_int_equal(sla_clock_reach(&c.c[SLA_RESOLUTION], sla_calendar_24x7(), 50), 50);
}

/* The first public reply stops the response clock only; internal notes are not replies. */
static void
test_first_response(void **state)
{
	static const struct sla_change ch[] = { { 100, "open" } };
	struct sla_clocks c;

	(void)state;
	compute(sla_calendar_24x7(), 0, ch, 1, 250, 1000, &c);
	assert_int_equal(c.c[SLA_RESPONSE].state, SLA_STOPPED);
	assert_int_equal(c.c[SLA_RESPONSE].stopped_at, 250);
	assert_int_equal(c.c[SLA_RESPONSE].used_s, 250);
	/* 300 s would have been reached at 300, but the clock stopped at 250 */
	assert_int_equal(sla_clock_reach(&c.c[SLA_RESPONSE], sla_calendar_24x7(), 300), 0);
	assert_int_equal(sla_clock_left(&c.c[SLA_RESPONSE], 300), 50);
	assert_int_equal(c.c[SLA_RESOLUTION].state, SLA_RUNNING);
	assert_int_equal(c.c[SLA_RESOLUTION].used_s, 1000);
}

/* Resolution stops both; a reopen restarts resolution with the time used. */
static void
test_resolve_reopen(void **state)
{
	static const struct sla_change ch[] = {
		{ 100, "open" }, { 400, "resolved" }, { 1000, "reopened" },
	};
	struct sla_clocks c;

	(void)state;
	/* resolved at 400: response stopped there (never answered), resolution too */
	compute(sla_calendar_24x7(), 0, ch, 2, 0, 700, &c);
	assert_int_equal(c.c[SLA_RESPONSE].state, SLA_STOPPED);
	assert_int_equal(c.c[SLA_RESPONSE].stopped_at, 400);
	assert_int_equal(c.c[SLA_RESOLUTION].state, SLA_STOPPED);
	assert_int_equal(c.c[SLA_RESOLUTION].stopped_at, 400);
	assert_int_equal(c.c[SLA_RESOLUTION].used_s, 400);
	/* reopened at 1000, now 1300: 400 + 300 used; the response clock stays stopped */
	compute(sla_calendar_24x7(), 0, ch, 3, 0, 1300, &c);
	assert_int_equal(c.c[SLA_RESOLUTION].state, SLA_RUNNING);
	assert_int_equal(c.c[SLA_RESOLUTION].used_s, 700);
	assert_int_equal(c.c[SLA_RESPONSE].state, SLA_STOPPED);
	/* 500 s were reached after the reopen: 400 before, 100 more from 1000 -> 1100 */
	assert_int_equal(sla_clock_reach(&c.c[SLA_RESOLUTION], sla_calendar_24x7(), 500), 1100);
	/* closed directly from new: both stop at once */
	{
		static const struct sla_change closed[] = { { 60, "closed" } };

		compute(sla_calendar_24x7(), 0, closed, 1, 0, 500, &c);
		assert_int_equal(c.c[SLA_RESPONSE].state, SLA_STOPPED);
		assert_int_equal(c.c[SLA_RESOLUTION].state, SLA_STOPPED);
		assert_int_equal(c.c[SLA_RESOLUTION].used_s, 60);
	}
}

/* Business time: Friday 16:00 to Monday 10:00 is 1 h (Fri) + 1 h (Mon). */
static void
test_business_weekend(void **state)
{
	struct sla_calendar *cal = office();
	struct sla_clocks c;

	(void)state;
	compute(cal, FRI_1600, NULL, 0, 0, MON_1000, &c);
	assert_int_equal(c.c[SLA_RESOLUTION].used_s, 7200);
	/* 4 h of target: 1 h on Friday, 3 h from Monday 09:00 -> 12:00 */
	assert_int_equal(sla_clock_reach(&c.c[SLA_RESOLUTION], cal, 4 * 3600), MON_1200);
	/* 30 min: Friday 16:30 */
	assert_int_equal(sla_clock_reach(&c.c[SLA_RESOLUTION], cal, 1800), FRI_1630);
	/* exactly 1 h: the instant Friday's business time ends, 17:00 */
	assert_int_equal(sla_clock_reach(&c.c[SLA_RESOLUTION], cal, 3600), FRI_1600 + 3600);
	sla_calendar_free(&cal);
}

/* Pending over a night and a weekend: neither business time nor wall time is lost. */
static void
test_pause_over_weekend(void **state)
{
	static const struct sla_change ch[] = { { FRI_1630, "pending" }, { MON_0930, "open" } };
	struct sla_calendar *cal = office();
	struct sla_clocks c;

	(void)state;
	compute(cal, FRI_1600, ch, 2, 0, MON_1000, &c);
	/* runs Fri 16:00-16:30 (30 min business), pending until Mon 09:30, runs to 10:00 (30 min) */
	assert_int_equal(c.c[SLA_RESOLUTION].used_s, 3600);
	assert_int_equal(c.paused_s, MON_0930 - FRI_1630);       /* 65 h of wall time */
	/* 2 h of target: 30 min Friday, then 90 min from Monday 09:30 -> 11:00 */
	assert_int_equal(sla_clock_reach(&c.c[SLA_RESOLUTION], cal, 7200), MON_0930 + 5400);
	/* the same pause without a business calendar loses the whole weekend's time */
	compute(sla_calendar_24x7(), FRI_1600, ch, 2, 0, MON_1000, &c);
	assert_int_equal(c.c[SLA_RESOLUTION].used_s, 1800 + 1800);
	sla_calendar_free(&cal);
}

/* A change recorded after "now" (clock skew) is not applied yet. */
static void
test_future_change(void **state)
{
	static const struct sla_change ch[] = { { 100, "pending" }, { 5000, "open" } };
	struct sla_clocks c;

	(void)state;
	compute(sla_calendar_24x7(), 0, ch, 2, 0, 300, &c);
	assert_int_equal(c.c[SLA_RESOLUTION].state, SLA_PAUSED);
	assert_int_equal(c.c[SLA_RESOLUTION].used_s, 100);
	assert_int_equal(c.paused_s, 200);
}

/* Many pending/open flips: old runs are merged, the totals stay exact. */
static void
test_many_segments(void **state)
{
	struct sla_change ch[200];
	struct sla_clocks c;

	(void)state;
	/* every 10 s: open 5 s, pending 5 s; 100 flips each way over 1000 s */
	for (int i = 0; i < 200; i++) {
		ch[i].at = 5 + 5 * i;
		ch[i].status = i % 2 == 0 ? "pending" : "open";
	}
	compute(sla_calendar_24x7(), 0, ch, 200, 0, 1005, &c);
	/* running: 0-5, 10-15, ..., 990-995 (100 runs of 5 s), then 1000-1005: 505 s */
	assert_int_equal(c.c[SLA_RESOLUTION].used_s, 505);
	assert_int_equal(c.paused_s, 500);
	/* an amount past the merged runs is still exact: 502 s -> 1000 + 2 */
	assert_int_equal(sla_clock_reach(&c.c[SLA_RESOLUTION], sla_calendar_24x7(), 502), 1002);
}

static struct sla_config *
sla_yaml(const char *y)
{
	struct tk_errlist errs;
	struct ynode *root = NULL;
	struct config cfg = { .n_agents = 0 };
	struct sla_config *c = NULL;

	tk_errlist_init(&errs);
	assert_int_equal(ynode_load_string("t.yaml", y, strlen(y), &root, &errs), 0);
	sla_config_load(root, &cfg, &c, &errs);
	for (size_t i = 0; i < errs.n; i++)
		print_error("%s\n", errs.items[i]);
	assert_int_equal(errs.n, 0);
	ynode_free(&root);
	tk_errlist_fini(&errs);
	return c;
}

/* A new ticket's SLA at creation: the same policy and arithmetic as the escalator's. */
static void
test_start(void **state)
{
	struct sla_config *c = sla_yaml(
		"sla:\n"
		"  warnings: [50%, 90%]\n"
		"  calendars: {office: {timezone: UTC, hours: {mon-fri: \"09:00-17:00\"}}}\n"
		"  policies:\n"
		"    - {name: biz, match: {priority: low}, response: 2h, resolution: 8h, calendar: office}\n"
		"    - {name: page, match: {priority: critical}, response: 1h, resolution: 4h,\n"
		"       notify_on_create: true}\n"
		"    - {name: std, match: {priority: medium}, response: 1h, resolution: 4h}\n"
		"queues:\n"
		"  - {name: noc, notify: {created: []}}\n");
	struct sla_ticket_facts f = { .tenant = "default", .priority = "medium", .queue = "support",
	                              .type = "request" };
	struct sla_start s;

	(void)state;
	sla_start_compute(c, &f, FRI_1600, &s);
	assert_false(s.look_now);
	assert_string_equal(s.applied, "std");
	assert_string_equal(s.calendar, "24x7");
	assert_int_equal(s.response_in, 3600);
	assert_int_equal(s.resolution_in, 4 * 3600);
	assert_int_equal(s.next_in, 1800);            /* 50% of the 1 h response target */
	/* business hours: Friday 16:00 + 2 h = Monday 10:00; 50% (1 h) = Friday 17:00 */
	f.priority = "low";
	sla_start_compute(c, &f, FRI_1600, &s);
	assert_string_equal(s.applied, "biz");
	assert_int_equal(s.response_in, MON_1000 - FRI_1600);
	assert_int_equal(s.next_in, 3600);
	/* 8 h: 1 h Friday + 7 h Monday -> Monday 16:00 */
	assert_int_equal(s.resolution_in, MON_0900 + 7 * 3600 - FRI_1600);
	/* paging policies and queues that hear of new tickets leave it to the escalator */
	f.priority = "critical";
	sla_start_compute(c, &f, FRI_1600, &s);
	assert_true(s.look_now);
	f.priority = "medium";
	f.queue = "noc";
	sla_start_compute(c, &f, FRI_1600, &s);
	assert_true(s.look_now);
	/* no policy applies */
	f.queue = "support";
	f.priority = "high";
	sla_start_compute(c, &f, FRI_1600, &s);
	assert_false(s.look_now);
	assert_string_equal(s.applied, "");
	assert_null(s.calendar);
	/* a rule's sla_policy wins over the match */
	f.policy = "biz";
	sla_start_compute(c, &f, FRI_1600, &s);
	assert_string_equal(s.applied, "biz");
	sla_config_free(&c);
}

static void
test_format(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(sla_format_duration(45, b, sizeof(b)), "45s");
	assert_string_equal(sla_format_duration(125, b, sizeof(b)), "2m 05s");
	assert_string_equal(sla_format_duration(7500, b, sizeof(b)), "2h 05m");
	assert_string_equal(sla_format_duration(3 * 86400 + 4 * 3600 + 59, b, sizeof(b)), "3d 4h");
	assert_string_equal(sla_format_duration(-300, b, sizeof(b)), "overdue 5m 00s");
	assert_string_equal(sla_clock_name(SLA_RESPONSE), "response");
	assert_string_equal(sla_clock_name(SLA_RESOLUTION), "resolution");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_running),
		cmocka_unit_test(test_pending_pauses),
		cmocka_unit_test(test_first_response),
		cmocka_unit_test(test_resolve_reopen),
		cmocka_unit_test(test_business_weekend),
		cmocka_unit_test(test_pause_over_weekend),
		cmocka_unit_test(test_future_change),
		cmocka_unit_test(test_many_segments),
		cmocka_unit_test(test_start),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
