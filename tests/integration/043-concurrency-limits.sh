#!/bin/sh
# Durability and limits: 50 concurrent posts of one new alert (50
# connections, two daemons on one database) make exactly one ticket; the
# first post after PostgreSQL restarted is accepted (the committer retries
# on a new connection); with the database down every post gets 503 +
# Retry-After and nothing is lost once it is back; the per-source rate limit is shared by both daemons (429
# + Retry-After, PagerDuty's shape on /v2/enqueue); flapping alerts are
# tagged instead of being reopened each time.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/hooks_common.sh"
pg_start
cfg() { # cfg FILE PORT
	cat >"$1" <<YAML
database:
  dsn: "$TICKETD_DSN"
log:
  level: info
workers:
  count: 2
  poll_interval: 100ms
shutdown_timeout: 5s
http:
  listen: 127.0.0.1:$2
  threads: 4
  committers: 1                 # one connection: the restart below surely kills it
  sources:
    - name: am
      type: alertmanager
    - name: limited
      type: alertmanager
      rate_limit: { requests: 5, per: 1h }
    - name: burst
      type: alertmanager
      rate_limit: { requests: 10, per: 1h }
    - name: pd
      type: pagerduty
      routing_key: e93facc04764012d7bfb002500d5d1a6
      rate_limit: { requests: 2, per: 1h }
  incidents:
    reopen_window: 1h
    flap_count: 2
    flap_window: 1h
scan: { signatures: "$T/clamav" }
YAML
}
make_sigdb "$T/clamav"
cfg "$T/ticketd.yaml" "$HTTP_PORT"
cfg "$T/second.yaml" 0
root_user "$T/second.yaml"
daemon_start
"$TICKETD" -c "$T/second.yaml" >"$T/second.log" 2>&1 &
PID2=$!
echo "kill -KILL $PID2" >"$T/second.cleanup"
wait_for 60 "second daemon ready" 'grep -q "ticketd: ready" "$T/second.log"'
P2=$(bound_port "$T/second.log")

# 50 concurrent posts of one new alert, spread over both daemons.
cat >"$T/one.json" <<'JSON'
{"version":"4","status":"firing","groupKey":"{}:{}","alerts":[{"status":"firing","fingerprint":"c0ffee0000000001","labels":{"alertname":"Race","severity":"warning"},"annotations":{"summary":"race"}}]}
JSON
cat >"$T/race.py" <<'PY'
import sys, threading, urllib.request
urls, body, path = sys.argv[1:3], open(sys.argv[3], "rb").read(), sys.argv[4]
codes, lock, go = [], threading.Lock(), threading.Barrier(50)
def post(i):
    go.wait()
    req = urllib.request.Request(urls[i % 2] + path, data=body,
                                 headers={"Content-Type": "application/json"})
    try:
        code = urllib.request.urlopen(req, timeout=20).status
    except Exception as e:
        code = getattr(e, "code", str(e))
    with lock:
        codes.append(code)
ts = [threading.Thread(target=post, args=(i,)) for i in range(50)]
[t.start() for t in ts]
[t.join() for t in ts]
print(" ".join("%s:%d" % (c, codes.count(c)) for c in sorted(set(codes), key=str)))
PY
python3 "$T/race.py" "$URL" "http://127.0.0.1:$P2" "$T/one.json" /v1/alertmanager >"$T/race.out"
assert_eq "$(cat "$T/race.out")" "202:50" "all 50 accepted"
drain
assert_eq "$(count "tickets WHERE alert_key = 'am:c0ffee0000000001'")" "1" "exactly one ticket"
assert_eq "$(psql_q "SELECT alert_count FROM tickets WHERE alert_key = 'am:c0ffee0000000001'")" "50" "every post counted"

# 50 concurrent posts (batched together) to a source limited to 10: exactly 10 pass.
python3 "$T/race.py" "$URL" "http://127.0.0.1:$P2" "$T/one.json" "/v1/alertmanager?source=burst" >"$T/burst.out"
assert_eq "$(cat "$T/burst.out")" "202:10 429:40" "a concurrent burst gets exactly the limit"
assert_eq "$(count "inbound WHERE source = 'burst'")" "10"

