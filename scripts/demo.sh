#!/usr/bin/env bash
# `make demo`: the 5G slice lab up, ROM up, an L3VPN order and the seed's 5G slice order end to end
# (NETCONF and gNMI in one transaction), then drift before and after an out-of-band edit.
set -euo pipefail
cd "$(dirname "$0")/.."

export ROM_VAR_DIR="${ROM_VAR_DIR:-var/demo}"
export COLUMNS="${COLUMNS:-150}"  # rich tables keep their shape when the output is not a terminal
rm -rf "$ROM_VAR_DIR"
mkdir -p "$ROM_VAR_DIR"
port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export ROM_API_URL="http://127.0.0.1:${port}"
topology=topologies/5g-slice.clab.yml
serve_pid=""

cleanup() {
  if [ -n "$serve_pid" ]; then
    kill "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  rom lab down "$topology" >/dev/null || true
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Starting the lab (containerlab topology, simulators as local processes)"
rom lab up "$topology"

step "Starting ROM on ${ROM_API_URL}"
rom serve --port "$port" >"$ROM_VAR_DIR/serve.log" 2>&1 &
serve_pid=$!
python - "$ROM_API_URL" <<'PY'
import sys, time, httpx
for _ in range(300):
    try:
        if httpx.get(sys.argv[1] + "/health", timeout=1).status_code == 200:
            sys.exit(0)
    except httpx.HTTPError:
        pass
    time.sleep(0.1)
sys.exit("rom serve did not come up; see var/demo/serve.log")
PY

step "Submitting a TMF652 resource order (docs/examples/l3vpn-order.json)"
rom order submit docs/examples/l3vpn-order.json

step "Submitting the 5G slice order (docs/examples/5g-slice-order.json): RAN over gNMI, transport QoS over gNMI, core over NETCONF"
rom order submit docs/examples/5g-slice-order.json

step "The resources the orders created (TMF639 inventory)"
rom inventory show

step "Drift report: inventory versus the devices"
rom drift report

step "Out-of-band edit on pe1, straight to the device (route-distinguisher 65000:100 -> 65000:999)"
rom device edit-config pe1 docs/examples/oob-change-rd.xml

step "Drift report again"
if rom drift report; then
  echo "expected drift after the out-of-band edit, found none" >&2
  exit 1
fi
step "The audit trail of pe1: each change with its order, principal and outcome (rom audit show ID: the diff)"
rom audit list --device pe1

step "Demo finished: both orders completed, the drift was found, and every change is in the audit trail"

step "The operator console: ${ROM_API_URL}/console (orders, topology, drift, slices)"
if [ "${CI:-}" != "true" ]; then
  echo "ROM keeps running for the console; press Enter to stop the lab and ROM."
  read -r _ || true  # no terminal (end of input): stop at once
fi
