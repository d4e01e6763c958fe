#!/usr/bin/python3
"""syscalls.py UNIT TRACE...: what the unit's SystemCallFilter= would refuse.

Reads the unit's SystemCallFilter= lines (an allow list, then ~deny
lists), expands the @groups through `systemd-analyze syscall-filter`, and
prints every system call named in the strace -f output files that the
filter refuses, with a count; then every /proc path opened that
ProcSubset=pid hides (anything but /proc/self, /proc/thread-self and
/proc/PID). Exits 1 when it printed anything, 0 otherwise.
"""
import re
import subprocess
import sys


def groups():
    out = subprocess.run(["systemd-analyze", "syscall-filter"], check=True,
                         capture_output=True, text=True).stdout
    sets, cur = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            cur = sets.setdefault(line.strip(), [])
        elif cur is not None and line.strip() and not line.strip().startswith("#"):
            cur.append(line.strip())
    return sets


def expand(names, sets, seen=None):
    seen = set() if seen is None else seen
    out = set()
    for n in names:
        if n.startswith("@"):
            if n not in seen:
                seen.add(n)
                out |= expand(sets.get(n, []), sets, seen)
        else:
            out.add(n)
    return out


def unit_filter(path, sets):
    allow, deny = set(), set()
    for line in open(path):
        m = re.match(r"\s*SystemCallFilter=(~?)(.*)", line)
        if m:
            names = expand(m.group(2).split(), sets)
            if m.group(1):
                deny |= names
            else:
                allow |= names
    # systemd always lets a service exit and return from signals
    allow |= expand(["@default"], sets)
    return allow, deny


def main():
    sets = groups()
    allow, deny = unit_filter(sys.argv[1], sets)
    if not allow:
        print("no SystemCallFilter= allow list in %s" % sys.argv[1])
        return 1
    calls, procs = {}, {}
    call_re = re.compile(r"^\d+ +(?:<\.\.\. )?([a-z0-9_]+)[( ]")
    open_re = re.compile(r'^(\d+) +(?:open|openat|newfstatat|statx|stat|access|readlink)\(.*?"(/proc/[^"]*)"')
    for path in sys.argv[2:]:
        for line in open(path, errors="replace"):
            m = call_re.match(line)
            if m:   # "PID name(" or "PID <... name resumed>"
                calls[m.group(1)] = calls.get(m.group(1), 0) + 1
            m = open_re.match(line)
            if m and not re.match(r"/proc/(self|thread-self|\d+)(/|$)", m.group(2)):
                procs[m.group(2)] = procs.get(m.group(2), 0) + 1
    bad = 0
    for name in sorted(calls):
        if name not in allow or name in deny:
            print("refused by the unit: %s (%d calls)" % (name, calls[name]))
            bad += 1
    for p in sorted(procs):
        print("hidden by ProcSubset=pid: %s (%d times)" % (p, procs[p]))
        bad += 1
    print("# %d distinct system calls seen, %d refused or hidden" % (len(calls), bad),
          file=sys.stderr)
    return 1 if bad else 0


sys.exit(main())
