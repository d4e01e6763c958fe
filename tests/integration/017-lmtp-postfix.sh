#!/bin/sh
# Postfix itself delivers to the LMTP listener (contrib/postfix.md): a
# private Postfix with the support domain as a virtual mailbox domain whose
# virtual_transport is a non-chrooted lmtp service on ticketd's Unix socket
# (mode 0660, group postfix: Postfix's lmtp client runs as postfix). A mail
# to support@ with billing@ in Bcc is delivered in one transaction, staged
# once and routed by the Bcc'd recipient; while the database is down
# Postfix is told 451 4.3.0, keeps the mail and delivers it once it is back
# (one ticket); a message over max_message_size bounces (Postfix compares
# it with the SIZE announced); a burst of mail over Postfix's cached connections arrives
# whole, each message once.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/mta.sh"
SOCK=$T/lmtp.sock
PF_TRANSPORT="ticketd:unix:$SOCK"
. "$(dirname "$0")/postfix.sh"
pf_start "ticketd   unix  -       -       n       -       4       lmtp"
pg_start
recipient_rules
write_config <<YAML
rules: { dir: $T/rules }
mailboxes:
  - name: mta
    type: lmtp
    listen: $SOCK
    socket_mode: "0660"
    socket_group: postfix
    max_connections: 4
    max_message_size: 64k
    queue: mta
YAML
daemon_start
assert_eq "$(stat -c '%a %G' "$SOCK")" "660 postfix" "socket mode and group"

pf_send zoe@customer.example support@support.example billing@support.example <<'MAIL'
From: Zoe <zoe@customer.example>
To: support@support.example
Subject: invoice via postfix
Message-ID: <pf-1@customer.example>

The total is wrong.
MAIL
wait_sql 30 "SELECT count(*) FROM tickets" 1
assert_eq "$(psql_q "SELECT queue FROM tickets")" "billing" "routed by the Bcc'd recipient"
assert_eq "$(psql_q "SELECT meta->'recipients' FROM inbound")" \
	'["billing@support.example", "support@support.example"]'
wait_for 20 "postfix: sent" '[ "$(pf_log | grep -c "status=sent (250 2.0.0 Staged as inbound 1)")" = 2 ]'

# The database down: Postfix hears 451 4.3.0 and keeps the mail; back up, it delivers once.
pg_down
pf_send d@customer.example support@support.example <<'MAIL'
From: d@customer.example
To: support@support.example
Subject: during the outage
Message-ID: <pf-down@customer.example>

x
MAIL
wait_for 60 "postfix deferred the mail" 'pf_log | grep "status=deferred" | grep -q "451 4.3.0"'
pf_queue_empty && fail "the deferred mail is not in Postfix's queue"
pg_up
wait_sql 60 "SELECT count(*) FROM tickets WHERE subject = 'during the outage'" 1
wait_for 30 "the retry sent" 'pf_log | grep -q "to=<support@support.example>.*status=sent (250 2.0.0 Staged as inbound 2)"'
assert_eq "$(psql_q "SELECT count(*) FROM inbound")" "2" "the retry was staged once"

# Over max_message_size: Postfix reads SIZE in the LHLO reply and bounces it unsent.
{ printf 'From: big@customer.example\nTo: support@support.example\nSubject: big\nMessage-ID: <pf-big@c>\n\n'
  head -c 100000 /dev/zero | tr '\0' y | fold -w 70; } | pf_send big@customer.example support@support.example
wait_for 30 "the bounce" 'pf_log | grep "dsn=5.3.4, status=bounced" | grep -q "exceeds size limit 65536"'

# A burst: 40 messages, all arrive, each once.
i=0
while [ $i -lt 40 ]; do
	printf 'From: c%s@customer.example\nTo: support@support.example\nSubject: burst %s\nMessage-ID: <burst%s@c>\n\nb\n' \
		"$i" "$i" "$i" | pf_send "c$i@customer.example" support@support.example
	i=$((i + 1))
done
wait_sql 90 "SELECT count(*) FROM tickets WHERE subject LIKE 'burst %'" 40
wait_for 30 "postfix's queue empty" pf_queue_empty
assert_eq "$(psql_q "SELECT count(*) FROM inbound")" "42" "each message staged once"
assert_eq "$(pf_log | grep 'status=deferred' | grep -vc '451 4.3.0')" "0" "only the outage deferred mail"
daemon_stop
assert_eq "$DAEMON_RC" "0"
echo "ok"
