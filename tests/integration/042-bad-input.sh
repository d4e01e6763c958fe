#!/bin/sh
# Every bad request gets its status and a JSON body naming the problem, and
# leaves nothing behind: truncated JSON, wrong types, missing fields, huge
# bodies (with and without Content-Length), wrong content type, missing or
# wrong bearer token, bad / missing / replayed HMAC signatures, unknown
# routing keys, deep nesting, conflicting Content-Length headers. Only the
# valid requests are staged.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/hooks_common.sh"
pg_start
printf 'hmac-key\n' >"$T/hmac.key"
write_config <<YAML
http:
  listen: 127.0.0.1:$HTTP_PORT
  body_limit: 64k
  sources:
    - name: am
      type: alertmanager
      auth: { type: bearer, secret_env: TEST_AM_TOKEN }
    - name: signed
      type: generic
      auth: { type: hmac, secret_file: $T/hmac.key, header: X-Signature, timestamp_header: X-Timestamp, tolerance: 60s }
      mapping: { dedup_key: /id, summary: /title }
    - name: pd
      type: pagerduty
      routing_key: e93facc04764012d7bfb002500d5d1a6
YAML
TEST_AM_TOKEN=tok; export TEST_AM_TOKEN
daemon_start
AUTH="Authorization: Bearer tok"
FIRING=$PAYLOADS/alertmanager-v4-firing.json

# bad CODE FIELD WHAT: the last answer had CODE and named FIELD.
bad() {
	expect_code "$1" "$3"
	assert_eq "$(json_get "$T/resp" "d.get('field', (d.get('errors') or ['?'])[0])")" "$2" "$3: field"
}

head -c 300 "$FIRING" >"$T/trunc.json"
post /v1/alertmanager "$T/trunc.json" -H "$AUTH";                          bad 400 body "truncated JSON"
assert_contains "$(json_get "$T/resp" "d['message']")" "invalid JSON at line"
post_str /v1/alertmanager '' -H "$AUTH";                                    bad 400 body "empty body"
post_str /v1/alertmanager '{"alerts":"x"}' -H "$AUTH";                      bad 400 alerts "alerts not an array"
post_str /v1/alertmanager '{"version":"4"}' -H "$AUTH";                     bad 400 alerts "alerts missing"
post_str /v1/alertmanager '{"alerts":[{"status":5}]}' -H "$AUTH";           bad 400 "alerts[0].status" "status not a string"
post_str /v1/alertmanager '{"alerts":[{"status":"firing","labels":[]}]}' -H "$AUTH"; bad 400 "alerts[0].labels" "labels not an object"
post_str /v1/alertmanager '{"alerts":[{"status":"firing"}]}' -H "$AUTH";    bad 400 "alerts[0].fingerprint" "no identity"
post_str /v1/alertmanager '[1,2]' -H "$AUTH";                               bad 400 body "array body"
python3 -c 'print("["*100000 + "]"*100000)' >"$T/deep.json"
post /v1/alertmanager "$T/deep.json" -H "$AUTH";                            expect_code 413 "deep nesting over the limit"
python3 -c 'print("["*5000 + "]"*5000)' >"$T/deep2.json"
post /v1/alertmanager "$T/deep2.json" -H "$AUTH";                           bad 400 body "deep nesting"

# Size, content type, method, path.
python3 -c 'import json; print(json.dumps({"alerts": [], "pad": "x" * 100000}))' >"$T/huge.json"
post /v1/alertmanager "$T/huge.json" -H "$AUTH";                            bad 413 body "huge body"
post /v1/alertmanager "$T/huge.json" -H "$AUTH" -H "Transfer-Encoding: chunked"; bad 413 body "huge chunked body"
CODE=$(curl_code "$T/resp" -H "$AUTH" -H "Content-Type: text/plain" --data-binary @"$FIRING" "$URL/v1/alertmanager")
bad 415 Content-Type "content type"
CODE=$(curl_code "$T/resp" -H "$AUTH" --data-binary @"$FIRING" "$URL/v1/alertmanager")
bad 415 Content-Type "form content type"
post /v1/nothing "$FIRING";                                                 bad 404 path "unknown path"
post /v1/grafana "$FIRING";                                                 bad 404 source "no grafana source"
post "/v1/alertmanager?source=nosuch" "$FIRING" -H "$AUTH";                 bad 404 source "unknown ?source="

