/*
 * test_imap.c: the pure parts of the IMAP intake: the quick Message-ID
 * scan of staged messages (hostile headers, folding, the end of the header
 * section, random bytes) and libetpan error texts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "imap_int.h"

static void
check(const char *raw, const char *want)
{
	char *got = imap_scan_message_id(raw, strlen(raw));

	if (want == NULL) {
		if (got != NULL)
			fail_msg("expected no Message-ID in %s, got %s", raw, got);
	} else {
		assert_non_null(got);
		assert_string_equal(got, want);
	}
	free(got);
}

static void
test_scan(void **state)
{
	check("Message-ID: <a@b>\r\n\r\nbody", "a@b");
	check("Subject: x\nmessage-id:<lower@case>\n\n", "lower@case");
	check("From: x\r\nMESSAGE-ID:   \r\n\t<folded@host.example>\r\n\r\n", "folded@host.example");
	check("Subject: x\r\n\r\nMessage-ID: <in-body@x>\r\n", NULL);   /* after the header section */
	check("Message-ID: no brackets@x\r\n\r\n", NULL);
	check("Message-ID: <>\r\n\r\n", NULL);
	check("Message-ID: <has space@x>\r\n\r\n", NULL);
	check("Message-ID: <unterminated@x\r\n\r\n", NULL);
	check("Message-ID: <a<b@x>\r\n\r\n", NULL);
	check("Message-IDX: <nope@x>\r\n\r\n", NULL);
	check("Message-ID: <ctl\x01@x>\r\n\r\n", NULL);
	check("Message-ID: <first@x>\r\nMessage-ID: <second@x>\r\n\r\n", "first@x");
	check("Message-ID: <no-newline-at-all@x>", "no-newline-at-all@x");
	check("", NULL);
	check("\r\n", NULL);
	check("Message-ID:", NULL);
	check("Message-ID: <", NULL);
}

static void
test_scan_long(void **state)
{
	size_t n = 5000;
	char *raw = malloc(n + 32);

	strcpy(raw, "Message-ID: <");
	memset(raw + 13, 'a', n);
	strcpy(raw + 13 + n, "@x>\r\n\r\n");
	check(raw, NULL); /* absurdly long: refused */
	free(raw);
}

static void
test_scan_random(void **state)
{
	static const char alphabet[] = "Message-ID:<>@ \t\r\nxX\x01\xff";
	char raw[256];

	srand(1234);
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(rand() % (int)sizeof(raw));
		char *got;

		for (size_t i = 0; i < len; i++)
			raw[i] = rand() % 4 == 0 ? (char)(rand() % 256)
			                         : alphabet[rand() % (int)(sizeof(alphabet) - 1)];
		if (len > 13 && rand() % 2)
			memcpy(raw, "Message-ID: <", 13);
		got = imap_scan_message_id(raw, len); /* not NUL-terminated: ASan checks the bounds */
		if (got != NULL) {
			assert_true(strlen(got) > 0 && strlen(got) <= 900);
			for (const char *p = got; *p; p++)
				assert_true((unsigned char)*p > 32 && (unsigned char)*p < 127 && *p != '<' &&
				            *p != '>');
		}
		free(got);
	}
}

static void
test_strerror(void **state)
{
	assert_string_equal(imap_strerror(MAILIMAP_ERROR_LOGIN), "login refused");
	assert_string_equal(imap_strerror(MAILIMAP_ERROR_STREAM), "connection lost or timed out");
	assert_string_equal(imap_strerror(-12345), "IMAP error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_scan_long),
		cmocka_unit_test(test_scan_random),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
