#!/usr/bin/python3
"""lmtp_feed.py SOCKET CONNECTIONS LIST: deliver files over LMTP as Postfix does.

LIST names the message files, one per line.
CONNECTIONS processes each open one connection to SOCKET (a Unix socket path, or
HOST:PORT) and deliver their share of the files on it: MAIL, RCPT and DATA in one
write (PIPELINING), then the dot-stuffed message, then the reply per recipient.
Prints "sent N refused M seconds S" (S: from the first connection to the last
reply). Exits 1 if any message was not answered 250.
"""
import os
import re
import socket
import sys
import time


def connect(addr):
    if addr.startswith('/'):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(addr)
    else:
        host, port = addr.rsplit(':', 1)
        s = socket.create_connection((host, int(port)))
    return s


class Conn:
    def __init__(self, addr):
        self.s = connect(addr)
        self.buf = b''
        self.reply()                       # greeting
        self.s.sendall(b'LHLO bench.example\r\n')
        self.reply()

    def reply(self):
        """One whole reply (multi-line: up to the line with a space after the code)."""
        lines = []
        while True:
            while b'\r\n' not in self.buf:
                chunk = self.s.recv(65536)
                if not chunk:
                    raise ConnectionError('server closed the connection')
                self.buf += chunk
            line, self.buf = self.buf.split(b'\r\n', 1)
            lines.append(line)
            if len(line) < 4 or line[3:4] != b'-':
                return int(line[:3]), lines

    def deliver(self, sender, rcpt, data):
        self.s.sendall(b'MAIL FROM:<%s> SIZE=%d\r\nRCPT TO:<%s>\r\nDATA\r\n'
                       % (sender, len(data), rcpt))
        codes = [self.reply()[0] for _ in range(3)]
        if codes != [250, 250, 354]:
            if codes[2] == 354:
                self.s.sendall(b'.\r\n')
                self.reply()
            self.s.sendall(b'RSET\r\n')
            self.reply()
            return False
        self.s.sendall(data + b'.\r\n')
        return self.reply()[0] == 250


def wire(raw):
    body = raw.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
    if not body.endswith(b'\r\n'):
        body += b'\r\n'
    return re.sub(rb'(?m)^\.', b'..', body)


def feeder(addr, files, out_fd):
    c = Conn(addr)
    sent = refused = 0
    for f in files:
        with open(f, 'rb') as fp:
            data = wire(fp.read())
        m = re.search(rb'(?mi)^From:.*?([\w.+-]+@[\w.-]+)', data)
        sender = m.group(1) if m else b'bench@example.org'
        if c.deliver(sender, b'support@example.com', data):
            sent += 1
        else:
            refused += 1
    c.s.sendall(b'QUIT\r\n')
    os.write(out_fd, b'%d %d\n' % (sent, refused))


def main():
    addr, n = sys.argv[1], int(sys.argv[2])
    with open(sys.argv[3]) as fp:
        files = [line.rstrip('\n') for line in fp if line.strip()]
    r, w = os.pipe()
    t0 = time.monotonic()
    pids = []
    for i in range(n):
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                feeder(addr, files[i::n], w)
            finally:
                os._exit(0)
        pids.append(pid)
    os.close(w)
    for pid in pids:
        os.waitpid(pid, 0)
    secs = time.monotonic() - t0
    sent = refused = 0
    for line in os.fdopen(r).read().split('\n'):
        if line:
            a, b = line.split()
            sent += int(a)
            refused += int(b)
    print('sent %d refused %d seconds %.3f' % (sent, refused, secs))
    sys.exit(1 if refused or sent != len(files) else 0)


main()
