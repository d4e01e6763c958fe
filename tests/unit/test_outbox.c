/*
 * test_outbox.c: the outbox's backoff arithmetic, its config section and
 * the smtp:/slack: sections, the senders' status classification, and
 * reading secrets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "notify.h"
#include "outbox.h"
#include "ynode.h"

static void
test_backoff(void **state)
{
	struct outbox_config c;

	outbox_config_defaults(&c);
	c.backoff_ms = 1000;
	c.backoff_max_ms = 60000;
	assert_int_equal(outbox_backoff_ms(&c, 1, 0), 1000);
	assert_int_equal(outbox_backoff_ms(&c, 2, 0), 2000);
	assert_int_equal(outbox_backoff_ms(&c, 3, 0), 4000);
	assert_int_equal(outbox_backoff_ms(&c, 6, 0), 32000);
	assert_int_equal(outbox_backoff_ms(&c, 7, 0), 60000);     /* capped */
	assert_int_equal(outbox_backoff_ms(&c, 1000000, 0), 60000);
	assert_int_equal(outbox_backoff_ms(&c, 0, 0), 1000);
	assert_int_equal(outbox_backoff_ms(&c, -5, 0), 1000);
	/* A server's Retry-After wins when longer, even over the cap. */
	assert_int_equal(outbox_backoff_ms(&c, 1, 5000), 5000);
	assert_int_equal(outbox_backoff_ms(&c, 3, 3000), 4000);
	assert_int_equal(outbox_backoff_ms(&c, 1, 120000), 120000);
	c.backoff_ms = INT64_MAX / 4;
	c.backoff_max_ms = INT64_MAX;
	assert_true(outbox_backoff_ms(&c, 10, 0) > 0);            /* no overflow */
}

static struct ynode *
yaml(const char *text, struct tk_errlist *errs)
{
	struct ynode *root = NULL;

	tk_errlist_init(errs);
	assert_int_equal(ynode_load_string("t.yaml", text, strlen(text), &root, errs), 0);
	return root;
}

static bool
has_error(const struct tk_errlist *errs, const char *what)
{
	for (size_t i = 0; i < errs->n; i++)
		if (strstr(errs->items[i], what))
			return true;
	return false;
}

static void
test_outbox_config(void **state)
{
	struct tk_errlist errs;
	struct ynode *root = yaml("max_attempts: 4\nbackoff: 2s\nbackoff_max: 1m\nlease: 30s\n", &errs);
	struct outbox_config c;

	outbox_config_defaults(&c);
	assert_int_equal(c.max_attempts, 8);
	outbox_config_load(root, &c, &errs);
	assert_int_equal(errs.n, 0);
	assert_int_equal(c.max_attempts, 4);
	assert_int_equal(c.backoff_ms, 2000);
	assert_int_equal(c.backoff_max_ms, 60000);
	assert_int_equal(c.lease_ms, 30000);
	ynode_free(&root);
	tk_errlist_fini(&errs);

	root = yaml("backof: 2s\nbackoff: 10m\nbackoff_max: 1m\nlease: 10ms\nmax_attempts: 0\n", &errs);
	outbox_config_defaults(&c);
	outbox_config_load(root, &c, &errs);
	assert_true(has_error(&errs, "t.yaml:1:1: unknown field \"backof\""));
	assert_true(has_error(&errs, "backoff_max must not be below backoff"));
	assert_true(has_error(&errs, "t.yaml:4:8: outbox: lease must be at least 1s"));
	assert_true(has_error(&errs, "t.yaml:5:"));
	ynode_free(&root);
	tk_errlist_fini(&errs);
}

static void
test_lease_check(void **state)
{
	struct outbox_config c;
	struct tk_errlist errs;

	outbox_config_defaults(&c);
	tk_errlist_init(&errs);
	outbox_config_check(&c, 75000, "ticketd.yaml", &errs);
	assert_int_equal(errs.n, 0);
	c.lease_ms = 100000;
	outbox_config_check(&c, 75000, "ticketd.yaml", &errs);
	assert_int_equal(errs.n, 1);
	assert_true(has_error(&errs, "ticketd.yaml: outbox.lease (100000 ms) must be at least twice"));
	tk_errlist_fini(&errs);
}

