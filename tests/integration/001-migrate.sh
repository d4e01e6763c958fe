#!/bin/sh
# Migrations on an empty database, then again (idempotent); two concurrent
# runs do not race (the advisory lock serialises them).
. "$(dirname "$0")/common.sh"
pg_start
# Every src/sql file is one migration.
NMIG=$(ls "$top_srcdir"/src/sql/*.sql | wc -l)

"$TICKETCTL" migrate >"$T/m1" || fail "first migrate failed"
assert_eq "$(cat "$T/m1")" "migrations applied: $NMIG" "first run"
assert_eq "$(psql_q "SELECT version || ':' || name FROM schema_migrations ORDER BY version LIMIT 1")" \
	"1:001-initial"
for table in tenants sources agents agent_skills queues tickets messages attachments blobs \
	ticket_events inbound outbox mailbox_leases mailbox_state ticket_participants; do
	assert_eq "$(psql_q "SELECT to_regclass('public.$table') IS NOT NULL")" "t" "table $table"
done
"$TICKETCTL" migrate >"$T/m2" || fail "second migrate failed"
assert_eq "$(cat "$T/m2")" "migrations applied: 0" "second run is a no-op"
assert_eq "$(psql_q "SELECT count(*) FROM schema_migrations")" "$NMIG"

# A fresh database, migrated by four processes at once.
as_pg "$PG_BINDIR/createdb" -h "$PGDIR" -p "$PGPORT" -U postgres race
RACE_DSN="host=$PGDIR port=$PGPORT dbname=race user=postgres"
for i in 1 2 3 4; do TICKETD_DSN=$RACE_DSN "$TICKETCTL" migrate >"$T/race$i" 2>&1 & done
wait
total=0
for i in 1 2 3 4; do
	grep -q "migrations applied" "$T/race$i" || fail "concurrent migrate $i failed: $(cat "$T/race$i")"
	n=$(sed -n 's/migrations applied: //p' "$T/race$i")
	total=$((total + n))
done
assert_eq "$total" "$NMIG" "exactly one concurrent run applies the migrations"
assert_eq "$("$PG_BINDIR/psql" -XAtq "$RACE_DSN" -c "SELECT count(*) FROM schema_migrations")" "$NMIG"

# An unreachable database is a temporary failure (EX_TEMPFAIL).
TICKETD_DSN="host=$T/nowhere port=1 dbname=x user=postgres connect_timeout=2" \
	expect_rc 75 "$TICKETCTL" migrate
echo "ok"
