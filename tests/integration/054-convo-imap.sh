#!/bin/sh
# The conversation over real servers end to end: a customer's mail arrives
# in a Dovecot mailbox (IMAP IDLE), becomes a ticket, and the
# acknowledgement leaves through the SMTP sink with a reply token; the
# customer's reply to that token, appended to the same mailbox, lands on
# the same ticket; an agent's reply with its token reaches the customer.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/dovecot.sh"
. "$(dirname "$0")/convo.sh"
pg_start
dovecot_start
printf '%s\n' "$DOVE_PASS" >"$T/imap.pw"
write_convo_config
# Replace the pipe mailbox of the conversation config by the IMAP one.
sed -i "/^  - name: pipe$/,/^    type: pipe$/c\\
  - name: support-imap\\
    type: imap\\
    host: 127.0.0.1\\
    port: $DOVE_PORT\\
    tls: none\\
    user: $DOVE_USER\\
    password_file: $T/imap.pw\\
    idle: true" "$T/ticketd.yaml"
"$TICKETD" -t -c "$T/ticketd.yaml" >/dev/null || fail "config: $("$TICKETD" -t -c "$T/ticketd.yaml" 2>&1)"
smtp_start
http_start
daemon_start

imap_py 'append("INBOX", "From: Zoe <zoe@customer.example>\r\nTo: support@example.com\r\nSubject: VPN is down\r\nMessage-ID: <imap-convo-1@customer.example>\r\n\r\nNo VPN since 9:00.\r\n")'
wait_sql 10 "SELECT count(*) FROM tickets" 1
wait_sent 20 1
assert_eq "$(sent_q 'm[0]["env_to"]')" "zoe@customer.example" "acknowledgement to the customer"
TOKEN=$(sent_q 'm[0]["reply_to"]' | sed -n 's/.*support+\([a-z2-7]*\)@example.com.*/\1/p')
[ ${#TOKEN} -eq 24 ] || fail "no reply token in the acknowledgement"
ACK_ID=$(sent_q 'm[0]["message_id"]')

# The customer answers to the token address (no References: the token decides).
imap_py "append(\"INBOX\", \"From: zoe@customer.example\\r\\nTo: support+$TOKEN@example.com\\r\\nSubject: details\\r\\nMessage-ID: <imap-convo-2@customer.example>\\r\\n\\r\\nIt says error 809.\\r\\n\")"
wait_sql 10 "SELECT count(*) FROM messages WHERE message_id = 'imap-convo-2@customer.example'" 1
assert_eq "$(psql_q "SELECT count(*) FROM tickets")" "1" "the reply threads, no new ticket"
assert_eq "$(psql_q "SELECT count(DISTINCT ticket_id) FROM messages WHERE direction = 'in'")" "1"

# The agent answers through their own token (from the notice they received).
wait_sent 20 2
AGENT_TOKEN=$(sent_q '[x["reply_to"] for x in m if x["env_to"] == "alice@agents.example"][0]' |
	sed -n 's/.*support+\([a-z2-7]*\)@example.com.*/\1/p')
[ -n "$AGENT_TOKEN" ] || fail "no agent token"
imap_py "append(\"INBOX\", \"From: alice@agents.example\\r\\nTo: support+$AGENT_TOKEN@example.com\\r\\nSubject: Re: VPN\\r\\nMessage-ID: <imap-convo-3@agents.example>\\r\\nIn-Reply-To: <$ACK_ID>\\r\\n\\r\\n#status in_progress\\r\\nRestarting the VPN gateway now.\\r\\n\")"
wait_for 20 "agent reply relayed" '[ "$(sent_q "len([x for x in m if x[\"env_to\"] == \"zoe@customer.example\" and \"Restarting the VPN gateway\" in x[\"body\"]])")" = 1 ]'
assert_eq "$(psql_q "SELECT status FROM tickets")" "in_progress" "agent command applied"
relayed=$(sent_q '[x["body"] for x in m if x["env_to"] == "zoe@customer.example" and "Restarting" in x["body"]][0]')
case "$relayed" in *"#status"*) fail "the command line reached the customer" ;; esac
assert_eq "$(imap_py 'print(len(uids("INBOX")))')" "0" "every message acknowledged to IMAP (moved)"
daemon_stop
assert_eq "$DAEMON_RC" "0"
echo "ok"
