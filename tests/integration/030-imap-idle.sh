#!/bin/sh
# IMAP intake through IDLE against a private Dovecot: a message appended to
# INBOX becomes a ticket within ~2 s; it is then in Processed (created by
# ticketd) and no longer in INBOX, with \Seen untouched; the password is
# never logged; mailbox_state holds the cursor for the metrics; SIGTERM
# ends IDLE promptly and releases the lease.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/dovecot.sh"
pg_start
dovecot_start
printf '%s\n' "$DOVE_PASS" >"$T/imap.pw"
write_config <<YAML
mailboxes:
  - name: support-imap
    type: imap
    host: 127.0.0.1
    port: $DOVE_PORT
    tls: none
    user: $DOVE_USER
    password_file: $T/imap.pw
    folder: INBOX
    after: move
    move_to: Processed
    idle: true
    queue: imapq
YAML
# One message waiting before the daemon starts (picked up by the first round).
imap_py 'append("INBOX", msg(1, subject="Before start"))'
daemon_start
wait_sql 10 "SELECT count(*) FROM tickets" 1
wait_for 10 "connected log line" 'grep -q "imap: mailbox=support-imap connected.*idle=yes after=move" "$DAEMON_LOG"'
sleep 0.5 # let it enter IDLE

# Through IDLE: time from APPEND to the ticket.
start=$(date +%s%N)
imap_py 'append("INBOX", msg(2, subject="Through IDLE"))'
wait_sql 5 "SELECT count(*) FROM tickets WHERE subject = 'Through IDLE'" 1
ms=$(( ($(date +%s%N) - start) / 1000000 ))
note "APPEND to ticket through IDLE: ${ms} ms"
[ "$ms" -lt 2500 ] || fail "IDLE pickup took ${ms} ms"

assert_eq "$(psql_q "SELECT string_agg(queue || '|' || requester, ',' ORDER BY id) FROM tickets")" \
	"imapq|c1@customer.example,imapq|c2@customer.example"
assert_eq "$(psql_q "SELECT string_agg(source || '|' || message_id, ',' ORDER BY id) FROM inbound")" \
	"support-imap|imap-test-1@customer.example,support-imap|imap-test-2@customer.example" "source and scanned Message-ID"
uv=$(imap_py 'print(uidvalidity("INBOX"))')
assert_eq "$(psql_q "SELECT string_agg(dedup_key, ',' ORDER BY id) FROM inbound")" "$uv:1,$uv:2" "dedup keys UIDVALIDITY:UID"

# Acknowledged after commit: moved, \Seen untouched.
wait_for 5 "INBOX empty" '[ "$(imap_py "print(uids(\"INBOX\"))")" = "[]" ]'
assert_eq "$(imap_py 'print(len(uids("Processed")))')" "2" "both in Processed"
assert_eq "$(imap_py 'print(["Seen" in flags("Processed", u) for u in uids("Processed")])')" "[False, False]" "\\Seen untouched"
assert_eq "$(psql_q "SELECT uidvalidity || '|' || last_uid || '|' || (last_poll IS NOT NULL) || '|' || errors FROM mailbox_state WHERE mailbox = 'support-imap'")" \
	"$uv|2|true|0" "cursor and metrics"
# A raw message survives byte for byte (the staged copy equals what was appended).
imap_py 'append("INBOX", msg(3, body="x" * 3000000))'
wait_sql 10 "SELECT count(*) FROM tickets" 3
assert_eq "$(psql_q "SELECT length(raw) FROM inbound WHERE dedup_key = '$uv:3'")" \
	"$(imap_py 'print(len(msg(3, body="x" * 3000000).encode()))')" "a 3 MB message fetched in chunks, whole"

grep -q "$DOVE_PASS" "$DAEMON_LOG" && fail "the IMAP password appears in the log"
assert_eq "$(psql_q "SELECT count(*) FROM mailbox_leases WHERE mailbox = 'support-imap'")" "1" "lease held"
t0=$(date +%s)
daemon_stop
[ "$DAEMON_RC" = 0 ] || fail "daemon exited $DAEMON_RC"
[ $(( $(date +%s) - t0 )) -le 3 ] || fail "stop out of IDLE took more than 3 s"
assert_eq "$(psql_q "SELECT count(*) FROM mailbox_leases WHERE mailbox = 'support-imap'")" "0" "lease released on stop"
echo "ok"
