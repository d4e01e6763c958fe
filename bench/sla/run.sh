#!/bin/sh
# run.sh: build bench_calendar with -O2 (no sanitizers, whatever the tree was
# configured with) and run it pinned to CPU 0.
# Usage: bench/sla/run.sh [ROUNDS]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2046
${CC:-cc} -std=gnu11 -O2 -g -D_GNU_SOURCE -o "$tmp/bench_calendar" \
	-I"$top/src/lib" -I"$top/src/sla" \
	"$top/bench/sla/bench_calendar.c" \
	"$top/src/sla/sla_calendar.c" "$top/src/sla/sla_calendar_load.c" \
	"$top/src/lib/civil.c" "$top/src/lib/tzone.c" "$top/src/lib/ynode.c" "$top/src/lib/err.c" \
	"$top/src/lib/xalloc.c" "$top/src/lib/buf.c" \
	$(pkg-config --cflags --libs glib-2.0 yaml-0.1)
taskset -c 0 "$tmp/bench_calendar" "${1:-5}"
