#!/bin/sh
# Agents' availability against real PostgreSQL and the SMTP sink: states
# set by ticketctl (until a time, then back) and by an agent's email
# commands proven by the reply token; working hours (a calendar) make an
# agent offline outside them; agent list (table and JSON); every change
# audited; agents.available, which the escalator's skip reads, follows
# the state and the hours.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/convo.sh"
. "$(dirname "$0")/agents.sh"
pg_start
TODAY=$(date -u +%F)
TOMORROW=$(date -u -d tomorrow +%F)
write_convo_config <<YAML
teams:
  - name: l1
    lead: dana
    members: [alice, bob, carol]
queues:
  - name: support
    team: l1
    assign: least_loaded
sla:
  poll_interval: 200ms
  calendars:
    closed-now:
      timezone: UTC
      hours: {mon-sun: "00:00-24:00"}
      holidays: [$TODAY, $TOMORROW]
YAML
set_agents <<YAML
  - name: alice
    email: alice@agents.example
    display_name: Alice Agent
    skills: {billing: 4, linux: 2}
  - name: bob
    email: bob@agents.example
  - name: carol
    email: carol@agents.example
    hours: closed-now
  - name: dana
    email: dana@agents.example
YAML
"$TICKETD" -t -c "$T/ticketd.yaml" >/dev/null || { "$TICKETD" -t -c "$T/ticketd.yaml"; fail "config"; }
"$TICKETCTL" migrate >/dev/null
smtp_start
http_start
daemon_start

# 1. Working hours: carol's calendar is closed today, so she counts as offline.
wait_sql 60 "SELECT in_hours, available FROM agents WHERE name = 'carol'" "f|f"
assert_eq "$(psql_q "SELECT string_agg(name, ' ' ORDER BY name) FROM agents WHERE available")" "alice bob dana"
assert_contains "$(psql_q "SELECT actor || ' ' || action || ' ' || new_value FROM agent_events e JOIN agents a ON a.id = e.agent_id WHERE a.name = 'carol'")" \
	"system hours outside"
"$TICKETCTL" agent list >"$T/list.txt" || fail "agent list"
grep -q "^carol .*offline (outside hours)" "$T/list.txt" || fail "list shows carol outside hours: $(cat "$T/list.txt")"
grep -q "^alice .*available.*billing:4,linux:2" "$T/list.txt" || fail "list shows alice's skills: $(cat "$T/list.txt")"

# 2. ticketctl: away until a time, then available again by itself, both audited.
"$TICKETCTL" agent status bob away --until 10s --reason "dentist" >"$T/out.txt" || fail "agent status"
assert_contains "$(cat "$T/out.txt")" "bob: away until"
assert_eq "$(psql_q "SELECT state, available, state_until > now() FROM agents WHERE name = 'bob'")" "away|f|t"
"$TICKETCTL" agent list --json >"$T/list.json"
assert_eq "$(json_get "$T/list.json" "[a['state'] for a in d if a['name'] == 'bob'][0]")" "away"
assert_eq "$(json_get "$T/list.json" "[a['until'] is not None for a in d if a['name'] == 'bob'][0]")" "true"
assert_eq "$(json_get "$T/list.json" "[a['skills'] for a in d if a['name'] == 'alice'][0]")" '{"billing": 4, "linux": 2}'
assert_eq "$(json_get "$T/list.json" "[a['hours'] for a in d if a['name'] == 'carol'][0]")" "closed-now"
assert_eq "$(json_get "$T/list.json" "sorted(d[0].keys())")" \
	'["available", "display_name", "email", "hours", "in_hours", "last_assigned_at", "name", "open", "skills", "state", "state_at", "state_by", "until", "workload"]'
wait_sql 40 "SELECT state, available, state_until IS NULL FROM agents WHERE name = 'bob'" "available|t|t"
"$TICKETCTL" agent log bob >"$T/log.txt"
grep -q "ticketctl:.* state: available -> away until .*ticketctl agent status: dentist" "$T/log.txt" || fail "audit: $(cat "$T/log.txt")"
grep -q "system state: away until .* -> available the time given has passed" "$T/log.txt" || fail "audit: $(cat "$T/log.txt")"
expect_rc 1 "$TICKETCTL" agent status nobody away
assert_contains "$OUT" "no agent named"
expect_rc 1 "$TICKETCTL" agent status bob away --until yesterday
expect_rc 1 "$TICKETCTL" agent status bob available --until 3h
expect_rc 1 "$TICKETCTL" agent status bob sleeping

# 3. By email, proven by the reply token: alice's notice of a new ticket gives her one.
customer_mail 1
settle
wait_for 60 "alice's notice" '[ "$(sent_q "sum(1 for x in m if x['"'env_to'"'] == '"'alice@agents.example'"')")" -ge 1 ]'
TOK=$(agent_token alice@agents.example)
[ -n "$TOK" ] || fail "no reply token for alice"
T1=$(case_id 1)
agent_mail alice@agents.example "$TOK" busy1 '#busy until 2031-12-24\n'
assert_eq "$(psql_q "SELECT state || ' ' || to_char(state_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM agents WHERE name = 'alice'")" \
	"busy 2031-12-24 00:00"
assert_eq "$(psql_q "SELECT actor || ' ' || detail FROM agent_events e JOIN agents a ON a.id = e.agent_id WHERE a.name = 'alice' AND action = 'state' ORDER BY e.id DESC LIMIT 1")" \
	"agent:alice by email"
assert_eq "$(psql_q "SELECT count(*) FROM ticket_events WHERE ticket_id = $T1 AND action = 'ack'")" "0" \
	"her own state is not an action on the ticket"
assert_eq "$(psql_q "SELECT count(*) FROM outbox WHERE kind = 'reply.txt'")" "0" "nothing to the customer"
# A bad time is refused with the command-error mail; the state stays.
agent_mail alice@agents.example "$TOK" away2 '#away until someday\n'
assert_eq "$(psql_q "SELECT state FROM agents WHERE name = 'alice'")" "busy"
wait_sql 60 "SELECT count(*) FROM outbox WHERE kind = 'command-error.txt' AND recipient = 'alice@agents.example'" 1
assert_contains "$(psql_q "SELECT detail FROM ticket_events WHERE action = 'agent-command-error'")" "#away until"
agent_mail alice@agents.example "$TOK" avail3 '#available\n'
assert_eq "$(psql_q "SELECT state, available, state_until IS NULL FROM agents WHERE name = 'alice'")" "available|t|t"
# A forged From without the token is a customer's mail: no state changes.
printf 'From: bob@agents.example\nTo: support@example.com\nSubject: Re: case 1\nIn-Reply-To: <case-1@customer.example>\nMessage-ID: <forged@agents.example>\n\n#away\n' >"$T/forged.eml"
ingest "$T/forged.eml"
settle
assert_eq "$(psql_q "SELECT state FROM agents WHERE name = 'bob'")" "available" "an unproven #away does nothing"

# 4. Working hours again: without the calendar (reload), carol is in hours and available.
sed -i '/^    hours: closed-now$/d' "$T/ticketd.yaml"
kill -HUP "$DAEMON_PID"
wait_sql 60 "SELECT in_hours, available FROM agents WHERE name = 'carol'" "t|t"
assert_eq "$(psql_q "SELECT count(*) FROM agent_events e JOIN agents a ON a.id = e.agent_id WHERE a.name = 'carol' AND action = 'hours'")" "2"
daemon_stop
echo "ok"
