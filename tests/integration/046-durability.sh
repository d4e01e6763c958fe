#!/bin/sh
# 202 means committed: 16 clients post distinct alerts while the daemon is
# stopped (SIGTERM), and again while it is killed (SIGKILL). Every alert
# answered 202 is in the inbound stage afterwards; every one answered 503
# is not; and the SIGTERM stop is clean.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/hooks_common.sh"
pg_start
write_config <<YAML
http:
  listen: 127.0.0.1:$HTTP_PORT
  sources:
    - name: am
      type: alertmanager
YAML
# load.py URL TAG OUT STOPFILE: 16 clients post distinct alerts until
# STOPFILE exists; OUT gets "FINGERPRINT CODE REASON" per request (code 0:
# no answer, and REASON says why: refused, reset, timeout, ...).
cat >"$T/load.py" <<'PY'
import json, os, socket, sys, threading, time, urllib.error, urllib.request
url, tag, out, stopfile = sys.argv[1:5]
results, lock, deadline = [], threading.Lock(), time.time() + 300
urllib.request.install_opener(urllib.request.build_opener(urllib.request.ProxyHandler({})))
def reason(e):
    e = getattr(e, "reason", e)
    if isinstance(e, ConnectionRefusedError): return "refused"
    if isinstance(e, ConnectionResetError): return "reset"
    if isinstance(e, (socket.timeout, TimeoutError)): return "timeout"
    return type(e).__name__ + ":" + str(e).replace(" ", "_")[:60]
def worker(t):
    n = 0
    while not os.path.exists(stopfile) and time.time() < deadline:
        n += 1
        fp = "%s-%d-%d" % (tag, t, n)
        body = json.dumps({"version": "4", "alerts": [{"status": "firing", "fingerprint": fp,
                           "labels": {"alertname": "D"}}]}).encode()
        req = urllib.request.Request(url + "/v1/alertmanager", data=body,
                                     headers={"Content-Type": "application/json"})
        why = "-"
        try:
            code = urllib.request.urlopen(req, timeout=60).status
        except urllib.error.HTTPError as e:
            code = e.code
        except Exception as e:
            code, why = 0, reason(e)   # no answer: say why
            time.sleep(0.05)
        with lock:
            results.append((fp, code, why))
ts = [threading.Thread(target=worker, args=(t,)) for t in range(16)]
[t.start() for t in ts]
[t.join() for t in ts]
with open(out, "w") as f:
    for fp, code, why in results:
        f.write("%s %s %s\n" % (fp, code, why))
PY

check() { # check TAG: every 202 stored, no 503 stored
	psql_q "SELECT convert_from(raw, 'UTF8')::jsonb->'alerts'->0->>'fingerprint' FROM inbound" | sort >"$T/stored"
	awk '$2 == 202 {print $1}' "$T/$1.out" | sort >"$T/ok"
	awk '$2 == 503 {print $1}' "$T/$1.out" | sort >"$T/unavail"
	n=$(wc -l <"$T/ok" | tr -d ' ')
	why=$(awk '$2 == 0 {print $3}' "$T/$1.out" | sort | uniq -c | awk '{printf "%s %s, ", $1, $2}')
	[ "$n" -ge 10 ] || fail "$1: only $n requests answered 202; unanswered: ${why:-none}"
	missing=$(comm -23 "$T/ok" "$T/stored" | wc -l | tr -d ' ')
	assert_eq "$missing" "0" "$1: every 202 is stored ($n accepted)"
	assert_eq "$(comm -12 "$T/unavail" "$T/stored" | wc -l | tr -d ' ')" "0" "$1: no 503 is stored"
	note "$1: $n accepted, $(wc -l <"$T/unavail" | tr -d ' ') answered 503, unanswered: ${why:-none}"
}

# load TAG: start the clients, and wait until 50 of their posts are committed.
load() {
	python3 "$T/load.py" "$URL" "$1" "$T/$1.out" "$T/$1.stop" &
	LOAD=$!
	wait_for 120 "50 posts committed under load" '[ "$(count inbound)" -ge 50 ]'
}

daemon_start
load term
daemon_stop
touch "$T/term.stop"; wait $LOAD
assert_eq "$DAEMON_RC" "0" "clean stop under load"
check term

psql_q "TRUNCATE inbound CASCADE" >/dev/null 2>&1
daemon_start
load kill
kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=
touch "$T/kill.stop"; wait $LOAD
check kill
echo "ok"
