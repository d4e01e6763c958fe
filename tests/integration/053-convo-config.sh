#!/bin/sh
# ticketd -t checks the conversation sections: templates are read and their
# placeholders checked, secrets must be readable (and are never printed),
# conversation needs smtp, the outbox lease must outlast a send.
. "$(dirname "$0")/common.sh"

mkdir -p "$T/tpl"
cp "$top_srcdir"/contrib/templates/* "$T/tpl/"
printf 'a-secret-that-is-long-enough-yes\n' >"$T/secret"
base() {
	cat <<YAML
database:
  dsn: "dbname=ticketd"
smtp:
  url: smtp://127.0.0.1:2525
  from: support@example.com
conversation:
  address: support@example.com
  secret_file: $T/secret
  templates: $T/tpl
scan:
  enabled: false
YAML
}
base >"$T/good.yaml"
expect_rc 0 "$TICKETD" -t -c "$T/good.yaml"
assert_contains "$OUT" "configuration OK"

# A template with an unknown placeholder, one with no Subject, one missing.
printf 'Subject: x\n\n{{password}}\n' >"$T/tpl/ack.txt"
printf 'no subject line\n' >"$T/tpl/closed.txt"
rm "$T/tpl/agent.txt"
printf '<p>{{nope}}</p>\n' >"$T/tpl/reply.html"
expect_rc 1 "$TICKETD" -t -c "$T/good.yaml"
assert_contains "$OUT" "$T/tpl/ack.txt: line 3: unknown placeholder {{password}}"
assert_contains "$OUT" "$T/tpl/closed.txt: line 1: a template starts with a \"Subject:\" line"
assert_contains "$OUT" "template $T/tpl/agent.txt: No such file or directory"
assert_contains "$OUT" "$T/tpl/reply.html: line 1: unknown placeholder {{nope}}"
cp "$top_srcdir"/contrib/templates/* "$T/tpl/"

# Secrets: too short, unreadable; conversation without smtp; address with '+'.
printf 'short\n' >"$T/secret"
expect_rc 1 "$TICKETD" -t -c "$T/good.yaml"
assert_contains "$OUT" "reply token secret must be at least 16 bytes"
case "$OUT" in *short*) fail "the secret was printed: $OUT";; esac
rm "$T/secret"
expect_rc 1 "$TICKETD" -t -c "$T/good.yaml"
assert_contains "$OUT" "cannot read secret file $T/secret"
printf 'a-secret-that-is-long-enough-yes\n' >"$T/secret"
base | sed '/^smtp:/,/^  from:/d; s/address: support@/address: support+x@/' >"$T/bad.yaml"
expect_rc 1 "$TICKETD" -t -c "$T/bad.yaml"
assert_contains "$OUT" "conversation: needs an smtp: section"
assert_contains "$OUT" "bad.yaml:4:12: conversation: address must be LOCAL@DOMAIN without a '+'"

# The lease must be at least twice the longest send timeout.
{ base; printf 'outbox:\n  lease: 30s\n'; } >"$T/lease.yaml"
expect_rc 1 "$TICKETD" -t -c "$T/lease.yaml"
assert_contains "$OUT" "outbox.lease (30000 ms) must be at least twice the longest send timeout (75000 ms)"
echo "ok"