# Framing: conflicting Content-Length headers, or one beside
# Transfer-Encoding, are refused (400, JSON, connection closed), even when
# the first length alone frames a valid request.
# raw FILE: send FILE's bytes on one connection; prints "STATUS CONNECTION" and
# leaves the body in $T/resp.
raw() {
	/usr/bin/python3 - "$HTTP_PORT" "$1" "$T/resp" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
s.sendall(open(sys.argv[2], "rb").read())
data = b""
while b"\r\n\r\n" not in data:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
head, _, body = data.partition(b"\r\n\r\n")
lines = head.decode("latin-1").split("\r\n")
hdr = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
while len(body) < int(hdr.get("content-length", "0")):
    chunk = s.recv(65536)
    if not chunk:
        break
    body += chunk
open(sys.argv[3], "wb").write(body)
print(lines[0].split(" ")[1] if " " in lines[0] else "000", hdr.get("connection", "keep-alive"))
PY
}
# frame HEADERS...: a POST of $FIRING to /v1/alertmanager with these framing headers.
frame() {
	{ printf 'POST /v1/alertmanager HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n%s\r\n' "$AUTH"
	  for h in "$@"; do printf '%s\r\n' "$h"; done; printf '\r\n'; } >"$T/frame.req"
}
LEN=$(wc -c <"$FIRING" | tr -d ' ')
frame "Content-Length: $LEN" "Content-Length: $((LEN + 10))"; cat "$FIRING" >>"$T/frame.req"
printf '0123456789' >>"$T/frame.req"
assert_eq "$(raw "$T/frame.req")" "400 close" "two different Content-Length headers"
CODE=400; bad 400 Content-Length "two different Content-Length headers"
frame "Content-Length: $LEN" "Transfer-Encoding: chunked"
printf '%x\r\n' "$LEN" >>"$T/frame.req"; cat "$FIRING" >>"$T/frame.req"; printf '\r\n0\r\n\r\n' >>"$T/frame.req"
assert_eq "$(raw "$T/frame.req")" "400 close" "Content-Length with Transfer-Encoding"
CODE=400; bad 400 Transfer-Encoding "Content-Length with Transfer-Encoding"

# Bearer token.
CODE=$(curl_code "$T/resp" -D "$T/hdr" -H 'Content-Type: application/json' --data-binary @"$FIRING" "$URL/v1/alertmanager")
bad 401 credentials "no token"
grep -qi '^www-authenticate: Bearer' "$T/hdr" || fail "401 without WWW-Authenticate: $(cat "$T/hdr")"
post /v1/alertmanager "$FIRING" -H "Authorization: Bearer wrong";           bad 403 credentials "wrong token"
post /v1/alertmanager "$FIRING" -H "Authorization: Bearer tokX";            bad 403 credentials "near-miss token"
post /v1/alertmanager "$FIRING" -H "Authorization: Basic dG9rOg==";         bad 401 credentials "basic auth"

# HMAC: "TIMESTAMP.BODY" signed with the shared key.
printf '{"id":"h1","title":"signed alert"}' >"$T/h.json"
sign() { printf '%s.%s' "$1" "$(cat "$2")" | openssl dgst -sha256 -hmac hmac-key | sed 's/.*= //'; }
now=$(date +%s)
post /v1/hooks/signed "$T/h.json" -H "X-Timestamp: $now";                   bad 401 credentials "no signature"
post /v1/hooks/signed "$T/h.json" -H "X-Timestamp: $now" -H "X-Signature: sha256=$(sign "$now" "$T/h.json" | tr 'a-f' 'b-g')"; bad 403 credentials "bad signature"
old=$((now - 3600))
post /v1/hooks/signed "$T/h.json" -H "X-Timestamp: $old" -H "X-Signature: sha256=$(sign "$old" "$T/h.json")"; bad 401 timestamp "replayed (old timestamp)"
post /v1/hooks/signed "$T/h.json" -H "X-Signature: sha256=$(sign "$now" "$T/h.json")"; bad 401 timestamp "no timestamp"
printf '{"id":"h1","title":"tampered"}' >"$T/h2.json"
post /v1/hooks/signed "$T/h2.json" -H "X-Timestamp: $now" -H "X-Signature: sha256=$(sign "$now" "$T/h.json")"; bad 403 credentials "body changed after signing"
post_str /v1/hooks/signed '{"title":"no id"}' -H "X-Timestamp: $now" -H "X-Signature: $(printf '%s.%s' "$now" '{"title":"no id"}' | openssl dgst -sha256 -hmac hmac-key | sed 's/.*= //')"
expect_code 400 "generic without dedup key"

