#!/bin/sh
# The escalator's promises under faults: SIGKILL of the daemon while steps
# and levels fire sends nothing twice (beyond the SMTP window: one resend of
# a mail in flight, same Message-ID) and misses nothing; two daemons on one
# database fire each step once; after a downtime the overdue steps fire
# late, say so, and a recipient gets one digest instead of a burst.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/convo.sh"
pg_start
write_convo_config <<YAML
sla:
  warnings: [50%]
  poll_interval: 200ms
  digest_after: 1h
  policies:
    - name: short
      match: {priority: medium}
      response: 3s
      resolution: 6s
      chain: two
    - name: later
      match: {priority: high}
      response: 2s
      resolution: 4s
      chain: one
  chains:
    two:
      levels:
        - {after: 0s, notify: [agent:alice]}
        - {after: 1s, notify: ["oncall@example.com"]}
      repeat: 2
      every: 1s
    one:
      levels:
        - {after: 0s, notify: [agent:alice]}
YAML
sed -i 's/^conversation:$/conversation:\n  agent_notify: none/' "$T/ticketd.yaml"
"$TICKETCTL" migrate >/dev/null
smtp_start
http_start
daemon_start

newmail() { # newmail ID
	printf 'From: %s@customer.example\nTo: support@example.com\nSubject: case %s\nMessage-ID: <%s@customer.example>\n\nHelp\n' \
		"$1" "$1" "$1" >"$T/$1.eml"
	ingest "$T/$1.eml"
}
restart() { kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=; daemon_start; }

# 1. SIGKILL three times while ten tickets' steps and levels fire.
for i in 1 2 3 4 5 6 7 8 9 10; do newmail "k$i"; done
settle
wait_sql 60 "SELECT count(*) FROM tickets WHERE sla_applied = 'short'" 10
wait_for 60 "some steps fired" '[ "$(psql_q "SELECT count(*) FROM sla_steps")" -ge 5 ]'
restart
wait_for 60 "some levels fired" '[ "$(psql_q "SELECT count(*) FROM timers WHERE state = '"'fired'"'")" -ge 5 ]'
restart
wait_for 60 "more levels fired" '[ "$(psql_q "SELECT count(*) FROM timers WHERE state = '"'fired'"'")" -ge 30 ]'
restart
# Per ticket: 2 clocks x (warning + breach); per chain: 2 levels + 2 repeats.
wait_sql 120 "SELECT count(*) FROM sla_steps" 40
wait_sql 120 "SELECT count(*) FROM timers WHERE state = 'fired'" 80
wait_sql 120 "SELECT count(*) FROM timers WHERE state = 'pending'" 0
wait_sql 120 "SELECT count(*) FROM outbox WHERE state <> 'sent'" 0
assert_eq "$(psql_q "SELECT count(*) FROM ticket_events WHERE action IN ('sla-warning', 'sla-breach')")" "40" \
	"one event per step"
assert_eq "$(psql_q "SELECT count(*) FROM ticket_events WHERE action = 'escalation'")" "80" "one event per level"
# Notified: the two breaches (warnings go to the assignee: none) and 80 levels, once each.
assert_eq "$(psql_q "SELECT count(*) FROM outbox WHERE kind = 'sla'")" "80" "one outbox row per level"
dups=$(sent_q "len(m) - len(set(x['message_id'] for x in m))")
psql_q "SELECT message_id FROM outbox WHERE kind = 'sla'" >"$T/ids.txt"
missing=$(sent_q "len(set(r.strip() for r in open('$T/ids.txt')) - set(x['message_id'] for x in m))")
assert_eq "$missing" "0" "every notification reached the server"
[ "$dups" -le 3 ] || fail "at most one resend per kill (the SMTP window), got $dups"
note "after 3 kills: $(sent_q 'len(m)') mails, $dups resent with their Message-ID"

