#!/bin/sh
# ticketctl on a real database: values are checked against what exists
# (a queue or tenant typo is an error naming the known ones, not an empty
# table); `list` prints its total and a footer when --limit cuts it and
# filters by requester, tag, assignee and dates; `inbound list` counts
# every state and shows the sender, subject, Message-ID and ticket of the
# items; `inbound show` reads as text; `inbound retry --force` runs a wrong
# drop again once the rules are fixed, and a done item again without a
# duplicate; `set` changes queue, category and tags with audit events.
. "$(dirname "$0")/common.sh"
pg_start
MD=$T/maildir
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp" "$T/rules"
cat >"$T/rules/50-test.yaml" <<'YAML'
rules:
  - name: billing
    match: { subject: /invoice/i }
    set: { queue: billing, priority: high, category: Billing, tags: [money] }
  - name: newsletters
    match: { subject: /newsletter/i }
    drop: "newsletter"
YAML
write_config <<YAML
mailboxes:
  - { name: support, type: maildir, path: $MD, poll_interval: 200ms, queue: helpdesk }
categories: [Billing, Hardware]
rules:
  dir: $T/rules
YAML
export TICKETD_CONFIG=$T/ticketd.yaml
"$TICKETCTL" migrate >/dev/null
n=0
mail() { # mail FROM SUBJECT
	n=$((n + 1))
	printf 'From: %s\nTo: support@example.com\nSubject: %s\nMessage-ID: <q%s@t>\n\nbody %s\n' \
		"$1" "$2" "$n" "$n" >"$MD/tmp/m$n"
	mv "$MD/tmp/m$n" "$MD/new/m$n"
}
daemon_start
mail zoe@customer.example "Invoice 42 is wrong"
mail bob@customer.example "Printer on fire"
mail news@vendor.example "Monthly newsletter"
wait_sql 20 "SELECT count(*) FROM inbound WHERE state IN ('done', 'dropped')" 3

# Values are checked against what exists.
expect_rc 1 "$TICKETCTL" list --queue bilingg
assert_contains "$OUT" 'no queue "bilingg"'
assert_contains "$OUT" "billing"
assert_contains "$OUT" "helpdesk"
expect_rc 1 "$TICKETCTL" list --tenant nosuch
assert_contains "$OUT" 'no tenant "nosuch" (known: default)'
expect_rc 1 "$TICKETCTL" show --tenant nosuch 1
expect_rc 0 "$TICKETCTL" list --queue billing
assert_contains "$OUT" "Invoice 42"
assert_contains "$OUT" "1 ticket"

# Totals and the footer.
expect_rc 0 "$TICKETCTL" list
assert_contains "$OUT" "2 tickets"
expect_rc 0 "$TICKETCTL" list --limit 1
assert_contains "$OUT" "... 1 more (2 tickets in all"
assert_eq "$("$TICKETCTL" list --limit 1 --json | json_get /dev/stdin 'len(d)')" 1 "--limit in JSON"

# Filters.
expect_rc 0 "$TICKETCTL" list --requester ZOE@customer.example
assert_contains "$OUT" "Invoice 42"
assert_contains "$OUT" "1 ticket"
expect_rc 0 "$TICKETCTL" list --tag money
assert_contains "$OUT" "1 ticket"
expect_rc 0 "$TICKETCTL" list --assignee none
assert_contains "$OUT" "2 tickets"
expect_rc 0 "$TICKETCTL" list --since 2000-01-01 --until 2000-01-02
assert_contains "$OUT" "0 tickets"
today=$(psql_q "SELECT to_char(now(), 'YYYY-MM-DD')")
expect_rc 0 "$TICKETCTL" list --since "$today" --until "$today"
assert_contains "$OUT" "2 tickets"
expect_rc 0 "$TICKETCTL" list --category Billing
assert_contains "$OUT" "1 ticket"

