#!/bin/sh
# Routing rules in the running daemon: they classify mail over the
# mailbox's defaults and drop what they say; SIGHUP swaps in a new set; a
# rule set with errors is refused (every error logged with its position)
# and the old one keeps working; ticketd -t checks the rules too.
. "$(dirname "$0")/common.sh"
pg_start
MD=$T/maildir
mkdir -p "$T/rules"
cat >"$T/rules/50-test.yaml" <<'YAML'
rules:
  - name: billing
    match: { subject: /invoice/i }
    set: { queue: billing, priority: high, category: Billing, tags: [money] }
  - name: vendors
    match: { header.x-vendor-campaign: { exists: true } }
    drop: "vendor marketing"
YAML
write_config <<YAML
mailboxes:
  - { name: support, type: maildir, path: $MD, poll_interval: 200ms, queue: helpdesk }
rules:
  dir: $T/rules
YAML
expect_rc 0 "$TICKETD" -t -c "$T/ticketd.yaml"
assert_contains "$OUT" "2 rules in $T/rules"
daemon_start
grep -q "2 routing rules loaded" "$DAEMON_LOG" || fail "rules not announced at start"

n=0
mail() { # mail SUBJECT [EXTRA-HEADER]
	n=$((n + 1))
	{ printf 'From: c%s@example.org\nTo: support@example.com\nSubject: %s\nMessage-ID: <rr%s@t>\n' "$n" "$1" "$n"
	  [ -n "${2:-}" ] && printf '%s\n' "$2"
	  printf '\nbody\n'; } >"$MD/tmp/m$n"
	mv "$MD/tmp/m$n" "$MD/new/m$n"
}
mail "Invoice 42 is wrong"
mail "Printer on fire"
mail "Weekly digest" "X-Vendor-Campaign: spring"
wait_sql 10 "SELECT count(*) FROM inbound WHERE state <> 'pending'" 3
assert_eq "$(psql_q "SELECT queue || ' ' || priority || ' ' || category || ' ' || array_to_string(tags, ',')
	FROM tickets WHERE subject LIKE 'Invoice%'")" "billing high Billing money" "rule fields"
assert_eq "$(psql_q "SELECT queue || ' ' || priority FROM tickets WHERE subject = 'Printer on fire'")" \
	"helpdesk medium" "mailbox defaults without a match"
assert_eq "$(psql_q "SELECT state || ': ' || last_error FROM inbound WHERE message_id = 'rr3@t'
	OR raw_sha256 IN (SELECT raw_sha256 FROM inbound WHERE state = 'dropped')")" \
	"dropped: dropped by rule vendors: vendor marketing" "drop with its reason"
assert_eq "$(psql_q "SELECT count(*) FROM tickets")" "2"

# A broken rule set: refused at SIGHUP with positions, the old set stays.
cat >"$T/rules/60-broken.yaml" <<'YAML'
rules:
  - name: broken
    match: { subject: /unclosed(/ }
    set: { priorty: high }
YAML
expect_rc 1 "$TICKETD" -t -c "$T/ticketd.yaml"
assert_contains "$OUT" "$T/rules/60-broken.yaml:3:"
kill -HUP "$DAEMON_PID"
wait_for 5 "reload refused" 'grep -q "reload refused, keeping the old configuration: $T/rules/60-broken.yaml:3:" "$DAEMON_LOG"'
mail "Another invoice"
wait_sql 10 "SELECT count(*) FROM inbound WHERE state <> 'pending'" 4
assert_eq "$(psql_q "SELECT queue FROM tickets WHERE subject = 'Another invoice'")" "billing" "old rules kept"

# A good new set: swapped in.
rm "$T/rules/60-broken.yaml"
sed -i 's/queue: billing, priority: high/queue: accounts, priority: critical/' "$T/rules/50-test.yaml"
kill -HUP "$DAEMON_PID"
wait_for 5 "reloaded" 'grep -q "configuration reloaded" "$DAEMON_LOG"'
mail "Invoice after reload"
wait_sql 10 "SELECT count(*) FROM inbound WHERE state <> 'pending'" 5
assert_eq "$(psql_q "SELECT queue || ' ' || priority FROM tickets WHERE subject = 'Invoice after reload'")" \
	"accounts critical" "new rules in force"
daemon_stop
assert_eq "$DAEMON_RC" "0"
echo "ok"