# PagerDuty: its 400 shape, naming the field in errors[].
pd() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); exec(sys.argv[2]); print(json.dumps(d))' "$PAYLOADS/pagerduty-v2-trigger.json" "$1" >"$T/pd.json"; post /v2/enqueue "$T/pd.json"; }
pdbad() {
	expect_code 400 "$2"
	assert_eq "$(json_get "$T/resp" "d['status'] + '|' + d['message']")" "invalid event|Event object is invalid" "$2: PD shape"
	assert_contains "$(json_get "$T/resp" "d['errors'][0]")" "$1" "$2: errors[0]"
}
pd 'del d["routing_key"]';                    pdbad routing_key "no routing_key"
pd 'd["routing_key"]="0"*32';                 pdbad routing_key "unknown routing_key"
pd 'd["event_action"]="explode"';             pdbad event_action "bad event_action"
pd 'd["payload"]["severity"]="urgent"';       pdbad payload.severity "bad severity"
pd 'd["payload"]["summary"]=42';              pdbad payload.summary "summary not a string"
pd 'd["payload"]["summary"]="x"*2000';        pdbad payload.summary "summary too long"
pd 'del d["payload"]';                        pdbad payload "trigger without payload"
pd 'd["event_action"]="resolve"; del d["dedup_key"]'; pdbad dedup_key "resolve without dedup_key"
pd 'd["dedup_key"]="k"*300';                  pdbad dedup_key "dedup_key too long"

# Each refused credential is logged with the client's address, the source
# and the reason, never with the credential or the secret; a flood of them
# is rate-limited (10 lines a minute, then a count).
refused() { grep -c "http: request refused from=127.0.0.1 " "$DAEMON_LOG" || true; }
L="http: request refused from=127.0.0.1 endpoint"
for want in "alertmanager source=am: no credentials" "alertmanager source=am: wrong token or signature" \
	"generic source=signed: wrong token or signature" "generic source=signed: HMAC timestamp missing or outside the tolerance" \
	"pagerduty source=-: unknown routing_key"; do
	grep -q "$L=$want" "$DAEMON_LOG" || fail "not logged: $L=$want"
done
before=$(refused)
for i in $(seq 40); do post /v1/alertmanager "$FIRING" -H "Authorization: Bearer flood$i"; done
expect_code 403 "the flood"
flood=$(( $(refused) - before ))
note "40 refused requests in a row made $flood log lines"
[ "$flood" -le 20 ] || fail "refused requests are not rate-limited in the log: $flood lines for 40"
for secret in "hmac-key" "Bearer tok" "Bearer wrong" "flood1" "$(sign "$now" "$T/h.json")"; do
	grep -q -- "$secret" "$DAEMON_LOG" && fail "the log shows a credential: $secret"
done

# Nothing of the above was stored.
assert_eq "$(count inbound)" "0" "bad requests leave no inbound rows"
# Then the valid ones are.
post /v1/alertmanager "$FIRING" -H "$AUTH";                                 expect_code 202 "valid alertmanager"
post /v1/hooks/signed "$T/h.json" -H "X-Timestamp: $now" -H "X-Signature: sha256=$(sign "$now" "$T/h.json")"; expect_code 202 "valid signature"
post /v1/hooks/signed "$T/h.json" -H "X-Timestamp: $now" -H "X-Signature: $(sign "$now" "$T/h.json" | tr 'a-f' 'A-F')"; expect_code 202 "valid signature, upper-case hex, no prefix"
post /v2/enqueue "$PAYLOADS/pagerduty-v2-trigger.json";                     expect_code 202 "valid PagerDuty"
frame "Content-Length: $LEN" "Content-Length: $LEN"; cat "$FIRING" >>"$T/frame.req"
assert_eq "$(raw "$T/frame.req")" "202 keep-alive" "the same Content-Length twice is one length"
assert_eq "$(count inbound)" "5" "exactly the valid requests are staged"
drain
assert_eq "$(count tickets)" "4" "two alertmanager alerts, one signed, one PagerDuty"
CODE=$(curl_code "$T/metrics" "$URL/metrics")
grep -q '^ticketd_http_requests_total{source="am",outcome="unauthorized"} 2$' "$T/metrics" || fail "unauthorized attempts counted: $(grep 'source="am"' "$T/metrics")"
grep -q '^ticketd_http_requests_total{source="am",outcome="forbidden"} 42$' "$T/metrics" || fail "forbidden attempts counted (2, and the flood of 40)"
grep -q '^ticketd_http_requests_total{source="signed",outcome="unauthorized"} 3$' "$T/metrics" || fail "hmac failures counted: $(grep 'source="signed"' "$T/metrics")"
kill -0 "$DAEMON_PID" || fail "the daemon died"
daemon_stop
assert_eq "$DAEMON_RC" "0"
echo "ok"
