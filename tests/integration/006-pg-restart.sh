#!/bin/sh
# PostgreSQL restarted under the running daemon: it reconnects with backoff
# and loses or repeats no work.
. "$(dirname "$0")/common.sh"
pg_start
MD=$T/maildir
write_config <<YAML
mailboxes:
  - name: support
    type: maildir
    path: $MD
    poll_interval: 200ms
YAML
daemon_start
# The intake thread creates the Maildir after "ready": wait for it.
wait_for 10 "the Maildir" '[ -d "$MD/tmp" ] && [ -d "$MD/new" ]'

drop() { # drop FIRST LAST
	i=$1
	while [ "$i" -le "$2" ]; do
		printf 'From: c%s@example.org\nTo: support@example.com\nSubject: restart %s\nMessage-ID: <r%s@t>\n\nbody %s\n' \
			"$i" "$i" "$i" "$i" >"$MD/tmp/r$i"
		mv "$MD/tmp/r$i" "$MD/new/r$i"
		i=$((i + 1))
	done
}
drop 1 10
wait_sql 10 "SELECT count(*) FROM tickets" 10

pg_down
drop 11 30
sleep 2
kill -0 "$DAEMON_PID" || fail "daemon died while the database was down"
pg_up
wait_sql 40 "SELECT count(*) FROM tickets" 30
sleep 1
assert_eq "$(psql_q "SELECT count(*) FROM tickets")" "30" "no ticket twice"
assert_eq "$(psql_q "SELECT count(DISTINCT subject) FROM tickets")" "30" "each message once"
assert_eq "$(psql_q "SELECT count(*) FROM inbound")" "30" "each staged once"
assert_eq "$(psql_q "SELECT count(*) FROM inbound WHERE state = 'done'")" "30" "all done"
grep -q "cannot connect\|not connected\|terminating connection\|server closed" "$DAEMON_LOG" || \
	fail "the outage was not noticed in the log"
daemon_stop
assert_eq "$DAEMON_RC" "0"
echo "ok"
