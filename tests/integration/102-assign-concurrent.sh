#!/bin/sh
# Two daemons assigning at once stay fair: 1,000 new tickets arrive in ten
# transactions (each daemon alone assigns one, the other eight arrive at
# once while both daemons' assigners run); each team is
# assigned under its own lock (not a global one), so the five agents'
# workloads end within 1 of each other, every ticket assigned once, and
# both daemons took part.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/convo.sh"
. "$(dirname "$0")/agents.sh"
pg_start
write_convo_config <<YAML
teams:
  - {name: l1, members: [a1, a2, a3, a4, a5]}
  - {name: l2, members: [b1, b2]}
queues:
  - {name: support, team: l1, assign: least_loaded}
  - {name: other, team: l2, assign: round_robin}
sla:
  poll_interval: 200ms
  batch: 3
YAML
set_agents <<YAML
  - {name: a1, email: a1@agents.example}
  - {name: a2, email: a2@agents.example}
  - {name: a3, email: a3@agents.example}
  - {name: a4, email: a4@agents.example}
  - {name: a5, email: a5@agents.example}
  - {name: b1, email: b1@agents.example}
  - {name: b2, email: b2@agents.example}
YAML
sed -i 's/^  count: 2$/  count: 1/' "$T/ticketd.yaml"
"$TICKETCTL" migrate >/dev/null
daemon_start
cp "$T/ticketd.yaml" "$T/second.yaml"
sed -i 's/^log:$/instance: second\nlog:/' "$T/second.yaml"
"$TICKETD" -c "$T/second.yaml" >>"$T/second.log" 2>&1 &
SECOND=$!
echo "kill -KILL $SECOND" >"$T/second.cleanup"
wait_for 60 "second daemon ready" 'grep -q "ticketd: ready" "$T/second.log"'

# 1,000 tickets for l1 (and 100 for l2, assigned in parallel under l2's lock),
# in ten batches of 110.
bulk() { # bulk K: batch K, one transaction
	"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$TICKETD_DSN" -c \
		"INSERT INTO tickets (tenant_id, number, subject, queue) SELECT 1, ticketd_next_number(1), 'bulk $1 ' || g, CASE WHEN g % 11 = 0 THEN 'other' ELSE 'support' END FROM generate_series(1, 110) g"
}
# Each daemon alone (the other stopped, SIGSTOP, while nothing is due: it
# holds no team lock) assigns a batch, so both take part whatever the
# machine's speed.
alone() { # alone PID K: batch K assigned while PID is stopped
	kill -STOP "$1"
	bulk "$2" || fail "an insert failed"
	wait_sql 120 "SELECT count(*) FROM tickets WHERE assign_state IS NOT NULL" 0
	kill -CONT "$1"
}
alone "$DAEMON_PID" 0
alone "$SECOND" 1
# The other eight batches at once, both daemons running.
pids=
for k in 2 3 4 5 6 7 8 9; do
	bulk "$k" &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "an insert failed"; done
assert_eq "$(psql_q "SELECT count(*) FROM tickets WHERE queue = 'support'")" "1000"
wait_sql 120 "SELECT count(*) FROM tickets WHERE assign_state IS NOT NULL" 0
assert_eq "$(psql_q "SELECT count(*) FROM tickets WHERE assignee_id IS NULL")" "0"
loads=$(psql_q "SELECT string_agg(n::text, ' ' ORDER BY name) FROM (SELECT a.name, count(t.id) AS n FROM agents a LEFT JOIN tickets t ON t.assignee_id = a.id WHERE a.name LIKE 'a%' GROUP BY a.name) x")
note "workloads of a1..a5: $loads"
assert_eq "$(psql_q "SELECT max(n) - min(n) <= 1 FROM (SELECT count(t.id) AS n FROM agents a LEFT JOIN tickets t ON t.assignee_id = a.id WHERE a.name LIKE 'a%' GROUP BY a.name) x")" "t" \
	"workloads within 1 ($loads)"
assert_eq "$(psql_q "SELECT max(n) - min(n) <= 1 FROM (SELECT count(t.id) AS n FROM agents a LEFT JOIN tickets t ON t.assignee_id = a.id WHERE a.name LIKE 'b%' GROUP BY a.name) x")" "t" \
	"team l2 too"
assert_eq "$(psql_q "SELECT count(*) FROM ticket_events WHERE action = 'assignee'")" "1100" "each ticket assigned once"
assert_eq "$(psql_q "SELECT count(DISTINCT substring(detail from '\(by ([^)]*)\)')) FROM ticket_events WHERE action = 'assignee'")" "2" \
	"both daemons assigned"
kill -TERM "$SECOND"; wait "$SECOND" 2>/dev/null || true; rm -f "$T/second.cleanup"
daemon_stop
echo "ok"
