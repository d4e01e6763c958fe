#!/usr/bin/python3
"""soak.py: keep a running ticketd fed for a long run and watch its RSS.

    soak.py CORPUS_DIR MAILDIR DSN PID TOTAL [ROUND]

Writes the corpus (gen_corpus.py output: new/ then reply/) into MAILDIR/new
again and again, each round with fresh Message-IDs (and matching
In-Reply-To/References), never more than ROUND files ahead of the daemon,
until TOTAL messages were processed. Prints one line per round: messages
processed so far, msg/s over the round, daemon RSS (KiB).
"""
import os, re, subprocess, sys, time

corpus, maildir, dsn, pid, total = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
round_size = int(sys.argv[6]) if len(sys.argv) > 6 else 10000
files = []
for kind in ('new', 'reply'):
    d = os.path.join(corpus, kind)
    files += [open(os.path.join(d, f), 'rb').read() for f in sorted(os.listdir(d)) if f.endswith('.eml')]
ids = re.compile(rb'<([^<>@\s]+@[^<>\s]+)>')

def processed():
    # Cheap on purpose (indexes only: the newest id, the pending rows): a
    # count over a million-row inbound five times a second would load the
    # server more than what is measured. Ids count staged rows (no gaps:
    # staging does not roll back here).
    out = subprocess.run(['psql', '-XAtq', dsn, '-c',
                          "SELECT coalesce((SELECT max(id) FROM inbound), 0) - "
                          "(SELECT count(*) FROM inbound WHERE state = 'pending')"],
                         capture_output=True, text=True, check=True).stdout
    return int(out.strip())

def rss():
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS'):
                return int(line.split()[1])
    return 0

written, r, samples = 0, 0, []
t_round = time.time(); done_round = 0
while written < total:
    r += 1
    tag = b'r%d.' % r
    for i, data in enumerate(files):
        if written >= total:
            break
        head, sep, body = data.partition(b'\n\n')
        head = ids.sub(lambda m: b'<' + tag + m.group(1) + b'>', head)
        tmp = os.path.join(maildir, 'tmp', 'r%d-%d' % (r, i))
        with open(tmp, 'wb') as f:
            f.write(head + sep + body)
        os.rename(tmp, os.path.join(maildir, 'new', 'r%d-%d' % (r, i)))
        written += 1
    while processed() < written:
        time.sleep(0.2)
    now = time.time(); p = processed()
    kib = rss()
    samples.append((p, kib))
    print('round %d: %d processed, %.0f msg/s, RSS %d KiB' % (r, p, (p - done_round) / (now - t_round), kib),
          flush=True)
    t_round, done_round = now, p
first = samples[0][1]; last = samples[-1][1]; peak = max(s[1] for s in samples)
print('RSS after the first round %d KiB, after the last %d KiB (%+.1f%%), peak %d KiB' %
      (first, last, 100.0 * (last - first) / first, peak))
