#!/usr/bin/python3
"""multi_load.py: mixed intake for the multi-daemon tests, until told to stop.

  multi_load.py DIR IMAP_PORT IMAP_USER IMAP_PASS MAILDIR TICKETCTL URLS [SECONDS]

Four threads, each bounded by SECONDS (default 120) and stopped early when
DIR/stop exists:
  imap     appends a mail to INBOX (Message-ID imap-N@load.example)
  maildir  writes a mail into MAILDIR/tmp and renames it into new/ (md-N)
  ingest   pipes a mail to `TICKETCTL ingest --mailbox pipe` (in-N)
  hooks    posts one Alertmanager alert with a new fingerprint (hook-N) to
           the URLS (comma-separated, or @FILE: read from FILE, one a line,
           before each post, as daemons restart on new ports) in turn;
           a 202 is an acknowledgement
Each acknowledgement is one line in DIR/<thread>.ack (Message-ID or
fingerprint) written after the ack: an append that returned OK, a file
renamed into new/, an ingest that exited 0, a 202. Anything else goes to
DIR/<thread>.err. Every mail comes from its own address (acks are per
customer). Paced at about PACE items/s per thread (env, default 20; multi.sh uses 10).
Loopback only."""
import imaplib, json, os, subprocess, sys, threading, time, urllib.request

d, port, user, pw, md, ctl, urls_arg = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], \
    sys.argv[6], sys.argv[7]
deadline = time.monotonic() + (float(sys.argv[8]) if len(sys.argv) > 8 else 120)
pace = 1.0 / float(os.environ.get("PACE", "20"))


def running():
    return time.monotonic() < deadline and not os.path.exists(os.path.join(d, "stop"))


def mail(mid, n):
    return ("From: Customer <c-%s@customer.example>\r\nTo: support@example.com\r\nSubject: load %s\r\n"
            "Message-ID: <%s>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nHello %s.\r\n" % (mid.split("@")[0], n, mid, n))


def log(name, line, ok=True):
    with open(os.path.join(d, name + (".ack" if ok else ".err")), "a") as f:
        f.write(line + "\n")


def imap():
    n, m = 0, None
    while running():
        try:
            if m is None:
                m = imaplib.IMAP4("127.0.0.1", port)
                m.login(user, pw)
            mid = "imap-%d@load.example" % n
            typ, data = m.append("INBOX", "", None, mail(mid, n).encode())
            if typ == "OK":
                log("imap", mid)
                n += 1
            else:
                log("imap", "%s %s" % (mid, data), False)
        except Exception as e:
            log("imap", repr(e), False)
            m = None
        time.sleep(pace)


def maildir():
    n = 0
    while running():
        mid = "md-%d@load.example" % n
        name = "%d.load%d.host" % (int(time.time()), n)
        with open(os.path.join(md, "tmp", name), "w") as f:
            f.write(mail(mid, n).replace("\r\n", "\n"))
        os.rename(os.path.join(md, "tmp", name), os.path.join(md, "new", name))
        log("maildir", mid)
        n += 1
        time.sleep(pace)


def ingest():
    n = 0
    while running():
        mid = "in-%d@load.example" % n
        p = subprocess.run([ctl, "ingest", "--mailbox", "pipe"], input=mail(mid, n).replace("\r\n", "\n").encode(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
        if p.returncode == 0:
            log("ingest", mid)
            n += 1
        else:
            log("ingest", "%s exit %d %s" % (mid, p.returncode, p.stderr.decode(errors="replace")[-200:].strip()), False)
        time.sleep(pace)


def urls():
    if urls_arg.startswith("@"):
        with open(urls_arg[1:]) as f:
            return [l.strip() for l in f if l.strip()] or ["http://127.0.0.1:9"]
    return urls_arg.split(",")


def hooks():
    n, i = 0, 0
    while running():
        fp = "hook-%d" % n
        us = urls()
        url = us[i % len(us)]
        i += 1
        body = json.dumps({"version": "4", "status": "firing", "receiver": "t", "groupKey": "{}:{}",
                           "alerts": [{"status": "firing", "fingerprint": fp,
                                       "labels": {"alertname": fp, "severity": "info"},
                                       "annotations": {"summary": "load " + fp}}]}).encode()
        req = urllib.request.Request(url + "/v1/alertmanager", data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                code = r.status
        except Exception as e:
            code = repr(e)
        if code == 202:
            log("hooks", fp)
            n += 1
        else:
            log("hooks", "%s %s %s" % (fp, url, code), False)
        time.sleep(pace / len(us))


ts = [threading.Thread(target=f) for f in (imap, maildir, ingest, hooks)]
for t in ts:
    t.start()
for t in ts:
    t.join()
