#!/bin/sh
# ticketctl and the daemon's words: one info line per processed item with
# ticket numbers and a timestamp (no journald here); `search` finds tickets
# by the words of their messages, best first; `comment --public` mails the
# participants like an agent's email reply and is the SLA's first
# response, `--internal` mails no one, both acknowledge; `merge A into B`
# moves messages, participants, attachments and tags, closes A with a
# pointer, and a reply to A lands on B.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/convo.sh"
pg_start
write_convo_config
unset JOURNAL_STREAM
"$TICKETCTL" migrate >/dev/null
daemon_start
smtp_start

mail() { # mail FILE FROM SUBJECT BODY [EXTRA-HEADER]
	{ printf 'From: %s\nTo: support@example.com\nSubject: %s\nMessage-ID: <%s@customer.example>\n' \
		"$2" "$3" "$(basename "$1" .eml)"
	  [ -n "${5:-}" ] && printf '%s\n' "$5"
	  printf 'Content-Type: text/plain; charset=utf-8\n\n%s\n' "$4"; } >"$1"
}
mail "$T/a.eml" zoe@customer.example "Printer toner is empty" "The toner of the third-floor printer ran out. Grüße, Zoë"
mail "$T/b.eml" zoe@customer.example "Toner again" "Still no toner for the printer on floor three." \
	"Cc: bob@customer.example"
mail "$T/c.eml" carl@customer.example "VPN drops" "The VPN connection drops every hour."
# b carries an attachment, which moves with its message on the merge.
python3 - "$T/b.eml" <<'PY'
import sys
from email import message_from_bytes, policy
from email.message import EmailMessage
old = message_from_bytes(open(sys.argv[1], 'rb').read(), policy=policy.default)
m = EmailMessage()
for k in ('From', 'To', 'Cc', 'Subject', 'Message-ID'):
    m[k] = old[k]
m.set_content(old.get_content())
m.add_attachment(b'toner order form\n', maintype='text', subtype='plain', filename='order.txt')
open(sys.argv[1], 'wb').write(m.as_bytes())
PY
for f in a b c; do ingest "$T/$f.eml"; done
settle
ref() { psql_q "SELECT n.ticket_prefix || '-' || t.number FROM tickets t JOIN tenants n ON n.id = t.tenant_id JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = '$1@customer.example'"; }
A=$(ref a); B=$(ref b); C=$(ref c)
[ -n "$A" ] && [ -n "$B" ] && [ -n "$C" ] || fail "three tickets"

# One line per item, in a user's words, with ticket numbers and a timestamp.
ia=$(psql_q "SELECT id FROM inbound WHERE raw_sha256 IS NOT NULL ORDER BY id LIMIT 1")
line=$(grep "inbound $ia (pipe pipe): " "$DAEMON_LOG") || fail "no line for inbound $ia"
qa=$(psql_q "SELECT queue || ', priority ' || priority FROM tickets WHERE number = ${A#*-}")
assert_contains "$line" "info  inbound $ia (pipe pipe): created $A, queue $qa"
echo "$line" | grep -Eq '^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z ' ||
	fail "no timestamp: $line"
if grep -E "ticket=[0-9]|ticket [0-9]" "$DAEMON_LOG"; then fail "an internal ticket id in the log"; fi

# search: words in subjects and texts, ranked; phrases; nothing found. The
# same answers from the words the idle workers stored (migration 017) and,
# for messages not indexed yet, from words computed by the search itself.
searches() {
	expect_rc 0 "$TICKETCTL" search toner
	assert_contains "$OUT" "$A"
	assert_contains "$OUT" "$B"
	assert_contains "$OUT" "2 matching tickets"
	case "$OUT" in *"$C"*) fail "search toner found $C" ;; esac
	assert_contains "$OUT" "[toner]"
	expect_rc 0 "$TICKETCTL" search '"third-floor printer"'
	assert_contains "$OUT" "$A"
	case "$OUT" in *"$B"*) fail "the phrase matched $B" ;; esac
	expect_rc 0 "$TICKETCTL" search 'toner -again'
	case "$OUT" in *"$B"*) fail "-again did not exclude $B" ;; esac
	expect_rc 0 "$TICKETCTL" search grüße
	assert_contains "$OUT" "$A"
	expect_rc 0 "$TICKETCTL" search nosuchwordanywhere
	assert_contains "$OUT" "(no matching tickets)"
	"$TICKETCTL" search --json printer >"$T/s.json"
	assert_eq "$(json_get "$T/s.json" 'd[0]["ticket"]')" "$A" "the subject and the text rank $A first"
	expect_rc 1 "$TICKETCTL" search --queue nosuch toner
}
wait_sql 60 "SELECT count(*) FROM messages WHERE search IS NULL" 0
searches
# Not indexed yet: the daemon stopped (SIGSTOP, idle) and the words cleared.
kill -STOP "$DAEMON_PID"
psql_q "UPDATE messages SET search = NULL" >/dev/null
searches
kill -CONT "$DAEMON_PID"
wait_sql 60 "SELECT count(*) FROM messages WHERE search IS NULL" 0
assert_eq "$(psql_q "SELECT count(*) FROM messages WHERE search IS DISTINCT FROM ticketd_search_words(subject, body_text)")" 0 \
	"the idle workers stored each message's words"

