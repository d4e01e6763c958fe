# hooks_common.sh: helpers for the webhook tests (sourced after common.sh).
#
# The daemon listens on 127.0.0.1:0 (HTTP_PORT is 0 in the config): the
# kernel picks a free port, the daemon logs it, and each daemon_start sets
# HTTP_PORT and URL from that line, so no port is guessed and none can
# collide with another test's. post() sends a file or a string with curl and
# leaves the status in CODE, the body in $T/resp and, when no answer came,
# curl's reason in $T/curl.err; count() counts rows.

PAYLOADS=$top_srcdir/tests/data/payloads
HTTP_PORT=0
URL_SCHEME=${URL_SCHEME:-http}
URL=
command -v curl >/dev/null || { echo "curl missing: skipped"; exit 77; }

# Called by daemon_start once the daemon is ready.
on_daemon_ready() {
	HTTP_PORT=$(bound_port "$DAEMON_LOG")
	[ -n "$HTTP_PORT" ] || fail "the daemon logged no listening port"
	URL=$URL_SCHEME://127.0.0.1:$HTTP_PORT
}

# curl_code OUT [curl args...]: the HTTP status (000 when no answer came;
# then $T/curl.err says why: refused, reset, timed out...).
curl_code() {
	out=$1; shift
	if [ -f "$out" ]; then rm "$out"; fi   # a stale body is not this answer's (never /dev/null)
	curl -sS --max-time 60 -o "$out" -w '%{http_code}' "$@" 2>"$T/curl.err" || true
}

# post PATH FILE [curl args...]: POST the file as JSON.
post() {
	path=$1; file=$2; shift 2
	CODE=$(curl_code "$T/resp" -H 'Content-Type: application/json' --data-binary @"$file" "$@" "$URL$path")
}

# post_str PATH STRING [curl args...]
post_str() {
	path=$1; printf '%s' "$2" >"$T/body.json"; shift 2
	post "$path" "$T/body.json" "$@"
}

expect_code() {
	[ "$CODE" = "$1" ] || fail "${2:-request}: HTTP $CODE, expected $1: $(cat "$T/resp" 2>/dev/null) $(cat "$T/curl.err" 2>/dev/null)"
}

count() { psql_q "SELECT count(*) FROM $1"; }

# Wait until every staged item is processed.
drain() {
	wait_sql 60 "SELECT count(*) FROM inbound WHERE state = 'pending'" 0
}
