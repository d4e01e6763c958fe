#!/usr/bin/python3
"""http-sink.py DIR: a loopback HTTP receiver standing in for a Slack
incoming webhook. It binds 127.0.0.1 on a port the kernel picks and writes
it to DIR/port at once; while DIR/closed exists it does not listen
(connections are refused), then it listens and writes DIR/ready.
Each POST body is written to DIR/NNN.json (its arrival time, in seconds
since the epoch, to DIR/NNN.time) and answered 200 "ok". With
DIR/rate-limit present, the first POST is answered 429 with Retry-After: 1
(and is not stored). With DIR/hang present, a POST is stored and then left
without an answer for 30 s (a receiver that took the message and hangs).
Requests are served in threads, so one that hangs does not hold the others.
Stops after one hour at the latest."""
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OUT = sys.argv[1]
state = {"n": 0, "limited": False}
lock = threading.Lock()


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if os.path.exists(os.path.join(OUT, "rate-limit")) and not state["limited"]:
            state["limited"] = True
            self.send_response(429)
            self.send_header("Retry-After", "1")
            self.end_headers()
            return
        with lock:
            state["n"] += 1
            n = state["n"]
        with open(os.path.join(OUT, "%03d.path" % n), "w") as f:
            f.write(self.path)
        with open(os.path.join(OUT, "%03d.time" % n), "w") as f:
            f.write("%.3f" % time.time())
        with open(os.path.join(OUT, "%03d.json.tmp" % n), "wb") as f:
            f.write(body)
        os.rename(os.path.join(OUT, "%03d.json.tmp" % n), os.path.join(OUT, "%03d.json" % n))
        if os.path.exists(os.path.join(OUT, "hang")):
            time.sleep(30)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def announce(name, text):
    with open(os.path.join(OUT, name + ".tmp"), "w") as f:
        f.write(text)
    os.rename(os.path.join(OUT, name + ".tmp"), os.path.join(OUT, name))


srv = ThreadingHTTPServer(("127.0.0.1", 0), Hook, bind_and_activate=False)
srv.daemon_threads = True
srv.server_bind()
announce("port", str(srv.server_address[1]))
deadline = time.time() + 3600
while os.path.exists(os.path.join(OUT, "closed")) and time.time() < deadline:
    time.sleep(0.05)
srv.server_activate()
threading.Timer(max(1.0, deadline - time.time()), srv.shutdown).start()
announce("ready", str(os.getpid()))
srv.serve_forever()
