#!/usr/bin/python3
"""smtp-sink.py DIR: a loopback SMTP server (aiosmtpd) for the tests.

It binds 127.0.0.1 on a port the kernel picks and writes it to DIR/port
at once, so the port is known before the server accepts and cannot be
taken by anything else meanwhile. While DIR/closed exists the socket is
bound but not listening: connections are refused, as by a server that is
down. Then it listens and writes DIR/ready.

Each accepted message is written to DIR/NNN.eml (envelope sender and
recipients first as X-Sink-From / X-Sink-To lines, the client's port as
X-Sink-Peer: one port for many mails means the connection was reused; the
time the client's MAIL FROM came, in ns since the epoch, as X-Sink-Started;
the file name's second part is the time the whole message had come). Control files in DIR:
  reject-5xx   answer DATA with 554 (the message is refused for good)
  defer-4xx    answer DATA with 451 (try again later)
  slow-accept  write the message, then wait that many seconds (the file's
               content) before answering 250: a client killed meanwhile
               never learns that the message was accepted.
Stops after one hour at the latest (tests kill it long before), or after
SINK_LIFETIME seconds (contrib/quickstart's demo sink runs for a year).
"""
import asyncio
import os
import socket
import sys
import time

from aiosmtpd.smtp import SMTP

OUT = sys.argv[1]


class Sink:
    count = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        envelope.started = time.time_ns()
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if os.path.exists(os.path.join(OUT, "reject-5xx")):
            return "554 5.7.1 rejected by the test sink"
        if os.path.exists(os.path.join(OUT, "defer-4xx")):
            return "451 4.3.0 deferred by the test sink"
        Sink.count += 1
        name = os.path.join(OUT, "%03d-%d.eml" % (Sink.count, time.time_ns()))
        head = "X-Sink-From: %s\r\nX-Sink-To: %s\r\nX-Sink-Peer: %s\r\nX-Sink-Started: %d\r\n" % (
            envelope.mail_from, ",".join(envelope.rcpt_tos), session.peer[1],
            getattr(envelope, "started", 0))
        with open(name + ".tmp", "wb") as f:
            f.write(head.encode() + envelope.original_content)
        os.rename(name + ".tmp", name)
        slow = os.path.join(OUT, "slow-accept")
        if os.path.exists(slow):
            with open(slow) as f:
                await asyncio.sleep(float(f.read().strip() or "5"))
        return "250 OK"


def announce(name, text):
    with open(os.path.join(OUT, name + ".tmp"), "w") as f:
        f.write(text)
    os.rename(os.path.join(OUT, name + ".tmp"), os.path.join(OUT, name))


sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
announce("port", str(sock.getsockname()[1]))
deadline = time.time() + float(os.environ.get("SINK_LIFETIME", "3600"))
while os.path.exists(os.path.join(OUT, "closed")) and time.time() < deadline:
    time.sleep(0.05)
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
handler = Sink()
# SMTPUTF8 on, as aiosmtpd's Controller (which the sink used before) sets it.
loop.run_until_complete(loop.create_server(lambda: SMTP(handler, enable_SMTPUTF8=True), sock=sock))
announce("ready", str(os.getpid()))
loop.call_later(max(1.0, deadline - time.time()), loop.stop)
loop.run_forever()
