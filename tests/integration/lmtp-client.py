#!/usr/bin/python3
"""lmtp-client.py ADDR COMMAND ...: an LMTP client for the tests, on Python's smtplib.LMTP.

ADDR is a Unix socket path or HOST:PORT. Commands:

  lhlo                      print the LHLO reply (code, then each line)
  send FROM RCPT[,RCPT..] FILE [FILE...]
                            deliver each FILE on one connection (RSET and NOOP between), as an
                            MTA does: MAIL, RCPT each (a refused one is printed and skipped), DATA,
                            then one reply per accepted recipient (RFC 2033), each printed as
                            "CODE TEXT"; SIZE= is sent when the server offers SIZE
  pipelined FROM RCPT FILE  MAIL, RCPT and DATA in one write, then the message: prints every reply
  raw                       send stdin as it is (\\n becomes \\r\\n unless RAW_BINARY=1) in one write,
                            then print every reply line until the server closes
  idle                      LHLO, then wait (up to 60 s) for what the server says unprompted
Exit 0 when the conversation ran (whatever the replies), 1 on a protocol or connection failure.
"""
import os
import re
import smtplib
import socket
import sys


def connect(addr):
    if addr.startswith('/'):
        s = smtplib.LMTP(addr, timeout=60)
    else:
        host, port = addr.rsplit(':', 1)
        s = smtplib.LMTP(host, int(port), timeout=60)
    return s


def out(code, msg):
    text = msg.decode('utf-8', 'replace') if isinstance(msg, bytes) else msg
    print('%d %s' % (code, text.replace('\n', ' | ')), flush=True)


def deliver(s, sender, rcpts, data):
    opts = []
    if s.has_extn('size'):
        opts.append('SIZE=%d' % len(data))
    code, msg = s.mail(sender, opts)
    out(code, msg)
    if code != 250:
        s.rset()
        return
    accepted = 0
    for r in rcpts:
        code, msg = s.rcpt(r)
        out(code, msg)
        accepted += code == 250
    if accepted == 0:
        s.rset()
        return
    # data() reads the first reply; LMTP sends one per accepted recipient.
    code, msg = s.data(data)
    out(code, msg)
    for _ in range(accepted - 1):
        out(*s.getreply())


def cmd_send(addr, sender, rcpts, files):
    s = connect(addr)
    s.ehlo_or_helo_if_needed()
    for i, f in enumerate(files):
        if i:
            out(*s.rset())
            out(*s.noop())
        with open(f, 'rb') as fp:
            deliver(s, sender, rcpts.split(','), fp.read())
    out(*s.quit())


def read_replies(sock):
    data = b''
    while True:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            print('TIMEOUT', flush=True)
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    for line in data.decode('utf-8', 'replace').split('\r\n'):
        if line:
            print(line, flush=True)


def raw_socket(addr):
    if addr.startswith('/'):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(addr)
    else:
        host, port = addr.rsplit(':', 1)
        sock = socket.create_connection((host, int(port)))
    sock.settimeout(60)
    return sock


def cmd_raw(addr):
    payload = sys.stdin.buffer.read()
    if os.environ.get('RAW_BINARY') != '1':
        payload = payload.replace(b'\n', b'\r\n')
    sock = raw_socket(addr)
    sock.sendall(payload)
    read_replies(sock)


def cmd_pipelined(addr, sender, rcpt, f):
    with open(f, 'rb') as fp:
        body = fp.read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
    body = re.sub(rb'(?m)^\.', b'..', body)
    sock = raw_socket(addr)
    sock.sendall(b'LHLO client.test\r\nMAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n'
                 % (sender.encode(), rcpt.encode()))
    sock.sendall(body + (b'' if body.endswith(b'\r\n') else b'\r\n') + b'.\r\nQUIT\r\n')
    read_replies(sock)


def cmd_idle(addr):
    s = connect(addr)
    s.ehlo_or_helo_if_needed()
    s.sock.settimeout(60)
    try:
        out(*s.getreply())
    except smtplib.SMTPServerDisconnected:
        print('DISCONNECTED', flush=True)


def main():
    addr, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        if cmd == 'lhlo':
            s = connect(addr)
            code, msg = s.ehlo()
            out(code, msg)
            s.quit()
        elif cmd == 'send':
            cmd_send(addr, args[0], args[1], args[2:])
        elif cmd == 'pipelined':
            cmd_pipelined(addr, *args)
        elif cmd == 'raw':
            cmd_raw(addr)
        elif cmd == 'idle':
            cmd_idle(addr)
        else:
            sys.exit('unknown command ' + cmd)
    except (smtplib.SMTPException, OSError) as e:
        print('ERROR %s: %s' % (type(e).__name__, e), flush=True)
        sys.exit(1)


main()
