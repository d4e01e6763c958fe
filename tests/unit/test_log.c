/*
 * test_log.c: secrets are redacted centrally; untrusted text is clipped;
 * lines a client can cause are rate-limited.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

static void
check(const char *in, const char *want)
{
	char buf[512];

	strcpy(buf, in);
	log_redact(buf);
	assert_string_equal(buf, want);
}

static void
test_redact(void **state)
{
	check("host=/tmp port=5 password=hunter2 dbname=x", "host=/tmp port=5 password=*** dbname=x");
	check("dsn password='a b c' x", "dsn password=*** x");
	check("url https://bob:s3cret@example.com/x", "url https://bob:***@example.com/x");
	check("secret=abc&token=def", "secret=***&token=***");
	check("nothing to hide", "nothing to hide");
	check("PASSWORD=Upper", "PASSWORD=***");
}

static void
test_clip(void **state)
{
	char buf[300], big[1000];

	assert_string_equal(log_clip(buf, sizeof(buf), "a\nb\"c\x01"), "a?b?c?");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_clip(buf, sizeof(buf), big);
	assert_true(strlen(buf) <= 203);
	assert_string_equal(buf + strlen(buf) - 3, "...");
	assert_string_equal(log_clip(buf, sizeof(buf), NULL), "(null)");
}

static void
test_levels(void **state)
{
	enum log_level l;

	assert_int_equal(log_level_parse("debug", &l), 0);
	assert_int_equal(l, LOG_LVL_DEBUG);
	assert_int_equal(log_level_parse("verbose", &l), -1);
	log_set_level(LOG_LVL_WARN);
	assert_false(log_enabled(LOG_LVL_INFO));
	assert_true(log_enabled(LOG_LVL_ERR));
	log_set_level(LOG_LVL_INFO);
}

/* A burst per window; what is dropped is counted in the next line let through. */
static void
test_limit(void **state)
{
	struct log_limit l = LOG_LIMIT_INIT(2, 60);
	char note[LOG_LIMIT_NOTE];

	assert_true(log_limit_pass(&l, 1000, note));
	assert_string_equal(note, "");
	assert_true(log_limit_pass(&l, 1001, note));
	for (int i = 0; i < 5; i++)
		assert_false(log_limit_pass(&l, 1059, note));
	assert_true(log_limit_pass(&l, 1060, note)); /* a new window */
	assert_string_equal(note, " (5 more not logged)");
	assert_true(log_limit_pass(&l, 1061, note));
	assert_string_equal(note, "");
	assert_false(log_limit_pass(&l, 1062, note));
	assert_true(log_limit_pass(&l, 900, note)); /* the clock went back: a new window */
	assert_string_equal(note, " (1 more not logged)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_clip),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
