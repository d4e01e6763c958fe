# common.sh: shared helpers for the integration tests (sourced).
#
# Each test gets its own private PostgreSQL cluster (initdb on a temporary
# socket directory, no TCP), started as a non-root user when run as root,
# and removed on exit. Helpers start the daemon, wait for conditions and
# assert. A test fails with `fail MESSAGE` (exit 1); exit 77 means skipped.

set -eu
: "${top_srcdir:?top_srcdir must be set (run through make check)}"
: "${top_builddir:?top_builddir must be set}"
PG_BINDIR=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n 1)}
TICKETD=$top_builddir/src/ticketd
TICKETCTL=$top_builddir/src/ticketctl
TEST_NAME=$(basename "$0" .sh)

# Under /tmp, not the build tree: the postgres user must be able to reach it.
T=$(mktemp -d "${TMPDIR:-/tmp}/ticketd-$TEST_NAME.XXXXXX")
chmod 755 "$T"
PGDIR=$T/pg
PGPORT=$(( 20000 + ($$ % 20000) ))
DAEMON_PID=
DAEMON_LOG=$T/ticketd.log

fail() {
	echo "FAIL: $TEST_NAME: $*" >&2
	if [ -f "$DAEMON_LOG" ]; then echo "--- daemon log (last 40 lines)" >&2; tail -n 40 "$DAEMON_LOG" >&2; fi
	exit 1
}

note() { echo "# $*"; }

as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cleanup() {
	rc=$?
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -KILL "$DAEMON_PID" 2>/dev/null || true
	fi
	for f in "$T"/*.cleanup; do [ -f "$f" ] && sh "$f" >/dev/null 2>&1 || true; done
	if [ -d "$PGDIR/data" ]; then as_pg "$PG_BINDIR/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true; fi
	if [ $rc -eq 0 ] && [ -z "${KEEP_TMP:-}" ]; then rm -rf "$T"; else echo "# kept $T" >&2; fi
	exit $rc
}
trap cleanup EXIT INT TERM

# Start a private cluster and create database ticketd; sets TICKETD_DSN.
pg_start() {
	mkdir -p "$PGDIR"
	[ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
	as_pg "$PG_BINDIR/initdb" -D "$PGDIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
		>"$T/initdb.log" 2>&1 || { cat "$T/initdb.log" >&2; fail "initdb failed"; }
	pg_up
	as_pg "$PG_BINDIR/createdb" -h "$PGDIR" -p "$PGPORT" -U postgres ticketd
	TICKETD_DSN="host=$PGDIR port=$PGPORT dbname=ticketd user=postgres connect_timeout=5"
	export TICKETD_DSN
}

pg_up() {
	as_pg "$PG_BINDIR/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 30 \
		-o "-c listen_addresses='' -k $PGDIR -p $PGPORT -c fsync=${PG_FSYNC:-off} -c max_connections=100 ${PG_OPTS:-}" \
		start >/dev/null || { cat "$PGDIR/server.log" >&2; fail "postgres did not start"; }
}

pg_down() {
	as_pg "$PG_BINDIR/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null
}

# psql as the superuser on the test database: psql_q "SQL" prints unaligned rows.
psql_q() {
	"$PG_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$TICKETD_DSN" -c "$1"
}

# A ClamAV signature database of our own (no internet for freshclam): the
# 68-byte EICAR test string by its md5, as notes/test-servers.md describes.
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
make_sigdb() { # make_sigdb DIR
	mkdir -p "$1"
	printf '44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n' >"$1/test.hdb"
}

# Write a minimal daemon config to $T/ticketd.yaml (extra YAML appended from stdin if any).
write_config() {
	make_sigdb "$T/clamav"
	cat >"$T/ticketd.yaml" <<YAML
database:
  dsn: "$TICKETD_DSN"
log:
  level: debug
workers:
  count: 2
  poll_interval: 100ms
  lease_ttl: 2s
shutdown_timeout: 5s
YAML
	if [ ! -t 0 ]; then cat >>"$T/ticketd.yaml"; fi
	grep -q '^scan:' "$T/ticketd.yaml" || printf 'scan:\n  signatures: %s\n' "$T/clamav" >>"$T/ticketd.yaml"
	root_user "$T/ticketd.yaml"
}

# root_user FILE: when the suite runs as root (CI does), the daemon refuses
# to run without a user: key; unless FILE names one, say user: root (the
# test's files, Maildirs and sockets belong to root). 048 tests the switch.
root_user() {
	if [ "$(id -u)" = 0 ] && ! grep -q '^user:' "$1"; then echo "user: root" >>"$1"; fi
}

# Start ticketd in the background on $T/ticketd.yaml and wait until it is ready.
# The log is appended to across restarts: wait for one more "ready" line
# than it held before, so a restart waits for the new daemon.
# A test that defines on_daemon_ready() has it called after each start
# (hooks_common.sh reads the port the daemon bound there).
daemon_start() {
	root_user "$T/ticketd.yaml"
	_ready=$(grep -c "ticketd: ready" "$DAEMON_LOG" 2>/dev/null || true)
	"$TICKETD" -c "$T/ticketd.yaml" >>"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	wait_for 60 "daemon ready" '[ "$(grep -c "ticketd: ready" "$DAEMON_LOG")" -gt "${_ready:-0}" ]'
	if command -v on_daemon_ready >/dev/null 2>&1; then on_daemon_ready; fi
}

# bound_port [LOG]: the port of the last "http: listening on" line (with
# listen: ADDRESS:0 the kernel picks a free port and the daemon logs it;
# nothing else can hold it, so tests need not guess one).
bound_port() {
	sed -n 's/.*http: listening on .*:\([0-9][0-9]*\)\( (TLS)\)\{0,1\}$/\1/p' "${1:-$DAEMON_LOG}" | tail -n 1
}

# Stop with SIGTERM and wait; returns the exit status in DAEMON_RC.
daemon_stop() {
	kill -TERM "$DAEMON_PID"
	DAEMON_RC=0
	wait "$DAEMON_PID" || DAEMON_RC=$?
	DAEMON_PID=
}

# wait_for SECONDS WHAT CMD...: retry CMD (evaluated in this shell, so
# helper functions work) every 0.1 s until it succeeds.
wait_for() {
	secs=$1; what=$2; shift 2
	end=$(( $(date +%s) + secs ))
	until eval "$*" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$end" ] && fail "timed out after ${secs}s waiting for: $what"
		sleep 0.1
	done
}

# wait_sql SECONDS "SQL" EXPECTED: wait until the query prints EXPECTED.
wait_sql() {
	wait_for "$1" "$2 = $3" '[ "$(psql_q "'"$2"'")" = "'"$3"'" ]'
}

# json_get FILE EXPR: evaluate a Python expression over the JSON document d.
json_get() {
	/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$1" "$2"
}

assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-values differ}: expected '$2', got '$1'"
}

assert_contains() {
	case "$1" in *"$2"*) ;; *) fail "${3:-missing text}: '$2' not in: $1" ;; esac
}

# Run a command expecting exit status $1: expect_rc N CMD...
expect_rc() {
	want=$1; shift
	set +e
	OUT=$("$@" 2>&1)
	got=$?
	set -e
	[ "$got" = "$want" ] || fail "'$*' exited $got, expected $want: $OUT"
}
