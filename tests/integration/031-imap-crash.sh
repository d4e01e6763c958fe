#!/bin/sh
# Crash safety of the IMAP intake. (1) SIGKILL between fetch and commit:
# the inbound table is locked so staging blocks right after the FETCH;
# the daemon is killed there; after a restart the message becomes exactly
# one ticket and is moved. (2) A crash after the commit but before the
# MOVE (the state is made directly: the row staged and the cursor past
# it, the message still in INBOX): the restarted daemon acknowledges it
# without staging it again. (3) PostgreSQL down while mail arrives.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/dovecot.sh"
pg_start
dovecot_start
printf '%s\n' "$DOVE_PASS" >"$T/imap.pw"
write_config <<YAML
mailboxes:
  - name: crashbox
    type: imap
    host: 127.0.0.1
    port: $DOVE_PORT
    tls: none
    user: $DOVE_USER
    password_file: $T/imap.pw
    move_to: Done
YAML
daemon_start
wait_for 10 "connected" 'grep -q "imap: mailbox=crashbox connected" "$DAEMON_LOG"'

# (1) Block staging: a session holds an exclusive lock on inbound.
PGAPPNAME=locker "$PG_BINDIR/psql" -X -q "$TICKETD_DSN" \
	-c "BEGIN; LOCK TABLE inbound IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120);" >/dev/null 2>&1 &
LOCKER=$!
echo "kill $LOCKER" >"$T/locker.cleanup"
wait_sql 10 "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'inbound' AND l.mode = 'AccessExclusiveLock' AND l.granted" 1
imap_py 'append("INBOX", msg(1, subject="Crash between fetch and commit"))'
wait_for 10 "fetch logged" 'grep -q "imap: mailbox=crashbox uid=1 fetched" "$DAEMON_LOG"'
sleep 0.3
kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=
psql_q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'locker'" >/dev/null
wait "$LOCKER" 2>/dev/null || true
assert_eq "$(psql_q "SELECT count(*) FROM inbound")" "0" "nothing committed before the kill"
assert_eq "$(psql_q "SELECT last_uid FROM mailbox_state WHERE mailbox = 'crashbox'")" "0" "cursor not moved"
assert_eq "$(imap_py 'print(uids("INBOX"))')" "[1]" "still in INBOX after the crash"

daemon_start # the dead daemon's lease expires after lease_ttl (2 s)
wait_sql 15 "SELECT count(*) FROM tickets" 1
wait_for 5 "moved" '[ "$(imap_py "print(uids(\"INBOX\"), len(uids(\"Done\")))")" = "[] 1" ]'
sleep 1
assert_eq "$(psql_q "SELECT count(*) FROM inbound")" "1" "staged once"
assert_eq "$(psql_q "SELECT count(*) FROM tickets")" "1" "one ticket"
daemon_stop

# (2) Committed but not acknowledged.
imap_py 'append("INBOX", msg(2, subject="Crash between commit and move"))'
uv=$(imap_py 'print(uidvalidity("INBOX"))')
imap_py 'print(msg(2, subject="Crash between commit and move"), end="")' >"$T/m2.eml"
"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -v raw="$(od -An -tx1 -v "$T/m2.eml" | tr -d ' \n')" \
	"$TICKETD_DSN" >/dev/null <<SQL
INSERT INTO inbound (source, kind, raw, raw_sha256, dedup_key)
  VALUES ('crashbox', 'mail', decode(:'raw', 'hex'), 'x', '$uv:2');
UPDATE mailbox_state SET last_uid = 2 WHERE mailbox = 'crashbox';
SQL
daemon_start
wait_for 10 "sweep" 'grep -q "imap: mailbox=crashbox acknowledged 1 message(s) staged before a restart" "$DAEMON_LOG"'
wait_sql 10 "SELECT count(*) FROM tickets" 2
assert_eq "$(imap_py 'print(uids("INBOX"), len(uids("Done")))')" "[] 2" "moved by the sweep"
assert_eq "$(psql_q "SELECT count(*) FROM inbound")" "2" "not staged again"
assert_eq "$(psql_q "SELECT count(*) FROM tickets WHERE subject = 'Crash between commit and move'")" "1"

# (3) PostgreSQL goes away while the daemon idles: mail that arrives
# meanwhile stays in INBOX and becomes a ticket once the database is back.
pg_down
imap_py 'append("INBOX", msg(3, subject="While the database was down"))'
sleep 3
assert_eq "$(imap_py 'print(uids("INBOX"))')" "[3]" "not acknowledged without a commit"
pg_up
wait_sql 30 "SELECT count(*) FROM tickets WHERE subject = 'While the database was down'" 1
wait_for 5 "moved" '[ "$(imap_py "print(uids(\"INBOX\"))")" = "[]" ]'
assert_eq "$(psql_q "SELECT count(*) FROM inbound")" "3"
daemon_stop
echo "ok"
