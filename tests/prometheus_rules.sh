#!/bin/sh
# prometheus_rules.sh: the sample alerting rules load (promtool check rules)
# and fire as their unit tests expect (promtool test rules). promtool is in
# Debian's prometheus package; contrib/quickstart fetches it without
# installing the package (which would start a Prometheus server) and sets
# PROMTOOL. Skipped when there is none.
set -u
: "${top_srcdir:=.}"
PROMTOOL=${PROMTOOL:-$(command -v promtool || true)}
[ -n "$PROMTOOL" ] && [ -x "$PROMTOOL" ] || { echo "promtool missing: skipped"; exit 77; }
cd "$top_srcdir/contrib/prometheus" || exit 1
"$PROMTOOL" check rules ticketd-alerts.yml || exit 1
"$PROMTOOL" test rules ticketd-alerts.test.yml || exit 1
echo "prometheus_rules: the alerting rules load and pass their tests"
