#!/bin/sh
# run.sh: run one libFuzzer target of tests/fuzz/ (README.md there).
#
#   run.sh tests/fuzz/NAME.fuzz
#
# NAME.fuzz describes the target (sourced here): seeds (file globs under
# the source tree), max_len, dict (a libFuzzer dictionary in tests/fuzz/), and tsv (an endpoint of
# tests/data/hooks/validate.tsv whose bodies are seeds too); the files of
# tests/fuzz/seed/NAME/ are seeds as well. First every input of the
# regression corpus tests/fuzz/regress/NAME/ runs once, then the fuzzer
# runs from the seeds:
#   FUZZ_MODE=check (the suite): FUZZ_CHECK_TIME seconds (default 5), in a
#     scratch corpus;
#   FUZZ_MODE=long (make fuzz): FUZZ_TIME seconds (default 60), growing the
#     corpus kept in the build tree (tests/fuzz/corpus/NAME).
# A crash, leak, sanitizer report, broken property or slow input fails the
# run; the input is saved under tests/fuzz/crashes/NAME/ in the build tree
# and printed in base64 in the log, so that a CI log alone can replay it.
# Exit 77 (skipped) when configure found no clang with libFuzzer.
set -eu
: "${top_srcdir:?top_srcdir must be set (run through make check or make fuzz)}"
: "${top_builddir:?top_builddir must be set}"
desc=$1
name=$(basename "$desc" .fuzz)
mode=${FUZZ_MODE:-check}

if [ "${HAVE_FUZZ:-no}" != yes ]; then
	echo "SKIP: fuzz target $name: configure found no clang that links -fsanitize=fuzzer" \
		"(Debian: apt-get install clang-14 libclang-rt-14-dev, then ./configure again)"
	exit 77
fi
bin=$top_builddir/tests/fuzz/fuzz_$name
[ -x "$bin" ] || { echo "FAIL: $bin is not built (make $bin)"; exit 1; }

seeds= max_len=4096 tsv= dict=
# shellcheck disable=SC1090
. "$desc"

work=$(mktemp -d "${TMPDIR:-/tmp}/ticketd-fuzz-$name.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir "$work/seed" "$work/corpus"
for g in $seeds; do
	for f in "$top_srcdir"/$g; do
		[ -f "$f" ] && cp "$f" "$work/seed/$(echo "${f#"$top_srcdir"/}" | tr / _)"
	done
done
if [ -d "$top_srcdir/tests/fuzz/seed/$name" ]; then
	cp "$top_srcdir/tests/fuzz/seed/$name"/* "$work/seed/" 2>/dev/null || true
fi
if [ -n "$tsv" ]; then
	awk -F '\t' -v ep="$tsv" -v dir="$work/seed" \
		'$1 == ep && NF >= 3 { f = sprintf("%s/tsv-%03d.json", dir, NR); printf "%s", $3 >f; close(f) }' \
		"$top_srcdir/tests/data/hooks/validate.tsv"
fi

crashes=$top_builddir/tests/fuzz/crashes/$name
mkdir -p "$crashes"
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0:handle_abort=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan.supp:print_suppressions=0"
# libFuzzer's own exit code for a finding is 77, which automake reads as
# "skipped": every finding must exit 1.
common="-error_exitcode=1 -timeout_exitcode=1 -rss_limit_mb=2048 -max_len=$max_len"
[ -z "$dict" ] || common="$common -dict=$top_srcdir/tests/fuzz/$dict"

show_crashes() {
	find "$crashes" -type f -newer "$work/seed" | while read -r c; do
		echo "# input $c (base64; replay: base64 -d >in && $bin in):"
		base64 -w 76 "$c"
	done
}

start=$(date +%s)
set -- "$top_srcdir/tests/fuzz/regress/$name"/*
if [ -f "$1" ]; then
	echo "# $name: regression corpus, $# inputs"
	# shellcheck disable=SC2086
	if ! "$bin" $common -timeout=60 -artifact_prefix="$crashes/" "$@" >"$work/regress.log" 2>&1; then
		cat "$work/regress.log"
		echo "FAIL: $name: an input of the regression corpus fails again"
		exit 1
	fi
fi

if [ "$mode" = long ]; then
	time=${FUZZ_TIME:-60} timeout=20 corpus=$top_builddir/tests/fuzz/corpus/$name
	mkdir -p "$corpus"
else
	time=${FUZZ_CHECK_TIME:-5} timeout=60 corpus=$work/corpus
fi
echo "# $name: fuzzing for ${time}s from $(ls "$work/seed" | wc -l) seeds ($mode)"
rc=0
# shellcheck disable=SC2086
"$bin" $common -timeout="$timeout" -max_total_time="$time" -print_final_stats=1 \
	-artifact_prefix="$crashes/" "$corpus" "$work/seed" >"$work/fuzz.log" 2>&1 || rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
cov=$(grep -o 'cov: [0-9]*' "$work/fuzz.log" | tail -n 1)
echo "# $name: ${runs:-?} executions, ${cov:-cov: ?}, corpus $(ls "$corpus" | wc -l)," \
	"$(( $(date +%s) - start ))s in all"
if [ "$rc" -ne 0 ]; then
	tail -n 80 "$work/fuzz.log"
	show_crashes
	echo "FAIL: $name: the fuzzer found a problem (exit $rc); once fixed, add the input to" \
		"tests/fuzz/regress/$name/"
	exit 1
fi
