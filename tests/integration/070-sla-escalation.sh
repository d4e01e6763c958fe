#!/bin/sh
# The SLA escalator against real PostgreSQL, an SMTP sink and a Slack
# stand-in, with policies of seconds: warnings at 50% and 75% of each
# target, the breach, each level of a chain once (then one repeat), the
# notices threaded into the ticket's conversation and carrying a reply
# token; every step recorded exactly once; an acknowledgement stops the
# chain.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/convo.sh"
pg_start
write_convo_config <<YAML
teams:
  - name: l1
    lead: bob
    members: [alice]
queues:
  - name: support
    team: l1
sla:
  warnings: [50%, 75%]
  poll_interval: 200ms
  digest_after: 1h
  policies:
    - name: fast
      match: {priority: medium}
      response: 4s
      resolution: 8s
      chain: fast
  chains:
    fast:
      levels:
        - {after: 0s, notify: [assignee]}
        - {after: 2s, notify: [lead]}
        - {after: 3s, notify: ["oncall@example.com", "slack:ops"]}
      repeat: 1
      every: 2s
YAML
# a second agent (the team lead) and a named Slack webhook
printf 'http://127.0.0.1:%s/services/T0/B1/opspart\n' "$HTTP_PORT" >"$T/slack-ops"
sed -i 's/^agents:$/agents:\n  - name: bob\n    email: bob@agents.example\n    display_name: Bob Lead/' "$T/ticketd.yaml"
sed -i "s|^  webhook_url_file: $T/slack-url|  webhook_url_file: $T/slack-url\n  on_new_ticket: false\n  pace: 10ms\n  webhooks:\n    ops: {url_file: $T/slack-ops}|" "$T/ticketd.yaml"
"$TICKETD" -t -c "$T/ticketd.yaml" >/dev/null || { "$TICKETD" -t -c "$T/ticketd.yaml"; fail "config"; }
"$TICKETCTL" migrate >/dev/null
smtp_start
http_start
daemon_start

newmail() { # newmail N
	printf 'From: c%s@customer.example\nTo: support@example.com\nSubject: case %s\nMessage-ID: <sla-%s@customer.example>\n\nHelp %s\n' \
		"$1" "$1" "$1" "$1" >"$T/case$1.eml"
	ingest "$T/case$1.eml"
}
tid() { psql_q "SELECT ticket_id FROM messages WHERE message_id = 'sla-$1@customer.example'"; }

# 1. A ticket nobody answers: every step of both clocks, once, in order.
newmail 1
settle
T1=$(tid 1)
wait_sql 60 "SELECT sla_applied FROM tickets WHERE id = $T1" "fast"
assert_eq "$(psql_q "SELECT sla_computed_at = created_at FROM tickets WHERE id = $T1")" "t" \
	"the SLA is written with the ticket, in the worker's INSERT (no second look by the escalator)"
assert_eq "$(psql_q "SELECT extract(epoch FROM resolution_due_at - created_at) BETWEEN 8 AND 9 FROM tickets WHERE id = $T1")" "t" \
	"the resolution due time is the target after creation (in whole seconds, rounded up)"
wait_sql 60 "SELECT count(*) FROM sla_steps WHERE ticket_id = $T1" 6
assert_eq "$(psql_q "SELECT string_agg(clock || ':' || step, ' ' ORDER BY due_at, clock DESC) FROM sla_steps WHERE ticket_id = $T1")" \
	"response:warn50% response:warn75% response:breach resolution:warn50% resolution:warn75% resolution:breach" \
	"the steps in the order their times came"
assert_eq "$(psql_q "SELECT response_breached AND resolution_breached FROM tickets WHERE id = $T1")" "t" "breached flags"
assert_eq "$(psql_q "SELECT count(*) FROM ticket_events WHERE ticket_id = $T1 AND action = 'sla-breach'")" "2" \
	"one breach event per clock"
