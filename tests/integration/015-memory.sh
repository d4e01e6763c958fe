#!/bin/sh
# Memory for a large message: a 40 MiB mail (one base64 attachment) takes
# at most 5 times its size at the peak (reading the file, staging it,
# fetching, decoding and storing it), and afterwards the daemon is back
# within 16 MiB of where it was idle (libpq's buffers and malloc's free
# memory given back). Measured without sanitizers only (ASan keeps freed
# memory in quarantine): skipped under them, run by make distcheck.
. "$(dirname "$0")/common.sh"
if ldd "$TICKETD" 2>/dev/null | grep -q 'libasan\|libtsan'; then
	echo "# skipped: built with sanitizers"
	exit 77
fi
pg_start
MD=$T/maildir
write_config <<YAML
mailboxes:
  - name: md
    type: maildir
    path: "$MD"
    poll_interval: 100ms
YAML
sed -i 's/level: debug/level: info/' "$T/ticketd.yaml"
"$TICKETCTL" -c "$T/ticketd.yaml" migrate >/dev/null
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
/usr/bin/python3 "$top_srcdir/tests/integration/mkmail.py" random "$MD/tmp/big.eml" 30 || fail "mkmail"
size=$(stat -c %s "$MD/tmp/big.eml")
kib() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$DAEMON_PID/status"; }

daemon_start
sleep 1   # settle: the idle figure is what is measured against
idle=$(kib VmRSS)
mv "$MD/tmp/big.eml" "$MD/new/big.eml"
wait_sql 60 "SELECT count(*) FROM inbound WHERE state = 'done'" 1
wait_for 10 "RSS back within 16 MiB of idle ($idle KiB)" '[ $(( $(kib VmRSS) - idle )) -lt 16384 ]'
peak=$(kib VmHWM)
after=$(kib VmRSS)
note "message $size bytes; RSS idle $idle KiB, peak $peak KiB, after $after KiB"
[ $(( (peak - idle) * 1024 )) -lt $(( 5 * size )) ] ||
	fail "peak $(( (peak - idle) / 1024 )) MiB over idle for a $(( size >> 20 )) MiB message (5x allowed)"
daemon_stop
echo "ok"
