#!/bin/sh
# The systemd unit: valid (systemd-analyze verify), hardened (the security
# review flags only the relaxations listed below, each with its reason),
# consistent with the tmpfiles and sysusers files, and tolerated by the
# daemon: ticketd under strace through a start, -t, mail from a Maildir
# with a scanned attachment, an acknowledgement over SMTP, a /metrics
# scrape, a reload and a stop makes no system call that the unit's
# SystemCallFilter= refuses and opens nothing in /proc that ProcSubset=pid
# hides.
. "$(dirname "$0")/common.sh"
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing: skipped"; exit 77; }
UNIT=$T/ticketd.service
sed -e "s|@sbindir[@]|$top_builddir/src|g" -e "s|@sysconfdir[@]|$T/etc|g" \
	"$top_srcdir/systemd/ticketd.service.in" >"$UNIT"
systemd-analyze verify --man=no "$UNIT" >"$T/verify.out" 2>&1 ||
	fail "systemd-analyze verify: $(cat "$T/verify.out")"

# What the review may still flag, and why it stays.
accepted="RootDirectory=/RootImage=
MemoryDenyWriteExecute=
RestrictAddressFamilies=~AF_UNIX
RestrictAddressFamilies=~AF_(INET|INET6)
PrivateNetwork=
PrivateUsers=
DeviceAllow=
IPAddressDeny="
# RootDirectory: no image of its own. MemoryDenyWriteExecute: PCRE2's JIT.
# AF_UNIX/INET: PostgreSQL, IMAP, SMTP, webhooks. PrivateNetwork,
# IPAddressDeny: it talks to servers only the admin knows. PrivateUsers:
# Maildir folders and secrets owned by other users. DeviceAllow: the
# char-rtc:r that ProtectClock=yes itself adds.
systemd-analyze security --offline=yes --json=short "$UNIT" >"$T/security.json" 2>"$T/security.err" ||
	fail "systemd-analyze security: $(cat "$T/security.err")"
flagged=$(json_get "$T/security.json" '"\n".join(x["name"] for x in d if not x["set"] and x["exposure"])')
extra=$(printf '%s\n' "$flagged" | grep -vxF "$accepted" || true)
[ -z "$extra" ] || fail "systemd-analyze security flags settings the unit could set: $extra"
for s in ProtectProc= ProcSubset= PrivateMounts= RemoveIPC= SystemCallFilter=~@privileged \
	SystemCallFilter=~@resources; do
	assert_eq "$(json_get "$T/security.json" "[x['set'] for x in d if x['name'] == '$s']")" "[true]" "$s"
done
systemd-analyze security --offline=yes --threshold=13 "$UNIT" >/dev/null 2>&1 ||
	fail "overall exposure above 1.3: $(systemd-analyze security --offline=yes "$UNIT" 2>&1 | tail -n 1)"

# The unit, tmpfiles and sysusers agree on the user and the state directory.
grep -qx 'StateDirectoryMode=0750' "$UNIT" || fail "StateDirectoryMode=0750"
grep -q '^d /var/lib/ticketd 0750 ticketd ticketd' "$top_srcdir/systemd/ticketd.tmpfiles" ||
	fail "tmpfiles: /var/lib/ticketd 0750 ticketd"
grep -q '^u ticketd ' "$top_srcdir/systemd/ticketd.sysusers" || fail "sysusers: user ticketd"
grep -qx 'User=ticketd' "$UNIT" || fail "User=ticketd"
grep -q '^After=.* clamav-freshclam.service' "$UNIT" || fail "ordered after clamav-freshclam.service"
grep -q '^Wants=.*clamav\|^Requires=.*clamav' "$UNIT" && fail "freshclam is ordered, never pulled in"

# The daemon under the filter's eyes.
command -v strace >/dev/null || { echo "strace missing: the system call check is skipped"; exit 77; }
. "$(dirname "$0")/convo.sh"
pg_start
MD=$T/maildir
sinks_bind
printf 'a-test-secret-of-32-bytes-length\n' >"$T/reply-secret"
write_config <<YAML
mailboxes:
  - { name: drop, type: maildir, path: $MD, poll_interval: 200ms }
smtp: { url: "smtp://127.0.0.1:$SMTP_PORT", from: support@example.com, tls: none, timeout: 4s }
outbox: { backoff: 200ms, poll_interval: 100ms }
conversation:
  address: support@example.com
  secret_file: $T/reply-secret
  templates: $top_srcdir/contrib/templates
http:
  listen: 127.0.0.1:0
YAML
export TICKETD_CONFIG=$T/ticketd.yaml
"$TICKETCTL" migrate >/dev/null
smtp_start
# LeakSanitizer cannot run under ptrace; nothing else changes.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
strace -f -qq -o "$T/trace-t" "$TICKETD" -t -c "$T/ticketd.yaml" >/dev/null ||
	fail "ticketd -t under strace"
strace -f -qq -o "$T/trace" "$TICKETD" -c "$T/ticketd.yaml" >>"$DAEMON_LOG" 2>&1 &
STRACE_PID=$!
echo "kill -KILL $STRACE_PID" >"$T/strace.cleanup"
wait_for 120 "daemon ready under strace" 'grep -q "ticketd: ready" "$DAEMON_LOG"'
DAEMON_PID=$(pgrep -P "$STRACE_PID" | head -n 1)
[ -n "$DAEMON_PID" ] || fail "no daemon under strace"
PORT=$(bound_port)
/usr/bin/python3 "$top_srcdir/tests/integration/mkmail.py" eicar-zip "$MD/tmp/m1" || fail "mkmail"
mv "$MD/tmp/m1" "$MD/new/m1"
wait_sql 60 "SELECT count(*) FROM inbound WHERE state = 'done'" 1
wait_sent 60 1
curl -sS --max-time 30 -o "$T/metrics" "http://127.0.0.1:$PORT/metrics" || fail "GET /metrics"
assert_contains "$(cat "$T/metrics")" "ticketd_processing_seconds_count 1"
kill -HUP "$DAEMON_PID"
wait_for 60 "reload" 'grep -q "configuration reloaded" "$DAEMON_LOG"'
kill -TERM "$DAEMON_PID"
DAEMON_PID=
wait "$STRACE_PID" || fail "the daemon under strace exited $?"
rm -f "$T/strace.cleanup"
python3 "$top_srcdir/tests/integration/syscalls.py" "$UNIT" "$T/trace-t" "$T/trace" >"$T/refused" ||
	fail "the unit would break the daemon: $(cat "$T/refused")"
echo "ok"
