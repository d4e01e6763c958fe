# convo.sh: helpers for the conversation tests (sourced after common.sh):
# an SMTP sink (aiosmtpd), an HTTP sink for Slack, a config with the
# conversation sections, and queries over what the sink received.
#
# Ports: each sink binds a port the kernel picks and writes it to its
# directory (DIR/port) before it accepts anything, so the port is known for
# the config, cannot collide with another test's, and stays held while the
# sink is "down" (connections refused) until smtp_start / http_start.
PY=/usr/bin/python3
SINK=$T/sink
HOOK=$T/hook
mkdir -p "$SINK" "$HOOK"
SMTP_PORT=
HTTP_PORT=

# sink_bind NAME SCRIPT DIR: start a sink, closed; prints its port.
sink_bind() {
	touch "$3/closed"
	rm -f "$3/port" "$3/ready"
	$PY "$top_srcdir/tests/integration/$2" "$3" >>"$T/$1.log" 2>&1 &
	echo "kill $!" >"$T/$1.cleanup"
	wait_for 60 "$1 bound to a port" '[ -s "'"$3"'/port" ]'
	cat "$3/port"
}

# The sinks' ports, binding them (closed) the first time.
sinks_bind() {
	[ -n "$SMTP_PORT" ] || SMTP_PORT=$(sink_bind smtp smtp-sink.py "$SINK")
	[ -n "$SMTP_PORT" ] || fail "the SMTP sink did not start: $(tail -n 5 "$T/smtp.log")"
	[ -n "$HTTP_PORT" ] || HTTP_PORT=$(sink_bind http http-sink.py "$HOOK")
	[ -n "$HTTP_PORT" ] || fail "the HTTP sink did not start: $(tail -n 5 "$T/http.log")"
}

# Open the SMTP sink (it listens from now on).
smtp_start() {
	sinks_bind
	rm -f "$SINK/closed"
	wait_for 60 "SMTP sink" '[ -f "$SINK/ready" ]'
}

# Kill the SMTP sink; the port is released (a later smtp_start binds a new
# one: rewrite the config then).
smtp_stop() {
	[ -f "$T/smtp.cleanup" ] && sh "$T/smtp.cleanup" 2>/dev/null || true
	rm -f "$T/smtp.cleanup"
	SMTP_PORT=
}

http_start() {
	sinks_bind
	rm -f "$HOOK/closed"
	wait_for 60 "HTTP sink" '[ -f "$HOOK/ready" ]'
}

# write_convo_config [EXTRA YAML on stdin]
write_convo_config() {
	sinks_bind
	printf 'a-test-secret-of-32-bytes-length\n' >"$T/reply-secret"
	printf 'http://127.0.0.1:%s/services/T0/B0/secretpart\n' "$HTTP_PORT" >"$T/slack-url"
	{
		cat <<YAML
mailboxes:
  - name: pipe
    type: pipe
agents:
  - name: alice
    email: alice@agents.example
    display_name: Alice Agent
smtp:
  url: smtp://127.0.0.1:$SMTP_PORT
  from: support@example.com
  from_name: Example Support
  tls: none
  timeout: 4s
  connect_timeout: 1s
slack:
  webhook_url_file: $T/slack-url
  timeout: 2s
outbox:
  backoff: 200ms
  backoff_max: 1s
  poll_interval: 100ms
  lease: 10s
conversation:
  address: support@example.com
  secret_file: $T/reply-secret
  templates: $top_srcdir/contrib/templates
  reopen_window: 1h
  ack_interval: 1h
  ack_burst: 2
YAML
		if [ ! -t 0 ]; then cat; fi
	} | write_config
	export TICKETD_CONFIG=$T/ticketd.yaml
}

# ingest FILE: stage a mail through the MTA pipe.
ingest() {
	"$TICKETCTL" ingest --mailbox pipe "$1" >/dev/null || fail "ingest $1 failed"
}

# Wait until every staged item is processed (done or dropped).
settle() {
	wait_sql 20 "SELECT count(*) FROM inbound WHERE state = 'pending'" 0
}

# sent_q EXPR: evaluate a Python expression over the list m of sink mails.
sent_q() {
	$PY "$top_srcdir/tests/integration/mailq.py" "$SINK" >"$T/mailq.json"
	$PY -c 'import json,sys; m=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$T/mailq.json" "$1"
}

# wait_sent SECONDS N: wait until the sink holds N mails.
wait_sent() {
	WANT_SENT=$2
	wait_for "$1" "$2 mails in the sink" '[ "$(ls "$SINK"/*.eml 2>/dev/null | wc -l)" -ge "$WANT_SENT" ]'
}
