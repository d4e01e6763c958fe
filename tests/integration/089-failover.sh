#!/bin/sh
# A database failover under mixed intake. A primary and a standby with
# synchronous streaming replication, managed by pg_auto_failover (its
# monitor promotes the standby when the primary dies); two daemons and
# ticketctl with a DSN naming both nodes and target_session_attrs=read-write.
# The primary (keeper and PostgreSQL) is SIGKILLed while mail comes through
# IMAP, a Maildir and the pipe and webhooks are posted: after the failover
# every acknowledged item (202 answered, IMAP mail moved, Maildir file
# moved, ingest exit 0) is in the new primary, nothing is duplicated, and
# the same daemon processes reconnect and go on (no restart).
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/hooks_common.sh"
. "$(dirname "$0")/dovecot.sh"
. "$(dirname "$0")/convo.sh"
. "$(dirname "$0")/multi.sh"
. "$(dirname "$0")/failover.sh"
paf_start
TICKETD_DSN=$PAF_DSN    # psql_q follows the primary too
MULTI_DSN=$PAF_DSN
export TICKETD_DSN
scenario_setup
MULTI_LOG=info
for n in 1 2; do scenario_config $n </dev/null; done
for n in 1 2; do multi_start $n; done
pids="$(multi_pid 1) $(multi_pid 2)"
urls_file 1 2
wait_sql 30 "SELECT count(*) FROM mailbox_leases WHERE mailbox IN ('shared', 'md')" 2
PACE=5 load_start 150
wait_for 60 "the load is flowing" '[ "$(psql_q "SELECT count(*) FROM tickets")" -ge 30 ]'
note "before: $(paf_state)"
paf_kill n1
t0=$(date +%s.%N)
wait_for 90 "the standby is the primary, read-write" \
	'[ "$(psql_q "SELECT inet_server_port() || current_setting('"'transaction_read_only'"')")" = "${PAF_STANDBY}off" ]'
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
note "failover: n2 promoted $took s after the kill; $(paf_state)"
n_after=$(psql_q "SELECT count(*) FROM inbound")
for src in shared md pipe am; do
	wait_for 60 "$src items stored after the failover" \
		'[ "$(psql_q "SELECT count(*) FROM inbound WHERE source = '"'$src'"' AND received_at > now() - interval '"'10 seconds'"'")" -gt 0 ]'
done
wait_for 60 "more load" '[ "$(psql_q "SELECT count(*) FROM inbound")" -gt "$((n_after + 20))" ]'
load_stop
scenario_check 5
assert_eq "$(multi_pid 1) $(multi_pid 2)" "$pids" "the same daemon processes"
for n in 1 2; do
	grep -q "database connection restored\|reconnect" "$T/d$n.log" || note "daemon $n logged no reconnection line"
	multi_stop "$n"
	assert_eq "$MULTI_RC" 0 "daemon $n stopped cleanly"
done
