#!/bin/sh
# doc_config.sh: every man page is lint-clean, and ticketd.conf(5) documents
# every key the config loader accepts (src/core/config.c all_keys).
set -u
: "${top_srcdir:=.}"
fails=0
for man in "$top_srcdir"/doc/*.[58]; do
	mandoc -Tlint -W warning "$man" || fails=$((fails + 1))
done
keys=$(for f in core/config.c intake/http_config.c sla/sla_config.c agent/agent_config.c \
	report/report_config.c; do
	awk '/all_keys\[\] = \{/,/NULL/' "$top_srcdir/src/$f" | grep -o '"[a-z_.]*"' | tr -d '"'
done)
count=0
for k in $keys; do
	count=$((count + 1))
	grep -q "Ic $(printf '%s' "$k" | sed 's/\./\\./g')\\( \\|$\\)" "$top_srcdir/doc/ticketd.conf.5" || {
		echo "FAIL: config key \"$k\" is not documented in doc/ticketd.conf.5"
		fails=$((fails + 1))
	}
done
[ "$count" -ge 30 ] || { echo "FAIL: only $count keys extracted"; fails=$((fails + 1)); }
[ "$fails" -eq 0 ] || exit 1
echo "doc_config: $count keys documented, man pages lint-clean"
