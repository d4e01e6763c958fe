#!/bin/sh
# SLA clocks in the running daemon: pending pauses them (and the paused
# time is recorded), the first public agent reply stops the response clock
# (an internal note does not), a priority change recomputes the due times
# against the new targets, a business-hours calendar puts due times in the
# next business hours and defers warnings, an agent who is not available is
# skipped to the next level, resolved tickets close after the quiet time
# with a last notice, and ticketctl show / list tell time left in business
# time (--breached, --due-within).
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/convo.sh"
pg_start
# A calendar open only on the day after tomorrow (UTC), all day: "now" is closed.
LATER=$(date -u -d '+2 days' +%a | tr 'A-Z' 'a-z')
LATER_DAY=$(date -u -d '+2 days' +%F)
write_convo_config <<YAML
teams:
  - name: l1
    lead: bob
    members: [alice]
queues:
  - name: support
    team: l1
sla:
  warnings: [50%]
  poll_interval: 200ms
  autoclose: 3s
  calendars:
    later:
      timezone: UTC
      hours:
        $LATER: "00:00-24:00"
  policies:
    - name: slow
      match: {priority: medium}
      response: 6s
      resolution: 60s
      chain: skip
    - name: urgent
      match: {priority: high}
      response: 2s
      resolution: 4s
      chain: skip
    - name: office
      match: {priority: low}
      response: 10m
      resolution: 1h
      calendar: later
  chains:
    skip:
      levels:
        - {after: 0s, notify: [lead]}
        - {after: 30s, notify: ["oncall@example.com"]}
YAML
sed -i 's/^agents:$/agents:\n  - name: bob\n    email: bob@agents.example\n    display_name: Bob Lead/' "$T/ticketd.yaml"
"$TICKETCTL" migrate >/dev/null
smtp_start
http_start
daemon_start

newmail() { # newmail N [PRIORITY-HEADER]
	printf 'From: c%s@customer.example\nTo: support@example.com\nSubject: case %s\nMessage-ID: <clk-%s@customer.example>\n%s\nHelp %s\n' \
		"$1" "$1" "$1" "${2:-}" "$1" >"$T/case$1.eml"
	ingest "$T/case$1.eml"
	settle
}
tid() { psql_q "SELECT ticket_id FROM messages WHERE message_id = 'clk-$1@customer.example'"; }
num() { psql_q "SELECT number FROM tickets WHERE id = $1"; }
q() { psql_q "SELECT $2 FROM tickets WHERE id = $1"; }

# 1. Pending pauses both clocks; leaving pending resumes them with the time used.
newmail 1
T1=$(tid 1)
wait_sql 60 "SELECT sla_applied FROM tickets WHERE id = $T1" "slow"
"$TICKETCTL" set "$(num "$T1")" status pending >/dev/null
wait_sql 60 "SELECT response_due_at IS NULL AND resolution_due_at IS NULL FROM tickets WHERE id = $T1" "t"
LEFT=$(q "$T1" response_left_s)
[ "$LEFT" -gt 0 ] && [ "$LEFT" -le 6 ] || fail "business time left is kept while paused: $LEFT"
# Wait well past the response target while pending: nothing fires.
wait_for 60 "8 s pass" '[ "$(psql_q "SELECT now() - pending_at > interval '"'8 seconds'"' FROM tickets WHERE id = '"$T1"'")" = t ]'
assert_eq "$(psql_q "SELECT count(*) FROM sla_steps WHERE ticket_id = $T1")" "0" "no step while pending"
"$TICKETCTL" show "$(num "$T1")" >"$T/show1.txt"
assert_contains "$(cat "$T/show1.txt")" "first response paused, ${LEFT}s left"
"$TICKETCTL" set "$(num "$T1")" status open >/dev/null
wait_sql 60 "SELECT response_due_at IS NOT NULL FROM tickets WHERE id = $T1" "t"
# Due again: the left time counted from the reopening, and the pause recorded.
assert_eq "$(psql_q "SELECT abs(extract(epoch FROM response_due_at - (opened_at + $LEFT * interval '1 second'))) <= 1 FROM tickets WHERE id = $T1")" "t" \
	"the due time moved by the paused time"
[ "$(q "$T1" sla_paused_s)" -ge 8 ] || fail "paused time recorded: $(q "$T1" sla_paused_s)"
wait_sql 60 "SELECT count(*) FROM sla_steps WHERE ticket_id = $T1 AND clock = 'response' AND step = 'breach'" 1

# 2. An internal note does not stop the response clock; a public reply does.
newmail 2
T2=$(tid 2)
wait_sql 60 "SELECT sla_applied FROM tickets WHERE id = $T2" "slow"
TAG=TKT-$(num "$T2")
AT=$(sent_q "[x['reply_to'] for x in m if 'alice@' in x['env_to'] and '$TAG' in x['subject']][0]" | sed -n 's/.*support+\([a-z2-7]*\)@example.com.*/\1/p')
[ -n "$AT" ] || fail "the agent notice's reply token"
printf 'From: alice@agents.example\nTo: support+%s@example.com\nSubject: Re: [#%s]\nMessage-ID: <note-2@agents.example>\n\n#note\nlooking into it\n' \
	"$AT" "$TAG" >"$T/note.eml"
