/*
 * test_token.c: signed reply tokens: known answer, round trips, tampering,
 * case folding, key rotation, address extraction, hostile input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "token.h"
#include "xalloc.h"

static const unsigned char key1[] = "0123456789abcdef0123456789abcdef";
static const unsigned char key2[] = "another secret of thirty-two b!!";
#define K1 key1, sizeof(key1) - 1
#define K2 key2, sizeof(key2) - 1

/*
 * Known answer, computed independently with Python:
 * hmac.new(key1, b"ticketd-reply-v1\0" + (1042).to_bytes(8, "big") +
 * b"alice@example.com", sha256).digest()[:10], prefixed by 1042 on 5 bytes,
 * base32, lower-cased.
 */
static void
test_known_answer(void **state)
{
	struct tk_err err;
	char *t = token_make(K1, 1042, "Alice@Example.COM", &err);

	assert_non_null(t);
	assert_string_equal(t, "aaaaabasvioxewxspgyyrgvv");
	xfree(&t);
}

static void
test_round_trip_and_properties(void **state)
{
	struct tk_err err;
	uint64_t ids[] = {1, 42, 1042, 999999, TOKEN_MAX_TICKET};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char *t = token_make(K1, ids[i], "bob@example.org", &err);
		uint64_t got = 0;

		assert_non_null(t);
		assert_int_equal(strlen(t), TOKEN_LEN);
		assert_int_equal(strspn(t, "abcdefghijklmnopqrstuvwxyz234567"), TOKEN_LEN);
		assert_int_equal(token_check(K1, t, "bob@example.org", &got, &err), 0);
		assert_int_equal(got, ids[i]);
		/* Recipient case does not matter; the token's case does not either. */
		assert_int_equal(token_check(K1, t, "BOB@Example.ORG", &got, &err), 0);
		for (char *c = t; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 32);
		got = 0;
		assert_int_equal(token_check(K1, t, "bob@example.org", &got, &err), 0);
		assert_int_equal(got, ids[i]);
		xfree(&t);
	}
}

static void
test_rejects(void **state)
{
	struct tk_err err;
	uint64_t got = 7;
	char *t = token_make(K1, 1042, "alice@example.com", &err);

	assert_non_null(t);
	/* Another recipient, another secret. */
	assert_int_equal(token_check(K1, t, "mallory@example.com", &got, &err), -1);
	assert_string_equal(err.msg, "token does not match");
	assert_int_equal(token_check(K2, t, "alice@example.com", &got, &err), -1);
	/* Every single-character change fails. */
	for (size_t i = 0; i < TOKEN_LEN; i++) {
		char saved = t[i];

		t[i] = saved == 'a' ? 'b' : 'a';
		assert_int_equal(token_check(K1, t, "alice@example.com", &got, &err), -1);
		t[i] = saved;
	}
	assert_int_equal(got, 7);
	/* Malformed tokens. */
	assert_int_equal(token_check(K1, "", "alice@example.com", &got, &err), -1);
	assert_string_equal(err.msg, "malformed token");
	assert_int_equal(token_check(K1, "aaaaabasvioxewxspgyyrgv1", "alice@example.com", &got, &err), -1);
	assert_int_equal(token_check(K1, "aaaaabasvioxewxspgyyrgvvv", "alice@example.com", &got, &err), -1);
	assert_int_equal(token_check(K1, "aaaaaaaaaaaaaaaaaaaaaaaa", "alice@example.com", &got, &err), -1);
	assert_int_equal(token_check(K1, NULL, "alice@example.com", &got, &err), -1);
	assert_int_equal(token_check(K1, t, "", &got, &err), -1);
	assert_int_equal(got, 7);
	xfree(&t);
}

static void
test_make_errors(void **state)
{
	struct tk_err err;

	assert_null(token_make(key1, 8, 1, "a@b", &err));
	assert_non_null(strstr(err.msg, "secret"));
	assert_null(token_make(K1, 0, "a@b", &err));
	assert_null(token_make(K1, TOKEN_MAX_TICKET + 1, "a@b", &err));
	assert_non_null(strstr(err.msg, "out of range"));
	assert_null(token_make(K1, 1, "", &err));
	assert_null(token_make(K1, 1, NULL, &err));
	char longaddr[400];
	memset(longaddr, 'a', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = '\0';
	assert_null(token_make(K1, 1, longaddr, &err));
}

static void
test_rotation(void **state)
{
	struct tk_err err;
	struct token_secret list[] = {{K2}, {K1}};
	uint64_t got = 0;
	char *old = token_make(K1, 5, "c@example.com", &err);
	char *cur = token_make(K2, 6, "c@example.com", &err);

	assert_int_equal(token_check_any(list, 2, old, "c@example.com", &got, &err), 0);
	assert_int_equal(got, 5);
	assert_int_equal(token_check_any(list, 2, cur, "c@example.com", &got, &err), 0);
	assert_int_equal(got, 6);
	/* Once the old secret is dropped, its tokens stop working. */
	assert_int_equal(token_check_any(list, 1, old, "c@example.com", &got, &err), -1);
	assert_int_equal(token_check_any(list, 0, cur, "c@example.com", &got, &err), -1);
	xfree(&old);
	xfree(&cur);
}

static void
test_from_address(void **state)
{
	struct tk_err err;
	char *tok = NULL;

	assert_int_equal(token_from_address("support+aaaaabasvioxewxspgyyrgvv@example.com", 0, &tok, &err), 0);
	assert_string_equal(tok, "aaaaabasvioxewxspgyyrgvv");
	xfree(&tok);
	assert_int_equal(token_from_address("<SUPPORT+AAAAABASVIOXEWXSPGYYRGVV@EXAMPLE.COM>", '+', &tok, &err), 0);
	assert_string_equal(tok, "aaaaabasvioxewxspgyyrgvv");
	xfree(&tok);
	assert_int_equal(token_from_address("support-aaaaabasvioxewxspgyyrgvv@example.com", '-', &tok, &err), 0);
	assert_string_equal(tok, "aaaaabasvioxewxspgyyrgvv");
	xfree(&tok);
	assert_int_equal(token_from_address("support@example.com", 0, &tok, &err), -1);
	assert_non_null(strstr(err.msg, "'+'"));
	assert_int_equal(token_from_address("support+short@example.com", 0, &tok, &err), -1);
	assert_int_equal(token_from_address("support+aaaaabasvioxewxspgyyrgv!@example.com", 0, &tok, &err), -1);
	assert_int_equal(token_from_address("nobody", 0, &tok, &err), -1);
	assert_int_equal(token_from_address("", 0, &tok, &err), -1);
	assert_int_equal(token_from_address(NULL, 0, &tok, &err), -1);
	/* The '+' must be in the local part. */
	assert_int_equal(token_from_address("support@ex+aaaaabasvioxewxspgyyrgvv.com", 0, &tok, &err), -1);
	assert_null(tok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_round_trip_and_properties),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_make_errors),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_from_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
