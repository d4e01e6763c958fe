# mta.sh: shared by the MTA delivery tests (016-018; sourced after common.sh).
#
#   recipient_rules   $T/rules with one rule: mail for billing@support.example
#                     (the envelope recipient) goes to the queue billing
#   lmtp ADDR CMD...  tests/integration/lmtp-client.py on Debian's python3

recipient_rules() {
	mkdir -p "$T/rules"
	cat >"$T/rules/50-recipient.yaml" <<'YAML'
rules:
  - name: billing
    match: { recipient: billing@support.example }
    set: { queue: billing }
YAML
}

lmtp() { /usr/bin/python3 "$top_srcdir/tests/integration/lmtp-client.py" "$@"; }
