#!/bin/sh
# A real Alertmanager (Debian prometheus-alertmanager) posts to ticketd:
# an alert pushed to its API becomes an incident, checked with a bearer
# token; ending the alert makes Alertmanager send "resolved", which
# resolves the incident. Skipped when the package is not installed.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/hooks_common.sh"
AM=$(command -v prometheus-alertmanager || true)
[ -n "$AM" ] || { echo "prometheus-alertmanager not installed: skipped"; exit 77; }
pg_start
echo "am-token" >"$T/token"
write_config <<YAML
rules:
  dir: $top_srcdir/rules
http:
  listen: 127.0.0.1:$HTTP_PORT
  sources:
    - name: prod-am
      type: alertmanager
      auth: { type: bearer, secret_file: $T/token }
YAML
daemon_start
cat >"$T/am.yml" <<YAML
route:
  receiver: ticketd
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: ticketd
    webhook_configs:
      - url: $URL/v1/alertmanager
        send_resolved: true
        http_config:
          authorization: { credentials: am-token }
YAML
# Port 0: Alertmanager binds a free port and logs it ("Listening on" address=...).
"$AM" --config.file="$T/am.yml" --storage.path="$T/am-data" --web.listen-address=127.0.0.1:0 \
	--cluster.listen-address= >"$T/am.log" 2>&1 &
AM_PID=$!
echo "kill -KILL $AM_PID" >"$T/am.cleanup"
wait_for 60 "alertmanager listening" 'grep -q "msg=\"Listening on\" address=127.0.0.1:[0-9]" "$T/am.log"'
AM_PORT=$(sed -n 's/.*msg="Listening on" address=127.0.0.1:\([0-9]*\).*/\1/p' "$T/am.log" | head -n 1)
wait_for 60 "alertmanager ready" 'curl -sf "http://127.0.0.1:$AM_PORT/-/ready"'

alert() { # alert ENDS_AT
	printf '[{"labels":{"alertname":"RealAM","severity":"critical","instance":"db7:9100"},"annotations":{"summary":"db7 is down","description":"node exporter on db7 unreachable"}%s}]' "$1" >"$T/alert.json"
	c=$(curl_code "$T/am-resp" -H 'Content-Type: application/json' \
		--data-binary @"$T/alert.json" "http://127.0.0.1:$AM_PORT/api/v2/alerts")
	[ "$c" = 200 ] || fail "alertmanager refused the alert: $c $(cat "$T/am-resp" "$T/curl.err" 2>/dev/null)"
}
alert ""
wait_sql 30 "SELECT count(*) FROM tickets WHERE alert_key LIKE 'prod-am:%'" 1
assert_eq "$(psql_q "SELECT subject || ' | ' || priority || ' | ' || status FROM tickets")" "db7 is down | critical | new"
assert_contains "$(psql_q "SELECT meta->>'user_agent' FROM inbound ORDER BY id LIMIT 1")" "Alertmanager/"
assert_eq "$(psql_q "SELECT convert_from(raw, 'UTF8')::jsonb->>'version' FROM inbound ORDER BY id LIMIT 1")" "4"

alert ",\"endsAt\":\"$(date -u -d '-1 second' +%Y-%m-%dT%H:%M:%SZ)\""
wait_sql 30 "SELECT status FROM tickets WHERE alert_key LIKE 'prod-am:%'" resolved
assert_eq "$(count tickets)" "1" "one incident for the whole life of the alert"
kill "$AM_PID"; wait "$AM_PID" 2>/dev/null || true
daemon_stop
assert_eq "$DAEMON_RC" "0"
echo "ok"
