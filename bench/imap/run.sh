#!/bin/sh
# run.sh: IMAP intake throughput against a private Dovecot on loopback.
# Usage (from a configured, built tree, as root like the integration tests):
#   bench/imap/run.sh [N] [after]     N messages (default 2000), after = move|seen
# Generates N messages with ../shared/bench/gen_corpus.py (10% with
# attachments, 30% replies), APPENDs them to INBOX, then starts ticketd and
# reports messages/s staged by the IMAP thread, messages/s end to end
# (inbound rows processed into tickets/messages), and the daemon's peak RSS.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-2000}
AFTER=${2:-move}
top_srcdir=$top; top_builddir=${top_builddir:-$top}; export top_srcdir top_builddir
. "$top/tests/integration/common.sh"
. "$top/tests/integration/dovecot.sh"
GEN=${GEN_CORPUS:-$top/../shared/bench/gen_corpus.py}
[ -f "$GEN" ] || GEN=$top/../../shared/bench/gen_corpus.py # from a worktree
[ -f "$GEN" ] || fail "gen_corpus.py not found at $GEN (set GEN_CORPUS)"
pg_start
dovecot_start
/usr/bin/python3 "$GEN" "$N" 42 "$T/corpus" >/dev/null
note "appending $N messages"
/usr/bin/python3 - "$DOVE_PORT" "$DOVE_USER" "$DOVE_PASS" "$T/corpus" <<'PY'
import imaplib, os, sys
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1])); M.login(sys.argv[2], sys.argv[3])
for sub in ("new", "reply"):
    d = os.path.join(sys.argv[4], sub)
    for f in sorted(os.listdir(d)):
        M.append("INBOX", "", None, open(os.path.join(d, f), "rb").read())
M.logout()
PY
printf '%s\n' "$DOVE_PASS" >"$T/imap.pw"
write_config <<YAML
mailboxes:
  - name: bench
    type: imap
    host: 127.0.0.1
    port: $DOVE_PORT
    tls: none
    user: $DOVE_USER
    password_file: $T/imap.pw
    after: $AFTER
YAML
sed -i 's/level: debug/level: info/' "$T/ticketd.yaml"
t0=$(date +%s%N)
daemon_start
wait_for 600 "all staged" '[ "$(psql_q "SELECT last_uid FROM mailbox_state WHERE mailbox = '"'bench'"'")" = "$N" ]'
t1=$(date +%s%N)
wait_sql 600 "SELECT count(*) FROM inbound WHERE state <> 'pending'" "$N"
t2=$(date +%s%N)
rss=$(awk '/VmHWM/ {print $2}' "/proc/$DAEMON_PID/status")
daemon_stop
staged_ms=$(( (t1 - t0) / 1000000 )); e2e_ms=$(( (t2 - t0) / 1000000 ))
echo "messages:            $N (after: $AFTER)"
echo "staged by IMAP:      ${staged_ms} ms = $(( N * 1000 / staged_ms )) msg/s"
echo "end to end (done):   ${e2e_ms} ms = $(( N * 1000 / e2e_ms )) msg/s"
echo "tickets / messages:  $(psql_q "SELECT count(*) FROM tickets") / $(psql_q "SELECT count(*) FROM messages")"
echo "failed inbound:      $(psql_q "SELECT count(*) FROM inbound WHERE state = 'failed'")"
echo "daemon peak RSS:     ${rss} kB"
