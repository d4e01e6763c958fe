# convo.sh: helpers for the conversation tests (sourced after common.sh):
# an SMTP sink (aiosmtpd), an HTTP sink for Slack, a config with the
# conversation sections, and queries over what the sink received.
PY=/usr/bin/python3
# Free loopback ports from the kernel (tests run in parallel; PIDs are close).
free_port() {
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
SMTP_PORT=$(free_port)
HTTP_PORT=$(free_port)
[ "$SMTP_PORT" != "$HTTP_PORT" ] || HTTP_PORT=$(free_port)
SINK=$T/sink
HOOK=$T/hook
mkdir -p "$SINK" "$HOOK"

smtp_start() {
	rm -f "$SINK/ready"
	$PY "$top_srcdir/tests/integration/smtp-sink.py" "$SINK" "$SMTP_PORT" >>"$T/smtp.log" 2>&1 &
	SMTP_PID=$!
	echo "kill $SMTP_PID" >"$T/smtp.cleanup"
	wait_for 20 "SMTP sink" '[ -f "$SINK/ready" ]'
}

smtp_stop() {
	kill "$SMTP_PID" 2>/dev/null || true
	wait "$SMTP_PID" 2>/dev/null || true
	rm -f "$T/smtp.cleanup"
}

http_start() {
	$PY "$top_srcdir/tests/integration/http-sink.py" "$HOOK" "$HTTP_PORT" >>"$T/http.log" 2>&1 &
	echo "kill $!" >"$T/http.cleanup"
	wait_for 20 "HTTP sink" '[ -f "$HOOK/ready" ]'
}

# write_convo_config [EXTRA YAML on stdin]
write_convo_config() {
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
