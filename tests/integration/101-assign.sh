#!/bin/sh
# Automatic assignment against real PostgreSQL and the SMTP sink:
# least_loaded with priority weights, round_robin, skill with a backup
# engineer; nobody available (the ticket waits, the queue's chain hears of
# it) then someone back (oldest and most urgent first); an agent going away
# with tickets (reassign or keep, per queue); manual overrides audited with
# who and why; one vocabulary for ticketctl set, rules and email commands.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/convo.sh"
. "$(dirname "$0")/agents.sh"
pg_start
mkdir -p "$T/rules"
cat >"$T/rules/10-route.yaml" <<'YAML'
rules:
  - name: urgent
    match: {subject: /URGENT/}
    set: {priority: urgent}
    continue: true
  - name: rr
    match: {subject: /\brr\b/}
    set: {queue: rr}
  - name: db5
    match: {subject: /\bdb5\b/}
    set: {queue: db}
    assign: {skill: db, min_level: 5}
  - name: db
    match: {subject: /\bdb\b/}
    set: {queue: db}
    assign: {skill: db, min_level: 4}
YAML
write_convo_config <<YAML
rules:
  dir: $T/rules
teams:
  - {name: l1, lead: dana, members: [alice, bob, carol]}
  - {name: l2, lead: dana, members: [erin, frank]}
  - {name: l3, lead: dana, members: [gina, hank, ivan]}
queues:
  - {name: support, team: l1, assign: least_loaded, on_away: reassign, chain: waiting}
  - {name: rr, team: l2, assign: round_robin, on_away: keep}
  - {name: db, team: l3, assign: none}
assignment:
  weights: {critical: 3, high: 2}
sla:
  poll_interval: 200ms
  chains:
    waiting:
      levels:
        - {after: 0s, notify: [lead]}
        - {after: 2s, notify: ["oncall@example.com"]}
        - {after: 1h, notify: [team]}
YAML
set_agents <<YAML
  - {name: alice, email: alice@agents.example}
  - {name: bob, email: bob@agents.example}
  - {name: carol, email: carol@agents.example}
  - {name: dana, email: dana@agents.example}
  - {name: erin, email: erin@agents.example}
  - {name: frank, email: frank@agents.example}
  - {name: gina, email: gina@agents.example, skills: {db: 5}}
  - {name: hank, email: hank@agents.example, skills: {db: 4, linux: 5}}
  - {name: ivan, email: ivan@agents.example, skills: {db: 2}}
YAML
"$TICKETD" -t -c "$T/ticketd.yaml" >/dev/null || { "$TICKETD" -t -c "$T/ticketd.yaml"; fail "config"; }
"$TICKETCTL" migrate >/dev/null
smtp_start
http_start
daemon_start

who() { psql_q "SELECT coalesce(a.name, '-') FROM tickets t LEFT JOIN agents a ON a.id = t.assignee_id WHERE t.id = $(case_id "$1")"; }
order_of() { # order_of QUEUE: assignees in the order of their automatic assignment
	psql_q "SELECT string_agg(e.new_value, ' ' ORDER BY e.id) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE t.queue = '$1' AND e.action = 'assignee' AND e.actor = 'assign'"
}

# 1. least_loaded: six medium tickets spread 2/2/2 (ties to the least recently
#    assigned), then a critical one weighs 3 (urgent by a rule: one vocabulary).
for i in 1 2 3 4 5 6; do customer_mail "$i"; done
settle
wait_sql 60 "SELECT count(*) FROM tickets WHERE queue = 'support' AND assignee_id IS NOT NULL" 6
assert_eq "$(order_of support)" "alice bob carol alice bob carol"
assert_contains "$(psql_q "SELECT detail FROM ticket_events WHERE action = 'assignee' AND actor = 'assign' ORDER BY id LIMIT 1")" \
	"automatic (least_loaded): workload 0 in team l1"
customer_mail 7 URGENT
settle
wait_sql 60 "SELECT count(*) FROM tickets WHERE queue = 'support' AND assignee_id IS NOT NULL" 7
assert_eq "$(psql_q "SELECT priority FROM tickets WHERE id = $(case_id 7)")" "critical" "a rule's urgent is critical"
assert_eq "$(who 7)" "alice"
for i in 8 9 10; do customer_mail "$i"; settle; wait_sql 60 "SELECT count(*) FROM tickets WHERE queue = 'support' AND assignee_id IS NOT NULL" "$i"; done
# workloads: alice 2+3 = 5, bob and carol take the next three (bob 4, carol 3... weights 1)
assert_eq "$(order_of support)" "alice bob carol alice bob carol alice bob carol bob"
"$TICKETCTL" agent list --json >"$T/list.json"
assert_eq "$(json_get "$T/list.json" "[(a['name'], a['open'], a['workload']) for a in d if a['name'] in ('alice', 'bob', 'carol')]")" \
	'[["alice", 3, 5], ["bob", 4, 4], ["carol", 3, 3]]'

