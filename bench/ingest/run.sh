#!/bin/sh
# bench/ingest/run.sh: end-to-end mail intake throughput and daemon RSS.
#
#   bench/ingest/run.sh [COUNT] [maildir|pipe|lmtp|both|all]
#   SOAK_TOTAL=1000000 bench/ingest/run.sh 10000 soak   (RSS over a long run)
#
# Generates COUNT messages with ../shared/bench/gen_corpus.py (the corpus the
# Request Tracker comparison uses: 70% new requests, 30% replies, 10% with
# attachments), starts a private PostgreSQL 15 cluster with stock settings
# (fsync on), and measures committed messages per second end to end:
#   maildir: files moved into the Maildir's new/ at once; the clock runs from
#            the daemon seeing them to the last inbound row processed.
#   pipe:    `ticketctl ingest` once per message from 4 parallel feeders
#            (what an MTA does), then the daemon drains the queue.
#   lmtp:    the daemon's LMTP listener, fed by lmtp_feed.py over FEEDERS
#            (default 4) connections as Postfix does (MAIL, RCPT, DATA
#            pipelined, then the message); the clock runs from the first
#            connection to the last inbound row processed.
# both = maildir and pipe; all = maildir, pipe and lmtp.
# RSS of the daemon is sampled every 0.5 s. Needs a built tree (make).
set -eu
COUNT=${1:-20000}
MODE=${2:-both}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
GEN=${GEN:-$TOP/../shared/bench/gen_corpus.py}
PG_BINDIR=$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)
W=$(mktemp -d /tmp/ticketd-bench.XXXXXX)
chmod 755 "$W"
PORT=$(( 30000 + $$ % 20000 ))
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
	as_pg "$PG_BINDIR/pg_ctl" -D "$W/pg" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

mkdir -p "$W/pg" "$W/sock"
[ "$(id -u)" = 0 ] && chown postgres "$W/pg" "$W/sock"
as_pg "$PG_BINDIR/initdb" -D "$W/pg" -U postgres --auth=trust >/dev/null
as_pg "$PG_BINDIR/pg_ctl" -D "$W/pg" -l "$W/sock/pg.log" -w \
	-o "-c listen_addresses='' -k $W/sock -p $PORT -c max_connections=50 ${PGOPTS:-}" start >/dev/null
DSN="host=$W/sock port=$PORT dbname=postgres user=postgres"
export TICKETD_DSN="$DSN"

echo "generating $COUNT messages..."
python3 "$GEN" "$COUNT" 42 "$W/corpus" >/dev/null
ls "$W/corpus/new" "$W/corpus/reply" | grep -c eml >/dev/null
BYTES=$(du -sb "$W/corpus" | cut -f1)

# Scanning on, with a test signature database (no freshclam here);
# SCAN=off measures without it.
mkdir -p "$W/clamav"
printf '44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n' >"$W/clamav/eicar.hdb"
SCAN_ENABLED=true
[ "${SCAN:-on}" = off ] && SCAN_ENABLED=false
cat >"$W/ticketd.yaml" <<YAML
database: { dsn: "$DSN" }
scan: { enabled: $SCAN_ENABLED, signatures: "$W/clamav" }
log: { level: info }
workers: { count: ${WORKERS:-2}, batch: 64, poll_interval: 50ms }
mailboxes:
  - { name: bench, type: maildir, path: "$W/maildir", poll_interval: 100ms }
  - { name: pipe, type: pipe }
  - { name: lmtp, type: lmtp, listen: "$W/lmtp.sock", max_connections: ${FEEDERS:-4} }
YAML
[ "$(id -u)" != 0 ] || echo "user: root" >>"$W/ticketd.yaml" # the daemon refuses root without it
"$TOP/src/ticketctl" -c "$W/ticketd.yaml" migrate >/dev/null
[ -n "${STATEMENTS:-}" ] && "$PG_BINDIR/psql" -XAq "$DSN" -c "CREATE EXTENSION pg_stat_statements" >/dev/null
# For experiments: SQL to run on the fresh schema (e.g. a storage setting).
[ -n "${EXTRA_SQL:-}" ] && "$PG_BINDIR/psql" -XAq "$DSN" -c "$EXTRA_SQL" >/dev/null

rss_sampler() { # PID OUTFILE
	while kill -0 "$1" 2>/dev/null; do
		awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null >>"$2" || true
		sleep 0.5
	done
}

