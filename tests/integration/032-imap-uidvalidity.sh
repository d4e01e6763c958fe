#!/bin/sh
# UIDVALIDITY reset: the folder is deleted and recreated with the same
# messages (plus one new). The daemon logs the change, resets its cursor,
# stages everything again under the new UIDVALIDITY, and Message-ID dedup
# at processing keeps the old messages from becoming second tickets.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/dovecot.sh"
pg_start
dovecot_start
export IMAP_PW="$DOVE_PASS"
write_config <<YAML
mailboxes:
  - name: uvbox
    type: imap
    host: 127.0.0.1
    port: $DOVE_PORT
    tls: none
    user: $DOVE_USER
    password_env: IMAP_PW
    folder: Support
    after: seen
YAML
imap_py 'ensure("Support"); append("Support", msg(1)); append("Support", msg(2))'
uv1=$(imap_py 'print(uidvalidity("Support"))')
daemon_start
wait_sql 10 "SELECT count(*) FROM inbound WHERE state = 'done'" 2
wait_for 5 "flagged" '[ "$(imap_py "print([\"Seen\" in flags(\"Support\", u) for u in uids(\"Support\")])")" = "[True, True]" ]'
daemon_stop

imap_py 'M.delete(q("Support")); ensure("Support"); append("Support", msg(1)); append("Support", msg(2)); append("Support", msg(3))'
uv2=$(imap_py 'print(uidvalidity("Support"))')
[ "$uv1" != "$uv2" ] || fail "Dovecot kept UIDVALIDITY $uv1 for the recreated folder"

daemon_start
wait_for 10 "reset logged" 'grep -q "imap: mailbox=uvbox UIDVALIDITY changed from $uv1 to $uv2: cursor reset" "$DAEMON_LOG"'
wait_sql 10 "SELECT count(*) FROM inbound WHERE state = 'done'" 5
assert_eq "$(psql_q "SELECT count(*) FROM inbound WHERE dedup_key LIKE '$uv2:%'")" "3" "re-staged under the new UIDVALIDITY"
assert_eq "$(psql_q "SELECT count(*) FROM tickets")" "3" "no duplicate tickets"
assert_eq "$(psql_q "SELECT count(*) FROM messages")" "3" "each Message-ID stored once"
assert_eq "$(psql_q "SELECT uidvalidity || '|' || last_uid || '|' || uidvalidity_resets FROM mailbox_state")" "$uv2|3|1" "cursor"
assert_contains "$(grep -c "Message-ID already stored" "$DAEMON_LOG")" "2"
daemon_stop
echo "ok"