# Rate limit shared by both daemons: 5 per window for "limited".
codes=""
for i in 1 2 3 4 5 6 7; do
	u=$URL; [ $((i % 2)) = 0 ] && u=http://127.0.0.1:$P2
	c=$(curl_code "$T/resp" -D "$T/hdr" -H 'Content-Type: application/json' \
		--data-binary @"$T/one.json" "$u/v1/alertmanager?source=limited")
	codes="$codes$c "
done
assert_eq "$codes" "202 202 202 202 202 429 429 " "the sixth request of the window is refused"
grep -qi '^retry-after: [1-9]' "$T/hdr" || fail "429 without Retry-After: $(cat "$T/hdr")"
assert_eq "$(json_get "$T/resp" "d['status']")" "error"
assert_eq "$(count "inbound WHERE source = 'limited'")" "5" "refused requests are not stored"
post /v2/enqueue "$PAYLOADS/pagerduty-v2-trigger.json"; expect_code 202 pd1
post /v2/enqueue "$PAYLOADS/pagerduty-v2-trigger.json"; expect_code 202 pd2
post /v2/enqueue "$PAYLOADS/pagerduty-v2-trigger.json"; expect_code 429 "pd over the limit"
assert_eq "$(json_get "$T/resp" "d['status']")" "throttle exceeded" "PagerDuty throttle shape"

# Flapping: with flap_count 2, the third resolve/trigger cycle does not reopen.
res() { sed 's/"firing"/"resolved"/g' "$T/one.json" >"$T/r.json"; post /v1/alertmanager "$T/r.json"; expect_code 202 resolve; drain; }
fire() { post /v1/alertmanager "$T/one.json"; expect_code 202 fire; drain; }
K="alert_key = 'am:c0ffee0000000001'"
res;  assert_eq "$(psql_q "SELECT status FROM tickets WHERE $K")" "resolved"
fire; assert_eq "$(psql_q "SELECT status FROM tickets WHERE $K")" "reopened" "cycle 1 reopens"
res; fire; assert_eq "$(psql_q "SELECT status FROM tickets WHERE $K")" "reopened" "cycle 2 reopens"
res; fire
assert_eq "$(psql_q "SELECT status || ' ' || array_to_string(tags, ',') FROM tickets WHERE $K")" "resolved flapping" "cycle 3: flapping, not reopened"
assert_eq "$(psql_q "SELECT count(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE $K AND action = 'flapping'")" "1"
assert_eq "$(count "tickets WHERE $K")" "1" "still one ticket"

# PostgreSQL restarts between two posts: the committer's connection died
# meanwhile, and it notices only when it uses it. /readyz (a connection of
# its own) says ready, and the very next post is accepted: the committer
# tried again on a new connection instead of answering 503.
pg_down
pg_up
wait_for 60 "readyz after the restart" '[ "$(curl_code /dev/null "$URL/readyz")" = 200 ]'
post /v1/alertmanager "$PAYLOADS/alertmanager-v4-firing.json"
expect_code 202 "the first post after PostgreSQL came back"
grep -q "http: committer 0: the database connection was lost" "$DAEMON_LOG" || fail "the retry is not logged"

# Database down: 503 with Retry-After, nothing lost; back: accepted again.
pg_down
CODE=$(curl_code "$T/resp" -D "$T/hdr" -H 'Content-Type: application/json' \
	--data-binary @"$PAYLOADS/alertmanager-v4-firing.json" "$URL/v1/alertmanager")
expect_code 503 "database down"
grep -qi '^retry-after: 5' "$T/hdr" || fail "503 without Retry-After"
assert_eq "$(json_get "$T/resp" "d['field']")" "database"
pg_up
post /v1/alertmanager "$PAYLOADS/alertmanager-v4-firing.json"
expect_code 202 "accepted as soon as PostgreSQL is back"
drain
assert_eq "$(count "tickets WHERE alert_key = 'am:f404ecabc8dd5cd7'")" "1" "processed after the outage"
kill -TERM "$PID2"; wait "$PID2" || fail "second daemon exit status"
daemon_stop
assert_eq "$DAEMON_RC" "0"
echo "ok"
