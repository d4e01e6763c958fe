#!/bin/sh
# A rolling restart of three daemons on one database under mixed intake
# (IMAP, Maildir, the pipe, webhooks to the running daemons): each gets
# SIGTERM in turn, exits 0, and starts again while the others carry the
# load. Nothing is lost (every acknowledged item stored, every 202 stored),
# nothing duplicated (no mail staged, stored or sent twice), each SLA step
# and level once.
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
multi_scenario_rolling 1 2 3
