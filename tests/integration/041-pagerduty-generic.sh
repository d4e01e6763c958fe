#!/bin/sh
# PagerDuty Events v2 (trigger, acknowledge, resolve; dedup_key generated
# when absent and returned in PagerDuty's own 202 shape; links, images and
# client kept on the incident and shown; change events on the open
# incident's timeline, or kept on their own), a generic JSON hook
# with a YAML mapping (OnCall's Zabbix payload), and the health, readiness
# and metrics endpoints.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/hooks_common.sh"
pg_start
RK=e93facc04764012d7bfb002500d5d1a6
write_config <<YAML
rules:
  dir: $top_srcdir/rules
http:
  listen: 127.0.0.1:$HTTP_PORT
  sources:
    - name: pd
      type: pagerduty
      routing_key: $RK
    - name: zabbix
      type: generic
      mapping:
        dedup_key: /alert_uid
        summary: /title
        description: "{/message}\n\nDetails: {/link_to_upstream_details}"
        status: /state
        firing: [alerting, ALERTING, problem]
        resolved: [ok, OK]
YAML
daemon_start

# Trigger with a dedup_key: PagerDuty's answer, byte for byte in shape.
post /v2/enqueue "$PAYLOADS/pagerduty-v2-trigger.json"
expect_code 202 "trigger"
assert_eq "$(json_get "$T/resp" "sorted(d.keys())")" "$(json_get "$PAYLOADS/pagerduty-v2-response-202.json" "sorted(d.keys())")" "202 shape"
assert_eq "$(json_get "$T/resp" "d['status'] + '|' + d['message'] + '|' + d['dedup_key']")" "success|Event processed|srv01/mysql"
drain
assert_eq "$(psql_q "SELECT priority || ' ' || status || ' ' || alert_count FROM tickets WHERE alert_key = 'pd:srv01/mysql'")" "critical new 1"
assert_contains "$(psql_q "SELECT body_text FROM messages")" "component: mysql"
# The trigger's links, images and monitoring client stay on the incident and show.
PDNUM=$(psql_q "SELECT number FROM tickets WHERE alert_key = 'pd:srv01/mysql'")
"$TICKETCTL" show --json "$PDNUM" >"$T/pd.json"
assert_eq "$(json_get "$T/pd.json" "d['context']['client'] + ' ' + d['context']['client_url']")" \
	"Sample Monitoring Service https://monitoring.service.com" "client kept"
assert_eq "$(json_get "$T/pd.json" "d['context']['links']")" '[{"href": "http://pagerduty.example.com", "text": "An example link."}]' "links kept"
assert_eq "$(json_get "$T/pd.json" "[i['alt'] for i in d['context']['images']]")" '["An example link with an image"]' "images kept"
"$TICKETCTL" show "$PDNUM" >"$T/pd.txt"
assert_contains "$(cat "$T/pd.txt")" "client: Sample Monitoring Service <https://monitoring.service.com>"
assert_contains "$(cat "$T/pd.txt")" "link: An example link. <http://pagerduty.example.com>"
assert_contains "$(cat "$T/pd.txt")" "image: An example link with an image <https://chart.googleapis.com/chart?chs=600x400"
# The same trigger again: one ticket, count 2; a new link joins, the old one is not repeated.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["links"].append({"href": "https://runbook.example.com/disk", "text": "Runbook\u001b[31m", "x": 1}); print(json.dumps(d))' \
	"$PAYLOADS/pagerduty-v2-trigger.json" >"$T/more-links.json"
post /v2/enqueue "$T/more-links.json"
expect_code 202 "repeat trigger"
drain
assert_eq "$(psql_q "SELECT count(*) || ' ' || max(alert_count) FROM tickets WHERE alert_key = 'pd:srv01/mysql'")" "1 2"
"$TICKETCTL" show --json "$PDNUM" >"$T/pd.json"
assert_eq "$(json_get "$T/pd.json" "[l['href'] for l in d['context']['links']]")" '["http://pagerduty.example.com", "https://runbook.example.com/disk"]' "links merged"
"$TICKETCTL" show "$PDNUM" >"$T/pd.txt"
assert_contains "$(cat "$T/pd.txt")" "link: Runbook?[31m <https://runbook.example.com/disk>" "control characters not printed"
post_str /v2/enqueue '{"routing_key":"'"$RK"'","event_action":"trigger","dedup_key":"x","payload":{"summary":"s","source":"s","severity":"info"},"links":[{"text":"no href"}]}'
expect_code 400 "a link without href"
assert_contains "$(json_get "$T/resp" "d['errors'][0]")" "links[0].href"

