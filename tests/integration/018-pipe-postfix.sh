#!/bin/sh
# Postfix's pipe into `ticketctl ingest`, set up as contrib/postfix.md says:
# user= an unprivileged user (here nobody) who can read the configuration
# and reach the database socket; flags DORq with one recipient per delivery
# put X-Original-To and Delivered-To on top, which the rules read as the
# recipient (a Bcc'd address routes the mail); a mail for two addresses is
# delivered twice and makes one ticket. A configuration the pipe's user
# cannot read makes Postfix defer the mail (exit 75), never bounce it; once
# readable, it is delivered. Then the envelope on the command line instead:
# --recipient=${original_recipient}, one delivery for all recipients (one
# argument each), the addresses in the item's meta.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/mta.sh"
PF_TRANSPORT=ticketd
PF_MAIN="ticketd_destination_recipient_limit = 1"
. "$(dirname "$0")/postfix.sh"
# The pipe runs ticketctl as nobody: a build tree in a private directory (a
# clone in mktemp -d or under /root) is out of its reach, so it runs a copy.
if ! runuser -u nobody -- test -x "$TICKETCTL" 2>/dev/null; then
	mkdir -p "$T/bin" && cp "$TICKETCTL" "$T/bin/ticketctl" && chmod 755 "$T/bin" "$T/bin/ticketctl"
	TICKETCTL=$T/bin/ticketctl
fi
# ASan's leak check needs ptrace rights the pipe's user may lack; 007 checks ingest's leaks.
pf_start "ticketd   unix  -       n       n       -       2       pipe
  flags=DORq user=nobody argv=/usr/bin/env ASAN_OPTIONS=detect_leaks=0 $TICKETCTL -c $T/ticketd.yaml ingest --mailbox pipe
ticketd-env unix  -     n       n       -       2       pipe
  flags=Rq user=nobody argv=/usr/bin/env ASAN_OPTIONS=detect_leaks=0 $TICKETCTL -c $T/ticketd.yaml ingest -q --mailbox pipe --recipient=\${original_recipient}"
pg_start
recipient_rules
write_config <<YAML
rules: { dir: $T/rules }
mailboxes:
  - { name: pipe, type: pipe, queue: helpdesk }
YAML
chmod 644 "$T/ticketd.yaml"
daemon_start

# billing@ only in the envelope (Bcc): the headers Postfix prepends say it.
pf_send zoe@customer.example billing@support.example <<'MAIL'
From: Zoe <zoe@customer.example>
To: support@support.example
Subject: invoice by pipe
Message-ID: <pipe-1@customer.example>

The total is wrong.
MAIL
wait_sql 30 "SELECT count(*) FROM tickets" 1
assert_eq "$(psql_q "SELECT queue FROM tickets")" "billing" "routed by X-Original-To"
psql_q "SELECT encode(raw, 'escape') FROM inbound" | sed -n '1,4p' >"$T/top"
grep -qx 'X-Original-To: billing@support.example' "$T/top" || fail "no X-Original-To on top: $(cat "$T/top")"
grep -qx 'Delivered-To: billing@support.example' "$T/top" || fail "no Delivered-To on top"

# Two addresses: two deliveries (recipient limit 1), two rows, one ticket.
pf_send zoe@customer.example support@support.example billing@support.example <<'MAIL'
From: Zoe <zoe@customer.example>
To: support@support.example, billing@support.example
Subject: to both
Message-ID: <pipe-2@customer.example>

Hello.
MAIL
wait_sql 30 "SELECT count(*) FROM inbound WHERE state = 'done'" 3
assert_eq "$(psql_q "SELECT count(*) FROM tickets WHERE subject = 'to both'")" "1" "one ticket for one mail"

# The pipe's user cannot read the configuration: deferred, not bounced.
chmod 600 "$T/ticketd.yaml"
pf_send d@customer.example support@support.example <<'MAIL'
From: d@customer.example
To: support@support.example
Subject: config unreadable
Message-ID: <pipe-3@customer.example>

x
MAIL
wait_for 30 "postfix deferred it" 'pf_log | grep -q "relay=ticketd.*status=deferred"'
pf_log | grep -q "status=bounced" && fail "a configuration problem bounced mail: $(pf_log | grep status=bounced)"
chmod 644 "$T/ticketd.yaml"
subject_tickets() { psql_q "SELECT count(*) FROM tickets WHERE subject = '$1'"; }
wait_for 60 "the deferred mail delivered" 'pf_nudge; [ "$(subject_tickets "config unreadable")" = 1 ]'
wait_for 60 "postfix's queue empty" 'pf_nudge; pf_queue_empty'
pf_log | grep -q "status=bounced" && fail "bounced: $(pf_log | grep status=bounced)"

# The envelope as arguments: one delivery for both recipients.
postconf -c "$PF/etc" -e virtual_transport=ticketd-env
reloads=$(pf_log | grep -c "reload -- version" || true)
postfix -c "$PF/etc" reload >/dev/null 2>&1 || fail "postfix reload"
wait_for 30 "postfix reloaded" '[ "$(pf_log | grep -c "reload -- version")" -gt "$reloads" ]'
pf_send zoe@customer.example support@support.example billing@support.example <<'MAIL'
From: Zoe <zoe@customer.example>
To: support@support.example
Subject: envelope arguments
Message-ID: <pipe-4@customer.example>

Billing was in Bcc.
MAIL
wait_sql 30 "SELECT count(*) FROM tickets WHERE subject = 'envelope arguments'" 1
assert_eq "$(psql_q "SELECT queue FROM tickets WHERE subject = 'envelope arguments'")" "billing"
assert_eq "$(psql_q "SELECT meta->'recipients' FROM inbound WHERE encode(raw, 'escape') LIKE '%Subject: envelope arguments%'")" \
	'["billing@support.example", "support@support.example"]' "one delivery, both recipients"
assert_eq "$(pf_log | grep -c "relay=ticketd-env.*status=sent")" "2" "one line per recipient"
daemon_stop
echo "ok"
