#!/bin/sh
# Fault test: SIGKILL the daemon 100 times at random moments while mail and
# alerts keep coming from every intake at once (a Maildir, IMAP through a
# private Dovecot, the MTA pipe `ticketctl ingest`, Alertmanager webhooks)
# and the outbox sends acknowledgements to an SMTP sink; then let one last
# daemon drain everything and count (tests/integration/fault.py tally):
# every acknowledged item (a Maildir file moved, an IMAP message moved,
# ingest exit 0, a webhook answered 202) is exactly one inbound row and one
# ticket or incident effect, an unacknowledged one at most one; every
# notification reached the sink once, or again with the same bytes and
# Message-ID only with a kill between the two copies (doc/delivery.md).
#
# The kill moments come from a seeded RNG; the seed is printed, and
# FAULT_SEED=N replays the same moments (the load's timing still varies).
# FAULT_KILLS changes the number of kills (default 100).
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/dovecot.sh"
. "$(dirname "$0")/convo.sh"
SEED=${FAULT_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
KILLS=${FAULT_KILLS:-100}
note "seed $SEED, $KILLS kills (replay: FAULT_SEED=$SEED)"
START=$(date +%s)

pg_start
dovecot_start
imap_py 'ensure("Processed")'
printf '%s\n' "$DOVE_PASS" >"$T/imap.pw"
printf '%s %s %s\n' "$DOVE_PORT" "$DOVE_USER" "$DOVE_PASS" >"$T/imap"
smtp_start
printf 'a-test-secret-of-32-bytes-length\n' >"$T/reply-secret"
mkdir -p "$T/maildir/new" "$T/maildir/cur" "$T/maildir/tmp"
write_config <<YAML
scan:
  enabled: false
mailboxes:
  - name: drop
    type: maildir
    path: $T/maildir
  - name: support
    type: imap
    host: 127.0.0.1
    port: $DOVE_PORT
    tls: none
    user: $DOVE_USER
    password_file: $T/imap.pw
    move_to: Processed
  - name: pipe
    type: pipe
agents:
  - name: alice
    email: alice@agents.example
http:
  listen: 127.0.0.1:0
  sources:
    - name: am
      type: alertmanager
smtp:
  url: smtp://127.0.0.1:$SMTP_PORT
  from: support@example.com
  tls: none
  timeout: 10s
  connect_timeout: 2s
outbox:
  backoff: 100ms
  backoff_max: 500ms
  poll_interval: 100ms
  lease: 24s
  max_attempts: 1000
conversation:
  address: support@example.com
  secret_file: $T/reply-secret
  templates: $top_srcdir/contrib/templates
YAML
export TICKETD_CONFIG=$T/ticketd.yaml
"$TICKETCTL" migrate >"$T/migrate.log" 2>&1 || fail "migrate: $(cat "$T/migrate.log")"

# A start that does not wait: the kill may come before the daemon is ready.
spawn() {
	READY_BEFORE=$(grep -c "ticketd: ready" "$DAEMON_LOG" 2>/dev/null || true)
	"$TICKETD" -c "$T/ticketd.yaml" >>"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
}
ready() {
	wait_for 60 "daemon ready" '[ "$(grep -c "ticketd: ready" "$DAEMON_LOG")" -gt "${READY_BEFORE:-0}" ]'
	echo "http://127.0.0.1:$(bound_port)" >"$T/url.tmp" && mv "$T/url.tmp" "$T/url"
}

echo "http://127.0.0.1:1" >"$T/url"
/usr/bin/python3 "$top_srcdir/tests/integration/fault.py" load "$T" "$SEED" &
LOAD=$!
echo "kill $LOAD" >"$T/load.cleanup"

/usr/bin/python3 "$top_srcdir/tests/integration/fault.py" moments "$SEED" "$KILLS" >"$T/moments"
early=0
while read -r when delay; do
	spawn
	if [ "$when" = ready ]; then ready; else early=$((early + 1)); fi
	sleep "$delay"   # the kill moment itself (random), not a wait for a condition
	date +%s%N >>"$T/kills"
	kill -KILL "$DAEMON_PID" 2>/dev/null || fail "the daemon had died on its own"
	wait "$DAEMON_PID" 2>/dev/null || true
	DAEMON_PID=
done <"$T/moments"
note "$KILLS kills ($early before the daemon was ready) in $(( $(date +%s) - START ))s"

# The last daemon drains what the killed ones left: leases expire, rows in
# sending are claimed again, the sources are acknowledged.
touch "$T/stop"
wait_for 120 "the load stopped" '! kill -0 $LOAD'
rm -f "$T/load.cleanup"
spawn
ready
wait_for 120 "the Maildir drained" '[ "$(find "$T/maildir/new" "$T/maildir/cur" -type f | wc -l)" = 0 ]'
wait_for 120 "the IMAP INBOX drained" '[ "$(imap_py "print(len(uids(\"INBOX\")))")" = 0 ]'
wait_sql 120 "SELECT count(*) FROM inbound WHERE state = 'pending'" 0
wait_sql 120 "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')" 0
daemon_stop
assert_eq "$DAEMON_RC" "0" "the last daemon stops cleanly"

/usr/bin/python3 "$top_srcdir/tests/integration/fault.py" tally "$T" || fail "the tally found problems (seed $SEED)"
note "time taken: $(( $(date +%s) - START ))s"
echo "ok"
