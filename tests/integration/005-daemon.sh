#!/bin/sh
# The daemon end to end on a Maildir mailbox: mail dropped in becomes
# tickets that ticketctl lists and shows; SIGHUP with a broken config keeps
# the old one (and says why); SIGHUP with a good one applies it; SIGTERM
# stops it cleanly within the shutdown timeout.
. "$(dirname "$0")/common.sh"
pg_start
MD=$T/maildir
write_config <<YAML
agents:
  - name: alice
    email: alice@example.com
mailboxes:
  - name: support
    type: maildir
    path: $MD
    queue: helpdesk
    priority: high
    poll_interval: 200ms
YAML
cp "$T/ticketd.yaml" "$T/good.yaml"
daemon_start
wait_for 5 "the daemon creates the Maildir" '[ -d "$MD/new" ] && [ -d "$MD/.Processed/cur" ]'

mail() { # mail N SUBJECT FROM
	cat >"$MD/tmp/m$1" <<MAIL
From: Customer $1 <$3>
To: support@example.com
Subject: $2
Message-ID: <m$1@test.example>
Date: Mon, 23 Nov 2026 10:00:0$1 +0100

Hello, this is message $1.
MAIL
	mv "$MD/tmp/m$1" "$MD/new/m$1"
}
mail 1 "Printer on fire" bob@customer.example
mail 2 "VPN down" carol@customer.example
mail 3 "Forwarded by an agent" alice@example.com
wait_sql 10 "SELECT count(*) FROM tickets" 3

"$TICKETCTL" list >"$T/list"
assert_contains "$(cat "$T/list")" "Printer on fire"
"$TICKETCTL" list --json --status new --queue helpdesk >"$T/list.json"
assert_eq "$(json_get "$T/list.json" "sorted(set(t['priority'] for t in d))")" '["high"]' "mailbox priority"
assert_eq "$(json_get "$T/list.json" "len(d)")" "3" "list --json --status --queue"
"$TICKETCTL" list --json --status closed >"$T/empty.json"
assert_eq "$(json_get "$T/empty.json" "len(d)")" "0" "status filter"
expect_rc 1 "$TICKETCTL" list --json --queue nosuch
assert_contains "$OUT" 'no queue "nosuch" (known: helpdesk)' "a queue that does not exist"
num=$(psql_q "SELECT number FROM tickets WHERE subject = 'Printer on fire'")
"$TICKETCTL" show --json "$num" >"$T/show.json"
assert_eq "$(json_get "$T/show.json" "d['requester']")" "bob@customer.example"
assert_eq "$(json_get "$T/show.json" "d['messages'][0]['body_text'].strip()")" "Hello, this is message 1."
assert_eq "$(json_get "$T/show.json" "[e['action'] for e in d['events']]")" '["created"]'
assert_eq "$(json_get "$T/show.json" "d['status'] + ' ' + d['queue'] + ' ' + d['source']")" "new helpdesk support"
"$TICKETCTL" show "TKT-$num" >"$T/show.txt"
assert_contains "$(cat "$T/show.txt")" "Printer on fire"
assert_eq "$(psql_q "SELECT coalesce(requester, 'none') FROM tickets WHERE subject = 'Forwarded by an agent'")" \
	"none" "an agent never becomes requester"
assert_eq "$(ls "$MD/new" | wc -l | tr -d ' ')" "0" "new/ emptied"
assert_eq "$(ls "$MD/.Processed/cur" | wc -l | tr -d ' ')" "3" "moved to .Processed after commit"

# SIGHUP with a broken config: refused, the old one kept, intake goes on.
printf 'workers:\n  count: -1\n' >>"$T/ticketd.yaml"
kill -HUP "$DAEMON_PID"
wait_for 5 "reload refused" 'grep -q "reload refused, keeping the old configuration: $T/ticketd.yaml:" "$DAEMON_LOG"'
mail 4 "After a bad reload" dave@customer.example
wait_sql 10 "SELECT count(*) FROM tickets" 4

# SIGHUP with a good config: applied.
cp "$T/good.yaml" "$T/ticketd.yaml"
kill -HUP "$DAEMON_PID"
wait_for 5 "reloaded" 'grep -q "configuration reloaded" "$DAEMON_LOG"'

# SIGTERM: clean exit, in time, lease released.
start=$(date +%s)
daemon_stop
assert_eq "$DAEMON_RC" "0" "exit status after SIGTERM"
[ $(( $(date +%s) - start )) -le 6 ] || fail "stop took longer than the shutdown timeout"
grep -q "ticketd: stopped" "$DAEMON_LOG" || fail "no orderly stop logged"
assert_eq "$(psql_q "SELECT count(*) FROM mailbox_leases")" "0" "lease released on stop"
assert_eq "$(psql_q "SELECT count(*) FROM inbound WHERE state <> 'done'")" "0" "all processed"
echo "ok"
