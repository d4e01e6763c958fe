#!/bin/sh
# bench/scan/run.sh: scan throughput (MB/s) and engine memory over the
# attachments of the mails in the shared corpus. Run from the top of a
# configured and built tree (./configure && make):
#     sh bench/scan/run.sh [ROUNDS]
# CORPUS overrides the mail directory. Needs Debian's /usr/bin/python3.
# With clamd installed ($CLAMD or /usr/sbin/clamd) the clamd backend is
# measured too, against a private clamd on the EICAR database.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${top_builddir:-$top}
corpus=${CORPUS:-/work/shared/corpus/emails}
rounds=${1:-20}
py=/usr/bin/python3
tmp=$(mktemp -d /tmp/tk-scan-bench-XXXXXX)
clamd_pid=
cleanup() {
	[ -n "$clamd_pid" ] && kill "$clamd_pid" && wait "$clamd_pid" || :
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir "$tmp/att" "$tmp/db-eicar" "$tmp/db-synth"
$py "$top/bench/scan/extract.py" "$corpus" "$tmp/att"
# The EICAR test file joins the set: each round must report one infection.
printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' > "$tmp/att/eicar.com"
echo '44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature' > "$tmp/db-eicar/test.hdb"
# A synthetic database of realistic size for the pattern matcher: 100,000
# hash signatures and 20,000 body (hex pattern) signatures, random.
cp "$tmp/db-eicar/test.hdb" "$tmp/db-synth/"
$py - "$tmp/db-synth" <<'PY'
import os, random, sys
r = random.Random(1)
d = sys.argv[1]
with open(os.path.join(d, 'synth.hdb'), 'w') as f:
    for i in range(100000):
        f.write('%032x:%d:Bench.Hash.%d\n' % (r.getrandbits(128), r.randint(100, 10**6), i))
with open(os.path.join(d, 'synth.ndb'), 'w') as f:
    for i in range(20000):
        f.write('Bench.Body.%d:0:*:%s\n' % (i, '%032x' % r.getrandbits(128)))
PY

cc -O2 -include "$build/config.h" $(for d in "$top"/src/*/; do printf -- "-I%s " "$d"; done) "$top/bench/scan/scan_bench.c" \
	"$build/src/libticketd.a" $(pkg-config --libs libclamav libmagic libytnef yaml-0.1) \
	-lpthread -o "$tmp/scan_bench"

b="$tmp/scan_bench"
echo "== scanning off (libmagic typing + limits only)"
"$b" "$tmp/db-eicar" "$rounds" 1 off "$tmp"/att/*
echo "== libclamav, EICAR-only database"
"$b" "$tmp/db-eicar" "$rounds" 1 clamav "$tmp"/att/*
"$b" "$tmp/db-eicar" "$rounds" 2 clamav "$tmp"/att/*
echo "== libclamav, synthetic database (100k hash + 20k body signatures)"
"$b" "$tmp/db-synth" "$rounds" 1 clamav "$tmp"/att/*
"$b" "$tmp/db-synth" "$rounds" 2 clamav "$tmp"/att/*

clamd=${CLAMD:-/usr/sbin/clamd}
if [ -x "$clamd" ]; then
	printf 'LocalSocket %s\nDatabaseDirectory %s\nForeground yes\nLogFile %s\n' \
		"$tmp/clamd.sock" "$tmp/db-eicar" "$tmp/clamd.log" > "$tmp/clamd.conf"
	"$clamd" -c "$tmp/clamd.conf" >/dev/null 2>&1 &
	clamd_pid=$!
	i=0
	while [ ! -S "$tmp/clamd.sock" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	echo "== clamd (INSTREAM over a unix socket), EICAR-only database"
	"$b" "$tmp/clamd.sock" "$rounds" 1 clamd "$tmp"/att/*
	"$b" "$tmp/clamd.sock" "$rounds" 2 clamd "$tmp"/att/*
else
	echo "== clamd not found ($clamd): clamd backend not measured"
fi
