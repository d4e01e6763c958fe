#!/bin/sh
# Slow clients cannot starve the others. Twice connection_limit slow
# clients from four loopback addresses (127.0.0.2-5) each send a request
# one byte every 0.3 s, which restarts the idle timeout every time, and
# reconnect whenever they are cut off. Meanwhile a normal client on
# 127.0.0.1 posts alerts and every post is accepted: each address holds
# at most per_address_limit connections (the rest are shut at once), and a
# slow request is cut at request_timeout however many bytes it sent. The
# old server let them fill connection_limit, so the normal client's
# connections waited in the kernel's backlog until they timed out.
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/hooks_common.sh"
pg_start
write_config <<YAML
http:
  listen: 127.0.0.1:$HTTP_PORT
  threads: 2
  connection_limit: 40
  connection_timeout: 60s
  per_address_limit: 4
  request_timeout: 2s
  sources:
    - name: am
      type: alertmanager
YAML
daemon_start

# slow.py PORT OUT STOPFILE N ADDRESS...: N slow clients spread over the
# addresses until STOPFILE exists; OUT gets "ADDRESS SECONDS" per connection
# the server closed (how long it lived).
cat >"$T/slow.py" <<'PY'
import os, select, socket, sys, threading, time
port, out, stopfile, n, addrs = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
lives, lock, tried = [], threading.Lock(), set()
head = b"POST /v1/alertmanager HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Slow: "
def closed(s):
    r, _, _ = select.select([s], [], [], 0)
    return bool(r) and s.recv(1) == b""
def client(i, addr):
    while not os.path.exists(stopfile):
        t0, cut = time.time(), True
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(addr, 0))
            s.sendall(head)
            with lock:
                tried.add(i)
                if len(tried) == n:  # every client has a connection (or had one refused)
                    open(out + ".started", "w").close()
            while not closed(s):
                if os.path.exists(stopfile):
                    cut = False
                    break
                time.sleep(0.3)
                s.sendall(b"a")
            s.close()
        except OSError:
            pass  # refused, reset or broken pipe: the server cut it
        with lock:
            tried.add(i)
            if len(tried) == n:
                open(out + ".started", "w").close()
            if cut:
                lives.append((addr, time.time() - t0))
        if cut:
            time.sleep(0.2)
ts = [threading.Thread(target=client, args=(i, addrs[i % len(addrs)])) for i in range(n)]
[t.start() for t in ts]
[t.join() for t in ts]
with open(out, "w") as f:
    for addr, life in lives:
        f.write("%s %.1f\n" % (addr, life))
PY

# normal.py URL N: N posts, one connection each; prints each status (0: no
# answer, and why) with its time, and stops at the first that fails.
cat >"$T/normal.py" <<'PY'
import json, sys, time, urllib.error, urllib.request
url, n = sys.argv[1], int(sys.argv[2])
urllib.request.install_opener(urllib.request.build_opener(urllib.request.ProxyHandler({})))
for i in range(n):
    body = json.dumps({"alerts": [{"status": "firing", "fingerprint": "normal-%d" % i,
                                   "labels": {"alertname": "Normal"}}]}).encode()
    req = urllib.request.Request(url + "/v1/alertmanager", data=body,
                                 headers={"Content-Type": "application/json"})
    t0 = time.time()
    try:
        code = urllib.request.urlopen(req, timeout=20).status
    except urllib.error.HTTPError as e:
        code = e.code
    except Exception as e:
        code = "0:" + type(getattr(e, "reason", e)).__name__
    print("%s(%.1fs)" % (code, time.time() - t0), flush=True)
    if code != 202:
        break
    time.sleep(0.3)
PY

/usr/bin/python3 "$T/slow.py" "$HTTP_PORT" "$T/slow.out" "$T/slow.stop" 80 \
	127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5 &
SLOW=$!
echo "touch $T/slow.stop; kill $SLOW" >"$T/slow.cleanup"
wait_for 60 "every slow client connected" '[ -f "$T/slow.out.started" ]'
/usr/bin/python3 "$T/normal.py" "$URL" 20 >"$T/normal.out"
note "normal client (status and time): $(tr '\n' ' ' <"$T/normal.out")"
assert_eq "$(grep -c '^202(' "$T/normal.out")" "20" "every normal post accepted during the attack: $(tr '\n' ' ' <"$T/normal.out")"
grep -q "http: refused a connection from 127.0.0.[2-5]: it has 4 open already" "$DAEMON_LOG" ||
	fail "no refusal logged for the per-address limit"
wait_for 60 "a slow request cut at its deadline" \
	'grep -q "http: closed the connection from 127.0.0.[2-5]: no complete request within 2000 ms" "$DAEMON_LOG"'
touch "$T/slow.stop"
wait "$SLOW"
rm -f "$T/slow.cleanup"

assert_eq "$(count inbound)" "20" "the normal posts are stored"
n=$(wc -l <"$T/slow.out" | tr -d ' ')
[ "$n" -ge 80 ] || fail "only $n slow connections were closed by the server"
longest=$(sort -k2 -n "$T/slow.out" | tail -n 1 | cut -d' ' -f2)
note "slow connections closed by the server: $n, the longest lived ${longest}s"
# A dripping request lives about request_timeout (2 s), never the minute of the old idle timeout.
awk '$2 > 15 { bad = 1 } END { exit bad }' "$T/slow.out" || fail "a slow request outlived request_timeout: ${longest}s"
# Refusals are logged at most 10 times a minute (20 if the test spans two windows).
quick=$(awk '$2 < 1' "$T/slow.out" | wc -l | tr -d ' ')
lines=$(grep -c "http: refused a connection from" "$DAEMON_LOG")
note "$quick connections refused at once, $lines refusal lines in the log"
[ "$quick" -ge 100 ] || fail "only $quick connections were refused at once"
[ "$lines" -le 20 ] || fail "refusals are not rate-limited in the log: $lines lines"
kill -0 "$DAEMON_PID" || fail "the daemon died"
daemon_stop
assert_eq "$DAEMON_RC" "0"
echo "ok"
