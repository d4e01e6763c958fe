#!/bin/sh
# A message that cannot be processed stays in the inbound stage with a
# typed reason and its error; everything behind it goes on; ticketctl
# inbound list/show/retry let an admin see and replay it.
. "$(dirname "$0")/common.sh"
pg_start
cat >"$T/ticketd.yaml" <<YAML
# Unprepared statements here (the PgBouncer < 1.21 setting); the other tests prepare.
database: { dsn: "$TICKETD_DSN", prepared_statements: false }
log: { level: debug }
workers: { count: 1, poll_interval: 100ms, lease_ttl: 2s, max_attempts: 2 }
shutdown_timeout: 5s
mailboxes: [ { name: pipe, type: pipe } ]
scan: { enabled: false }
YAML
export TICKETD_CONFIG=$T/ticketd.yaml
"$TICKETD" -t -c "$T/ticketd.yaml" >/dev/null || fail "test config invalid: $("$TICKETD" -t -c "$T/ticketd.yaml" 2>&1)"
"$TICKETCTL" migrate >/dev/null

# A poison item: an alert payload that is not JSON; and an empty mail
# (staged by an older ticketctl, or a webhook). Both can never succeed:
# failed at once, after one attempt, with their reason (not retried
# max_attempts times with backoff).
psql_q "INSERT INTO inbound (source, kind, raw, raw_sha256) VALUES ('pipe', 'alert', 'not json {', 'x')" >/dev/null
psql_q "INSERT INTO inbound (source, kind, raw, raw_sha256, message_id) VALUES ('pipe', 'mail', '', 'x', 'empty')" >/dev/null
for i in 1 2 3; do
	printf 'From: u%s@example.org\nSubject: fine %s\nMessage-ID: <fine%s@t>\n\nok\n' "$i" "$i" "$i" |
		"$TICKETCTL" ingest --mailbox pipe - || fail "ingest $i"
done
daemon_start
wait_sql 10 "SELECT count(*) FROM tickets" 3
wait_sql 15 "SELECT state FROM inbound WHERE kind = 'alert'" failed
assert_eq "$(psql_q "SELECT attempts || '|' || error_kind || '|' || (last_error IS NOT NULL) FROM inbound WHERE kind = 'alert'")" \
	"1|parse|true" "poison item failed at its first attempt"
wait_sql 10 "SELECT state || '|' || attempts || '|' || error_kind || '|' || last_error FROM inbound WHERE message_id = 'empty'" \
	"failed|1|parse|mime: empty message"
grep -q "inbound $(psql_q "SELECT id FROM inbound WHERE message_id = 'empty'") failed for good (parse error, not retried)" "$DAEMON_LOG" ||
	fail "the permanent failure is not logged as such"
id=$(psql_q "SELECT id FROM inbound WHERE kind = 'alert'")
"$TICKETCTL" inbound list >"$T/list"
assert_contains "$(cat "$T/list")" "failed"
"$TICKETCTL" inbound list --json >"$T/list.json"
assert_contains "$(cat "$T/list.json")" "\"id\":$id"
"$TICKETCTL" inbound show --json "$id" >"$T/show"
assert_contains "$(cat "$T/show")" '"state":"failed"'
assert_eq "$("$TICKETCTL" inbound show "$id" --raw)" "not json {" "raw bytes kept"
expect_rc 0 "$TICKETCTL" inbound retry "$id"
assert_contains "$OUT" "requeued: 1"
wait_for 15 "the retried item failed again" '[ "$(grep -c "inbound $id failed for good" "$DAEMON_LOG")" = 2 ]'
assert_eq "$(psql_q "SELECT state || attempts FROM inbound WHERE kind = 'alert'")" failed1
expect_rc 1 "$TICKETCTL" inbound retry 999999
expect_rc 1 "$TICKETCTL" inbound retry abc
daemon_stop
echo "ok"
