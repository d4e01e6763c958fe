#!/bin/sh
# Slack's Acknowledge and Resolve buttons, incidents, metrics. The buttons:
# the messages carry them when a
# signing secret is configured; POST /v1/slack/actions with Slack's v0
# signature acknowledges (the pending escalation level is cancelled) or
# resolves (the customer gets the resolved notice); a forged signature, a
# stale timestamp, missing headers and an unknown Slack user are refused,
# logged, and change nothing. Signatures are computed here with Python's
# hmac, independently of the daemon's code. Incidents: a policy with
# notify_on_create pages when the alert opens the incident, and the
# resolved alert stops the chain. /metrics counts breaches and levels.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/convo.sh"
command -v curl >/dev/null || { echo "curl missing: skipped"; exit 77; }
pg_start
printf 'slack-signing-secret-for-tests-0123\n' >"$T/signing"
echo "am-token" >"$T/am.token"
write_convo_config <<YAML
http:
  listen: 127.0.0.1:0
  sources:
    - {name: am, type: alertmanager, auth: {type: bearer, secret_file: $T/am.token}}
sla:
  warnings: []
  poll_interval: 200ms
  policies:
    - {name: page, match: {type: incident}, response: 1h, resolution: 4h, chain: page,
       notify_on_create: true}
    - {name: quick, response: 1s, resolution: 1h, chain: two}
  chains:
    page:
      levels:
        - {after: 0s, notify: [agent:alice]}
        - {after: 1h, notify: ["oncall@example.com"]}
    two:
      levels:
        - {after: 0s, notify: ["slack"]}
        - {after: 1h, notify: [agent:alice]}
