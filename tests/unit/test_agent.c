/*
 * test_agent.c: whom the assigner picks (agent_pick.c), the times agents
 * write for "away until" (agent_time.c), wall clocks in zones (lib/tzone.c,
 * checked against timegm() and hand-computed instants), and ratings
 * (csat.c: signed links, a rating in a reply).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <glib.h>

#include "agent_pick.h"
#include "agent_time.h"
#include "csat.h"
#include "tzone.h"

static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
	                 .tm_min = mi };

	return (int64_t)timegm(&tm);
}

static void
test_least_loaded(void **state)
{
	struct agent_cand c[] = {
		{ .name = "a", .id = 1, .load = 3, .count = 3, .last_assigned = 0, .order = 0 },
		{ .name = "b", .id = 2, .load = 1, .count = 1, .last_assigned = 100, .order = 1 },
		{ .name = "c", .id = 3, .load = 1, .count = 1, .last_assigned = 50, .order = 2 },
		{ .name = "d", .id = 4, .load = 1, .count = 1, .last_assigned = 50, .order = 3 },
	};

	assert_int_equal(agent_pick_order(c, 4, AGENT_ASSIGN_LEAST_LOADED, 0), 4);
	/* least load; ties to whoever was assigned least recently; then the configured order */
	assert_string_equal(c[0].name, "c");
	assert_string_equal(c[1].name, "d");
	assert_string_equal(c[2].name, "b");
	assert_string_equal(c[3].name, "a");
	assert_int_equal(agent_pick_order(c, 4, AGENT_ASSIGN_NONE, 0), 0);
	assert_int_equal(agent_pick_order(c, 0, AGENT_ASSIGN_LEAST_LOADED, 0), 0);
}

/* round_robin counts tickets; least_loaded weighs them (one critical of weight 3 vs two lows). */
static void
test_round_robin_counts(void **state)
{
	struct agent_cand c[] = {
		{ .name = "a", .id = 1, .count = 1, .load = 3, .order = 0 },
		{ .name = "b", .id = 2, .count = 2, .load = 2, .order = 1 },
	};

	agent_pick_order(c, 2, AGENT_ASSIGN_ROUND_ROBIN, 0);
	assert_string_equal(c[0].name, "a");
	agent_pick_order(c, 2, AGENT_ASSIGN_LEAST_LOADED, 0);
	assert_string_equal(c[0].name, "b");
}

static void
test_skill(void **state)
{
	struct agent_cand c[] = {
		{ .name = "a", .id = 1, .level = 4, .load = 5, .order = 0 },
		{ .name = "b", .id = 2, .level = 3, .load = 0, .order = 1 },
		{ .name = "c", .id = 3, .level = 4, .load = 2, .order = 2 },
		{ .name = "d", .id = 4, .level = 5, .load = 9, .order = 3 },
		{ .name = "e", .id = 5, .level = 0, .load = 0, .order = 4 },
	};

	/* at level 4 or more: highest level first, then least workload; the second is the backup */
	assert_int_equal(agent_pick_order(c, 5, AGENT_ASSIGN_SKILL, 4), 3);
	assert_string_equal(c[0].name, "d");
	assert_string_equal(c[1].name, "c");
	assert_string_equal(c[2].name, "a");
	assert_int_equal(agent_pick_order(c, 5, AGENT_ASSIGN_SKILL, 5), 1);
	assert_int_equal(agent_pick_order(c, 5, AGENT_ASSIGN_SKILL, 6), 0);   /* nobody: wait */
	/* no skill asked: as least_loaded */
	assert_int_equal(agent_pick_order(c, 5, AGENT_ASSIGN_SKILL, 0), 5);
	assert_int_equal(c[0].load, 0);
}

/* 1,000 tickets of mixed priorities, one at a time as the assigner does: counts end within 1. */
static void
test_fair_rotation(void **state)
{
	struct agent_cand c[5];
	int64_t min = INT64_MAX, max = 0;
	double now = 1000;

	memset(c, 0, sizeof(c));
	for (int i = 0; i < 5; i++) {
		c[i].id = i + 1;
		c[i].order = i;
	}
	srand(7);
	for (int t = 0; t < 1000; t++) {
		int w = 1 + rand() % 3;

		agent_pick_order(c, 5, AGENT_ASSIGN_ROUND_ROBIN, 0);
		agent_pick_took(&c[0], w, now += 1);
	}
	for (int i = 0; i < 5; i++) {
		min = c[i].count < min ? c[i].count : min;
		max = c[i].count > max ? c[i].count : max;
	}
	assert_true(max - min <= 1);
	assert_int_equal(min + max, 400);
}

