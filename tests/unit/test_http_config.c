/*
 * test_http_config.c: the `http:` section of ticketd.conf (every error
 * with its position, secrets from files and the environment, defaults) and
 * the Prometheus rendering of the metrics context.
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

#include "http_config.h"
#include "metrics.h"
#include "ynode.h"

/* Load text as the http section; the joined errors go to errs_r (caller frees). */
static struct http_config *
load(const char *text, char **errs_r)
{
	struct tk_errlist errs;
	struct ynode *root = NULL;
	struct http_config *hc = NULL;
	size_t len = 0;
	FILE *fp;

	tk_errlist_init(&errs);
	assert_int_equal(ynode_load_string("t.yaml", text, strlen(text), &root, &errs), 0);
	http_config_load(root, &hc, &errs);
	fp = open_memstream(errs_r, &len);
	tk_errlist_print(&errs, fp);
	fclose(fp);
	tk_errlist_fini(&errs);
	ynode_free(&root);
	return hc;
}

static void
test_defaults(void **state)
{
	char *errs = NULL;
	struct http_config *hc = load("listen: 127.0.0.1:8080\n"
	                              "sources:\n  - { name: am, type: alertmanager }\n", &errs);

	(void)state;
	assert_string_equal(errs, "");
	assert_int_equal(hc->n_listen, 1);
	assert_int_equal(hc->body_limit, 512 * 1024);
	assert_int_equal(hc->committers, 2);
	assert_int_equal(hc->n_sources, 1);
	assert_int_equal(hc->sources[0].auth, HTTP_AUTH_NONE);
	assert_string_equal(hc->sources[0].queue, "operations");
	assert_int_equal(hc->flap_count, 4);
	assert_int_equal(hc->reopen_window_ms, 3600000);
	assert_ptr_equal(http_config_source(hc, "am"), &hc->sources[0]);
	assert_null(http_config_source(hc, "nope"));
	http_config_free(&hc);
	assert_null(hc);
	free(errs);
}

static void
test_errors_with_positions(void **state)
{
	char *errs = NULL;
	struct http_config *hc = load(
		"listen: nowhere\n"
		"body_limt: 1k\n"
		"sources:\n"
		"  - name: pd\n"
		"    type: pagerduty\n"
		"  - name: pd\n"
		"    type: pagerdooty\n"
		"  - name: g\n"
		"    type: generic\n"
		"  - name: b\n"
		"    type: alertmanager\n"
		"    auth: { type: bearer, secret_env: TEST_HTTP_CONFIG_UNSET }\n"
		"    rate_limit: { requests: 5, per: 1500ms }\n"
		"incidents: { notify_channel: pigeon }\n", &errs);

	(void)state;
	assert_non_null(strstr(errs, "t.yaml:1:9: listen address \"nowhere\" is not ADDRESS:PORT"));
	assert_non_null(strstr(errs, "t.yaml:2:1: unknown field \"body_limt\""));
	assert_non_null(strstr(errs, "t.yaml:4:5: pagerduty source \"pd\" needs a routing_key"));
	assert_non_null(strstr(errs, "t.yaml:7:11: source type \"pagerdooty\" is not"));
	assert_non_null(strstr(errs, "source \"pd\" is defined twice"));
	assert_non_null(strstr(errs, "generic source \"g\" needs a mapping"));
	assert_null(strstr(errs, "generic source \"pd\"")); /* no follow-up errors of a bad type */
	assert_non_null(strstr(errs, "t.yaml:12:39: source \"b\": environment variable "
	                       "TEST_HTTP_CONFIG_UNSET is not set"));
	assert_non_null(strstr(errs, "rate_limit.per must be whole seconds"));
	assert_non_null(strstr(errs, "notify_channel must be smtp or slack"));
	http_config_free(&hc);
	free(errs);
}

/* Port 0 means "any free port" (the daemon logs which); anything not a port is refused. */
static void
test_listen_ports(void **state)
{
	char *errs = NULL;
	struct http_config *hc = load("listen: ['127.0.0.1:0', '[::1]:65535']\n", &errs);

	(void)state;
	assert_string_equal(errs, "");
	assert_int_equal(hc->n_listen, 2);
	http_config_free(&hc);
	free(errs);
	hc = load("listen: ['a:', 'b:x1', 'c:65536', 'd:-1']\n", &errs);
	for (const char *const *a = (const char *const[]){ "a:", "b:x1", "c:65536", "d:-1", NULL };
	     *a; a++) {
		char want[64];

		snprintf(want, sizeof(want), "listen address \"%s\" is not ADDRESS:PORT", *a);
		assert_non_null(strstr(errs, want));
	}
	http_config_free(&hc);
	free(errs);
}

