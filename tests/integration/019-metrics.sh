#!/bin/sh
# /metrics for alerting: items by outcome (created, threaded, dropped by
# reason, quarantined, failed), scan verdicts, outbox deliveries by channel
# and outcome (sent, retried, dead), reloads (success, failure), each
# mailbox's state and last success, and the process_* metrics. Every metric
# the sample alerting rules (contrib/prometheus) use is exported.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/convo.sh"
pg_start
sinks_bind
MD=$T/maildir
mkdir -p "$T/rules"
cp "$top_srcdir"/rules/*.yaml "$T/rules/"
cat >"$T/rules/05-hold.yaml" <<'YAML'
rules:
  - name: hold-invoices
    match: { kind: mail, subject: /^invoice/i }
    quarantine: "invoices are checked by hand"
YAML
printf 'a-test-secret-of-32-bytes-length\n' >"$T/reply-secret"
printf 'secret\n' >"$T/imap-password"
# The IMAP mailbox points at the HTTP sink's port, bound but not listening:
# every connection is refused.
config() {
	write_config <<YAML
mailboxes:
  - { name: drop, type: maildir, path: $MD, poll_interval: 200ms }
  - { name: pipe, type: pipe }
  - { name: imap, type: imap, host: 127.0.0.1, port: $HTTP_PORT, tls: none,
      user: u, password_file: $T/imap-password }
rules: { dir: $T/rules }
smtp: { url: "smtp://127.0.0.1:$SMTP_PORT", from: support@example.com, tls: none, timeout: 4s }
outbox: { backoff: 200ms, backoff_max: 1s, poll_interval: 100ms, max_attempts: 2 }
conversation:
  address: support@example.com
  secret_file: $T/reply-secret
  templates: $top_srcdir/contrib/templates
http:
  listen: 127.0.0.1:0
YAML
}
config
export TICKETD_CONFIG=$T/ticketd.yaml
"$TICKETCTL" migrate >/dev/null
smtp_start
daemon_start
PORT=$(bound_port)
scrape() {
	curl -sS --max-time 30 -o "$T/metrics" "http://127.0.0.1:$PORT/metrics" || fail "GET /metrics"
}
# metric 'NAME{LABELS}': its value in the last scrape ("" when absent)
metric() {
	awk -v k="$1" 'index($0, k " ") == 1 { print $2 }' "$T/metrics"
}
# wait_metric SECONDS 'NAME{LABELS}' VALUE
wait_metric() {
	WM_KEY=$2 WM_WANT=$3
	wait_for "$1" "$2 = $3" 'scrape && [ "$(metric "$WM_KEY")" = "$WM_WANT" ]'
}

# Everything is there, at 0, from the first scrape.
scrape
for k in 'ticketd_items_total{outcome="created"}' 'ticketd_items_total{outcome="failed"}' \
	'ticketd_items_dropped_total{reason="auto_reply"}' 'ticketd_scan_results_total{result="infected"}' \
	'ticketd_outbox_messages_total{channel="slack",state="dead"}' \
	'ticketd_config_reloads_total{result="failure"}'; do
	assert_eq "$(metric "$k")" "0" "$k before anything happened"
done
assert_eq "$(metric ticketd_config_last_reload_successful)" "1"

put() { # put NAME: move $T/NAME.eml into the Maildir
	cp "$T/$1.eml" "$MD/tmp/$1" && mv "$MD/tmp/$1" "$MD/new/$1"
}
cat >"$T/new.eml" <<'MAIL'
From: Zoe <zoe@customer.example>
To: support@example.com
Subject: Printer on fire
Message-ID: <new-1@customer.example>

The printer is on fire.
MAIL
put new
wait_metric 30 'ticketd_items_total{outcome="created"}' 1
wait_metric 30 'ticketd_outbox_messages_total{channel="smtp",state="sent"}' 1
cat >"$T/reply.eml" <<'MAIL'
From: Zoe <zoe@customer.example>
To: support@example.com
Subject: Re: Printer on fire
Message-ID: <reply-1@customer.example>
In-Reply-To: <new-1@customer.example>
References: <new-1@customer.example>

It is still burning.
MAIL
cat >"$T/ooo.eml" <<'MAIL'
From: Max <max@customer.example>
To: support@example.com
Subject: Out of office
Message-ID: <ooo-1@customer.example>
Auto-Submitted: auto-replied

I am away.
MAIL
cat >"$T/invoice.eml" <<'MAIL'
From: Max <max@customer.example>
To: support@example.com
Subject: Invoice 42
Message-ID: <invoice-1@customer.example>

Please pay.
MAIL
put reply
put ooo
put invoice
/usr/bin/python3 "$top_srcdir/tests/integration/mkmail.py" eicar-plain "$MD/tmp/eicar" && mv "$MD/tmp/eicar" "$MD/new/eicar"
/usr/bin/python3 "$top_srcdir/tests/integration/mkmail.py" clean-pdf "$MD/tmp/pdf" && mv "$MD/tmp/pdf" "$MD/new/pdf"
# An item that can never be processed (an empty mail, as staged by an older
# ticketctl): failed for good at its first attempt.
psql_q "INSERT INTO inbound (source, kind, raw, raw_sha256, message_id) VALUES ('drop', 'mail', '', 'x', 'empty')" >/dev/null
wait_metric 30 'ticketd_items_total{outcome="failed"}' 1
wait_metric 30 'ticketd_items_total{outcome="created"}' 3
assert_eq "$(metric 'ticketd_items_total{outcome="threaded"}')" "1" "the reply"
assert_eq "$(metric 'ticketd_items_total{outcome="dropped"}')" "1" "the out-of-office"
assert_eq "$(metric 'ticketd_items_dropped_total{reason="auto_reply"}')" "1"
assert_eq "$(metric 'ticketd_items_dropped_total{reason="rule"}')" "0"
assert_eq "$(metric 'ticketd_items_total{outcome="quarantined"}')" "1" "the invoice"
assert_eq "$(metric 'ticketd_scan_results_total{result="infected"}')" "1"
assert_eq "$(metric 'ticketd_scan_results_total{result="clean"}')" "1"

# A replayed mail (same Message-ID, same bytes, through the MTA pipe) adds
# nothing: dropped as a duplicate.
"$TICKETCTL" ingest --mailbox pipe "$T/new.eml" >/dev/null || fail "ingest"
wait_metric 30 'ticketd_items_dropped_total{reason="duplicate"}' 1

# The SMTP server refuses for good: the next acknowledgement is dead;
# then it defers: retried, and dead after max_attempts (2).
wait_sql 30 "SELECT count(*) FROM outbox WHERE state = 'pending'" 0
touch "$SINK/reject-5xx"
sed -e 's/new-1@/new-2@/' -e 's/Printer/Scanner/' "$T/new.eml" >"$T/new2.eml"
put new2
wait_metric 30 'ticketd_outbox_messages_total{channel="smtp",state="dead"}' 1
rm "$SINK/reject-5xx"
touch "$SINK/defer-4xx"
sed -e 's/new-1@/new-3@/' -e 's/Printer/Fax/' "$T/new.eml" >"$T/new3.eml"
put new3
wait_metric 30 'ticketd_outbox_messages_total{channel="smtp",state="dead"}' 2
assert_eq "$(metric 'ticketd_outbox_messages_total{channel="smtp",state="retried"}')" "1"
assert_eq "$(metric 'ticketd_outbox_messages_total{channel="smtp",state="sent"}')" \
	"$(psql_q "SELECT count(*) FROM outbox WHERE state = 'sent' AND channel = 'smtp'")"
assert_eq "$(psql_q "SELECT count(*) FROM outbox WHERE state = 'dead'")" "2"

# Mailboxes: the Maildir is up and just read; the IMAP server refuses.
now=$(date +%s)
at=$(metric 'ticketd_mailbox_last_success_timestamp_seconds{mailbox="drop"}')
[ -n "$at" ] && [ "$at" -ge $((now - 30)) ] && [ "$at" -le $((now + 1)) ] ||
	fail "the Maildir's last success is recent: '$at' (now $now)"
assert_eq "$(metric 'ticketd_mailbox_state{mailbox="drop",state="up"}')" "1"
wait_metric 30 'ticketd_mailbox_state{mailbox="imap",state="down"}' 1
assert_eq "$(metric 'ticketd_mailbox_state{mailbox="imap",state="up"}')" "0"
assert_eq "$(metric 'ticketd_mailbox_last_success_timestamp_seconds{mailbox="imap"}')" "" \
	"no success time before a first success"

# Reloads: one applied, one refused (and the gauge says so).
kill -HUP "$DAEMON_PID"
wait_metric 30 'ticketd_config_reloads_total{result="success"}' 1
printf 'workers: { count: lots }\n' >>"$T/ticketd.yaml"
kill -HUP "$DAEMON_PID"
wait_metric 30 'ticketd_config_reloads_total{result="failure"}' 1
assert_eq "$(metric ticketd_config_last_reload_successful)" "0"

# The process.
rss=$(metric process_resident_memory_bytes)
[ "${rss:-0}" -gt 1000000 ] || fail "resident memory: '$rss'"
fds=$(metric process_open_fds)
[ "${fds:-0}" -gt 3 ] && [ "$fds" -lt "$(metric process_max_fds)" ] || fail "open fds: '$fds'"
real_fds=$(ls /proc/"$DAEMON_PID"/fd | wc -l)
[ "$fds" -le $((real_fds + 20)) ] && [ "$fds" -ge $((real_fds - 20)) ] ||
	fail "open fds $fds, the process has $real_fds"
start=$(metric process_start_time_seconds)
real=$(( $(date +%s) - $(ps -o etimes= -p "$DAEMON_PID") ))
diff=$(awk -v a="$start" -v b="$real" 'BEGIN { d = a - b; print (d < 0 ? -d : d) < 3 }')
assert_eq "$diff" "1" "start time $start is the process's ($real)"
cpu=$(metric process_cpu_seconds_total)
awk -v c="$cpu" 'BEGIN { exit !(c > 0) }' || fail "cpu seconds: '$cpu'"

# Every metric the sample alerting rules use is exported.
for name in $(grep -o '\(ticketd\|process\)_[a-z_]*' "$top_srcdir/contrib/prometheus/ticketd-alerts.yml" | sort -u); do
	grep -q "^$name[{ ]" "$T/metrics" || fail "the alerting rules use $name, which /metrics lacks"
done
daemon_stop
echo "ok"