static void
test_until_times(void **state)
{
	int64_t now = utc(2026, 3, 1, 12, 0), t = 0;
	struct tk_err err = { 0 };

	assert_int_equal(agent_time_parse("2026-12-24", now, NULL, &t, &err), 0);
	assert_int_equal(t, utc(2026, 12, 24, 0, 0));
	assert_int_equal(agent_time_parse("2026-12-24 17:30", now, "Europe/Berlin", &t, &err), 0);
	assert_int_equal(t, utc(2026, 12, 24, 16, 30));
	assert_int_equal(agent_time_parse("2026-07-01t09:00", now, "Europe/Berlin", &t, &err), 0);
	assert_int_equal(t, utc(2026, 7, 1, 7, 0));   /* summer time, lower-cased as mail gives it */
	assert_int_equal(agent_time_parse("2026-12-24T17:30+01:00", now, "America/New_York", &t,
	                                  &err), 0);
	assert_int_equal(t, utc(2026, 12, 24, 16, 30));   /* an offset wins over the zone */
	assert_int_equal(agent_time_parse("2026-12-24T17:30:15z", now, "Europe/Berlin", &t, &err), 0);
	assert_int_equal(t, utc(2026, 12, 24, 17, 30) + 15);
	assert_int_equal(agent_time_parse("3h", now, NULL, &t, &err), 0);
	assert_int_equal(t, now + 3 * 3600);
	assert_int_equal(agent_time_parse("2d", now, NULL, &t, &err), 0);
	assert_int_equal(t, now + 2 * 86400);
}

static void
test_until_refused(void **state)
{
	static const char *const bad[] = {
		"", "yesterday", "2026-13-01", "2026-02-30", "2026-12-24 25:00", "2026-12-24 17:30 extra",
		"2026-12-24T17:30+15:00", "2026-01-01", "2040-01-01", "0s", "2026-12-24 1730",
		"99999-12-24", "2026-12-24T17:30Zulu",
	};
	int64_t now = utc(2026, 3, 1, 12, 0), t = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tk_err err = { 0 };

		if (agent_time_parse(bad[i], now, "Europe/Berlin", &t, &err) == 0)
			fail_msg("\"%s\" was accepted as %lld", bad[i], (long long)t);
		assert_true(err.msg[0] != '\0');
	}
	{
		struct tk_err err = { 0 };

		assert_int_equal(agent_time_parse("2026-12-24", now, "Not/AZone", &t, &err), -1);
	}
}

/* Europe/Berlin, 2026: forward at 01:00 UTC on 03-29, back at 01:00 UTC on 10-25. */
static void
test_tzone_dst(void **state)
{
	GTimeZone *tz = tzone_new("Europe/Berlin");
	struct tzone_tm tm = { .year = 2026, .month = 3, .day = 29, .hour = 2, .min = 30 };
	int64_t t = 0;

	assert_non_null(tz);
	assert_true(tzone_instant(tz, &tm, &t));
	assert_int_equal(t, utc(2026, 3, 29, 1, 0));      /* skipped: the jump */
	tm.hour = 3;
	tm.min = 0;
	assert_true(tzone_instant(tz, &tm, &t));
	assert_int_equal(t, utc(2026, 3, 29, 1, 0));
	tm = (struct tzone_tm){ .year = 2026, .month = 10, .day = 25, .hour = 2, .min = 30 };
	assert_true(tzone_instant(tz, &tm, &t));
	assert_int_equal(t, utc(2026, 10, 25, 0, 30));    /* shown twice: the first */
	tzone_local(tz, utc(2026, 10, 25, 1, 30), &tm);
	assert_int_equal(tm.hour, 2);                     /* the second 02:30, in winter time */
	assert_int_equal(tm.min, 30);
	assert_int_equal(tm.wday, 6);                     /* a Sunday */
	tm.month = 2;
	tm.day = 29;
	assert_false(tzone_instant(tz, &tm, &t));         /* not a leap year */
	g_time_zone_unref(tz);
	assert_null(tzone_new("+01:00"));
	assert_null(tzone_new("CET-1CEST"));
	assert_null(tzone_new("/etc/localtime"));
	assert_null(tzone_new("../../etc/passwd"));
	assert_false(tzone_known("Europe/Nowhere"));
	assert_true(tzone_known("UTC"));
}

