#!/bin/sh
# Customer satisfaction against real PostgreSQL, the SMTP sink and
# ticketd's HTTP server: the resolved notice asks for a rating; a reply
# whose first line is the digit (proven by the reply token) records it and
# does not reopen; the signed link shows a page on GET (recording nothing)
# and records on POST; a forged or expired link is refused; a 1 or 2 is
# mailed to the queue's lead; without the token a "5" is an ordinary reply.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/convo.sh"
. "$(dirname "$0")/agents.sh"
command -v curl >/dev/null || { echo "curl missing: skipped"; exit 77; }
pg_start
write_convo_config <<YAML
teams:
  - {name: l1, lead: dana, members: [alice]}
queues:
  - {name: support, team: l1, assign: least_loaded}
http:
  listen: 127.0.0.1:0
csat:
  url: https://support.example.com/
  link_ttl: 1h
sla:
  poll_interval: 200ms
YAML
set_agents <<YAML
  - {name: alice, email: alice@agents.example}
  - {name: dana, email: dana@agents.example, display_name: Dana Lead}
YAML
"$TICKETD" -t -c "$T/ticketd.yaml" >/dev/null || { "$TICKETD" -t -c "$T/ticketd.yaml"; fail "config"; }
"$TICKETCTL" migrate >/dev/null
smtp_start
http_start
on_daemon_ready() { D_URL=http://127.0.0.1:$(bound_port "$DAEMON_LOG"); }
daemon_start

resolve() { # resolve N: the ticket of customer N resolved; its notice in the sink
	customer_mail "$1"; settle
	"$TICKETCTL" set "$(case_num "$1")" status resolved >/dev/null || fail "resolve $1"
	wait_for 60 "the resolved notice to c$1" \
		'[ "$(sent_q "sum(1 for x in m if x['"'env_to'"'] == '"'c$1@customer.example'"' and '"'Resolved'"' in x['"'subject'"'])")" = 1 ]'
}
notice() { sent_q "[x['$2'] for x in m if x['env_to'] == 'c$1@customer.example' and 'Resolved' in x['subject']][0]"; }
csat() { psql_q "SELECT coalesce(csat_score::text, '-') || '|' || coalesce(csat_via, '-') || '|' || coalesce(csat_comment, '-') FROM tickets WHERE id = $(case_id "$1")"; }
code() { curl -sS --max-time 30 -o "$T/page.html" -w '%{http_code}' "$@" 2>"$T/curl.err" || true; }

# 1. The notice asks: how to reply, and five links.
resolve 1
BODY=$(notice 1 body)
assert_contains "$BODY" "Reply with a number from 1 (poor) to 5 (excellent) on the first line"
assert_contains "$BODY" "https://support.example.com/v1/csat/$(case_id 1)-"
assert_eq "$(printf '%s\n' "$BODY" | grep -c '/v1/csat/.*?score=[1-5]$')" "5" "five links"

# 2. By reply, proven by the token: recorded, kept as a note, the ticket stays resolved.
TOK=$(notice 1 reply_to | sed -n 's/.*support+\([a-z2-7]*\)@example.com.*/\1/p')
[ -n "$TOK" ] || fail "no reply token in the notice"
printf 'From: c1@customer.example\nTo: support+%s@example.com\nSubject: Re: Resolved\nMessage-ID: <rate-1@customer.example>\n\n4\nThanks, quick help.\n\n> your request has been resolved\n' "$TOK" >"$T/rate1.eml"
ingest "$T/rate1.eml"
settle
assert_eq "$(csat 1)" "4|mail|Thanks, quick help."
assert_eq "$(psql_q "SELECT status FROM tickets WHERE id = $(case_id 1)")" "resolved" "a rating does not reopen"
assert_eq "$(psql_q "SELECT actor || ' ' || new_value FROM ticket_events WHERE ticket_id = $(case_id 1) AND action = 'csat'")" \
	"customer:c1@customer.example 4"
assert_eq "$(psql_q "SELECT visibility FROM messages WHERE message_id = 'rate-1@customer.example'")" "internal"

# 3. By link: GET shows the page and records nothing; POST records; a 2 goes to the lead.
resolve 2
LINK=$(notice 2 body | sed -n 's|.*https://support.example.com\(/v1/csat/[^ ]*?score=2\)$|\1|p')
[ -n "$LINK" ] || fail "no score=2 link in: $(notice 2 body)"
assert_eq "$(code "$D_URL$LINK")" "200" "GET the link"
grep -q 'value="2" checked' "$T/page.html" || fail "the page preselects 2: $(cat "$T/page.html")"
grep -q "How did we do with TKT-" "$T/page.html" || fail "the page names the ticket"
assert_eq "$(csat 2)" "-|-|-" "GET records nothing"
assert_eq "$(code -X POST --data-urlencode score=2 --data-urlencode 'comment=slow <b>answers</b> é' "$D_URL$LINK")" "200" "POST"
grep -q "Thank you: you rated TKT-[0-9]* 2 of 5" "$T/page.html" || fail "thanks page: $(cat "$T/page.html")"
assert_eq "$(csat 2)" "2|link|slow <b>answers</b> é"
wait_for 60 "the lead hears of the poor rating" \
	'[ "$(sent_q "sum(1 for x in m if x['"'env_to'"'] == '"'dana@agents.example'"' and '"'Poor rating 2/5'"' in x['"'subject'"'])")" = 1 ]'
assert_contains "$(sent_q "[x['body'] for x in m if x['env_to'] == 'dana@agents.example' and 'Poor rating' in x['subject']][0]")" "Comment: slow <b>answers</b>"
# the customer changes their mind: the later rating replaces it, audited
assert_eq "$(code -X POST -d score=5 "$D_URL$LINK")" "200"
assert_eq "$(csat 2)" "5|link|-"
assert_eq "$(psql_q "SELECT string_agg(coalesce(old_value, '-') || '>' || new_value, ' ' ORDER BY id) FROM ticket_events WHERE ticket_id = $(case_id 2) AND action = 'csat'")" "->2 2>5"
assert_eq "$(code -X POST -d score=9 "$D_URL$LINK")" "400" "a score out of range"

# 4. Forged and expired links are refused and change nothing; the test signs its own to
#    show its signature is the daemon's (a good one works).
ID=$(case_id 2)
sign() { # sign ID EXPIRES
	/usr/bin/python3 -c 'import hmac,hashlib,sys; i,e=int(sys.argv[1]),int(sys.argv[2]); m=b"ticketd-csat-v1\0"+i.to_bytes(8,"big")+e.to_bytes(8,"big"); print("%d-%d-%s" % (i, e, hmac.new(b"a-test-secret-of-32-bytes-length", m, hashlib.sha256).hexdigest()[:32]))' "$1" "$2"
}
NOW=$(date +%s)
assert_eq "$(code "$D_URL/v1/csat/$(sign "$ID" $((NOW + 600)))?score=3")" "200" "a link signed with the secret"
assert_eq "$(code -X POST -d score=1 "$D_URL/v1/csat/$(sign "$ID" $((NOW - 5)))")" "410" "expired"
grep -q "expired" "$T/page.html" || fail "expired page"
FORGED=$(echo "$LINK" | sed "s|/v1/csat/$ID-|/v1/csat/$(case_id 1)-|; s|?.*||")
assert_eq "$(code -X POST -d score=1 "$D_URL$FORGED")" "403" "another ticket's id under this MAC"
assert_eq "$(code "$D_URL/v1/csat/$ID-$((NOW + 999999))-00000000000000000000000000000000")" "403" "a made-up MAC"
assert_eq "$(code "$D_URL/v1/csat/garbage")" "403"
assert_eq "$(code -X POST -H 'Content-Type: application/json' -d '{}' "$D_URL${LINK%%\?*}")" "415"
assert_eq "$(csat 2)" "5|link|-" "nothing changed"
assert_eq "$(csat 1)" "4|mail|Thanks, quick help."
grep -q "rating link from 127.0.0.1 refused: forged link" "$DAEMON_LOG" || fail "the refusal is logged"

# 5. Not a rating: no token (threaded by In-Reply-To only) is an ordinary reply (reopens);
#    a token past csat.link_ttl is too.
resolve 3
MID=$(notice 3 message_id)
printf 'From: c3@customer.example\nTo: support@example.com\nSubject: Re: Resolved\nIn-Reply-To: <%s>\nMessage-ID: <rate-3@customer.example>\n\n5\n' "$MID" >"$T/rate3.eml"
ingest "$T/rate3.eml"
settle
assert_eq "$(csat 3)" "-|-|-"
assert_eq "$(psql_q "SELECT status FROM tickets WHERE id = $(case_id 3)")" "reopened"
resolve 4
psql_q "UPDATE tickets SET resolved_at = now() - interval '2 hours' WHERE id = $(case_id 4)" >/dev/null
TOK4=$(notice 4 reply_to | sed -n 's/.*support+\([a-z2-7]*\)@example.com.*/\1/p')
printf 'From: c4@customer.example\nTo: support+%s@example.com\nSubject: Re: Resolved\nMessage-ID: <rate-4@customer.example>\n\n5\n' "$TOK4" >"$T/rate4.eml"
ingest "$T/rate4.eml"
settle
assert_eq "$(csat 4)" "-|-|-" "too late for a rating"
daemon_stop
echo "ok"
