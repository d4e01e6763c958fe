#!/bin/sh
# Statement preparation (doc/schema.md): parameterised statements are
# prepared once per connection and planned fewer times than they run, while
# the lookups by key arrays and the queue claims (STORE_CUSTOM_PLAN) are
# planned on every call, so a plan made while the tables were empty is
# never kept. Counted by pg_stat_statements with track_planning.
. "$(dirname "$0")/common.sh"
PG_OPTS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on"
pg_start
psql_q "CREATE EXTENSION pg_stat_statements" >/dev/null
write_config <<YAML
mailboxes:
  - name: pipe
    type: pipe
YAML
export TICKETD_CONFIG=$T/ticketd.yaml
daemon_start

# One at a time, so each is a batch of its own: 24 new tickets, then 10
# replies that thread by References.
mail() { # N REFS
	printf 'From: c%s@customer.example\nTo: support@example.com\nSubject: plan %s\nMessage-ID: <plan-%s@customer.example>\n%s\nHello.\n' \
		"$1" "$1" "$1" "${2:+References: <$2>
}" >"$T/m.eml"
	"$TICKETCTL" ingest --mailbox pipe "$T/m.eml" || fail "ingest $1"
	wait_sql 10 "SELECT count(*) FROM inbound WHERE state = 'done'" "$n"
}
n=0
for i in $(seq 1 24); do n=$((n + 1)); mail "$i" ""; done
for i in $(seq 25 34); do n=$((n + 1)); mail "$i" "plan-1@customer.example"; done
assert_eq "$(psql_q "SELECT count(*) FROM tickets")" "24" "replies threaded"
assert_eq "$(psql_q "SELECT count(*) FROM messages WHERE ticket_id = (SELECT ticket_id FROM messages WHERE message_id = 'plan-1@customer.example')")" "11"

stat() { # PREFIX: "calls plans" of the statement that starts so
	psql_q "SELECT sum(calls) || ' ' || sum(plans) FROM pg_stat_statements WHERE query LIKE '$1%'"
}
for q in "/* custom plan */ SELECT ticket_id FROM (SELECT ticket_id, message_id FROM messages" \
	"/* custom plan */ SELECT id, attempts FROM inbound WHERE id = ANY" \
	"/* custom plan */ WITH c AS (SELECT id, attempts, next_attempt_at, octet_length(raw)" \
	"/* custom plan */ SELECT id, raw FROM inbound WHERE id = ANY"; do
	set -- $(stat "$q")
	[ "${1:-0}" -ge 10 ] || fail "too few calls to judge ($*): $q"
	assert_eq "$2" "$1" "planned on every call: $q"
done
set -- $(stat "WITH t AS (INSERT INTO tickets")
[ "${1:-0}" -ge 24 ] || fail "the ticket insert ran ${1:-0} times"
[ "$2" -lt "$1" ] || fail "the ticket insert was planned $2 times in $1 calls: not prepared"
note "ticket insert: $1 calls, $2 plans"
daemon_stop
echo "ok"
