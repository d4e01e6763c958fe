#!/bin/sh
# ticketd -t: a good config exits 0; a bad one prints every error as
# FILE:LINE:COL: message and exits 1. -t refuses what a start refuses
# beyond the config: signatures, TLS files, the Slack signing secret.
. "$(dirname "$0")/common.sh"

make_sigdb "$T/clamav"
cat >"$T/good.yaml" <<YAML
database:
  dsn: "dbname=ticketd"
mailboxes:
  - name: support
    type: maildir
    path: /tmp/nowhere
scan:
  signatures: $T/clamav
YAML
expect_rc 0 "$TICKETD" -t -c "$T/good.yaml"
assert_contains "$OUT" "configuration OK"

# The ClamAV signature directory: a start refuses a missing or empty one,
# or one without a signature (freshclam never ran), and so does -t.
mkdir -p "$T/nosigs" "$T/junk"
echo "not a signature database" >"$T/junk/README"
for d in nosigs junk missing; do
	sed "s|signatures: .*|signatures: $T/$d|" "$T/good.yaml" >"$T/sig-$d.yaml"
	expect_rc 1 "$TICKETD" -t -c "$T/sig-$d.yaml"
	assert_contains "$OUT" "$T/sig-$d.yaml: scan: signature directory $T/$d"
	expect_rc 1 "$TICKETD" -c "$T/sig-$d.yaml"     # the start refuses it too
	assert_contains "$OUT" "scan: "; assert_contains "$OUT" "$T/$d"
done
sed "s|signatures: .*|enabled: false|" "$T/good.yaml" >"$T/noscan.yaml"
expect_rc 0 "$TICKETD" -t -c "$T/noscan.yaml"

# Files the webhook server reads at start.
echo https://hooks.slack.invalid/x >"$T/slack.url"
cat "$T/good.yaml" - >"$T/tls.yaml" <<YAML
http:
  listen: 127.0.0.1:0
  tls: { cert: $T/none.crt, key: $T/none.key }
slack:
  webhook_url_file: $T/slack.url
  signing_secret_file: $T/none.secret
YAML
expect_rc 1 "$TICKETD" -t -c "$T/tls.yaml"
assert_contains "$OUT" "$T/tls.yaml: http: cannot read tls.cert $T/none.crt"
assert_contains "$OUT" "$T/tls.yaml: http: cannot read tls.key $T/none.key"
assert_contains "$OUT" "$T/tls.yaml: slack signing secret: cannot read secret file $T/none.secret"

cat >"$T/bad.yaml" <<'YAML'
database:
  dsn: "dbname=ticketd"
workers:
  count: lots
log: { level: chatty }
mailboxes:
  - name: support
    type: maildir
    priority: pressing
  - name: other
    typo: x
YAML
expect_rc 1 "$TICKETD" -t -c "$T/bad.yaml"
assert_contains "$OUT" "$T/bad.yaml:4:10: expected a whole number, found \"lots\""
assert_contains "$OUT" "$T/bad.yaml:5:15: log level must be error, warn, info or debug"
assert_contains "$OUT" "$T/bad.yaml:9:15: priority must be one of low, medium (or normal), high, critical (or urgent)"
assert_contains "$OUT" "$T/bad.yaml:7:5: maildir mailbox \"support\" needs a path"
assert_contains "$OUT" "$T/bad.yaml:11:5: unknown field \"typo\" in mailbox"
assert_eq "$(printf '%s\n' "$OUT" | grep -c "^$T/bad.yaml:")" "6" "every error reported once"

printf 'database: [unclosed\n' >"$T/syntax.yaml"
expect_rc 1 "$TICKETD" -t -c "$T/syntax.yaml"
assert_contains "$OUT" "$T/syntax.yaml:2:1: YAML syntax error"

expect_rc 1 "$TICKETD" -t -c "$T/missing.yaml"
assert_contains "$OUT" "missing.yaml: cannot read"
expect_rc 1 "$TICKETD" -x

# The annotated example in contrib/ stays a valid configuration: with the
# shipped rules and templates, a test signature database, and its secret
# files (under /etc/ticketd) made here. And it names every key there is.
mkdir -p "$T/etc"
sed -e "s|dir: /etc/ticketd/rules|dir: $top_srcdir/rules|" \
	-e "s|/etc/ticketd/|$T/etc/|g" \
	-e "s|/usr/share/ticketd/templates|$top_srcdir/contrib/templates|" \
	-e "s|signatures: /var/lib/clamav|signatures: $T/clamav|" \
	"$top_srcdir/contrib/ticketd.yaml" >"$T/example.yaml"
for f in $(grep -o "$T/etc/[A-Za-z0-9._-]*" "$T/example.yaml" | sort -u); do
	printf 'a-secret-of-more-than-32-bytes-for-the-test\n' >"$f"
done
[ "$(ls "$T/etc" | wc -l)" -ge 5 ] || fail "the example names its secret files under /etc/ticketd"
expect_rc 0 "$TICKETD" -t -c "$T/example.yaml"
assert_contains "$OUT" "configuration OK"
expect_rc 0 /usr/bin/python3 "$top_srcdir/tests/integration/config_keys.py" \
	"$top_srcdir/contrib/ticketd.yaml" "$top_srcdir/src/core/config.c" \
	"$top_srcdir/src/intake/http_config.c" "$top_srcdir/src/sla/sla_config.c"
echo "ok"