# inbound list: a count per state, then what needs attention (nothing yet).
expect_rc 0 "$TICKETCTL" inbound list
assert_contains "$OUT" "inbound: 0 pending, 0 failed, 0 quarantined, 1 dropped, 2 done (3 in all)"
assert_contains "$OUT" "(no items that need attention)"
expect_rc 0 "$TICKETCTL" inbound list --state all --limit 2
assert_contains "$OUT" "... 1 more items"
expect_rc 0 "$TICKETCTL" inbound list --state all
ref=$(psql_q "SELECT n.ticket_prefix || '-' || t.number FROM tickets t JOIN tenants n ON n.id = t.tenant_id WHERE t.subject LIKE 'Invoice%'")
line=$(echo "$OUT" | grep "Invoice 42")
assert_contains "$line" "zoe@customer.example"
assert_contains "$line" "$ref"
assert_contains "$line" "<q1@t>"
assert_contains "$line" "support"
dropped=$(psql_q "SELECT id FROM inbound WHERE state = 'dropped'")
line=$(echo "$OUT" | grep "^$dropped ")
assert_contains "$line" "dropped"
assert_contains "$line" "Monthly newsletter"
assert_contains "$OUT" "newsletter"

# inbound show, for a person and as JSON.
expect_rc 0 "$TICKETCTL" inbound show "$dropped"
assert_contains "$OUT" "inbound $dropped: mail from support, dropped"
assert_contains "$OUT" "Monthly newsletter"
assert_contains "$OUT" "news@vendor.example"
assert_contains "$OUT" "retry --force $dropped"
expect_rc 0 "$TICKETCTL" inbound show --json "$dropped"
assert_contains "$OUT" '"state":"dropped"'

# A wrong drop: not without --force; with it after the rules are fixed.
expect_rc 1 "$TICKETCTL" inbound retry "$dropped"
assert_contains "$OUT" "--force"
sed -i 's/drop: "newsletter"/set: { queue: marketing }/' "$T/rules/50-test.yaml"
reloads=$(grep -c "configuration reloaded" "$DAEMON_LOG" || true)
kill -HUP "$DAEMON_PID"
wait_for 10 "reload" '[ "$(grep -c "configuration reloaded" "$DAEMON_LOG")" -gt "$reloads" ]'
expect_rc 0 "$TICKETCTL" inbound retry --force "$dropped"
assert_contains "$OUT" "requeued: 1"
wait_sql 20 "SELECT count(*) FROM tickets WHERE queue = 'marketing'" 1
wait_sql 10 "SELECT state FROM inbound WHERE id = $dropped" done

# A done item again: the Message-ID with the same content is a replay.
done_id=$(psql_q "SELECT id FROM inbound WHERE message_id = 'q1@t' OR raw_sha256 = (SELECT raw_sha256 FROM inbound ORDER BY id LIMIT 1) ORDER BY id LIMIT 1")
msgs=$(psql_q "SELECT count(*) FROM messages")
expect_rc 0 "$TICKETCTL" inbound retry --force "$done_id"
wait_sql 20 "SELECT state FROM inbound WHERE id = $done_id" done
assert_eq "$(psql_q "SELECT count(*) FROM messages")" "$msgs" "no duplicate message"
assert_eq "$(psql_q "SELECT count(*) FROM tickets")" 3 "no duplicate ticket"

# set: queue, category, tags.
num=${ref#*-}
expect_rc 0 "$TICKETCTL" set "$ref" queue finance
expect_rc 0 "$TICKETCTL" set "$num" category Hardware
expect_rc 1 "$TICKETCTL" set "$num" category Bogus
assert_contains "$OUT" '"Bogus" is not a category'
expect_rc 0 "$TICKETCTL" set "$num" tags +vip,-money
assert_eq "$(psql_q "SELECT queue || '|' || category || '|' || array_to_string(tags, ',') FROM tickets WHERE number = $num")" \
	"finance|Hardware|vip"
expect_rc 0 "$TICKETCTL" set "$num" tags b,a
assert_eq "$(psql_q "SELECT array_to_string(tags, ',') FROM tickets WHERE number = $num")" "a,b"
assert_eq "$(psql_q "SELECT string_agg(action || ':' || coalesce(old_value, '') || '>' || new_value, ' ' ORDER BY e.id) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE t.number = $num AND action IN ('queue', 'category', 'tags')")" \
	"queue:billing>finance category:Billing>Hardware tags:money>vip tags:vip>a,b" "audited"
expect_rc 0 "$TICKETCTL" list --queue finance
assert_contains "$OUT" "1 ticket"

daemon_stop
echo "ok"
