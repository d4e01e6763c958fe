#!/bin/sh
# Outbox delivery guarantees against a real SMTP server (aiosmtpd) and an
# HTTP receiver: the server down for a while -> every mail goes out once it
# is back, exactly once; SIGKILL of the daemon after the server accepted a
# mail but before the daemon recorded it -> that one mail is sent again
# with the same Message-ID (the documented case) and nothing else twice,
# nothing lost; 5xx -> dead at once, 4xx -> dead after max_attempts;
# `ticketctl outbox retry` sends a dead row again; Slack 429 is retried;
# two daemons on one database share the queue and send every mail once.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/convo.sh"
pg_start
write_convo_config <<'YAML'
YAML
# SMTP timeout 6 s (room for a slow machine around the 3 s slow-accept), so
# the lease must be at least 2 x (6 + 1) s.
sed -i 's/^  lease: 10s/  lease: 15s\n  max_attempts: 100/; s/^  timeout: 4s/  timeout: 6s/' "$T/ticketd.yaml"
grep -q 'max_attempts: 100' "$T/ticketd.yaml" && grep -q 'timeout: 6s' "$T/ticketd.yaml" || fail "config edit"
"$TICKETCTL" migrate >/dev/null
touch "$HOOK/rate-limit"
http_start

newmail() { # newmail N: a new customer mail number N
	printf 'From: c%s@customer.example\nTo: support@example.com\nSubject: case %s\nMessage-ID: <case-%s@customer.example>\n\nHelp %s\n' \
		"$1" "$1" "$1" "$1" >"$T/case$1.eml"
	ingest "$T/case$1.eml"
}
# count_id MSGID: how many mails with this Message-ID the sink holds.
count_id() { sent_q "sum(1 for x in m if x['message_id'] == '$1')"; }

# 1. The SMTP server is down: rows wait and back off, then go out exactly once.
daemon_start
newmail 1
settle
wait_sql 20 "SELECT count(*) FROM outbox WHERE channel = 'smtp' AND attempts >= 2 AND state = 'pending'" 2
assert_contains "$(psql_q "SELECT last_error FROM outbox WHERE channel = 'smtp' LIMIT 1")" "smtp:"
smtp_start
wait_sql 20 "SELECT count(*) FROM outbox WHERE channel = 'smtp' AND state = 'sent'" 2
sleep 1
assert_eq "$(ls "$SINK"/*.eml | wc -l)" "2" "each mail once after the server came back"
for id in $(psql_q "SELECT message_id FROM outbox WHERE channel = 'smtp'"); do
	assert_eq "$(count_id "$id")" "1" "exactly once: $id"
done

# Slack answered 429 with Retry-After first: retried, then sent.
wait_sql 20 "SELECT state || ' ' || attempts FROM outbox WHERE channel = 'slack'" "sent 2"
assert_eq "$(ls "$HOOK"/*.json | wc -l)" "1" "one Slack post"

# 2. SIGKILL after the server accepted a mail, before the daemon recorded it.
echo 3 >"$SINK/slow-accept"   # under the 6 s SMTP timeout: the send is in progress
newmail 2
settle
wait_for 20 "the acknowledgement reaches the server" '[ "$(ls "$SINK"/*.eml | wc -l)" -ge 3 ]'
KILLED=$(psql_q "SELECT message_id FROM outbox WHERE state = 'sending'")
[ -n "$KILLED" ] || fail "a row is being sent"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=
rm -f "$SINK/slow-accept"
assert_eq "$(psql_q "SELECT state FROM outbox WHERE message_id = '$KILLED'")" "sending" \
	"the acceptance was not recorded"
daemon_start
wait_sql 60 "SELECT count(*) FROM outbox WHERE state <> 'sent'" 0
sleep 1
assert_eq "$(count_id "$KILLED")" "2" "the one allowed resend, with the same Message-ID"
for id in $(psql_q "SELECT message_id FROM outbox WHERE channel = 'smtp' AND message_id <> '$KILLED'"); do
	assert_eq "$(count_id "$id")" "1" "nothing else twice: $id"
done
assert_eq "$(psql_q "SELECT count(*) FROM outbox WHERE channel = 'smtp'")" "$(( $(ls "$SINK"/*.eml | wc -l) - 1 ))" \
	"nothing lost"

# 3. 5xx: dead at once; retry after the fix sends it.
touch "$SINK/reject-5xx"
newmail 3
settle
wait_sql 20 "SELECT count(*) FROM outbox WHERE state = 'dead'" 2
assert_eq "$(psql_q "SELECT min(attempts) || ' ' || max(attempts) FROM outbox WHERE state = 'dead'")" "1 1" \
	"a refusal is final"
