/*
 * test_incident_lock.c: the ordering rule of the per-identity alert locks
 * (incident_lock.h): what may be waited for, what only tried, and which
 * items are deferred to keep an identity's alerts in order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "incident_lock.h"

/* A first item waits for all of its locks, in ascending order, without repeats. */
static void
test_first_item_waits(void **state)
{
	struct incident_locks l = { 0 };
	uint32_t h[] = { 30, 10, 20, 10 };
	size_t n = 4, n_try = 99;

	(void)state;
	assert_false(incident_lock_plan(&l, h, &n, &n_try));
	assert_int_equal(n, 3);
	assert_int_equal(n_try, 0);
	assert_int_equal(h[0], 10);
	assert_int_equal(h[1], 20);
	assert_int_equal(h[2], 30);
}

/* Holding locks up to 20, a later item tries those at or below 20 and waits for the rest. */
static void
test_lower_ones_only_tried(void **state)
{
	struct incident_locks l = { 0 };
	uint32_t held[] = { 20 }, h[] = { 25, 5, 20 };
	size_t n = 3, n_try;

	(void)state;
	incident_lock_note(&l, held, 1, true);
	assert_false(incident_lock_plan(&l, h, &n, &n_try));
	assert_int_equal(n_try, 2);              /* 5 and 20 (20 is ours already: the try succeeds) */
	assert_int_equal(h[2], 25);              /* waited for */
	incident_lock_note(&l, h, n, true);
	assert_int_equal(l.max, 25);
	assert_int_equal(l.n_deferred, 0);
}

/* A failed try defers the item's identities; a later item of any of them is deferred too. */
static void
test_deferred_identity_keeps_order(void **state)
{
	struct incident_locks l = { 0 };
	uint32_t held[] = { 50 }, item[] = { 7, 9 }, later[] = { 9 }, other[] = { 8 };
	size_t n = 2, n_try;

	(void)state;
	incident_lock_note(&l, held, 1, true);
	assert_false(incident_lock_plan(&l, item, &n, &n_try));
	assert_int_equal(n_try, 2);
	incident_lock_note(&l, item, n, false);  /* the try failed */
	n = 1;
	assert_true(incident_lock_plan(&l, later, &n, &n_try));
	n = 1;
	assert_false(incident_lock_plan(&l, other, &n, &n_try));
	assert_int_equal(n_try, 1);
}

/* More deferred identities than the set holds: every later item is deferred. */
static void
test_overflow_defers_all(void **state)
{
	struct incident_locks l = { 0 };
	uint32_t h[1], last = 999999;
	size_t n = 1, n_try;

	(void)state;
	for (uint32_t i = 0; i <= INCIDENT_DEFER_MAX; i++) {
		h[0] = 1000 + i;
		incident_lock_note(&l, h, 1, false);
	}
	assert_true(l.defer_all);
	assert_true(incident_lock_plan(&l, &last, &n, &n_try));
}

/* The hash is stable (FNV-1a 32) and tells identities apart. */
static void
test_hash(void **state)
{
	(void)state;
	assert_int_equal(incident_lock_hash(""), 2166136261u);
	assert_int_equal(incident_lock_hash("a"), 0xe40c292cu);
	assert_true(incident_lock_hash("am:pool-1") != incident_lock_hash("am:pool-2"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_item_waits),
		cmocka_unit_test(test_lower_ones_only_tried),
		cmocka_unit_test(test_deferred_identity_keeps_order),
		cmocka_unit_test(test_overflow_defers_all),
		cmocka_unit_test(test_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
