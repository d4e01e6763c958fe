#!/bin/sh
# Started as root, ticketd does what needs root and then runs as `user:`.
# Without a user: it refuses to run as root (ticketd -t still checks the
# file); with user: nobody it reads a secret only root may read and binds
# its listener, then every uid and gid of every thread is nobody's, root
# cannot be regained, and it serves: a post authenticated with that secret
# is stored and becomes a ticket. A reload reads the configuration as
# nobody: unreadable, it is refused and the running one kept. user: root
# keeps root, with a warning. Skipped unless the suite runs as root (CI).
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/hooks_common.sh"
[ "$(id -u)" = 0 ] || { echo "# not root: skipped"; exit 77; }
NOBODY_UID=$(id -u nobody 2>/dev/null) || { echo "# no user nobody: skipped"; exit 77; }
NOBODY_GID=$(id -g nobody)
pg_start
printf 'root-only-token\n' >"$T/token"
chmod 600 "$T/token"
write_config <<YAML
user: nobody
http:
  listen: 127.0.0.1:$HTTP_PORT
  sources:
    - name: am
      type: alertmanager
      auth: { type: bearer, secret_file: $T/token }
YAML
chmod 644 "$T/ticketd.yaml"

# No user: refused at start (the old daemon ran as root; timeout ends it).
sed '/^user:/d' "$T/ticketd.yaml" >"$T/nouser.yaml"
expect_rc 0 "$TICKETD" -t -c "$T/nouser.yaml"
expect_rc 1 timeout 60 "$TICKETD" -c "$T/nouser.yaml"
assert_contains "$OUT" "refusing to run as root: set user: NAME"

# user: nobody.
daemon_start
grep -q "ticketd: running as user nobody (uid $NOBODY_UID, gid $NOBODY_GID)" "$DAEMON_LOG" ||
	fail "no line about the user"
ids() { awk '$1 == "Uid:" || $1 == "Gid:" { print $1, $2, $3, $4, $5 }' "$@" | sort -u | tr '\n' ' '; }
assert_eq "$(ids /proc/"$DAEMON_PID"/task/*/status)" \
	"Gid: $NOBODY_GID $NOBODY_GID $NOBODY_GID $NOBODY_GID Uid: $NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID " \
	"every thread: real, effective, saved and filesystem ids"
groups=$(awk '$1 == "Groups:" { $1 = ""; print }' /proc/"$DAEMON_PID"/status)
case " $groups " in *" 0 "*) fail "root's group kept: $groups" ;; esac
grep -q '^CapEff:[[:space:]]*0*$' /proc/"$DAEMON_PID"/status || fail "capabilities kept: $(grep Cap /proc/"$DAEMON_PID"/status)"
post /v1/alertmanager "$PAYLOADS/alertmanager-v4-firing.json" -H "Authorization: Bearer root-only-token"
expect_code 202 "a post with the secret read as root"
drain
assert_eq "$(count tickets)" "2" "processed as nobody"

# A reload reads the file as nobody: refused when it cannot, and the daemon goes on.
chmod 600 "$T/ticketd.yaml"
kill -HUP "$DAEMON_PID"
wait_for 60 "reload refused" 'grep -q "reload refused, keeping the old configuration" "$DAEMON_LOG"'
chmod 644 "$T/ticketd.yaml"
CODE=$(curl_code "$T/resp" "$URL/healthz"); expect_code 200 "still serving after the refused reload"
daemon_stop
assert_eq "$DAEMON_RC" "0"

# user: root keeps root, and says so.
sed -i 's/^user: nobody$/user: root/' "$T/ticketd.yaml"
daemon_start
grep -q "ticketd: running as root (user: root)" "$DAEMON_LOG" || fail "no warning for user: root"
assert_eq "$(awk '$1 == "Uid:" { print $3 }' /proc/"$DAEMON_PID"/status)" "0" "still root"
daemon_stop
assert_eq "$DAEMON_RC" "0"
echo "ok"