# Wait until every message is processed; stop if the daemon died.
wait_done() { # POLL_SECONDS
	while :; do
		if ! kill -0 "$PID" 2>/dev/null; then
			tail -n 5 "$W"/ticketd*.log >&2
			echo "ticketd died" >&2
			exit 1
		fi
		# Cheap on purpose (indexes only): a scan of inbound every poll would
		# slow down what is measured.
		n=$("$PG_BINDIR/psql" -XAtq "$DSN" -c "SELECT (coalesce((SELECT max(id) FROM inbound), 0)
			>= $COUNT)::int || ' ' || (NOT EXISTS (SELECT 1 FROM inbound WHERE state = 'pending'))::int")
		[ "${n% *}" = 1 ] && [ -z "${T_STAGED:-}" ] && T_STAGED=$(now_ms)
		[ "$n" = "1 1" ] && return 0
		sleep "$1"
	done
}

now_ms() { date +%s%3N; }

# After the clock stops: until every message's search words are stored (the
# idle workers fill them after the commit, migration 017), and the rate
# counting that too.
searchable() { # MODE T0
	while [ "$("$PG_BINDIR/psql" -XAtq "$DSN" -c "SELECT EXISTS (SELECT 1 FROM messages WHERE search IS NULL)")" = t ]; do
		sleep 0.1
	done
	ms=$(( $(now_ms) - $2 ))
	echo "$1: every message searchable after $ms ms = $(( COUNT * 1000 / (ms ? ms : 1) )) msg/s including the search words;" \
		"CPU seconds then: ticketd $(cpu_of "$PID"), postgres $(( $(pg_cpu) - pg0 ))"
}

run_maildir() {
	mkdir -p "$W/maildir/new" "$W/maildir/cur" "$W/maildir/tmp"
	# All files in place before the daemon starts: the clock covers only ticketd.
	python3 -c 'import os,sys
w=sys.argv[1]
for kind in ("new","reply"):
    d=os.path.join(w,"corpus",kind)
    for f in sorted(os.listdir(d)):
        if f.endswith(".eml"): os.rename(os.path.join(d,f), os.path.join(w,"maildir","new",kind+"-"+f))' "$W"
	pg0=$(pg_cpu)
	t0=$(now_ms)
	${PERF:-} "$TOP/src/ticketd" -c "$W/ticketd.yaml" 2>"$W/ticketd.log" &
	PID=$!
	rss_sampler "$PID" "$W/rss.maildir" &
	T_STAGED=
	wait_done 0.1
	t1=$(now_ms)
	echo "maildir: all $COUNT staged after $(( T_STAGED - t0 )) ms"
	echo "maildir: CPU seconds: ticketd $(cpu_of "$PID"), postgres $(( $(pg_cpu) - pg0 ))"
	searchable maildir "$t0"
	if [ -n "${STATEMENTS:-}" ]; then
		"$PG_BINDIR/psql" -XAq "$DSN" -c "SELECT round(total_exec_time) AS exec_ms, round(total_plan_time) AS plan_ms, calls, left(regexp_replace(query, '\s+', ' ', 'g'), 90) FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT 12"
	fi
	kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
	report maildir "$t0" "$t1" "$W/rss.maildir"
}

run_pipe() {
	"$PG_BINDIR/psql" -XAtq "$DSN" -c "TRUNCATE inbound, tickets, messages, attachments, blobs, ticket_events, ticket_participants CASCADE" >/dev/null
	find "$W/maildir/.Processed/cur" -type f | sort >"$W/pfiles" 2>/dev/null || true
	[ -s "$W/pfiles" ] || find "$W/corpus" -name '*.eml' | sort >"$W/pfiles"
	split -n l/4 "$W/pfiles" "$W/part."
	"$TOP/src/ticketd" -c "$W/ticketd.yaml" 2>"$W/ticketd-pipe.log" &
	PID=$!
	rss_sampler "$PID" "$W/rss.pipe" &
	sleep 1
	t0=$(now_ms)
	feeders=
	for p in "$W"/part.*; do
		(while read -r f; do "$TOP/src/ticketctl" -c "$W/ticketd.yaml" ingest --mailbox pipe "$f"; done <"$p") &
		feeders="$feeders $!"
	done
	for j in $feeders; do wait "$j" || true; done
	t_staged=$(now_ms)
	wait_done 0.2
	t1=$(now_ms)
	kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
	echo "pipe: staging by 4 ticketctl feeders took $(( t_staged - t0 )) ms"
	report pipe "$t0" "$t1" "$W/rss.pipe"
}

