/*
 * test_hook.c: webhook payload validation and extraction (table-driven from
 * tests/data/hooks/validate.tsv and the sample payloads), HMAC and bearer
 * authentication, and hostile input (every truncation and byte flips of the
 * samples must be refused or accepted, never crash).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "hook.h"
#include "http_config.h"
#include "incident.h"
#include "mime_int.h"

static char *firing[] = { "firing", "alerting", NULL };
static char *resolved[] = { "resolved", "ok", NULL };

static struct http_source
generic_source(void)
{
	struct http_source s = { .name = (char *)"gen", .kind = HOOK_GENERIC };

	s.map.dedup_key = (char *)"/id";
	s.map.summary = (char *)"[{/host}] {/title}";
	s.map.status = (char *)"/state";
	s.map.severity = (char *)"/sev";
	s.map.firing = firing;
	s.map.resolved = resolved;
	return s;
}

static json_t *
load_json(const char *name)
{
	char path[512];
	json_error_t jerr;
	json_t *j;

	snprintf(path, sizeof(path), "%s/payloads/%s", TESTDATADIR, name);
	j = json_load_file(path, 0, &jerr);
	if (j == NULL)
		fail_msg("%s: %s", path, jerr.text);
	return j;
}

static void
test_validate_table(void **state)
{
	char path[512], line[4096];
	struct http_source gen = generic_source();
	FILE *fp;
	int n = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/hooks/validate.tsv", TESTDATADIR);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		char *ep = line, *want, *body, why[HOOK_WHY_MAX] = "";
		const struct hook_ops *ops;
		struct hook_info info = { { 0 } };
		json_t *doc;
		int rc;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		want = strchr(ep, '\t');
		assert_non_null(want);
		*want++ = '\0';
		body = strchr(want, '\t');
		assert_non_null(body);
		*body++ = '\0';
		ops = hook_ops_find(ep);
		assert_non_null(ops);
		doc = json_loads(body, JSON_DECODE_ANY, NULL);
		assert_non_null(doc);
		rc = ops->validate(doc, &gen, &info, why, sizeof(why));
		if (strcmp(want, "OK") == 0) {
			if (rc != 0)
				fail_msg("%s %s: refused: %s", ep, body, why);
		} else {
			if (rc == 0)
				fail_msg("%s %s: accepted, expected an error on %s", ep, body, want);
			if (strncmp(why, want, strlen(want)) != 0 || why[strlen(want)] != ':')
				fail_msg("%s %s: error \"%s\" does not name %s", ep, body, why, want);
		}
		json_decref(doc);
		n++;
	}
	fclose(fp);
	assert_true(n >= 40);
}

static void
test_alertmanager_samples(void **state)
{
	struct http_source src = { .name = (char *)"am" };
	json_t *doc = load_json("alertmanager-v4-firing.json");
	struct hook_alert *a = NULL;
	struct tk_err err = { 0 };
	size_t n = 0;

	(void)state;
	assert_int_equal(hook_alertmanager_ops.alerts(doc, NULL, &src, &a, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(a[0].key, "f404ecabc8dd5cd7");
	assert_string_equal(a[1].key, "f8f08d4e32c61a9d");
	assert_int_equal(a[0].action, HOOK_TRIGGER);
	assert_string_equal(a[0].summary, "Instance localhost:8081 down");
	assert_string_equal(a[0].severity, "critical");
	assert_string_equal(a[0].group, "{}:{alertname=\"InstanceDown\"}");
	assert_non_null(strstr(a[1].description, "localhost:8082"));
	hook_alerts_free(&a, n);
	json_decref(doc);

	doc = load_json("alertmanager-v4-resolved.json");
	assert_int_equal(hook_alertmanager_ops.alerts(doc, NULL, &src, &a, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(a[0].action, HOOK_RESOLVE);
	assert_int_equal(a[1].action, HOOK_RESOLVE);
	hook_alerts_free(&a, n);
	json_decref(doc);
}

static void
test_grafana_url_join(void **state)
{
	struct http_source src = { .name = (char *)"g" };
	json_t *doc = load_json("grafana-v12-test-alert.json");
	struct hook_alert *a = NULL;
	struct tk_err err = { 0 };
	size_t n = 0;

	(void)state;
	assert_int_equal(hook_grafana_ops.alerts(doc, NULL, &src, &a, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(hook_str(a[0].obj, "generatorURL"), "https://grafana.example.com/?orgId=1");
	assert_string_equal(a[0].summary, "TEST");
	assert_null(a[0].severity);
	hook_alerts_free(&a, n);
	json_decref(doc);
	/* absolute URLs stay as they are */
	doc = load_json("grafana-firing.json");
	assert_int_equal(hook_grafana_ops.alerts(doc, NULL, &src, &a, &n, &err), 0);
	assert_string_equal(hook_str(a[0].obj, "generatorURL"),
	                    "https://play.grafana.org/alerting/1afz29v7z/edit");
	hook_alerts_free(&a, n);
	json_decref(doc);
}