# Change events (deploys): noted on the open incident of the source, and kept.
change() { # change SUMMARY: a change event for the pd source
	python3 -c 'import json,sys; print(json.dumps({"routing_key": sys.argv[1], "payload": {"summary": sys.argv[2], "timestamp": "2026-12-01T10:00:00Z", "source": "ci.example.com", "custom_details": {"build": 4711}}, "links": [{"href": "https://ci.example.com/4711", "text": "Build 4711"}]}))' "$RK" "$1" >"$T/change.json"
	post /v2/change/enqueue "$T/change.json"
}
change "Deployed api 4711 to production"
expect_code 202 "change event"
assert_eq "$(json_get "$T/resp" "d")" '{"status": "success", "message": "Change event processed"}' "PagerDuty's answer"
drain
assert_eq "$(psql_q "SELECT count(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE t.alert_key = 'pd:srv01/mysql' AND e.action = 'change' AND e.detail = 'Deployed api 4711 to production'")" "1" "on the open incident's timeline"
"$TICKETCTL" show "$PDNUM" >"$T/pd.txt"
assert_contains "$(cat "$T/pd.txt")" ": Deployed api 4711 to production (from ci.example.com, sent 2026-12-01T10:00:00Z)"
assert_contains "$(cat "$T/pd.txt")" "    link: Build 4711 <https://ci.example.com/4711>"
"$TICKETCTL" show --json "$PDNUM" >"$T/pd.json"
assert_eq "$(json_get "$T/pd.json" "d['changes'][0]['custom_details']")" '{"build": 4711}'
post_str /v2/change/enqueue '{"routing_key":"'"$RK"'","payload":{"source":"ci"}}'
expect_code 400 "change event without summary"
assert_eq "$(json_get "$T/resp" "d['status'] + '|' + d['errors'][0]")" "invalid event|payload.summary: required field is missing"
post_str /v2/change/enqueue '{"routing_key":"0000","payload":{"summary":"x"}}'
expect_code 400 "change event with an unknown routing_key"
CODE=$(curl_code "$T/resp" "$URL/v2/change/enqueue"); expect_code 405 "GET /v2/change/enqueue"

# Acknowledge, then resolve (the samples' keys replaced by ours).
ev() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["routing_key"]=sys.argv[2]; d["dedup_key"]=sys.argv[3]; print(json.dumps(d))' "$@"; }
ev "$PAYLOADS/pagerduty-v2-acknowledge.json" "$RK" srv01/mysql >"$T/ack.json"
post /v2/enqueue "$T/ack.json"
expect_code 202 "acknowledge"
drain
assert_eq "$(psql_q "SELECT status FROM tickets WHERE alert_key = 'pd:srv01/mysql'")" "in_progress" "ack -> in_progress"
ev "$PAYLOADS/pagerduty-v2-resolve.json" "$RK" srv01/mysql >"$T/res.json"
post /v2/enqueue "$T/res.json"
expect_code 202 "resolve"
drain
assert_eq "$(psql_q "SELECT status FROM tickets WHERE alert_key = 'pd:srv01/mysql'")" "resolved" "resolve -> resolved"
# A change with no open incident is kept as its own entry.
change "Rolled back api to 4710"
expect_code 202 "change event, nothing open"
drain
assert_eq "$(psql_q "SELECT count(*) FROM change_events")" "2" "both changes kept"
assert_eq "$(psql_q "SELECT count(*) FROM ticket_events WHERE action = 'change'")" "1" "the second on no timeline"
# An acknowledge for a key with nothing open is accepted and changes nothing.
ev "$PAYLOADS/pagerduty-v2-acknowledge.json" "$RK" never-triggered >"$T/ack2.json"
post /v2/enqueue "$T/ack2.json"
expect_code 202 "ack of nothing"
drain
assert_eq "$(count tickets)" "1" "no ticket from a stray acknowledge"

# A trigger without dedup_key: one is generated, returned, and is the identity.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["dedup_key"]; d["payload"]["severity"]="warning"; print(json.dumps(d))' \
	"$PAYLOADS/pagerduty-v2-trigger.json" >"$T/nokey.json"
post /v2/enqueue "$T/nokey.json"
expect_code 202 "trigger without dedup_key"
key=$(json_get "$T/resp" "d['dedup_key']")
[ ${#key} -eq 32 ] || fail "generated dedup_key '$key' is not 32 characters"
drain
assert_eq "$(psql_q "SELECT priority FROM tickets WHERE alert_key = 'pd:$key'")" "medium" "generated key is the identity; warning -> medium"
post /v2/enqueue "$T/nokey.json"
key2=$(json_get "$T/resp" "d['dedup_key']")
[ "$key" != "$key2" ] || fail "two triggers without dedup_key got the same generated key"

# Generic hook: the mapping makes the identity, summary and status.
post /v1/hooks/zabbix "$PAYLOADS/oncall-formatted-webhook-zabbix.json"
expect_code 202 "generic hook"
drain
Z="zabbix:08d6891a-835c-e661-39fa-96b6a9e26552"
assert_eq "$(psql_q "SELECT subject || ' / ' || status FROM tickets WHERE alert_key = '$Z'")" "TestAlert: The whole system is down / new"
assert_contains "$(psql_q "SELECT body_text FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE alert_key = '$Z'")" "Details: https://en.wikipedia.org/wiki/Downtime"
sed 's/"alerting"/"OK"/' "$PAYLOADS/oncall-formatted-webhook-zabbix.json" >"$T/zok.json"
post /v1/hooks/zabbix "$T/zok.json"
expect_code 202 "generic resolve"
drain
assert_eq "$(psql_q "SELECT status FROM tickets WHERE alert_key = '$Z'")" "resolved" "state OK resolves"
post /v1/hooks/nosuch "$T/zok.json"
expect_code 404 "unknown hook name"

# Health, readiness, metrics.
CODE=$(curl_code "$T/resp" "$URL/healthz"); expect_code 200 healthz
CODE=$(curl_code "$T/resp" "$URL/readyz"); expect_code 200 readyz
assert_eq "$(json_get "$T/resp" "d['database'] + ' ' + d['rules']")" "ok ok"
CODE=$(curl_code "$T/metrics" "$URL/metrics"); expect_code 200 metrics
grep -q '^ticketd_http_requests_total{source="pd",outcome="accepted"} 9$' "$T/metrics" || fail "pd accepted count: $(grep 'source="pd"' "$T/metrics")"
grep -q '^ticketd_http_requests_total{source="zabbix",outcome="accepted"} 2$' "$T/metrics" || fail "zabbix count"
n=$(sed -n 's/^ticketd_processing_seconds_count //p' "$T/metrics")
[ "$n" -ge 9 ] || fail "processing histogram counted $n items"
grep -q '^ticketd_inbound_depth{state="pending"} ' "$T/metrics" || fail "inbound depth missing"
grep -q '^ticketd_sla_breaches_total 0$' "$T/metrics" || fail "sla counter missing"
grep -q '^ticketd_build_info{version="' "$T/metrics" || fail "build info missing"
CODE=$(curl_code "$T/resp" -X POST "$URL/healthz"); expect_code 405 "POST /healthz"
CODE=$(curl_code "$T/resp" "$URL/v2/enqueue"); expect_code 405 "GET /v2/enqueue"

# Readiness follows the database.
pg_down
CODE=$(curl_code "$T/resp" "$URL/readyz"); expect_code 503 "readyz, database down"
pg_up
CODE=$(curl_code "$T/resp" "$URL/readyz"); expect_code 200 "readyz, database back"
daemon_stop
assert_eq "$DAEMON_RC" "0" "clean stop"
echo "ok"
