#!/usr/bin/env bash
# Build gnoic v0.2.1 (an independent gNOI client: `gnoic system ping|traceroute`) once and cache
# it, from the source snapshot in the shared peers folder (../shared/peers/gnoic beside the clone,
# or $ROM_SHARED_DIR/peers/gnoic). Prints the binary's path on stdout; progress goes to stderr.
# Exit 3: no Go toolchain; exit 4: no gnoic source snapshot.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
shared=${ROM_SHARED_DIR:-$repo/../shared}
TOOLS_DIR="${ROM_TOOLS_DIR:-$HOME/.cache/rom-tools}"
out="$TOOLS_DIR/gnoic/0.2.1"
if [[ -x "$out/gnoic" ]] && "$out/gnoic" version >/dev/null 2>&1; then
  echo "$out/gnoic"
  exit 0
fi
command -v go >/dev/null || { echo "gnoic.sh: no Go toolchain" >&2; exit 3; }
build="$shared/peers/gnoic/build.sh"
[[ -f "$build" ]] || { echo "gnoic.sh: no gnoic source snapshot at $build" >&2; exit 4; }
echo "gnoic.sh: building gnoic 0.2.1 (once, ~1 minute)" >&2
bash "$build" "$out" | tail -n 1
