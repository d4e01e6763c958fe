#!/usr/bin/python3
"""post_alerts.py: post Alertmanager groups to ticketd concurrently.

  post_alerts.py OUT URLS IDS THREADS REQUESTS ALERTS [SECONDS]

Each request is a firing group of ALERTS alerts drawn at random from IDS
identities (fingerprints hot-0 .. hot-(IDS-1)), in random order, posted to
one of URLS (comma-separated base URLs, round robin) by one of THREADS
threads. At most REQUESTS requests and at most SECONDS seconds (default
60). OUT gets one line per request answered 202: "url fingerprint,..."; a
request that got another answer or none is one line in OUT.err. Loopback
only."""
import json, random, sys, threading, time, urllib.request

out, urls, ids, threads, requests, alerts = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), \
    int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
deadline = time.monotonic() + (float(sys.argv[7]) if len(sys.argv) > 7 else 60)
lock, sent, ok, bad = threading.Lock(), [0], [], []


def body(fps):
    return json.dumps({"version": "4", "status": "firing", "receiver": "t", "groupKey": "{}:{}",
                       "alerts": [{"status": "firing", "fingerprint": fp,
                                   "labels": {"alertname": "Hot", "severity": "warning", "id": fp},
                                   "annotations": {"summary": "hot alert " + fp}} for fp in fps]}).encode()


def worker(n):
    rnd = random.Random(n)
    while time.monotonic() < deadline:
        with lock:
            if sent[0] >= requests:
                return
            i = sent[0]
            sent[0] += 1
        fps = rnd.sample(["hot-%d" % k for k in range(ids)], min(alerts, ids))
        url = urls[i % len(urls)]
        req = urllib.request.Request(url + "/v1/alertmanager", data=body(fps),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                code = r.status
        except Exception as e:  # HTTPError included: its code is in the text
            code = repr(e)
        with lock:
            (ok if code == 202 else bad).append("%s %s %s" % (url, ",".join(fps), code))


ts = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
with open(out, "w") as f:
    f.writelines(line.rsplit(" ", 1)[0] + "\n" for line in ok)
with open(out + ".err", "w") as f:
    f.writelines(line + "\n" for line in bad)
print("%d answered 202, %d not" % (len(ok), len(bad)))
