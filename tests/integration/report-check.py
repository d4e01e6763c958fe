#!/usr/bin/python3
"""report-check.py TICKETCTL FROM TO: run every report in every format over
[FROM, TO) (Unix seconds) and check each figure against what this script
computes itself from the raw rows (read with psql: $TICKETD_DSN), with its
own arithmetic (percentiles by linear interpolation, rounding half away
from zero), not the report's SQL. Prints one line per check group; exits 1
at the first difference, saying where."""
import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from fractions import Fraction
from zoneinfo import ZoneInfo

CTL, FROM, TO = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
DSN = os.environ["TICKETD_DSN"]
PSQL = os.path.join(os.environ["PG_BINDIR"], "psql")
OPEN = ("new", "open", "in_progress", "pending", "reopened")


def sql(q):
    out = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", DSN,
                          "-c", q], check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def num(v):
    return None if v == "" else int(v)


def fail(what):
    print("FAIL: " + what)
    sys.exit(1)


def check(what, got, want):
    if got != want:
        fail("%s: report says %r, expected %r" % (what, got, want))


def half_up(x, places=0):
    """round half away from zero, as PostgreSQL's numeric round (x >= 0)"""
    q = Fraction(10) ** places
    v = (Fraction(x) * q + Fraction(1, 2)).__floor__()
    return Fraction(v) / q


