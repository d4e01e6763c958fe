#!/bin/sh
# Scheduled reports against real PostgreSQL and the SMTP sink, with two
# daemons: each run is a timer of the escalator's one claim loop; it is
# mailed once to each recipient (table in the body, CSV attached; the CSV
# parses and equals ticketctl report over the same period), also when it
# fires late after the daemons were away, and never again after restarts.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/convo.sh"
. "$(dirname "$0")/agents.sh"
pg_start
write_convo_config <<YAML
teams:
  - {name: l1, lead: dana, members: [alice]}
reports:
  - name: minutely
    report: agents
    schedule: "* * * * *"
    timezone: Europe/Berlin
    period: 1d
    to: ["lead:l1", "agent:alice", "ops@example.com"]
  - name: weekly
    report: sla
    schedule: "0 8 * * mon"
    timezone: Europe/Berlin
    to: ["ops@example.com"]
sla:
  poll_interval: 200ms
YAML
set_agents <<YAML
  - {name: alice, email: alice@agents.example}
  - {name: dana, email: dana@agents.example}
YAML
"$TICKETD" -t -c "$T/ticketd.yaml" >/dev/null || { "$TICKETD" -t -c "$T/ticketd.yaml"; fail "config"; }
"$TICKETCTL" migrate >/dev/null
smtp_start
http_start
daemon_start
cp "$T/ticketd.yaml" "$T/second.yaml"
sed -i 's/^log:$/instance: second\nlog:/' "$T/second.yaml"
start_second() {
	"$TICKETD" -c "$T/second.yaml" >>"$T/second.log" 2>&1 &
	SECOND=$!
	echo "kill -KILL $SECOND" >"$T/second.cleanup"
	READY_WANT=$1
	wait_for 60 "second daemon ready" '[ "$(grep -c "ticketd: ready" "$T/second.log")" -ge "$READY_WANT" ]'
}
start_second 1
# Something to report: a ticket alice resolved in the last hour.
psql_q "INSERT INTO tickets (tenant_id, number, subject, status, assignee_id, created_at, first_response_at, resolved_at)
	SELECT 1, 1, 'done', 'resolved', id, now() - interval '50 minutes', now() - interval '40 minutes', now() - interval '10 minutes'
	FROM agents WHERE name = 'alice'" >/dev/null

# 1. Both daemons scheduled the next runs (one timer each, whoever inserted it first);
#    the weekly one's is Monday 08:00 Berlin.
wait_sql 60 "SELECT count(*) FROM timers WHERE kind = 'report' AND state = 'pending'" 2
assert_eq "$(psql_q "SELECT to_char(due_at AT TIME ZONE 'Europe/Berlin', 'Dy HH24:MI') FROM timers WHERE key LIKE 'report:weekly:%'")" "Mon 08:00"

# 2. The next minute's run: mailed once to each recipient, by one of the two daemons.
DUE=$(psql_q "SELECT extract(epoch FROM due_at)::bigint FROM timers WHERE key LIKE 'report:minutely:%' AND state = 'pending'")
wait_sql 90 "SELECT state FROM timers WHERE key = 'report:minutely:$DUE'" "fired"
wait_sql 60 "SELECT count(*) FROM outbox WHERE kind = 'report' AND idempotency_key LIKE 'report:minutely:$DUE:%' AND state = 'sent'" 3
assert_eq "$(psql_q "SELECT string_agg(recipient, ' ' ORDER BY recipient) FROM outbox WHERE idempotency_key LIKE 'report:minutely:$DUE:%'")" \
	"alice@agents.example dana@agents.example ops@example.com"
