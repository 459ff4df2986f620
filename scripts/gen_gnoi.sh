#!/usr/bin/env bash
# Regenerate the gNOI Python messages and stubs in gnoi_pb/ from the .proto files there, with
# grpcio-tools (a dev dependency; its bundled protoc). The output is committed, so installing ROM
# needs no compiler; tests/unit/test_gnoi_protos.py checks that it matches this script's output.
#   scripts/gen_gnoi.sh [OUT_DIR]   (default: the repository, i.e. gnoi_pb/ in place)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo}
python=${PYTHON:-$repo/.venv/bin/python}
mkdir -p "$out/gnoi_pb"
cd "$repo"
"$python" -m grpc_tools.protoc -I . --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" \
  gnoi_pb/types.proto gnoi_pb/system.proto
