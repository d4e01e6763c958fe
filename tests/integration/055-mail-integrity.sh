#!/bin/sh
# Mail that must not be lost or mangled (issue 11), end to end on
# PostgreSQL, ticketd and an SMTP sink: a multipart whose last delimiter
# is an opening one keeps its text and attachment; a non-empty mail that
# gives no text carries a warning that `ticketctl show` prints; an inline
# forwarded mail is shown in the text and kept as an .eml attachment; the
# same mail through a second path is a replay, another mail under a reused
# Message-ID is kept and flagged; automatic mail goes through the rules
# (auto_class), `ticketctl rules test` predicts exactly what the daemon
# does, and automatic mail is never acknowledged.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/convo.sh"
pg_start
mkdir -p "$T/rules"
cp "$top_srcdir/rules/10-drop.yaml" "$top_srcdir/rules/99-fallback.yaml" "$T/rules/"
cat >"$T/rules/05-group.yaml" <<'YAML'
rules:
  - name: support-group
    match: { kind: mail, auto_class: list, header.list-id: /<help\.lists\.example>/ }
    set: { queue: group, tags: [via-group] }
YAML
write_convo_config <<YAML
rules:
  dir: $T/rules
YAML
"$TICKETCTL" migrate >/dev/null
smtp_start
http_start
daemon_start

# 1. The last delimiter opens a part instead of closing the multipart.
printf 'From: zoe@customer.example\nTo: support@example.com\nSubject: open end\nMessage-ID: <open@customer.example>\nContent-Type: multipart/mixed; boundary="B1"\n\n--B1\nContent-Type: text/plain\n\nHello, my words.\n--B1\nContent-Type: application/pdf; name="f.pdf"\nContent-Disposition: attachment; filename="f.pdf"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--B1\n' >"$T/open.eml"
ingest "$T/open.eml"
settle
assert_eq "$(psql_q "SELECT body_text FROM messages WHERE message_id = 'open@customer.example'")" \
	"Hello, my words." "the customer's words are kept"
assert_eq "$(psql_q "SELECT a.filename || ' ' || a.size FROM attachments a JOIN messages m ON m.id = a.message_id
	WHERE m.message_id = 'open@customer.example'")" "f.pdf 9" "the attachment is kept"
assert_contains "$(psql_q "SELECT parse_warning FROM messages WHERE message_id = 'open@customer.example'")" \
	"opening delimiter" "the message says it was cut short"

# 2. A non-empty mail that gives no text and no attachment: a warning where agents look.
printf 'From: zoe@customer.example\nTo: support@example.com\nSubject: nothing readable\nMessage-ID: <empty@customer.example>\nContent-Type: multipart/mixed; boundary=zz\n\nThese words sit outside any part.\n' >"$T/empty.eml"
ingest "$T/empty.eml"
settle
NUM=$(psql_q "SELECT t.number FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = 'empty@customer.example'")
[ -n "$NUM" ] || fail "no ticket for the unreadable mail"
"$TICKETCTL" show "$NUM" >"$T/show-empty.txt"
assert_contains "$(cat "$T/show-empty.txt")" "[warning: no text and no attachment could be read" "show prints the warning"
assert_contains "$(cat "$T/show-empty.txt")" "mail-warning" "a ticket event too"

# 3. An inline forwarded mail: in the text as a client shows it, and as an .eml attachment.
cat >"$T/fwd.eml" <<'MAIL'
From: Carol <carol@customer.example>
To: support@example.com
Subject: Fwd: Printer broken
Message-ID: <fwd@customer.example>
Content-Type: multipart/mixed; boundary="X"

--X
Content-Type: text/plain

See below, from my colleague.
--X
Content-Type: message/rfc822

From: Dave <dave@customer.example>
To: carol@customer.example
Date: Mon, 1 Jan 2024 10:00:00 +0000
Subject: Printer broken

The printer on floor 3 jams.
--X--
MAIL
ingest "$T/fwd.eml"
settle
BODY=$(psql_q "SELECT body_text FROM messages WHERE message_id = 'fwd@customer.example'")
assert_contains "$BODY" "See below, from my colleague." "the sender's text"
assert_contains "$BODY" "---------- Forwarded message ----------
From: Dave <dave@customer.example>
Date: Mon, 1 Jan 2024 10:00:00 +0000
Subject: Printer broken
To: carol@customer.example

The printer on floor 3 jams." "the forwarded mail in the text"
assert_eq "$(psql_q "SELECT a.filename || ' ' || a.content_type FROM attachments a JOIN messages m ON m.id = a.message_id
	WHERE m.message_id = 'fwd@customer.example'")" "Printer broken.eml message/rfc822" "kept as .eml"
