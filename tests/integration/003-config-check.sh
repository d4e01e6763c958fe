#!/bin/sh
# ticketd -t: a good config exits 0; a bad one prints every error as
# FILE:LINE:COL: message and exits 1.
. "$(dirname "$0")/common.sh"

cat >"$T/good.yaml" <<'YAML'
database:
  dsn: "dbname=ticketd"
mailboxes:
  - name: support
    type: maildir
    path: /tmp/nowhere
YAML
expect_rc 0 "$TICKETD" -t -c "$T/good.yaml"
assert_contains "$OUT" "configuration OK"

cat >"$T/bad.yaml" <<'YAML'
database:
  dsn: "dbname=ticketd"
workers:
  count: lots
log: { level: chatty }
mailboxes:
  - name: support
    type: maildir
    priority: urgent
  - name: other
    typo: x
YAML
expect_rc 1 "$TICKETD" -t -c "$T/bad.yaml"
assert_contains "$OUT" "$T/bad.yaml:4:10: expected a whole number, found \"lots\""
assert_contains "$OUT" "$T/bad.yaml:5:15: log level must be error, warn, info or debug"
assert_contains "$OUT" "$T/bad.yaml:9:15: priority must be low, medium, high or critical"
assert_contains "$OUT" "$T/bad.yaml:7:5: maildir mailbox \"support\" needs a path"
assert_contains "$OUT" "$T/bad.yaml:11:5: unknown field \"typo\" in mailbox"
assert_eq "$(printf '%s\n' "$OUT" | grep -c "^$T/bad.yaml:")" "6" "every error reported once"

printf 'database: [unclosed\n' >"$T/syntax.yaml"
expect_rc 1 "$TICKETD" -t -c "$T/syntax.yaml"
assert_contains "$OUT" "$T/syntax.yaml:2:1: YAML syntax error"

expect_rc 1 "$TICKETD" -t -c "$T/missing.yaml"
assert_contains "$OUT" "missing.yaml: cannot read"
expect_rc 1 "$TICKETD" -x

# The annotated example in contrib/ stays a valid configuration (with the
# shipped rules in place of /etc/ticketd/rules).
sed "s|dir: /etc/ticketd/rules|dir: $top_srcdir/rules|" "$top_srcdir/contrib/ticketd.yaml" >"$T/example.yaml"
expect_rc 0 "$TICKETD" -t -c "$T/example.yaml"
echo "ok"
