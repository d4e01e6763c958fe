#!/bin/sh
# What the IMAP intake does to the mailbox besides MOVE: (1) after: seen
# sets \Seen and leaves the messages in INBOX (no folder created), and
# move_to equal to the folder is refused;
# (2) a server without MOVE but with UIDPLUS (Dovecot's imap_capability
# without MOVE): UID COPY + \Deleted + UID EXPUNGE of exactly that UID, so
# another message the user flagged \Deleted stays; (3) neither MOVE nor
# UIDPLUS: ticketd never expunges; it sets \Seen and says so.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/dovecot.sh"
pg_start
dovecot_start
printf '%s\n' "$DOVE_PASS" >"$T/imap.pw"
mailbox_yaml() { # NAME FOLDER AFTER
	cat <<YAML
mailboxes:
  - name: $1
    type: imap
    host: 127.0.0.1
    port: $DOVE_PORT
    tls: none
    user: $DOVE_USER
    password_file: $T/imap.pw
    folder: $2
    after: $3
    move_to: Archive
YAML
}

# (1) after: seen (and a mailbox that would move mail into its own folder: refused)
{ mailbox_yaml seenbox INBOX seen; mailbox_yaml loopbox Loop move | tail -n +2 | sed 's/move_to: Archive/move_to: Loop/'; } | write_config
imap_py 'ensure("Loop"); append("Loop", msg(9))'
imap_py 'append("INBOX", msg(1)); append("INBOX", msg(2))'
daemon_start
wait_sql 10 "SELECT count(*) FROM tickets" 2
wait_for 5 "flagged" '[ "$(imap_py "print([\"Seen\" in flags(\"INBOX\", u) for u in uids(\"INBOX\")])")" = "[True, True]" ]'
assert_contains "$(grep "mailbox=seenbox connected" "$DAEMON_LOG")" "after=seen"
assert_eq "$(imap_py 'print("Archive" in folders())')" "False" "no folder created for after: seen"
wait_for 5 "loop refused" 'grep -q "imap: mailbox=loopbox move_to is the folder itself (Loop)" "$DAEMON_LOG"'
assert_eq "$(psql_q "SELECT count(*) FROM inbound WHERE source = 'loopbox'")" "0"
daemon_stop

# (2) no MOVE, UIDPLUS: COPY + \Deleted + UID EXPUNGE.
dovecot_stop
dovecot_start "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE UIDPLUS LITERAL+"
mailbox_yaml copybox Copy move | write_config
imap_py 'ensure("Copy"); append("Copy", msg(3), flags="(\\Deleted)")'
psql_q "INSERT INTO mailbox_state (mailbox, uidvalidity, last_uid) VALUES ('copybox', $(imap_py 'print(uidvalidity("Copy"))'), 1)" >/dev/null
imap_py 'append("Copy", msg(4, subject="Copy and expunge"))'
daemon_start
wait_sql 10 "SELECT count(*) FROM tickets WHERE subject = 'Copy and expunge'" 1
assert_contains "$(grep "mailbox=copybox connected" "$DAEMON_LOG")" "after=copy+expunge"
wait_for 5 "expunged" '[ "$(imap_py "print(uids(\"Copy\"))")" = "[1]" ]'
assert_eq "$(imap_py 'print(len(uids("Archive")))')" "1" "copied to Archive"
assert_eq "$(imap_py 'print("Deleted" in flags("Archive", uids("Archive")[0]))')" "False" "the copy is not \\Deleted"
daemon_stop

# (3) neither MOVE nor UIDPLUS: flag only, never expunge.
dovecot_stop
dovecot_start "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+"
mailbox_yaml plainbox Plain move | write_config
imap_py 'ensure("Plain"); append("Plain", msg(5, subject="No MOVE, no UIDPLUS"))'
daemon_start
wait_sql 10 "SELECT count(*) FROM tickets WHERE subject = 'No MOVE, no UIDPLUS'" 1
wait_for 5 "flagged" '[ "$(imap_py "print([\"Seen\" in flags(\"Plain\", u) for u in uids(\"Plain\")])")" = "[True]" ]'
assert_contains "$(cat "$DAEMON_LOG")" "offers neither MOVE nor UIDPLUS: setting \\Seen instead of moving"
assert_eq "$(imap_py 'print(len(uids("Archive")))')" "1" "nothing copied"
daemon_stop
echo "ok"
