#!/bin/sh
# run.sh: build bench_rules in the (configured) tree and run it on one core.
# Usage: bench/rules/run.sh [CORPUS_DIR] [SECONDS] [nojit]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${1:-$top/../shared/corpus/emails}
secs=${2:-5}
jit=${3:-jit}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/rules"
python3 "$top/bench/rules/gen_rules.py" "$tmp/rules/50-bench.yaml"
make -C "$top" -s bench/rules/bench_rules
taskset -c 0 "$top/bench/rules/bench_rules" "$tmp/rules" "$corpus" "$secs" "$jit"
