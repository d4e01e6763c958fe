#!/bin/sh
# bench/sla/escalator.sh: the SLA escalator with many open tickets.
#
#   bench/sla/escalator.sh [OPEN_TICKETS] [PROBES]      (defaults 10000 and 200)
#
# Fills a private PostgreSQL 15 cluster (stock settings, fsync on) with
# OPEN_TICKETS open tickets whose due times are spread over the next week
# (policy "bench": 7 days, 24x7, no warnings, so each has one step ahead),
# plus PROBES tickets whose breach comes due 5 to 25 s after the daemon
# starts. Then it runs ticketd and reports:
#   lag_p50_s / lag_p99_s / lag_max_s  between each probe's due time and the
#                                      escalator's noticing it (sla_steps.late_s)
#   idle_pass_ms                       one escalator pass when nothing is due
#                                      (bench_escalate, 200 passes)
#   drained ... tickets/s              the first look at NEW (10000) new tickets
#                                      (policy, due times, next step), in batches
#   self_check_s                       the self-check's queries
#   daemon_rss_kb                      the daemon's peak RSS (VmHWM)
# Needs a built tree (make) and `make bench/sla/bench_escalate`.
set -eu
N=${1:-10000}
PROBES=${2:-200}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
PG_BINDIR=$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)
W=$(mktemp -d /tmp/ticketd-bench-sla.XXXXXX)
chmod 755 "$W"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
	as_pg "$PG_BINDIR/pg_ctl" -D "$W/pg" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT INT TERM
[ -x "$TOP/bench/sla/bench_escalate" ] || make -C "$TOP" bench/sla/bench_escalate >/dev/null

mkdir -p "$W/pg" "$W/sock"
[ "$(id -u)" = 0 ] && chown postgres "$W/pg" "$W/sock"
as_pg "$PG_BINDIR/initdb" -D "$W/pg" -U postgres --auth=trust >/dev/null
as_pg "$PG_BINDIR/pg_ctl" -D "$W/pg" -l "$W/sock/pg.log" -w \
	-o "-c listen_addresses='' -k $W/sock -p $PORT -c max_connections=50" start >/dev/null
DSN="host=$W/sock port=$PORT dbname=postgres user=postgres"
export TICKETD_DSN="$DSN"
cat >"$W/ticketd.yaml" <<YAML
database: { dsn: "$DSN" }
scan: { enabled: false }
log: { level: info }
workers: { count: 1 }
sla:
  warnings: []
  policies:
    - { name: bench, response: 7d, resolution: 7d }
YAML
"$TOP/src/ticketctl" -c "$W/ticketd.yaml" migrate >/dev/null
psql() { "$PG_BINDIR/psql" -XAtq -v ON_ERROR_STOP=1 "$DSN" "$@"; }

# Open tickets as the escalator leaves them after a look: policy applied, the
# next step (the breach, 7 days after creation) on the ticket.
fill() { # FIRST COUNT CREATED_SQL
	psql -c "INSERT INTO tickets (tenant_id, number, subject, status, priority, queue, created_at,
		sla_applied, sla_calendar, sla_response_target_s, sla_resolution_target_s, sla_seen_status,
		response_due_at, resolution_due_at, sla_next_at)
	SELECT 1, g, 'bench ticket ' || g, 'new', 'medium', 'support', c, 'bench', '24x7', 604800,
		604800, 'new', c + interval '7 days', c + interval '7 days', c + interval '7 days'
	FROM generate_series($1, $1 + $2 - 1) g, LATERAL (SELECT $3 AS c) x"
}
t0=$(date +%s)
fill 1 "$N" "now() - random() * interval '7 days' + interval '1 hour'"
psql -c "VACUUM ANALYZE tickets"
echo "filled $N open tickets in $(( $(date +%s) - t0 )) s"

# idle costs: nothing is due
"$TOP/bench/sla/bench_escalate" "$W/ticketd.yaml" 200 | tee "$W/idle.txt"

# the first look at new tickets (what the trigger asks for each ticket created)
psql -c "INSERT INTO tickets (tenant_id, number, subject, status, priority, queue)
	SELECT 1, g, 'new ticket ' || g, 'new', 'medium', 'support'
	FROM generate_series($N + 1000001, $N + 1000000 + ${NEW:-10000}) g"
"$TOP/bench/sla/bench_escalate" "$W/ticketd.yaml" drain

# probes: due 5 to 25 s from now, evenly
fill $((N + 1)) "$PROBES" "now() - interval '7 days' + interval '5 seconds' + (g - $N - 1) * (interval '20 seconds' / $PROBES)"
"$TOP/src/ticketd" -c "$W/ticketd.yaml" 2>"$W/ticketd.log" &
PID=$!
end=$(( $(date +%s) + 120 ))
# each probe breaches on both clocks (both targets are 7 days)
until [ "$(psql -c "SELECT count(*) FROM sla_steps WHERE step = 'breach'")" -ge $((2 * PROBES)) ]; do
	[ "$(date +%s)" -lt "$end" ] || { tail "$W/ticketd.log"; echo "probes did not all fire" >&2; exit 1; }
	kill -0 "$PID" || { tail "$W/ticketd.log"; exit 1; }
	sleep 1
done
psql -F ' ' -c "SELECT 'lag_p50_s', round(percentile_cont(0.5) WITHIN GROUP (ORDER BY late_s)::numeric, 3)
	FROM sla_steps UNION ALL SELECT 'lag_p99_s', round(percentile_cont(0.99) WITHIN GROUP (ORDER BY late_s)::numeric, 3)
	FROM sla_steps UNION ALL SELECT 'lag_max_s', round(max(late_s)::numeric, 3) FROM sla_steps"
echo "daemon_rss_kb $(awk '/VmHWM/ {print $2}' /proc/$PID/status)"
echo "breaches_recorded $(psql -c "SELECT count(*) FROM sla_steps WHERE step = 'breach'") (2 per probe, $PROBES probes); open tickets $N"
