#!/bin/sh
# HTTPS through libmicrohttpd's GnuTLS support: a self-signed certificate,
# a bearer-authenticated PagerDuty-style post over TLS, and a plain-HTTP
# request to the TLS port that is not served.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/hooks_common.sh"
command -v openssl >/dev/null || { echo "openssl missing: skipped"; exit 77; }
pg_start
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || fail "openssl req"
write_config <<YAML
http:
  listen: 127.0.0.1:$HTTP_PORT
  tls: { cert: $T/cert.pem, key: $T/key.pem }
  sources:
    - name: pd
      type: pagerduty
      routing_key: e93facc04764012d7bfb002500d5d1a6
YAML
URL_SCHEME=https
daemon_start
grep -q "listening on 127.0.0.1:$HTTP_PORT (TLS)" "$DAEMON_LOG" || fail "no TLS listener logged"
post /v2/enqueue "$PAYLOADS/pagerduty-v2-trigger.json" --cacert "$T/cert.pem"
expect_code 202 "trigger over TLS"
assert_eq "$(json_get "$T/resp" "d['dedup_key']")" "srv01/mysql"
c=$(curl_code /dev/null --max-time 5 "http://127.0.0.1:$HTTP_PORT/healthz")
[ "$c" != 200 ] || fail "plain HTTP served on the TLS port"
drain
assert_eq "$(count tickets)" "1"
# A second daemon cannot take the same address: it says so and exits.
sed "s/127.0.0.1:0\$/127.0.0.1:$HTTP_PORT/" "$T/ticketd.yaml" >"$T/busy.yaml"
grep -q "listen: 127.0.0.1:$HTTP_PORT" "$T/busy.yaml" || fail "busy.yaml: the bound port"
"$TICKETD" -c "$T/busy.yaml" >"$T/busy.log" 2>&1 && fail "two daemons on one address"
grep -q "cannot listen on 127.0.0.1:$HTTP_PORT" "$T/busy.log" || fail "no clear error: $(cat "$T/busy.log")"
daemon_stop
assert_eq "$DAEMON_RC" "0"

# Unreadable key: the daemon refuses to start and says why.
write_config <<YAML
http:
  listen: 127.0.0.1:$HTTP_PORT
  tls: { cert: $T/cert.pem, key: $T/nokey.pem }
YAML
"$TICKETD" -c "$T/ticketd.yaml" >"$T/bad.log" 2>&1 && fail "started without its TLS key"
grep -q "cannot read tls.key $T/nokey.pem" "$T/bad.log" || fail "no clear error: $(cat "$T/bad.log")"
echo "ok"