YAML
sed -i "s|^  webhook_url_file: $T/slack-url|  webhook_url_file: $T/slack-url\n  on_new_ticket: false\n  pace: 10ms\n  signing_secret_file: $T/signing|" "$T/ticketd.yaml"
sed -i 's/^    display_name: Alice Agent$/    display_name: Alice Agent\n    slack_id: U0ALICE/' "$T/ticketd.yaml"
"$TICKETCTL" migrate >/dev/null
smtp_start
http_start
on_daemon_ready() { D_URL=http://127.0.0.1:$(bound_port "$DAEMON_LOG"); }
daemon_start

newmail() {
	printf 'From: %s@customer.example\nTo: support@example.com\nSubject: case %s\nMessage-ID: <%s@customer.example>\n\nHelp\n' \
		"$1" "$1" "$1" >"$T/$1.eml"
	ingest "$T/$1.eml"
	settle
	psql_q "SELECT ticket_id FROM messages WHERE message_id = '$1@customer.example'"
}
# click USER ACTION TICKET [TS_OFFSET [SECRET]]: post a signed click; CODE, $T/resp.
click() {
	$PY - "$1" "$2" "$3" "${4:-0}" "${5:-$(cat "$T/signing")}" "$T/click" <<'PY'
import hashlib, hmac, json, sys, time, urllib.parse
user, action, ticket, off, secret, out = sys.argv[1:7]
payload = json.dumps({"type": "block_actions", "user": {"id": user, "username": user.lower()},
                      "actions": [{"action_id": action, "value": ticket}]})
body = "payload=" + urllib.parse.quote_plus(payload)
ts = str(int(time.time()) + int(off))
sig = "v0=" + hmac.new(secret.encode(), ("v0:%s:%s" % (ts, body)).encode(), hashlib.sha256).hexdigest()
open(out + ".body", "w").write(body)
open(out + ".hdr", "w").write("X-Slack-Request-Timestamp: %s\nX-Slack-Signature: %s\n" % (ts, sig))
PY
	CODE=$(curl -sS --max-time 30 -o "$T/resp" -w '%{http_code}' -H @"$T/click.hdr" \
		-H 'Content-Type: application/x-www-form-urlencoded' --data-binary @"$T/click.body" \
		"$D_URL/v1/slack/actions" 2>"$T/curl.err" || true)
}

# The breach posts to Slack with the buttons; level 2 waits an hour.
T1=$(newmail a1)
wait_for 60 "the breach's Slack post" '[ -n "$(grep -l ticketd_ack "$HOOK"/*.json 2>/dev/null)" ]'
assert_contains "$(cat "$(grep -l ticketd_ack "$HOOK"/*.json | head -n 1)")" "ticketd_resolve" "both buttons"
wait_sql 60 "SELECT count(*) FROM timers WHERE ticket_id = $T1 AND state = 'pending'" 1

# Refused: each answer says why, nothing changes, the refusal is logged.
click U0ALICE ticketd_ack "$T1" 0 not-the-secret
assert_eq "$CODE" "401" "a forged signature"
assert_contains "$(cat "$T/resp")" "bad signature"
click U0ALICE ticketd_ack "$T1" -600
assert_eq "$CODE" "401" "a stale timestamp"
assert_contains "$(cat "$T/resp")" "stale"
CODE=$(curl -sS -o "$T/resp" -w '%{http_code}' -H 'Content-Type: application/x-www-form-urlencoded' \
	--data-binary @"$T/click.body" "$D_URL/v1/slack/actions")
assert_eq "$CODE" "401" "no signature headers"
click U0MALLORY ticketd_ack "$T1"
assert_eq "$CODE" "403" "a Slack user who is no agent"
assert_contains "$(cat "$T/resp")" "U0MALLORY"
assert_eq "$(psql_q "SELECT count(*) FROM timers WHERE ticket_id = $T1 AND state = 'pending'")" "1" "nothing changed"
assert_eq "$(psql_q "SELECT count(*) FROM ticket_events WHERE ticket_id = $T1 AND action = 'ack'")" "0"
grep -q "slack action from 127.0.0.1 refused: bad signature" "$DAEMON_LOG" || fail "the refusal is logged"
grep -q "$(cat "$T/signing")" "$DAEMON_LOG" && fail "the signing secret was logged"

# Acknowledge: the pending level is cancelled.
click U0ALICE ticketd_ack "$T1"
assert_eq "$CODE" "200" "a valid click: $(cat "$T/resp")"
assert_contains "$(cat "$T/resp")" "acknowledged by Alice Agent"
assert_eq "$(psql_q "SELECT actor FROM ticket_events WHERE ticket_id = $T1 AND action = 'ack'")" "slack:alice"
assert_eq "$(psql_q "SELECT state FROM timers WHERE ticket_id = $T1 AND data->>'level' = '1'")" "cancelled"

# Resolve: resolved, and the customer gets the resolved notice.
T2=$(newmail b1)
click U0ALICE ticketd_resolve "$T2"
assert_eq "$CODE" "200" "resolve: $(cat "$T/resp")"
assert_eq "$(psql_q "SELECT status FROM tickets WHERE id = $T2")" "resolved"
wait_for 60 "the resolved notice" \
	'[ "$(sent_q "sum(1 for x in m if '"'b1@'"' in x['"'env_to'"'] and '"'resolved'"' in x['"'body'"'].lower())")" -ge 1 ]'
# A click on a ticket that does not exist is an error, not a crash.
click U0ALICE ticketd_ack 999999
assert_eq "$CODE" "400" "unknown ticket"
kill -0 "$DAEMON_PID" || fail "the daemon is still up"

# An incident pages at creation (notify_on_create), and its resolution stops the chain.
amp() { curl -sS -o "$T/resp" -w '%{http_code}' -H 'Authorization: Bearer am-token' \
	-H 'Content-Type: application/json' --data-binary @"$top_srcdir/tests/data/payloads/$1" \
	"$D_URL/v1/alertmanager"; }
assert_eq "$(amp alertmanager-v4-firing.json)" "202" "alerts accepted"
wait_sql 60 "SELECT count(*) FROM tickets WHERE type = 'incident' AND sla_applied = 'page'" 2
wait_sql 60 "SELECT count(*) FROM timers t JOIN tickets k ON k.id = t.ticket_id WHERE k.type = 'incident' AND t.state = 'fired'" 2
wait_for 60 "alice paged for each incident" \
	'[ "$(sent_q "sum(1 for x in m if '"'alice@'"' in x['"'env_to'"'] and '"'Escalation'"' in x['"'body'"'] or '"'alice@'"' in x['"'env_to'"'] and '"'level 1'"' in x['"'subject'"'])")" -ge 2 ]'
assert_eq "$(psql_q "SELECT count(*) FROM timers t JOIN tickets k ON k.id = t.ticket_id WHERE k.type = 'incident' AND t.state = 'pending'")" "2" \
	"level 2 waits"
assert_eq "$(amp alertmanager-v4-resolved.json)" "202" "resolved accepted"
wait_sql 60 "SELECT count(*) FROM timers t JOIN tickets k ON k.id = t.ticket_id WHERE k.type = 'incident' AND t.state = 'cancelled' AND t.detail = 'the ticket is done'" 2

# The metrics count what fired.
curl -sS "$D_URL/metrics" >"$T/metrics.txt"
grep -Eq '^ticketd_sla_breaches_total [1-9]' "$T/metrics.txt" || fail "breaches counted: $(grep sla_breaches "$T/metrics.txt")"
grep -Eq '^ticketd_sla_escalations_total\{level="1"\} [1-9]' "$T/metrics.txt" || fail "level 1 counted"
grep -Eq '^ticketd_sla_lag_seconds_count [1-9]' "$T/metrics.txt" || fail "lag observed"
grep -q '^ticketd_sla_due_within_hour ' "$T/metrics.txt" || fail "the gauge"
note "ok"
