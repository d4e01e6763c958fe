/*
 * test_report.c: the schedules of reports (report_cron.c: fields, the next
 * run on a zone's wall clock across daylight-saving changes, checked
 * against instants computed by hand) and the formats of a report table
 * (report_fmt.c: CSV quoting, JSON types, the aligned table).
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
#include <jansson.h>

#include "report.h"
#include "report_cron.h"
#include "tzone.h"

static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
	                 .tm_min = mi };

	return (int64_t)timegm(&tm);
}

static struct report_cron
cron(const char *s)
{
	struct report_cron c;
	char why[160];

	if (report_cron_parse(s, &c, why, sizeof(why)) < 0)
		fail_msg("\"%s\": %s", s, why);
	return c;
}

static void
test_parse_errors(void **state)
{
	static const struct { const char *s, *why; } bad[] = {
		{ "", "five fields" }, { "0 8 * *", "five fields" }, { "0 8 * * mon tue", "five fields" },
		{ "60 8 * * *", "minute" }, { "0 24 * * *", "hour" }, { "0 8 0 * *", "day of month" },
		{ "0 8 * 13 *", "month" }, { "0 8 * * 8", "day of week" }, { "0 8 * * funday", "day of week" },
		{ "*/0 * * * *", "minute" }, { "5-1 * * * *", "minute" }, { "1,,2 * * * *", "minute" },
		{ "0 8 * * mon-", "day of week" }, { "0x 8 * * *", "minute" },
	};
	struct report_cron c;
	char why[160];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (report_cron_parse(bad[i].s, &c, why, sizeof(why)) == 0)
			fail_msg("\"%s\" was accepted", bad[i].s);
		if (strstr(why, bad[i].why) == NULL)
			fail_msg("\"%s\": \"%s\" does not say %s", bad[i].s, why, bad[i].why);
	}
	assert_int_equal(report_cron_parse(NULL, &c, why, sizeof(why)), -1);
}

/* Mondays 08:00 in Berlin: 07:00 UTC in winter, 06:00 UTC in summer. */
static void
test_mondays_in_berlin(void **state)
{
	struct report_cron c = cron("0 8 * * mon");
	GTimeZone *tz = tzone_new("Europe/Berlin");

	/* from Wednesday 2026-03-25: Monday 03-30, the first after the spring change */
	assert_int_equal(report_cron_next(&c, tz, utc(2026, 3, 25, 12, 0)), utc(2026, 3, 30, 6, 0));
	assert_int_equal(report_cron_next(&c, tz, utc(2026, 3, 16, 6, 59)), utc(2026, 3, 16, 7, 0));
	/* a run is strictly after: from the run itself, the next Monday */
	assert_int_equal(report_cron_next(&c, tz, utc(2026, 3, 16, 7, 0)), utc(2026, 3, 23, 7, 0));
	/* across the autumn change */
	assert_int_equal(report_cron_next(&c, tz, utc(2026, 10, 20, 0, 0)), utc(2026, 10, 26, 7, 0));
	/* the same schedule in UTC */
	assert_int_equal(report_cron_next(&c, NULL, utc(2026, 3, 25, 12, 0)), utc(2026, 3, 30, 8, 0));
	g_time_zone_unref(tz);
}

/* 02:30 daily in Berlin: skipped on 03-29 (runs at the jump), shown twice on 10-25 (runs once). */
static void
test_dst_edges(void **state)
{
	struct report_cron c = cron("30 2 * * *");
	GTimeZone *tz = tzone_new("Europe/Berlin");
	int64_t t;

	assert_int_equal(report_cron_next(&c, tz, utc(2026, 3, 28, 12, 0)), utc(2026, 3, 29, 1, 0));
	assert_int_equal(report_cron_next(&c, tz, utc(2026, 3, 29, 1, 0)), utc(2026, 3, 30, 0, 30));
	t = report_cron_next(&c, tz, utc(2026, 10, 24, 12, 0));
	assert_int_equal(t, utc(2026, 10, 25, 0, 30));                     /* the first 02:30 */
	assert_int_equal(report_cron_next(&c, tz, t), utc(2026, 10, 26, 1, 30)); /* not again */
	g_time_zone_unref(tz);
}

