/*
 * fuzz_hook.c: one webhook body through a sender's hook_ops pair, the way
 * the daemon runs it: validate in the request thread (http.c), the staged
 * meta built as req_prepare() builds it, then alerts() on the staged bytes
 * in the worker (incident.c), and the rules adapter on each alert. Built
 * once per sender: FUZZ_HOOK names it ("alertmanager", "grafana",
 * "pagerduty", "pagerduty_change", "generic"); generic bodies are tried
 * against two mappings (one alert per body, and an array of alerts).
 *
 * Property (hook.h): whatever validate accepts (answered 202), alerts()
 * decodes: it succeeds, with as many alerts as validate counted, each with
 * an identity (none for a change event), an action and a summary, all
 * valid UTF-8 for the database; the rules can read every one.
 */
/* System. */
#include <stdlib.h>
#include <string.h>
/* Libraries. */
#include <jansson.h>
/* ticketd. */
#include "fuzz.h"
#include "hook.h"
#include "http_config.h"
#include "rules.h"
#include "ynode.h"

#ifndef FUZZ_HOOK
#error "FUZZ_HOOK must name a hook_ops (Makefile.am)"
#endif

static const char sources_yaml[] =
	"listen: 127.0.0.1:0\n"
	"sources:\n"
	"  - name: am\n"
	"    type: alertmanager\n"
	"  - name: graf\n"
	"    type: grafana\n"
	"  - name: pd\n"
	"    type: pagerduty\n"
	"    routing_key: e93facc04764012d7bfb002500d5d1a6\n"
	"  - name: zabbix\n"
	"    type: generic\n"
	"    mapping:\n"
	"      dedup_key: /alert_uid\n"
	"      summary: /title\n"
	"      description: \"{/message}\\n\\nDetails: {/link_to_upstream_details}\"\n"
	"      status: /state\n"
	"      firing: [alerting, ALERTING, problem]\n"
	"      resolved: [ok, OK]\n"
	"  - name: batch\n"
	"    type: generic\n"
	"    mapping:\n"
	"      alerts: /alerts\n"
	"      dedup_key: \"{/id}-{/labels/host}\"\n"
	"      summary: \"{/title} on {/labels/host}\"\n"
	"      severity: /labels/severity\n"
	"      labels: /labels\n"
	"      status: /status\n"
	"      firing: [firing, open]\n"
	"      resolved: [resolved, closed]\n"
	"      acknowledged: [ack]\n";

static const char rules_yaml[] =
	"rules:\n"
	"  - name: crit\n"
	"    match: { kind: alert, severity: /^(critical|error)$/i }\n"
	"    set: { priority: critical }\n"
	"    continue: true\n"
	"  - name: fields\n"
	"    match:\n"
	"      any:\n"
	"        - label.alertname: [DiskFull, x]\n"
	"        - annotation.summary: /disk/\n"
	"        - status: resolved\n"
	"        - subject: /./\n"
	"        - body: /./s\n"
	"        - json./payload/custom_details/host: /db/\n"
	"        - json./raw/labels/0: /x/\n"
	"    set: { queue: ops, tags: [alert] }\n";

static struct ynode *root;
static struct http_config *hc;
static struct rules *rules;

static void
init(void)
{
	struct tk_errlist errs;

	fuzz_init();
	tk_errlist_init(&errs);
	if (ynode_load_string("sources.yaml", sources_yaml, strlen(sources_yaml), &root, &errs) < 0 ||
	    http_config_load(root, &hc, &errs) < 0 || errs.n != 0 ||
	    rules_load_string("rules.yaml", rules_yaml, NULL, &rules, &errs) < 0) {
		tk_errlist_print(&errs, stderr);
		fuzz_fail("the target's own sources or rules do not load");
	}
	tk_errlist_fini(&errs);
}