"$TICKETCTL" outbox list >"$T/dead.txt"
assert_contains "$(cat "$T/dead.txt")" "554"
DEAD=$(psql_q "SELECT min(id) FROM outbox WHERE state = 'dead'")
"$TICKETCTL" outbox show --json "$DEAD" >"$T/show.json"
assert_eq "$(json_get "$T/show.json" 'd["state"]')" "dead"
"$TICKETCTL" outbox show "$DEAD" --raw >"$T/raw.eml"
assert_contains "$(cat "$T/raw.eml")" "Message-ID: <$(json_get "$T/show.json" 'd["message_id"]')>"
expect_rc 1 "$TICKETCTL" outbox show nonsense
"$TICKETCTL" outbox list --state all --json >"$T/all.json"
assert_eq "$(json_get "$T/all.json" 'len(d)')" "$(psql_q "SELECT count(*) FROM outbox")" "list --json"
assert_eq "$(json_get "$T/all.json" 'sorted(set(x["state"] for x in d))')" '["dead", "sent"]'
expect_rc 1 "$TICKETCTL" outbox frobnicate
rm -f "$SINK/reject-5xx"
before=$(ls "$SINK"/*.eml | wc -l)
expect_rc 0 "$TICKETCTL" outbox retry --all
assert_contains "$OUT" "requeued: 2"
wait_sql 20 "SELECT count(*) FROM outbox WHERE state <> 'sent'" 0
assert_eq "$(ls "$SINK"/*.eml | wc -l)" "$((before + 2))" "the retried mails went out"
expect_rc 1 "$TICKETCTL" outbox retry "$DEAD"

# 4. 4xx: retried with backoff until max_attempts (3 after a reload), then dead.
sed -i 's/max_attempts: 100/max_attempts: 3/' "$T/ticketd.yaml"
kill -HUP "$DAEMON_PID"
wait_for 10 "reload" 'grep -q "configuration reloaded" "$DAEMON_LOG"'
touch "$SINK/defer-4xx"
newmail 4
settle
wait_sql 30 "SELECT count(*) FROM outbox WHERE state = 'dead'" 2
assert_eq "$(psql_q "SELECT min(attempts) FROM outbox WHERE state = 'dead'")" "3" "three attempts"
assert_contains "$(psql_q "SELECT last_error FROM outbox WHERE state = 'dead' LIMIT 1")" "451"
rm -f "$SINK/defer-4xx"

# 5. Two daemons on one database share the queue: every mail once.
sed -i 's/max_attempts: 3/max_attempts: 100/' "$T/ticketd.yaml"
kill -HUP "$DAEMON_PID"
"$TICKETD" -c "$T/ticketd.yaml" >>"$T/second.log" 2>&1 &
SECOND=$!
echo "kill -KILL $SECOND" >"$T/second.cleanup"
wait_for 20 "second daemon ready" 'grep -q "ticketd: ready" "$T/second.log"'
before=$(ls "$SINK"/*.eml | wc -l)
psql_q "INSERT INTO outbox (idempotency_key, channel, recipient, message_id, payload)
	SELECT 'two:' || g, 'smtp', 'two' || g || '@customer.example', 'two.' || g || '@example.com',
	convert_to('From: support@example.com' || chr(13) || chr(10) || 'Message-ID: <two.' || g ||
	'@example.com>' || chr(13) || chr(10) || 'Subject: two' || chr(13) || chr(10) || chr(13) ||
	chr(10) || 'body' || chr(13) || chr(10), 'UTF8') FROM generate_series(1, 60) g" >/dev/null
wait_sql 60 "SELECT count(*) FROM outbox WHERE idempotency_key LIKE 'two:%' AND state = 'sent'" 60
sleep 1
assert_eq "$(ls "$SINK"/*.eml | wc -l)" "$((before + 60))" "60 mails, none twice"
assert_eq "$(sent_q 'len(set(x["message_id"] for x in m if x["message_id"].startswith("two.")))')" "60"
note "claims per daemon: $(psql_q "SELECT string_agg(n::text, ' ') FROM (SELECT count(*) AS n FROM outbox WHERE idempotency_key LIKE 'two:%' GROUP BY claimed_by) x")"
kill -TERM "$SECOND"
wait "$SECOND" || fail "second daemon did not stop cleanly"
rm -f "$T/second.cleanup"

daemon_stop
echo "ok"
