# hooks_common.sh: helpers for the webhook tests (sourced after common.sh).
#
# HTTP_PORT is a loopback port derived from the PID; post()
# sends a file or a string with curl and leaves the status in CODE and the
# body in $T/resp; count() counts rows.

PAYLOADS=$top_srcdir/tests/data/payloads
# Below the kernel's ephemeral range (32768-60999), so no client socket of
# this or another test (thousands in 046) can hold or self-connect to it;
# even, so HTTP_PORT + 1 (044's Alertmanager) is this test's alone.
HTTP_PORT=$(( 20000 + 2 * ($$ % 6000) ))
URL=http://127.0.0.1:$HTTP_PORT
command -v curl >/dev/null || { echo "curl missing: skipped"; exit 77; }

# post PATH FILE [curl args...]: POST the file as JSON.
post() {
	path=$1; file=$2; shift 2
	CODE=$(curl -s -o "$T/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary @"$file" "$@" "$URL$path") || CODE=000
}

# post_str PATH STRING [curl args...]
post_str() {
	path=$1; printf '%s' "$2" >"$T/body.json"; shift 2
	post "$path" "$T/body.json" "$@"
}

expect_code() {
	[ "$CODE" = "$1" ] || fail "${2:-request}: HTTP $CODE, expected $1: $(cat "$T/resp" 2>/dev/null)"
}

count() { psql_q "SELECT count(*) FROM $1"; }

# Wait until every staged item is processed.
drain() {
	wait_sql 20 "SELECT count(*) FROM inbound WHERE state = 'pending'" 0
}
