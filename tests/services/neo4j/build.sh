#!/usr/bin/env bash
# Build the embedded Neo4j test service (Maven; first build downloads ~170 MB into ~/.m2).
set -euo pipefail
cd "$(dirname "$0")"
if [ -f target/neo4j-test-service-1.jar ] && [ target/neo4j-test-service-1.jar -nt pom.xml ] \
   && [ target/neo4j-test-service-1.jar -nt src/main/java/cortex/testsvc/Neo4jLauncher.java ]; then
  echo "neo4j test service: up to date"
  exit 0
fi
mvn -q -B package -DskipTests
