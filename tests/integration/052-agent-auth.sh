#!/bin/sh
# With conversation.authserv_id set, an agent's reply needs a valid token
# AND our MTA's Authentication-Results (dkim and dmarc pass); results
# stamped under another authserv-id are ignored as forgeable.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/convo.sh"
pg_start
write_convo_config <<'YAML'
  authserv_id: mx.example.com
YAML
"$TICKETCTL" migrate >/dev/null
smtp_start
http_start
daemon_start

printf 'From: zoe@customer.example\nTo: support@example.com\nSubject: Help\nMessage-ID: <a1@customer.example>\n\nPlease help.\n' >"$T/new.eml"
ingest "$T/new.eml"
settle
wait_sent 20 2
AGENT_TOKEN=$(sent_q '[x["reply_to"] for x in m if x["env_to"] == "alice@agents.example"][0]' |
	sed -n 's/.*support+\([a-z2-7]*\)@example.com.*/\1/p')
[ -n "$AGENT_TOKEN" ] || fail "no agent token"

agent_reply() { # agent_reply NAME AUTH-RESULTS-LINE
	{
		[ -n "$2" ] && printf '%s\n' "$2"
		printf 'From: alice@agents.example\nTo: support+%s@example.com\nSubject: Re: Help\nMessage-ID: <%s@agents.example>\n\n#priority high\n\nAnswer %s.\n' \
			"$AGENT_TOKEN" "$1" "$1"
	} >"$T/$1.eml"
	ingest "$T/$1.eml"
	settle
}
agent_reply none ""
agent_reply forged "Authentication-Results: relay.evil.example; dkim=pass header.d=agents.example; dmarc=pass"
agent_reply dkimfail "Authentication-Results: mx.example.com; dkim=fail header.d=agents.example; dmarc=pass"
assert_eq "$(psql_q "SELECT priority FROM tickets")" "medium" "no command from an unauthenticated agent"
assert_eq "$(psql_q "SELECT count(*) FROM messages WHERE agent_id IS NOT NULL")" "0"
assert_eq "$(psql_q "SELECT count(*) FROM ticket_events WHERE action = 'untrusted-agent' AND detail LIKE '%Authentication-Results%'")" \
	"3" "each one audited"
agent_reply good "Authentication-Results: mx.example.com; dkim=pass header.d=agents.example; dmarc=pass (p=reject)"
assert_eq "$(psql_q "SELECT priority FROM tickets")" "high" "the authenticated agent's command applies"
wait_sql 20 "SELECT count(*) FROM outbox WHERE recipient = 'zoe@customer.example' AND kind = 'reply.txt'" 1
daemon_stop
echo "ok"
