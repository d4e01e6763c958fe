#!/usr/bin/python3
"""fault.py: the load and the tally of tests/integration/095-kill-intake.sh.

  fault.py moments SEED N
      N kill moments from a seeded RNG, one per line: "spawn SECONDS" (kill
      that long after the start, maybe before the daemon is ready) or
      "ready SECONDS" (that long after it said ready).

  fault.py load DIR SEED
      Mixed intake until DIR/stop exists: mails dropped into the Maildir
      DIR/maildir, appended to the Dovecot INBOX (port, user and password in
      DIR/imap), piped through `ticketctl ingest`, and Alertmanager webhooks
      posted to the URL in DIR/url (rewritten at every start). Each item has
      its own identity (Message-ID, or fingerprint) and sender. What each
      source acknowledged goes to DIR/acked-SOURCE, what it tried to
      DIR/tried-SOURCE (an ingest that exited 0, a webhook answered 202; the
      Maildir and IMAP acknowledge by moving the mail, which the tally sees
      at the end).

  fault.py tally DIR
      After the last daemon drained everything: every acknowledged item is
      exactly one inbound row and one effect (a ticket whose first message
      is the mail; one incident alert seen once); an unacknowledged one at
      most one of each; every outbox row sent; every mail the SMTP sink got
      is an outbox row's, and a second copy only with a kill between the two
      arrivals (the documented SMTP window) and byte for byte the same.
      Prints the figures; exits 1 when something is wrong.
"""
import email
import glob
import imaplib
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

SOURCES = ("maildir", "imap", "pipe", "hook")


def moments(seed, n):
    rnd = random.Random(seed)
    for _ in range(n):
        if rnd.random() < 0.15:
            print("spawn %.3f" % rnd.uniform(0.0, 0.6))
        else:
            print("ready %.3f" % rnd.uniform(0.0, 2.0))


def mail(src, n):
    mid = "fault-%s-%d@customer.example" % (src, n)
    return mid, ("From: Customer %d <c-%s-%d@customer.example>\r\nTo: support@example.com\r\n"
                 "Subject: fault %s %d\r\nMessage-ID: <%s>\r\n"
                 "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nHelp with case %s %d.\r\n"
                 % (n, src, n, src, n, mid, src, n)).encode()