static void
test_secrets_and_mapping(void **state)
{
	char path[] = "/tmp/test_http_config.XXXXXX", *errs = NULL, yaml[1024];
	int fd = mkstemp(path);
	struct http_config *hc;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret\r\n", 8), 8);
	close(fd);
	setenv("TEST_HTTP_TOKEN", "from-env", 1);
	snprintf(yaml, sizeof(yaml),
	         "listen: ['[::1]:8080', '0.0.0.0:80']\n"
	         "sources:\n"
	         "  - name: h\n    type: generic\n"
	         "    auth: { type: hmac, secret_file: %s, header: X-Sig, timestamp_header: '' }\n"
	         "    mapping: { dedup_key: /id, resolved: OK, acknowledged: [ack, ACK] }\n"
	         "  - name: t\n    type: grafana\n    group_by_group: true\n"
	         "    auth: { type: bearer, secret_env: TEST_HTTP_TOKEN }\n", path);
	hc = load(yaml, &errs);
	unlink(path);
	assert_string_equal(errs, "");
	assert_int_equal(hc->n_listen, 2);
	assert_string_equal(hc->sources[0].secret, "s3cret");
	assert_string_equal(hc->sources[0].sig_header, "X-Sig");
	assert_string_equal(hc->sources[0].ts_header, "");
	assert_string_equal(hc->sources[0].map.firing[0], "firing"); /* default kept */
	assert_string_equal(hc->sources[0].map.resolved[0], "OK");
	assert_null(hc->sources[0].map.resolved[1]);
	assert_string_equal(hc->sources[0].map.acknowledged[1], "ACK");
	assert_string_equal(hc->sources[1].secret, "from-env");
	assert_true(hc->sources[1].group_by_group);
	http_config_free(&hc);
	free(errs);
}

static void
test_metrics_render(void **state)
{
	struct http_config hc = { 0 };
	struct http_source src[2] = { { .name = (char *)"am" }, { .name = (char *)"we\"ird" } };
	struct metrics m;
	struct buf out;

	(void)state;
	hc.sources = src;
	hc.n_sources = 2;
	metrics_init(&m, &hc);
	metrics_intake(&m, "am", MO_ACCEPTED);
	metrics_intake(&m, "am", MO_ACCEPTED);
	metrics_intake(&m, "nobody", MO_FORBIDDEN);
	metrics_intake(&m, NULL, MO_NOT_FOUND);
	metrics_processing(&m, 0.0004, 0);
	metrics_processing(&m, 0.003, 0);
	metrics_processing(&m, 7.0, 1);
	metrics_commit(&m, 2);
	buf_init(&out, 0);
	metrics_render(&m, NULL, &out);
	assert_non_null(strstr(out.data, "ticketd_http_requests_total{source=\"am\",outcome=\"accepted\"} 2\n"));
	assert_non_null(strstr(out.data, "ticketd_http_requests_total{source=\"unknown\",outcome=\"forbidden\"} 1\n"));
	assert_non_null(strstr(out.data, "ticketd_http_requests_total{source=\"unknown\",outcome=\"not_found\"} 1\n"));
	assert_non_null(strstr(out.data, "{source=\"we\\\"ird\",outcome=\"accepted\"} 0\n"));
	assert_non_null(strstr(out.data, "ticketd_processing_seconds_bucket{le=\"0.0005\"} 1\n"));
	assert_non_null(strstr(out.data, "ticketd_processing_seconds_bucket{le=\"0.005\"} 2\n"));
	assert_non_null(strstr(out.data, "ticketd_processing_seconds_bucket{le=\"5\"} 2\n"));
	assert_non_null(strstr(out.data, "ticketd_processing_seconds_bucket{le=\"+Inf\"} 3\n"));
	assert_non_null(strstr(out.data, "ticketd_processing_seconds_count 3\n"));
	assert_non_null(strstr(out.data, "ticketd_processing_failures_total 1\n"));
	assert_non_null(strstr(out.data, "ticketd_http_committed_total 2\n"));
	assert_non_null(strstr(out.data, "ticketd_metrics_db_up 0\n"));
	buf_fini(&out);
	metrics_fini(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors_with_positions),
		cmocka_unit_test(test_listen_ports),
		cmocka_unit_test(test_secrets_and_mapping),
		cmocka_unit_test(test_metrics_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
