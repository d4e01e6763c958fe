#!/bin/sh
# Mailbox leases: two daemons on one database, one IMAP mailbox. Exactly
# one of them connects and polls; the other stands by. When the holder is
# killed (SIGKILL: no release), the other takes the mailbox over after the
# lease TTL and picks up new mail; nothing is staged twice. A daemon whose
# lease is taken away stops polling at its next renewal.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/dovecot.sh"
pg_start
dovecot_start
printf '%s\n' "$DOVE_PASS" >"$T/imap.pw"
write_config <<YAML
mailboxes:
  - name: shared
    type: imap
    host: 127.0.0.1
    port: $DOVE_PORT
    tls: none
    user: $DOVE_USER
    password_file: $T/imap.pw
YAML
{ echo "instance: daemon-a"; cat "$T/ticketd.yaml"; } >"$T/a.yaml"
{ echo "instance: daemon-b"; cat "$T/ticketd.yaml"; } >"$T/b.yaml"

start_one() { # start_one NAME -> pid in PID_<NAME>
	"$TICKETD" -c "$T/$1.yaml" >>"$T/$1.log" 2>&1 &
	eval "PID_$1=$!"
	echo "kill -KILL $! 2>/dev/null" >"$T/daemon-$1.cleanup"
	wait_for 20 "daemon $1 ready" "grep -q 'ticketd: ready' '$T/$1.log'"
}
start_one a
wait_for 10 "a connected" 'grep -q "imap: mailbox=shared connected" "$T/a.log"'
start_one b
wait_for 10 "b stands by" 'grep -q "imap: mailbox=shared is leased by another daemon; standing by" "$T/b.log"'

imap_py 'for i in range(1, 4): append("INBOX", msg(i))'
wait_sql 10 "SELECT count(*) FROM tickets" 3
sleep 2 # several lease periods: b must stay out
assert_eq "$(grep -c "imap: mailbox=shared connected" "$T/b.log" || true)" "0" "b never polled while a held the lease"
assert_eq "$(grep -c "imap: mailbox=shared uid=.* fetched" "$T/a.log")" "3" "a fetched all three"
assert_eq "$(psql_q "SELECT holder FROM mailbox_leases WHERE mailbox = 'shared'")" "daemon-a"

kill -KILL "$PID_a"; wait "$PID_a" 2>/dev/null || true
t0=$(date +%s)
imap_py 'append("INBOX", msg(4, subject="After the takeover"))'
wait_for 15 "b takes over" 'grep -q "imap: mailbox=shared lease taken over by daemon-b" "$T/b.log"'
wait_sql 10 "SELECT count(*) FROM tickets WHERE subject = 'After the takeover'" 1
note "takeover and pickup after $(( $(date +%s) - t0 )) s (lease_ttl 2 s)"
assert_eq "$(psql_q "SELECT holder FROM mailbox_leases WHERE mailbox = 'shared'")" "daemon-b"
assert_eq "$(psql_q "SELECT count(*) FROM inbound")" "4" "nothing staged twice"
assert_eq "$(imap_py 'print(uids("INBOX"), len(uids("Processed")))')" "[] 4"

# A lease taken away (as if b had stalled past its TTL): b notices at its
# next renewal, leaves IDLE and stands by; new mail waits until it is back.
psql_q "UPDATE mailbox_leases SET holder = 'daemon-x', expires_at = now() + interval '1 hour'" >/dev/null
wait_for 5 "b lets go" 'grep -q "imap: mailbox=shared lost its lease to another daemon; disconnecting" "$T/b.log"'
wait_for 5 "b stands by again" '[ "$(grep -c "is leased by another daemon; standing by" "$T/b.log")" = 2 ]'
imap_py 'append("INBOX", msg(5, subject="While leased elsewhere"))'
sleep 2
assert_eq "$(psql_q "SELECT count(*) FROM inbound")" "4" "nothing fetched without the lease"
psql_q "DELETE FROM mailbox_leases" >/dev/null
wait_sql 10 "SELECT count(*) FROM tickets WHERE subject = 'While leased elsewhere'" 1
kill -TERM "$PID_b"; wait "$PID_b" || fail "daemon b exited $?"
echo "ok"
