#!/usr/bin/python3
"""http-sink.py DIR: a loopback HTTP receiver standing in for a Slack
incoming webhook. It binds 127.0.0.1 on a port the kernel picks and writes
it to DIR/port at once; while DIR/closed exists it does not listen
(connections are refused), then it listens and writes DIR/ready.
Each POST body is written to DIR/NNN.json and answered
200 "ok". With DIR/rate-limit present, the first POST is answered 429 with
Retry-After: 1 (and is not stored). Stops after one hour at the latest."""
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

OUT = sys.argv[1]
state = {"n": 0, "limited": False}


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if os.path.exists(os.path.join(OUT, "rate-limit")) and not state["limited"]:
            state["limited"] = True
            self.send_response(429)
            self.send_header("Retry-After", "1")
            self.end_headers()
            return
        state["n"] += 1
        with open(os.path.join(OUT, "%03d.json" % state["n"]), "wb") as f:
            f.write(body)
        with open(os.path.join(OUT, "%03d.path" % state["n"]), "w") as f:
            f.write(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def announce(name, text):
    with open(os.path.join(OUT, name + ".tmp"), "w") as f:
        f.write(text)
    os.rename(os.path.join(OUT, name + ".tmp"), os.path.join(OUT, name))


srv = HTTPServer(("127.0.0.1", 0), Hook, bind_and_activate=False)
srv.server_bind()
announce("port", str(srv.server_address[1]))
deadline = time.time() + 3600
while os.path.exists(os.path.join(OUT, "closed")) and time.time() < deadline:
    time.sleep(0.05)
srv.server_activate()
threading.Timer(max(1.0, deadline - time.time()), srv.shutdown).start()
announce("ready", str(os.getpid()))
srv.serve_forever()
