#!/usr/bin/env bash
# Stop the test service started by start.sh STATE_DIR (by its PID), waiting up to 60 s for a clean exit.
set -uo pipefail
state="${1:?usage: stop.sh STATE_DIR}"
[ -f "$state/pid" ] || exit 0
pid="$(cat "$state/pid")"
if kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 1 600); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
fi
rm -f "$state/pid" "$state/uri"