static void
test_pagerduty(void **state)
{
	json_t *doc = load_json("pagerduty-v2-trigger.json");
	struct hook_info info = { { 0 } }, info2 = { { 0 } };
	char why[HOOK_WHY_MAX];
	struct hook_alert *a = NULL;
	struct tk_err err = { 0 };
	json_t *meta;
	size_t n = 0;

	(void)state;
	assert_int_equal(hook_pagerduty_ops.validate(doc, NULL, &info, why, sizeof(why)), 0);
	assert_string_equal(info.dedup_key, "srv01/mysql");
	assert_string_equal(info.routing_key, "e93facc04764012d7bfb002500d5d1a6");
	meta = json_pack("{s:s}", "dedup_key", info.dedup_key);
	assert_int_equal(hook_pagerduty_ops.alerts(doc, meta, NULL, &a, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(a[0].key, "srv01/mysql");
	assert_string_equal(a[0].severity, "critical");
	assert_non_null(strstr(a[0].description, "component: mysql"));
	assert_non_null(strstr(a[0].description, "\"free space\": \"1%\""));
	hook_alerts_free(&a, n);
	json_decref(meta);
	/* no dedup_key: a fresh 32-hex key each time */
	json_object_del(doc, "dedup_key");
	assert_int_equal(hook_pagerduty_ops.validate(doc, NULL, &info, why, sizeof(why)), 0);
	assert_int_equal(hook_pagerduty_ops.validate(doc, NULL, &info2, why, sizeof(why)), 0);
	assert_int_equal(strlen(info.dedup_key), 32);
	assert_int_equal(strspn(info.dedup_key, "0123456789abcdef"), 32);
	assert_string_not_equal(info.dedup_key, info2.dedup_key);
	json_decref(doc);
	/* acknowledge and resolve samples */
	doc = load_json("pagerduty-v2-acknowledge.json");
	meta = json_pack("{s:s}", "dedup_key", "dedupkeyhere");
	assert_int_equal(hook_pagerduty_ops.alerts(doc, meta, NULL, &a, &n, &err), 0);
	assert_int_equal(a[0].action, HOOK_ACKNOWLEDGE);
	assert_string_equal(a[0].summary, "dedupkeyhere");
	hook_alerts_free(&a, n);
	json_decref(doc);
	doc = load_json("pagerduty-v2-resolve.json");
	assert_int_equal(hook_pagerduty_ops.alerts(doc, meta, NULL, &a, &n, &err), 0);
	assert_int_equal(a[0].action, HOOK_RESOLVE);
	hook_alerts_free(&a, n);
	json_decref(doc);
	json_decref(meta);
}

/* A change event: one "alert" of action HOOK_CHANGE, its summary, no identity. */
static void
test_pagerduty_change(void **state)
{
	json_t *doc = load_json("pagerduty-v2-change.json"), *meta = json_object();
	struct hook_info info = { { 0 } };
	char why[HOOK_WHY_MAX];
	struct hook_alert *a = NULL;
	struct tk_err err = { 0 };
	size_t n = 0;

	(void)state;
	assert_int_equal(hook_pagerduty_change_ops.validate(doc, NULL, &info, why, sizeof(why)), 0);
	assert_string_equal(info.routing_key, "e93facc04764012d7bfb002500d5d1a6");
	assert_ptr_equal(hook_ops_find("pagerduty_change"), &hook_pagerduty_change_ops);
	assert_ptr_equal(hook_ops_kind(HOOK_PAGERDUTY), &hook_pagerduty_ops);
	assert_int_equal(hook_pagerduty_change_ops.alerts(doc, meta, NULL, &a, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].action, HOOK_CHANGE);
	assert_string_equal(a[0].summary,
	                    "Build Success: Increase snapshot create timeout to 30 seconds");
	assert_ptr_equal(a[0].obj, doc);
	hook_alerts_free(&a, n);
	json_decref(meta);
	json_decref(doc);
}

static void
test_generic_mapping(void **state)
{
	struct http_source src = generic_source();
	json_t *doc = json_loads("{\"id\":42,\"host\":\"db1\",\"title\":\"disk full\","
	                         "\"state\":\"ok\",\"sev\":\"critical\"}", 0, NULL);
	struct hook_alert *a = NULL;
	struct tk_err err = { 0 };
	size_t n = 0;

	(void)state;
	assert_int_equal(hook_generic_ops.alerts(doc, NULL, &src, &a, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(a[0].key, "42");
	assert_string_equal(a[0].summary, "[db1] disk full");
	assert_int_equal(a[0].action, HOOK_RESOLVE);
	assert_string_equal(hook_str(a[0].obj, "severity"), "critical");
	assert_string_equal(hook_str(a[0].obj, "status"), "resolved");
	hook_alerts_free(&a, n);
	json_decref(doc);
	/* an array of alerts at a pointer; ~1 escapes '/' */
	src.map.alerts = (char *)"/events~1list";
	src.map.summary = NULL;
	doc = json_loads("{\"events/list\":[{\"id\":\"a\"},{\"id\":\"b\",\"state\":\"alerting\"}]}", 0,
	                 NULL);
	assert_int_equal(hook_generic_ops.alerts(doc, NULL, &src, &a, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(a[1].key, "b");
	assert_string_equal(a[0].summary, "gen alert a");
	assert_int_equal(a[1].action, HOOK_TRIGGER);
	hook_alerts_free(&a, n);
	json_decref(doc);
}

/*
 * A reason quoting the client's text is valid UTF-8 even where the quote is
 * clipped mid-character (found by tests/fuzz/fuzz_hook_generic: the 400
 * answer's JSON could not be made, and its body was empty).
 */
static void
test_why_utf8(void **state)
{
	struct http_source src = generic_source();
	struct hook_info info = { { 0 } };
	char why[HOOK_WHY_MAX], small[12], *body;
	json_t *doc;

	(void)state;
	/* the status is quoted as %.40s: 'a' then two-byte characters, cut after 40 bytes */
	body = malloc(200);
	strcpy(body, "{\"id\":\"x\",\"state\":\"a");
	for (int i = 0; i < 40; i++)
		strcat(body, "\xc3\xa9");
	strcat(body, "\"}");
	doc = json_loads(body, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(hook_generic_ops.validate(doc, &src, &info, why, sizeof(why)), -1);
	assert_true(mime_utf8_valid(why, strlen(why)));
	assert_non_null(strstr(why, "status \"a\xc3\xa9"));
	json_decref(doc);
	free(body);
	/* Alertmanager quotes a wrong version as %.20s */
	doc = json_loads("{\"version\":\"4\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	                 "\xc3\xa9\xc3\xa9\xc3\xa9\",\"alerts\":[{\"status\":\"firing\",\"fingerprint\":\"f\"}]}",
	                 0, NULL);
	assert_non_null(doc);
	assert_int_equal(hook_alertmanager_ops.validate(doc, NULL, &info, why, sizeof(why)), -1);
	assert_true(mime_utf8_valid(why, strlen(why)));
	json_decref(doc);
	/* the buffer's own end cuts a character: it is left out */
	assert_int_equal(hook_why(small, sizeof(small), "x: %s", "abc\xc3\xa9\xc3\xa9\xc3\xa9"), -1);
	assert_true(mime_utf8_valid(small, strlen(small)));
	assert_true(strlen(small) < sizeof(small));
	assert_string_equal(small, "x: abc\xc3\xa9\xc3\xa9");
	assert_int_equal(hook_why(small, sizeof(small), "%s", "bad \xff byte"), -1);
	assert_string_equal(small, "bad \xef\xbf\xbd byt");
}

static void
test_hmac_vector(void **state)
{
	char out[65];

	(void)state;
	/* RFC 4231 test case 2 */
	assert_int_equal(hook_auth_sign("Jefe", NULL, "what do ya want for nothing?", 28, out), 0);
	assert_string_equal(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void
test_auth(void **state)
{
	struct http_source bearer = { .auth = HTTP_AUTH_BEARER, .secret = (char *)"tok" };
	struct http_source hmac = { .auth = HTTP_AUTH_HMAC, .secret = (char *)"key",
	                            .ts_header = (char *)"X-Timestamp", .tolerance_ms = 300000 };
	struct http_source none = { .auth = HTTP_AUTH_NONE };
	const char *body = "{\"a\":1}";
	char sig[80], good[65];
	time_t now = 1800000000;

	(void)state;
	assert_int_equal(hook_auth_check(&none, NULL, NULL, NULL, body, 7, now), HOOK_AUTH_OK);
	assert_int_equal(hook_auth_check(&bearer, "Bearer tok", NULL, NULL, body, 7, now), HOOK_AUTH_OK);
	assert_int_equal(hook_auth_check(&bearer, "bearer  tok", NULL, NULL, body, 7, now), HOOK_AUTH_OK);
	assert_int_equal(hook_auth_check(&bearer, NULL, NULL, NULL, body, 7, now), HOOK_AUTH_MISSING);
	assert_int_equal(hook_auth_check(&bearer, "Basic dG9r", NULL, NULL, body, 7, now),
	                 HOOK_AUTH_MISSING);
	assert_int_equal(hook_auth_check(&bearer, "Bearer to", NULL, NULL, body, 7, now), HOOK_AUTH_BAD);
	assert_int_equal(hook_auth_check(&bearer, "Bearer tok2", NULL, NULL, body, 7, now),
	                 HOOK_AUTH_BAD);
	assert_int_equal(hook_auth_check(&bearer, "Bearer ", NULL, NULL, body, 7, now), HOOK_AUTH_BAD);

	assert_int_equal(hook_auth_sign("key", "1800000000", body, 7, good), 0);
	snprintf(sig, sizeof(sig), "sha256=%s", good);
	assert_int_equal(hook_auth_check(&hmac, NULL, sig, "1800000000", body, 7, now), HOOK_AUTH_OK);
	assert_int_equal(hook_auth_check(&hmac, NULL, good, "1800000000", body, 7, now + 299),
	                 HOOK_AUTH_OK);
	assert_int_equal(hook_auth_check(&hmac, NULL, good, "1800000000", body, 7, now + 301),
	                 HOOK_AUTH_STALE);
	assert_int_equal(hook_auth_check(&hmac, NULL, good, "1800000000", body, 7, now - 301),
	                 HOOK_AUTH_STALE);
	assert_int_equal(hook_auth_check(&hmac, NULL, good, NULL, body, 7, now), HOOK_AUTH_STALE);
	assert_int_equal(hook_auth_check(&hmac, NULL, good, "18e8", body, 7, now), HOOK_AUTH_STALE);
	assert_int_equal(hook_auth_check(&hmac, NULL, good, "1800000001", body, 7, now), HOOK_AUTH_BAD);
	assert_int_equal(hook_auth_check(&hmac, NULL, good, "1800000000", body, 6, now), HOOK_AUTH_BAD);
	assert_int_equal(hook_auth_check(&hmac, NULL, NULL, "1800000000", body, 7, now),
	                 HOOK_AUTH_MISSING);
	good[10] = 'z'; /* not hex */
	assert_int_equal(hook_auth_check(&hmac, NULL, good, "1800000000", body, 7, now), HOOK_AUTH_BAD);
	assert_int_equal(hook_auth_check(&hmac, NULL, "abcd", "1800000000", body, 7, now),
	                 HOOK_AUTH_BAD);
	/* without a timestamp header the body alone is signed */
	hmac.ts_header = NULL;
	assert_int_equal(hook_auth_sign("key", NULL, body, 7, good), 0);
	assert_int_equal(hook_auth_check(&hmac, NULL, good, NULL, body, 7, now), HOOK_AUTH_OK);
}

/* Every prefix and many byte flips of each sample: validation answers, never crashes. */
static void
test_hostile(void **state)
{
	static const char *const samples[] = {
		"alertmanager-v4-firing.json", "grafana-firing.json", "pagerduty-v2-trigger.json",
		"oncall-formatted-webhook-zabbix.json", "pagerduty-v2-change.json",
	};
	static const char *const eps[] = {
		"alertmanager", "grafana", "pagerduty", "generic", "pagerduty_change",
	};
	struct http_source gen = generic_source();
	unsigned seed = 12345;

	(void)state;
	gen.map.dedup_key = (char *)"/alert_uid";
	for (size_t s = 0; s < sizeof(eps) / sizeof(eps[0]); s++) {
		char path[512];
		struct buf b;
		const struct hook_ops *ops = hook_ops_find(eps[s]);

		snprintf(path, sizeof(path), "%s/payloads/%s", TESTDATADIR, samples[s]);
		buf_init(&b, 0);
		assert_int_equal(buf_read_file(&b, path), 0);
		for (size_t cut = 0; cut <= b.len; cut++) {
			char *copy = malloc(b.len + 1);
			json_t *doc;

			memcpy(copy, b.data, b.len);
			if (cut < b.len && cut % 3 == 0) { /* flip a byte instead of cutting */
				seed = seed * 1103515245u + 12345u;
				copy[cut] = (char)(seed >> 16);
				doc = json_loadb(copy, b.len, JSON_DECODE_ANY, NULL);
			} else {
				doc = json_loadb(copy, cut, JSON_DECODE_ANY, NULL);
			}
			if (doc != NULL) {
				struct hook_info info = { { 0 } };
				char why[HOOK_WHY_MAX];
				struct hook_alert *a = NULL;
				struct tk_err err = { 0 };
				json_t *meta = json_pack("{s:s}", "dedup_key", "k");
				size_t n = 0;

				if (ops->validate(doc, &gen, &info, why, sizeof(why)) == 0) {
					assert_int_equal(ops->alerts(doc, meta, &gen, &a, &n, &err), 0);
					for (size_t i = 0; i < n; i++)
						assert_non_null(a[i].key);
					hook_alerts_free(&a, n);
				}
				json_decref(meta);
				json_decref(doc);
			}
			free(copy);
		}
		buf_fini(&b);
	}
}

static void
test_severity_priority(void **state)
{
	(void)state;
	assert_string_equal(incident_severity_priority("critical"), "critical");
	assert_string_equal(incident_severity_priority("ERROR"), "high");
	assert_string_equal(incident_severity_priority("warning"), "medium");
	assert_string_equal(incident_severity_priority("info"), "low");
	assert_string_equal(incident_severity_priority("bogus"), "medium");
	assert_string_equal(incident_severity_priority(NULL), "medium");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_table),
		cmocka_unit_test(test_alertmanager_samples),
		cmocka_unit_test(test_grafana_url_join),
		cmocka_unit_test(test_pagerduty),
		cmocka_unit_test(test_pagerduty_change),
		cmocka_unit_test(test_generic_mapping),
		cmocka_unit_test(test_why_utf8),
		cmocka_unit_test(test_hmac_vector),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_severity_priority),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
