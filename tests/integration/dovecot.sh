# dovecot.sh: a private Dovecot IMAP server on loopback for the IMAP
# integration tests (sourced after common.sh).
#
# dovecot_start [EXTRA-CONFIG-LINES] starts Dovecot 2.3 as root with its
# own config, base_dir, log and Maildir under $T/dovecot, plain-text login
# without TLS on 127.0.0.1:$DOVE_PORT, IDLE on; mail processes run as the
# `dovecot` system user. It is stopped on exit through a $T/*.cleanup file.
# Ports: Dovecot cannot bind port 0 (it means "no listener"), so each start
# takes free ports from the kernel and, should another process take one
# before Dovecot binds it, tries again with new ones (up to 5 times).
# @TLS_PORT@ in the extra lines is replaced by a second free port, set in
# $DOVE_TLS_PORT (for an imaps listener).
# imap_py 'PYTHON' runs Python (Debian's /usr/bin/python3, stdlib imaplib)
# with `M` logged in and helpers append(folder, raw), ensure(folder),
# uids(folder, crit), flags(folder, uid), folders(), uidvalidity(folder)
# and msg(n, ...) (a small test message) defined.

DOVECOT=${DOVECOT:-/usr/sbin/dovecot}
DOVE_DIR=$T/dovecot
# free_port: a TCP port on 127.0.0.1 nobody listens on now (it may be taken
# before it is used: callers retry on a clash).
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
DOVE_PORT=
DOVE_TLS_PORT=
DOVE_USER=support
DOVE_PASS='imap-secret-pw'

dovecot_start() {
	[ -x "$DOVECOT" ] || { echo "# dovecot not installed: skipped"; exit 77; }
	[ "$(id -u)" = 0 ] || { echo "# dovecot tests need root (mail processes drop to dovecot): skipped"; exit 77; }
	id dovecot >/dev/null 2>&1 && id dovenull >/dev/null 2>&1 || { echo "# no dovecot/dovenull users: skipped"; exit 77; }
	mkdir -p "$DOVE_DIR/run" "$DOVE_DIR/state" "$DOVE_DIR/mail"
	chmod 755 "$DOVE_DIR" "$DOVE_DIR/run"
	chown dovecot:dovecot "$DOVE_DIR/mail"
	printf '%s:{PLAIN}%s::::::\n' "$DOVE_USER" "$DOVE_PASS" >"$DOVE_DIR/passwd"
	chmod 644 "$DOVE_DIR/passwd"
	for _try in 1 2 3 4 5; do
		DOVE_PORT=$(free_port)
		DOVE_TLS_PORT=$(free_port)
		dovecot_conf "${1:-}"
		echo "kill \$(cat '$DOVE_DIR/run/master.pid')" >"$T/dovecot.cleanup"
		if "$DOVECOT" -c "$DOVE_DIR/dovecot.conf" 2>"$DOVE_DIR/start.err"; then
			wait_for 60 "dovecot listening" 'imap_py "pass"'
			return 0
		fi
		grep -q "Address already in use" "$DOVE_DIR/start.err" "$DOVE_DIR/dovecot.log" 2>/dev/null ||
			{ cat "$DOVE_DIR/start.err" "$DOVE_DIR/dovecot.log" >&2; fail "dovecot did not start"; }
		note "dovecot: port $DOVE_PORT or $DOVE_TLS_PORT was taken meanwhile; trying others"
		: >"$DOVE_DIR/dovecot.log"
	done
	fail "dovecot: no free port after 5 tries"
}

# dovecot_conf EXTRA: write $DOVE_DIR/dovecot.conf for $DOVE_PORT.
dovecot_conf() {
	dove_uid=$(id -u dovecot)
	cat >"$DOVE_DIR/dovecot.conf" <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $DOVE_DIR/run
state_dir = $DOVE_DIR/state
log_path = $DOVE_DIR/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = $dove_uid
mail_location = maildir:$DOVE_DIR/mail/%u
passdb {
  driver = passwd-file
  args = $DOVE_DIR/passwd
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=$DOVE_DIR/mail/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVE_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
namespace inbox {
  inbox = yes
  separator = /
}
$(printf '%s\n' "$1" | sed "s/@TLS_PORT@/$DOVE_TLS_PORT/g")
CONF
}

dovecot_stop() {
	[ -f "$DOVE_DIR/run/master.pid" ] && kill "$(cat "$DOVE_DIR/run/master.pid")" 2>/dev/null || true
	wait_for 10 "dovecot stopped" '[ ! -f "$DOVE_DIR/run/master.pid" ]'
}

# imap_py 'CODE': run Python with an IMAP connection M logged in as the test user.
imap_py() {
	/usr/bin/python3 - "$DOVE_PORT" "$DOVE_USER" "$DOVE_PASS" "$1" <<'PY'
import imaplib, re, sys, time
port, user, pw, code = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
M = imaplib.IMAP4("127.0.0.1", port)
M.login(user, pw)
def q(folder):
    return '"' + folder + '"'
def append(folder, raw, flags=""):
    typ, data = M.append(q(folder), flags, None, raw.encode() if isinstance(raw, str) else raw)
    assert typ == "OK", data
def ensure(folder):
    M.create(q(folder))
def uids(folder, crit="ALL"):
    typ, data = M.select(q(folder), readonly=True)
    if typ != "OK":
        return []
    typ, data = M.uid("SEARCH", None, crit)
    return [int(x) for x in data[0].split()]
def flags(folder, uid):
    M.select(q(folder), readonly=True)
    typ, data = M.uid("FETCH", str(uid), "(FLAGS)")
    m = re.search(rb"FLAGS \(([^)]*)\)", data[0] if data and data[0] else b"")
    return m.group(1).decode() if m else None
def folders():
    typ, data = M.list()
    return sorted(l.decode().rsplit(" ", 1)[-1].strip('"') for l in data if l)
def uidvalidity(folder):
    typ, data = M.status(q(folder), "(UIDVALIDITY)")
    return int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))
def msg(n, subject=None, body="Hello from the IMAP test.", mid=None):
    mid = mid or "imap-test-%s@customer.example" % n
    return ("From: Customer %s <c%s@customer.example>\r\nTo: support@example.com\r\n"
            "Subject: %s\r\nMessage-ID: <%s>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n%s\r\n"
            % (n, n, subject or "IMAP test %s" % n, mid, body))
exec(code)
M.logout()
PY
}