wait_for 20 "the agents' notice of the forward" \
	'[ "$(sent_q "len([x for x in m if \"Fwd: Printer broken\" in x[\"subject\"] and x[\"env_to\"] == \"alice@agents.example\"])")" -ge 1 ]'
assert_contains "$(sent_q '[x["body"] for x in m if "Fwd: Printer broken" in x["subject"] and x["env_to"] == "alice@agents.example"][0]')" \
	"The printer on floor 3 jams." "the agents' notice shows the forwarded mail"

# 4. The same mail through another path (only a trace header differs): a replay.
#    Another mail under the same Message-ID: kept, and flagged.
{ printf 'Received: from mx2.example\n'; cat "$T/fwd.eml"; } >"$T/fwd-again.eml"
ingest "$T/fwd-again.eml"
sed 's/floor 3 jams/floor 5 is flooded/' "$T/fwd.eml" >"$T/fwd-reused.eml"
ingest "$T/fwd-reused.eml"
settle
assert_eq "$(psql_q "SELECT count(*) FROM messages WHERE 'fwd@customer.example' IN (message_id, reused_message_id)")" \
	"2" "a replay adds nothing, other content under the same ID is kept"
assert_contains "$(psql_q "SELECT body_text FROM messages WHERE reused_message_id = 'fwd@customer.example'")" \
	"floor 5 is flooded"
assert_contains "$(psql_q "SELECT parse_warning FROM messages WHERE reused_message_id = 'fwd@customer.example'")" \
	"Message-ID <fwd@customer.example> was already used by another mail (on TKT-1002)"
{ printf 'Received: from mx3.example\n'; cat "$T/fwd-reused.eml"; } >"$T/fwd-reused-again.eml"
ingest "$T/fwd-reused-again.eml"
settle
assert_eq "$(psql_q "SELECT count(*) FROM messages WHERE 'fwd@customer.example' IN (message_id, reused_message_id)")" \
	"2" "the reused mail replayed adds nothing"

# 5. Automatic mail through the rules: the group's list mail opens a ticket
#    (never acknowledged), other list mail is dropped by the shipped rule, and
#    rules test says the same.
cat >"$T/group.eml" <<'MAIL'
From: Yann <yann@customer.example>
To: help@lists.example
List-Id: Help <help.lists.example>
Subject: my laptop will not boot
Message-ID: <group@customer.example>

It shows a black screen.
MAIL
sed -e 's/help.lists.example/news.lists.example/' -e 's/group@/news@/' "$T/group.eml" >"$T/news.eml"
ACKS_BEFORE=$(sent_q 'len([x for x in m if x["env_to"] == "yann@customer.example"])')
ingest "$T/group.eml"
ingest "$T/news.eml"
settle
assert_eq "$(psql_q "SELECT t.queue || ' ' || array_to_string(t.tags, ',') FROM tickets t JOIN messages m ON m.ticket_id = t.id
	WHERE m.message_id = 'group@customer.example'")" "group via-group" "the admin's rule keeps the group's mail"
assert_eq "$(psql_q "SELECT state || ': ' || last_error FROM inbound
	WHERE position('<news@customer.example>' in convert_from(raw, 'UTF8')) > 0")" \
	"dropped: dropped by rule drop-mailing-lists: mailing list traffic" "the shipped rule drops other lists"
"$TICKETCTL" rules test --json --source pipe --mailbox pipe "$T/news.eml" >"$T/news.json"
assert_eq "$(json_get "$T/news.json" "d['decision'] + ': ' + d['decision_reason']")" \
	"drop: dropped by rule drop-mailing-lists: mailing list traffic" "rules test predicts the drop"
"$TICKETCTL" rules test --json --source pipe --mailbox pipe "$T/group.eml" >"$T/group.json"
assert_eq "$(json_get "$T/group.json" "[d['auto_class'], d['decision'], d['acknowledge'], d['fields']['queue']]")" \
	'["list", "ticket", false, "group"]' "rules test predicts a ticket without acknowledgement"
# The agent's notice about the group ticket is the last mail; none went to the list sender.
wait_for 20 "notice of the group ticket" '[ "$(sent_q "len([x for x in m if \"my laptop\" in x[\"subject\"]])")" -ge 1 ]'
assert_eq "$(sent_q 'len([x for x in m if x["env_to"] == "yann@customer.example"])')" "$ACKS_BEFORE" \
	"automatic mail is never acknowledged"
