#!/bin/sh
# The MTA pipe: ticketctl ingest stages from a file or stdin and exits 0
# only after the commit, 75 when the database is unavailable, 65 for a
# message that can never be accepted (empty, over 64 MiB: the MTA bounces
# it), 75 also when the configuration names no such mailbox or cannot be
# read (the admin's to fix: the MTA keeps the mail), 1 on bad usage;
# identical bytes (an MTA retry) are staged once; the same Message-ID
# through two mailboxes makes one ticket. It says what it did (staged as
# inbound N, duplicate of inbound N); -q says nothing.
. "$(dirname "$0")/common.sh"
pg_start
write_config <<YAML
mailboxes:
  - name: pipe
    type: pipe
    queue: mta
  - name: other
    type: pipe
YAML
export TICKETD_CONFIG=$T/ticketd.yaml
"$TICKETCTL" migrate >/dev/null

cat >"$T/a.eml" <<'MAIL'
From: "Zoë Example" <zoe@customer.example>
To: support@example.com
Subject: =?UTF-8?B?R3LDvMOfZQ==?= from the pipe
Message-ID: <pipe-a@customer.example>

Piped body.
MAIL
expect_rc 0 "$TICKETCTL" ingest --mailbox pipe "$T/a.eml"
assert_eq "$(psql_q "SELECT count(*) FROM inbound WHERE source = 'pipe'")" "1" "staged after exit 0"
first=$(psql_q "SELECT id FROM inbound")
assert_eq "$OUT" "staged as inbound $first" "ingest says what it did"
expect_rc 0 "$TICKETCTL" ingest --mailbox pipe "$T/a.eml"
assert_eq "$(psql_q "SELECT count(*) FROM inbound")" "1" "an MTA retry is staged once"
assert_eq "$OUT" "duplicate of inbound $first" "ingest names the earlier item"
expect_rc 0 "$TICKETCTL" ingest -q --mailbox pipe "$T/a.eml"
assert_eq "$OUT" "" "-q: nothing for the MTA"
# The same mail through another mailbox: other trace headers, same content.
expect_rc 0 sh -c "sed '1i Received: from mx2.example by other' '$T/a.eml' | '$TICKETCTL' ingest --quiet --mailbox other -"
assert_eq "$OUT" "" "--quiet: nothing for the MTA"
assert_eq "$(psql_q "SELECT count(*) FROM inbound")" "2" "stdin staged"

expect_rc 75 "$TICKETCTL" ingest --mailbox nosuch "$T/a.eml"
assert_contains "$OUT" 'no mailbox named "nosuch"'
expect_rc 75 "$TICKETCTL" -c "$T/nosuch.yaml" ingest --mailbox pipe "$T/a.eml"
expect_rc 1 "$TICKETCTL" ingest --mailbox pipe "$T/does-not-exist.eml"
expect_rc 1 "$TICKETCTL" ingest "$T/a.eml"

# Never acceptable: EX_DATAERR (65), so the MTA bounces instead of retrying.
expect_rc 65 sh -c "'$TICKETCTL' ingest --mailbox pipe - </dev/null"
assert_contains "$OUT" "empty message"
head -c $((64 * 1024 * 1024 + 1)) /dev/zero >"$T/big.eml"
expect_rc 65 "$TICKETCTL" ingest --mailbox pipe "$T/big.eml"
assert_contains "$OUT" "larger than 64 MiB"
rm -f "$T/big.eml"
assert_eq "$(psql_q "SELECT count(*) FROM inbound")" "2" "nothing staged for them"

# The database down: EX_TEMPFAIL, nothing staged, the MTA keeps the mail.
pg_down
expect_rc 75 "$TICKETCTL" ingest --mailbox pipe "$T/a.eml"
pg_up

daemon_start
wait_sql 10 "SELECT count(*) FROM inbound WHERE state = 'done'" 2
assert_eq "$(psql_q "SELECT count(*) FROM tickets")" "1" "one ticket for one Message-ID"
assert_eq "$(psql_q "SELECT subject || '|' || queue || '|' || requester FROM tickets")" \
	"Grüße from the pipe|mta|zoe@customer.example"
assert_eq "$(psql_q "SELECT count(*) FROM messages")" "1"
daemon_stop
echo "ok"
