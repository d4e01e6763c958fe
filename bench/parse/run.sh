#!/bin/sh
# run.sh: build bench_parse against the built src/libticketd.a and run it.
#   bench/parse/run.sh [ROUNDS] [DIR...]
# Default: 200 rounds over tests/data/corpus, then (when python3 is there)
# 20 rounds over 2,000 synthetic support mails from
# $GEN_CORPUS or ../shared/bench/gen_corpus.py when present.
# Build ticketd first without sanitizers (./configure && make).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out="$top/bench/out"
mkdir -p "$out"
pkgs="libetpan libxml-2.0 libcrypto"
cc -O2 -include "$top/config.h" $(for d in "$top"/src/*/; do printf -- "-I%s " "$d"; done) $(pkg-config --cflags $pkgs) \
	"$here/bench_parse.c" "$top/src/libticketd.a" $(pkg-config --libs $pkgs) \
	-o "$out/bench_parse"
rounds=${1:-200}
[ $# -gt 0 ] && shift
if [ $# -gt 0 ]; then
	exec "$out/bench_parse" "$rounds" "$@"
fi
echo "== corpus (tests/data/corpus)"
"$out/bench_parse" "$rounds" "$top/tests/data/corpus"
gen=""
for g in "${GEN_CORPUS:-}" "$top/../shared/bench/gen_corpus.py" "$top/../../shared/bench/gen_corpus.py"; do
	[ -f "$g" ] && gen=$g && break
done
if [ -n "$gen" ]; then
	[ -d "$out/synth" ] || /usr/bin/python3 "$gen" 2000 1 "$out/synth" >/dev/null
	echo "== synthetic support mail (gen_corpus.py 2000 1)"
	"$out/bench_parse" 20 "$out/synth"
fi
