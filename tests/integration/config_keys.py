#!/usr/bin/python3
"""config_keys.py EXAMPLE SRC...: every configuration key appears in EXAMPLE.

The keys are the all_keys[] lists of the C sources given (as
tests/doc_config.sh reads them). A key path a.b.c appears when the top-level
section a is there (set or commented out, "a:" or "#a:") and, inside that
section, c is written as a YAML key (at a line's start after an optional
"#", spaces and "- ", or after "{" or "," in a flow mapping), set or
commented out. Prints what is missing and exits 1; 0 when complete.
"""
import re
import sys

example, sources = sys.argv[1], sys.argv[2:]
keys = []
for src in sources:
    text = open(src).read()
    m = re.search(r"all_keys\[\] = \{(.*?)NULL", text, re.S)
    if m:
        keys += re.findall(r'"([a-z_.]+)"', m.group(1))
sections, cur = {}, None
for line in open(example):
    m = re.match(r"#?([a-z_]+):", line)
    if m:
        cur = m.group(1)
        sections.setdefault(cur, [])
    if cur:
        sections[cur].append(line)
missing = []
for k in keys:
    parts = k.split(".")
    if parts[0] not in sections:
        missing.append(k)
        continue
    if len(parts) == 1:
        continue
    leaf = re.escape(parts[-1])
    pat = re.compile(r"(?:^\s*#?\s*(?:-\s+)?|[{,]\s*)" + leaf + r":")
    if not any(pat.search(l) for l in sections[parts[0]]):
        missing.append(k)
for k in missing:
    print("not in %s: %s" % (example, k))
print("# %d keys, %d missing" % (len(keys), len(missing)), file=sys.stderr)
sys.exit(1 if missing or len(keys) < 30 else 0)
