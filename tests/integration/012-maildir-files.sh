#!/bin/sh
# Maildir entries that are not mail: a symbolic link (to a secret file), a
# FIFO, a directory, an empty file and one over the 64 MiB limit are never
# opened through a link nor waited on; each is recorded as a failed item
# (error kind intake, its reason, visible in `ticketctl inbound list`),
# moved out of new/ into .Failed/cur/ and warned about once, and the mail
# around them goes on. A file name that is not UTF-8 is staged too.
. "$(dirname "$0")/common.sh"
pg_start
MD=$T/maildir
write_config <<YAML
mailboxes:
  - name: md
    type: maildir
    path: "$MD"
    poll_interval: 100ms
YAML
export TICKETD_CONFIG=$T/ticketd.yaml
"$TICKETCTL" migrate >/dev/null
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"

mail() { # mail SUBJECT ID
	printf 'From: alice@customer.example\nTo: support@example.com\nSubject: %s\nMessage-ID: <%s@customer.example>\n\nHello.\n' "$1" "$2"
}
printf 'root:TOPSECRET-HASH:19000:0:99999:7:::\n' >"$T/shadow"
ln -s "$T/shadow" "$MD/new/1700000000.link.host"
mkfifo "$MD/new/1700000001.fifo.host"
mkdir "$MD/new/1700000002.dir.host"
: >"$MD/new/1700000003.empty.host"
truncate -s 65M "$MD/new/1700000004.big.host"
mail "before the odd ones" before >"$MD/new/1700000005.good.host"
mail "a name that is not UTF-8" badname >"$MD/new/$(printf '1700000006.bad\377name.host')"

daemon_start
wait_sql 20 "SELECT count(*) FROM inbound WHERE state = 'done'" 2
wait_sql 10 "SELECT count(*) FROM inbound WHERE state = 'failed' AND error_kind = 'intake'" 5
assert_eq "$(psql_q "SELECT string_agg(subject, '|' ORDER BY subject) FROM tickets")" \
	"a name that is not UTF-8|before the odd ones" "the mail around them made tickets"
assert_eq "$(psql_q "SELECT count(*) FROM inbound WHERE position('TOPSECRET' in encode(raw, 'escape')) > 0")" "0" \
	"the link's target was not read"
assert_eq "$(psql_q "SELECT count(*) FROM messages WHERE body_text LIKE '%TOPSECRET%'")" "0"
for what in "link.host is a symbolic link, not a regular file" "fifo.host is a FIFO, not a regular file" \
	"dir.host is a directory, not a regular file" "empty.host is empty" \
	"big.host has 68157440 bytes, over the 64 MiB limit"; do
	assert_eq "$(psql_q "SELECT count(*) FROM inbound WHERE state = 'failed' AND attempts = 0
		AND last_error LIKE '%$what; moved to $MD/.Failed/cur/' AND length(raw) = 0")" "1" "recorded: $what"
done
assert_eq "$(psql_q "SELECT meta->>'file' || ' ' || (meta->>'size') FROM inbound WHERE last_error LIKE '%big.host%'")" \
	"new/1700000004.big.host 68157440"
assert_eq "$(ls -A "$MD/new")" "" "new/ is empty"
[ -L "$MD/.Failed/cur/1700000000.link.host" ] || fail "the link was moved as a link"
[ -p "$MD/.Failed/cur/1700000001.fifo.host" ] || fail "the FIFO was moved"
[ -d "$MD/.Failed/cur/1700000002.dir.host" ] || fail "the directory was moved"
[ "$(stat -c %s "$MD/.Failed/cur/1700000004.big.host")" = 68157440 ] || fail "the large file was moved"
assert_eq "$(cat "$T/shadow")" "root:TOPSECRET-HASH:19000:0:99999:7:::" "the target is untouched"

"$TICKETCTL" inbound list >"$T/list"
assert_eq "$(grep -c 'failed .* intake' "$T/list")" "5" "ticketctl inbound list shows them"
expect_rc 0 "$TICKETCTL" inbound retry --all
assert_contains "$OUT" "requeued: 0"

# A FIFO that appears while the daemon runs does not stop the intake, and
# every refusal was warned about once (not on every scan).
mkfifo "$MD/new/1700000007.fifo2.host"
mail "after the FIFO" after >"$MD/new/1700000008.good.host"
wait_sql 20 "SELECT count(*) FROM tickets WHERE subject = 'after the FIFO'" 1
wait_sql 10 "SELECT count(*) FROM inbound WHERE last_error LIKE '%fifo2.host is a FIFO%'" 1
assert_eq "$(grep -c 'refused .*big.host' "$DAEMON_LOG")" "1" "warned once"
daemon_stop
assert_eq "$DAEMON_RC" "0" "clean exit"
echo "ok"