ingest "$T/note.eml"
settle
assert_eq "$(q "$T2" "first_response_at IS NULL AND response_due_at IS NOT NULL")" "t" "a note is not a response"
printf 'From: alice@agents.example\nTo: support+%s@example.com\nSubject: Re: [#%s]\nMessage-ID: <reply-2@agents.example>\n\nWe are on it.\n' \
	"$AT" "$TAG" >"$T/reply.eml"
ingest "$T/reply.eml"
settle
wait_sql 60 "SELECT response_due_at IS NULL AND response_left_s > 0 AND first_response_at IS NOT NULL FROM tickets WHERE id = $T2" "t"
assert_eq "$(q "$T2" "resolution_due_at IS NOT NULL")" "t" "the resolution clock runs on"
"$TICKETCTL" show "$(num "$T2")" | grep -q "first response met" || fail "show: response met"

# 3. A priority change recomputes: the urgent policy's 2 s / 4 s against the time used.
# (Its chain's first level, the lead, is not available: see 4.)
"$TICKETCTL" agent status bob away >/dev/null || fail "ticketctl agent status"
newmail 3
T3=$(tid 3)
wait_sql 60 "SELECT sla_applied FROM tickets WHERE id = $T3" "slow"
"$TICKETCTL" set "$(num "$T3")" priority high >/dev/null
wait_sql 60 "SELECT sla_applied || ' ' || sla_cycle FROM tickets WHERE id = $T3" "urgent 1"
assert_eq "$(psql_q "SELECT extract(epoch FROM resolution_due_at - created_at) BETWEEN 4 AND 5 FROM tickets WHERE id = $T3")" "t" \
	"the new target counts from creation"
assert_contains "$(psql_q "SELECT new_value FROM ticket_events WHERE ticket_id = $T3 AND action = 'sla-targets'")" "urgent"
wait_sql 60 "SELECT count(*) FROM sla_steps WHERE ticket_id = $T3 AND step = 'breach' AND cycle = 1" 2

# 4. An unavailable lead is skipped: the next level fires at once, and the skip is recorded.
wait_for 90 "ticket 3's chain reaches on-call" \
	'[ "$(sent_q "sum(1 for x in m if '"'TKT-$(num "$T3")'"' in x['"'subject'"'] and '"'oncall@'"' in x['"'env_to'"'])")" -ge 1 ]'
assert_contains "$(psql_q "SELECT string_agg(action, ' ') FROM ticket_events WHERE ticket_id = $T3 AND action LIKE 'escalation%'")" "escalation-skip"
assert_contains "$(psql_q "SELECT detail FROM ticket_events WHERE ticket_id = $T3 AND action = 'notify-skip' LIMIT 1")" "bob"
assert_eq "$(sent_q "sum(1 for x in m if 'TKT-$(num "$T3")' in x['subject'] and 'SLA' in x['subject'] and 'bob@' in x['env_to'])")" "0" \
	"nothing to the unavailable lead"

# 5. Business hours: due times land in the next business hours; no warning now.
newmail 4 'X-Priority: 5'
T4=$(tid 4)
psql_q "UPDATE tickets SET priority = 'low' WHERE id = $T4" >/dev/null
wait_sql 60 "SELECT sla_applied FROM tickets WHERE id = $T4" "office"
assert_eq "$(q "$T4" "to_char(response_due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')")" "$LATER_DAY 00:10:00" \
	"10 business minutes from the next opening"
assert_eq "$(q "$T4" "to_char(resolution_due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')")" "$LATER_DAY 01:00:00"
assert_eq "$(q "$T4" "to_char(sla_next_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')")" "$LATER_DAY 00:05:00" \
	"the 50% warning waits for business hours"
"$TICKETCTL" show "$(num "$T4")" | grep -q "first response 10m 00s left" || fail "show: business time left"
"$TICKETCTL" list --due-within 1h >"$T/due.txt"
grep -q "TKT-$(num "$T4")" "$T/due.txt" && fail "--due-within counts business hours' due times, not tomorrow's"
"$TICKETCTL" list --breached >"$T/breached.txt"
assert_contains "$(cat "$T/breached.txt")" "TKT-$(num "$T3")"
grep -q "TKT-$(num "$T4")" "$T/breached.txt" && fail "--breached lists only breached tickets"
"$TICKETCTL" list --due-within 1d --json >"$T/due.json"
assert_contains "$(cat "$T/due.json")" "\"number\" : $(num "$T2")"

# 6. Resolved tickets close after the quiet time, with a last notice to the customer.
"$TICKETCTL" set "$(num "$T2")" status resolved >/dev/null
wait_sql 60 "SELECT status FROM tickets WHERE id = $T2" "closed"
assert_eq "$(psql_q "SELECT actor FROM ticket_events WHERE ticket_id = $T2 AND new_value = 'closed'")" "sla:autoclose"
wait_for 60 "the closed notice" \
	'[ "$(sent_q "sum(1 for x in m if '"'c2@'"' in x['"'env_to'"'] and '"'closed'"' in x['"'body'"'].lower())")" -ge 1 ]'
note "ok"
