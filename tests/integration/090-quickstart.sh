#!/bin/sh
# The README's demo (contrib/quickstart run, without its install and build
# steps): a private cluster, the daemon with an HTTP listener and an SMTP
# sink writing to run/sent/; the README's next steps work: the sample mail
# becomes a ticket whose acknowledgement can be read in run/sent/, /metrics
# answers, the sample alert opens an incident; stop stops it all.
. "$(dirname "$0")/common.sh"
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || { echo "python3-aiosmtpd missing: skipped"; exit 77; }
RUN=$T/run
QUICKSTART_RUN=$RUN QUICKSTART_BIN=$top_builddir/src QUICKSTART_HTTP=127.0.0.1:0
export QUICKSTART_RUN QUICKSTART_BIN QUICKSTART_HTTP
echo "sh '$top_srcdir/contrib/quickstart' stop" >"$T/quickstart.cleanup"
DAEMON_LOG=$RUN/ticketd.log
sh "$top_srcdir/contrib/quickstart" demo >"$T/quickstart.out" 2>&1 ||
	fail "quickstart demo: $(tail -n 20 "$T/quickstart.out")"
OUT=$(cat "$T/quickstart.out")
assert_contains "$OUT" "cp contrib/examples/printer.eml $RUN/maildir/new/"
assert_contains "$OUT" "ls $RUN/sent/"
PORT=$(bound_port "$RUN/ticketd.log")
[ -n "$PORT" ] || fail "the demo has no HTTP listener"
assert_contains "$OUT" "http://127.0.0.1:$PORT/metrics"
export TICKETD_CONFIG=$RUN/ticketd.yaml

# The README's next step: the sample mail.
cp "$top_srcdir/contrib/examples/printer.eml" "$RUN/maildir/new/"
wait_for 60 "the sample mail's ticket" \
	'"$TICKETCTL" list | grep -q "The printer in room 4 is on fire"'
wait_for 60 "its acknowledgement in run/sent" 'grep -l "^To: .*zoe@customer.example" "$RUN"/sent/*.eml'
ACK=$(grep -l "^To: .*zoe@customer.example" "$RUN"/sent/*.eml | head -n 1)
grep -q "^Subject: .*\[#TKT-[0-9]*\]" "$ACK" || fail "the acknowledgement's subject: $(grep ^Subject "$ACK")"
curl -sS --max-time 30 "http://127.0.0.1:$PORT/metrics" >"$T/metrics" || fail "GET /metrics"
grep -q '^ticketd_items_total{outcome="created"} 1$' "$T/metrics" ||
	fail "metrics: $(grep ticketd_items_total "$T/metrics")"

# The sample alert.
code=$(curl -sS --max-time 30 -o "$T/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary @"$top_srcdir/contrib/examples/alert.json" "http://127.0.0.1:$PORT/v1/alertmanager")
assert_eq "$code" "202" "the sample alert: $(cat "$T/resp")"
wait_for 60 "the incident" '"$TICKETCTL" list | grep -q "Disk full on db1"'

# Stop: the daemon, the sink and the cluster.
pid=$(cat "$RUN/ticketd.pid") sink=$(cat "$RUN/smtp-sink.pid")
sh "$top_srcdir/contrib/quickstart" stop >/dev/null 2>&1 || fail "quickstart stop"
rm -f "$T/quickstart.cleanup"
wait_for 30 "the demo stopped" '! kill -0 "$pid" && ! kill -0 "$sink"'
as_pg "$PG_BINDIR/pg_ctl" -D "$RUN/pg/data" status >/dev/null 2>&1 && fail "the cluster still runs"
echo "ok"
