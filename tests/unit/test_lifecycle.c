/*
 * test_lifecycle.c: the transition table, checked against the spec written
 * out here independently (every pair), and the helpers around it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lifecycle.h"

/* The spec: from -> the statuses it may move to. */
static const struct { const char *from; const char *to[8]; } spec[] = {
	{ "new", { "open", "in_progress", "pending", "resolved", "closed" } },
	{ "open", { "in_progress", "pending", "resolved", "closed" } },
	{ "in_progress", { "open", "pending", "resolved", "closed" } },
	{ "pending", { "open", "in_progress", "resolved", "closed" } },
	{ "resolved", { "closed", "reopened" } },
	{ "closed", { "reopened" } },
	{ "reopened", { "open", "in_progress", "pending", "resolved", "closed" } },
};

static int
spec_allows(const char *from, const char *to)
{
	for (size_t i = 0; i < sizeof(spec) / sizeof(spec[0]); i++) {
		if (strcmp(spec[i].from, from) != 0)
			continue;
		for (size_t j = 0; spec[i].to[j]; j++)
			if (strcmp(spec[i].to[j], to) == 0)
				return 1;
	}
	return 0;
}

static void
test_every_pair(void **state)
{
	int checked = 0;

	for (int f = 0; f < LC_STATUS_COUNT; f++) {
		for (int t = 0; t < LC_STATUS_COUNT; t++) {
			const char *from = lc_status_name((enum lc_status)f);
			const char *to = lc_status_name((enum lc_status)t);

			if (lc_allowed((enum lc_status)f, (enum lc_status)t) != spec_allows(from, to))
				fail_msg("transition %s -> %s: table says %d", from, to,
				         lc_allowed((enum lc_status)f, (enum lc_status)t));
			checked++;
		}
	}
	assert_int_equal(checked, 49);
}

static void
test_names_and_columns(void **state)
{
	enum lc_status s;

	for (int i = 0; i < LC_STATUS_COUNT; i++) {
		assert_int_equal(lc_status_parse(lc_status_name((enum lc_status)i), &s), 0);
		assert_int_equal(s, i);
	}
	assert_int_equal(lc_status_parse("done", &s), -1);
	assert_string_equal(lc_stamp_column(LC_IN_PROGRESS), "in_progress_at");
	assert_string_equal(lc_stamp_column(LC_REOPENED), "reopened_at");
	assert_false(lc_is_open(LC_RESOLVED));
	assert_true(lc_is_open(LC_REOPENED));
}

static void
test_priorities(void **state)
{
	assert_true(lc_priority_ok("critical"));
	assert_true(lc_priority_ok("low"));
	assert_false(lc_priority_ok("urgent"));
	assert_false(lc_priority_ok(NULL));
	assert_false(lc_priority_ok("High"));
}

/* One vocabulary for ticketctl set, rules and email commands (all call these). */
static void
test_vocabulary(void **state)
{
	assert_string_equal(lc_priority_canonical("urgent"), "critical");
	assert_string_equal(lc_priority_canonical("URGENT"), "critical");
	assert_string_equal(lc_priority_canonical("normal"), "medium");
	assert_string_equal(lc_priority_canonical("High"), "high");
	assert_null(lc_priority_canonical("pressing"));
	assert_null(lc_priority_canonical(NULL));
	assert_string_equal(lc_status_canonical("In-Progress"), "in_progress");
	assert_string_equal(lc_status_canonical("resolved"), "resolved");
	assert_null(lc_status_canonical("done"));
	assert_string_equal(lc_status_requested("open", "resolved"), "reopened");
	assert_string_equal(lc_status_requested("open", "closed"), "reopened");
	assert_string_equal(lc_status_requested("open", "pending"), "open");
	assert_int_equal(LC_SKILL_MIN, 1);
	assert_int_equal(LC_SKILL_MAX, 5);
}

static void
test_allowed_list(void **state)
{
	char buf[128];

	lc_allowed_list(LC_CLOSED, buf, sizeof(buf));
	assert_string_equal(buf, "reopened");
	lc_allowed_list(LC_RESOLVED, buf, sizeof(buf));
	assert_string_equal(buf, "closed, reopened");
	lc_allowed_list(LC_NEW, buf, 8);
	assert_true(strlen(buf) < 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_pair),
		cmocka_unit_test(test_names_and_columns),
		cmocka_unit_test(test_priorities),
		cmocka_unit_test(test_vocabulary),
		cmocka_unit_test(test_allowed_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