assert_eq "$(psql_q "SELECT count(*) FROM timers WHERE key = 'report:minutely:$((DUE + 60))' AND state <> 'cancelled'")" "1" "the next run"
wait_sent 60 3
# the mail of this run (an earlier one may have run as the daemons started): its period ends at DUE
RUN_TO=$(date -u -d "@$DUE" '+%Y-%m-%d %H:%M UTC')
mq() { sent_q "[x for x in m if x['env_to'] == 'ops@example.com' and 'Report agents' in x['subject'] and 'to $RUN_TO' in x['subject']]$1"; }
assert_eq "$(mq ".__len__()")" "1" "one mail of the run to ops"
assert_eq "$(mq "[0]['attachments'][0]['filename']")" "minutely-agents.csv"
assert_contains "$(mq "[0]['body']")" "agent"
assert_contains "$(mq "[0]['body']")" "alice"
# The CSV parses, and is what ticketctl report says over the run's period [due - 1d, due).
FROM=$(date -u -d "@$((DUE - 86400))" +%Y-%m-%dT%H:%M:%SZ)
TO=$(date -u -d "@$DUE" +%Y-%m-%dT%H:%M:%SZ)
"$TICKETCTL" report agents --from "$FROM" --to "$TO" --format csv >"$T/want.csv"
mq "[0]['attachments'][0]['content']" >"$T/got.csv"
/usr/bin/python3 - "$T/got.csv" "$T/want.csv" <<'PY' || fail "the attached CSV is not the report"
import csv, io, json, sys
got = list(csv.reader(open(sys.argv[1], newline="")))
got = [r for r in got if r]
want = list(csv.reader(open(sys.argv[2], newline="")))
assert got == want, (got, want)
assert got[0][0] == "agent" and [r for r in got if r[0] == "alice"][0][2] == "1", got
print("# the CSV has %d rows" % (len(got) - 1))
PY

# 3. Away over a run: it fires late, once, when a daemon is back. (Both are stopped; a
#    run of five minutes ago is what a run missed during downtime looks like.)
daemon_stop
kill -TERM "$SECOND"; wait "$SECOND" 2>/dev/null || true
PAST=$(( ($(date +%s) / 60 - 5) * 60 ))
psql_q "INSERT INTO timers (kind, key, due_at, data) VALUES ('report', 'report:minutely:$PAST', to_timestamp($PAST), '{\"report\": \"minutely\"}')" >/dev/null
daemon_start
start_second 2
wait_sql 60 "SELECT state FROM timers WHERE key = 'report:minutely:$PAST'" "fired"
wait_sql 60 "SELECT count(*) FROM outbox WHERE idempotency_key LIKE 'report:minutely:$PAST:%'" 3
grep -h "report minutely: run of $PAST mailed to 3 recipients (late" "$DAEMON_LOG" "$T/second.log" >/dev/null ||
	fail "the late run is logged as late"

# 4. Restarts run nothing twice: every run has three mails, no more. The first
#    daemon restarts alone; a run the schedule no longer holds (the schedule
#    changed), inserted then, is cancelled, not sent: that proves its loop has
#    run, after its start-up scheduling (no fixed wait).
kill -TERM "$SECOND"; wait "$SECOND" 2>/dev/null || true; rm -f "$T/second.cleanup"
daemon_stop
daemon_start
psql_q "INSERT INTO timers (kind, key, due_at, data) VALUES ('report', 'report:weekly:$PAST', to_timestamp($PAST), '{\"report\": \"weekly\"}')" >/dev/null
wait_sql 60 "SELECT state FROM timers WHERE key = 'report:weekly:$PAST'" "cancelled"
assert_contains "$(psql_q "SELECT detail FROM timers WHERE key = 'report:weekly:$PAST'")" "no longer runs then"
assert_eq "$(psql_q "SELECT count(*) FROM outbox WHERE idempotency_key LIKE 'report:weekly:%'")" "0"
assert_eq "$(psql_q "SELECT count(*) FROM (SELECT substring(idempotency_key from '^report:minutely:[0-9]+') AS run, count(*) FROM outbox WHERE kind = 'report' GROUP BY 1 HAVING count(*) <> 3) x")" "0" \
	"three mails per run"
assert_eq "$(psql_q "SELECT count(*) FROM timers WHERE key LIKE 'report:minutely:%' AND state = 'pending'")" "1" "one next run"
daemon_stop
echo "ok"
