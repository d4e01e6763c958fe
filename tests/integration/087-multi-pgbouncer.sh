#!/bin/sh
# Test 086 through PgBouncer (Debian's, 1.18) in transaction pooling: three
# daemons whose every connection goes through it (prepared statements off:
# 1.18 cannot keep them in transaction mode; NOTIFY does not reach the
# escalator's LISTEN, so it polls, sla.poll_interval), ticketctl too. The
# IMAP lease holder is SIGKILLed under mixed intake: another takes the
# mailbox within two lease times; every acknowledged item is stored once,
# every notification sent, each SLA step and level once.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/hooks_common.sh"
. "$(dirname "$0")/dovecot.sh"
. "$(dirname "$0")/convo.sh"
. "$(dirname "$0")/multi.sh"
pg_start
pgbouncer_start
scenario_setup
MULTI_LOG=info
MULTI_DSN=$PGB_DSN
for n in 1 2 3; do
	scenario_config $n </dev/null
	sed -i 's/^database:$/database:\n  prepared_statements: false/' "$T/d$n.yaml"
done
for n in 1 2 3; do multi_start $n; done
[ "$(pgb_clients)" -ge 12 ] || fail "the daemons connect through PgBouncer: $(pgb_clients) clients"
note "PgBouncer clients: $(pgb_clients)"
multi_scenario_kill 1 2 3
