#!/bin/sh
# A message the daemon dies on uses up its own attempts, never those of the
# items claimed with it. Two small mails and a large one are claimed in one
# batch; the daemon is killed while it works on the large one, twice
# (max_attempts 2). After the first crash each item comes back alone, so
# the small ones are done and only the large one ends failed ("processing
# never finished"). Claimed together again, all three would have failed.
. "$(dirname "$0")/common.sh"
pg_start
cat >"$T/ticketd.yaml" <<YAML
database: { dsn: "$TICKETD_DSN" }
log: { level: debug }
workers: { count: 1, poll_interval: 100ms, lease_ttl: 100ms, max_attempts: 2 }
shutdown_timeout: 10s
mailboxes: [ { name: pipe, type: pipe } ]
scan: { signatures: "$T/clamav" }
YAML
make_sigdb "$T/clamav"
export TICKETD_CONFIG=$T/ticketd.yaml
"$TICKETCTL" migrate >/dev/null
for i in 1 2; do
	printf 'From: small%s@customer.example\nSubject: small %s\nMessage-ID: <small%s@t>\n\nHello.\n' "$i" "$i" "$i" |
		"$TICKETCTL" ingest --mailbox pipe - || fail "ingest small $i"
done
/usr/bin/python3 "$top_srcdir/tests/integration/mkmail.py" random "$T/big.eml" 11 || fail "mkmail"
"$TICKETCTL" ingest --mailbox pipe "$T/big.eml" || fail "ingest big"
big=$(psql_q "SELECT max(id) FROM inbound")

crash_on_big() { # N: kill -9 while the worker processes the large item for the Nth time
	daemon_start
	line="worker: inbound $big (.* bytes, attempt $1): processing"
	wait_for 60 "processing the large item (attempt $1)" 'grep -q "$line" "$DAEMON_LOG"'
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	DAEMON_PID=
}
crash_on_big 1
assert_eq "$(psql_q "SELECT string_agg(state || attempts, ',' ORDER BY id) FROM inbound")" "pending1,pending1,pending1" \
	"the crash left the batch pending with one attempt each"
crash_on_big 2
daemon_start
wait_sql 30 "SELECT count(*) FROM inbound WHERE state <> 'pending'" 3
assert_eq "$(psql_q "SELECT string_agg(state, ',' ORDER BY id) FROM inbound")" "done,done,failed" \
	"only the large item failed: $(psql_q "SELECT string_agg(id || ':' || state || ':' || attempts || ':' || coalesce(last_error, ''), ' ') FROM inbound")"
assert_contains "$(psql_q "SELECT last_error FROM inbound WHERE id = $big")" "processing never finished"
assert_eq "$(psql_q "SELECT count(*) FROM tickets")" "2"
daemon_stop
echo "ok"
