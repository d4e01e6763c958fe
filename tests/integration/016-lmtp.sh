#!/bin/sh
# The LMTP listener (a mailbox of type lmtp) with Python's smtplib.LMTP as
# the MTA: LHLO announces SIZE; each message is one inbound row with the
# envelope in meta, and every accepted recipient is answered 250 only after
# the commit (one reply each, RFC 2033); the same bytes again (an MTA's
# retry) are staged once; the rules route by the envelope recipient (a Bcc'd
# address); 552 over the size limit, 5xx for bad syntax, 451 4.3.0 while the
# database is down (then the retry makes one ticket); dot-unstuffing and
# CRLF to LF; pipelined commands; several transactions per connection; Unix
# socket mode and TCP; a stale socket replaced after a crash, one in use
# refused; 421 at shutdown and after the command timeout.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/mta.sh"
pg_start
recipient_rules
SOCK=$T/lmtp.sock
lmtp_config() { # lmtp_config COMMAND_TIMEOUT
	write_config <<YAML
rules: { dir: $T/rules }
mailboxes:
  - name: mta
    type: lmtp
    listen: [ "$SOCK", "127.0.0.1:0" ]
    socket_mode: "0666"
    max_connections: 3
    max_message_size: 64k
    command_timeout: $1
    queue: mta
YAML
}
lmtp_config 60s
daemon_start
wait_for 10 "the LMTP listener" '[ -S "$SOCK" ]'
assert_eq "$(stat -c %a "$SOCK")" "666" "socket_mode"
PORT=$(sed -n 's/.*lmtp: mailbox=mta listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$DAEMON_LOG" | tail -n 1)
[ -n "$PORT" ] || fail "no TCP port in the log"
count() { printf '%s\n' "$1" | grep -c "$2" || true; }

OUT=$(lmtp "$SOCK" lhlo)
assert_contains "$OUT" "SIZE 65536"
assert_contains "$OUT" "PIPELINING"
assert_contains "$OUT" "ENHANCEDSTATUSCODES"

cat >"$T/a.eml" <<'MAIL'
From: Zoe <zoe@customer.example>
To: support@example.com
Subject: invoice question
Message-ID: <lmtp-a@customer.example>

The total is wrong.
.A line that starts with a dot.
..two dots
MAIL
# billing@ is Bcc'd: only the envelope knows it.
OUT=$(lmtp "$SOCK" send zoe@customer.example support@example.com,billing@support.example "$T/a.eml")
assert_eq "$(count "$OUT" '^250 2.0.0 Staged as inbound 1$')" "2" "one 250 per recipient: $OUT"
# The reply came after the commit: the row is there now.
assert_eq "$(psql_q "SELECT count(*) FROM inbound WHERE source = 'mta' AND dedup_key LIKE 'lmtp:%'")" "1"
assert_eq "$(psql_q "SELECT meta->>'sender', meta->'recipients' FROM inbound")" \
	'zoe@customer.example|["support@example.com", "billing@support.example"]'
psql_q "SELECT encode(raw, 'escape') FROM inbound WHERE id = 1" >"$T/stored.eml"
head -n 1 "$T/stored.eml" | grep -qx 'Return-Path: <zoe@customer.example>' || fail "no Return-Path on top"
grep -qx '\.A line that starts with a dot\.' "$T/stored.eml" || fail "dot not unstuffed"
grep -qx '\.\.two dots' "$T/stored.eml" || fail "a stuffed double dot"
[ "$(psql_q "SELECT position('\\x0d'::bytea IN raw) FROM inbound WHERE id = 1")" = 0 ] || fail "CR kept"

# The MTA retries (it lost our reply): staged once.
OUT=$(lmtp "$SOCK" send zoe@customer.example support@example.com,billing@support.example "$T/a.eml")
assert_eq "$(count "$OUT" '^250 2.0.0 Already staged as inbound 1$')" "2" "retry: $OUT"
assert_eq "$(psql_q "SELECT count(*) FROM inbound")" "1" "a retry is staged once"
wait_sql 20 "SELECT count(*) FROM tickets" 1
assert_eq "$(psql_q "SELECT queue FROM tickets")" "billing" "routed by the Bcc'd recipient"
assert_eq "$(psql_q "SELECT kind FROM sources WHERE name = 'mta'")" "lmtp"

# Three transactions on one connection (RSET and NOOP between), over TCP.
for i in 1 2 3; do
	printf 'From: c%s@customer.example\nTo: support@example.com\nSubject: tcp %s\nMessage-ID: <tcp%s@c>\n\nhi\n' \
		"$i" "$i" "$i" >"$T/t$i.eml"
done
OUT=$(lmtp "127.0.0.1:$PORT" send c@customer.example support@example.com "$T/t1.eml" "$T/t2.eml" "$T/t3.eml")
assert_eq "$(count "$OUT" '^250 2.0.0 Staged as inbound')" "3" "three messages: $OUT"
wait_sql 20 "SELECT count(*) FROM tickets WHERE queue = 'mta' AND subject LIKE 'tcp %'" 3

# Pipelined: MAIL, RCPT, DATA in one write, then the message; replies in order.
printf 'From: p@customer.example\nSubject: pipelined\nMessage-ID: <pipe1@c>\n\n.\nbody\n' >"$T/p.eml"
OUT=$(lmtp "$SOCK" pipelined p@customer.example support@example.com "$T/p.eml")
assert_eq "$(printf '%s\n' "$OUT" | cut -c1-3 | tr '\n' ' ')" "220 250 250 250 250 250 250 250 354 250 221 " \
	"pipelined replies: $OUT"

# Protocol errors: 5xx, the connection goes on.
long=$(head -c 3000 /dev/zero | tr '\0' x)
OUT=$(printf 'EHLO c\nLHLO c\nMAIL FROM:zoe@customer.example\nMAIL FROM:<> SIZE=99999999\nMAIL FROM:<>\nRCPT TO:<not an address>\nRCPT TO:<x@y.example> NOTIFY=NEVER\nDATA\nNOOP %s\nRCPT TO:<ok@y.example>\nQUIT\n' "$long" | lmtp "$SOCK" raw)
for want in "500 5.5.1 This is LMTP: say LHLO" "501 5.5.4 Syntax: MAIL FROM:<address>" \
	"552 5.3.4 Message too big" "250 2.1.0 Sender OK" "501 5.1.3 Bad recipient address syntax" \
	"555 5.5.4 Unsupported RCPT parameter" "503 5.5.1 No valid recipients" "500 5.5.2 Line too long" \
	"250 2.1.5 Recipient OK" "221 2.0.0"; do
	assert_contains "$OUT" "$want"
done
# Over max_message_size without SIZE=: read to the end, then 552 for each recipient.
{ printf 'LHLO c\nMAIL FROM:<zoe@customer.example>\nRCPT TO:<a@y.example>\nRCPT TO:<b@y.example>\nDATA\n'
  printf 'Subject: big\n\n'; head -c 70000 /dev/zero | tr '\0' 'y' | fold -w 70; printf '\n.\nNOOP\nQUIT\n'; } |
	lmtp "$SOCK" raw >"$T/big.out"
assert_eq "$(grep -c '^552 5.3.4' "$T/big.out")" "2" "552 per recipient: $(cat "$T/big.out")"
grep -q '^221' "$T/big.out" || fail "the connection went on after 552"
assert_eq "$(psql_q "SELECT count(*) FROM inbound")" "5" "nothing staged for errors"

# The database down: 451 4.3.0 (the MTA keeps the mail), no 250; back up, the retry makes one ticket.
printf 'From: d@customer.example\nTo: support@example.com\nSubject: during the outage\nMessage-ID: <down@c>\n\nx\n' >"$T/d.eml"
pg_down
OUT=$(lmtp "$SOCK" send d@customer.example support@example.com,billing@support.example "$T/d.eml")
assert_contains "$OUT" "451 4.3.0"
case "$OUT" in *"250 2.0.0"*) fail "250 while the database was down: $OUT" ;; esac
OUT=$(lmtp "$SOCK" send d@customer.example support@example.com "$T/d.eml")
assert_contains "$OUT" "451 4.3.0 Database unavailable"
pg_up
OUT=$(lmtp "$SOCK" send d@customer.example support@example.com,billing@support.example "$T/d.eml")
assert_eq "$(count "$OUT" '^250 2.0.0 Staged')" "2" "after the outage: $OUT"
wait_sql 30 "SELECT count(*) FROM tickets WHERE subject = 'during the outage'" 1
assert_eq "$(psql_q "SELECT count(*) FROM inbound WHERE state = 'done'")" "6" "all processed"

# A crash leaves the socket file: the next start replaces it. A second daemon is refused.
kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=
[ -S "$SOCK" ] || fail "the socket file should survive SIGKILL"
daemon_start
wait_for 10 "LMTP after restart" 'lmtp "$SOCK" lhlo'
expect_rc 1 "$TICKETD" -c "$T/ticketd.yaml"
assert_contains "$OUT" "another process listens on $SOCK"

# Shutdown: an idle client hears 421 4.3.2; the socket file goes.
connected=$(grep -c 'client=unix connected' "$DAEMON_LOG")
lmtp "$SOCK" idle >"$T/idle.out" &
IDLE=$!
wait_for 20 "the idle client" '[ "$(grep -c "client=unix connected" "$DAEMON_LOG")" -gt "$connected" ]'
daemon_stop
assert_eq "$DAEMON_RC" "0"
wait "$IDLE" || true
assert_contains "$(cat "$T/idle.out")" "421 4.3.2"
[ ! -e "$SOCK" ] || fail "socket left after a clean stop"

# The command timeout: 421 4.4.2, then the connection is closed.
lmtp_config 1s
daemon_start
OUT=$(lmtp "$SOCK" idle)
assert_contains "$OUT" "421 4.4.2"
daemon_stop
echo "ok"
