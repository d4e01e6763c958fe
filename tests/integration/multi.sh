# multi.sh: several ticketd daemons on one database (sourced after
# common.sh), for the scale-out tests (085-089).
#
# Daemon N runs on $T/dN.yaml (written by the test) with TICKETD_DSN set to
# MULTI_DSN when that is set (the variable wins over the file), logs to $T/dN.log,
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
	root_user "$T/d$1.yaml"
}

multi_start() {
	_n=$1
	_ready=$(grep -c "ticketd: ready" "$T/d$_n.log" 2>/dev/null || true)
	TICKETD_DSN=${MULTI_DSN:-$TICKETD_DSN} "$TICKETD" -c "$T/d$_n.yaml" >>"$T/d$_n.log" 2>&1 &
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

# ---- The shared scenario: N daemons, one IMAP mailbox, one Maildir, the
# MTA pipe, webhooks, the outbox and the SLA escalator (tests 086-089).
# Needs dovecot.sh and convo.sh sourced; MD is the Maildir.
MD=$T/maildir
LOAD=$T/load

# scenario_config N [EXTRA YAML on stdin]: $T/dN.yaml for daemon N (instance dN).
scenario_config() {
	printf 'a-test-secret-of-32-bytes-length\n' >"$T/reply-secret"
	printf '%s\n' "$DOVE_PASS" >"$T/imap.pw"
	{
		cat <<YAML
instance: d$1
workers:
  count: 2
  batch: 20
  poll_interval: 100ms
  lease_ttl: ${LEASE_TTL:-2s}
http:
  listen: 127.0.0.1:0
  per_address_limit: 0
  sources:
    - name: am
      type: alertmanager
mailboxes:
  - name: shared
    type: imap
    host: 127.0.0.1
    port: $DOVE_PORT
    tls: none
    user: $DOVE_USER
    password_file: $T/imap.pw
  - name: md
    type: maildir
    path: "$MD"
    poll_interval: 100ms
  - name: pipe
    type: pipe
smtp:
  url: smtp://127.0.0.1:$SMTP_PORT
  from: support@example.com
  tls: none
  timeout: 4s
  connect_timeout: 1s
outbox:
  backoff: 200ms
  backoff_max: 1s
  poll_interval: 100ms
  lease: 10s
conversation:
  address: support@example.com
  secret_file: $T/reply-secret
  templates: $top_srcdir/contrib/templates
  reopen_window: 1h
  ack_interval: 1h
  ack_burst: 2
  agent_notify: none
sla:
  warnings: [50%]
  poll_interval: 200ms
  digest_after: 1h
  policies:
    - name: quick
      match: {priority: medium}
      response: 2s
      resolution: 4s
      chain: page
  chains:
    page:
      levels:
        - {after: 0s, notify: ["oncall@example.com"]}
YAML
		if [ ! -t 0 ]; then cat; fi
	} | multi_config "$1"
}

# scenario_setup: Dovecot, the SMTP sink, the Maildir, the schema.
scenario_setup() {
	dovecot_start
	smtp_start
	mkdir -p "$MD/new" "$MD/cur" "$MD/tmp" "$LOAD"
	chmod -R 777 "$MD"
}

# urls_file: the base URLs of the running daemons, for multi_load.py's @FILE.
urls_file() {
	: >"$LOAD/urls.new"
	for _n in "$@"; do
		multi_alive "$_n" && echo "http://127.0.0.1:$(multi_port "$_n")" >>"$LOAD/urls.new"
	done
	mv "$LOAD/urls.new" "$LOAD/urls"
}

# load_start SECONDS: mixed intake in the background (multi_load.py), ticketctl on MULTI_DSN.
load_start() {
	rm -f "$LOAD/stop"
	PACE=${PACE:-10} TICKETD_DSN=${MULTI_DSN:-$TICKETD_DSN} TICKETD_CONFIG=$T/d1.yaml /usr/bin/python3 "$top_srcdir/tests/integration/multi_load.py" \
		"$LOAD" "$DOVE_PORT" "$DOVE_USER" "$DOVE_PASS" "$MD" "$TICKETCTL" "@$LOAD/urls" "$1" \
		>"$LOAD/out" 2>&1 &
	LOAD_PID=$!
	echo "kill $LOAD_PID" >"$T/load.cleanup"
}

load_stop() {
	touch "$LOAD/stop"
	wait "$LOAD_PID" || fail "the load generator failed: $(tail -n 5 "$LOAD/out")"
	rm -f "$T/load.cleanup"
	note "acknowledged: imap $(wc -l <"$LOAD/imap.ack"), maildir $(wc -l <"$LOAD/maildir.ack"), ingest $(wc -l <"$LOAD/ingest.ack"), hooks $(wc -l <"$LOAD/hooks.ack"); not (refused by a daemon that was down or stopping): $(for c in imap maildir ingest hooks; do printf '%s %s ' $c "$(cat "$LOAD/$c.err" 2>/dev/null | wc -l)"; done)"
}

# stored_mail SOURCE: SQL of the Message-IDs stored as messages from a mailbox.
stored_mail() {
	echo "SELECT m.message_id FROM messages m JOIN inbound i ON i.id = m.inbound_id WHERE i.source = '$1'"
}

# acked_missing CHANNEL "SQL of the stored ids": how many acknowledged ids are not stored.
acked_missing() {
	psql_q "$2" | sort -u >"$LOAD/$1.stored"
	sort -u "$LOAD/$1.ack" | comm -23 - "$LOAD/$1.stored" | wc -l
}

# scenario_check MAXDUP: every acknowledged item stored once and made one
# ticket; every mail in the Maildir and IMAP INBOX processed and moved; all
# work done; every outbox row sent, no mail sent more than once beyond
# MAXDUP (the SMTP window: a kill between the server's 250 and the commit);
# each SLA step once per ticket, each escalation level notified once.
scenario_check() {
	wait_for 120 "the INBOX and the Maildir emptied" \
		'[ "$(imap_py "print(len(uids(\"INBOX\")))")" = 0 ] && [ -z "$(ls "$MD/new")" ]'
	wait_sql 120 "SELECT count(*) FROM inbound WHERE state = 'pending'" 0
	assert_eq "$(count "inbound WHERE state = 'failed'")" 0 "no item failed"
	assert_eq "$(acked_missing imap "$(stored_mail shared)")" 0 "every IMAP mail stored"
	assert_eq "$(acked_missing maildir "$(stored_mail md)")" 0 "every Maildir mail stored"
	assert_eq "$(acked_missing ingest "$(stored_mail pipe)")" 0 "every ingested mail stored"
	assert_eq "$(acked_missing hooks "SELECT substr(alert_key, 4) FROM tickets WHERE alert_key LIKE 'am:hook-%'")" 0 \
		"every alert answered 202 stored"
	assert_eq "$(psql_q "SELECT count(*) FROM (SELECT message_id FROM inbound WHERE kind = 'mail' AND message_id IS NOT NULL GROUP BY message_id HAVING count(*) > 1) d")" 0 \
		"no mail staged twice"
	assert_eq "$(psql_q "SELECT count(*) FROM (SELECT message_id FROM messages WHERE direction = 'in' AND message_id IS NOT NULL GROUP BY message_id HAVING count(*) > 1) d")" 0 \
		"no mail stored twice"
	assert_eq "$(psql_q "SELECT count(*) FROM tickets WHERE type <> 'incident'")" \
		"$(psql_q "SELECT count(*) FROM inbound WHERE kind = 'mail'")" "one ticket per mail"
	assert_eq "$(imap_py 'print(len(uids("Processed")))')" "$(sort -u "$LOAD/imap.ack" | wc -l)" "every IMAP mail moved once"
	# The SLA: 2 clocks x (warning + breach) per mail ticket, each level notified.
	wait_sql 120 "SELECT count(*) FROM sla_steps" "$(( 4 * $(psql_q "SELECT count(*) FROM tickets WHERE type <> 'incident'") ))"
	wait_sql 60 "SELECT count(*) FROM timers WHERE state = 'pending'" 0
	wait_sql 120 "SELECT count(*) FROM outbox WHERE state <> 'sent'" 0
	assert_eq "$(psql_q "SELECT count(*) FROM outbox WHERE kind = 'sla'")" \
		"$(psql_q "SELECT count(*) FROM ticket_events WHERE action = 'escalation'")" "one notification per escalation level"
	psql_q "SELECT message_id FROM outbox WHERE message_id IS NOT NULL" | sort -u >"$T/outbox.ids"
	wait_for 30 "every outbox mail in the sink" \
		'[ "$(sent_q "len(set(r.strip() for r in open(\"$T/outbox.ids\")) - set(x[\"message_id\"] for x in m))")" = 0 ]'
	dups=$(sent_q "len(m) - len(set(x['message_id'] for x in m))")
	[ "$dups" -le "$1" ] || fail "mails sent twice: $dups, more than $1"
	note "checked: $(count inbound) items, $(count tickets) tickets, $(count outbox) mails ($dups resent), $(count sla_steps) SLA steps; instances that escalated: $(psql_q "SELECT string_agg(DISTINCT instance, ',') FROM sla_steps")"
}

# multi_scenario_kill N...: under load on daemons N..., SIGKILL the IMAP
# lease holder; another holds the mailbox within two lease times (the
# lease_ttl is 2 s); restart the killed one; check everything.
multi_scenario_kill() {
	urls_file "$@"
	wait_sql 30 "SELECT count(*) FROM mailbox_leases WHERE mailbox IN ('shared', 'md')" 2
	load_start 120
	wait_for 60 "the load is flowing" '[ "$(psql_q "SELECT count(*) FROM tickets")" -ge 20 ]'
	holder=$(psql_q "SELECT holder FROM mailbox_leases WHERE mailbox = 'shared'")
	victim=${holder#d}
	multi_kill "$victim" KILL
	wait "$(multi_pid "$victim")" 2>/dev/null || true
	t0=$(date +%s.%N)
	urls_file "$@"
	_end=$(( $(date +%s) + 20 ))
	until [ -n "$(psql_q "SELECT holder FROM mailbox_leases WHERE mailbox = 'shared' AND holder <> '$holder'")" ]; do
		[ "$(date +%s)" -lt "$_end" ] ||
			fail "no other daemon took the IMAP mailbox in 20 s: $(psql_q "SELECT mailbox, holder, expires_at - now() FROM mailbox_leases" | tr '\n' ' '); $(psql_q "SELECT pid, application_name, state, wait_event_type, wait_event, left(query, 80) FROM pg_stat_activity WHERE datname = 'ticketd' AND pid <> pg_backend_pid()")"
		sleep 0.1
	done
	took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	note "the IMAP mailbox moved from $holder to $(psql_q "SELECT holder FROM mailbox_leases WHERE mailbox = 'shared'") in $took s"
	awk -v t="$took" 'BEGIN { exit !(t <= 4.0) }' || fail "the takeover took $took s, more than two lease times (4 s)"
	n_before=$(psql_q "SELECT count(*) FROM inbound WHERE source = 'shared'")
	wait_for 30 "IMAP mail flows again" '[ "$(psql_q "SELECT count(*) FROM inbound WHERE source = '"'shared'"'")" -gt "$n_before" ]'
	multi_start "$victim"
	urls_file "$@"
	wait_for 60 "more load" '[ "$(wc -l <"$LOAD/hooks.ack")" -ge 60 ]'
	load_stop
	scenario_check 1
	for n in "$@"; do
		multi_stop "$n"
		assert_eq "$MULTI_RC" 0 "daemon $n stopped cleanly"
	done
}

# pgbouncer_start: Debian's PgBouncer in front of the test cluster, in
# transaction pooling, on a Unix socket only ($T/pgb, no TCP port to
# collide), run as postgres (it refuses root); sets PGB_DSN. Skips the
# test (77) when pgbouncer is not installed.
pgbouncer_start() {
	command -v pgbouncer >/dev/null || { echo "# pgbouncer not installed (apt-get install pgbouncer): skipped"; exit 77; }
	mkdir -p "$T/pgb"
	printf '"postgres" ""\n' >"$T/pgb/users.txt"
	cat >"$T/pgb/pgbouncer.ini" <<INI
[databases]
ticketd = host=$PGDIR port=$PGPORT dbname=ticketd user=postgres
[pgbouncer]
listen_addr =
listen_port = 6432
unix_socket_dir = $T/pgb
auth_type = trust
auth_file = $T/pgb/users.txt
pool_mode = transaction
default_pool_size = 20
max_client_conn = 300
logfile = $T/pgb/pgbouncer.log
pidfile = $T/pgb/pgbouncer.pid
ignore_startup_parameters = extra_float_digits
admin_users = postgres
INI
	[ "$(id -u)" = 0 ] && chown -R postgres "$T/pgb"
	as_pg pgbouncer -d "$T/pgb/pgbouncer.ini" || fail "pgbouncer did not start: $(tail -n 5 "$T/pgb/pgbouncer.log")"
	echo "kill \$(cat '$T/pgb/pgbouncer.pid')" >"$T/pgbouncer.cleanup"
	PGB_DSN="host=$T/pgb port=6432 dbname=ticketd user=postgres connect_timeout=5"
	wait_for 20 "pgbouncer answers" '"$PG_BINDIR/psql" -X -q -A -t "$PGB_DSN" -c "SELECT 1"'
}

# pgb_clients: how many clients PgBouncer has for database ticketd.
pgb_clients() {
	"$PG_BINDIR/psql" -X -q -A -t -F ' ' "host=$T/pgb port=6432 dbname=pgbouncer user=postgres" -c "SHOW CLIENTS" |
		awk '$3 == "ticketd"' | wc -l
}

# multi_scenario_rolling N...: under load, SIGTERM each daemon in turn,
# wait for its clean exit, start it again; then check everything, with no
# mail sent twice (a SIGTERM lets the sender finish).
multi_scenario_rolling() {
	urls_file "$@"
	wait_sql 30 "SELECT count(*) FROM mailbox_leases WHERE mailbox IN ('shared', 'md')" 2
	load_start 150
	wait_for 60 "the load is flowing" '[ "$(psql_q "SELECT count(*) FROM tickets")" -ge 20 ]'
	for n in "$@"; do
		before=$(psql_q "SELECT count(*) FROM inbound")
		multi_stop "$n"
		assert_eq "$MULTI_RC" 0 "daemon $n stopped cleanly under load"
		urls_file "$@"
		wait_for 60 "intake goes on without daemon $n" '[ "$(psql_q "SELECT count(*) FROM inbound")" -gt "$((before + 10))" ]'
		multi_start "$n"
		urls_file "$@"
	done
	wait_for 60 "more load after the restarts" '[ "$(psql_q "SELECT count(*) FROM inbound")" -gt "$((before + 30))" ]'
	load_stop
	scenario_check 0
	for n in "$@"; do
		multi_stop "$n"
		assert_eq "$MULTI_RC" 0 "daemon $n stopped cleanly"
	done
}
