#!/bin/sh
# Every lifecycle transition through `ticketctl set`: allowed ones stamp
# their time column and write an audit event; refused ones change nothing.
. "$(dirname "$0")/common.sh"
pg_start
"$TICKETCTL" migrate >/dev/null

# The spec, written out independently of src/store/lifecycle.c.
allowed() {
	case "$1:$2" in
	new:open|new:in_progress|new:pending|new:resolved|new:closed) return 0 ;;
	open:in_progress|open:pending|open:resolved|open:closed) return 0 ;;
	in_progress:open|in_progress:pending|in_progress:resolved|in_progress:closed) return 0 ;;
	pending:open|pending:in_progress|pending:resolved|pending:closed) return 0 ;;
	resolved:closed|resolved:reopened|closed:reopened) return 0 ;;
	reopened:open|reopened:in_progress|reopened:pending|reopened:resolved|reopened:closed) return 0 ;;
	esac
	return 1
}
stamp() {
	case "$1" in new) echo created_at ;; open) echo opened_at ;; *) echo "${1}_at" ;; esac
}

STATUSES="new open in_progress pending resolved closed reopened"
n=0; ok=0; refused=0; reopens=0
for from in $STATUSES; do
	for to in $STATUSES; do
		[ "$from" = "$to" ] && continue
		n=$((n + 1))
		num=$(psql_q "INSERT INTO tickets (tenant_id, number, subject, status)
			SELECT id, ticketd_next_number(id), 'lc $from $to', '$from' FROM tenants
			WHERE name = 'default' RETURNING number")
		if [ "$to" = open ] && { [ "$from" = resolved ] || [ "$from" = closed ]; }; then
			# one vocabulary with email's #status: "open" on a done ticket reopens it
			expect_rc 0 "$TICKETCTL" set "$num" status "$to"
			assert_eq "$(psql_q "SELECT status FROM tickets WHERE number = $num")" "reopened" \
				"$from -> open is a reopen"
			reopens=$((reopens + 1))
		elif allowed "$from" "$to"; then
			expect_rc 0 "$TICKETCTL" set "$num" status "$to"
			assert_eq "$(psql_q "SELECT status FROM tickets WHERE number = $num")" "$to" "$from -> $to"
			col=$(stamp "$to")
			assert_eq "$(psql_q "SELECT $col IS NOT NULL FROM tickets WHERE number = $num")" "t" \
				"$from -> $to stamps $col"
			ev=$(psql_q "SELECT actor || '|' || action || '|' || old_value || '|' || new_value
				FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE t.number = $num")
			assert_contains "$ev" "|status|$from|$to" "audit event for $from -> $to"
			assert_contains "$ev" "ticketctl:" "audit actor"
			ok=$((ok + 1))
		else
			expect_rc 1 "$TICKETCTL" set "$num" status "$to"
			assert_contains "$OUT" "cannot become $to" "refusal message"
			assert_eq "$(psql_q "SELECT status FROM tickets WHERE number = $num")" "$from" \
				"$from -> $to refused"
			assert_eq "$(psql_q "SELECT count(*) FROM ticket_events e JOIN tickets t
				ON t.id = e.ticket_id WHERE t.number = $num")" "0" "no event when refused"
			refused=$((refused + 1))
		fi
	done
done
assert_eq "$n" "42"
assert_eq "$ok" "25" "allowed transitions"
assert_eq "$refused" "15" "refused transitions"
assert_eq "$reopens" "2" "open on resolved and closed tickets"

# priority and assignee through the same audit trail
psql_q "INSERT INTO agents (name, email) VALUES ('alice', 'alice@example.com')" >/dev/null
num=$(psql_q "SELECT min(number) FROM tickets")
expect_rc 0 "$TICKETCTL" set "TKT-$num" priority critical
expect_rc 0 "$TICKETCTL" set "$num" priority urgent   # the same as critical: no change
expect_rc 1 "$TICKETCTL" set "$num" priority pressing
assert_contains "$OUT" "critical (or urgent)"
expect_rc 0 "$TICKETCTL" set "$num" assignee alice
expect_rc 1 "$TICKETCTL" set "$num" assignee mallory
assert_contains "$OUT" 'no agent named "mallory"'
assert_eq "$(psql_q "SELECT priority || ' ' || (SELECT name FROM agents WHERE id = assignee_id)
	FROM tickets WHERE number = $num")" "critical alice"
assert_eq "$(psql_q "SELECT string_agg(action || ':' || coalesce(new_value, ''), ',' ORDER BY e.id)
	FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE t.number = $num
	AND action <> 'status'")" "priority:critical,assignee:alice"
expect_rc 1 "$TICKETCTL" set 999999 status open
assert_contains "$OUT" "no ticket 999999"
echo "ok"
