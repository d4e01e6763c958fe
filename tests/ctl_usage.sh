#!/bin/sh
# ctl_usage.sh: ticketctl and ticketd behave the same everywhere, without a
# database: -h/--help on every command and subcommand prints its usage on
# stdout and exits 0 (without running it); help and --version; unknown
# options and bad values are errors that name the option.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
ctl="$top_builddir/src/ticketctl"
daemon="$top_builddir/src/ticketd"
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
# No database and no configuration: a command that ran would fail another way.
unset TICKETD_DSN TICKETD_CONFIG
export TICKETD_CONFIG=/nonexistent/ticketd.yaml

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# ok_help ARGS...: exit 0, a usage line on stdout, nothing on stderr.
ok_help() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc = 0 ] || fail "$* exited $rc: $(cat "$tmp/err")"
	grep -q '^usage: ' "$tmp/out" || fail "$*: no usage on stdout: $(head -3 "$tmp/out")"
	[ ! -s "$tmp/err" ] || fail "$*: wrote to stderr: $(cat "$tmp/err")"
}

# bad_use PATTERN ARGS...: exit 1 and PATTERN (fixed string) on stderr.
bad_use() {
	pat=$1; shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc = 1 ] || fail "$* exited $rc, expected 1"
	grep -qF -- "$pat" "$tmp/err" || fail "$*: stderr lacks '$pat': $(cat "$tmp/err")"
}

commands="list show search set comment merge ack ingest migrate parse
inbound_list inbound_show inbound_retry outbox_list outbox_show outbox_retry
attachment_get rules_test rules_check"
for c in $commands; do
	words=$(echo "$c" | tr _ ' ')
	# shellcheck disable=SC2086
	for h in -h --help; do ok_help "$ctl" $words $h; done
	# shellcheck disable=SC2086
	ok_help "$ctl" help $words
	# shellcheck disable=SC2086
	"$ctl" $words --help | head -n 1 | grep -qF "usage: ticketctl $words" ||
		fail "$words --help does not name the command"
done
# Groups and the tool itself.
for g in inbound outbox attachment rules; do ok_help "$ctl" $g --help; ok_help "$ctl" help $g; done
ok_help "$ctl" --help
ok_help "$ctl" -h
ok_help "$ctl" help
"$ctl" --version >"$tmp/v" 2>&1 || fail "ticketctl --version"
grep -q '^ticketctl [0-9]' "$tmp/v" || fail "ticketctl --version: $(cat "$tmp/v")"
ok_help "$daemon" --help
ok_help "$daemon" -h
"$daemon" --version >"$tmp/v" 2>&1 || fail "ticketd --version"
grep -q '^ticketd [0-9]' "$tmp/v" || fail "ticketd --version: $(cat "$tmp/v")"

# --help after other arguments still prints the usage and runs nothing.
ok_help "$ctl" inbound list --state failed --help
ok_help "$ctl" ingest --mailbox x --help

# Unknown options, missing and bad values.
bad_use "unknown option --all" "$ctl" inbound list --all
bad_use "unknown option --frobnicate" "$ctl" list --frobnicate
bad_use "unknown option --bogus" "$ctl" show --bogus 1
bad_use '"5abc" is not a number' "$ctl" list --limit 5abc
bad_use '"99999999999" is not a number' "$ctl" list --limit 99999999999
bad_use '"0" is not a number' "$ctl" inbound list --limit 0
bad_use '"-3" is not a number' "$ctl" outbox list --limit -3
bad_use '"opne" is not one of' "$ctl" list --status opne
bad_use '"faild" is not one of' "$ctl" inbound list --state faild
bad_use '"deadd" is not one of' "$ctl" outbox list --state deadd
bad_use "--limit needs a value" "$ctl" list --limit
bad_use '"soon" is not a duration' "$ctl" list --due-within soon
bad_use '"2026-13-45" is not a date' "$ctl" list --since 2026-13-45
bad_use "--json takes no value" "$ctl" list --json=yes
bad_use "--mailbox NAME is required" "$ctl" ingest
bad_use "missing NUMBER" "$ctl" show
bad_use 'unexpected argument "2"' "$ctl" show 1 2
bad_use '"abc" is not an id' "$ctl" inbound retry abc
bad_use "name the items" "$ctl" inbound retry
bad_use 'unknown command "frob"' "$ctl" inbound frob
bad_use 'unknown command "frob"' "$ctl" frob
bad_use '"color" is not a field' "$ctl" set 1 color red
bad_use "unrecognized option" "$daemon" --frobnicate

# libpq's errors reach the terminal as written: its quotes, and its hint on
# a line of its own (they used to become '?').
env -u TICKETD_CONFIG TICKETD_DSN="host=/nonexistent/sock dbname=x connect_timeout=2" \
	"$ctl" list >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 75 ] || fail "list without a database exited $rc, expected 75"
grep -qF 'socket "/nonexistent/sock/.s.PGSQL.5432" failed' "$tmp/err" ||
	fail "the libpq error lost its quotes: $(cat "$tmp/err")"
grep -q '^[[:space:]]*Is the server running' "$tmp/err" ||
	fail "the libpq hint is not on its own line: $(cat "$tmp/err")"

[ $fails = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "ok"