# 2. round_robin counts tickets, not weights: critical, medium, medium, medium
#    alternate erin, frank, erin, frank.
customer_mail 11 "rr URGENT"; settle
for i in 12 13 14; do customer_mail "$i" rr; done
settle
wait_sql 60 "SELECT count(*) FROM tickets WHERE queue = 'rr' AND assignee_id IS NOT NULL" 4
assert_eq "$(order_of rr)" "erin frank erin frank"

# 3. skill: the highest level first (gina 5), the next best recorded as backup (hank 4);
#    ivan (2) never.
customer_mail 15 db; customer_mail 16 db; settle
wait_sql 60 "SELECT count(*) FROM tickets WHERE queue = 'db' AND assignee_id IS NOT NULL" 2
assert_eq "$(who 15) $(who 16)" "gina gina"
assert_eq "$(psql_q "SELECT a.name FROM tickets t JOIN agents a ON a.id = t.backup_id WHERE t.id = $(case_id 15)")" "hank"
assert_contains "$(psql_q "SELECT detail FROM ticket_events WHERE ticket_id = $(case_id 15) AND action = 'assignee'")" \
	"automatic (skill): db level 5 (db 4 or more asked)"
assert_eq "$(psql_q "SELECT new_value FROM ticket_events WHERE ticket_id = $(case_id 15) AND action = 'backup'")" "hank"
# min_level 5 with gina away: nobody qualifies, the ticket waits; gina back: hers.
"$TICKETCTL" agent status gina away >/dev/null
customer_mail 17 db5; settle
wait_sql 60 "SELECT assign_state FROM tickets WHERE id = $(case_id 17)" "waiting"
assert_contains "$(psql_q "SELECT detail FROM ticket_events WHERE ticket_id = $(case_id 17) AND action = 'assign-wait'")" \
	"nobody in team l3 with db 5 or more is available"
assert_eq "$(who 15) $(who 16)" "gina gina" "queue db keeps gina's tickets (assign: none there means no hand-off)"
"$TICKETCTL" agent status gina available >/dev/null
wait_sql 60 "SELECT coalesce(a.name, '-') FROM tickets t LEFT JOIN agents a ON a.id = t.assignee_id WHERE t.id = $(case_id 17)" "gina"

# 4. Everyone of l1 goes away: queue support hands their new and open tickets back
#    (audited), nobody can take them, they wait; the queue's chain starts ("unassigned"):
#    the lead at once, on-call 2 s later. Bob back: he gets them, most urgent first.
"$TICKETCTL" set "$(case_num 1)" status in_progress >/dev/null
"$TICKETCTL" agent status alice away --reason "vacation" >"$T/out.txt"
assert_contains "$(cat "$T/out.txt")" "handed back to automatic assignment"
"$TICKETCTL" agent status carol offline >/dev/null
"$TICKETCTL" agent status bob away >/dev/null
wait_sql 60 "SELECT count(*) FROM tickets WHERE queue = 'support' AND assign_state = 'waiting'" 9
assert_eq "$(who 1)" "alice" "an in_progress ticket stays with its agent"
assert_contains "$(psql_q "SELECT detail FROM ticket_events WHERE ticket_id = $(case_id 4) AND action = 'assignee' AND new_value IS NULL")" \
	"handed back to automatic assignment: alice is away (on_away: reassign) in queue support"
assert_eq "$(psql_q "SELECT new_value FROM agent_events WHERE action = 'handoff' AND agent_id = (SELECT id FROM agents WHERE name = 'alice')")" "2"
assert_eq "$(psql_q "SELECT count(*) FROM ticket_events WHERE action = 'assign-wait' AND ticket_id IN (SELECT id FROM tickets WHERE queue = 'support')")" "9"
wait_for 60 "the lead hears of the waiting tickets" \
	'[ "$(sent_q "sum(1 for x in m if x['"'env_to'"'] == '"'dana@agents.example'"' and '"'Nobody available'"' in x['"'subject'"'])")" -ge 9 ]'
wait_for 60 "then on-call" \
	'[ "$(sent_q "sum(1 for x in m if x['"'env_to'"'] == '"'oncall@example.com'"' and '"'Nobody available'"' in x['"'subject'"'])")" -ge 9 ]'
