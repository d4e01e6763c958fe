# multi.sh: several ticketd daemons on one database (sourced after
# common.sh), for the scale-out tests (08x).
#
# Daemon N runs on $T/dN.yaml (written by the test), logs to $T/dN.log,
# and is killed on exit through $T/dN.cleanup. multi_start N starts it and
# waits for its "ready" line (one more than the log held: restarts wait for
# the new process); multi_port N is the HTTP port it bound (listen port 0);
# multi_kill N SIGNAL signals it; multi_stop N sends SIGTERM and waits,
# leaving the exit status in MULTI_RC. MULTI_PID_N holds the pid.
# post_alerts.py posts concurrently (bounded in count and time) and records
# every 202.

# multi_config N: write $T/dN.yaml: the database (MULTI_DSN, default
# TICKETD_DSN), log level (MULTI_LOG, default debug) and a signature
# database, then the YAML on stdin (workers, http, mailboxes...).
multi_config() {
	make_sigdb "$T/clamav"
	{
		cat <<YAML
database:
  dsn: "${MULTI_DSN:-$TICKETD_DSN}"
log:
  level: ${MULTI_LOG:-debug}
shutdown_timeout: 10s
scan:
  signatures: $T/clamav
YAML
		cat
	} >"$T/d$1.yaml"
}

multi_start() {
	_n=$1
	_ready=$(grep -c "ticketd: ready" "$T/d$_n.log" 2>/dev/null || true)
	"$TICKETD" -c "$T/d$_n.yaml" >>"$T/d$_n.log" 2>&1 &
	eval "MULTI_PID_$_n=$!"
	echo "kill -KILL $! 2>/dev/null" >"$T/d$_n.cleanup"
	wait_for 60 "daemon $_n ready" '[ "$(grep -c "ticketd: ready" "$T/d'"$_n"'.log")" -gt "${_ready:-0}" ]'
}

multi_pid() { eval "echo \$MULTI_PID_$1"; }

multi_port() { bound_port "$T/d$1.log"; }

multi_kill() { kill "-$2" "$(multi_pid "$1")"; }

multi_stop() {
	_pid=$(multi_pid "$1")
	kill -TERM "$_pid"
	MULTI_RC=0
	wait "$_pid" || MULTI_RC=$?
	rm -f "$T/d$1.cleanup"
}

# multi_alive N: the daemon's process still runs.
multi_alive() { kill -0 "$(multi_pid "$1")" 2>/dev/null; }

# multi_logs_lack TEXT: no daemon log holds TEXT (fails the test otherwise).
multi_logs_lack() {
	if grep -l "$1" "$T"/d*.log >/dev/null 2>&1; then
		grep -n "$1" "$T"/d*.log | head -n 5 >&2
		fail "a daemon logged '$1'"
	fi
}