# 2. Two daemons on one database: each step and level once, each mail once.
cp "$T/ticketd.yaml" "$T/second.yaml"
"$TICKETD" -c "$T/second.yaml" >>"$T/second.log" 2>&1 &
SECOND=$!
echo "kill -KILL $SECOND" >"$T/second.cleanup"
wait_for 60 "second daemon ready" 'grep -q "ticketd: ready" "$T/second.log"'
before=$(sent_q "sum(1 for x in m if 'SLA' in x['subject'])")
for i in 1 2 3 4 5 6 7 8 9 10; do newmail "d$i"; done
settle
wait_sql 120 "SELECT count(*) FROM sla_steps" 80
wait_sql 120 "SELECT count(*) FROM timers WHERE state = 'fired'" 160
wait_sql 120 "SELECT count(*) FROM outbox WHERE state <> 'sent'" 0
assert_eq "$(psql_q "SELECT count(*) FROM ticket_events WHERE action = 'escalation'")" "160" "one event per level"
# Each daemon alone (the other stopped, SIGSTOP) takes a ticket's steps, so
# both have taken part whichever got the ten above.
alone() { # alone PID ID: steps and levels of ticket ID while PID is stopped
	kill -STOP "$1"
	newmail "$2"
	settle
	wait_sql 120 "SELECT count(*) FROM sla_steps s JOIN messages m USING (ticket_id) WHERE m.message_id = '$2@customer.example'" 4
	wait_sql 120 "SELECT count(*) FROM timers t JOIN messages m USING (ticket_id) WHERE m.message_id = '$2@customer.example' AND t.state = 'fired'" 8
	kill -CONT "$1"
}
alone "$DAEMON_PID" d11
alone "$SECOND" d12
wait_sql 120 "SELECT count(*) FROM outbox WHERE state <> 'sent'" 0
assert_eq "$(psql_q "SELECT count(DISTINCT instance) FROM sla_steps WHERE ticket_id IN (SELECT ticket_id FROM messages WHERE message_id LIKE 'd%')")" "2" \
	"both daemons took part"
assert_eq "$(psql_q "SELECT count(*) FROM ticket_events WHERE action = 'escalation'")" "176" "one event per level"
assert_eq "$(sent_q "sum(1 for x in m if 'SLA' in x['subject']) - $before")" "96" "each level's mail once"
assert_eq "$(sent_q "len(m) - len(set(x['message_id'] for x in m))")" "$dups" "no new duplicate"
kill -TERM "$SECOND"; wait "$SECOND" 2>/dev/null || true; rm -f "$T/second.cleanup"

# 3. Down while steps come due: they fire late on restart, as digests per recipient.
sed -i 's/^  digest_after: 1h/  digest_after: 1s/' "$T/ticketd.yaml"
for i in 1 2 3; do newmail "z$i"; done
settle
wait_sql 60 "SELECT count(*) FROM tickets WHERE sla_applied = 'short' AND subject LIKE 'case z%'" 3
# The daemon is down when the priority changes (a new cycle: 'later', 2 s / 4 s)
# and stays down until every step of that cycle is overdue by more than the
# digest threshold: on restart they all come due at once.
daemon_stop
psql_q "UPDATE tickets SET priority = 'high' WHERE subject LIKE 'case z%'" >/dev/null
wait_for 90 "the steps are overdue by more than the digest threshold" \
	'[ "$(psql_q "SELECT now() > max(created_at) + interval '"'8 seconds'"' FROM tickets WHERE subject LIKE '"'case z%'"'")" = t ]'
before=$(sent_q "len(m)")
daemon_start
wait_sql 60 "SELECT count(*) FROM tickets WHERE sla_applied = 'later'" 3
wait_sql 90 "SELECT count(*) FROM timers t JOIN tickets k ON k.id = t.ticket_id WHERE k.sla_applied = 'later' AND t.state = 'fired'" 6
wait_sql 60 "SELECT count(*) FROM outbox WHERE state <> 'sent'" 0
grep -q "self-check at start: .* overdue" "$DAEMON_LOG" || fail "the self-check says what is overdue"
grep -q "fires .* s late" "$DAEMON_LOG" || fail "late steps say so"
assert_eq "$(psql_q "SELECT count(*) FROM sla_steps s JOIN tickets k ON k.id = s.ticket_id WHERE k.sla_applied = 'later' AND s.cycle = 1 AND s.step LIKE 'warn%' AND NOT s.skipped")" "0" \
	"superseded warnings are recorded as skipped"
new=$(sent_q "len(m) - $before")
digests=$(sent_q "sum(1 for x in m[$before:] if 'SLA digest' in x['subject'] and 'alice@' in x['env_to'])")
[ "$digests" -ge 1 ] || fail "alice gets a digest"
assert_eq "$(sent_q "sum(1 for x in m[$before:] if 'alice@' in x['env_to'] and 'SLA digest' not in x['subject'])")" "0" \
	"no burst of single mails"
for z in z1 z2 z3; do
	ref=TKT-$(psql_q "SELECT t.number FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = '$z@customer.example'")
	assert_eq "$(sent_q "sum(1 for x in m[$before:] if 'SLA digest' in x['subject'] and '$ref' in x['body'])")" "$digests" \
		"each digest lists $ref"
done
note "downtime: $new mails after the restart, $digests digests"