# Warnings and level 1 go to the queue's team (unassigned ticket), level 2 to the lead,
# level 3 to the on-call address and the ops webhook, then one repeat of level 3.
wait_for 60 "both chains ran to their repeat" \
	'[ "$(psql_q "SELECT count(*) FROM timers WHERE ticket_id = '"$T1"' AND state = '"'fired'"'")" -ge 8 ]'
wait_sql 60 "SELECT count(*) FROM outbox WHERE ticket_id = $T1 AND kind = 'sla' AND state <> 'sent'" 0
TAG=$(psql_q "SELECT n.ticket_prefix || '-' || t.number FROM tickets t JOIN tenants n ON n.id = t.tenant_id WHERE t.id = $T1")
wcount() { sent_q "sum(1 for x in m if '$TAG' in x['subject'] and '$1' in x['env_to'] and '$2' in x['subject'])"; }
assert_eq "$(wcount alice@agents.example 'SLA warning')" "4" "alice: two warnings per clock"
assert_eq "$(wcount alice@agents.example 'SLA breached')" "2" "alice: level 1 of each chain"
assert_eq "$(wcount bob@agents.example 'SLA breached')" "2" "bob: level 2 of each chain"
assert_eq "$(wcount oncall@example.com 'SLA breached')" "4" "on-call: level 3 and its repeat, per chain"
assert_eq "$(grep -l "$TAG" "$HOOK"/*.json | wc -l)" "4" "ops webhook: level 3 and its repeat, per chain"
assert_eq "$(psql_q "SELECT count(*) FROM outbox WHERE ticket_id = $T1 AND kind = 'sla'")" "16" \
	"no notification twice"
# Threaded into the ticket's conversation, with a reply token for #ack.
assert_eq "$(sent_q "[x['in_reply_to'] for x in m if '$TAG' in x['subject'] and 'bob@' in x['env_to'] and 'SLA' in x['subject']][0]")" \
	"sla-1@customer.example" "In-Reply-To names the ticket's mail"
assert_contains "$(sent_q "[x['reply_to'] for x in m if 'bob@' in x['env_to'] and 'SLA' in x['subject']][0]")" "support+" "reply token"
assert_contains "$(sent_q "[x['body'] for x in m if 'bob@' in x['env_to'] and 'SLA' in x['subject']][0]")" "#ack" "how to act"
json=$(cat "$(grep -l "$TAG" "$HOOK"/*.json | head -n 1)")
assert_contains "$json" '"blocks"' "Block Kit"
assert_contains "$json" "level 3" "the escalation level"

# 2. An acknowledgement stops the chain: level 1 fires, then ticketctl ack.
newmail 2
settle
T2=$(tid 2)
wait_sql 60 "SELECT count(*) FROM timers WHERE ticket_id = $T2 AND state = 'fired' AND data->>'clock' = 'response'" 1
"$TICKETCTL" ack "$(psql_q "SELECT number FROM tickets WHERE id = $T2")" >/dev/null || fail "ticketctl ack"
assert_eq "$(psql_q "SELECT count(*) FROM timers WHERE ticket_id = $T2 AND state = 'pending' AND data->>'clock' = 'response'")" "0" \
	"the response chain's pending level is cancelled"
assert_contains "$(psql_q "SELECT detail FROM ticket_events WHERE ticket_id = $T2 AND action = 'ack'")" "cancelled"
# The resolution clock breaches at 8 s, after the response chain's levels 2 and 3
# (6 s and 7 s) would have fired: its first level proves that time has passed.
wait_sql 90 "SELECT count(*) FROM timers WHERE ticket_id = $T2 AND state = 'fired' AND data->>'clock' = 'resolution'" 1
assert_eq "$(psql_q "SELECT count(*) FROM timers WHERE ticket_id = $T2 AND state = 'fired' AND data->>'clock' = 'response'")" "1" \
	"no level of the acknowledged chain fired after the ack"
note "ok"
