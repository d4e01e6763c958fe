#!/bin/sh
# 020-parse-corpus.sh: `ticketctl parse --json` on every message of the
# in-repo corpus (tests/data/corpus, a copy of shared/corpus/emails with its
# README and SOURCES.tsv), compared key by key with the reference values.
# Fails when any parse crashes or takes over 10 s, or when fewer than 95%
# of the messages agree on every key (see parse-corpus.py for the rules).
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
corpus="$top_srcdir/tests/data/corpus"
if [ ! -f "$corpus/expected.jsonl" ]; then
	echo "missing corpus: $corpus/expected.jsonl" >&2
	exit 1
fi
ctl="$top_builddir/src/ticketctl"
one="$corpus/php-mime-mail-parser__m0001.eml"
# The command line: stdin, the summary, usage errors.
"$ctl" parse --json - < "$one" | /usr/bin/python3 -c 'import json,sys; json.load(sys.stdin)'
"$ctl" parse "$one" | grep -q '^Subject:'
if "$ctl" parse 2>/dev/null; then echo "parse without FILE succeeded" >&2; exit 1; fi
if "$ctl" parse --json /nonexistent/x.eml 2>/dev/null; then echo "missing FILE succeeded" >&2; exit 1; fi
if printf '' | "$ctl" parse - 2>/dev/null; then echo "empty input succeeded" >&2; exit 1; fi
exec /usr/bin/python3 "$top_srcdir/tests/integration/parse-corpus.py" \
	--min-agree 0.95 --timeout 10 \
	"$top_builddir/src/ticketctl" "$corpus"
