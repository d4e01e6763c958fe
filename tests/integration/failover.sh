# failover.sh: a primary and a standby with streaming replication, managed
# by Debian's pg_auto_failover (a monitor and two data nodes, each its own
# `pg_autoctl run` as postgres, on 127.0.0.1 with ports from the kernel), for
# test 089 (sourced after common.sh and dovecot.sh, which has free_port).
#
# paf_start sets PAF_DSN (both nodes, target_session_attrs=read-write) and
# PAF_PRIMARY / PAF_STANDBY (n1, n2). The monitor checks health every
# second and gives an unreachable primary 3 s to demote itself (default
# 30 s), so a dead primary is failed over in seconds. Replication is synchronous while the standby is healthy
# (pg_auto_failover's default: synchronous_standby_names = 'ANY 1 (...)'),
# so a commit that was answered is on the standby. paf_kill NODE SIGKILLs
# the node's keeper and its PostgreSQL (its whole process group).
# Skips (77) when pg_auto_failover is not installed.

PAF=$T/paf
PAF_CTL=${PAF_CTL:-$(command -v pg_autoctl || true)}
PAF_PG_CONFIG=$PG_BINDIR/pg_config

paf_env() {
	as_pg env PG_CONFIG="$PAF_PG_CONFIG" XDG_CONFIG_HOME="$PAF/xdg" XDG_DATA_HOME="$PAF/xdg" \
		XDG_RUNTIME_DIR="$PAF/run" PATH="$PG_BINDIR:$PATH" "$@"
}

# paf_run NAME: `pg_autoctl run` for $PAF/NAME in its own session (kill -KILL -PGID ends it all).
paf_run() {
	paf_env setsid "$PAF_CTL" run --pgdata "$PAF/$1" >>"$PAF/$1.log" 2>&1 &
	_paf_node=$1
	wait_for 30 "pg_autoctl run $1 started" '[ -n "$(paf_pgid "$_paf_node")" ]'
	echo "kill -KILL -$(paf_pgid "$1")" >"$T/paf-$1.cleanup"
}

# paf_pgid NAME: the process group of NAME's keeper (the process that runs
# pg_autoctl itself, not the runuser/setsid that started it), never ours.
paf_pgid() {
	ps -eo pgid=,args= | awk -v dir="$PAF/$1" -v me="$(ps -o pgid= $$ | tr -d ' ')" \
		'$2 ~ /(^|\/)pg_autoctl$/ && $3 == "run" && $4 == "--pgdata" && $5 == dir && $1 != me { print $1; exit }'
}

# paf_create NAME PORT: a data node (the first becomes the primary).
paf_create() {
	paf_env "$PAF_CTL" create postgres --pgdata "$PAF/$1" --pgport "$2" --hostname 127.0.0.1 \
		--auth trust --no-ssl --dbname ticketd --name "$1" --monitor "$PAF_MONITOR" \
		>>"$PAF/$1.create.log" 2>&1 || { tail -n 20 "$PAF/$1.create.log" >&2; fail "pg_autoctl create postgres $1 failed"; }
	paf_run "$1"
}

paf_q() { # paf_q PORT SQL
	"$PG_BINDIR/psql" -X -q -A -t "host=127.0.0.1 port=$1 dbname=ticketd user=postgres connect_timeout=2" -c "$2"
}

paf_start() {
	[ -n "$PAF_CTL" ] && [ -f "$($PAF_PG_CONFIG --pkglibdir)/pgautofailover.so" ] ||
		{ echo "# pg_auto_failover not installed (apt-get install pg-auto-failover-cli postgresql-15-auto-failover): skipped"; exit 77; }
	mkdir -p "$PAF/xdg" "$PAF/run"
	[ "$(id -u)" = 0 ] && chown -R postgres "$PAF"
	PAF_MON_PORT=$(free_port)
	PAF_PRIMARY=$(free_port)
	PAF_STANDBY=$(free_port)
	paf_env "$PAF_CTL" create monitor --pgdata "$PAF/mon" --pgport "$PAF_MON_PORT" --hostname 127.0.0.1 \
		--auth trust --no-ssl >>"$PAF/mon.create.log" 2>&1 || { tail -n 20 "$PAF/mon.create.log" >&2; fail "pg_autoctl create monitor failed"; }
	cat >>"$PAF/mon/postgresql.auto.conf" <<CONF
pgautofailover.health_check_period = 1000
pgautofailover.health_check_timeout = 1000
pgautofailover.health_check_max_retries = 1
pgautofailover.health_check_retry_delay = 500
pgautofailover.node_considered_unhealthy_timeout = 3000
pgautofailover.primary_demote_timeout = 3000
CONF
	paf_run mon
	PAF_MONITOR="postgres://autoctl_node@127.0.0.1:$PAF_MON_PORT/pg_auto_failover?sslmode=disable"
	wait_for 60 "the monitor answers" '"$PG_BINDIR/psql" -X -q -A -t "$PAF_MONITOR" -c "SELECT 1"'
	paf_create n1 "$PAF_PRIMARY"
	wait_for 60 "n1 is the primary" '[ "$(paf_q "$PAF_PRIMARY" "SELECT pg_is_in_recovery()")" = f ]'
	paf_create n2 "$PAF_STANDBY"
	wait_for 120 "n2 streams from n1, synchronously" \
		'[ "$(paf_q "$PAF_PRIMARY" "SELECT sync_state FROM pg_stat_replication")" = quorum ]'
	PAF_DSN="host=127.0.0.1,127.0.0.1 port=$PAF_PRIMARY,$PAF_STANDBY dbname=ticketd user=postgres target_session_attrs=read-write connect_timeout=2"
}

# paf_state: the monitor's view, one line.
paf_state() {
	paf_env "$PAF_CTL" show state --pgdata "$PAF/mon" 2>/dev/null |
		awk -F'|' 'NR > 2 { gsub(/ +/, " "); printf "%s:%s/%s;", $1, $6, $7 }'
}

paf_kill() {
	_g=$(paf_pgid "$1")
	[ -n "$_g" ] || fail "no keeper for $1"
	kill -KILL "-$_g"
	rm -f "$T/paf-$1.cleanup"
	_paf_node=$1
	wait_for 20 "$1's PostgreSQL is gone" '! ps -eo args= | grep -q "^$PG_BINDIR/postgres -D $PAF/$_paf_node "'
}
