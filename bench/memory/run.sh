#!/bin/sh
# bench/memory/run.sh: the daemon's memory for one large message.
#
#   bench/memory/run.sh [SIZES_MIB] [SHAPES]     (defaults: "1 16 64" "attach text")
#
# For each shape and size, starts a fresh ticketd on a private PostgreSQL
# cluster, drops one message of that size into its Maildir, waits until the
# item is processed, and prints the daemon's RSS before (idle), its peak
# (VmHWM, which covers the intake thread reading and staging the file and
# the worker fetching, parsing, scanning and storing it) and its RSS after
# (2 s after the item was done). Shapes:
#   attach  a short text part and one base64 attachment of random bytes
#   text    one quoted-printable text/plain body (a pasted log)
# A "64 MiB" message is 64 MiB less 4 KiB (the Maildir intake takes at most
# 64 MiB). Build without sanitizers first (./configure && make): under ASan
# the figures mean nothing.
set -eu
SIZES=${1:-"1 16 64"}
SHAPES=${2:-"attach text"}
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PG_BINDIR=$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)
W=$(mktemp -d /tmp/ticketd-membench.XXXXXX)
chmod 755 "$W"
PORT=$(( 30000 + $$ % 20000 ))
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
	as_pg "$PG_BINDIR/pg_ctl" -D "$W/pg" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

mkdir -p "$W/pg" "$W/sock" "$W/clamav"
[ "$(id -u)" = 0 ] && chown postgres "$W/pg" "$W/sock"
as_pg "$PG_BINDIR/initdb" -D "$W/pg" -U postgres --auth=trust >/dev/null
as_pg "$PG_BINDIR/pg_ctl" -D "$W/pg" -l "$W/sock/pg.log" -w \
	-o "-c listen_addresses='' -k $W/sock -p $PORT" start >/dev/null
DSN="host=$W/sock port=$PORT dbname=postgres user=postgres"
export TICKETD_DSN="$DSN"
printf '44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n' >"$W/clamav/eicar.hdb"
cat >"$W/ticketd.yaml" <<YAML
database: { dsn: "$DSN" }
scan: { signatures: "$W/clamav" }
log: { level: info }
workers: { count: 2, poll_interval: 50ms }
mailboxes:
  - { name: mem, type: maildir, path: "$W/maildir", poll_interval: 100ms }
YAML
[ "$(id -u)" != 0 ] || echo "user: root" >>"$W/ticketd.yaml" # the daemon refuses root without it
"$TOP/src/ticketctl" -c "$W/ticketd.yaml" migrate >/dev/null 2>&1
mkdir -p "$W/maildir/new" "$W/maildir/cur" "$W/maildir/tmp"

# gen SHAPE BYTES FILE
gen() {
	python3 - "$1" "$2" "$3" <<'PY'
import base64, os, random, sys
shape, size, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
head = ("From: Big Sender <big@customer.example>\r\nTo: support@example.com\r\n"
        "Subject: a large %s message\r\nMessage-ID: <%s-%d@customer.example>\r\n"
        "MIME-Version: 1.0\r\n" % (shape, shape, size))
with open(path, "wb") as f:
    if shape == "attach":
        f.write((head + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
                 "Content-Type: text/plain\r\n\r\nThe file is attached.\r\n--b\r\n"
                 "Content-Type: application/octet-stream\r\n"
                 'Content-Disposition: attachment; filename="dump.bin"\r\n'
                 "Content-Transfer-Encoding: base64\r\n\r\n").encode())
        room = size - f.tell() - 16
        raw = os.urandom(room // 78 * 57)
        b = base64.b64encode(raw)
        for i in range(0, len(b), 76):
            f.write(b[i:i + 76] + b"\r\n")
        f.write(b"--b--\r\n")
    else:
        f.write((head + "Content-Type: text/plain; charset=utf-8\r\n"
                 "Content-Transfer-Encoding: quoted-printable\r\n\r\n").encode())
        rnd = random.Random(size)
        words = ["error", "warning", "connection", "timeout", "caf=C3=A9", "r=C3=A9sum=C3=A9",
                 "GET", "/api/v1/items", "200", "503", "retrying", "user=alice"]
        while f.tell() < size - 100:
            f.write((" ".join(rnd.choice(words) for _ in range(9)) + "\r\n").encode())
PY
}

kib() { awk -v k="$2" '$1 == k ":" {print $2}' "/proc/$1/status"; }

for shape in $SHAPES; do
	for mib in $SIZES; do
		bytes=$(( mib * 1048576 - 4096 ))
		gen "$shape" "$bytes" "$W/maildir/tmp/$shape-$mib"
		"$TOP/src/ticketd" -c "$W/ticketd.yaml" 2>>"$W/ticketd.log" &
		PID=$!
		until grep -q "ticketd: ready" "$W/ticketd.log" 2>/dev/null; do sleep 0.1; done
		sleep 1
		idle=$(kib "$PID" VmRSS)
		t0=$(date +%s%3N)
		mv "$W/maildir/tmp/$shape-$mib" "$W/maildir/new/$shape-$mib"
		until [ "$("$PG_BINDIR/psql" -XAtq "$DSN" -c "SELECT count(*) FROM inbound WHERE dedup_key = 'maildir:$shape-$mib' AND state <> 'pending'")" = 1 ]; do
			kill -0 "$PID" || { tail "$W/ticketd.log"; exit 1; }
			sleep 0.1
		done
		t1=$(date +%s%3N)
		sleep 2
		peak=$(kib "$PID" VmHWM)
		after=$(kib "$PID" VmRSS)
		state=$("$PG_BINDIR/psql" -XAtq "$DSN" -c "SELECT state FROM inbound WHERE dedup_key = 'maildir:$shape-$mib'")
		kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
		rm -f "$W/ticketd.log"
		printf '%-6s %3d MiB (%d bytes): %s in %d ms; RSS idle %d KiB, peak %d KiB (%.1fx the message), after %d KiB\n' \
			"$shape" "$mib" "$bytes" "$state" $(( t1 - t0 )) "$idle" "$peak" \
			"$(echo "$peak $idle $bytes" | awk '{print ($1 - $2) * 1024 / $3}')" "$after"
	done
done
