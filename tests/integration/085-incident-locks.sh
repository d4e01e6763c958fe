#!/bin/sh
# Alert processing locks per identity, not globally (incident_lock.h):
# 1. While a ticket of identity A is locked elsewhere (an admin's
#    transaction holds its row), a worker waiting on A holds up nobody
#    else: identity B is opened, acknowledged and resolved meanwhile. With
#    one global lock B waited for A's holder (this part fails on that code).
# 2. Two daemons with two workers each and small batches take hot alert
#    groups (3 of 6 identities per group, in random order): no deadlock,
#    nothing failed, one open incident per identity, and alert_count adds up
#    to the triggers answered 202.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/hooks_common.sh"
. "$(dirname "$0")/multi.sh"
pg_start
for n in 1 2; do
	multi_config $n <<YAML
workers:
  count: 2
  batch: 8
  poll_interval: 50ms
  lease_ttl: 30s
http:
  listen: 127.0.0.1:0
  per_address_limit: 0
  sources:
    - name: am
      type: alertmanager
YAML
done
multi_start 1
URL1=http://127.0.0.1:$(multi_port 1)
am() { # am STATUS FINGERPRINT: one alert
	post_str /v1/alertmanager "{\"version\":\"4\",\"status\":\"$1\",\"receiver\":\"t\",\"groupKey\":\"{}:{}\",\"alerts\":[{\"status\":\"$1\",\"fingerprint\":\"$2\",\"labels\":{\"alertname\":\"$2\",\"severity\":\"warning\"},\"annotations\":{\"summary\":\"alert $2\"}}]}"
	expect_code 202 "$1 $2"
}
URL=$URL1

# 1. A's ticket locked by another transaction; B goes on.
am firing A
drain
"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$TICKETD_DSN" -c "BEGIN" \
	-c "SELECT id FROM tickets WHERE alert_key = 'am:A' FOR UPDATE" \
	-c "SELECT pg_sleep(120)" >"$T/holder.out" 2>&1 &
HOLDER=$!
echo "kill $HOLDER" >"$T/holder.cleanup"
wait_sql 20 "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()" 1
am firing A
wait_for 30 "a worker waits on A's row" '[ "$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = '"'Lock'"' AND query LIKE '"'%UPDATE tickets%'"'")" -ge 1 ]'
am firing B
wait_sql 30 "SELECT count(*) FROM tickets WHERE alert_key = 'am:B' AND status = 'new'" 1
am resolved B
wait_sql 30 "SELECT status FROM tickets WHERE alert_key = 'am:B'" resolved
assert_eq "$(psql_q "SELECT alert_count FROM tickets WHERE alert_key = 'am:A'")" 1 "A waits while its row is held"
psql_q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$HOLDER" 2>/dev/null || true
rm -f "$T/holder.cleanup"
drain
assert_eq "$(psql_q "SELECT alert_count FROM tickets WHERE alert_key = 'am:A'")" 2 "A bumped once its row was free"

# 2. Hot identities, two daemons, batches that take them in every order.
multi_start 2
URL2=http://127.0.0.1:$(multi_port 2)
/usr/bin/python3 "$top_srcdir/tests/integration/post_alerts.py" "$T/posted" "$URL1,$URL2" 6 8 600 3 90 >"$T/post.out" \
	|| fail "posting failed: $(cat "$T/post.out")"
note "hot alerts: $(cat "$T/post.out")"
[ -s "$T/posted.err" ] && fail "requests not answered 202: $(head -n 3 "$T/posted.err")"
wait_sql 120 "SELECT count(*) FROM inbound WHERE state = 'pending'" 0
assert_eq "$(count "inbound WHERE state = 'failed'")" 0 "no item failed"
multi_logs_lack "deadlock"
assert_eq "$(psql_q "SELECT count(*) FROM tickets WHERE alert_key LIKE 'am:hot-%' AND status NOT IN ('resolved', 'closed')")" 6 "one open incident per identity"
for k in 0 1 2 3 4 5; do
	want=$(cut -d' ' -f2 "$T/posted" | tr ',' '\n' | grep -cx "hot-$k" || true)
	got=$(psql_q "SELECT alert_count FROM tickets WHERE alert_key = 'am:hot-$k'")
	assert_eq "$got" "$want" "alert_count of hot-$k is its triggers answered 202"
done
note "deferred items: $(cat "$T"/d*.log | grep -c "deferred: another transaction" || true)"
multi_stop 1
multi_stop 2
