/*
 * test_sla_calendar.c: business-hours calendars (src/sla/sla_calendar*.c).
 *
 * Expected instants are worked out by hand in the comments, from the
 * weekdays of the dates (2026-01-01 is a Thursday) and the zones' offsets:
 *   Europe/Berlin     CET +1, CEST +2; 2026-03-29 02:00 CET -> 03:00 CEST
 *                     (01:00Z), 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z)
 *   America/New_York  EST -5, EDT -4; 2026-03-08 02:00 EST -> 03:00 EDT
 *                     (07:00Z), 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z)
 *   Australia/Sydney  AEST +10, AEDT +11; 2026-04-05 03:00 AEDT -> 02:00 AEST
 *                     (04-04 16:00Z), 2026-10-04 02:00 AEST -> 03:00 AEDT
 *                     (10-03 16:00Z)
 *   America/Santiago  -03 / -04, changing at midnight: Sat 2026-04-04 24:00 -03
 *                     -> 23:00 -04 (04-05 03:00Z), Sat 2026-09-05 24:00 -04 ->
 *                     Sun 01:00 -03 (09-06 04:00Z)
 *   Pacific/Apia      skipped a whole day: Thu 2011-12-29 24:00 -10 -> Sat
 *                     2011-12-31 00:00 +14 (12-30 10:00Z)
 * Instants are written in UTC and converted with timegm(), not by the code
 * under test. The random tests compare against an oracle that asks GLib for
 * the wall clock of every minute and applies the hours written out here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <glib.h>

#include "civil.h"
#include "sla_calendar.h"
#include "ynode.h"

/* "2026-03-06T15:30:00Z" as Unix seconds. */
static int64_t
ts(const char *s)
{
	struct tm tm = { 0 };
	int n = sscanf(s, "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	               &tm.tm_min, &tm.tm_sec);

	assert_int_equal(n, 6);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

/* Load a calendar named "office" from YAML text; errors into errs (initialised here). */
static struct sla_calendar *
load(const char *yaml, struct tk_errlist *errs)
{
	struct ynode *root = NULL;
	struct sla_calendar *cal = (struct sla_calendar *)1;

	tk_errlist_init(errs);
	assert_int_equal(ynode_load_string("t.yaml", yaml, strlen(yaml), &root, errs), 0);
	if (sla_calendar_load("office", root, &cal, errs) < 0)
		assert_null(cal);
	else
		assert_int_equal(errs->n, 0);
	ynode_free(&root);
	return cal;
}

static struct sla_calendar *
load_ok(const char *yaml)
{
	struct tk_errlist errs;
	struct sla_calendar *cal = load(yaml, &errs);

	if (cal == NULL)
		tk_errlist_print(&errs, stderr);
	assert_non_null(cal);
	tk_errlist_fini(&errs);
	return cal;
}

static const char BERLIN[] =
	"timezone: Europe/Berlin\n"
	"hours:\n"
	"  mon-fri: \"09:00-17:00\"\n"
	"holidays: [2026-12-24, 2026-12-25, \"01-01\"]\n";
static const char NEW_YORK[] = "timezone: America/New_York\nhours: { mon-fri: 09:00-17:00 }\n";
static const char SYDNEY[] = "timezone: Australia/Sydney\nhours: { mon-fri: 09:00-17:00 }\n";
/* Every day 01:00-03:00 in Berlin: the DST hours themselves. */
static const char NIGHT[] = "timezone: Europe/Berlin\nhours: { mon-sun: 01:00-03:00 }\n";
/* Starts in the skipped hour of 2026-03-29 (02:00-03:00 does not exist). */
static const char GAP_START[] = "timezone: Europe/Berlin\nhours: { mon-sun: 02:30-05:00 }\n";
/* Ends in the skipped hour, and in the repeated one on 2026-10-25. */
static const char GAP_END[] = "timezone: Europe/Berlin\nhours: { mon-sun: 01:00-02:30 }\n";
/* Saturday night into Sunday where the clock changes at midnight. */
static const char SANTIAGO[] =
	"timezone: America/Santiago\nhours: { sat: 22:00-24:00, sun: 00:00-02:00 }\n";
static const char APIA[] = "timezone: Pacific/Apia\nhours: { mon-fri: 09:00-17:00 }\n";
/* UTC, two intervals on weekdays, Saturday night running into Sunday through 24:00. */
static const char SPLIT[] =
	"timezone: UTC\n"
	"hours:\n"
	"  mon-fri: 08:00-12:00, 13:00-17:00\n"
	"  sat: 20:00-24:00\n"
	"  sun: 00:00-04:00\n";

/* ---- add(): table of hand-computed cases ---- */

struct add_case {
	const char *yaml, *from;
	int64_t secs;
	const char *want;       /* NULL: -1 */
	const char *why;
};

static const struct add_case add_cases[] = {
	/* Fri 2026-03-06 16:30 CET = 15:30Z; 30 min Fri, 30 min Mon 03-09 09:00-09:30 CET = 08:30Z. */
	{ BERLIN, "2026-03-06T15:30:00Z", 3600, "2026-03-09T08:30:00Z", "Fri 16:30 + 1h = Mon 09:30" },
	/* The spring weekend: Fri 03-27 16:30 CET (15:30Z); Mon 03-30 09:30 CEST = 07:30Z. */
	{ BERLIN, "2026-03-27T15:30:00Z", 3600, "2026-03-30T07:30:00Z", "over spring-forward" },
	/* The autumn weekend: Fri 10-23 16:30 CEST (14:30Z); Mon 10-26 09:30 CET = 08:30Z. */
	{ BERLIN, "2026-10-23T14:30:00Z", 3600, "2026-10-26T08:30:00Z", "over fall-back" },
	/* Wed 12-23 16:00 CET (15:00Z): 1h Wed, Thu 24 + Fri 25 holidays, Mon 12-28 09:00-10:00 CET. */
	{ BERLIN, "2026-12-23T15:00:00Z", 7200, "2026-12-28T09:00:00Z", "dated holidays" },
	/* Thu 12-31 16:00 CET (15:00Z): 1h Thu, Fri 2027-01-01 yearly holiday, Mon 01-04 10:00 CET. */
	{ BERLIN, "2026-12-31T15:00:00Z", 7200, "2027-01-04T09:00:00Z", "yearly holiday 2027" },
	/* Mon 2029-12-31 16:00 CET: 1h Mon, Tue 2030-01-01 yearly holiday, Wed 01-02 10:00 CET. */
	{ BERLIN, "2029-12-31T15:00:00Z", 7200, "2030-01-02T09:00:00Z", "yearly holiday 2030" },
	/*
	 * 15 business days (120h) from Mon 12-07 09:00 CET (08:00Z): Dec 7-11 (5), 14-18 (10),
	 * 21-23 (13; 24, 25 holidays), 28 (14), 29 (15): ends Tue 12-29 17:00 CET = 16:00Z.
	 */
	{ BERLIN, "2026-12-07T08:00:00Z", 15 * 8 * 3600, "2026-12-29T16:00:00Z", "weeks + holidays" },
	/* Starting on a closed Saturday: the first 30 min are Mon 09:00-09:30 CET (08:30Z). */
	{ BERLIN, "2026-03-07T12:00:00Z", 1800, "2026-03-09T08:30:00Z", "from closed time" },
	/* Zero: from itself, even when closed. */
	{ BERLIN, "2026-03-07T12:00:00Z", 0, "2026-03-07T12:00:00Z", "zero from closed time" },
	/* Fri 03-06 16:30 EST = 21:30Z; Mon 03-09 09:30 EDT = 13:30Z (DST began Sun 03-08). */
	{ NEW_YORK, "2026-03-06T21:30:00Z", 3600, "2026-03-09T13:30:00Z", "NY spring-forward" },
	/* Fri 10-30 16:30 EDT = 20:30Z; Mon 11-02 09:30 EST = 14:30Z (DST ended Sun 11-01). */
	{ NEW_YORK, "2026-10-30T20:30:00Z", 3600, "2026-11-02T14:30:00Z", "NY fall-back" },
	/* Fri 04-03 16:30 AEDT = 05:30Z; Mon 04-06 09:30 AEST = 04-05 23:30Z (DST ended Sun 04-05). */
	{ SYDNEY, "2026-04-03T05:30:00Z", 3600, "2026-04-05T23:30:00Z", "Sydney DST end" },
	/* Fri 10-02 16:30 AEST = 06:30Z; Mon 10-05 09:30 AEDT = 10-04 22:30Z (DST began Sun 10-04). */
	{ SYDNEY, "2026-10-02T06:30:00Z", 3600, "2026-10-04T22:30:00Z", "Sydney DST start" },
	/* 2026-10-25 01:00 CEST = 24th 23:00Z; 2h to 03:00 CEST (01:00Z), then 02:00 CET + 30 min. */
	{ NIGHT, "2026-10-24T23:00:00Z", 9000, "2026-10-25T01:30:00Z", "repeated hour counts twice" },
	/* 2026-03-29 01:00 CET = 00:00Z; 1h to 02:00 CET (01:00Z), then Mon 03-30 01:00 CEST + 30. */
	{ NIGHT, "2026-03-29T00:00:00Z", 5400, "2026-03-29T23:30:00Z", "skipped hour not counted" },
	/* Sat 09-05 23:30 -04 (06T03:30Z): 30 min, the clock jumps to Sun 01:00 -03 (04:00Z), +30. */
	{ SANTIAGO, "2026-09-06T03:30:00Z", 3600, "2026-09-06T04:30:00Z", "midnight jump" },
	/*
	 * Thu 2011-12-29 16:00 -10 (30th 02:00Z): 1h Thu, Friday 30 never happened, weekend,
	 * Mon 2012-01-02 09:00-10:00 +14: 10:00 +14 = 01-01 20:00Z.
	 */
	{ APIA, "2011-12-30T02:00:00Z", 7200, "2012-01-01T20:00:00Z", "a day that never was" },
	/* Mon 2026-01-05 11:00Z: 11-12 (1h), lunch, 13-14 -> 14:00Z. */
	{ SPLIT, "2026-01-05T11:00:00Z", 7200, "2026-01-05T14:00:00Z", "two intervals a day" },
	/* Exactly the morning: the earliest instant is 12:00, not 13:00 after lunch. */
	{ SPLIT, "2026-01-05T08:00:00Z", 4 * 3600, "2026-01-05T12:00:00Z", "earliest, not after gap" },
	/* Sat 01-10 23:00Z: 23:00-24:00 (1h), Sun 00:00-01:00 -> Sun 01-11 01:00Z. */
	{ SPLIT, "2026-01-10T23:00:00Z", 7200, "2026-01-11T01:00:00Z", "through 24:00" },
	/* Sun 01-11 05:00Z (closed): first second is Mon 08:00:00-08:00:01. */
	{ SPLIT, "2026-01-11T05:00:00Z", 1, "2026-01-12T08:00:01Z", "one second" },
	/*
	 * 500 weeks of 48h (5 x 8h + 4h Sat + 4h Sun) from Mon 2026-01-05 08:00Z: each week's last
	 * business second ends Sunday 04:00, so the answer is the Sunday 499 weeks + 6 days later.
	 */
	{ SPLIT, "2026-01-05T08:00:00Z", 500 * 48 * 3600, "+3499d 2026-01-05T04:00:00Z", "500 weeks" },
	/* Exactly two weeks from Monday 00:00: the last second ends Sun 01-18 04:00, not Mon 08:00. */
	{ SPLIT, "2026-01-05T00:00:00Z", 2 * 48 * 3600, "2026-01-18T04:00:00Z", "whole weeks" },
	/* Two weeks of 40h from Mon 12-07 00:00 CET (6th 23:00Z): Fri 12-18 17:00 CET = 16:00Z. */
	{ BERLIN, "2026-12-06T23:00:00Z", 2 * 40 * 3600, "2026-12-18T16:00:00Z", "whole weeks" },
	/* 530 weeks are 3710 days: beyond the ten-year horizon (3653 days). */
	{ SPLIT, "2026-01-05T08:00:00Z", 530 * 48 * 3600, NULL, "beyond ten years" },
	{ SPLIT, "2026-01-05T08:00:00Z", -1, NULL, "negative" },
};

/* The expected instant; "+Nd ISO" is ISO plus N days (UTC, so exactly N * 86400 s). */
static int64_t
want_of(const char *w)
{
	int days;
	char iso[32];

	if (w == NULL)
		return -1;
	if (sscanf(w, "+%dd %31s", &days, iso) == 2)
		return ts(iso) + (int64_t)days * 86400;
	return ts(w);
}

static void
test_add_table(void **state)
{
	for (size_t i = 0; i < sizeof(add_cases) / sizeof(add_cases[0]); i++) {
		const struct add_case *c = &add_cases[i];
		struct sla_calendar *cal = load_ok(c->yaml);
		int64_t from = ts(c->from), want = want_of(c->want);
		int64_t got = sla_calendar_add(cal, from, c->secs);

		if (got != want)
			fail_msg("case %zu (%s): add(%s, %lld) = %lld, want %lld", i, c->why, c->from,
			         (long long)c->secs, (long long)got, (long long)want);
		if (want > from && sla_calendar_seconds(cal, from, want) != c->secs)
			fail_msg("case %zu (%s): seconds() is not the inverse", i, c->why);
		sla_calendar_free(&cal);
		assert_null(cal);
	}
}

/* ---- seconds(): table of hand-computed cases ---- */

struct secs_case {
	const char *yaml, *from, *to;
	int64_t want;
	const char *why;
};

static const struct secs_case secs_cases[] = {
	/* Mon 03-23 00:00 CET (22nd 23:00Z) to Mon 03-30 00:00 CEST (29th 22:00Z): 5 x 8h, in 167h. */
	{ BERLIN, "2026-03-22T23:00:00Z", "2026-03-29T22:00:00Z", 5 * 8 * 3600, "DST week, 167h" },
	/* Mon 10-19 00:00 CEST to Mon 10-26 00:00 CET: 5 x 8h, in 169h. */
	{ BERLIN, "2026-10-18T22:00:00Z", "2026-10-25T23:00:00Z", 5 * 8 * 3600, "DST week, 169h" },
	/*
	 * December 2026 (Dec 1 is a Tuesday): 4 whole weeks = 20 weekdays, then Tue 29, Wed 30,
	 * Thu 31 = 23; minus Thu 24 and Fri 25 = 21 days x 8h = 168h.
	 */
	{ BERLIN, "2026-11-30T23:00:00Z", "2026-12-31T23:00:00Z", 21 * 8 * 3600, "December" },
	/*
	 * All of 2026: 365 days = 52 weeks + Thursday: 261 weekdays, minus Thu 01-01 (yearly),
	 * Thu 12-24, Fri 12-25 = 258 days x 8h.
	 */
	{ BERLIN, "2025-12-31T23:00:00Z", "2026-12-31T23:00:00Z", 258 * 8 * 3600, "year 2026" },
	/* Within one day: Mon 03-09 10:15 to 11:45 CET. */
	{ BERLIN, "2026-03-09T09:15:00Z", "2026-03-09T10:45:00Z", 5400, "inside a day" },
	{ BERLIN, "2026-03-09T10:45:00Z", "2026-03-09T09:15:00Z", 0, "to before from" },
	/* Sun 03-29 in Berlin, 01:00-03:00: only 01:00-02:00 CET shows (1h). */
	{ NIGHT, "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", 3600, "spring-forward 1h" },
	/* Sun 10-25, 01:00-03:00: 01:00 CEST to 03:00 CEST, then 02:00-03:00 CET again (3h). */
	{ NIGHT, "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z", 3 * 3600, "fall-back 3h" },
	/* Sun 03-29, 02:30-05:00: opens when the clock jumps to 03:00 CEST, so 03:00-05:00 (2h). */
	{ GAP_START, "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", 2 * 3600, "start in gap" },
	/* Sun 03-29, 01:00-02:30: closes at the jump: 01:00-02:00 CET (1h). */
	{ GAP_END, "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", 3600, "end in gap" },
	/* Sun 10-25, 01:00-02:30: 01:00-02:30 CEST (1.5h), then 02:00-02:30 CET (0.5h). */
	{ GAP_END, "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z", 2 * 3600, "end in repeat" },
	/* NY, Sun 03-08 to Mon: business day Mon 09:00-17:00 EDT only, 8h in a 23h day + 1 day. */
	{ NEW_YORK, "2026-03-08T05:00:00Z", "2026-03-10T04:00:00Z", 8 * 3600, "NY 23h Sunday" },
	/*
	 * Santiago, Sat 04-04 00:00 -03 (03:00Z) to Mon 04-06 00:00 -04 (04:00Z): Sat 22:00-24:00
	 * -03 (2h), the clock goes back to 23:00 and shows 23:00-24:00 -04 again (1h), Sun
	 * 00:00-02:00 -04 (2h): 5h.
	 */
	{ SANTIAGO, "2026-04-04T03:00:00Z", "2026-04-06T04:00:00Z", 5 * 3600, "repeat at midnight" },
	/* The same weekend with Saturday a holiday: its repeated hour is Saturday too; Sun 2h. */
	{ "timezone: America/Santiago\nhours: { sat: 22:00-24:00, sun: 00:00-02:00 }\n"
	  "holidays: [2026-04-04]\n",
	  "2026-04-04T03:00:00Z", "2026-04-06T04:00:00Z", 2 * 3600, "repeated hour on a holiday" },
	/* Sat 09-05 00:00 -04 to Mon 09-07 00:00 -03: Sat 22-24 (2h), Sunday starts at 01:00 (1h). */
	{ SANTIAGO, "2026-09-05T04:00:00Z", "2026-09-07T03:00:00Z", 3 * 3600, "skip at midnight" },
	/* Apia, Mon 2011-12-26 00:00 -10 to Mon 2012-01-02 00:00 +14: Mon-Thu only, 32h. */
	{ APIA, "2011-12-26T10:00:00Z", "2012-01-01T10:00:00Z", 4 * 8 * 3600, "skipped Friday" },
	/* Mon 01-05 to Mon 01-12 UTC: 5 x 8h + Sat 4h + Sun 4h = 48h. */
	{ SPLIT, "2026-01-05T00:00:00Z", "2026-01-12T00:00:00Z", 48 * 3600, "split week" },
	/* Sat 23:30 to Sun 00:30 over midnight: 1h. */
	{ SPLIT, "2026-01-10T23:30:00Z", "2026-01-11T00:30:00Z", 3600, "across 24:00" },
};

static void
test_seconds_table(void **state)
{
	for (size_t i = 0; i < sizeof(secs_cases) / sizeof(secs_cases[0]); i++) {
		const struct secs_case *c = &secs_cases[i];
		struct sla_calendar *cal = load_ok(c->yaml);
		int64_t got = sla_calendar_seconds(cal, ts(c->from), ts(c->to));

		if (got != c->want)
			fail_msg("case %zu (%s): seconds = %lld, want %lld", i, c->why, (long long)got,
			         (long long)c->want);
		sla_calendar_free(&cal);
	}
}

/* ---- open_at() and next_open() ---- */

struct open_case {
	const char *yaml, *at;
	bool open;
	const char *next;       /* next_open(at) */
};

static const struct open_case open_cases[] = {
	/* Mon 01-05 12:00Z is lunch: closed until 13:00. 11:59:59 is the last open second. */
	{ SPLIT, "2026-01-05T11:59:59Z", true, "2026-01-05T11:59:59Z" },
	{ SPLIT, "2026-01-05T12:00:00Z", false, "2026-01-05T13:00:00Z" },
	{ SPLIT, "2026-01-05T13:00:00Z", true, "2026-01-05T13:00:00Z" },
	{ SPLIT, "2026-01-10T23:59:59Z", true, "2026-01-10T23:59:59Z" },
	/* Sun 04:00 closes; next is Mon 01-12 08:00. */
	{ SPLIT, "2026-01-11T04:00:00Z", false, "2026-01-12T08:00:00Z" },
	/* Berlin Thu 12-24 10:00 CET is a holiday; so is Fri 25; then the weekend: Mon 28 09:00 CET. */
	{ BERLIN, "2026-12-24T09:00:00Z", false, "2026-12-28T08:00:00Z" },
	/* Wed 12-23 16:59:59 CET open; 17:00 CET closed, next Mon 12-28 09:00 CET. */
	{ BERLIN, "2026-12-23T15:59:59Z", true, "2026-12-23T15:59:59Z" },
	{ BERLIN, "2026-12-23T16:00:00Z", false, "2026-12-28T08:00:00Z" },
	/* 03-29 00:59:59Z is 01:59:59 CET (open); 01:00Z is 03:00 CEST (closed); next 03-30 01:00 CEST. */
	{ NIGHT, "2026-03-29T00:59:59Z", true, "2026-03-29T00:59:59Z" },
	{ NIGHT, "2026-03-29T01:00:00Z", false, "2026-03-29T23:00:00Z" },
	/* 10-25 01:30Z is 02:30 CET, the second time the clock shows 02:30: open. */
	{ NIGHT, "2026-10-25T01:30:00Z", true, "2026-10-25T01:30:00Z" },
	/* 02:30-05:00 on 03-29 from 00:00 CET (28th 23:00Z): opens at 03:00 CEST = 01:00Z. */
	{ GAP_START, "2026-03-28T23:00:00Z", false, "2026-03-29T01:00:00Z" },
	/* NY Sat 03-07 noon: next Mon 03-09 09:00 EDT = 13:00Z. */
	{ NEW_YORK, "2026-03-07T17:00:00Z", false, "2026-03-09T13:00:00Z" },
};

static void
test_open_table(void **state)
{
	for (size_t i = 0; i < sizeof(open_cases) / sizeof(open_cases[0]); i++) {
		const struct open_case *c = &open_cases[i];
		struct sla_calendar *cal = load_ok(c->yaml);
		int64_t at = ts(c->at);

		if (sla_calendar_open_at(cal, at) != c->open)
			fail_msg("case %zu: open_at(%s) should be %d", i, c->at, c->open);
		if (sla_calendar_next_open(cal, at) != ts(c->next))
			fail_msg("case %zu: next_open(%s) = %lld, want %s", i, c->at,
			         (long long)sla_calendar_next_open(cal, at), c->next);
		sla_calendar_free(&cal);
	}
}

static void
test_24x7(void **state)
{
	const struct sla_calendar *c = sla_calendar_24x7();
	struct sla_calendar *p = (struct sla_calendar *)c;
	int64_t t = ts("2026-03-29T00:30:00Z");

	assert_string_equal(sla_calendar_name(c), "24x7");
	assert_null(sla_calendar_timezone(c));
	/* 24x7 ignores DST: 2026-03-29 00:30Z to 02:30Z is 2 real hours. */
	assert_int_equal(sla_calendar_seconds(c, t, t + 7200), 7200);
	assert_int_equal(sla_calendar_add(c, t, 7200), t + 7200);
	assert_true(sla_calendar_open_at(c, t));
	assert_int_equal(sla_calendar_next_open(c, t), t);
	assert_int_equal(sla_calendar_add(c, t, SLA_CALENDAR_HORIZON + 1), -1);
	sla_calendar_free(&p);
	assert_null(p);
	assert_string_equal(sla_calendar_name(sla_calendar_24x7()), "24x7");
}

/* ---- errors at FILE:LINE:COL ---- */

struct err_case {
	const char *yaml, *want;    /* want: the first error, exactly */
};

static const struct err_case err_cases[] = {
	{ "timezone: Mars/Olympus\nhours: { mon: 09:00-17:00 }\n",
	  "t.yaml:1:11: unknown time zone \"Mars/Olympus\" (an IANA name such as Europe/Berlin, "
	  "from the tzdata package)" },
	/* A POSIX TZ string and a path are not zone names, though GLib would read them. */
	{ "timezone: CET-1CEST\nhours: { mon: 09:00-17:00 }\n", "t.yaml:1:11: unknown time zone" },
	{ "timezone: /etc/localtime\nhours: { mon: 09:00-17:00 }\n", "t.yaml:1:11: unknown time zone" },
	{ "timezone: ../zoneinfo/UTC\nhours: { mon: 09:00-17:00 }\n", "t.yaml:1:11: unknown time zone" },
	{ "hours: { mon: 09:00-17:00 }\n", "t.yaml:1:1: calendar office: timezone is required" },
	{ "timezone: UTC\nhours:\n  mon-fry: \"09:00-17:00\"\n",
	  "t.yaml:3:3: unknown day \"mon-fry\" (expected mon, tue, wed, thu, fri, sat or sun, or a "
	  "range such as mon-fri)" },
	{ "timezone: UTC\nhours:\n  mon: \"09:00-12:00, 11:00-13:00\"\n",
	  "t.yaml:3:8: intervals 09:00-12:00 and 11:00-13:00 overlap" },
	{ "timezone: UTC\nhours:\n  mon: 17:00-09:00\n",
	  "t.yaml:3:8: empty interval \"17:00-09:00\" (an interval ends after it starts, on the same "
	  "day; 24:00 is the end of the day)" },
	{ "timezone: UTC\nhours:\n  mon: 09:00-09:00\n", "t.yaml:3:8: empty interval \"09:00-09:00\"" },
	{ "timezone: UTC\nhours:\n  mon: 24:00-24:00\n", "t.yaml:3:8: empty interval \"24:00-24:00\"" },
	{ "timezone: UTC\nhours:\n  mon: 9-17\n",
	  "t.yaml:3:8: bad interval \"9-17\" (expected HH:MM-HH:MM, several separated by commas, or "
	  "closed)" },
	{ "timezone: UTC\nhours:\n  mon: 08:00-12:00, 13:00-24:01\n",
	  "t.yaml:3:8: bad interval \"13:00-24:01\"" },
	{ "timezone: UTC\nhours:\n  mon: 25:00-26:00\n", "t.yaml:3:8: bad interval \"25:00-26:00\"" },
	{ "timezone: UTC\nhours:\n  mon: 09:00-17:00 x\n", "t.yaml:3:8: bad interval \"09:00-17:00 x\"" },
	{ "timezone: UTC\nhours:\n  mon: [09:00-17:00]\n",
	  "t.yaml:3:8: expected intervals such as \"09:00-17:00\", or closed" },
	{ "timezone: UTC\nhours:\n  mon-fri: 09:00-17:00\n  fri: 10:00-12:00\n",
	  "t.yaml:4:3: fri is already given at line 3" },
	{ "timezone: UTC\nhours:\n  mon: 09:00-17:00\nholidays: [2026-02-30]\n",
	  "t.yaml:4:12: holiday \"2026-02-30\" is not a date" },
	{ "timezone: UTC\nhours:\n  mon: 09:00-17:00\nholidays: [2026-12-24, 13-01]\n",
	  "t.yaml:4:24: holiday \"13-01\" is not a date" },
	{ "timezone: UTC\nhours:\n  mon: 09:00-17:00\nholidays:\n  - 2026/12/24\n",
	  "t.yaml:5:5: bad holiday \"2026/12/24\" (expected a date YYYY-MM-DD, or MM-DD for every "
	  "year)" },
	{ "timezone: UTC\nhours:\n  mon: 09:00-17:00\nholidays: 2026-12-24\n",
	  "t.yaml:4:11: holidays: expected a list of dates" },
	{ "timezone: UTC\nhours:\n  mon: 09:00-17:00\nholiday: [\"01-01\"]\n",
	  "t.yaml:4:1: unknown field \"holiday\" in calendar office" },
	{ "timezone: UTC\nhours:\n  mon-sun: closed\n",
	  "t.yaml:3:3: calendar office has no open hour (the built-in calendar 24x7 is always open)" },
	{ "timezone: UTC\n", "t.yaml:1:1: calendar office has no open hour" },
	{ "timezone: UTC\nhours: 09:00-17:00\n", "t.yaml:2:8: hours: expected a mapping of days" },
	{ "- timezone\n", "t.yaml:1:1:" },
};

static void
test_errors(void **state)
{
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		struct tk_errlist errs;
		struct sla_calendar *cal = load(err_cases[i].yaml, &errs);

		assert_null(cal);
		if (errs.n == 0 || strncmp(errs.items[0], err_cases[i].want,
		                           strlen(err_cases[i].want)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, errs.n ? errs.items[0] : "",
			         err_cases[i].want);
		tk_errlist_fini(&errs);
	}
}

/* Every error is reported, not only the first. */
static void
test_errors_all_reported(void **state)
{
	struct tk_errlist errs;
	struct sla_calendar *cal = load("timezone: Nowhere/Here\n"
	                                "hours:\n"
	                                "  mon: 09:00-17:00\n"
	                                "  xyz: 09:00-17:00\n"
	                                "holidays: [2026-13-01]\n", &errs);

	assert_null(cal);
	assert_int_equal(errs.n, 3);
	assert_true(strncmp(errs.items[0], "t.yaml:1:11: ", 13) == 0);
	assert_true(strncmp(errs.items[1], "t.yaml:4:3: ", 12) == 0);
	assert_true(strncmp(errs.items[2], "t.yaml:5:12: ", 13) == 0);
	tk_errlist_fini(&errs);
}

/* Hostile values: an error each, no crash, messages clipped. */
static void
test_hostile(void **state)
{
	static const char *const bad[] = {
		"timezone: UTC\nhours: { \"\": 09:00-17:00 }\n",
		"timezone: UTC\nhours: { mon-: 09:00-17:00 }\n",
		"timezone: UTC\nhours: { mon-fri-sat: 09:00-17:00 }\n",
		"timezone: UTC\nhours: { mon: \"\" }\n",
		"timezone: UTC\nhours: { mon: \"09:00-17:00,\" }\n",
		"timezone: UTC\nhours: { mon: \"123:00-17:00\" }\n",
		"timezone: UTC\nhours: { mon: \"09:00-\\x01\" }\n",
		"timezone: UTC\nhours: { mon: 00:00-01:00, tue: \"1:00-2:00,2:00-3:00,3:00-4:00,"
		"4:00-5:00,5:00-6:00,6:00-7:00,7:00-8:00,8:00-9:00,9:00-10:00\" }\n",
		"timezone: UTC\nhours: { mon: 09:00-17:00 }\nholidays: [{ a: b }]\n",
		"timezone: UTC\nhours: { mon: 09:00-17:00 }\nholidays: [0000-01-01]\n",
		"timezone: \"\"\nhours: { mon: 09:00-17:00 }\n",
		"timezone: [UTC]\nhours: { mon: 09:00-17:00 }\n",
	};
	char big[6000];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tk_errlist errs;

		if (load(bad[i], &errs) != NULL || errs.n == 0)
			fail_msg("case %zu loaded", i);
		tk_errlist_fini(&errs);
	}
	/* A 5,000-character interval: the message quotes at most 100 of it. */
	snprintf(big, sizeof(big), "timezone: UTC\nhours: { mon: \"%05000d\" }\n", 9);
	{
		struct tk_errlist errs;

		assert_null(load(big, &errs));
		assert_int_equal(errs.n, 1);
		assert_true(strlen(errs.items[0]) < 300);
		tk_errlist_fini(&errs);
	}
}

/* What loads: 24:00 as an end, touching intervals, wrapping day ranges, case. */
static void
test_load_forms(void **state)
{
	/* fri-mon wraps: Fri, Sat, Sun, Mon; touching 10:00-12:00, 12:00-14:00 is one 4h block. */
	struct sla_calendar *cal = load_ok("timezone: Etc/GMT-2\n"
	                                   "hours:\n"
	                                   "  FRI-mon: \"10:00-12:00,12:00-14:00\"\n"
	                                   "  tue: 22:00-24:00\n"
	                                   "  wed: closed\n"
	                                   "holidays: [\"02-29\", 2026-01-02, 2026-01-02]\n");

	assert_string_equal(sla_calendar_name(cal), "office");
	assert_string_equal(sla_calendar_timezone(cal), "Etc/GMT-2");
	/*
	 * Etc/GMT-2 is UTC+2 all year. Week of Mon 2026-01-05 00:00 (+2) = 01-04T22:00Z: Mon 4h,
	 * Tue 2h, Fri 4h, Sat 4h, Sun 4h = 18h.
	 */
	assert_int_equal(sla_calendar_seconds(cal, ts("2026-01-04T22:00:00Z"),
	                                      ts("2026-01-11T22:00:00Z")), 18 * 3600);
	/* Fri 2026-01-02 is a (repeated) holiday: that week-end gives Sat 4h + Sun 4h + Mon 4h. */
	assert_int_equal(sla_calendar_seconds(cal, ts("2026-01-01T22:00:00Z"),
	                                      ts("2026-01-05T22:00:00Z")), 12 * 3600);
	/* Tue 22:00-24:00 (+2) = 20:00-22:00Z; Tue 2026-01-06. */
	assert_true(sla_calendar_open_at(cal, ts("2026-01-06T21:59:59Z")));
	assert_false(sla_calendar_open_at(cal, ts("2026-01-06T22:00:00Z")));
	/* 02-29: Sun 2032-02-29 is a holiday (2032 is a leap year), so Sat 28 4h + Mon 03-01 4h. */
	assert_int_equal(sla_calendar_seconds(cal, ts("2032-02-27T22:00:00Z"),
	                                      ts("2032-03-01T22:00:00Z")), 8 * 3600);
	sla_calendar_free(&cal);
	assert_null(cal);
}

/* ---- random: inverse property and the GLib oracle ---- */

static const char *const all_yaml[] = { BERLIN, NEW_YORK, SYDNEY, NIGHT, GAP_START, GAP_END,
	                                SANTIAGO, APIA, SPLIT };

/* A deterministic generator (the tests must not depend on libc's rand()). */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * seconds(from, add(from, secs)) == secs, and add() is the earliest such
 * instant: the second just before it is business time, so one second
 * earlier the clock stood at secs - 1.
 */
static void
test_add_inverse_random(void **state)
{
	uint64_t seed = 0x5eed2026;
	int64_t lo = ts("2025-01-01T00:00:00Z"), span = ts("2030-01-01T00:00:00Z") - lo;

	for (size_t c = 0; c < sizeof(all_yaml) / sizeof(all_yaml[0]); c++) {
		struct sla_calendar *cal = load_ok(all_yaml[c]);

		for (int i = 0; i < 400; i++) {
			int64_t from = lo + (int64_t)(rnd(&seed) % (uint64_t)span);
			/* Up to 120 business days of 8h, mostly short. */
			int64_t max = i % 4 == 0 ? 120 * 8 * 3600 : 3 * 8 * 3600;
			int64_t secs = (int64_t)(rnd(&seed) % (uint64_t)max);
			int64_t t = sla_calendar_add(cal, from, secs);

			assert_true(t >= from);
			if (sla_calendar_seconds(cal, from, t) != secs)
				fail_msg("cal %zu: seconds(%lld, add(%lld)) != %lld", c, (long long)from,
				         (long long)secs, (long long)secs);
			if (secs > 0 && (sla_calendar_seconds(cal, from, t - 1) != secs - 1 ||
			                 !sla_calendar_open_at(cal, t - 1)))
				fail_msg("cal %zu: add(%lld, %lld) = %lld is not the earliest", c,
				         (long long)from, (long long)secs, (long long)t);
			/* Additivity at a random midpoint. */
			int64_t mid = from + (int64_t)(rnd(&seed) % (uint64_t)(t - from + 1));

			assert_int_equal(sla_calendar_seconds(cal, from, mid) +
			                 sla_calendar_seconds(cal, mid, t), secs);
		}
		sla_calendar_free(&cal);
	}
}

/* The hours of each calendar above, written out again for the oracle: [wd][2k, 2k+1] minutes. */
struct oracle {
	const char *yaml, *zone;
	int spans[7][4];        /* Monday = 0: start, end, start, end in minutes; 0, 0 = none */
	bool berlin_holidays;   /* 2026-12-24, 2026-12-25, every 01-01 */
};

static const struct oracle oracles[] = {
	{ BERLIN, "Europe/Berlin",
	  { { 540, 1020 }, { 540, 1020 }, { 540, 1020 }, { 540, 1020 }, { 540, 1020 } }, true },
	{ NEW_YORK, "America/New_York",
	  { { 540, 1020 }, { 540, 1020 }, { 540, 1020 }, { 540, 1020 }, { 540, 1020 } }, false },
	{ SYDNEY, "Australia/Sydney",
	  { { 540, 1020 }, { 540, 1020 }, { 540, 1020 }, { 540, 1020 }, { 540, 1020 } }, false },
	{ NIGHT, "Europe/Berlin",
	  { { 60, 180 }, { 60, 180 }, { 60, 180 }, { 60, 180 }, { 60, 180 }, { 60, 180 },
	    { 60, 180 } }, false },
	{ GAP_START, "Europe/Berlin",
	  { { 150, 300 }, { 150, 300 }, { 150, 300 }, { 150, 300 }, { 150, 300 }, { 150, 300 },
	    { 150, 300 } }, false },
	{ GAP_END, "Europe/Berlin",
	  { { 60, 150 }, { 60, 150 }, { 60, 150 }, { 60, 150 }, { 60, 150 }, { 60, 150 },
	    { 60, 150 } }, false },
	{ SANTIAGO, "America/Santiago", { [5] = { 1320, 1440 }, [6] = { 0, 120 } }, false },
	{ APIA, "Pacific/Apia",
	  { { 540, 1020 }, { 540, 1020 }, { 540, 1020 }, { 540, 1020 }, { 540, 1020 } }, false },
	{ SPLIT, "UTC",
	  { { 480, 720, 780, 1020 }, { 480, 720, 780, 1020 }, { 480, 720, 780, 1020 },
	    { 480, 720, 780, 1020 }, { 480, 720, 780, 1020 }, { 1200, 1440 }, { 0, 240 } }, false },
};

/* Whether the minute starting at instant t is business time, by GLib's wall clock. */
static bool
oracle_open(const struct oracle *o, GTimeZone *tz, int64_t t)
{
	GDateTime *utc = g_date_time_new_from_unix_utc(t);
	GDateTime *loc = g_date_time_to_timezone(utc, tz);
	int wd = g_date_time_get_day_of_week(loc) - 1;
	int m = g_date_time_get_hour(loc) * 60 + g_date_time_get_minute(loc);
	int mon = g_date_time_get_month(loc), day = g_date_time_get_day_of_month(loc);
	int year = g_date_time_get_year(loc);
	bool open = false;

	g_date_time_unref(loc);
	g_date_time_unref(utc);
	if (o->berlin_holidays && ((mon == 1 && day == 1) ||
	                           (year == 2026 && mon == 12 && (day == 24 || day == 25))))
		return false;
	for (int k = 0; k < 4; k += 2)
		if (o->spans[wd][k] < o->spans[wd][k + 1] && m >= o->spans[wd][k] &&
		    m < o->spans[wd][k + 1])
			open = true;
	return open;
}

/*
 * Minute by minute over random spans of up to four days, starting up to two
 * days before each of the changes listed in the top comment and at random
 * in 2026: seconds(), open_at() and next_open() agree with the
 * oracle. Offsets are whole hours and intervals whole minutes, so a minute
 * is open or closed as a whole.
 */
static void
test_oracle_random(void **state)
{
	static const char *const around[] = { "2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z",
		                              "2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z",
		                              "2026-04-04T16:00:00Z", "2026-10-03T16:00:00Z",
		                              "2026-12-24T00:00:00Z", "2027-01-01T00:00:00Z",
		                              "2026-04-05T03:00:00Z", "2026-09-06T04:00:00Z",
		                              "2011-12-30T10:00:00Z" };
	enum { NAROUND = sizeof(around) / sizeof(around[0]) };
	uint64_t seed = 0x0a11ce;

	for (size_t c = 0; c < sizeof(oracles) / sizeof(oracles[0]); c++) {
		const struct oracle *o = &oracles[c];
		struct sla_calendar *cal = load_ok(o->yaml);
		GTimeZone *tz = g_time_zone_new_identifier(o->zone);

		assert_non_null(tz);
		for (size_t i = 0; i < NAROUND + 6; i++) {
			/* Two days before each change, then six anywhere in 2026. */
			int64_t base = i < NAROUND ? ts(around[i]) - 2 * 86400
			                           : ts("2026-01-01T00:00:00Z") +
			                             (int64_t)(rnd(&seed) % 31536000);
			int64_t from = base - base % 60 + (int64_t)(rnd(&seed) % 1440) * 60;
			/* Around a change: from at most a day after base, over 3-4 days: past it. */
			int64_t minutes = i < NAROUND ? 3 * 1440 + (int64_t)(rnd(&seed) % 1440)
			                              : 1 + (int64_t)(rnd(&seed) % (4 * 1440));
			int64_t want = 0;
			int64_t next = -1;

			for (int64_t m = minutes - 1; m >= 0; m--) {
				int64_t t = from + m * 60;
				bool open = oracle_open(o, tz, t);

				if (open) {
					want += 60;
					next = t;
				}
				if (sla_calendar_open_at(cal, t) != open)
					fail_msg("cal %zu: open_at(%lld) should be %d", c, (long long)t, open);
				if (next >= 0 && sla_calendar_next_open(cal, t) != next)
					fail_msg("cal %zu: next_open(%lld) = %lld, want %lld", c, (long long)t,
					         (long long)sla_calendar_next_open(cal, t), (long long)next);
			}
			if (sla_calendar_seconds(cal, from, from + minutes * 60) != want)
				fail_msg("cal %zu: seconds(%lld, +%lld min) = %lld, want %lld", c,
				         (long long)from, (long long)minutes,
				         (long long)sla_calendar_seconds(cal, from, from + minutes * 60),
				         (long long)want);
		}
		g_time_zone_unref(tz);
		sla_calendar_free(&cal);
	}
}

/* Hostile instants: no overflow, no endless loop, sane answers. */
static void
test_extremes(void **state)
{
	struct sla_calendar *cal = load_ok(BERLIN);

	assert_int_equal(sla_calendar_add(cal, INT64_MAX, 3600), -1);
	assert_int_equal(sla_calendar_add(cal, INT64_MIN, 3600), -1);
	assert_int_equal(sla_calendar_add(cal, 0, INT64_MAX), -1);
	assert_false(sla_calendar_open_at(cal, INT64_MAX));
	assert_int_equal(sla_calendar_next_open(cal, INT64_MAX), -1);
	/*
	 * Clamped to 1970: Thu 1970-01-01 is the yearly holiday, so Fri 01-02 09:00 CET (08:00Z);
	 * Berlin was on CET (+1) all of 1970.
	 */
	assert_int_equal(sla_calendar_next_open(cal, INT64_MIN), ts("1970-01-02T08:00:00Z"));
	assert_int_equal(sla_calendar_next_open(cal, -5), ts("1970-01-02T08:00:00Z"));
	assert_false(sla_calendar_open_at(cal, -1));
	assert_int_equal(sla_calendar_add(cal, -1, 0), -1);
	assert_true(sla_calendar_seconds(cal, INT64_MIN, INT64_MAX) > 0);
	assert_int_equal(sla_calendar_seconds(cal, INT64_MAX, INT64_MIN), 0);
	sla_calendar_free(&cal);

	/*
	 * The first hours of 1970 in New York are still 1969 on the wall clock (naive local time
	 * is negative there): 1970-01-01 00:00Z is Wed 1969-12-31 19:00 EST, so every day
	 * 20:00-22:00 gives 2h by 03:00Z (22:00 EST).
	 */
	cal = load_ok("timezone: America/New_York\nhours: { mon-sun: 20:00-22:00 }\n");
	assert_int_equal(sla_calendar_seconds(cal, 0, 3 * 3600), 2 * 3600);
	assert_true(sla_calendar_open_at(cal, 3600));
	assert_int_equal(sla_calendar_next_open(cal, 0), 3600);
	assert_int_equal(sla_calendar_add(cal, 0, 3600), 7200);
	sla_calendar_free(&cal);

	cal = load_ok(BERLIN);
	/*
	 * Far future, past the offsets read at load (to 2199): Mon 2300-01-08 00:00 CET to the
	 * next Monday is still 5 x 8h (2300-01-01 is a Monday, the yearly holiday).
	 */
	assert_int_equal(sla_calendar_seconds(cal, ts("2300-01-07T23:00:00Z"),
	                                      ts("2300-01-14T23:00:00Z")), 5 * 8 * 3600);
	assert_int_equal(sla_calendar_seconds(cal, ts("2299-12-31T23:00:00Z"),
	                                      ts("2300-01-07T23:00:00Z")), 4 * 8 * 3600);
	sla_calendar_free(&cal);
}

/* civil.c: day numbers round-trip, and the anchors are right. */
static void
test_civil(void **state)
{
	/* 1970-01-01 is day 0, a Thursday; 2000-03-01 is 30 years + 8 leap days + 31 + 29 days. */
	assert_int_equal(civil_days(1970, 1, 1), 0);
	assert_int_equal(civil_days(2000, 3, 1), 30 * 365 + 7 + 31 + 29);
	assert_int_equal(civil_weekday(0), 3);
	assert_int_equal(civil_weekday(-1), 2);
	assert_int_equal(civil_month_days(2100, 2), 28);
	assert_int_equal(civil_month_days(2000, 2), 29);
	for (int64_t d = civil_days(1899, 12, 1); d < civil_days(2201, 1, 1); d++) {
		int64_t y;
		unsigned m, dd;

		civil_from_days(d, &y, &m, &dd);
		if (civil_days(y, m, dd) != d || dd > civil_month_days(y, m))
			fail_msg("day %lld does not round-trip", (long long)d);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_table),
		cmocka_unit_test(test_seconds_table),
		cmocka_unit_test(test_open_table),
		cmocka_unit_test(test_24x7),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_errors_all_reported),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_load_forms),
		cmocka_unit_test(test_add_inverse_random),
		cmocka_unit_test(test_oracle_random),
		cmocka_unit_test(test_extremes),
		cmocka_unit_test(test_civil),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
