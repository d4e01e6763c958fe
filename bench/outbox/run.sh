#!/bin/sh
# bench/outbox/run.sh [N]: how fast one daemon's outbox sender empties N
# queued mails into a loopback SMTP server (aiosmtpd), one claim, one SMTP
# transaction and one commit per mail, over a reused connection.
# Run from a built tree; uses the integration test harness (private
# PostgreSQL, sinks). Prints mails per second.
set -eu
N=${1:-1000}
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
top_builddir=${top_builddir:-$top_srcdir}
export top_srcdir top_builddir
set -- # common.sh reads no arguments
. "$top_srcdir/tests/integration/common.sh"
. "$top_srcdir/tests/integration/convo.sh"
pg_start
write_convo_config
"$TICKETCTL" migrate >/dev/null
smtp_start
# N ready-made payloads (same shape as an acknowledgement, 1.2 KB each).
psql_q "INSERT INTO outbox (idempotency_key, channel, recipient, message_id, payload)
	SELECT 'bench:' || g, 'smtp', 'c' || g || '@customer.example', 'bench.' || g || '@example.com',
	convert_to('From: support@example.com' || chr(13) || chr(10) || 'To: c' || g ||
	'@customer.example' || chr(13) || chr(10) || 'Message-ID: <bench.' || g || '@example.com>' ||
	chr(13) || chr(10) || 'Subject: bench' || chr(13) || chr(10) || chr(13) || chr(10) ||
	repeat(repeat('x', 68) || chr(13) || chr(10), 16), 'UTF8') FROM generate_series(1, $N) g" >/dev/null
start=$(date +%s.%N)
daemon_start
wait_for 600 "all sent" '[ "$(psql_q "SELECT count(*) FROM outbox WHERE state = '"'"'sent'"'"'")" = "$N" ]'
end=$(date +%s.%N)
daemon_stop
got=$(ls "$SINK"/*.eml | wc -l)
[ "$got" = "$N" ] || fail "sink holds $got mails, expected $N"
conns=$(grep -h '^X-Sink-Peer:' "$SINK"/*.eml | sort -u | wc -l)
echo "SMTP connections used: $conns"
/usr/bin/python3 -c "import sys; n=int(sys.argv[1]); s=float(sys.argv[3])-float(sys.argv[2]); print('%d mails in %.2f s (daemon start included): %.0f mails/s' % (n, s, n/s))" "$N" "$start" "$end"
