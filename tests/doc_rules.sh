#!/bin/sh
# doc_rules.sh: ticketd-rules(5) is lint-clean and documents every rule key,
# field, set field and operator that src/route/rules.c accepts (curl's test1139).
set -u
: "${top_srcdir:=.}"
man="$top_srcdir/doc/ticketd-rules.5"
src="$top_srcdir/src/route/rules.c $top_srcdir/src/route/rules_cond.c"
fails=0

if command -v mandoc >/dev/null 2>&1; then
	mandoc -Tlint -W warning "$man" || fails=$((fails + 1))
else
	echo "mandoc not installed: lint skipped"
fi

# Field names ({ "name", RULES_F_... }), every keys[] table, and the operators.
names=$( (cat $src | sed -n 's/.*{ "\([a-z_.]*\)", RULES_F_.*/\1/p'
	cat $src | awk '/keys\[\] = \{/,/\};/' | grep -o '"[a-z_]*"'
	cat $src | sed -n 's/^#define RULES_OPS "\(.*\)"$/\1/p' | tr ',' '\n'
	printf "all\nany\nnot\n") | tr -d '" ' | sed 's/\.$//' | sort -u)
[ -n "$names" ] || { echo "FAIL: no names extracted from $src"; exit 1; }
count=0
for n in $names; do
	count=$((count + 1))
	# The name must appear as a word on a macro line of the page.
	if ! grep -E "^\..*(^|[ ,])$(printf '%s' "$n" | sed 's/\./\\./g')([ ,]|$)" "$man" >/dev/null; then
		echo "FAIL: \"$n\" is accepted by rules.c but not documented in ticketd-rules.5"
		fails=$((fails + 1))
	fi
done
[ "$count" -ge 49 ] || { echo "FAIL: only $count names extracted"; fails=$((fails + 1)); }
[ "$fails" -eq 0 ] || exit 1
echo "doc_rules: $count names documented"
