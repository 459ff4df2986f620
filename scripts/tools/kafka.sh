#!/usr/bin/env bash
# Apache Kafka broker jars from Maven Central, resolved once into a cache.
#
#   scripts/tools/kafka.sh fetch    # resolve the jars if missing; print the lib directory on stdout
#   scripts/tools/kafka.sh libdir   # print the lib directory (exit 1 when not fetched yet)
#   scripts/tools/kafka.sh version  # print the pinned Kafka version
#
# The broker itself is started by `python -m lab.kafka_broker` (lab/kafka_broker.py), which runs
# `java -cp <libdir>/*` with a KRaft config it writes. Everything lives under
# ${ROM_TOOLS_DIR:-$HOME/.cache/rom-tools}/kafka/<version>/: lib/ (the jars) and m2/ (Maven's local
# repository), so after one fetch nothing needs the network. Progress goes to stderr.
set -euo pipefail

KAFKA_VERSION="${ROM_KAFKA_VERSION:-4.4.0}"
SCALA_VERSION="2.13"
# A logging backend for the broker: Kafka logs through slf4j and its pom pulls no backend in (and
# slf4j-api 1.7): pin slf4j-api 2.x and the log4j2 provider for it.
LOG4J_VERSION="${ROM_LOG4J_VERSION:-2.26.1}"
SLF4J_VERSION="${ROM_SLF4J_VERSION:-2.0.17}"

TOOLS_DIR="${ROM_TOOLS_DIR:-$HOME/.cache/rom-tools}"
HOME_DIR="$TOOLS_DIR/kafka/$KAFKA_VERSION"
LIB_DIR="$HOME_DIR/lib"
STAMP="$HOME_DIR/.fetched"

usage() {
  sed -n '2,11p' "$0" >&2
  exit 2
}

fetch() {
  if [[ -f "$STAMP" ]]; then
    echo "$LIB_DIR"
    return 0
  fi
  for tool in java mvn; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "kafka.sh: $tool is not on PATH (Kafka needs Java 17+ and Maven to fetch the jars)" >&2
      exit 3
    fi
  done
  mkdir -p "$HOME_DIR"
  local work
  work="$(mktemp -d "${TMPDIR:-/tmp}/rom-kafka.XXXXXX")"
  # shellcheck disable=SC2064  # expand $work now: it is local to this function
  trap "rm -rf '$work'" EXIT
  cat >"$work/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>invalid.rom</groupId>
  <artifactId>rom-kafka-broker</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_${SCALA_VERSION}</artifactId>
      <version>${KAFKA_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
      <version>${SLF4J_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j2-impl</artifactId>
      <version>${LOG4J_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>${LOG4J_VERSION}</version>
    </dependency>
  </dependencies>
</project>
EOF
  echo "kafka.sh: resolving org.apache.kafka:kafka_${SCALA_VERSION}:${KAFKA_VERSION} into $LIB_DIR" >&2
  local start=$SECONDS
  rm -rf "$LIB_DIR.tmp"
  mvn -B -q -Dstyle.color=never -f "$work/pom.xml" -Dmaven.repo.local="$HOME_DIR/m2" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIB_DIR.tmp" >&2
  rm -rf "$LIB_DIR"
  mv "$LIB_DIR.tmp" "$LIB_DIR"
  echo "$KAFKA_VERSION" >"$STAMP"
  echo "kafka.sh: $(find "$LIB_DIR" -name '*.jar' | wc -l) jars in $((SECONDS - start)) s" >&2
  echo "$LIB_DIR"
}

case "${1:-}" in
  fetch) fetch ;;
  libdir)
    if [[ ! -f "$STAMP" ]]; then
      echo "kafka.sh: Kafka $KAFKA_VERSION not fetched yet; run: $0 fetch" >&2
      exit 1
    fi
    echo "$LIB_DIR"
    ;;
  version) echo "$KAFKA_VERSION" ;;
  *) usage ;;
esac
