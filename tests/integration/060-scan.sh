#!/bin/sh
# Attachment scanning end to end: EICAR as a plain attachment, in a zip, in
# base64 with odd line lengths, as an inline part and inside a forwarded
# message is quarantined (never stored with the ticket) while the message
# still becomes a ticket; clean files pass; size and type limits hold back
# with their reason; the signature database replaced while the daemon runs
# is picked up; ticketctl attachment get serves clean content and
# quarantined content only with --quarantined.
. "$(dirname "$0")/common.sh"
pg_start
MD=$T/maildir
make_sigdb "$T/clamav"
write_config <<YAML
mailboxes:
  - { name: support, type: maildir, path: $MD, poll_interval: 200ms }
scan:
  signatures: $T/clamav
  max_attachment_size: 100k
  blocked_types: [application/x-executable, application/x-sharedlib, application/x-pie-executable]
  reload_check_interval: 500ms
  notify_channel: smtp
  notify_recipient: security@example.com
smtp:
  # Nothing listens here: the admin notices stay queued in the outbox, which is what is checked.
  url: smtp://127.0.0.1:9
  from: ticketd@example.com
YAML
daemon_start

MK="/usr/bin/python3 $top_srcdir/tests/integration/mkmail.py"
for k in eicar-plain eicar-zip eicar-oddb64 eicar-inline eicar-forwarded clean-pdf big elf-as-txt; do
	$MK "$k" "$MD/tmp/$k" || fail "mkmail $k"
	mv "$MD/tmp/$k" "$MD/new/$k"
done
wait_sql 20 "SELECT count(*) FROM inbound WHERE state = 'done'" 8
assert_eq "$(psql_q "SELECT count(*) FROM tickets")" "8" "every message became a ticket"

status_of() { # subject -> scan_status:stored:detail-prefix of its (first) attachment
	psql_q "SELECT a.scan_status || ':' || a.stored || ':' || left(coalesce(a.scan_detail, ''), 20)
		FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.subject = '$1'
		ORDER BY a.id LIMIT 1"
}
for s in "eicar plain" "eicar in a zip" "odd base64" "eicar inline" "Fwd: eicar forwarded"; do
	st=$(status_of "$s")
	case "$st" in infected:false:Eicar-Test-Signature*) ;; *) fail "$s: attachment $st" ;; esac
done
assert_eq "$(status_of "clean pdf")" "clean:true:" "clean file stored"
case "$(status_of "too big")" in blocked:false:*) ;; *) fail "oversize: $(status_of "too big")" ;; esac
case "$(status_of "binary named txt")" in blocked:false:*) ;; *) fail "ELF as .txt: $(status_of "binary named txt")" ;; esac
assert_contains "$(psql_q "SELECT scan_detail FROM attachments WHERE filename = 'notes.txt'")" \
	"application/x-" "the type judged by content"

# Nothing held back is in the blobs that serve attachments; all of it is in quarantine.
eicar_sha=$(printf '%s' "$EICAR" | sha256sum | cut -d' ' -f1)
assert_eq "$(psql_q "SELECT count(*) FROM blobs WHERE sha256 = '$eicar_sha'")" "0" "EICAR never stored"
assert_eq "$(psql_q "SELECT count(*) FROM quarantine")" \
	"$(psql_q "SELECT count(*) FROM attachments WHERE NOT stored")" "every held-back body quarantined"
assert_eq "$(psql_q "SELECT count(*) FROM ticket_events WHERE action = 'attachment_held'")" \
	"$(psql_q "SELECT count(*) FROM attachments WHERE NOT stored")" "audit event per held-back file"

# The admin is told about each one, through the outbox.
assert_eq "$(psql_q "SELECT count(*) FROM outbox WHERE recipient = 'security@example.com'
	AND idempotency_key LIKE 'attachment-held:%'")" \
	"$(psql_q "SELECT count(*) FROM attachments WHERE NOT stored")" "admin notice per held-back file"
assert_contains "$(psql_q "SELECT convert_from(payload, 'UTF8') FROM outbox o JOIN attachments a
	ON o.idempotency_key = 'attachment-held:' || a.id WHERE a.filename = 'eicar.com'")" "Eicar-Test-Signature"

# The ticket shows a placeholder naming what was held back and why.
num=$(psql_q "SELECT number FROM tickets WHERE subject = 'eicar plain'")
"$TICKETCTL" -c "$T/ticketd.yaml" show "$num" >"$T/show.txt"
assert_contains "$(cat "$T/show.txt")" "eicar.com held back: infected: Eicar-Test-Signature"

# ticketctl attachment get
clean_id=$(psql_q "SELECT id FROM attachments WHERE filename = 'report.pdf'")
"$TICKETCTL" -c "$T/ticketd.yaml" attachment get "$clean_id" -o "$T/report.pdf" || fail "get clean"
head -c 8 "$T/report.pdf" | grep -q '%PDF-1.4' || fail "clean content differs"
bad_id=$(psql_q "SELECT a.id FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.subject = 'eicar plain'")
expect_rc 1 "$TICKETCTL" -c "$T/ticketd.yaml" attachment get "$bad_id"
assert_contains "$OUT" "use --quarantined"
"$TICKETCTL" -c "$T/ticketd.yaml" attachment get --quarantined "$bad_id" >"$T/eicar.out"
assert_eq "$(sha256sum <"$T/eicar.out" | cut -d' ' -f1)" "$eicar_sha" "quarantined bytes intact"

# The signature database replaced under the running daemon: a new signature counts.
printf 'harmless until today\n' >"$T/newbad.bin"
sig=$(md5sum <"$T/newbad.bin" | cut -d' ' -f1)
size=$(wc -c <"$T/newbad.bin" | tr -d ' ')
printf '%s:%s:Ticketd-Test-New\n' "$sig" "$size" >"$T/clamav/new.hdb.tmp"
mv "$T/clamav/new.hdb.tmp" "$T/clamav/new.hdb"
sleep 1
# The next scan notices the change and compiles the new engine in the
# background (scans meanwhile use the old one); wait for the swap.
$MK clean-pdf "$MD/tmp/trigger"
mv "$MD/tmp/trigger" "$MD/new/trigger"
wait_for 20 "new engine" 'grep -q "engine loaded .*signatures=2 generation=2" "$DAEMON_LOG"'
$MK file "$MD/tmp/after" "newbad.bin=$T/newbad.bin"
mv "$MD/tmp/after" "$MD/new/after"
wait_sql 20 "SELECT count(*) FROM inbound WHERE state = 'done'" 10
assert_contains "$(psql_q "SELECT scan_status || ' ' || scan_detail FROM attachments WHERE filename = 'newbad.bin'")" \
	"infected Ticketd-Test-New" "new signature picked up without a restart"
daemon_stop
assert_eq "$DAEMON_RC" "0"

# Scanning on with a missing signature directory: a clear start-up error naming it.
sed -i "s|signatures: $T/clamav|signatures: $T/no-such-dir|" "$T/ticketd.yaml"
set +e
"$TICKETD" -c "$T/ticketd.yaml" >"$T/start.log" 2>&1
rc=$?
set -e
assert_eq "$rc" "1" "refuses to start"
assert_contains "$(cat "$T/start.log")" "$T/no-such-dir"
echo "ok"
