#!/bin/sh
# A slow batch never livelocks the workers. Six large messages and a small
# one are staged; two workers run with a lease (100 ms) far shorter than it
# takes to fetch and process the large ones. The claim returns no raw bytes
# and the rows are locked before they are fetched, so no worker takes
# another's items: every item, the small one included, ends done exactly
# once (one message row each, no failure, no attempt lost to a re-claim),
# the stall is logged while it lasts, and a shutdown fails nothing.
. "$(dirname "$0")/common.sh"
pg_start
cat >"$T/ticketd.yaml" <<YAML
database: { dsn: "$TICKETD_DSN" }
log: { level: debug }
workers: { count: 2, poll_interval: 100ms, lease_ttl: 100ms, max_attempts: 3 }
shutdown_timeout: 10s
mailboxes: [ { name: pipe, type: pipe } ]
scan: { enabled: false }
YAML
export TICKETD_CONFIG=$T/ticketd.yaml
"$TICKETCTL" migrate >/dev/null

for i in 1 2 3 4 5 6; do
	/usr/bin/python3 "$top_srcdir/tests/integration/mkmail.py" random "$T/big$i.eml" 9 || fail "mkmail"
	"$TICKETCTL" ingest --mailbox pipe "$T/big$i.eml" || fail "ingest big$i"
	rm -f "$T/big$i.eml"
done
printf 'From: small@customer.example\nSubject: small\nMessage-ID: <small@customer.example>\n\nA small one.\n' >"$T/small.eml"
"$TICKETCTL" ingest --mailbox pipe "$T/small.eml" || fail "ingest small"
note "staged $(psql_q "SELECT count(*) || ' items, ' || sum(length(raw)) || ' bytes' FROM inbound")"

daemon_start
wait_sql 120 "SELECT count(*) FROM inbound WHERE state <> 'pending'" 7
assert_eq "$(psql_q "SELECT string_agg(state, ',') FROM (SELECT DISTINCT state FROM inbound) s")" "done" \
	"every item done: $(psql_q "SELECT string_agg(id || ':' || state || ':' || attempts || ':' || coalesce(last_error, ''), ' ') FROM inbound")"
assert_eq "$(psql_q "SELECT count(*) || '/' || count(DISTINCT inbound_id) FROM messages")" "7/7" \
	"one message row per item"
assert_eq "$(psql_q "SELECT count(*) FROM tickets")" "7"
assert_eq "$(psql_q "SELECT state || ' ' || (ticket_id IS NOT NULL) FROM inbound WHERE message_id IS NULL
	AND id = (SELECT max(id) FROM inbound)")" "done true" "the small mail"
# One attempt each; at most one more if a thread was descheduled for the
# whole lease between its claim and its lock (the item is then processed
# once, by the other claim).
assert_eq "$(psql_q "SELECT count(*) FROM inbound WHERE attempts > 2")" "0" "attempts: $(psql_q "SELECT string_agg(attempts::text, ',') FROM inbound")"
grep -q "worker [01]: stalled: a batch of .* longer than workers.lease_ttl (0.1 s)" "$DAEMON_LOG" ||
	fail "the stall was not logged"
daemon_stop
assert_eq "$DAEMON_RC" "0" "clean exit"
assert_eq "$(psql_q "SELECT count(*) FROM inbound WHERE state <> 'done'")" "0" "nothing failed at shutdown"
echo "ok"
