#!/bin/sh
# Migrations on an empty database, then again (idempotent); two concurrent
# runs do not race (the advisory lock serialises them).
. "$(dirname "$0")/common.sh"
pg_start
NMIG=$(ls "$top_srcdir"/src/sql/*.sql | wc -l | tr -d ' ')
"$TICKETCTL" migrate >"$T/m1" || fail "first migrate failed"
assert_eq "$(cat "$T/m1")" "migrations applied: $NMIG" "first run"
assert_eq "$(psql_q "SELECT version || ':' || name FROM schema_migrations ORDER BY version LIMIT 1")" "1:001-initial"
assert_eq "$(psql_q "SELECT string_agg(name || '.sql', ' ' ORDER BY version) FROM schema_migrations")" \
	"$(cd "$top_srcdir/src/sql" && ls *.sql | sort | tr '\n' ' ' | sed 's/ $//')" "every file recorded"
for table in tenants sources agents agent_skills queues tickets messages attachments blobs \
	ticket_events inbound outbox mailbox_leases mailbox_state ticket_participants; do
	assert_eq "$(psql_q "SELECT to_regclass('public.$table') IS NOT NULL")" "t" "table $table"
done
# The large columns are LZ4-compressed (Debian's PostgreSQL has LZ4), and
# a stored value really is.
assert_eq "$(psql_q "SELECT string_agg(attrelid::regclass || '.' || attname || '=' || attcompression::text, ' '
	ORDER BY attrelid::regclass::text, attname) FROM pg_attribute
	WHERE (attrelid, attname) IN (('inbound'::regclass, 'raw'), ('messages'::regclass, 'body_text'),
	('messages'::regclass, 'headers'), ('blobs'::regclass, 'data'), ('quarantine'::regclass, 'data'))")" \
	"blobs.data=l inbound.raw=l messages.body_text=l messages.headers=l quarantine.data=l" "lz4 columns"
psql_q "INSERT INTO inbound (source, kind, raw, raw_sha256) VALUES ('t', 'mail', convert_to(repeat('Subject: lz4 ', 1000), 'UTF8'), 'x')" >/dev/null
assert_eq "$(psql_q "SELECT pg_column_compression(raw) FROM inbound")" "lz4" "a staged message is stored with lz4"
psql_q "DELETE FROM inbound" >/dev/null
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
assert_eq "$total" "$NMIG" "exactly one concurrent run applies each migration"
assert_eq "$("$PG_BINDIR/psql" -XAtq "$RACE_DSN" -c "SELECT count(*) FROM schema_migrations")" "$NMIG"

# Numbers merged out of order: a recorded higher version does not hide the
# unapplied lower ones.
as_pg "$PG_BINDIR/createdb" -h "$PGDIR" -p "$PGPORT" -U postgres ooo
OOO_DSN="host=$PGDIR port=$PGPORT dbname=ooo user=postgres"
"$PG_BINDIR/psql" -XAtq "$OOO_DSN" -c "CREATE TABLE schema_migrations (version int PRIMARY KEY,
	name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
	INSERT INTO schema_migrations VALUES (999, '999-later')" >/dev/null
assert_eq "$(TICKETD_DSN=$OOO_DSN "$TICKETCTL" migrate)" "migrations applied: $NMIG" "lower versions applied"

# An unreachable database is a temporary failure (EX_TEMPFAIL).
TICKETD_DSN="host=$T/nowhere port=1 dbname=x user=postgres connect_timeout=2" \
	expect_rc 75 "$TICKETCTL" migrate
echo "ok"