"$TICKETCTL" agent status bob available >/dev/null
wait_sql 60 "SELECT count(*) FROM tickets WHERE queue = 'support' AND assign_state IS NOT NULL" 0
assert_eq "$(psql_q "SELECT count(*) FROM tickets WHERE queue = 'support' AND assignee_id = (SELECT id FROM agents WHERE name = 'bob')")" "9"
assert_eq "$(psql_q "SELECT t.priority FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE e.action = 'assignee' AND e.new_value = 'bob' ORDER BY e.id DESC LIMIT 1 OFFSET 8")" \
	"critical" "the critical ticket first"
assert_eq "$(psql_q "SELECT count(*) FROM timers WHERE state = 'pending' AND data->>'clock' = 'unassigned'")" "0" \
	"the chains stop when someone is assigned"
assert_contains "$(psql_q "SELECT string_agg(DISTINCT detail, ',') FROM timers WHERE state = 'cancelled' AND data->>'clock' = 'unassigned'")" "assigned"

# 5. Queue rr keeps an absent agent's tickets (on_away: keep).
"$TICKETCTL" agent status erin away >"$T/out.txt"
assert_eq "$(grep -c handed "$T/out.txt")" "0"
assert_eq "$(psql_q "SELECT count(*) FROM tickets WHERE queue = 'rr' AND assignee_id = (SELECT id FROM agents WHERE name = 'erin')")" "2"

# 6. Manual overrides, audited with who and why; auto hands a ticket back to the assigner.
N=$(case_num 12)
"$TICKETCTL" set --reason "knows the customer" "$N" assignee erin >/dev/null || fail "set assignee"
assert_contains "$(psql_q "SELECT actor || ' ' || old_value || ' -> ' || new_value || ': ' || detail FROM ticket_events WHERE ticket_id = $(case_id 12) AND action = 'assignee' ORDER BY id DESC LIMIT 1")" \
	"ticketctl:"
assert_contains "$(psql_q "SELECT old_value || ' -> ' || new_value || ': ' || detail FROM ticket_events WHERE ticket_id = $(case_id 12) AND action = 'assignee' ORDER BY id DESC LIMIT 1")" \
	"frank -> erin: ticketctl set: knows the customer"
"$TICKETCTL" set "$N" assignee auto >/dev/null
wait_sql 60 "SELECT coalesce(a.name, '-') FROM tickets t LEFT JOIN agents a ON a.id = t.assignee_id WHERE t.id = $(case_id 12)" "frank"
customer_mail 18 rr; settle
TAG=$(psql_q "SELECT n.ticket_prefix || '-' || t.number FROM tickets t JOIN tenants n ON n.id = t.tenant_id WHERE t.id = $(case_id 18)")
wait_for 60 "frank's notice of $TAG" \
	'[ "$(sent_q "sum(1 for x in m if x['"'env_to'"'] == '"'frank@agents.example'"' and '"'$TAG'"' in x['"'subject'"'])")" -ge 1 ]'
TOK=$(sent_q "[x['reply_to'] for x in m if x['env_to'] == 'frank@agents.example' and '$TAG' in x['subject']][-1]" |
	sed -n 's/.*support+\([a-z2-7]*\)@example.com.*/\1/p')
[ -n "$TOK" ] || fail "no token for frank on $TAG"
agent_mail frank@agents.example "$TOK" assign1 '#assign erin\n#priority URGENT\n#status In-Progress\n'
assert_eq "$(who 18)" "erin"
assert_eq "$(psql_q "SELECT actor || ' ' || detail FROM ticket_events WHERE ticket_id = $(case_id 18) AND action = 'assignee' ORDER BY id DESC LIMIT 1")" \
	"agent:frank #assign by email"
assert_eq "$(psql_q "SELECT priority || ' ' || status FROM tickets WHERE id = $(case_id 18)")" "critical in_progress"

# 7. ticketctl set speaks the same words as email and rules.
"$TICKETCTL" set "$(case_num 13)" priority urgent >/dev/null || fail "set priority urgent"
"$TICKETCTL" set "$(case_num 13)" status in-progress >/dev/null || fail "set status in-progress"
assert_eq "$(psql_q "SELECT priority || ' ' || status FROM tickets WHERE id = $(case_id 13)")" "critical in_progress"
"$TICKETCTL" set "$(case_num 13)" status resolved >/dev/null
"$TICKETCTL" set "$(case_num 13)" status open >/dev/null || fail "open on a resolved ticket reopens it"
assert_eq "$(psql_q "SELECT status FROM tickets WHERE id = $(case_id 13)")" "reopened"
expect_rc 1 "$TICKETCTL" set "$(case_num 13)" priority pressing
assert_contains "$OUT" "critical (or urgent)"
daemon_stop
echo "ok"
