/*
 * test_http_guard.c: the per-address connection cap of http_guard.c: what
 * counts as one client (an IPv4 address, an IPv6 /64, an IPv4 client on a
 * dual-stack socket as its IPv4 address) and the counting itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/intake/http_guard.c"

static struct guard_addr
key_of(int family, const char *text)
{
	struct sockaddr_storage ss = { 0 };
	struct guard_addr k;
	char shown[INET6_ADDRSTRLEN];

	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		assert_int_equal(inet_pton(AF_INET, text, &((struct sockaddr_in *)&ss)->sin_addr), 1);
	else
		assert_int_equal(inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
	assert_true(addr_key((struct sockaddr *)&ss, &k, shown, sizeof(shown)));
	assert_string_equal(shown, text);
	return k;
}

static bool
same(struct guard_addr a, struct guard_addr b)
{
	return addr_cmp(&a, &b) == 0;
}

static void
test_keys(void **state)
{
	struct guard_addr k;
	char shown[INET6_ADDRSTRLEN];

	(void)state;
	assert_true(same(key_of(AF_INET, "192.0.2.1"), key_of(AF_INET, "192.0.2.1")));
	assert_false(same(key_of(AF_INET, "192.0.2.1"), key_of(AF_INET, "192.0.2.2")));
	/* one host's /64 is one client, whatever its interface identifiers */
	assert_true(same(key_of(AF_INET6, "2001:db8:1:2::1"), key_of(AF_INET6, "2001:db8:1:2:ffff::9")));
	assert_false(same(key_of(AF_INET6, "2001:db8:1:2::1"), key_of(AF_INET6, "2001:db8:1:3::1")));
	/* an IPv4 client seen on an IPv6 socket is its IPv4 address, not the shared ::ffff:0:0/96 */
	assert_true(same(key_of(AF_INET6, "::ffff:192.0.2.1"), key_of(AF_INET, "192.0.2.1")));
	assert_false(same(key_of(AF_INET6, "::ffff:192.0.2.1"), key_of(AF_INET6, "::ffff:192.0.2.2")));
	assert_false(addr_key(NULL, &k, shown, sizeof(shown)));
	assert_string_equal(shown, "?");
}

static void
test_counting(void **state)
{
	struct http_guard g = { .per_address = 2 };
	struct guard_conn c[4] = { 0 };
	struct guard_addr a = key_of(AF_INET, "192.0.2.1"), b = key_of(AF_INET, "192.0.2.2");

	(void)state;
	assert_true(addr_take(&g, &c[0], &a));
	assert_true(addr_take(&g, &c[1], &a));
	assert_false(addr_take(&g, &c[2], &a)); /* the third from one address */
	assert_null(c[2].addr);
	assert_true(addr_take(&g, &c[3], &b)); /* another address is not affected */
	addr_drop(&g, &c[0]);
	assert_true(addr_take(&g, &c[2], &a)); /* a slot freed */
	addr_drop(&g, &c[1]);
	addr_drop(&g, &c[2]);
	addr_drop(&g, &c[3]);
	addr_drop(&g, &c[3]); /* not counted any more: nothing happens */
	assert_null(g.addrs);  /* every node freed with its last connection */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_counting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
