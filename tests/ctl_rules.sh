#!/bin/sh
# ctl_rules.sh: `ticketctl rules check` and `ticketctl rules test` end to end,
# on the shipped rules/ and the inputs of tests/data/rules/. Needs no database.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
ctl="$top_builddir/src/ticketctl"
rules="$top_srcdir/rules"
data="$top_srcdir/tests/data/rules"
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# expect FILE PATTERN: FILE must contain the fixed string PATTERN.
expect() { grep -qF -- "$2" "$1" || { fail "$1 lacks: $2"; sed 's/^/  | /' "$1"; }; }

"$ctl" rules check --rules "$rules" >"$tmp/out" 2>&1 || fail "rules check on shipped rules"
expect "$tmp/out" "rules, OK"

# An auto-reply is dropped.
"$ctl" rules test --rules "$rules" --json "$data/autoreply.eml" >"$tmp/ar" || fail "test autoreply"
expect "$tmp/ar" '"dropped": true'
expect "$tmp/ar" '"drop-auto-replies"'

# A plain request reaches the fallback rule (type request; the mailbox keeps its
# own queue); the text trace names the rules tried.
"$ctl" rules test --rules "$rules" --source imap --mailbox support "$data/plain.eml" >"$tmp/pl" ||
	fail "test plain"
expect "$tmp/pl" "rule drop-auto-replies ("
expect "$tmp/pl" "rule fallback-mail ("
expect "$tmp/pl" "type        request"
if grep -q "queue       general" "$tmp/pl"; then fail "mail fallback must not override the mailbox queue"; fi

# Alertmanager: two alerts, severity mapped to priority.
"$ctl" rules test --rules "$rules" --json "$data/alertmanager.json" >"$tmp/am" || fail "test am"
expect "$tmp/am" '"priority": "critical"'
expect "$tmp/am" '"priority": "medium"'
expect "$tmp/am" '"resolved"'
expect "$tmp/am" '"alerts": ['

# PagerDuty: severity under payload.
"$ctl" rules test --rules "$rules" --json --source pagerduty "$data/pagerduty.json" >"$tmp/pd" ||
	fail "test pd"
expect "$tmp/pd" '"priority": "high"'
expect "$tmp/pd" '"queue": "operations"'

# The recipient field: --recipient (the envelope's), else X-Original-To or
# Delivered-To above the first Received, as the daemon reads them (mailroute.c).
mkdir "$tmp/rcpt"
printf 'rules:\n  - name: billing\n    match: { recipient: billing@ticketd.example }\n    set: { queue: billing }\n' \
	>"$tmp/rcpt/10-billing.yaml"
"$ctl" rules test --rules "$tmp/rcpt" --recipient support@ticketd.example \
	--recipient=Billing@Ticketd.Example "$data/plain.eml" >"$tmp/rc" || fail "test --recipient"
expect "$tmp/rc" "recipient:    support@ticketd.example, billing@ticketd.example (envelope)"
expect "$tmp/rc" "queue       billing"
"$ctl" rules test --rules "$tmp/rcpt" "$data/plain.eml" >"$tmp/rc0" || fail "test without a recipient"
expect "$tmp/rc0" "recipient:    (none)"
if grep -q "queue       billing" "$tmp/rc0"; then fail "routed without a recipient"; fi
{ printf 'X-Original-To: billing@ticketd.example\nDelivered-To: tickets@ticketd.example\n'
  printf 'Received: from mx.example by ticketd.example\n'; cat "$data/plain.eml"; } >"$tmp/xo.eml"
"$ctl" rules test --rules "$tmp/rcpt" --json "$tmp/xo.eml" >"$tmp/xo" || fail "test X-Original-To"
expect "$tmp/xo" '"recipients_from": "X-Original-To"'
expect "$tmp/xo" '"queue": "billing"'
{ printf 'Received: from mx.example by ticketd.example\nX-Original-To: billing@ticketd.example\n'
  cat "$data/plain.eml"; } >"$tmp/below.eml"
"$ctl" rules test --rules "$tmp/rcpt" --json "$tmp/below.eml" >"$tmp/below" || fail "test below Received"
expect "$tmp/below" '"recipients": []'

# Broken rules: every error with FILE:LINE:COL, exit status 1.
mkdir "$tmp/bad"
printf 'rules:\n  - name: x\n    match: { subject: /(a/, frm: y }\n    set: { priority: pressing }\n' \
	>"$tmp/bad/10-x.yaml"
"$ctl" rules check --rules "$tmp/bad" >"$tmp/bad.out" 2>&1 && fail "bad rules accepted"
expect "$tmp/bad.out" "10-x.yaml:3:23: bad regex \"/(a/\": missing closing parenthesis at offset 2"
expect "$tmp/bad.out" "10-x.yaml:3:29: unknown field \"frm\" in condition"
expect "$tmp/bad.out" "10-x.yaml:4:22: priority \"pressing\" is not one of"

# Without --rules: the configuration's rules.dir (what the daemon loads).
printf 'database: { dsn: "host=/nonexistent" }\nrules: { dir: "%s" }\n' "$rules" >"$tmp/with.yaml"
"$ctl" -c "$tmp/with.yaml" rules check >"$tmp/cfg.out" 2>&1 || fail "rules check from the config"
expect "$tmp/cfg.out" "$rules: "
"$ctl" -c "$tmp/with.yaml" rules test --json "$data/autoreply.eml" >"$tmp/cfg.ar" || fail "rules test from the config"
expect "$tmp/cfg.ar" '"drop-auto-replies"'
printf 'database: { dsn: "host=/nonexistent" }\n' >"$tmp/without.yaml"
"$ctl" -c "$tmp/without.yaml" rules check >"$tmp/nodir.out" 2>&1 && fail "a config without rules.dir accepted"
expect "$tmp/nodir.out" "configures no rules directory (rules.dir)"

# Usage errors.
"$ctl" rules test --rules "$rules" >/dev/null 2>&1 && fail "missing FILE accepted"
"$ctl" rules test --rules "$rules" "$tmp/missing.eml" >/dev/null 2>&1 && fail "missing file accepted"
printf '{ not json' >"$tmp/broken.json"
"$ctl" rules test --rules "$rules" "$tmp/broken.json" >"$tmp/bj" 2>&1 && fail "broken JSON accepted"
expect "$tmp/bj" "broken.json:1:"

[ "$fails" -eq 0 ] || exit 1
echo "ctl_rules: all checks passed"
