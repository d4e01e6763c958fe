#!/bin/sh
# Bounds on one message's work. A message of 50,000 MIME parts makes a
# ticket with the first 1,000 parts (workers.max_parts) and a placeholder in
# its text that says how many were left out, in well under the time the
# whole would take. An item that goes over its time budget
# (workers.item_budget) is set aside as failed (kind limit, one attempt,
# its reason) while the rest of its batch commits.
. "$(dirname "$0")/common.sh"
pg_start
write_config <<YAML
mailboxes:
  - name: pipe
    type: pipe
YAML
export TICKETD_CONFIG=$T/ticketd.yaml
"$TICKETCTL" migrate >/dev/null
manyparts() { # SUBJECT PARTS
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sys
subject, n = sys.argv[1], int(sys.argv[2])
out = ["From: parts@customer.example\nSubject: %s\nMessage-ID: <%s@t>\nMIME-Version: 1.0\n"
       "Content-Type: multipart/mixed; boundary=p\n\n--p\nContent-Type: text/plain\n\nHello.\n"
       % (subject, subject.replace(" ", "-"))]
for i in range(1, n):
    out.append("--p\nContent-Type: image/gif\nContent-Disposition: attachment; filename=i%d.gif\n\nGIF89a\n" % i)
out.append("--p--\n")
sys.stdout.write("".join(out))
PY
}
small() { printf 'From: small@customer.example\nSubject: %s\nMessage-ID: <%s@t>\n\nHi.\n' "$1" "$1"; }

manyparts "fifty thousand parts" 50000 | "$TICKETCTL" ingest --mailbox pipe - || fail "ingest"
small small-a | "$TICKETCTL" ingest --mailbox pipe - || fail "ingest"
daemon_start
wait_sql 120 "SELECT count(*) FROM inbound WHERE state = 'done'" 2
assert_eq "$(psql_q "SELECT count(*) FROM attachments a JOIN messages m ON m.id = a.message_id
	JOIN tickets t ON t.id = m.ticket_id WHERE t.subject = 'fifty thousand parts'")" "999" "the first 1,000 parts"
assert_contains "$(psql_q "SELECT body_text FROM messages WHERE subject = 'fifty thousand parts'")" \
	"[49000 MIME parts were left out: at most 1000 parts of a message are read]"
grep -q "49000 MIME parts left out (workers.max_parts 1000" "$DAEMON_LOG" || fail "not logged"
daemon_stop

# A budget of two seconds, far above a small mail's milliseconds even on a
# loaded machine; the item with attachments is held past it at its first
# attachment's insert by a transaction that locks the attachments table, so
# the check before its second attachment finds the budget used up.
sed -i 's/^workers:$/workers:\n  item_budget: 2s/' "$T/ticketd.yaml"
small small-b | "$TICKETCTL" ingest --mailbox pipe - || fail "ingest"
manyparts "over budget" 4 | "$TICKETCTL" ingest --mailbox pipe - || fail "ingest"
small small-c | "$TICKETCTL" ingest --mailbox pipe - || fail "ingest"
"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$TICKETD_DSN" -c "BEGIN" \
	-c "LOCK TABLE attachments IN SHARE MODE" -c "SELECT pg_sleep(300)" >"$T/holder.out" 2>&1 &
HOLDER=$!
echo "kill $HOLDER" >"$T/holder.cleanup"
wait_sql 20 "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(300)%' AND pid <> pg_backend_pid()" 1
daemon_start
wait_for 120 "the item waits on the attachments table for longer than its budget" \
	'[ "$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = '"'Lock'"' AND query LIKE '"'%INSERT INTO attachments%'"' AND now() - query_start > interval '"'2.5 s'"'")" -ge 1 ]'
psql_q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(300)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$HOLDER" 2>/dev/null || true
rm -f "$T/holder.cleanup"
wait_sql 60 "SELECT count(*) FROM inbound WHERE state <> 'pending'" 5
assert_eq "$(psql_q "SELECT state || '|' || attempts || '|' || error_kind FROM inbound WHERE id = 4")" "failed|1|limit" \
	"set aside: $(psql_q "SELECT state || ' ' || coalesce(last_error, '') FROM inbound WHERE id = 4")"
assert_contains "$(psql_q "SELECT last_error FROM inbound WHERE id = 4")" "over its budget of 2000 ms (workers.item_budget) at attachment 2 of 3"
assert_eq "$(psql_q "SELECT string_agg(state, ',' ORDER BY id) FROM inbound WHERE id IN (3, 5)")" "done,done" "the rest of the batch"
assert_eq "$(psql_q "SELECT count(*) FROM tickets WHERE subject = 'over budget'")" "0" "nothing of it kept"
daemon_stop
echo "ok"