static void
test_csat_links(void **state)
{
	static const unsigned char k1[] = "a-test-secret-of-32-bytes-length";
	static const unsigned char k2[] = "another-secret-of-32-bytes-long!";
	struct token_secret cur = { k1, sizeof(k1) - 1 }, both[2] = { { k2, sizeof(k2) - 1 },
	                                                              { k1, sizeof(k1) - 1 } };
	char *tok = csat_link_make(&cur, 1042, 2000000000), *bad;
	struct tk_err err = { 0 };
	int64_t id = 0;
	bool expired;

	assert_non_null(tok);
	assert_int_equal(csat_link_check(&cur, 1, tok, 1900000000, &id, &expired, &err), 0);
	assert_int_equal(id, 1042);
	/* a rotated secret: the previous one still checks */
	assert_int_equal(csat_link_check(both, 2, tok, 1900000000, &id, &expired, &err), 0);
	/* expired: the signature was good, the time is past */
	assert_int_equal(csat_link_check(&cur, 1, tok, 2000000000, &id, &expired, &err), -1);
	assert_true(expired);
	assert_string_equal(err.msg, "expired link");
	/* forged: another ticket, a later expiry, a flipped MAC digit, another secret */
	bad = strdup(tok);
	bad[0] = '2';
	assert_int_equal(csat_link_check(&cur, 1, bad, 1900000000, &id, &expired, &err), -1);
	assert_false(expired);
	assert_string_equal(err.msg, "forged link");
	strcpy(bad, tok);
	bad[5] = '3';   /* 1042-2000000000-...: the expiry */
	assert_int_equal(csat_link_check(&cur, 1, bad, 1900000000, &id, &expired, &err), -1);
	strcpy(bad, tok);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
	assert_int_equal(csat_link_check(&cur, 1, bad, 1900000000, &id, &expired, &err), -1);
	assert_string_equal(err.msg, "forged link");
	assert_int_equal(csat_link_check(&both[0], 1, tok, 1900000000, &id, &expired, &err), -1);
	free(bad);
	free(tok);
	{
		static const char *const malformed[] = {
			"", "1042", "1042-2000000000", "x-1-00000000000000000000000000000000",
			"01-2-00000000000000000000000000000000", "1-2-0000000000000000000000000000000G",
			"1-2-000000000000000000000000000000000", "-1-2-00000000000000000000000000000000",
			"1-2-00000000000000000000000000000000/../x",
		};

		for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
			assert_int_equal(csat_link_check(&cur, 1, malformed[i], 0, &id, &expired, &err), -1);
			assert_string_equal(err.msg, "malformed link");
		}
	}
	assert_null(csat_link_make(&cur, 0, 2000000000));
}

static void
test_csat_replies(void **state)
{
	static const struct { const char *text; int score; const char *comment; } ok[] = {
		{ "4", 4, NULL },
		{ "\n  5 - thank you!\nAll good now.\n", 5, "thank you!\nAll good now." },
		{ "2/5 slow answers", 2, "slow answers" },
		{ "1.\n", 1, NULL },
		{ "3\r\n", 3, NULL },
	};
	static const char *const no[] = {
		"", "thanks!", "10", "45", "0", "6", "4.5", "It is 5 now", "#status open", NULL,
	};
	char *comment = NULL;
	int score = 0;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(csat_reply_parse(ok[i].text, &score, &comment), 1);
		assert_int_equal(score, ok[i].score);
		if (ok[i].comment)
			assert_string_equal(comment, ok[i].comment);
		else
			assert_null(comment);
		free(comment);
	}
	for (size_t i = 0; no[i]; i++) {
		if (csat_reply_parse(no[i], &score, &comment) != 0)
			fail_msg("\"%s\" was taken for a rating", no[i]);
	}
	assert_int_equal(csat_reply_parse(NULL, &score, &comment), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_least_loaded),
		cmocka_unit_test(test_round_robin_counts),
		cmocka_unit_test(test_skill),
		cmocka_unit_test(test_fair_rotation),
		cmocka_unit_test(test_until_times),
		cmocka_unit_test(test_until_refused),
		cmocka_unit_test(test_tzone_dst),
		cmocka_unit_test(test_csat_links),
		cmocka_unit_test(test_csat_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
