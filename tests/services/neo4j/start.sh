#!/usr/bin/env bash
# Start the embedded Neo4j test service in the background and wait until it answers.
# Usage: start.sh STATE_DIR   -> prints the Bolt URI; STATE_DIR holds data/, pid, uri, log.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
state="${1:?usage: start.sh STATE_DIR}"
mkdir -p "$state"
state="$(cd "$state" && pwd)"
rm -f "$state/uri"
java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx256m \
  --add-opens=java.base/java.nio=ALL-UNNAMED \
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
  --add-opens=java.base/java.lang=ALL-UNNAMED \
  --add-opens=java.base/java.io=ALL-UNNAMED \
  -cp "$here/target/neo4j-test-service-1.jar:$here/target/lib/*" \
  cortex.testsvc.Neo4jLauncher "$state/data" "$state/uri" >"$state/log" 2>&1 &
pid=$!
echo "$pid" >"$state/pid"
# Poll for the URI file (written once the database answered a query); give up after 180 s or if java exits.
for _ in $(seq 1 1800); do
  if [ -s "$state/uri" ]; then
    cat "$state/uri"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "neo4j test service exited during start-up; log:" >&2
    tail -n 40 "$state/log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "neo4j test service not ready after 180 s; log tail:" >&2
tail -n 40 "$state/log" >&2
kill "$pid" 2>/dev/null || true
exit 1
