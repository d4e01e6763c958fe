#!/bin/sh
# Email conversations end to end: PostgreSQL, ticketd, an SMTP sink
# (aiosmtpd) and an HTTP sink for Slack, all on loopback. New mail makes a
# ticket and an acknowledgement carrying the reply token; replies thread
# by token, by References, by subject tag (only from a participant); an
# agent's reply with its token reaches the customer, its commands change
# the ticket; a spoofed agent is not trusted; auto-replies, bounces and our
# own mail create nothing.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/convo.sh"
pg_start
write_convo_config
"$TICKETCTL" migrate >/dev/null
smtp_start
http_start
daemon_start

# 1. A new mail: ticket, acknowledgement with the token, notice to the agent, Slack.
cat >"$T/new.eml" <<'MAIL'
From: "Zoë Kunde" <zoe@customer.example>
To: support@example.com
Subject: Printer on fire <!channel>
Message-ID: <new-1@customer.example>

The printer in room 4 is on fire. Please help.
MAIL
ingest "$T/new.eml"
settle
assert_eq "$(psql_q "SELECT count(*) FROM tickets")" "1" "one ticket"
T1=$(psql_q "SELECT id FROM tickets")
wait_sent 20 2
assert_eq "$(sent_q '[x["env_to"] for x in m]')" '["zoe@customer.example", "alice@agents.example"]' \
	"acknowledgement to the customer, notice to the agent"