class Load:
    def __init__(self, d, seed):
        self.d, self.rnd = d, random.Random(seed)
        self.tried = {s: [] for s in SOURCES}
        self.acked = {s: [] for s in SOURCES}
        self.lock = threading.Lock()

    def running(self):
        return not os.path.exists(os.path.join(self.d, "stop"))

    def note(self, src, item, acked):
        with self.lock:
            self.tried[src].append(item)
            if acked:
                self.acked[src].append(item)

    def pause(self, rnd):
        time.sleep(rnd.uniform(0.1, 0.4))

    def maildir(self, rnd):
        n = 0
        while self.running():
            n += 1
            mid, raw = mail("maildir", n)
            name = "%d.fault%d.host" % (time.time_ns(), n)
            tmp = os.path.join(self.d, "maildir", "tmp", name)
            with open(tmp, "wb") as f:
                f.write(raw)
            os.rename(tmp, os.path.join(self.d, "maildir", "new", name))
            self.note("maildir", mid, True)   # acknowledged once moved: checked in the tally
            self.pause(rnd)

    def imap(self, rnd):
        port, user, pw = open(os.path.join(self.d, "imap")).read().split()
        m = imaplib.IMAP4("127.0.0.1", int(port))
        m.login(user, pw)
        n = 0
        while self.running():
            n += 1
            mid, raw = mail("imap", n)
            typ, _ = m.append("INBOX", "", None, raw)
            self.note("imap", mid, typ == "OK")
            self.pause(rnd)
        m.logout()

    def pipe(self, rnd):
        n = 0
        ctl = os.path.join(os.environ["top_builddir"], "src", "ticketctl")
        while self.running():
            n += 1
            mid, raw = mail("pipe", n)
            rc = subprocess.run([ctl, "ingest", "--mailbox", "pipe"], input=raw,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
            self.note("pipe", mid, rc == 0)
            self.pause(rnd)

    def hook(self, rnd):
        n = 0
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while self.running():
            n += 1
            fp = "fault-hook-%d" % n
            body = json.dumps({"version": "4", "alerts": [{
                "status": "firing", "fingerprint": fp,
                "labels": {"alertname": "Fault%d" % n}}]}).encode()
            try:
                url = open(os.path.join(self.d, "url")).read().strip()
                req = urllib.request.Request(url + "/v1/alertmanager", data=body,
                                             headers={"Content-Type": "application/json"})
                code = opener.open(req, timeout=30).status
            except urllib.error.HTTPError as e:
                code = e.code
            except Exception:
                code = 0
            self.note("hook", fp, code == 202)
            self.pause(rnd)

    def run(self):
        threads = [threading.Thread(target=getattr(self, s), args=(random.Random(self.rnd.random()),))
                   for s in SOURCES]
        [t.start() for t in threads]
        [t.join() for t in threads]
        for s in SOURCES:
            for kind, items in (("tried", self.tried[s]), ("acked", self.acked[s])):
                with open(os.path.join(self.d, "%s-%s" % (kind, s)), "w") as f:
                    f.write("".join(i + "\n" for i in items))


def psql(sql):
    out = subprocess.run([os.path.join(os.environ["PG_BINDIR"], "psql"), "-X", "-q", "-A", "-t",
                          "-F", "\t", "-v", "ON_ERROR_STOP=1", os.environ["TICKETD_DSN"], "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def lines(path):
    try:
        return [x for x in open(path).read().split("\n") if x]
    except FileNotFoundError:
        return []


def counts(rows):
    c = {}
    for r in rows:
        c[r[0]] = c.get(r[0], 0) + 1
    return c


class Tally:
    def __init__(self, d):
        self.d, self.problems, self.fig = d, [], {}

    def bad(self, what):
        self.problems.append(what)

    def items(self):
        staged = counts(psql(
            "SELECT substring(convert_from(raw, 'UTF8') from 'Message-ID: <([^>]*)>') FROM inbound "
            "WHERE kind = 'mail' UNION ALL SELECT convert_from(raw, 'UTF8')::jsonb"
            "->'alerts'->0->>'fingerprint' FROM inbound WHERE kind = 'alert'"))
        effects = counts(psql(
            "SELECT m.message_id FROM messages m JOIN tickets t ON t.id = m.ticket_id "
            "WHERE m.direction = 'in' AND t.subject LIKE 'fault %' "
            "UNION ALL SELECT alert FROM incident_alerts, generate_series(1, count)"))
        tried_all = set()
        for s in SOURCES:
            tried, acked = lines("%s/tried-%s" % (self.d, s)), set(lines("%s/acked-%s" % (self.d, s)))
            tried_all.update(tried)
            self.fig[s] = "%d sent, %d acknowledged" % (len(tried), len(acked))
            for i in tried:
                n_in, n_eff = staged.get(i, 0), effects.get(i, 0)
                if i in acked and (n_in != 1 or n_eff != 1):
                    self.bad("%s %s acknowledged: %d inbound rows, %d effects" % (s, i, n_in, n_eff))
                elif n_in > 1 or n_eff > 1:
                    self.bad("%s %s (not acknowledged): %d inbound rows, %d effects" % (s, i, n_in, n_eff))
        for i in set(staged) | set(effects):
            if i not in tried_all:
                self.bad("%s was never sent, yet staged or acted on" % i)
        self.dups = sum(1 for c in list(staged.values()) + list(effects.values()) if c > 1)

    def sources_drained(self):
        left = [p for p in glob.glob(self.d + "/maildir/new/*") + glob.glob(self.d + "/maildir/cur/*")]
        failed = glob.glob(self.d + "/maildir/.Failed/*/*")
        done = glob.glob(self.d + "/maildir/.Processed/*/*")
        if left or failed or len(done) != len(lines(self.d + "/tried-maildir")):
            self.bad("Maildir: %d files not moved, %d refused, %d processed of %d" % (
                len(left), len(failed), len(done), len(lines(self.d + "/tried-maildir"))))
        port, user, pw = open(os.path.join(self.d, "imap")).read().split()
        m = imaplib.IMAP4("127.0.0.1", int(port))
        m.login(user, pw)
        for folder, want in (("INBOX", 0), ("Processed", len(lines(self.d + "/acked-imap")))):
            typ, data = m.select('"%s"' % folder, readonly=True)
            n = int(data[0]) if typ == "OK" else 0
            if n != want:
                self.bad("IMAP %s holds %d messages, expected %d" % (folder, n, want))
        m.logout()
        for state, n in psql("SELECT state, count(*) FROM inbound GROUP BY 1"):
            if state not in ("done",):
                self.bad("%s inbound rows are %s" % (n, state))

    def sink(self):
        kills = [int(x) for x in lines(self.d + "/kills")]
        rows = psql("SELECT message_id, state, idempotency_key FROM outbox WHERE channel = 'smtp'")
        outbox = {r[0]: r for r in rows}
        tickets = psql("SELECT count(*) FROM tickets WHERE subject LIKE 'fault %' AND type = 'request'")[0][0]
        acks = psql("SELECT count(*), count(DISTINCT ticket_id) FROM outbox WHERE idempotency_key LIKE 'ack:%'")[0]
        if acks[0] != tickets or acks[1] != tickets:
            self.bad("%s mail tickets but %s acknowledgements for %s tickets" % (tickets, acks[0], acks[1]))
        for mid, state, key in rows:
            if state != "sent":
                self.bad("outbox %s (%s) is %s" % (key, mid, state))
        got = {}
        for path in glob.glob(self.d + "/sink/*.eml"):
            raw = open(path, "rb").read()
            m = email.message_from_bytes(raw)
            body = re.sub(rb"^(X-Sink-[^\r\n]*\r\n)+", b"", raw)
            mid = (m["Message-ID"] or "").strip().strip("<>")
            came = int(os.path.basename(path).split("-")[1].split(".")[0])
            got.setdefault(mid, []).append((int(m["X-Sink-Started"]), came, body))
        resends = 0
        for mid, copies in got.items():
            copies.sort(key=lambda c: c[1])
            if mid not in outbox:
                self.bad("the sink got %s, which no outbox row holds" % mid)
            # A copy again is the SMTP window: the daemon sending the first
            # was killed after it began (maybe before the sink had read the
            # end of the data) and before the second came.
            for (s0, _, b0), (_, t1, b1) in zip(copies, copies[1:]):
                resends += 1
                if not any(s0 <= k <= t1 for k in kills):
                    self.bad("%s sent again with no kill between the two copies" % mid)
                if b0 != b1:
                    self.bad("%s sent again with other bytes" % mid)
        for mid in outbox:
            if mid not in got:
                self.bad("outbox %s marked sent but never reached the sink" % mid)
        self.fig["notifications"] = "%d sent, %d resent within the SMTP window" % (len(outbox), resends)

    def run(self):
        self.items()
        self.sources_drained()
        self.sink()
        for k, v in self.fig.items():
            print("# %s: %s" % (k, v))
        print("# items staged or acted on twice: %d" % self.dups)
        for p in self.problems[:50]:
            print("FAIL: %s" % p)
        return 1 if self.problems else 0


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "moments":
        moments(int(sys.argv[2]), int(sys.argv[3]))
    elif cmd == "load":
        Load(sys.argv[2], int(sys.argv[3])).run()
    elif cmd == "tally":
        sys.exit(Tally(sys.argv[2]).run())
