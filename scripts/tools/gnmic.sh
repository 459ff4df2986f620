#!/usr/bin/env bash
# Build gnmic (an independent gNMI client) once and cache the binary.
#
#   scripts/tools/gnmic.sh          # build if missing, print the binary's path on stdout
#   scripts/tools/gnmic.sh --force  # rebuild even when cached
#
# gnmic's own go.mod carries `replace` directives (pkg/api, pkg/cache -> ./pkg/...), so
# `go install github.com/openconfig/gnmic@vX` refuses it. Instead we build it from a throw-away
# wrapper module that *requires* gnmic at a pinned version: replace directives of a dependency are
# ignored, and pkg/api and pkg/cache are published as modules of their own, so the wrapper pins the
# versions gnmic's go.mod names for them.
#
# Everything lives under ${ROM_TOOLS_DIR:-$HOME/.cache/rom-tools}: the binary in bin/, and GOPATH,
# GOMODCACHE and GOCACHE in go/, so a rerun (or a rebuild after a version bump) is fast.
# Progress goes to stderr; stdout carries only the path.
set -euo pipefail

# STATUS (measured on this machine): no gnmic version the module proxy serves here can be built
# against the *published* pkg/api and pkg/cache. The proxy serves gnmic v0.45.0, v0.46.0 and
# v0.47.0 only (older releases and patch releases are refused), pkg/api v0.1.11 and pkg/cache v0.1.3:
#   v0.47.0, v0.46.0  in-tree pkg/api and pkg/cache moved on without a new tag: missing
#                     TargetConfig.RedactedDeepCopy, Target.SetSubscriptionConfig,
#                     Target.SubscribeClientStates, and *slog.Logger where v0.1.x take *log.Logger.
#   v0.45.0           needs inet.af/netaddr (via gomplate/v3 v3.11.8), which is not served; with
#                     gomplate/v3 replaced by v3.9.0 (no netaddr) it still misses
#                     Target.SubscribeClientStates in pkg/api v0.1.11.
# The script therefore fails with exit code 5 ("not buildable here") and records the failure, so
# later runs answer at once instead of spending minutes on the same error (--force retries).
# Override GNMIC_VERSION / GNMIC_API_VERSION / GNMIC_CACHE_VERSION once compatible versions are
# served.
GNMIC_VERSION="${GNMIC_VERSION:-v0.47.0}"
# The versions gnmic's go.mod at GNMIC_VERSION requires (and replaces with its local copies).
GNMIC_API_VERSION="${GNMIC_API_VERSION:-v0.1.11}"
GNMIC_CACHE_VERSION="${GNMIC_CACHE_VERSION:-v0.1.3}"

TOOLS_DIR="${ROM_TOOLS_DIR:-$HOME/.cache/rom-tools}"
BIN_DIR="$TOOLS_DIR/bin"
BIN="$BIN_DIR/gnmic"
STAMP="$BIN_DIR/.gnmic-version"
FAILED="$BIN_DIR/.gnmic-failed"
BUILD_ID="$GNMIC_VERSION api=$GNMIC_API_VERSION cache=$GNMIC_CACHE_VERSION go=$(go env GOVERSION 2>/dev/null || true)"

force=0
case "${1:-}" in
  --force) force=1 ;;
  "") ;;
  -h | --help)
    sed -n '2,15p' "$0"
    exit 0
    ;;
  *)
    echo "usage: $0 [--force]" >&2
    exit 2
    ;;
esac

if [[ $force -eq 0 && -x "$BIN" && -f "$STAMP" && "$(cat "$STAMP")" == "$BUILD_ID" ]]; then
  echo "$BIN"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "gnmic.sh: the Go toolchain (go) is not on PATH" >&2
  exit 3
fi

if [[ $force -eq 0 && -f "$FAILED" && "$(head -n1 "$FAILED")" == "$BUILD_ID" ]]; then
  echo "gnmic.sh: gnmic $GNMIC_VERSION is not buildable here (recorded; --force retries):" >&2
  tail -n +2 "$FAILED" >&2
  exit 5
fi

mkdir -p "$BIN_DIR" "$TOOLS_DIR/go"
export GOPATH="$TOOLS_DIR/go/path"
export GOMODCACHE="$TOOLS_DIR/go/path/pkg/mod"
export GOCACHE="$TOOLS_DIR/go/build-cache"
export GOFLAGS="-mod=mod"
export CGO_ENABLED=0

work="$(mktemp -d "${TMPDIR:-/tmp}/rom-gnmic.XXXXXX")"
trap 'rm -rf "$work"' EXIT

cat >"$work/go.mod" <<EOF
module rom.invalid/gnmic-wrapper

go 1.25.0

require (
	github.com/openconfig/gnmic $GNMIC_VERSION
	github.com/openconfig/gnmic/pkg/api $GNMIC_API_VERSION
	github.com/openconfig/gnmic/pkg/cache $GNMIC_CACHE_VERSION
)
EOF

echo "gnmic.sh: building gnmic $GNMIC_VERSION (pkg/api $GNMIC_API_VERSION, pkg/cache $GNMIC_CACHE_VERSION)" \
  "into $BIN; the first build downloads many modules and takes minutes" >&2
start=$SECONDS
ldflags="-s -w -X github.com/openconfig/gnmic/pkg/version.Version=${GNMIC_VERSION#v}"
ldflags+=" -X github.com/openconfig/gnmic/pkg/version.Commit=module"
ldflags+=" -X github.com/openconfig/gnmic/pkg/version.Date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
ldflags+=" -X github.com/openconfig/gnmic/pkg/version.GitURL=https://github.com/openconfig/gnmic"
if ! (cd "$work" && go build -trimpath -ldflags "$ldflags" -o "$work/gnmic" github.com/openconfig/gnmic \
  2>"$work/build.log"); then
  grep -v '^go: downloading' "$work/build.log" | head -n 20 >&2 || true
  {
    echo "$BUILD_ID"
    grep -v '^go: downloading' "$work/build.log" | head -n 12
  } >"$FAILED"
  echo "gnmic.sh: building gnmic $GNMIC_VERSION failed after $((SECONDS - start)) s;" \
    "see the STATUS note at the top of $0" >&2
  exit 5
fi
rm -f "$FAILED"
mv -f "$work/gnmic" "$BIN"
echo "$BUILD_ID" >"$STAMP"
echo "gnmic.sh: built in $((SECONDS - start)) s" >&2
echo "$BIN"
