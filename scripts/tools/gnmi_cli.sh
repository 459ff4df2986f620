#!/usr/bin/env bash
# Build OpenConfig's reference gNMI client, gnmi_cli (github.com/openconfig/gnmi/cmd/gnmi_cli),
# once and cache it: the independent gNMI client for interop tests while gnmic cannot be built here
# (see docs/tools.md). Prints the binary's path on stdout; progress goes to stderr.
# Exit 3: no Go toolchain.
set -euo pipefail
GNMI_VERSION="${GNMI_VERSION:-v0.14.1}"
TOOLS_DIR="${ROM_TOOLS_DIR:-$HOME/.cache/rom-tools}"
BIN="$TOOLS_DIR/bin/gnmi_cli"
STAMP="$TOOLS_DIR/bin/.gnmi_cli-version"
if [[ -x "$BIN" && -f "$STAMP" && "$(cat "$STAMP")" == "$GNMI_VERSION" ]]; then
  echo "$BIN"
  exit 0
fi
command -v go >/dev/null || { echo "gnmi_cli.sh: no Go toolchain" >&2; exit 3; }
mkdir -p "$TOOLS_DIR/bin" "$TOOLS_DIR/go"
echo "gnmi_cli.sh: building gnmi_cli $GNMI_VERSION (once)" >&2
GOPATH="$TOOLS_DIR/go" GOMODCACHE="$TOOLS_DIR/go/pkg/mod" GOBIN="$TOOLS_DIR/bin" GOFLAGS=-mod=mod \
  go install "github.com/openconfig/gnmi/cmd/gnmi_cli@$GNMI_VERSION" >&2
echo "$GNMI_VERSION" >"$STAMP"
echo "$BIN"
