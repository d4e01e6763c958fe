#!/bin/sh
# What the customer receives when an agent answers and resolves by email
# (issue 11): the answer first, then the resolved notice; every mail to the
# customer answers a mail the customer has (their last message or ticketd's
# last mail to them), never the agent's own; {{author}} is the agent's
# display name; a format=flowed answer arrives as paragraphs; the
# signature separator arrives as "-- " (quoted-printable "--=20");
# ticketctl show folds a quote into one line (--full shows it).
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/convo.sh"
pg_start
write_convo_config
"$TICKETCTL" migrate >/dev/null
smtp_start
http_start
daemon_start

cat >"$T/new.eml" <<'MAIL'
From: Zoe <zoe@customer.example>
To: support@example.com
Subject: Printer jams
Message-ID: <new@customer.example>

The printer jams on every page.
MAIL
ingest "$T/new.eml"
settle
wait_sent 20 2
TOKEN=$(sent_q 'm[0]["reply_to"]' | sed -n 's/.*support+\([a-z2-7]*\)@example.com.*/\1/p')
AGENT_TOKEN=$(sent_q 'm[1]["reply_to"]' | sed -n 's/.*support+\([a-z2-7]*\)@example.com.*/\1/p')
ACK=$(sent_q 'm[0]["message_id"]')
assert_eq "$(sent_q 'm[0]["in_reply_to"]')" "new@customer.example" "the acknowledgement answers the customer's mail"

# The customer adds a detail: the agent is told.
cat >"$T/more.eml" <<MAIL
From: Zoe <zoe@customer.example>
To: support+$TOKEN@example.com
Subject: Re: Printer jams
Message-ID: <more@customer.example>
In-Reply-To: <$ACK>

It is the one on floor 3.

On Mon, 23 Nov 2026 at 10:00, Example Support wrote:
> Hello,
> thank you for writing to us. Your request has been registered.
MAIL
ingest "$T/more.eml"
settle
wait_sent 20 3
# ticketctl show: what the customer wrote, the quote folded; --full shows it.
"$TICKETCTL" show TKT-1000 >"$T/show.txt"
assert_contains "$(cat "$T/show.txt")" "It is the one on floor 3." "the visible text"
assert_contains "$(cat "$T/show.txt")" "[... 3 lines of quote or signature hidden; ticketctl show --full shows them]" "the quote folded"
if grep -q "> thank you for writing" "$T/show.txt"; then fail "show printed the quote"; fi
"$TICKETCTL" show --full TKT-1000 >"$T/show-full.txt"
grep -q "> thank you for writing to us. Your request has been registered." "$T/show-full.txt" ||
	fail "show --full leaves the quote out"

# The agent answers in format=flowed and resolves.
cat >"$T/agent.eml" <<MAIL
From: alice@agents.example
To: support+$AGENT_TOKEN@example.com
Subject: Re: [#TKT-1000] Printer jams
Message-ID: <agent-answer@agents.example>
Content-Type: text/plain; charset=utf-8; format=flowed

#status resolved

The fuser was worn out; we replaced it and the printer works again 
without jamming. Please tell us if it happens 
again.
MAIL
ingest "$T/agent.eml"
settle
wait_sent 20 5
assert_eq "$(sent_q '[x["env_to"] for x in m[3:]]')" '["zoe@customer.example", "zoe@customer.example"]'
assert_eq "$(sent_q '["Resolved" in x["subject"] for x in m[3:]]')" '[false, true]' \
	"the answer first, then the resolved notice"
ANSWER=$(sent_q 'm[3]["message_id"]')
assert_eq "$(sent_q 'm[3]["in_reply_to"]')" "more@customer.example" \
	"the answer refers to the customer's last mail, not to the agent's"
case "$(sent_q 'm[3]["references"]')" in *agent-answer*) fail "the agent's Message-ID is in References";; esac
assert_eq "$(sent_q 'm[4]["in_reply_to"]')" "$ANSWER" "the notice refers to the answer the customer got"
assert_contains "$(sent_q 'm[4]["references"]')" "<new@customer.example>" "the notice's References start at the thread's root"
BODY=$(sent_q 'm[3]["body"]')
assert_contains "$BODY" "we replaced it and the printer works again without jamming. Please tell us if it happens again." \
	"soft line breaks joined"
assert_contains "$BODY" "
-- 
Alice Agent
" "signature separator intact, author's display name"
RAW=$(sent_q 'm[3]["file"]')
grep -q -- '--=20' "$SINK/$RAW" || fail "the separator is not encoded as --=20"
if grep -q -- '-- =20' "$SINK/$RAW"; then fail "the separator went out as '-- =20'"; fi

# ticketctl set status closed: the notice answers ticketd's last mail to the customer.
"$TICKETCTL" set TKT-1000 status closed >/dev/null
wait_sent 20 6
assert_eq "$(sent_q 'm[5]["in_reply_to"]')" "$(sent_q 'm[4]["message_id"]')" "the closed notice is in the thread"
