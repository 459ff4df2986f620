#!/usr/bin/env bash
# gnmic (github.com/openconfig/gnmic v0.47.0), the independent gNMI client of the interop tests and
# the gNMI -> Kafka peer of bench/telemetry_kafka.py. The build itself is the shared peer script,
# ../shared/peers/gnmic/build.sh beside the repository (it builds from a source snapshot and caches
# the binary; about 7 minutes cold on 2 cores, instant after). This wrapper only serialises builds
# and lets `make tools` start one in the background so it overlaps with lint, typecheck and tests.
#
#   scripts/tools/gnmic.sh                 # build if needed (waits for a running build), print the path
#   scripts/tools/gnmic.sh --background    # start a detached build (if none runs) and return at once
#   scripts/tools/gnmic.sh --wait SECONDS  # wait up to SECONDS for a running build, then as the first form
#
# ROM_GNMIC_BUILD overrides the build script, ROM_GNMIC a ready binary (then nothing is built).
# Log and state under ${ROM_TOOLS_DIR:-~/.cache/rom-tools}/gnmic-build/: build.log, build.rc
# (exit code of the last background build), build.lock (held while a build runs).
# Exit 3: no Go toolchain or no build script here; other non-zero: the build failed (see the log).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${ROM_GNMIC_BUILD:-$repo/../shared/peers/gnmic/build.sh}
state=${ROM_TOOLS_DIR:-$HOME/.cache/rom-tools}/gnmic-build
lock=$state/build.lock

if [[ -n "${ROM_GNMIC:-}" ]]; then
  [[ -x "$ROM_GNMIC" ]] || { echo "gnmic.sh: ROM_GNMIC=$ROM_GNMIC is not an executable" >&2; exit 2; }
  echo "$ROM_GNMIC"
  exit 0
fi
if [[ ! -f "$build" ]]; then
  echo "gnmic.sh: no gnmic build script at $build (the shared peers folder beside the repository)" >&2
  exit 3
fi
command -v go >/dev/null || { echo "gnmic.sh: no Go toolchain on PATH" >&2; exit 3; }
mkdir -p "$state"

wait_s=0
case "${1:-}" in
  "") wait_s=3600 ;;
  --wait) wait_s=${2:?usage: gnmic.sh --wait SECONDS} ;;
  --background)
    # flock -n in the detached child: when a build already holds the lock there is nothing to do.
    rm -f "$state/build.rc"
    setsid nohup bash -c '
      flock -n 9 || exit 0
      set +e; bash "$1" >"$2/build.log" 2>&1; echo $? >"$2/build.rc"
    ' gnmic-build "$build" "$state" 9>"$lock" </dev/null >/dev/null 2>&1 &
    echo "gnmic.sh: building in the background (log: $state/build.log)" >&2
    exit 0
    ;;
  -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--background | --wait SECONDS]" >&2; exit 2 ;;
esac

exec 9>"$lock"
if ! flock -w "$wait_s" 9; then
  echo "gnmic.sh: a gnmic build still runs after ${wait_s} s (log: $state/build.log)" >&2
  exit 4
fi
if [[ -f "$state/build.rc" && "$(cat "$state/build.rc")" != 0 ]]; then
  echo "gnmic.sh: the background build failed (exit $(cat "$state/build.rc")); its log ends:" >&2
  tail -n 20 "$state/build.log" >&2 || true
  echo "gnmic.sh: building again in the foreground" >&2
fi
bash "$build" | tail -n 1
