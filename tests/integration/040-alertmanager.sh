#!/bin/sh
# Alertmanager and Grafana webhooks end to end: a firing group makes one
# incident per alert (priority from the shipped rules); the same post again
# makes none (alert_count bumped); resolved resolves them and queues the
# notices in the outbox; a new trigger within the reopen window reopens;
# group_by_group shares one ticket that resolves when all its alerts have;
# Grafana's relative generatorURL is joined with externalURL.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/hooks_common.sh"
pg_start
echo "s3cret-token" >"$T/am.token"
write_config <<YAML
rules:
  dir: $top_srcdir/rules
http:
  listen: 127.0.0.1:$HTTP_PORT
  threads: 2
  sources:
    - name: am
      type: alertmanager
      auth: { type: bearer, secret_file: $T/am.token }
    - name: amgroup
      type: alertmanager
      group_by_group: true
      auth: { type: bearer, secret_env: TEST_GROUP_TOKEN }
    - name: graf
      type: grafana
      queue: grafana-queue
  incidents:
    reopen_window: 1h
    notify_channel: smtp
    notify_recipient: oncall@example.com
smtp:
  # Nothing listens here: the notices stay queued in the outbox, which is what is checked.
  url: smtp://127.0.0.1:9
  from: ticketd@example.com
YAML
TEST_GROUP_TOKEN=group-token; export TEST_GROUP_TOKEN
daemon_start
AUTH="Authorization: Bearer s3cret-token"

post /v1/alertmanager "$PAYLOADS/alertmanager-v4-firing.json" -H "$AUTH"
expect_code 202 "first firing post"
assert_eq "$(json_get "$T/resp" "d['status']")" "success"
drain
assert_eq "$(count "tickets WHERE alert_key LIKE 'am:%'")" "2" "one incident per alert"
assert_eq "$(psql_q "SELECT DISTINCT type || ' ' || priority || ' ' || queue || ' ' || status FROM tickets WHERE alert_key LIKE 'am:%'")" \
	"incident critical operations new" "rules: severity critical -> critical, alerts to operations"
assert_eq "$(psql_q "SELECT subject FROM tickets WHERE alert_key = 'am:f404ecabc8dd5cd7'")" "Instance localhost:8081 down"
assert_eq "$(psql_q "SELECT s.kind FROM tickets t JOIN sources s ON s.id = t.source_id WHERE alert_key = 'am:f404ecabc8dd5cd7'")" "alertmanager"
assert_contains "$(psql_q "SELECT body_text FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE alert_key = 'am:f404ecabc8dd5cd7'")" "has been down for more than 1 minute"

# The same group state again: no new ticket, the count goes up.
post /v1/alertmanager "$PAYLOADS/alertmanager-v4-firing.json" -H "$AUTH"
expect_code 202 "repeat"
drain
assert_eq "$(count "tickets WHERE alert_key LIKE 'am:%'")" "2" "repeat makes no new ticket"
assert_eq "$(psql_q "SELECT alert_count FROM tickets WHERE alert_key = 'am:f404ecabc8dd5cd7'")" "2" "alert_count bumped"

# Resolved: both resolve, each queues one notice.
post /v1/alertmanager "$PAYLOADS/alertmanager-v4-resolved.json" -H "$AUTH"
expect_code 202 "resolved"
drain
assert_eq "$(psql_q "SELECT DISTINCT status FROM tickets WHERE alert_key LIKE 'am:%'")" "resolved"
assert_eq "$(count "outbox WHERE channel = 'smtp' AND recipient = 'oncall@example.com'")" "2" "resolution notices"
# Each notice is a mail composed for its channel, with a stable Message-ID.
notice=$(psql_q "SELECT convert_from(payload, 'UTF8') FROM outbox ORDER BY id LIMIT 1")
assert_contains "$notice" "Auto-Submitted: auto-generated"
assert_contains "$notice" "is resolved."
assert_eq "$(count "outbox WHERE message_id IS NOT NULL")" "2" "Message-ID stored with the notice"
# A repeated resolve changes nothing and queues nothing.
post /v1/alertmanager "$PAYLOADS/alertmanager-v4-resolved.json" -H "$AUTH"
drain
assert_eq "$(count outbox)" "2" "no second notice for one resolution"

# Firing again within the window: the same ticket is reopened.
post /v1/alertmanager "$PAYLOADS/alertmanager-v4-firing-strict.json" -H "$AUTH"
expect_code 202 "re-fire"
drain
assert_eq "$(count "tickets WHERE alert_key LIKE 'am:%'")" "2" "reopened, not new"
assert_eq "$(psql_q "SELECT DISTINCT status FROM tickets WHERE alert_key LIKE 'am:%'")" "reopened"

# group_by_group: one ticket for the group, resolved only when both alerts are.
GAUTH="Authorization: Bearer group-token"
post "/v1/alertmanager?source=amgroup" "$PAYLOADS/alertmanager-v4-firing.json" -H "$GAUTH"
expect_code 202 "group firing"
drain
assert_eq "$(count "tickets WHERE alert_key LIKE 'amgroup:%'")" "1" "the group shares one ticket"
assert_eq "$(psql_q "SELECT count(*) FROM incident_alerts a JOIN tickets t ON t.id = a.ticket_id WHERE t.alert_key LIKE 'amgroup:%'")" "2" "two member alerts"
python3 - "$PAYLOADS/alertmanager-v4-resolved.json" "$T/half.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["status"] = "firing"
d["alerts"][1]["status"] = "firing"
json.dump(d, open(sys.argv[2], "w"))
PY
post "/v1/alertmanager?source=amgroup" "$T/half.json" -H "$GAUTH"
drain
assert_eq "$(psql_q "SELECT status FROM tickets WHERE alert_key LIKE 'amgroup:%'")" "new" "one alert still fires"
post "/v1/alertmanager?source=amgroup" "$PAYLOADS/alertmanager-v4-resolved.json" -H "$GAUTH"
drain
assert_eq "$(psql_q "SELECT status FROM tickets WHERE alert_key LIKE 'amgroup:%'")" "resolved" "all resolved"

# Grafana: its own source and queue, generatorURL joined with externalURL.
post /v1/grafana "$PAYLOADS/grafana-firing.json"
expect_code 202 "grafana"
post /v1/grafana "$PAYLOADS/grafana-v12-test-alert.json"
expect_code 202 "grafana 12 test alert"
drain
assert_eq "$(count "tickets WHERE alert_key LIKE 'graf:%' AND queue = 'operations'")" "3" "grafana incidents (rules set the queue)"
assert_eq "$(psql_q "SELECT priority FROM tickets WHERE alert_key = 'graf:c6eadffa33fcdf37'")" "medium" "no severity: medium"
assert_eq "$(count "inbound WHERE state <> 'done'")" "0" "everything processed"

daemon_stop
assert_eq "$DAEMON_RC" "0" "clean stop"
echo "ok"
