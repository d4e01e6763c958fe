#!/bin/sh
# XOAUTH2: with xoauth2_token_file ticketd authenticates with SASL XOAUTH2
# (never LOGIN). An expired token is refused and retried with backoff; once
# an outside job writes a fresh token to the file, the next connect uses it.
# The token never appears in the log. (Fake server: Dovecot's XOAUTH2 needs
# an OAuth2 introspection service.)
. "$(dirname "$0")/common.sh"
pg_start
printf 'fresh-token-0123456789\n' >"$T/server.token"
printf 'expired-token-abcdef\n' >"$T/client.token"
/usr/bin/python3 "$top_srcdir/tests/integration/fake-imap.py" "$T/fake.port" "$T/fake.log" xoauth2 "$T/server.token" &
echo "kill $!" >"$T/fake.cleanup"
wait_for 60 "fake server listening" '[ -s "$T/fake.port" ]'
FAKE_PORT=$(cat "$T/fake.port")
write_config <<YAML
mailboxes:
  - name: oauthbox
    type: imap
    host: 127.0.0.1
    port: $FAKE_PORT
    tls: none
    user: support
    xoauth2_token_file: $T/client.token
    after: seen
    idle: false
    poll_interval: 200ms
YAML
daemon_start
wait_for 10 "refused" 'grep -q "imap: mailbox=oauthbox XOAUTH2 authentication: login refused (server: invalid token); reconnecting" "$DAEMON_LOG"'
assert_eq "$(psql_q "SELECT count(*) FROM inbound")" "0" "nothing fetched with a refused token"
sleep 4 # attempts at about 0, 1, 3, 7 s: exponential backoff, not a login storm
n=$(grep -c "AUTHENTICATE XOAUTH2 refused" "$T/fake.log")
note "refused attempts in the first ~4 s: $n"
[ "$n" -ge 2 ] && [ "$n" -le 4 ] || fail "expected 2-4 attempts with backoff, got $n"
assert_contains "$(cat "$DAEMON_LOG")" "reconnecting in 2000 ms"
cp "$T/server.token" "$T/client.token" # the refresh job
wait_sql 15 "SELECT count(*) FROM tickets" 3
grep -q "AUTHENTICATE XOAUTH2 accepted" "$T/fake.log" || fail "no accepted XOAUTH2 login"
grep -q " LOGIN " "$T/fake.log" && fail "LOGIN was tried"
grep -q "token-" "$DAEMON_LOG" && fail "a token appears in the log"
assert_contains "$(psql_q "SELECT errors || '|' || last_error FROM mailbox_state WHERE mailbox = 'oauthbox'")" "login refused"
daemon_stop
echo "ok"
