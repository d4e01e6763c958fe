#!/usr/bin/python3
# fake-imap.py PORTFILE LOGFILE [drip|xoauth2 TOKENFILE]: a minimal IMAP server
# for what the private Dovecot cannot easily do in a test. It listens on a
# loopback port the kernel picks and then writes it to PORTFILE. INBOX holds
# UIDs 1-3. Mode drip (default): a fetch of UID 1's body starts a literal
# and then drips one byte every 0.2 s forever (a broken or hostile server).
# Mode xoauth2: only SASL XOAUTH2 logs in, with user "support" and the
# bearer token held in TOKENFILE (read at each attempt). Just enough of
# IMAP4rev1 for ticketd's client; every command is appended to LOGFILE
# (the XOAUTH2 response only as accepted/refused).
import base64, os, socketserver, sys, time

PORTFILE, LOG = sys.argv[1], sys.argv[2]
MODE = sys.argv[3] if len(sys.argv) > 3 else "drip"
CAPS = "IMAP4rev1 UIDPLUS" + (" AUTH=XOAUTH2 LOGINDISABLED" if MODE == "xoauth2" else "")

def message(uid):
    return (("From: Fake %d <f%d@customer.example>\r\nTo: support@example.com\r\n"
             "Subject: fake %d\r\nMessage-ID: <fake-%d@customer.example>\r\n\r\nbody %d\r\n")
            % (uid, uid, uid, uid, uid)).encode()

def uid_set(text):
    """The UIDs 1-3 named by an IMAP sequence set like 1,3:5 or 2:*."""
    out = set()
    for part in text.split(","):
        lo, _, hi = part.partition(":")
        lo = int(lo)
        hi = 3 if hi == "*" else int(hi or lo)
        out.update(u for u in range(min(lo, hi), max(lo, hi) + 1) if 1 <= u <= 3)
    return sorted(out)

class Handler(socketserver.StreamRequestHandler):
    def send(self, s):
        self.wfile.write(s if isinstance(s, bytes) else s.encode())
        self.wfile.flush()

    def handle(self):
        try:
            self.serve()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on the drip: expected

    def serve(self):
        self.send("* OK [CAPABILITY IMAP4rev1 UIDPLUS] fake ready\r\n")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            text = line.decode(errors="replace").strip()
            tag, _, cmd = text.partition(" ")
            up = cmd.upper()
            if up.startswith("AUTHENTICATE XOAUTH2 "):
                self.xoauth2(tag, cmd.split()[2])
                continue
            with open(LOG, "a") as f:
                f.write("%.2f %s\n" % (time.time(), text))
            if up.startswith("CAPABILITY"):
                self.send("* CAPABILITY %s\r\n%s OK done\r\n" % (CAPS, tag))
            elif up.startswith("LOGIN") and MODE == "xoauth2":
                self.send("%s NO [PRIVACYREQUIRED] LOGIN disabled\r\n" % tag)
            elif up.startswith("SELECT"):
                self.send("* 3 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 42] ok\r\n"
                          "* OK [UIDNEXT 4] ok\r\n* FLAGS (\\Seen \\Deleted)\r\n"
                          "%s OK [READ-WRITE] selected\r\n" % tag)
            elif up.startswith("UID SEARCH"):
                self.send("* SEARCH 1 2 3\r\n%s OK done\r\n" % tag)
            elif up.startswith("UID FETCH") and "RFC822.SIZE" in up:
                for uid in uid_set(cmd.split()[2]):
                    self.send("* %d FETCH (UID %d RFC822.SIZE %d)\r\n"
                              % (uid, uid, len(message(uid))))
                self.send("%s OK done\r\n" % tag)
            elif up.startswith("UID FETCH") and "BODY.PEEK[]" in up:
                uid = int(cmd.split()[2])
                body = message(uid)
                self.send("* %d FETCH (UID %d BODY[]<0> {%d}\r\n" % (uid, uid, len(body)))
                if uid == 1 and MODE == "drip":
                    for b in body * 1000:
                        time.sleep(0.2)
                        self.send(bytes([b]))
                self.send(body + b")\r\n" + ("%s OK done\r\n" % tag).encode())
            elif up.startswith("LOGOUT"):
                self.send("* BYE bye\r\n%s OK done\r\n" % tag)
                return
            else:  # LOGIN, NOOP, UID STORE, ...
                self.send("%s OK done\r\n" % tag)

    def xoauth2_ok(self, b64):
        want = "user=support\x01auth=Bearer %s\x01\x01" % open(sys.argv[4]).read().strip()
        try:
            return base64.b64decode(b64).decode() == want
        except Exception:
            return False

    def xoauth2(self, tag, b64):
        ok = self.xoauth2_ok(b64)
        with open(LOG, "a") as f:
            f.write("%s AUTHENTICATE XOAUTH2 %s\n" % (tag, "accepted" if ok else "refused"))
        if ok:
            self.send("%s OK [CAPABILITY %s] logged in\r\n" % (tag, CAPS))
            return
        self.send("+ eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiQmVhcmVyIn0=\r\n")
        self.rfile.readline()
        self.send("%s NO [AUTHENTICATIONFAILED] invalid token\r\n" % tag)

class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

srv = Server(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
