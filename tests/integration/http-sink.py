#!/usr/bin/python3
"""http-sink.py DIR PORT: a loopback HTTP receiver standing in for a Slack
incoming webhook. Each POST body is written to DIR/NNN.json and answered
200 "ok". With DIR/rate-limit present, the first POST is answered 429 with
Retry-After: 1 (and is not stored). Stops after one hour at the latest."""
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

OUT, PORT = sys.argv[1], int(sys.argv[2])
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


srv = HTTPServer(("127.0.0.1", PORT), Hook)
threading.Timer(3600, srv.shutdown).start()
with open(os.path.join(OUT, "ready"), "w") as f:
    f.write(str(os.getpid()))
srv.serve_forever()
