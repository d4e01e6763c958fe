#!/bin/sh
# debian_package.sh: contrib/debian builds a binary package from the
# distribution's files (dpkg-buildpackage -us -uc -b, its own tests left to
# this suite: nocheck) that lintian accepts without errors or warnings, and
# the package holds the unit, the system user, the state directory and the
# configuration as conffiles. Skipped without dpkg-buildpackage, debhelper
# or lintian (contrib/quickstart installs them), and under make distcheck
# (read-only sources), which would only build the same package again.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
for t in dpkg-buildpackage dh lintian; do
	command -v "$t" >/dev/null || { echo "$t missing: skipped"; exit 77; }
done
# (the mode bits, not -w: root may write anywhere)
[ -n "$(find "$top_srcdir" -maxdepth 0 -perm -u+w)" ] ||
	{ echo "read-only sources (make distcheck): skipped"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/ticketd-deb.XXXXXX")
fail() { echo "FAIL: debian_package: $*"; echo "# kept $T"; exit 1; }
VERSION=$(sed -n 's/^PACKAGE_VERSION = //p' "$top_builddir/Makefile")
[ -n "$VERSION" ] || fail "no PACKAGE_VERSION in the Makefile"
head -n 1 "$top_srcdir/contrib/debian/changelog" | grep -q "^ticketd ($VERSION-[0-9]*)" ||
	fail "contrib/debian/changelog's version is not $VERSION-N: $(head -n 1 "$top_srcdir/contrib/debian/changelog")"
S=$T/ticketd-$VERSION
make -s -C "$top_builddir" distdir distdir="$S" >"$T/distdir.log" 2>&1 || fail "make distdir: $(tail "$T/distdir.log")"
cp -R "$top_srcdir/contrib/debian" "$S/debian"
( cd "$S" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b ) >"$T/build.log" 2>&1 ||
	fail "dpkg-buildpackage: $(tail -n 30 "$T/build.log")"
DEB=$(ls "$T"/ticketd_"$VERSION"-*_*.deb | grep -v dbgsym | head -n 1)
[ -f "$DEB" ] || fail "no .deb built"
lintian --fail-on error,warning "$T"/*.changes \
	>"$T/lintian.log" 2>&1 || fail "lintian: $(cat "$T/lintian.log")"
dpkg-deb -c "$DEB" | awk '{ print $6 }' >"$T/files"
for f in ./usr/sbin/ticketd ./usr/bin/ticketctl ./lib/systemd/system/ticketd.service \
	./usr/lib/sysusers.d/ticketd.conf ./usr/lib/tmpfiles.d/ticketd.conf \
	./etc/ticketd/ticketd.yaml ./etc/ticketd/rules/10-drop.yaml ./usr/share/man/man8/ticketd.8.gz \
	./usr/share/doc/ticketd/ticketd-alerts.yml; do
	grep -qx "$f" "$T/files" || fail "the package lacks $f"
done
dpkg-deb -e "$DEB" "$T/control"
for f in /etc/ticketd/ticketd.yaml /etc/ticketd/rules/10-drop.yaml /etc/ticketd/rules/99-fallback.yaml; do
	grep -qx "$f" "$T/control/conffiles" || fail "$f is not a conffile"
done
grep -q 'systemd-sysusers.* ticketd.conf' "$T/control/postinst" || fail "postinst creates no system user"
grep -q 'systemd-tmpfiles.* ticketd.conf' "$T/control/postinst" || fail "postinst creates no state directory"
[ "$(grep -n 'systemd-sysusers' "$T/control/postinst" | head -n 1 | cut -d: -f1)" -lt \
	"$(grep -n 'systemd-tmpfiles' "$T/control/postinst" | head -n 1 | cut -d: -f1)" ] ||
	fail "postinst makes the state directory before its user"
grep -q 'deb-systemd-helper.*ticketd.service' "$T/control/postinst" || fail "postinst does not register the unit"
grep -q 'deb-systemd-invoke start' "$T/control/postinst" && fail "the package starts the daemon before it is configured"
rm -rf "$T"
echo "debian_package: built, lintian clean, unit, user and conffiles in place"
