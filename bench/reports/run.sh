#!/bin/sh
# run.sh: time `ticketctl report` on a private PostgreSQL with N tickets
# spread over two years (status, priority, queue, source, category, agent,
# SLA columns, ratings, one assignment event each), for each report over
# the last 30 days and over the whole two years (median of 3 runs), then
# the same over 30 days without the report indexes of migration 013 (the
# whole-table scans they replace).
#
#   bench/reports/run.sh [N...]        (default: 10000 1000000; as root or
#                                       a user that may run PostgreSQL)
# Needs a built ticketctl (make). Prints one line per figure.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)}
W=$(mktemp -d "${TMPDIR:-/tmp}/ticketd-bench-reports.XXXXXX")
chmod 755 "$W"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() { as_pg "$BIN/pg_ctl" -D "$W/pg" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT
[ "$(id -u)" = 0 ] && chown postgres "$W"
PORT=$(( 30000 + $$ % 20000 ))
as_pg "$BIN/initdb" -D "$W/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$BIN/pg_ctl" -D "$W/pg" -l "$W/pg.log" -w -o "-k $W -p $PORT -c listen_addresses='' -c fsync=off -c shared_buffers=256MB -c max_wal_size=4GB" start >/dev/null
export TICKETD_DSN="host=$W port=$PORT dbname=ticketd user=postgres"
unset TICKETD_CONFIG
Q() { "$BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$TICKETD_DSN" -c "$1"; }
CTL=${TICKETCTL:-$top/src/ticketctl}   # a build without sanitizers for figures

load() { # load N: a fresh database of N tickets
	as_pg "$BIN/dropdb" -h "$W" -p "$PORT" -U postgres --if-exists ticketd
	as_pg "$BIN/createdb" -h "$W" -p "$PORT" -U postgres ticketd
	"$CTL" migrate >/dev/null
	t0=$(date +%s.%N)
	Q "SET session_replication_role = replica;   -- bulk load: no per-row triggers
INSERT INTO agents (name, email) SELECT 'agent' || i, 'agent' || i || '@example.com' FROM generate_series(1, 50) i;
INSERT INTO sources (name, kind) VALUES ('mail', 'pipe'), ('am', 'alertmanager'), ('hook', 'webhook');
INSERT INTO tickets (tenant_id, number, subject, status, priority, category, queue, assignee_id,
    source_id, created_at, first_response_at, resolved_at, closed_at, reopened_at, sla_applied,
    sla_response_target_s, sla_resolution_target_s, response_left_s, resolution_left_s,
    response_breached, resolution_breached, csat_score, csat_at)
SELECT 1, g, 'ticket ' || g,
    CASE WHEN c > now() - interval '10 days' AND g % 3 = 0 THEN (ARRAY['new', 'open', 'pending', 'in_progress'])[g % 4 + 1]
         WHEN g % 17 = 0 THEN 'closed' ELSE 'resolved' END,
    (ARRAY['low', 'medium', 'medium', 'high', 'critical'])[g % 5 + 1],
    (ARRAY['Billing', 'Access', 'Technical Issue', 'Other', NULL])[g % 5 + 1],
    (ARRAY['support', 'billing', 'noc', 'sales'])[g % 4 + 1],
    g % 50 + 1, g % 3 + 1, c, c + (g % 240) * interval '1 minute',
    CASE WHEN g % 17 <> 0 THEN c + (g % 72 + 1) * interval '1 hour' END,
    CASE WHEN g % 17 = 0 THEN c + interval '5 hours' END,
    CASE WHEN g % 23 = 0 THEN c + interval '2 hours' END,
    CASE WHEN g % 2 = 0 THEN 'standard' ELSE '' END, 28800, 259200,
    CASE WHEN g % 2 = 0 THEN 28800 - (g % 240) * 45 END,
    CASE WHEN g % 2 = 0 THEN 259200 - (g % 72) * 2400 END,
    g % 19 = 0, g % 29 = 0,
    CASE WHEN g % 4 = 1 THEN g % 5 + 1 END, CASE WHEN g % 4 = 1 THEN c + interval '3 days' END
FROM (SELECT g, now() - interval '730 days' + g * (interval '730 days' / $1) AS c
      FROM generate_series(1, $1) g) x;
INSERT INTO ticket_events (ticket_id, actor, action, new_value, created_at)
    SELECT id, 'assign', 'assignee', 'agent' || assignee_id, created_at FROM tickets;
ANALYZE;" >/dev/null
	echo "load n=$1 $(echo "$(date +%s.%N) - $t0" | bc) s ($(Q "SELECT pg_size_pretty(pg_database_size('ticketd'))"))"
}

# median of 3 runs of one report, in seconds
timed() {
	for i in 1 2 3; do
		t0=$(date +%s.%N)
		"$CTL" report "$@" --format csv >/dev/null
		echo "$(date +%s.%N) - $t0" | bc
	done | sort -n | sed -n 2p
}

run() { # run N LABEL
	NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	M30=$(date -u -d '30 days ago' +%Y-%m-%dT%H:%M:%SZ)
	ALL=$(date -u -d '731 days ago' +%Y-%m-%dT%H:%M:%SZ)
	for r in agents sla backlog volume csat; do
		echo "report n=$1 $2 $r 30d $(timed "$r" --from "$M30" --to "$NOW") s," \
			"2y $(timed "$r" --from "$ALL" --to "$NOW") s"
	done
}

for n in ${*:-10000 1000000}; do
	load "$n"
	run "$n" indexed
	Q "DROP INDEX tickets_done, tickets_created, tickets_open_age, tickets_csat, ticket_events_assigned; ANALYZE" >/dev/null
	for r in agents sla backlog volume csat; do
		echo "report n=$n without-indexes $r 30d $(timed "$r" --from "$(date -u -d '30 days ago' +%Y-%m-%dT%H:%M:%SZ)" --to "$(date -u +%Y-%m-%dT%H:%M:%SZ)") s"
	done
done
