#!/bin/sh
# bench/search/run.sh: `ticketctl search` on a million messages.
#
#   bench/search/run.sh [MESSAGES] [ROUNDS]       (defaults 1000000 and 5)
#
# Fills a private PostgreSQL 15 cluster (stock settings, fsync on) through
# ticketd's own migrations with MESSAGES messages on MESSAGES/10 tickets:
# each text is 4 of 20,000 generated sentences of 20 words (5,000 words
# drawn with a skew, so some are in most messages and most are rare, ~600
# bytes), with probe words planted at known rates. Then it adds the stored
# words and the GIN index of migration 012 as the migration does on a full
# database (migration_012_s: a rewrite of the table, then the index) and
# times `ticketctl search` end to end (process start, connection, query,
# output) for each probe, ROUNDS times, and prints the median:
#   load_s, migration_012_s, table_mb (with the words), index_mb
#   search_rare_ms     "kerberos": 0.01% of the messages
#   search_medium_ms   "printer": 1%
#   search_common_ms   "toner": 10%
#   search_phrase_ms   '"printer toner"': 0.1%
#   search_none_ms     a word in no message
#   scan_ilike_ms      the same rare word by a sequential ILIKE scan (no index)
# Needs a built tree (make); TICKETCTL=PATH times another build of ticketctl
# (one configured without --enable-sanitizers starts 5-10 times faster).
set -eu
N=${1:-1000000}
ROUNDS=${2:-5}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CTL=${TICKETCTL:-$TOP/src/ticketctl}
PG_BINDIR=$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)
W=$(mktemp -d /tmp/ticketd-bench-search.XXXXXX)
chmod 755 "$W"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
	as_pg "$PG_BINDIR/pg_ctl" -D "$W/pg" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

mkdir -p "$W/pg" "$W/sock"
[ "$(id -u)" = 0 ] && chown postgres "$W/pg" "$W/sock"
as_pg "$PG_BINDIR/initdb" -D "$W/pg" -U postgres --auth=trust >/dev/null
as_pg "$PG_BINDIR/pg_ctl" -D "$W/pg" -l "$W/sock/pg.log" -w \
	-o "-c listen_addresses='' -k $W/sock -p $PORT" start >/dev/null
as_pg "$PG_BINDIR/createdb" -h "$W/sock" -p "$PORT" -U postgres ticketd
TICKETD_DSN="host=$W/sock port=$PORT dbname=ticketd user=postgres"
export TICKETD_DSN
unset TICKETD_CONFIG
psql() { "$PG_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$TICKETD_DSN" "$@"; }
"$CTL" migrate >/dev/null 2>&1

ms() { python3 -c 'import time; print(int(time.monotonic() * 1000))'; }

# Load without the column of migration 012, then add it as the migration
# does on a full database (a rewrite of the table, then the index).
psql <<SQL
ALTER TABLE messages DROP COLUMN search;
INSERT INTO tenants (name) VALUES ('default') ON CONFLICT DO NOTHING;
SQL
# 20,000 sentences of 20 skewed words each (Python is faster than SQL here).
python3 - "$W/sentences.tsv" <<'PY'
import random, sys
random.seed(42)
words = ['w%d%s' % (i, chr(97 + i % 26)) for i in range(5000)]
with open(sys.argv[1], 'w') as f:
    for s in range(20000):
        f.write('%d\t%s.\n' % (s, ' '.join(words[int(random.random() ** 3 * 5000)] for _ in range(20))))
PY
t0=$(ms)
psql <<SQL
CREATE TABLE bench_sentences (s int PRIMARY KEY, t text);
\copy bench_sentences FROM '$W/sentences.tsv'
INSERT INTO tickets (tenant_id, number, subject, status)
  SELECT (SELECT id FROM tenants WHERE name = 'default'), 1000 + g, 'Ticket ' || g, 'open'
  FROM generate_series(1, $N / 10) g;
INSERT INTO messages (ticket_id, direction, subject, body_text)
  SELECT t.id, 'in', 'Message ' || g,
         (SELECT t FROM bench_sentences WHERE s = (g::bigint * 7919) % 20000) || ' ' ||
         (SELECT t FROM bench_sentences WHERE s = (g::bigint * 104729 + 1) % 20000) || ' ' ||
         CASE WHEN g % 10000 = 7 THEN 'kerberos ' ELSE '' END ||
         CASE WHEN g % 1000 = 3 THEN 'printer toner ' WHEN g % 100 = 3 THEN 'printer '
              WHEN g % 10 = 5 THEN 'toner ' ELSE '' END ||
         (SELECT t FROM bench_sentences WHERE s = (g::bigint * 15485863 + 2) % 20000) || ' ' ||
         (SELECT t FROM bench_sentences WHERE s = (g::bigint * 32452843 + 3) % 20000)
  FROM generate_series(1, $N) g
  JOIN tickets t ON t.number = 1000 + 1 + (g - 1) / 10;
SQL
t1=$(ms)
echo "load_s $(( (t1 - t0) / 1000 ))"
t0=$(ms)
sed -n '/^ALTER TABLE messages/,/^CREATE INDEX messages_search/p' "$TOP/src/sql/012-search-merge.sql" |
	psql
t1=$(ms)
psql -c "VACUUM ANALYZE messages" -c "VACUUM ANALYZE tickets"
echo "migration_012_s $(awk "BEGIN {printf \"%.1f\", ($t1 - $t0) / 1000}")"
echo "table_mb $(psql -c "SELECT pg_total_relation_size('messages') / 1048576 - pg_relation_size('messages_search') / 1048576")"
echo "index_mb $(psql -c "SELECT pg_relation_size('messages_search') / 1048576")"
echo "messages $(psql -c "SELECT count(*) FROM messages")"

# median of ROUNDS wall-clock runs of a command, in ms
median() {
	for r in $(seq "$ROUNDS"); do
		a=$(ms); "$@" >"$W/out" 2>&1 || { cat "$W/out" >&2; exit 1; }; b=$(ms)
		echo $((b - a))
	done | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}
"$CTL" search kerberos >/dev/null   # warm the cache once
echo "search_rare_ms $(median "$CTL" search kerberos)"
tail -n 1 "$W/out"
echo "search_medium_ms $(median "$CTL" search printer)"
tail -n 1 "$W/out"
echo "search_common_ms $(median "$CTL" search toner)"
tail -n 1 "$W/out"
echo "search_phrase_ms $(median "$CTL" search '"printer toner"')"
tail -n 1 "$W/out"
echo "search_none_ms $(median "$CTL" search nosuchwordanywhere)"
echo "scan_ilike_ms $(median psql -c "SELECT count(*) FROM messages WHERE body_text ILIKE '%kerberos%'")"
