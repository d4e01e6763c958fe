# postfix.sh: a private Postfix instance for the MTA tests (sourced after
# common.sh). Debian's postfix, started as root with its own configuration,
# queue, data directory and log under $T/postfix; no inet service (nothing
# listens on a port), mail is submitted with sendmail -C. Mail for the
# virtual mailbox domain support.example (support@, billing@) goes to the
# transport $PF_TRANSPORT (set before pf_start, e.g. "ticketd:unix:$SOCK");
# everything else (bounces to outside senders) is discarded. Retries come
# within seconds (queue_run_delay and backoff of 1-2 s). $PF_MAIN (lines)
# is added to main.cf. Stopped on exit through a $T/*.cleanup file.
#
#   pf_start [MASTER-CF-LINES]   start it, with extra master.cf services
#   pf_send FROM RCPT... <MAIL   submit a message
#   pf_log                       the mail log so far
#   pf_queue_empty               true when nothing is queued

PF=$T/postfix
PF_TRANSPORT=${PF_TRANSPORT:-}
PF_MAIN=${PF_MAIN:-}

pf_start() {
	command -v postfix >/dev/null 2>&1 || { echo "# postfix not installed: skipped"; exit 77; }
	[ "$(id -u)" = 0 ] || { echo "# a private postfix needs root: skipped"; exit 77; }
	id postfix >/dev/null 2>&1 || { echo "# no postfix user: skipped"; exit 77; }
	mkdir -p "$PF/etc" "$PF/queue" "$PF/data"
	chmod 755 "$PF"
	chown postfix "$PF/data"
	cat >"$PF/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
daemon_directory = /usr/lib/postfix/sbin
command_directory = /usr/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.test.example
mydomain = test.example
myorigin = \$myhostname
mydestination =
inet_interfaces = loopback-only
master_service_disable = inet
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
alias_maps =
alias_database =
virtual_mailbox_domains = support.example
virtual_mailbox_maps = inline:{ support@support.example=ok, billing@support.example=ok }
virtual_transport = $PF_TRANSPORT
default_transport = discard:no mail leaves the test
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
$PF_MAIN
CF
	cat >"$PF/etc/master.cf" <<'CF'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CF
	[ -n "${1:-}" ] && printf '%s\n' "$1" >>"$PF/etc/master.cf"
	echo "postfix -c '$PF/etc' abort" >"$T/postfix.cleanup"
	# Postfix commands say why they fail on a terminal only, else to the log.
	postfix -c "$PF/etc" check >"$PF/check.out" 2>&1 || { cat "$PF/check.out" "$PF/maillog" >&2; fail "postfix check"; }
	postfix -c "$PF/etc" start >"$PF/start.out" 2>&1 || { cat "$PF/start.out" "$PF/maillog" >&2; fail "postfix did not start"; }
	wait_for 30 "postfix running" 'grep -q "daemon started" "$PF/maillog"'
}

pf_send() { # pf_send FROM RCPT... <MAIL
	_from=$1; shift
	sendmail -C "$PF/etc" -f "$_from" "$@" || fail "sendmail refused the message"
}

pf_log() { cat "$PF/maillog"; }

pf_queue_empty() { postqueue -c "$PF/etc" -p 2>/dev/null | grep -q "Mail queue is empty"; }

# pf_nudge: what an admin does for mail that waits, at most once a second
# (call it in a wait_for condition): flush the queue, and when qmgr skipped
# a file "still being delivered" (with one-second backoffs it can rescan a
# file whose delivery is still being reported, or a reload can start a new
# qmgr meanwhile; the file then waits in a queue that qmgr rescans only
# when it starts), reload Postfix.
pf_nudge() {
	[ "$(date +%s)" = "${PF_NUDGED:-}" ] && return 0
	PF_NUDGED=$(date +%s)
	postqueue -c "$PF/etc" -f >/dev/null 2>&1 || true
	_skipped=$(grep -c "skipped, still being delivered" "$PF/maillog" 2>/dev/null || true)
	if [ "${_skipped:-0}" -gt "${PF_SKIPPED:-0}" ]; then
		PF_SKIPPED=$_skipped
		postfix -c "$PF/etc" reload >/dev/null 2>&1 || true
	fi
	return 0
}
