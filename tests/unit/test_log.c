/*
 * test_log.c: secrets are redacted centrally; untrusted text is clipped;
 * lines a client can cause are rate-limited.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

	/* escaped once, readable: quotes and backslashes too, since values sit in quotes */
	assert_string_equal(log_clip(buf, sizeof(buf), "a\nb\"c\x01\\d\t"),
	                    "a\\nb\\\"c\\x01\\\\d\\t");
	/* UTF-8 is kept; a byte that is not UTF-8 is escaped */
	assert_string_equal(log_clip(buf, sizeof(buf), "Gr\xc3\xbc\xc3\x9f \xe6\x97\xa5 \xff!"),
	                    "Gr\xc3\xbc\xc3\x9f \xe6\x97\xa5 \\xff!");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_clip(buf, sizeof(buf), big);
	assert_true(strlen(buf) <= 203);
	assert_string_equal(buf + strlen(buf) - 3, "...");
	assert_string_equal(log_clip(buf, sizeof(buf), NULL), "(null)");
}

/* A cut never splits a character or an escape. */
static void
test_clip_boundaries(void **state)
{
	char buf[300], big[1000];

	for (size_t i = 0; i + 2 < sizeof(big); i += 2)
		memcpy(big + i, "\xc3\xa9", 2);   /* é, 2 bytes */
	big[998] = '\0';
	log_clip(buf, sizeof(buf), big);
	assert_string_equal(buf + strlen(buf) - 3, "...");
	assert_int_equal((strlen(buf) - 3) % 2, 0);
	memset(big, '\n', 998);
	log_clip(buf, sizeof(buf), big);
	assert_string_equal(buf + strlen(buf) - 3, "...");
	assert_int_equal((strlen(buf) - 3) % 2, 0);   /* whole "\n" pairs */
	log_clip(buf, 8, "abcdefghijkl");
	assert_true(strlen(buf) < 8);
}

/* log_msg escapes control characters once and keeps UTF-8; a timestamp
 * unless JOURNAL_STREAM is set (then the journald priority prefix). */
static void
test_msg_line(void **state)
{
	char path[] = "/tmp/test_log.XXXXXX", line[512];
	int fd = mkstemp(path), saved = dup(2);
	FILE *fp;

	assert_true(fd >= 0);
	unsetenv("JOURNAL_STREAM");
	log_set_level(LOG_LVL_INFO);
	fflush(stderr);
	dup2(fd, 2);
	log_info("store: connection to server on socket \"/x\" failed: No\n\tIs it? Zo\xc3\xab");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fp = fdopen(fd, "r");
	rewind(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	unlink(path);
	/* 2026-12-06T08:00:00.123Z info  ... */
	assert_int_equal(strlen(line) > 30, 1);
	assert_int_equal(line[4], '-');
	assert_int_equal(line[10], 'T');
	assert_int_equal(line[23], 'Z');
	assert_string_equal(line + 25, "info  store: connection to server on socket \"/x\" failed: "
	                    "No\\n\\tIs it? Zo\xc3\xab\n");
}

static void
say(void *arg)
{
	printf("ERROR: invalid alloc size %d\n", *(int *)arg);
	puts("and more");
}

static void
quiet(void *arg)
{
	(void)arg;
}

/* What a library prints on stdout during a call is captured, not printed. */
static void
test_capture(void **state)
{
	int n = 7;
	char *got = log_capture_stdout(say, &n);

	assert_non_null(got);
	assert_string_equal(got, "ERROR: invalid alloc size 7\nand more\n");
	free(got);
	assert_null(log_capture_stdout(quiet, NULL));
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
		cmocka_unit_test(test_clip_boundaries),
		cmocka_unit_test(test_msg_line),
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
