#!/bin/sh
# A broken message cannot stall a mailbox: against a fake server whose
# UID 1 body drips a byte every 0.2 s, each fetch gives up after
# message_timeout (1 s here), the message is skipped after 3 tries with a
# clear log line (and counted in mailbox_state), never flagged, and the
# messages after it become tickets.
. "$(dirname "$0")/common.sh"
pg_start
/usr/bin/python3 "$top_srcdir/tests/integration/fake-imap.py" "$T/fake.port" "$T/fake.log" &
echo "kill $!" >"$T/fake.cleanup"
wait_for 60 "fake server listening" '[ -s "$T/fake.port" ]'
FAKE_PORT=$(cat "$T/fake.port")
printf 'pw\n' >"$T/imap.pw"
write_config <<YAML
mailboxes:
  - name: fakebox
    type: imap
    host: 127.0.0.1
    port: $FAKE_PORT
    tls: none
    user: support
    password_file: $T/imap.pw
    after: seen
    idle: false
    poll_interval: 200ms
    message_timeout: 1s
YAML
t0=$(date +%s)
daemon_start
wait_sql 30 "SELECT count(*) FROM tickets" 2
note "two good messages behind a broken one: tickets after $(( $(date +%s) - t0 )) s"
assert_contains "$(cat "$DAEMON_LOG")" "imap: mailbox=fakebox uid=1 fetch (try 1 of 3): fetch timed out"
assert_contains "$(cat "$DAEMON_LOG")" "imap: mailbox=fakebox uid=1 skipped: fetch failed 3 times in a row; left in folder INBOX untouched"
assert_eq "$(psql_q "SELECT string_agg(subject, ',' ORDER BY subject) FROM tickets")" "fake 2,fake 3"
assert_eq "$(psql_q "SELECT last_uid || '|' || skipped || '|' || (errors >= 4) FROM mailbox_state WHERE mailbox = 'fakebox'")" "3|1|true" "skip counted"
grep -Eq 'UID STORE ([0-9,]*,)?1(,[0-9,]*)? ' "$T/fake.log" && fail "the skipped message was flagged"
grep -Eq 'UID STORE ([0-9,]*,)?2(,[0-9,]*)? ' "$T/fake.log" || fail "message 2 was not flagged"
daemon_stop
echo "ok"
