#!/bin/sh
# workers.sh: the workers alone. How fast staged alerts become incidents,
# with 1 and 2 daemons and 2 and 4 workers, beside PostgreSQL's own limit
# measured in the same run (pgbench, 4 clients, the anchors' transaction:
# one ~2 KB ticket row and one ~4 KB message row).
#
# Nothing is posted over HTTP here: N Alertmanager items (one alert each,
# as bench/http/post.lua sends them) are staged straight into the inbound
# table with the daemons stopped, then the daemons are started and the
# drain is timed from the first item done to the last. Two mixes:
#   new       every item a new identity: opens an incident (ticket, message,
#             member alert, event)
#   repeated  items spread over POOL (200) identities whose incidents are
#             open: bumps the incident (the one-round-trip hot path)
# PostgreSQL runs with fsync on and synchronous_commit on, like run.sh.
#
# usage: bench/http/workers.sh [N] (default 20000); from a built tree, as
# root; ANCHORS=path/to/anchors.sh (default ../shared/bench/anchors.sh)
# adds PostgreSQL's pgbench figures before and after; RUNS="1:2 2:2" picks
# the daemons:workers runs (default 1:2 1:4 2:2 2:1). Loopback only,
# bounded by N.
set -eu
N=${1:-20000}
POOL=${POOL:-200}
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
top_builddir=${top_builddir:-$top_srcdir}
export top_srcdir top_builddir
ANCHORS=${ANCHORS:-$top_srcdir/../shared/bench/anchors.sh}
[ -f "$ANCHORS" ] || [ ! -f "$top_srcdir/../../shared/bench/anchors.sh" ] ||
	ANCHORS=$top_srcdir/../../shared/bench/anchors.sh   # a worktree under wt/
. "$top_srcdir/tests/integration/common.sh"
. "$top_srcdir/tests/integration/multi.sh"
PG_FSYNC=on
PG_OPTS="-c synchronous_commit=on -c shared_buffers=256MB"
pg_start
MULTI_LOG=info

anchors() {
	if [ -x "$ANCHORS" ] || [ -f "$ANCHORS" ]; then
		bash "$ANCHORS" 10 2>/dev/null | grep pgbench || echo "(anchors.sh failed)"
	else
		echo "(no anchors.sh at $ANCHORS)"
	fi
}

configs() { # configs WORKERS: d1.yaml and d2.yaml
	for d in 1 2; do
		multi_config $d <<YAML
workers:
  count: $1
  batch: 200
  poll_interval: 50ms
http:
  listen: 127.0.0.1:0
  sources:
    - name: am
      type: alertmanager
YAML
	done
}

# stage PREFIX COUNT MODULO: COUNT alert items; identity PREFIX-(i % MODULO), or PREFIX-i when MODULO is 0.
stage() {
	psql_q "INSERT INTO inbound (source, kind, raw, raw_sha256, meta)
	SELECT 'am', 'alert', convert_to(format('{\"version\":\"4\",\"status\":\"firing\",\"receiver\":\"bench\",\"groupKey\":\"{}:{alertname=\\\"Bench\\\"}\",\"alerts\":[{\"status\":\"firing\",\"fingerprint\":\"%s\",\"labels\":{\"alertname\":\"Bench\",\"severity\":\"warning\",\"instance\":\"%s\"},\"annotations\":{\"summary\":\"bench alert %s\"},\"startsAt\":\"2026-11-23T10:00:00Z\",\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"\"}]}', id, id, id), 'UTF8'),
	       md5(id), '{\"endpoint\": \"alertmanager\"}'
	FROM (SELECT '$1-' || CASE WHEN $3 = 0 THEN g ELSE g % $3 END AS id FROM generate_series(1, $2) g) s" >/dev/null
}

pending() { psql_q "SELECT count(*) FROM inbound WHERE state = 'pending'"; }

# drain_timed DAEMONS: start them, time the drain, stop them; prints items/s.
drain_timed() {
	todo=$(pending)
	for d in $(seq 1 "$1"); do multi_start "$d"; done
	t0=
	while :; do
		p=$(pending)
		now=$(date +%s.%N)
		[ -z "$t0" ] && [ "$p" -lt "$todo" ] && { t0=$now; p0=$p; }
		[ "$p" -eq 0 ] && break
		sleep 0.2
	done
	for d in $(seq 1 "$1"); do multi_stop "$d"; done
	failed=$(psql_q "SELECT count(*) FROM inbound WHERE state = 'failed'")
	[ "$failed" = 0 ] || echo "($failed items failed)"
	awk -v n="$p0" -v a="$t0" -v b="$now" 'BEGIN { printf "%d", n / (b - a) }'
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); N=$N per mix, pool $POOL"
anchors
configs 2
TICKETD_CONFIG=$T/d1.yaml "$TICKETCTL" migrate >/dev/null 2>&1
stage pool "$POOL" "$POOL"
drain_timed 1 >/dev/null
# RUNS: daemons:workers pairs
for run in ${RUNS:-1:2 1:4 2:2 2:1}; do
	set -- $(echo "$run" | tr ':' ' ')
	configs "$2"
	stage "new-$1x$2" "$N" 0
	new=$(drain_timed "$1")
	stage pool "$N" "$POOL"
	rep=$(drain_timed "$1")
	echo "daemons=$1 workers_each=$2 new=${new}/s repeated=${rep}/s load=$(cut -d' ' -f1 /proc/loadavg)"
done
assert_eq "$(psql_q "SELECT count(*) FROM tickets WHERE alert_key LIKE 'am:pool-%' AND status = 'new'")" "$POOL" "one open incident per pool identity"
assert_eq "$(psql_q "SELECT sum(alert_count) FROM tickets WHERE alert_key LIKE 'am:pool-%'")" "$((POOL + $(echo ${RUNS:-1:2 1:4 2:2 2:1} | wc -w) * N))" "every repeat counted once"
anchors
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
