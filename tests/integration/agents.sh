# agents.sh: helpers for the agents' tests (sourced after common.sh and
# convo.sh): replace the agents: list of the config, find the reply token
# a notice gave an agent, and reply as that agent.

# set_agents: the agents: list of $T/ticketd.yaml becomes the YAML on stdin
# (a list of "  - name: ..." items).
set_agents() {
	sed -i '/^agents:$/,/^[a-z]/{/^agents:$/d;/^  /d;/^    /d}' "$T/ticketd.yaml"
	{ echo "agents:"; cat; } >>"$T/ticketd.yaml"
}

# agent_token ADDRESS: the reply token of the latest mail the sink holds for ADDRESS.
agent_token() {
	sent_q "[x['reply_to'] for x in m if x['env_to'] == '$1'][-1]" |
		sed -n 's/.*support+\([a-z2-7]*\)@example.com.*/\1/p'
}

# agent_mail FROM TOKEN ID BODY: a reply from an agent with its token, ingested.
agent_mail() {
	printf 'From: %s\nTo: support+%s@example.com\nSubject: Re: a ticket\nMessage-ID: <%s@agents.example>\n\n%b\n' \
		"$1" "$2" "$3" "$4" >"$T/$3.eml"
	ingest "$T/$3.eml"
	settle
}

# customer_mail N [QUEUE-HINT]: a new ticket from customer N.
customer_mail() {
	printf 'From: c%s@customer.example\nTo: support@example.com\nSubject: case %s %s\nMessage-ID: <case-%s@customer.example>\n\nHelp with %s.\n' \
		"$1" "$1" "${2:-}" "$1" "$1" >"$T/case$1.eml"
	ingest "$T/case$1.eml"
}

# case_id N: the ticket of customer N's mail.
case_id() { psql_q "SELECT ticket_id FROM messages WHERE message_id = 'case-$1@customer.example'"; }
case_num() { psql_q "SELECT t.number FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = 'case-$1@customer.example'"; }
