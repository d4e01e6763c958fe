#!/bin/sh
# Three daemons on one PostgreSQL (directly; 087 runs the same through
# PgBouncer): mail through one IMAP mailbox and one Maildir (each leased by
# one daemon), the MTA pipe, webhooks posted to all three, the outbox
# sending and the SLA escalator running in every daemon. The daemon that
# holds the IMAP lease is SIGKILLed under load: another takes the mailbox
# within two lease times; every mail is a ticket exactly once, every
# acknowledged item is stored, every notification goes out (at most one
# resend: the SMTP window of the kill), each SLA step fires once.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/hooks_common.sh"
. "$(dirname "$0")/dovecot.sh"
. "$(dirname "$0")/convo.sh"
. "$(dirname "$0")/multi.sh"
pg_start
scenario_setup
MULTI_LOG=info
for n in 1 2 3; do scenario_config $n </dev/null; done
for n in 1 2 3; do multi_start $n; done
multi_scenario_kill 1 2 3
