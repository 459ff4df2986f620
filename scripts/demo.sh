#!/usr/bin/env bash
# `make demo`: the 5G slice lab up, ROM up, an L3VPN order and the seed's 5G slice order end to end
# (NETCONF and gNMI in one transaction), drift before and after an out-of-band edit, then the closed
# SLA loop: telemetry into a local Kafka broker, a fault on the gNB, the SLA alarm, ROM's corrective
# order, the alarm cleared (docs/sla.md). Everything it starts is stopped on exit, Ctrl-C included.
set -euo pipefail
cd "$(dirname "$0")/.."

export ROM_VAR_DIR="${ROM_VAR_DIR:-var/demo}"
export COLUMNS="${COLUMNS:-150}"  # rich tables keep their shape when the output is not a terminal
rm -rf "$ROM_VAR_DIR"
mkdir -p "$ROM_VAR_DIR"
port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export ROM_API_URL="http://127.0.0.1:${port}"
topology=topologies/5g-slice.clab.yml
kafka_dir="$ROM_VAR_DIR/kafka"
rules="$ROM_VAR_DIR/sla-rules.yaml"
serve_pid=""
telemetry_pid=""
kafka_start_pid=""

stop_pid() {
  if [ -n "$1" ]; then
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}
cleanup() {
  trap - INT TERM
  echo "Stopping what the demo started (collector, ROM, Kafka broker, lab)"
  stop_pid "$kafka_start_pid"  # still starting: its JVM has its own session, stopped just below
  stop_pid "$telemetry_pid"
  stop_pid "$serve_pid"
  python -m lab.kafka_broker stop --data-dir "$kafka_dir" >/dev/null 2>&1 || true
  rom lab down "$topology" >/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT  # the EXIT trap stops everything on Ctrl-C and kill as well
trap 'exit 143' TERM

step() { printf '\n\033[1m== %s\033[0m \033[2m(%d s)\033[0m\n' "$*" "$SECONDS"; }

step "Starting a local Kafka broker (KRaft, Java) in the background, for events and telemetry"
python -m lab.kafka_broker start --data-dir "$kafka_dir" >"$ROM_VAR_DIR/kafka.bootstrap" 2>"$ROM_VAR_DIR/kafka.start.log" &
kafka_start_pid=$!

step "Starting the lab (containerlab topology, simulators as local processes)"
rom lab up "$topology"

if ! wait "$kafka_start_pid"; then
  kafka_start_pid=""
  cat "$ROM_VAR_DIR/kafka.start.log" >&2
  exit 1
fi
kafka_start_pid=""
ROM_KAFKA_BOOTSTRAP=$(cat "$ROM_VAR_DIR/kafka.bootstrap")
export ROM_KAFKA_BOOTSTRAP
echo "Kafka on ${ROM_KAFKA_BOOTSTRAP} (log: ${kafka_dir}/server.log)"

step "Starting ROM on ${ROM_API_URL}"
export ROM_CONSOLE_SLA_RULES="$rules"  # the console's slice charts draw the rule's threshold
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

step "The closed SLA loop (docs/sla.md): an SLA rule on the slice's RAN resource"
python -m lab.sla_demo rules "$rules"

step "Starting the collector and SLA monitor: rom telemetry run --rules $rules (gNMI -> Kafka rom.telemetry)"
rom telemetry run --rules "$rules" --sample-interval 0.5 --inventory-interval 2 --metrics-port 0 \
  >"$ROM_VAR_DIR/telemetry.log" 2>&1 &
telemetry_pid=$!

step "Telemetry -> slice KPI -> fault -> SLA alarm (rom.alarms) -> corrective order -> alarm cleared"
python -m lab.sla_demo watch

step "Demo finished: the orders completed, the drift was found, every change is in the audit trail, and the SLA loop closed by itself"

step "The operator console: ${ROM_API_URL}/console (orders, topology, drift, slices)"
if [ "${CI:-}" != "true" ]; then
  echo "ROM keeps running for the console; press Enter to stop the lab and ROM."
  read -r _ || true  # no terminal (end of input): stop at once
fi
