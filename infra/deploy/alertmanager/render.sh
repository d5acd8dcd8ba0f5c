#!/bin/sh
# Renders an Alertmanager configuration template: every ${NAME} in TEMPLATE replaced by the
# environment variable NAME, written to OUTPUT. Refuses (status 78) naming every unset or empty
# variable, so Alertmanager never starts with a literal ${...} or an empty address.
# POSIX sh and awk only: it runs in the prom/alertmanager image (busybox), which has no envsubst.
#   render.sh TEMPLATE OUTPUT
set -eu
template=$1
output=$2
missing=
for name in $(grep -o '\${[A-Za-z_][A-Za-z0-9_]*}' "$template" | tr -d '${}' | sort -u); do
  eval "value=\${$name:-}"
  [ -n "$value" ] || missing="$missing $name"
done
if [ -n "$missing" ]; then
  echo "render.sh: set these variables for $template:$missing" >&2
  exit 78
fi
awk '{
  line = $0; out = ""
  while (match(line, /\$\{[A-Za-z_][A-Za-z0-9_]*\}/)) {
    out = out substr(line, 1, RSTART - 1) ENVIRON[substr(line, RSTART + 2, RLENGTH - 3)]
    line = substr(line, RSTART + RLENGTH)
  }
  print out line
}' "$template" >"$output"