static void
check_alert(const struct hook_alert *a, bool change)
{
	struct rules_input in;
	struct rules_result *res;

	if (a->key == NULL || a->summary == NULL || a->obj == NULL)
		fuzz_fail("an alert lacks its key, summary or object");
	if (!change && (a->key[0] == '\0' || strlen(a->key) > HOOK_KEY_MAX))
		fuzz_fail("an alert's key is empty or longer than %d bytes", HOOK_KEY_MAX);
	if (change != (a->action == HOOK_CHANGE))
		fuzz_fail("action %d from the %s hook", (int)a->action, FUZZ_HOOK);
	fuzz_check_utf8("key", a->key);
	fuzz_check_utf8("group", a->group);
	fuzz_check_utf8("summary", a->summary);
	fuzz_check_utf8("description", a->description);
	fuzz_check_utf8("severity", a->severity);
	rules_input_alert(&in, a->obj, FUZZ_HOOK);
	res = rules_eval(rules, &in, RULES_EVAL_TRACE);
	rules_result_free(&res);
}

/* The worker's half: meta and body as staged, decoded again. */
static void
decode(const struct hook_ops *ops, const struct http_source *src, const struct hook_info *info,
       const uint8_t *data, size_t size)
{
	json_t *meta = json_pack("{s:s}", "endpoint", ops->name), *doc, *staged_meta;
	struct hook_alert *alerts = NULL;
	struct tk_err err = { 0 };
	char *meta_text;
	size_t n = 0;

	if (ops == &hook_pagerduty_ops)
		json_object_set_new(meta, "dedup_key", json_string(info->dedup_key));
	meta_text = json_dumps(meta, JSON_COMPACT);
	staged_meta = json_loads(meta_text, 0, NULL);
	doc = json_loadb((const char *)data, size, 0, NULL);
	if (doc == NULL || staged_meta == NULL)
		fuzz_fail("the staged body or meta does not parse again");
	if (hook_ops_find(json_string_value(json_object_get(staged_meta, "endpoint"))) != ops)
		fuzz_fail("the staged meta names another endpoint");
	if (ops->alerts(doc, staged_meta, src, &alerts, &n, &err) < 0)
		fuzz_fail("validate accepted what alerts() refuses: %s", err.msg);
	if (n == 0 || n != (size_t)info->n_alerts)
		fuzz_fail("validate counted %d alerts, alerts() gave %zu", info->n_alerts, n);
	for (size_t i = 0; i < n; i++)
		check_alert(&alerts[i], ops == &hook_pagerduty_change_ops);
	hook_alerts_free(&alerts, n);
	json_decref(doc);
	json_decref(staged_meta);
	json_decref(meta);
	free(meta_text);
}

static void
one(const struct hook_ops *ops, const struct http_source *src, const uint8_t *data, size_t size)
{
	struct hook_info info = { { 0 } };
	char why[HOOK_WHY_MAX] = "";
	json_error_t jerr;
	json_t *doc = json_loadb((const char *)data, size, 0, &jerr);

	if (doc == NULL)
		return;
	if (ops->validate(doc, src, &info, why, sizeof(why)) < 0) {
		if (why[0] == '\0')
			fuzz_fail("validate refused without saying why");
		fuzz_check_utf8("why", why);
		json_decref(doc);
		return;
	}
	json_decref(doc);
	decode(ops, src, &info, data, size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct hook_ops *ops = hook_ops_find(FUZZ_HOOK);

	if (hc == NULL)
		init();
	if (ops == NULL)
		fuzz_fail("no hook_ops named %s", FUZZ_HOOK);
	if (ops->kind == HOOK_GENERIC) {
		one(ops, http_config_source(hc, "zabbix"), data, size);
		one(ops, http_config_source(hc, "batch"), data, size);
	} else {
		/* PagerDuty validates before its source is known (the routing key picks it). */
		one(ops, ops->kind == HOOK_PAGERDUTY ? NULL : hc->sources, data, size);
	}
	return 0;
}
