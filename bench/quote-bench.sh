#!/bin/sh
# quote-bench.sh: build and run the reply-stripping benchmark (see README.md).
# Usage: bench/quote-bench.sh [SIZE_BYTES]   (default 20000; run from the build tree)
set -e
make bench/quote_bench >/dev/null
QB_SIZE=${1:-20000} ./bench/quote_bench
