#!/bin/sh
# install.sh: make install puts the unit in systemd.pc's unit directory,
# the sysusers.d and tmpfiles.d files beside theirs, the annotated
# configuration and the shipped rules under $(sysconfdir)/ticketd, and never
# replaces an admin's; make uninstall leaves the admin's files alone.
set -u
: "${top_srcdir:?}" "${top_builddir:?}" "${sysconfdir:?}" "${systemdsystemunitdir:?}"
: "${sysusersdir:?}" "${tmpfilesdir:?}"
T=$(mktemp -d "${TMPDIR:-/tmp}/ticketd-install.XXXXXX")
trap 'rm -rf "$T"' EXIT
R=$T/root
fail() { echo "FAIL: install: $*"; exit 1; }
inst() { make -s -C "$top_builddir" "$1" DESTDIR="$R" >"$T/$1.log" 2>&1 || { cat "$T/$1.log"; fail "make $1"; }; }

# The directories are systemd.pc's (unless configure was told otherwise,
# as make distcheck does).
if pkg-config --exists systemd 2>/dev/null && ! grep -q -- '--with-systemdsystemunitdir' "$top_builddir/config.status"; then
	[ "$systemdsystemunitdir" = "$(pkg-config --variable=systemdsystemunitdir systemd)" ] ||
		fail "unit directory $systemdsystemunitdir is not systemd.pc's"
	[ "$sysusersdir" = "$(pkg-config --variable=sysusersdir systemd)" ] || fail "sysusersdir $sysusersdir"
	[ "$tmpfilesdir" = "$(pkg-config --variable=tmpfilesdir systemd)" ] || fail "tmpfilesdir $tmpfilesdir"
fi
inst install
CONF=$R$sysconfdir/ticketd
unit=$systemdsystemunitdir
[ -f "$R$unit/ticketd.service" ] || fail "no unit in $R$unit"
grep -q "^ExecStart=.*/ticketd -c $sysconfdir/ticketd/ticketd.yaml$" "$R$unit/ticketd.service" ||
	fail "the unit names the installed configuration"
cmp -s "$top_srcdir/systemd/ticketd.sysusers" "$R$sysusersdir/ticketd.conf" || fail "sysusers.d/ticketd.conf"
cmp -s "$top_srcdir/systemd/ticketd.tmpfiles" "$R$tmpfilesdir/ticketd.conf" || fail "tmpfiles.d/ticketd.conf"
[ -f "$CONF/ticketd.yaml" ] || fail "no $CONF/ticketd.yaml"
grep -q "dir: $sysconfdir/ticketd/rules" "$CONF/ticketd.yaml" || fail "the configuration names the installed rules"
for f in "$top_srcdir"/rules/*.yaml; do
	cmp -s "$f" "$CONF/rules/$(basename "$f")" || fail "rules/$(basename "$f") not installed"
done
# The installed configuration is valid with the installed rules and
# templates, once its secret files exist (a test signature database stands
# in for ClamAV's).
mkdir -p "$T/clamav" "$T/etc"
printf '44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n' >"$T/clamav/test.hdb"
sed -e "s|$sysconfdir/ticketd/|$T/etc/|g" -e "s|$T/etc/rules|$CONF/rules|" \
	-e "s|signatures: /var/lib/clamav|signatures: $T/clamav|" -e "s|templates: /|templates: $R/|" \
	"$CONF/ticketd.yaml" >"$T/check.yaml"
for f in $(grep -o "$T/etc/[A-Za-z0-9._-]*" "$T/check.yaml" | sort -u); do
	printf 'a-secret-of-more-than-32-bytes-for-the-test\n' >"$f"
done
"$top_builddir/src/ticketd" -t -c "$T/check.yaml" >"$T/t.out" 2>&1 || fail "ticketd -t: $(cat "$T/t.out")"

# An admin's changes survive a second install: the edited configuration,
# a removed rule, a rule of their own.
echo "# edited by the admin" >>"$CONF/ticketd.yaml"
rm "$CONF/rules/10-drop.yaml"
echo "rules: []" >"$CONF/rules/20-mine.yaml"
inst install
grep -q "edited by the admin" "$CONF/ticketd.yaml" || fail "make install replaced the admin's configuration"
[ ! -e "$CONF/rules/10-drop.yaml" ] || fail "make install put back a rule the admin removed"
[ -f "$CONF/rules/20-mine.yaml" ] || fail "the admin's rule is gone"
inst uninstall
[ -f "$CONF/ticketd.yaml" ] || fail "make uninstall removed the admin's configuration"
[ -f "$CONF/rules/20-mine.yaml" ] || fail "make uninstall removed the admin's rule"
[ ! -e "$CONF/rules/50-alerts.yaml" ] || fail "make uninstall left a shipped rule"
[ ! -e "$R$unit/ticketd.service" ] && [ ! -e "$R$sysusersdir/ticketd.conf" ] || fail "uninstall left systemd files"
# Unchanged, everything goes.
rm -rf "$R"
inst install
inst uninstall
left=$(find "$R" -type f | head -n 5)
[ -z "$left" ] || fail "make uninstall left: $left"
echo "install: layout, admin's files kept, uninstall clean"