static void
test_fields(void **state)
{
	struct report_cron c = cron("*/15 9-10 * * *");
	int64_t t = utc(2026, 1, 1, 9, 50), n = 0;

	assert_int_equal(report_cron_next(&c, NULL, t), utc(2026, 1, 1, 10, 0));
	for (t = utc(2026, 1, 1, 0, 0); (t = report_cron_next(&c, NULL, t)) < utc(2026, 1, 2, 0, 0);)
		n++;
	assert_int_equal(n, 8);
	/* both day fields restricted: either matches (cron) */
	c = cron("0 0 13 * fri");
	assert_int_equal(report_cron_next(&c, NULL, utc(2026, 2, 1, 0, 0)), utc(2026, 2, 6, 0, 0));
	assert_int_equal(report_cron_next(&c, NULL, utc(2026, 2, 12, 0, 0)), utc(2026, 2, 13, 0, 0));
	/* names and Sunday as 7; a leap day waits for its year; none at all */
	c = cron("0 12 * jan,jul 7");
	assert_int_equal(report_cron_next(&c, NULL, utc(2026, 2, 1, 0, 0)), utc(2026, 7, 5, 12, 0));
	c = cron("0 0 29 2 *");
	assert_int_equal(report_cron_next(&c, NULL, utc(2026, 3, 1, 0, 0)), utc(2028, 2, 29, 0, 0));
	c = cron("0 0 30 2 *");
	assert_int_equal(report_cron_next(&c, NULL, utc(2026, 3, 1, 0, 0)), -1);
}

static const char *const cols[] = { "agent", "n", "avg", "took" };
static const enum report_type types[] = { RT_TEXT, RT_INT, RT_NUM, RT_SECONDS };

static void
test_formats(void **state)
{
	char *cells[] = { "a,\"b\"\nc", "3", "4.50", "3900", "d", "0", NULL, NULL };
	struct report_table t = { .kind = REPORT_AGENTS, .n_cols = 4, .n_rows = 2, .cols = cols,
	                          .types = types, .cells = cells };
	struct report_params p = { .kind = REPORT_AGENTS, .from = utc(2026, 3, 1, 0, 0),
	                           .to = utc(2026, 3, 8, 0, 0), .queue = "billing" };
	char *out = report_format(&t, &p, REPORT_FMT_CSV);
	json_t *doc, *row;

	assert_string_equal(out, "agent,n,avg,took\r\n\"a,\"\"b\"\"\nc\",3,4.50,3900\r\nd,0,,\r\n");
	free(out);
	out = report_format(&t, &p, REPORT_FMT_JSON);
	doc = json_loads(out, 0, NULL);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "report")), "agents");
	assert_string_equal(json_string_value(json_object_get(doc, "queue")), "billing");
	assert_true(json_is_null(json_object_get(doc, "tenant")));
	row = json_array_get(json_object_get(doc, "rows"), 0);
	assert_int_equal(json_integer_value(json_object_get(row, "n")), 3);
	assert_true(json_real_value(json_object_get(row, "avg")) == 4.5);
	assert_int_equal(json_integer_value(json_object_get(row, "took")), 3900);
	row = json_array_get(json_object_get(doc, "rows"), 1);
	assert_true(json_is_null(json_object_get(row, "avg")));
	json_decref(doc);
	free(out);
	out = report_format(&t, &p, REPORT_FMT_TABLE);
	assert_non_null(strstr(out, "Report agents, 2026-03-01 00:00 UTC to 2026-03-08 00:00 UTC, "
	                            "queue billing\n"));
	assert_non_null(strstr(out, "1h 05m"));   /* seconds as a duration */
	free(out);
	t.n_rows = 0;
	out = report_format(&t, &p, REPORT_FMT_TABLE);
	assert_non_null(strstr(out, "(nothing in this period)"));
	free(out);
	assert_int_equal(report_format_parse("csv"), REPORT_FMT_CSV);
	assert_int_equal(report_format_parse("xml"), -1);
	assert_int_equal(report_kind_parse("volume"), REPORT_VOLUME);
	assert_int_equal(report_kind_parse("Volume"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_mondays_in_berlin),
		cmocka_unit_test(test_dst_edges),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
