#!/bin/sh
# run.sh: webhook intake benchmark. Starts a private PostgreSQL (fsync ON,
# synchronous_commit on: a 202 means committed to disk) and ticketd on
# 127.0.0.1, then runs wrk (bounded duration, loopback only) against
#   GET /healthz          the HTTP server's own ceiling
#   POST /v1/alertmanager  20% new identities, 80% repeats (post.lua)
#   POST /v2/enqueue       the same mix in PagerDuty Events v2
# and a sustained run at half the measured peak (wrk2-style pacing is not
# available in Debian's wrk, so "half the peak" is reached with fewer
# connections) while sampling ticketd's RSS.
#
# usage: bench/http/run.sh [SECONDS] (default 10); run from a built tree.
set -eu
DUR=${1:-10}
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
top_builddir=${top_builddir:-$top_srcdir}
export top_srcdir top_builddir
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)"; exit 1; }
. "$top_srcdir/tests/integration/common.sh"
HERE=$top_srcdir/bench/http
PORT=$(( 30000 + ($$ % 20000) ))

# The test helper starts PostgreSQL with fsync=off; the benchmark must not.
pg_up() {
	as_pg "$PG_BINDIR/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 30 \
		-o "-c listen_addresses='' -k $PGDIR -p $PGPORT -c fsync=on -c synchronous_commit=on -c max_connections=100 -c shared_buffers=256MB" \
		start >/dev/null
}
# The test harness runs PostgreSQL with fsync off for speed; a benchmark
# measures what a 202 costs on disk.
PG_FSYNC=on
pg_start
make_sigdb "$T/clamav"
cat >"$T/ticketd.yaml" <<YAML
scan: { signatures: "$T/clamav" }
database:
  dsn: "$TICKETD_DSN"
log:
  level: info
workers:
  count: 2
  batch: 200
  poll_interval: 50ms
http:
  listen: 127.0.0.1:$PORT
  threads: ${THREADS:-2}
  committers: ${COMMITTERS:-2}
  per_address_limit: 0     # wrk's connections all come from 127.0.0.1
  sources:
    - name: am
      type: alertmanager
    - name: pd
      type: pagerduty
      routing_key: e93facc04764012d7bfb002500d5d1a6
YAML
daemon_start
rss() { awk '/VmRSS/ {print $2}' "/proc/$DAEMON_PID/status"; }

run() { # run NAME ARGS...
	name=$1; shift
	echo "== $name"
	wrk --latency "$@" | tee "$T/$name.out" | grep -E "Requests/sec|Latency  |99%|Non-2xx|Socket errors"
}
run healthz -t2 -c64 -d"${DUR}s" "http://127.0.0.1:$PORT/healthz"
echo "RSS before load: $(rss) kB"
ENDPOINT=alertmanager run alertmanager -t2 -c${CONNS:-256} -d"${DUR}s" -s "$HERE/post.lua" "http://127.0.0.1:$PORT"
echo "RSS after alertmanager: $(rss) kB"
ENDPOINT=pagerduty run pagerduty -t2 -c${CONNS:-256} -d"${DUR}s" -s "$HERE/post.lua" "http://127.0.0.1:$PORT"
echo "RSS after pagerduty: $(rss) kB"
echo "committed: $(psql_q "SELECT count(*) FROM inbound") inbound rows; group commit: $(curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^ticketd_http_(commits|committed)_total' | tr '\n' ' ')"
# Processing: how fast the workers drain what was accepted (no intake now).
d0=$(psql_q "SELECT count(*) FROM inbound WHERE state <> 'pending'")
sleep 10
d1=$(psql_q "SELECT count(*) FROM inbound WHERE state <> 'pending'")
echo "processing: $(( (d1 - d0) / 10 )) items/s (workers alone); failed: $(psql_q "SELECT count(*) FROM inbound WHERE state = 'failed'")"
# Sustained at half the alertmanager peak, paced with RATE (calibrated by a
# 10 s run: pacing ignores the response time, so the offered rate is scaled
# until the achieved rate is half the peak), RSS sampled every 5 s.
peak=$(awk '/Requests\/sec/ {print int($2)}' "$T/alertmanager.out")
HALF=${HALF:-$((peak / 2))}
RATE=$HALF CONNS=64 ENDPOINT=alertmanager wrk -t2 -c64 -d10s -s "$HERE/post.lua" "http://127.0.0.1:$PORT" >"$T/calib.out"
got=$(awk '/Requests\/sec/ {print int($2)}' "$T/calib.out")
RATE=$(( HALF * HALF / (got > 0 ? got : 1) ))
echo "== sustained at half the peak ($HALF req/s; offered rate $RATE after calibration) for ${SUSTAIN:-60}s"
RATE=$RATE CONNS=64 ENDPOINT=alertmanager wrk --latency -t2 -c64 -d"${SUSTAIN:-60}s" -s "$HERE/post.lua" "http://127.0.0.1:$PORT" >"$T/sustained.out" &
WRK=$!
for i in $(seq 1 $(( ${SUSTAIN:-60} / 5 ))); do sleep 5; echo "t=$((i * 5))s RSS $(rss) kB pending $(psql_q "SELECT count(*) FROM inbound WHERE state = 'pending'")"; done
wait $WRK
grep -E "Requests/sec|Latency  |50%|90%|99%|Non-2xx" "$T/sustained.out"
daemon_stop