run_lmtp() {
	"$PG_BINDIR/psql" -XAtq "$DSN" -c "TRUNCATE inbound, tickets, messages, attachments, blobs, ticket_events, ticket_participants RESTART IDENTITY CASCADE" >/dev/null
	find "$W/maildir/.Processed/cur" -type f 2>/dev/null | sort >"$W/lfiles" || true
	[ -s "$W/lfiles" ] || find "$W/corpus" -name '*.eml' | sort >"$W/lfiles"
	"$TOP/src/ticketd" -c "$W/ticketd.yaml" 2>"$W/ticketd-lmtp.log" &
	PID=$!
	rss_sampler "$PID" "$W/rss.lmtp" &
	while [ ! -S "$W/lmtp.sock" ] || ! grep -q "ticketd: ready" "$W/ticketd-lmtp.log"; do
		kill -0 "$PID" || { tail -n 5 "$W/ticketd-lmtp.log" >&2; exit 1; }
		sleep 0.1
	done
	pg0=$(pg_cpu)
	t0=$(now_ms)
	/usr/bin/python3 "$TOP/bench/ingest/lmtp_feed.py" "$W/lmtp.sock" "${FEEDERS:-4}" "$W/lfiles" \
		>"$W/lmtp-feed.out" || { cat "$W/lmtp-feed.out" >&2; echo "lmtp: refused messages" >&2; }
	t_staged=$(now_ms)
	wait_done 0.1
	t1=$(now_ms)
	echo "lmtp: staging over ${FEEDERS:-4} connections took $(( t_staged - t0 )) ms" \
		"= $(( COUNT * 1000 / (t_staged - t0 ? t_staged - t0 : 1) )) msg/s ($(cat "$W/lmtp-feed.out"))"
	echo "lmtp: CPU seconds: ticketd $(cpu_of "$PID"), postgres $(( $(pg_cpu) - pg0 ))"
	searchable lmtp "$t0"
	kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
	report lmtp "$t0" "$t1" "$W/rss.lmtp"
}

# CPU seconds (user+sys) used so far by a process (and its reaped children).
cpu_of() {
	awk '{printf "%.2f", ($14 + $15 + $16 + $17) / 100}' "/proc/$1/stat" 2>/dev/null || echo 0
}
pg_cpu() { # the whole cluster: every process of the postgres user, in seconds
	ps -u postgres -o times= | awk '{s += $1} END {print s + 0}'
}
# ps "times" is cumulative CPU seconds of each process.

report() { # MODE T0 T1 RSSFILE
	ms=$(( $3 - $2 ))
	tickets=$("$PG_BINDIR/psql" -XAtq "$DSN" -c "SELECT count(*) FROM tickets")
	failed=$("$PG_BINDIR/psql" -XAtq "$DSN" -c "SELECT count(*) FROM inbound WHERE state = 'failed'")
	rss=$(sort -n "$4" | awk 'NR==1 {min=$1} {max=$1} END {printf "%d-%d", min, max}')
	size=$("$PG_BINDIR/psql" -XAtq "$DSN" -c "SELECT pg_size_pretty(pg_database_size(current_database()))")
	echo "$1: $COUNT messages ($BYTES bytes) in $ms ms = $(( COUNT * 1000 / (ms ? ms : 1) )) msg/s;" \
		"tickets $tickets, failed $failed; daemon RSS KiB min-max $rss; database $size"
}

run_soak() {
	mkdir -p "$W/maildir/new" "$W/maildir/cur" "$W/maildir/tmp"
	"$TOP/src/ticketd" -c "$W/ticketd.yaml" 2>"$W/ticketd.log" &
	PID=$!
	sleep 1
	PATH=$PG_BINDIR:$PATH python3 "$TOP/bench/ingest/soak.py" "$W/corpus" "$W/maildir" "$DSN" \
		"$PID" "${SOAK_TOTAL:-1000000}" "$COUNT"
	kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
}

case "$MODE" in
soak) run_soak ;;
maildir) run_maildir ;;
pipe) mkdir -p "$W/maildir"; run_pipe ;;
lmtp) mkdir -p "$W/maildir"; run_lmtp ;;
both) run_maildir; run_pipe ;;
all) run_maildir; run_pipe; run_lmtp ;;
esac
