#!/bin/sh
# Reports against real PostgreSQL: 400 tickets made in SQL with every
# case a report distinguishes (tenants, queues, priorities, sources,
# categories; open, pending, resolved, closed without a resolution,
# reopened; with and without a policy, business time differing from wall
# time; breaches; ratings; assignments and reassignments), then every
# report in every format (table, CSV, JSON), with tenant, queue and time
# zone filters, checked figure by figure against what report-check.py
# computes from the raw rows itself.
. "$(dirname "$0")/common.sh"
pg_start
write_config </dev/null
export TICKETD_CONFIG=$T/ticketd.yaml
"$TICKETCTL" migrate >/dev/null
BASE=$(( $(date +%s) - 20 * 86400 - 1800 ))
psql_q "
INSERT INTO agents (name, email) VALUES ('alice', 'alice@x.example'), ('bob', 'bob@x.example'), ('carol', 'carol@x.example');
INSERT INTO sources (name, kind) VALUES ('pipe', 'pipe'), ('am', 'alertmanager');
INSERT INTO tenants (name) VALUES ('acme');
INSERT INTO tickets (tenant_id, number, subject, status, priority, category, queue, assignee_id,
    source_id, created_at, first_response_at, resolved_at, closed_at, reopened_at, sla_applied,
    sla_response_target_s, sla_resolution_target_s, response_left_s, resolution_left_s,
    response_breached, resolution_breached, csat_score, csat_at)
SELECT CASE WHEN g % 7 = 0 THEN (SELECT id FROM tenants WHERE name = 'acme') ELSE 1 END, g, 'r' || g,
    CASE WHEN g % 11 = 0 THEN 'closed' WHEN g % 5 = 0 THEN 'open' WHEN g % 5 = 1 THEN 'pending'
         WHEN g % 10 = 3 AND g % 20 = 13 THEN 'reopened' ELSE 'resolved' END,
    (ARRAY['low', 'medium', 'high', 'critical'])[g % 4 + 1],
    (ARRAY['Billing', 'Access', NULL])[g % 3 + 1],
    CASE WHEN g % 2 = 0 THEN 'support' ELSE 'billing' END,
    (SELECT id FROM agents WHERE name = (ARRAY[NULL, 'alice', 'bob', 'carol'])[g % 4 + 1]),
    (SELECT id FROM sources WHERE name = CASE WHEN g % 3 = 0 THEN 'am' ELSE 'pipe' END),
    to_timestamp($BASE + g * 3600),
    CASE WHEN g % 6 <> 0 THEN to_timestamp($BASE + g * 3600 + (g % 3 + 1) * 600) END,
    CASE WHEN g % 11 <> 0 AND g % 5 NOT IN (0, 1) THEN to_timestamp($BASE + g * 3600 + (g % 7 + 1) * 3600) END,
    CASE WHEN g % 11 = 0 THEN to_timestamp($BASE + g * 3600 + 7200) END,
    CASE WHEN g % 10 = 3 THEN to_timestamp($BASE + g * 3600 + 1800) END,
    CASE WHEN g % 2 = 0 THEN 'std' ELSE '' END, 3600, 86400,
    CASE WHEN g % 2 = 0 AND g % 6 <> 0 THEN 3600 - (g % 3 + 1) * 300 WHEN g % 2 = 0 THEN 3000 END,
    CASE WHEN g % 2 = 0 THEN 86400 - (g % 7 + 1) * 1800 END,
    g % 9 = 0, g % 13 = 0,
    CASE WHEN g % 4 = 1 AND g % 11 <> 0 AND g % 5 NOT IN (0, 1) THEN g % 5 + 1 END,
    CASE WHEN g % 4 = 1 AND g % 11 <> 0 AND g % 5 NOT IN (0, 1) THEN to_timestamp($BASE + g * 3600 + 20000) END
FROM generate_series(1, 400) g;
INSERT INTO ticket_events (ticket_id, actor, action, new_value, created_at)
    SELECT t.id, 'assign', 'assignee', a.name, t.created_at + interval '1 minute'
    FROM tickets t JOIN agents a ON a.id = t.assignee_id;
INSERT INTO ticket_events (ticket_id, actor, action, old_value, new_value, created_at)
    SELECT t.id, 'ticketctl:root', 'assignee', 'bob', NULL, t.created_at + interval '2 minutes'
    FROM tickets t WHERE t.number % 8 = 2;
" >/dev/null
assert_eq "$(psql_q "SELECT count(*) FROM tickets")" "400"
FROM=$((BASE + 50 * 3600))
TO=$((BASE + 300 * 3600))
PG_BINDIR=$PG_BINDIR /usr/bin/python3 "$top_srcdir/tests/integration/report-check.py" "$TICKETCTL" "$FROM" "$TO" ||
	fail "a report differs from the figures computed from the rows"
# The defaults (the last 30 days up to now) and the usage errors.
"$TICKETCTL" report agents >"$T/out.txt" || fail "report with defaults"
assert_contains "$(head -n 1 "$T/out.txt")" "Report agents"
expect_rc 1 "$TICKETCTL" report nonsense
expect_rc 1 "$TICKETCTL" report agents --from 2026-03-10 --to 2026-03-01
expect_rc 1 "$TICKETCTL" report volume --tz Mars/Olympus
expect_rc 1 "$TICKETCTL" report agents --format xml
# Each report reads its period through an index, not the whole table.
psql_q "ANALYZE tickets; ANALYZE ticket_events" >/dev/null
for q in \
	"SELECT count(*) FROM tickets t WHERE t.status IN ('resolved', 'closed') AND coalesce(t.resolved_at, t.closed_at) >= now() - interval '1 day' AND coalesce(t.resolved_at, t.closed_at) < now()" \
	"SELECT count(*) FROM tickets t WHERE t.created_at >= now() - interval '1 day' AND t.created_at < now()" \
	"SELECT count(*) FROM tickets t WHERE t.csat_at IS NOT NULL AND t.csat_at >= now() - interval '1 day' AND t.csat_at < now()" \
	"SELECT count(*) FROM ticket_events e WHERE e.action = 'assignee' AND e.created_at >= now() - interval '1 day' AND e.created_at < now()"; do
	plan=$(psql_q "SET enable_seqscan = off; EXPLAIN $q")
	case "$plan" in *"Index"*) ;; *) fail "no index for: $q: $plan" ;; esac
done
echo "ok"
