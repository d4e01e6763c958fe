#!/bin/sh
# TLS and certificate verification of the IMAP intake against Dovecot with
# a certificate from a private CA (for DNS name localhost only):
#   - implicit TLS, CA not trusted: refused, with the reason in the log and
#     in mailbox_state.last_error; nothing fetched
#   - tls_verify: false: works, with a warning
#   - CA trusted (SSL_CERT_FILE): implicit TLS (with IDLE) and STARTTLS work
#   - CA trusted but host 127.0.0.1 (not in the certificate): refused
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/dovecot.sh"
command -v openssl >/dev/null || { echo "# no openssl CLI: skipped"; exit 77; }
pg_start
PKI=$T/pki; mkdir -p "$PKI"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ticketd test CA" \
	-keyout "$PKI/ca.key" -out "$PKI/ca.pem" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$PKI/srv.key" -out "$PKI/srv.csr" >/dev/null 2>&1
printf 'subjectAltName=DNS:localhost\n' >"$PKI/ext"
openssl x509 -req -in "$PKI/srv.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -CAcreateserial -days 2 \
	-extfile "$PKI/ext" -out "$PKI/srv.pem" >/dev/null 2>&1 || fail "cannot make the test certificate"
chmod 644 "$PKI"/*.pem "$PKI"/*.key
dovecot_start "ssl = yes
ssl_cert = <$PKI/srv.pem
ssl_key = <$PKI/srv.key
service imap-login {
  inet_listener imaps {
    address = 127.0.0.1
    port = @TLS_PORT@
  }
}"
IMAPS_PORT=$DOVE_TLS_PORT
printf '%s\n' "$DOVE_PASS" >"$T/imap.pw"
box() { # NAME HOST PORT TLS VERIFY
	cat <<YAML
  - name: $1
    type: imap
    host: $2
    port: $3
    tls: $4
    tls_verify: $5
    user: $DOVE_USER
    password_file: $T/imap.pw
    folder: $1
    after: seen
YAML
}
for f in untrusted noverify trusted starttls wrongname; do
	imap_py "ensure('$f'); append('$f', msg('$f', subject='tls $f'))"
done

# Daemon 1: the system trust store only.
{ echo "mailboxes:"; box untrusted localhost $IMAPS_PORT tls true; box noverify localhost $IMAPS_PORT tls false; } | write_config
daemon_start
wait_sql 10 "SELECT count(*) FROM tickets WHERE subject = 'tls noverify'" 1
wait_for 10 "untrusted refused" 'grep -q "imap: mailbox=untrusted TLS: certificate of localhost not trusted" "$DAEMON_LOG"'
assert_contains "$(cat "$DAEMON_LOG")" "imap: mailbox=noverify tls_verify is off"
assert_contains "$(psql_q "SELECT last_error FROM mailbox_state WHERE mailbox = 'untrusted'")" "not trusted"
assert_eq "$(psql_q "SELECT count(*) FROM inbound WHERE source = 'untrusted'")" "0" "nothing fetched without trust"
daemon_stop

# Daemon 2: the test CA trusted.
DAEMON_LOG=$T/ticketd2.log
{ echo "mailboxes:"; box trusted localhost $IMAPS_PORT tls true; box starttls localhost $DOVE_PORT starttls true
  box wrongname 127.0.0.1 $IMAPS_PORT tls true; } | write_config
SSL_CERT_FILE=$PKI/ca.pem daemon_start
wait_sql 10 "SELECT count(*) FROM tickets WHERE subject IN ('tls trusted', 'tls starttls')" 2
imap_py "append('trusted', msg('idle-tls', subject='tls idle'))"
wait_sql 3 "SELECT count(*) FROM tickets WHERE subject = 'tls idle'" 1 # through IDLE over TLS
wait_for 10 "wrong name refused" 'grep -q "imap: mailbox=wrongname TLS: certificate of 127.0.0.1 not trusted: IP address mismatch" "$DAEMON_LOG"'
assert_eq "$(psql_q "SELECT count(*) FROM inbound WHERE source = 'wrongname'")" "0"
grep -q "$DOVE_PASS" "$T/ticketd.log" "$DAEMON_LOG" && fail "the password appears in a log"
daemon_stop
echo "ok"
