#!/bin/sh
# Slack is delivered at most once, paced: posts to one webhook are at least
# slack.pace apart (across daemons: the pace is a database row); a 429 is
# retried after its Retry-After; a request that went out and got no answer
# (a receiver that hangs) is dead and never sent again, and so is one whose
# sender was killed during the request (doc/delivery.md). A queue that says
# who hears of customer replies (notify.customer_reply) gets them in Slack,
# instead of conversation.agent_notify's mail.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/convo.sh"
pg_start
write_convo_config <<YAML
queues:
  - name: support
    notify:
      created: ["slack:ops"]
      customer_reply: ["slack:ops"]
sla:
  poll_interval: 200ms
YAML
printf 'http://127.0.0.1:%s/services/T0/B1/opspart\n' "$HTTP_PORT" >"$T/slack-ops"
sed -i "s|^  webhook_url_file: $T/slack-url|  webhook_url_file: $T/slack-url\n  on_new_ticket: false\n  pace: 1s\n  webhooks:\n    ops: {url_file: $T/slack-ops}|" "$T/ticketd.yaml"
"$TICKETCTL" migrate >/dev/null
smtp_start
http_start
daemon_start

newmail() {
	printf 'From: %s@customer.example\nTo: support@example.com\nSubject: case %s\nMessage-ID: <%s@customer.example>\n\nHelp\n' \
		"$1" "$1" "$1" >"$T/$1.eml"
	ingest "$T/$1.eml"
}
posts() { ls "$HOOK"/*.json 2>/dev/null | wc -l; }

# 1. Three posts to one webhook at once: at least a second apart.
newmail p1; newmail p2; newmail p3
settle
wait_for 90 "three posts" '[ "$(posts)" -ge 3 ]'
/usr/bin/python3 - "$HOOK" <<'PY' || fail "posts to one webhook closer than slack.pace"
import glob, sys
t = sorted(float(open(f).read()) for f in glob.glob(sys.argv[1] + "/*.time"))
gaps = [b - a for a, b in zip(t, t[1:])]
print("# gaps between posts:", ["%.2f" % g for g in gaps])
sys.exit(0 if len(t) == 3 and min(gaps) >= 0.9 else 1)
PY
assert_contains "$(cat "$HOOK/001.json")" '"blocks"'
assert_contains "$(cat "$HOOK/001.path")" "opspart" "the named webhook"

# 2. 429: retried after Retry-After, posted once.
touch "$HOOK/rate-limit"
newmail r1
settle
wait_sql 60 "SELECT state || ' ' || attempts FROM outbox WHERE channel = 'slack' AND idempotency_key LIKE 'ev:' || (SELECT ticket_id FROM messages WHERE message_id = 'r1@customer.example') || ':%'" "sent 2"
assert_eq "$(posts)" "4" "one post after the 429"

# 3. A receiver that takes the post and hangs: dead after the timeout, never resent.
touch "$HOOK/hang"
newmail h1
settle
H1=$(psql_q "SELECT ticket_id FROM messages WHERE message_id = 'h1@customer.example'")
wait_sql 60 "SELECT state FROM outbox WHERE channel = 'slack' AND ticket_id = $H1" "dead"
assert_contains "$(psql_q "SELECT last_error FROM outbox WHERE ticket_id = $H1 AND channel = 'slack'")" \
	"may have been posted"
assert_eq "$(psql_q "SELECT attempts FROM outbox WHERE ticket_id = $H1 AND channel = 'slack'")" "1" "not retried"
assert_eq "$(posts)" "5" "the receiver got it once"

# 4. The daemon killed during a request: the row is dead once its lease ends, not resent.
sed -i 's/^  timeout: 2s/  timeout: 20s/; s/^  lease: 10s/  lease: 45s/' "$T/ticketd.yaml"
kill -HUP "$DAEMON_PID"
wait_for 60 "reloaded" 'grep -q "configuration reloaded" "$DAEMON_LOG"'
daemon_stop
daemon_start
newmail k1
settle
K1=$(psql_q "SELECT ticket_id FROM messages WHERE message_id = 'k1@customer.example'")
wait_sql 60 "SELECT state FROM outbox WHERE channel = 'slack' AND ticket_id = $K1" "sending"
wait_for 60 "the receiver has the post" '[ "$(posts)" -ge 6 ]'
kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=
rm -f "$HOOK/hang"
psql_q "UPDATE outbox SET lease_until = now() WHERE ticket_id = $K1 AND channel = 'slack'" >/dev/null
daemon_start
wait_sql 60 "SELECT state FROM outbox WHERE channel = 'slack' AND ticket_id = $K1" "dead"
assert_contains "$(psql_q "SELECT last_error FROM outbox WHERE ticket_id = $K1 AND channel = 'slack'")" "at most once"
newmail after
settle
wait_for 60 "a later post goes out" '[ "$(posts)" -ge 7 ]'
assert_eq "$(grep -l "TKT-$(psql_q "SELECT number FROM tickets WHERE id = $K1")" "$HOOK"/*.json | wc -l)" "1" \
	"the killed request was not sent again"

# 5. A customer's reply goes to the queue's customer_reply targets, not to agent_notify's mail.
R1=$(psql_q "SELECT ticket_id FROM messages WHERE message_id = 'r1@customer.example'")
REF=TKT-$(psql_q "SELECT number FROM tickets WHERE id = $R1")
TOKEN=$(sent_q "[x['reply_to'] for x in m if 'r1@' in x['env_to']][0]" | sed -n 's/.*support+\([a-z2-7]*\)@example.com.*/\1/p')
[ -n "$TOKEN" ] || fail "the acknowledgement's reply token"
before=$(posts)
printf 'From: r1@customer.example\nTo: support+%s@example.com\nSubject: Re: [#%s]\nMessage-ID: <r1-again@customer.example>\n\nStill broken.\n' \
	"$TOKEN" "$REF" >"$T/again.eml"
ingest "$T/again.eml"
settle
wait_for 60 "the reply's Slack post" '[ "$(posts)" -gt "$before" ]'
assert_contains "$(cat "$(ls "$HOOK"/*.json | tail -n 1)")" "Customer reply"
assert_contains "$(cat "$(ls "$HOOK"/*.json | tail -n 1)")" "$REF"
IID=$(psql_q "SELECT inbound_id FROM messages WHERE message_id = 'r1-again@customer.example'")
assert_eq "$(psql_q "SELECT count(*) FROM outbox WHERE idempotency_key LIKE 'agent:' || (SELECT inbound_id FROM messages WHERE message_id = 'r1@customer.example') || ':%'")" "1" \
	"agent_notify told alice of the new ticket"
assert_eq "$(psql_q "SELECT count(*) FROM outbox WHERE idempotency_key LIKE 'agent:$IID:%'")" "0" \
	"no agent_notify mail for the reply"
note "ok"