ACK_TO=$(sent_q 'm[0]["reply_to"]')
assert_contains "$ACK_TO" "support+" "Reply-To carries the token"
TOKEN=$(printf '%s' "$ACK_TO" | sed -n 's/.*support+\([a-z2-7]*\)@example.com.*/\1/p')
[ ${#TOKEN} -eq 24 ] || fail "token has 24 characters: '$TOKEN' from '$ACK_TO'"
assert_eq "$(sent_q 'm[0]["auto_submitted"]')" "auto-replied"
assert_eq "$(sent_q 'm[0]["loop"]')" "support@example.com"
assert_eq "$(sent_q 'm[0]["in_reply_to"]')" "new-1@customer.example"
assert_contains "$(sent_q 'm[0]["subject"]')" "[#TKT-1000]"
assert_contains "$(sent_q 'm[0]["body"]')" "TKT-1000"
ACK_ID=$(sent_q 'm[0]["message_id"]')
assert_eq "$(psql_q "SELECT count(*) FROM messages WHERE direction = 'out' AND message_id = '$ACK_ID'")" \
	"1" "the acknowledgement's Message-ID is stored for threading"
AGENT_TO=$(sent_q 'm[1]["reply_to"]')
AGENT_TOKEN=$(printf '%s' "$AGENT_TO" | sed -n 's/.*support+\([a-z2-7]*\)@example.com.*/\1/p')
[ -n "$AGENT_TOKEN" ] && [ "$AGENT_TOKEN" != "$TOKEN" ] || fail "agent token differs from the customer's"
wait_for 20 "Slack post" '[ -f "$HOOK/001.json" ]'
assert_contains "$(cat "$HOOK/001.json")" "New ticket TKT-1000"
assert_contains "$(cat "$HOOK/001.json")" "Printer on fire &lt;!channel&gt;" "Slack control sequences escaped"
assert_eq "$(cat "$HOOK/001.path")" "/services/T0/B0/secretpart"
grep -q secretpart "$DAEMON_LOG" && fail "the webhook URL (a secret) was logged"

# 2. Customer replies: by token, by References, by subject tag.
cat >"$T/r-token.eml" <<MAIL
From: zoe@customer.example
To: support+$TOKEN@example.com
Subject: more details
Message-ID: <r-token@customer.example>

It is room 4B, not 4.
MAIL
cat >"$T/r-refs.eml" <<MAIL
From: zoe@customer.example
To: support@example.com
Subject: another detail
Message-ID: <r-refs@customer.example>
In-Reply-To: <$ACK_ID>
References: <new-1@customer.example> <$ACK_ID>

The smoke is grey.
MAIL
cat >"$T/r-tag.eml" <<'MAIL'
From: zoe@customer.example
To: support@example.com
Subject: Re: [#TKT-1000] Printer on fire
Message-ID: <r-tag@customer.example>

Also the fax machine.
MAIL
cat >"$T/r-stranger.eml" <<'MAIL'
From: mallory@elsewhere.example
To: support@example.com
Subject: Re: [#TKT-1000] Printer on fire
Message-ID: <r-stranger@elsewhere.example>

Let me into this ticket.
MAIL
for f in r-token r-refs r-tag r-stranger; do ingest "$T/$f.eml"; settle; done
assert_eq "$(psql_q "SELECT count(*) FROM messages WHERE ticket_id = $T1 AND direction = 'in'")" "4" \
	"token, References and subject tag thread to the ticket"
assert_eq "$(psql_q "SELECT count(*) FROM tickets")" "2" "a non-participant's subject tag opens a new ticket"
assert_eq "$(psql_q "SELECT requester FROM tickets WHERE id <> $T1")" "mallory@elsewhere.example"

# 3. The agent answers with the token: the customer gets the reply without the quote.
before=$(ls "$SINK"/*.eml | wc -l)
cat >"$T/agent.eml" <<MAIL
From: Alice Agent <alice@agents.example>
To: support+$AGENT_TOKEN@example.com
Subject: Re: [#TKT-1000] Printer on fire
Message-ID: <agent-1@agents.example>

We sent the fire brigade.

On Mon, 23 Nov 2026 at 10:00, Zoë Kunde wrote:
> The printer in room 4 is on fire.
MAIL
ingest "$T/agent.eml"
settle
wait_sent 20 $((before + 1))
assert_eq "$(sent_q 'm[-1]["env_to"]')" "zoe@customer.example" "the agent's reply reaches the customer"
assert_contains "$(sent_q 'm[-1]["body"]')" "We sent the fire brigade."
case "$(sent_q 'm[-1]["body"]')" in *"room 4 is on fire"*) fail "quoted text was relayed";; esac
assert_eq "$(sent_q 'm[-1]["auto_submitted"]')" "" "a person's reply is not marked automatic"
grep -q "multipart/alternative" "$(ls "$SINK"/*.eml | tail -n 1)" || fail "reply.html gives an HTML part"
assert_eq "$(psql_q "SELECT count(*) FROM messages m JOIN agents a ON a.id = m.agent_id \
	WHERE m.ticket_id = $T1 AND a.name = 'alice' AND m.visibility = 'public' AND m.direction = 'in'")" "1"
assert_eq "$(psql_q "SELECT first_response_at IS NOT NULL FROM tickets WHERE id = $T1")" "t" \
	"counts as the first response"

# 4. Agent commands change the ticket; the customer gets the reply and the resolved notice.
before=$(ls "$SINK"/*.eml | wc -l)
cat >"$T/cmd.eml" <<MAIL
From: alice@agents.example
To: support+$AGENT_TOKEN@example.com
Subject: Re: [#TKT-1000] Printer on fire
Message-ID: <agent-2@agents.example>

#status resolved
#priority urgent
#assign alice

The fire is out.
MAIL
ingest "$T/cmd.eml"
settle
assert_eq "$(psql_q "SELECT status || ' ' || priority || ' ' || (SELECT name FROM agents WHERE id = assignee_id) \
	FROM tickets WHERE id = $T1")" "resolved critical alice" "commands applied"
wait_sent 20 $((before + 2))
assert_eq "$(sent_q '[x["env_to"] for x in m[-2:]]')" '["zoe@customer.example", "zoe@customer.example"]'
assert_eq "$(sent_q 'sorted("Resolved" in x["subject"] for x in m[-2:])')" '[false, true]' \
	"one reply and one resolved notice"
assert_eq "$(sent_q '[("#status" in x["body"]) for x in m[-2:]]')" '[false, false]' \
	"commands are not sent to the customer"

# 5. A thanks-only reply to the resolved ticket is a note; a real one reopens it.
cat >"$T/thanks.eml" <<MAIL
From: zoe@customer.example
To: support+$TOKEN@example.com
Subject: Re: [#TKT-1000] Resolved
Message-ID: <thanks@customer.example>

Thanks a lot!
MAIL
ingest "$T/thanks.eml"
settle
assert_eq "$(psql_q "SELECT status FROM tickets WHERE id = $T1")" "resolved" "thanks does not reopen"
assert_eq "$(psql_q "SELECT visibility FROM messages WHERE message_id = 'thanks@customer.example'")" "internal"
cat >"$T/again.eml" <<MAIL
From: zoe@customer.example
To: support+$TOKEN@example.com
Subject: Re: [#TKT-1000] Resolved
Message-ID: <again@customer.example>

It started burning again, the smoke alarm is going off.
MAIL
ingest "$T/again.eml"
settle
assert_eq "$(psql_q "SELECT status FROM tickets WHERE id = $T1")" "reopened" "a reply reopens"

# 6. An invalid command gets an error reply to the agent; nothing changes.
before=$(ls "$SINK"/*.eml | wc -l)
cat >"$T/badcmd.eml" <<MAIL
From: alice@agents.example
To: support+$AGENT_TOKEN@example.com
Subject: Re: [#TKT-1000]
Message-ID: <agent-3@agents.example>

#status exploded
#frobnicate

Trying things.
MAIL
ingest "$T/badcmd.eml"
settle
wait_sent 20 $((before + 1))
assert_eq "$(sent_q 'm[-1]["env_to"]')" "alice@agents.example" "the error goes to the agent"
assert_contains "$(sent_q 'm[-1]["body"]')" "exploded"
assert_eq "$(psql_q "SELECT status FROM tickets WHERE id = $T1")" "reopened" "nothing applied"

# 7. A spoofed agent (From alice, threaded by References, no token bound to alice).
cat >"$T/spoof.eml" <<MAIL
From: alice@agents.example
To: support+$TOKEN@example.com
Subject: Re: [#TKT-1000]
Message-ID: <spoof@evil.example>
In-Reply-To: <$ACK_ID>

#status closed

Closing this, bye.
MAIL
ingest "$T/spoof.eml"
settle
assert_eq "$(psql_q "SELECT status FROM tickets WHERE id = $T1")" "reopened" "a spoofed agent's command is ignored"
assert_eq "$(psql_q "SELECT agent_id IS NULL FROM messages WHERE message_id = 'spoof@evil.example'")" "t" \
	"stored as a customer message"
assert_contains "$(psql_q "SELECT detail FROM ticket_events WHERE action = 'untrusted-agent'")" \
	"handled as a customer message" "the audit log says so"

# 8. Auto-reply, bounce and our own mail coming back create nothing.
tickets=$(psql_q "SELECT count(*) FROM tickets")
queued=$(psql_q "SELECT count(*) FROM outbox")
cat >"$T/ooo.eml" <<'MAIL'
From: bob@customer.example
To: support@example.com
Subject: Out of office
Auto-Submitted: auto-replied
Message-ID: <ooo@customer.example>

I am away until Monday.
MAIL
cat >"$T/bounce.eml" <<MAIL
From: MAILER-DAEMON@mx.customer.example
To: support@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-1@mx.customer.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

The mail could not be delivered.
--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.customer.example
Final-Recipient: rfc822; zoe@customer.example
Action: failed
Status: 5.1.1

--B
Content-Type: text/rfc822-headers

From: support@example.com
To: zoe@customer.example
Message-ID: <$ACK_ID>
Subject: [#TKT-1000] We received your request

--B--
MAIL
cat >"$T/loop.eml" <<'MAIL'
From: robot@partner.example
To: support@example.com
Subject: Re: [#TKT-1000] We received your request
X-Ticketd-Loop: support@example.com
Message-ID: <loop@partner.example>

Automatic forward.
MAIL
# A DSN that returns only some headers: no Message-ID, but our Reply-To token.
cat >"$T/bounce2.eml" <<MAIL
From: postmaster@mx.customer.example
To: support@example.com
Subject: Delivery Status Notification (Failure)
Message-ID: <bounce-2@mx.customer.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="C"

--C
Content-Type: text/plain

Mailbox full.
--C
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.customer.example

Final-Recipient: rfc822; zoe@customer.example
Action: failed
Status: 5.2.2

--C
Content-Type: text/rfc822-headers

From: Example Support <support@example.com>
Reply-To: Example Support <support+$TOKEN@example.com>
Subject: [#TKT-1000] We received your request

--C--
MAIL
for f in ooo bounce bounce2 loop; do ingest "$T/$f.eml"; done
settle
assert_eq "$(psql_q "SELECT count(*) FROM tickets")" "$tickets" "no ticket from auto-reply, bounce, loop"
assert_eq "$(psql_q "SELECT count(*) FROM inbound WHERE state = 'dropped'")" "4"
# (two workers may record them in either order: compare them sorted)
assert_eq "$(psql_q "SELECT string_agg(ticket_id || ' ' || recipient || ' ' || (outbox_id IS NOT NULL), ','
	ORDER BY (outbox_id IS NOT NULL) DESC) FROM bounces")" \
	"$T1 zoe@customer.example true,$T1 zoe@customer.example false" \
	"the bounces are recorded on their ticket (by Message-ID, by token)"
assert_eq "$(psql_q "SELECT count(*) FROM ticket_events WHERE ticket_id = $T1 AND action = 'bounce'")" "2"
assert_eq "$(psql_q "SELECT count(*) FROM outbox")" "$queued" "no acknowledgement for machine mail"

# An auto-reply that threads (by token) is kept as a note and reopens nothing.
psql_q "UPDATE tickets SET status = 'resolved', resolved_at = now() WHERE id = $T1" >/dev/null
cat >"$T/ooo2.eml" <<MAIL
From: zoe@customer.example
To: support+$TOKEN@example.com
Subject: Automatic reply: [#TKT-1000]
Auto-Submitted: auto-replied
Message-ID: <ooo2@customer.example>

I am on holiday and will read your mail when I am back, thanks.
MAIL
ingest "$T/ooo2.eml"
settle
assert_eq "$(psql_q "SELECT status FROM tickets WHERE id = $T1")" "resolved" "an auto-reply never reopens"
assert_eq "$(psql_q "SELECT visibility FROM messages WHERE message_id = 'ooo2@customer.example'")" "internal"
assert_eq "$(psql_q "SELECT count(*) FROM outbox")" "$queued" "and causes no mail"
psql_q "UPDATE tickets SET status = 'reopened' WHERE id = $T1" >/dev/null

# Hostile threading input: forged and malformed tokens, a huge References
# header, absurd subject tags. Nothing crashes; nothing threads.
{
	printf 'From: eve@evil.example\nTo: support+AAAAAAAAAAAAAAAAAAAAAAAA@example.com, "x" <support+%s@example.com>\n' "$TOKEN"
	printf 'Cc: support+%s@example.com, support+%%00\x01@example.com\n' "$(printf 'z%.0s' $(seq 1 300))"
	printf 'Delivered-To: support+%s@example.com\n' "$AGENT_TOKEN"
	printf 'Subject: [#TKT-99999999999999999] [#%s-1] [#TKT-1000\n' "$(printf 'Q%.0s' $(seq 1 100))"
	printf 'Message-ID: <hostile@evil.example>\nReferences:'
	for i in $(seq 1 2000); do printf ' <r%s@nowhere>' "$i"; done
	printf '\n\nGive me the ticket.\n'
} >"$T/hostile.eml"
tickets=$(psql_q "SELECT count(*) FROM tickets")
ingest "$T/hostile.eml"
settle
assert_eq "$(psql_q "SELECT count(*) FROM tickets")" "$((tickets + 1))" "a new ticket, not threaded"
assert_eq "$(psql_q "SELECT t.requester FROM messages m JOIN tickets t ON t.id = m.ticket_id \
	WHERE m.message_id = 'hostile@evil.example'")" "eve@evil.example"

# 9. Acknowledgements are rate-limited per sender (burst 2).
for i in 1 2 3; do
	printf 'From: carol@customer.example\nTo: support@example.com\nSubject: question %s\nMessage-ID: <carol-%s@customer.example>\n\nHello %s\n' \
		"$i" "$i" "$i" >"$T/carol$i.eml"
	ingest "$T/carol$i.eml"
done
settle
assert_eq "$(psql_q "SELECT count(*) FROM outbox WHERE recipient = 'carol@customer.example'")" "2" \
	"two acknowledgements, the third suppressed"
assert_eq "$(psql_q "SELECT count(*) FROM ticket_events WHERE action = 'ack-suppressed'")" "1"

# 10. Closing with ticketctl sends the customer the closed notice (once per change).
expect_rc 0 "$TICKETCTL" set 1000 status closed
expect_rc 0 "$TICKETCTL" set 1000 status closed
assert_eq "$(psql_q "SELECT count(*) FROM outbox WHERE kind = 'closed.txt' AND recipient = 'zoe@customer.example'")" \
	"1" "one closed notice"
wait_sql 20 "SELECT count(*) FROM outbox WHERE state <> 'sent'" 0
assert_contains "$(sent_q '[x["subject"] for x in m if "Closed" in x["subject"]][0]')" "[#TKT-1000] Closed"

# 11. After the reopen window a reply opens a new ticket linked to the old one.
psql_q "UPDATE tickets SET closed_at = now() - interval '2 hours' WHERE id = $T1" >/dev/null
cat >"$T/late.eml" <<MAIL
From: zoe@customer.example
To: support+$TOKEN@example.com
Subject: Re: [#TKT-1000] Closed
Message-ID: <late@customer.example>

The printer caught fire a second time, weeks later.
MAIL
ingest "$T/late.eml"
settle
assert_eq "$(psql_q "SELECT status FROM tickets WHERE id = $T1")" "closed" "the old ticket stays closed"
assert_eq "$(psql_q "SELECT count(*) FROM tickets WHERE linked_ticket_id = $T1 AND requester = 'zoe@customer.example'")" \
	"1" "a new ticket linked to the old"

# ticketctl parse shows what an agent sees of a reply, and what was cut.
"$TICKETCTL" parse --json "$T/agent.eml" >"$T/agent.json"
assert_eq "$(json_get "$T/agent.json" 'd["visible_text"]')" "We sent the fire brigade."
assert_contains "$(json_get "$T/agent.json" 'd["quoted_text"]')" "room 4 is on fire"

# The SMTP connection is reused across mails (the sink notes each client port).
mails=$(ls "$SINK"/*.eml | wc -l)
conns=$(grep -h '^X-Sink-Peer:' "$SINK"/*.eml | sort -u | wc -l)
[ "$conns" -lt $((mails / 2)) ] || fail "$mails mails over $conns SMTP connections: no reuse"

daemon_stop
assert_eq "$DAEMON_RC" "0" "clean stop"
grep -q "a-test-secret" "$DAEMON_LOG" && fail "the reply secret was logged"
echo "ok"
