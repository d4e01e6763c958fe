#!/bin/sh
# run.sh: build bench_rules against the build tree and run it on one core.
# Usage: bench/rules/run.sh [CORPUS_DIR] [SECONDS] [nojit]   (from a configured, built tree)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${1:-$top/../shared/corpus/emails}
secs=${2:-5}
jit=${3:-jit}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/rules"
python3 "$top/bench/rules/gen_rules.py" "$tmp/rules/50-bench.yaml"
${CC:-cc} -O2 -std=gnu11 -include "$top/config.h" -I"$top/src" -o "$tmp/bench_rules" \
	"$top/bench/rules/bench_rules.c" "$top/src/libticketd.a" \
	$(pkg-config --cflags --libs libpcre2-8 yaml-0.1 jansson) -lpthread
taskset -c 0 "$tmp/bench_rules" "$tmp/rules" "$corpus" "$secs" "$jit"
