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
cat >"$T/load.py" <<'PY'
import json, sys, threading, time, urllib.request
url, tag, out = sys.argv[1], sys.argv[2], sys.argv[3]
results, lock, stop = [], threading.Lock(), time.time() + 4
def worker(t):
    n = 0
    while time.time() < stop:
        n += 1
        fp = "%s-%d-%d" % (tag, t, n)
        body = json.dumps({"version": "4", "alerts": [{"status": "firing", "fingerprint": fp,
                           "labels": {"alertname": "D"}}]}).encode()
        req = urllib.request.Request(url + "/v1/alertmanager", data=body,
                                     headers={"Content-Type": "application/json"})
        try:
            code = urllib.request.urlopen(req, timeout=10).status
        except urllib.error.HTTPError as e:
            code = e.code
        except Exception:
            code = 0          # connection refused or reset: no answer
            time.sleep(0.05)
        with lock:
            results.append((fp, code))
ts = [threading.Thread(target=worker, args=(t,)) for t in range(16)]
[t.start() for t in ts]
[t.join() for t in ts]
with open(out, "w") as f:
    for fp, code in results:
        f.write("%s %s\n" % (fp, code))
PY

check() { # check TAG: every 202 stored, no 503 stored
	psql_q "SELECT convert_from(raw, 'UTF8')::jsonb->'alerts'->0->>'fingerprint' FROM inbound" | sort >"$T/stored"
	awk '$2 == 202 {print $1}' "$T/$1.out" | sort >"$T/ok"
	awk '$2 == 503 {print $1}' "$T/$1.out" | sort >"$T/unavail"
	n=$(wc -l <"$T/ok" | tr -d ' ')
	[ "$n" -gt 50 ] || fail "$1: only $n requests accepted before the stop"
	missing=$(comm -23 "$T/ok" "$T/stored" | wc -l | tr -d ' ')
	assert_eq "$missing" "0" "$1: every 202 is stored ($n accepted)"
	assert_eq "$(comm -12 "$T/unavail" "$T/stored" | wc -l | tr -d ' ')" "0" "$1: no 503 is stored"
	note "$1: $n accepted, $(wc -l <"$T/unavail" | tr -d ' ') answered 503, $(awk '$2 == 0' "$T/$1.out" | wc -l | tr -d ' ') unanswered"
}

daemon_start
python3 "$T/load.py" "$URL" term "$T/term.out" &
LOAD=$!
sleep 1.5
daemon_stop
wait $LOAD
assert_eq "$DAEMON_RC" "0" "clean stop under load"
check term

psql_q "TRUNCATE inbound CASCADE" >/dev/null 2>&1
daemon_start
python3 "$T/load.py" "$URL" kill "$T/kill.out" &
LOAD=$!
sleep 1.5
kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true; DAEMON_PID=
wait $LOAD
check kill
echo "ok"
