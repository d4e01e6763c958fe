#!/bin/sh
# summary.sh TEST-SUITE-LOG: print the automake test counts as one plain
# closing line ("N passed, N failed, N skipped").
log=${1:-test-suite.log}
[ -f "$log" ] || { echo "0 passed, 1 failed"; exit 0; }
count() { sed -n "s/^# $1: *//p" "$log" | head -n 1; }
pass=$(count PASS); fail=$(count FAIL); err=$(count ERROR); skip=$(count SKIP)
echo "${pass:-0} passed, $(( ${fail:-0} + ${err:-0} )) failed, ${skip:-0} skipped"