def pct(values, p):
    v = sorted(values)
    if not v:
        return None
    pos = Fraction(p) * (len(v) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return Fraction(v[lo]) + (Fraction(v[hi]) - Fraction(v[lo])) * (pos - lo)


def ctl(kind, fmt, *extra):
    args = [CTL, "report", kind, "--from", iso(FROM), "--to", iso(TO), "--format", fmt] + list(extra)
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        fail("%s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr))
    return r.stdout


def iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# The raw rows.
T = []
for r in sql("SELECT t.id, n.name, t.queue, t.priority, t.status, coalesce(a.name, ''), "
             "extract(epoch FROM t.created_at)::bigint, "
             "coalesce(extract(epoch FROM t.first_response_at)::bigint::text, ''), "
             "coalesce(extract(epoch FROM t.resolved_at)::bigint::text, ''), "
             "coalesce(extract(epoch FROM t.closed_at)::bigint::text, ''), "
             "(t.reopened_at IS NOT NULL)::int, coalesce(t.sla_applied, ''), "
             "coalesce(t.sla_response_target_s::text, ''), coalesce(t.sla_resolution_target_s::text, ''), "
             "coalesce(t.response_left_s::text, ''), coalesce(t.resolution_left_s::text, ''), "
             "t.response_breached::int, t.resolution_breached::int, coalesce(t.csat_score::text, ''), "
             "coalesce(extract(epoch FROM t.csat_at)::bigint::text, ''), coalesce(s.name, '-'), "
             "coalesce(t.category, '-') FROM tickets t JOIN tenants n ON n.id = t.tenant_id "
             "LEFT JOIN agents a ON a.id = t.assignee_id LEFT JOIN sources s ON s.id = t.source_id"):
    T.append(dict(id=int(r[0]), tenant=r[1], queue=r[2], priority=r[3], status=r[4], agent=r[5],
                  created=int(r[6]), first=num(r[7]), resolved=num(r[8]), closed=num(r[9]),
                  reopened=r[10] == "1", sla=r[11], rt=num(r[12]), st=num(r[13]), rleft=num(r[14]),
                  sleft=num(r[15]), rb=r[16] == "1", sb=r[17] == "1", csat=num(r[18]),
                  csat_at=num(r[19]), source=r[20], category=r[21]))
EVENTS = [(int(r[0]), r[1], int(r[2])) for r in
          sql("SELECT ticket_id, new_value, extract(epoch FROM created_at)::bigint FROM ticket_events "
              "WHERE action = 'assignee' AND new_value IS NOT NULL")]
AGENTS = [r[0] for r in sql("SELECT name FROM agents ORDER BY name")]
NOW = int(sql("SELECT extract(epoch FROM now())::bigint")[0][0])


def done_at(t):
    return t["resolved"] if t["resolved"] is not None else t["closed"]


def done_in(t, tenant=None, queue=None):
    d = done_at(t)
    return (t["status"] in ("resolved", "closed") and d is not None and FROM <= d < TO and
            (tenant is None or t["tenant"] == tenant) and (queue is None or t["queue"] == queue))


def frt(t):
    if t["first"] is None:
        return None
    if t["sla"] and t["rleft"] is not None:
        return t["rt"] - t["rleft"]
    return t["first"] - t["created"]


def res_time(t):
    if t["sla"] and t["sleft"] is not None:
        return t["st"] - t["sleft"]
    return done_at(t) - t["created"]


def fmt(v, places=None):
    """a figure as CSV shows it"""
    if v is None:
        return ""
    if places is None:
        return str(int(half_up(v)))
    q = half_up(v, places)
    return ("%%.%df" % places) % q


def expected_agents(tenant=None, queue=None):
    rows = []
    sel = lambda t: (tenant is None or t["tenant"] == tenant) and (queue is None or t["queue"] == queue)
    byid = {t["id"]: t for t in T}
    for name in AGENTS + ["(unassigned)"]:
        who = "" if name == "(unassigned)" else name
        done = [t for t in T if done_in(t, tenant, queue) and t["agent"] == who]
        rated = [t for t in T if sel(t) and t["agent"] == who and t["csat_at"] is not None and
                 FROM <= t["csat_at"] < TO]
        if who == "" and not done and not rated:
            continue
        assigned = sum(1 for (tid, a, at) in EVENTS if a == name and FROM <= at < TO and sel(byid[tid]))
        f = [frt(t) for t in done if frt(t) is not None]
        r = [res_time(t) for t in done]
        with_sla = [t for t in done if t["sla"]]
        met = [t for t in with_sla if not (t["rb"] or t["sb"])]
        rows.append([name, str(assigned), str(len(done)), fmt(pct(f, "0.5")), fmt(pct(f, "0.9")),
                     fmt(pct(r, "0.5")), fmt(pct(r, "0.9")),
                     fmt(Fraction(100 * len(met), len(with_sla)), 1) if with_sla else "",
                     fmt(Fraction(sum(t["csat"] for t in rated), len(rated)), 2) if rated else "",
                     str(len(rated)),
                     fmt(Fraction(100 * sum(t["reopened"] for t in done), len(done)), 1) if done else ""])
    return rows


RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def expected_sla():
    groups = {}
    for t in T:
        if done_in(t) and t["sla"]:
            groups.setdefault((t["queue"], t["priority"]), []).append(t)
    rows = []

    def row(q, p, ts):
        both = sum(1 for t in ts if not (t["rb"] or t["sb"]))
        return [q, p, str(len(ts)), str(sum(1 for t in ts if not t["rb"])),
                str(sum(1 for t in ts if not t["sb"])), fmt(Fraction(100 * both, len(ts)), 1)]
    for (q, p) in sorted(groups, key=lambda k: (k[0], RANK[k[1]])):
        rows.append(row(q, p, groups[(q, p)]))
    everything = [t for ts in groups.values() for t in ts]
    rows.append(row("(all)", "(all)", everything) if everything else ["(all)", "(all)", "0", "0", "0", ""])
    return rows


def expected_backlog():
    order = ["new", "open", "reopened", "in_progress", "pending"]
    rows = []
    openers = [t for t in T if t["status"] not in ("resolved", "closed")]

    def buckets(ts):
        b = [0] * 5
        for t in ts:
            age = NOW - t["created"]
            b[0 if age < 86400 else 1 if age < 3 * 86400 else 2 if age < 7 * 86400 else
              3 if age < 30 * 86400 else 4] += 1
        return [str(x) for x in b] + [str(len(ts))]
    for s in order:
        ts = [t for t in openers if t["status"] == s]
        if ts:
            rows.append([s] + buckets(ts))
    rows.append(["(all)"] + buckets(openers))
    return rows


def expected_volume(tz):
    z = ZoneInfo(tz)
    counts = {}
    for t in T:
        if FROM <= t["created"] < TO:
            day = datetime.fromtimestamp(t["created"], z).strftime("%Y-%m-%d")
            k = (day, t["source"], t["category"])
            counts[k] = counts.get(k, 0) + 1
    return [[d, s, c, str(n)] for (d, s, c), n in sorted(counts.items())]


def expected_csat():
    rated = [t for t in T if t["csat_at"] is not None and FROM <= t["csat_at"] < TO]

    def row(q, ts):
        if not ts:
            return [q, "0", "", "0", "0", "0", "0", "0", ""]
        return ([q, str(len(ts)), fmt(Fraction(sum(t["csat"] for t in ts), len(ts)), 2)] +
                [str(sum(1 for t in ts if t["csat"] == s)) for s in range(1, 6)] +
                [fmt(Fraction(100 * sum(1 for t in ts if t["csat"] >= 4), len(ts)), 1)])
    rows = [row(q, [t for t in rated if t["queue"] == q]) for q in sorted({t["queue"] for t in rated})]
    rows.append(row("(all)", rated))
    return rows


def csv_rows(text):
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


def json_as_csv(doc, cols):
    out = []
    for r in doc["rows"]:
        line = []
        for c in cols:
            v = r[c]
            if v is None:
                line.append("")
            elif isinstance(v, float):
                line.append(None)   # compared below as numbers
                line[-1] = v
            else:
                line.append(str(v))
        out.append(line)
    return out


def same_numbers(got, want, what):
    if len(got) != len(want):
        fail("%s: %d rows, expected %d" % (what, len(got), len(want)))
    for g, w in zip(got, want):
        for a, b in zip(g, w):
            if isinstance(a, float):
                if b == "" or abs(a - float(b)) > 1e-9:
                    fail("%s: row %r: %r, expected %r" % (what, g, a, b))
            elif a != b:
                fail("%s: row %r: %r, expected %r" % (what, g, a, b))


def all_formats(kind, want, extra=(), label=None):
    label = label or kind
    cols, rows = csv_rows(ctl(kind, "csv", *extra))
    check(label + " csv", rows, want)
    doc = json.loads(ctl(kind, "json", *extra))
    check(label + " json report", doc["report"], kind)
    check(label + " json period", (doc["from"], doc["to"]), (FROM, TO))
    same_numbers(json_as_csv(doc, cols), want, label + " json")
    table = ctl(kind, "table", *extra).splitlines()
    check(label + " table header", table[2].split(), cols)
    check(label + " table rows", len(table) - 3, len(want) if want else 1)
    for line, w in zip(table[3:], want):
        if line.split()[0] != w[0].split()[0]:
            fail("%s table: row %r, expected it to start with %r" % (label, line, w[0]))
    print("ok %s: %d rows in csv, json and table" % (label, len(want)))


all_formats("agents", expected_agents())
all_formats("agents", expected_agents(queue="billing"), ("--queue", "billing"), "agents --queue billing")
all_formats("agents", expected_agents(tenant="acme"), ("--tenant", "acme"), "agents --tenant acme")
all_formats("sla", expected_sla())
all_formats("backlog", expected_backlog())
all_formats("volume", expected_volume("UTC"))
all_formats("volume", expected_volume("Europe/Berlin"), ("--tz", "Europe/Berlin"), "volume --tz")
all_formats("csat", expected_csat())