# comment --internal: stored, acknowledged, mailed to no one.
before=$(ls "$SINK"/*.eml 2>/dev/null | wc -l)
printf 'Checked the stock: two cartridges left.\n' >"$T/note.txt"
expect_rc 0 "$TICKETCTL" comment --internal "$A" "$T/note.txt"
assert_contains "$OUT" "internal note added"
assert_eq "$(psql_q "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.number = ${A#*-} AND m.visibility = 'internal' AND m.body_text LIKE 'Checked the stock%'")" 1 "note stored"
assert_eq "$(psql_q "SELECT (acked_at IS NOT NULL) || '|' || (first_response_at IS NULL) FROM tickets WHERE number = ${A#*-}")" "true|true" \
	"a note acknowledges, and is no first response"
expect_rc 1 "$TICKETCTL" comment "$A" "$T/note.txt"
assert_contains "$OUT" "--public"

# comment --public: to the participants, like an agent's email reply.
expect_rc 0 sh -c "printf 'A new cartridge is on its way.\n' | '$TICKETCTL' comment --public '$A'"
wait_sent 20 $((before + 1))
assert_eq "$(sent_q '[x["to"] for x in m if "cartridge is on its way" in x["body"]]')" '["zoe@customer.example"]' "mailed to the requester"
assert_eq "$(sent_q '["a@customer.example" in x["references"] for x in m if "cartridge is on its way" in x["body"]]')" '[true]' "in her thread"
assert_eq "$(psql_q "SELECT first_response_at IS NOT NULL FROM tickets WHERE number = ${A#*-}")" t "first response"
assert_eq "$(psql_q "SELECT count(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE t.number = ${A#*-} AND e.action = 'comment'")" 1 "audited"

# merge B into A.
expect_rc 1 "$TICKETCTL" merge "$B" "$B"
expect_rc 1 "$TICKETCTL" merge "$B" into "$B"
assert_contains "$OUT" "cannot be merged into itself"
msgs_a=$(psql_q "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.number = ${A#*-}")
msgs_b=$(psql_q "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.number = ${B#*-}")
expect_rc 0 "$TICKETCTL" merge "$B" into "$A"
assert_contains "$OUT" "$B merged into $A: $msgs_b messages moved; $B is closed"
assert_eq "$(psql_q "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.number = ${A#*-}")" "$((msgs_a + msgs_b))" "messages moved"
assert_eq "$(psql_q "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.number = ${B#*-}")" 0 "none left"
assert_eq "$(psql_q "SELECT t.status || '|' || a.number FROM tickets t JOIN tickets a ON a.id = t.merged_into_id WHERE t.number = ${B#*-}")" \
	"closed|${A#*-}" "closed with a pointer"
assert_eq "$(psql_q "SELECT count(*) FROM ticket_participants p JOIN tickets t ON t.id = p.ticket_id WHERE t.number = ${A#*-} AND p.address = 'bob@customer.example'")" 1 "participants moved"
assert_eq "$(psql_q "SELECT t.number FROM attachments a JOIN messages m ON m.id = a.message_id JOIN tickets t ON t.id = m.ticket_id WHERE a.filename = 'order.txt'")" "${A#*-}" "the attachment moved"
expect_rc 1 "$TICKETCTL" merge "$B" into "$C"
assert_contains "$OUT" "merged into another ticket already"
expect_rc 0 "$TICKETCTL" show "$B"
assert_contains "$OUT" "merged into $A"
# A reply to B (its subject tag, no References) lands on A.
mail "$T/d.eml" zoe@customer.example "Re: [$B] Toner again" "Any news on the toner?"
ingest "$T/d.eml"
settle
assert_eq "$(ref d)" "$A" "a reply to the merged ticket lands on the one it was merged into"
id=$(psql_q "SELECT id FROM inbound ORDER BY id DESC LIMIT 1")
wait_for 10 "the log line" 'grep -q "inbound $id (pipe pipe): threaded onto $A" "$DAEMON_LOG"'

daemon_stop
echo "ok"