static void
test_smtp_slack_config(void **state)
{
	struct tk_errlist errs;
	struct ynode *root = yaml("url: smtps://mail.example.com:465\nfrom: support@example.com\n"
	                          "user: ticketd\npassword_env: SMTP_PW\ntls: starttls\ntimeout: 30s\n",
	                          &errs);
	struct smtp_config *sc = NULL;
	struct slack_config *kc = NULL;

	smtp_config_load(root, &sc, &errs);
	assert_int_equal(errs.n, 0);
	assert_string_equal(sc->url, "smtps://mail.example.com:465");
	assert_int_equal(sc->tls, SMTP_TLS_STARTTLS);
	assert_int_equal(sc->timeout_ms, 30000);
	smtp_config_free(&sc);
	assert_null(sc);
	ynode_free(&root);
	tk_errlist_fini(&errs);

	root = yaml("url: http://mail.example.com\nfrom: nobody\nuser: u\ntls: maybe\n", &errs);
	smtp_config_load(root, &sc, &errs);
	assert_true(has_error(&errs, "t.yaml:1:6: smtp: url must be smtp://"));
	assert_true(has_error(&errs, "t.yaml:2:7: smtp: from must be an address"));
	assert_true(has_error(&errs, "user needs password_file or password_env"));
	assert_true(has_error(&errs, "t.yaml:4:6: smtp: tls must be none, try or starttls"));
	smtp_config_free(&sc);
	ynode_free(&root);
	tk_errlist_fini(&errs);

	root = yaml("webhook_url: https://hooks.example/secret\n", &errs);
	slack_config_load(root, &kc, &errs);
	assert_true(has_error(&errs, "unknown field \"webhook_url\""));
	assert_true(has_error(&errs, "needs webhook_url_file or webhook_url_env, or webhooks:"));
	slack_config_free(&kc);
	ynode_free(&root);
	tk_errlist_fini(&errs);
}

static void
test_status_classes(void **state)
{
	/* http: Slack, at most once: sent; retried only when it certainly did not post (429, or
	 * nothing left: sent=false); everything else dead, 5xx and no answer included. */
	static const struct { long code; bool sent; enum notify_status http, smtp; } cases[] = {
		{ 200, true, NOTIFY_SENT, NOTIFY_SENT }, { 204, true, NOTIFY_SENT, NOTIFY_SENT },
		{ 250, true, NOTIFY_SENT, NOTIFY_SENT }, { 0, false, NOTIFY_RETRY, NOTIFY_RETRY },
		{ 0, true, NOTIFY_DEAD, NOTIFY_RETRY },
		{ 400, true, NOTIFY_DEAD, NOTIFY_RETRY }, { 403, true, NOTIFY_DEAD, NOTIFY_RETRY },
		{ 404, true, NOTIFY_DEAD, NOTIFY_RETRY }, { 410, true, NOTIFY_DEAD, NOTIFY_RETRY },
		{ 429, true, NOTIFY_RETRY, NOTIFY_RETRY }, { 421, true, NOTIFY_DEAD, NOTIFY_RETRY },
		{ 451, true, NOTIFY_DEAD, NOTIFY_RETRY }, { 500, true, NOTIFY_DEAD, NOTIFY_DEAD },
		{ 503, true, NOTIFY_DEAD, NOTIFY_DEAD }, { 550, true, NOTIFY_DEAD, NOTIFY_DEAD },
		{ 554, true, NOTIFY_DEAD, NOTIFY_DEAD }, { 354, true, NOTIFY_DEAD, NOTIFY_RETRY },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(notify_http_status(cases[i].code, cases[i].sent), cases[i].http);
		assert_int_equal(notify_smtp_status(cases[i].code), cases[i].smtp);
	}
}

static void
test_read_secret(void **state)
{
	char path[] = "/tmp/test_outbox_secretXXXXXX";
	int fd = mkstemp(path);
	struct tk_err err = { 0 };
	char *s;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret pass \t\r\nsecond line\n", 27), 27);
	close(fd);
	s = notify_read_secret(path, NULL, &err);
	assert_string_equal(s, "s3cret pass");
	free(s);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "\n", 1), 1);
	close(fd);
	assert_null(notify_read_secret(path, NULL, &err));
	assert_non_null(strstr(err.msg, "is empty"));
	unlink(path);
	assert_null(notify_read_secret(path, NULL, &err));
	assert_non_null(strstr(err.msg, path));
	setenv("TEST_OUTBOX_PW", "from-env", 1);
	s = notify_read_secret(NULL, "TEST_OUTBOX_PW", &err);
	assert_string_equal(s, "from-env");
	free(s);
	unsetenv("TEST_OUTBOX_PW");
	assert_null(notify_read_secret(NULL, "TEST_OUTBOX_PW", &err));
	assert_non_null(strstr(err.msg, "TEST_OUTBOX_PW is not set"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_outbox_config),
		cmocka_unit_test(test_lease_check),
		cmocka_unit_test(test_smtp_slack_config),
		cmocka_unit_test(test_status_classes),
		cmocka_unit_test(test_read_secret),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
